//! Satisfaction surveys: the page a customer's rating link opens, which keeps one answer per survey,
//! and the list devices read the answers from to file them on their tickets.
//!
//! A survey is a mail a device queued (`rapport_core::satisfaction`); the relay wrote its links,
//! signed with its link secret (`crate::mail::rating_token`), so a link names one workspace and one
//! survey key and cannot be altered. Opening a link changes nothing — mail scanners open links on
//! their own — the customer sends the form. The relay keeps the score and comment under the key and
//! never reads the ticket the key names.
//!
//! Who may do what: anyone holding a link answers its survey, once; members who write (not viewers)
//! read their workspace's answers; a workspace the caller is not in is answered like one that does
//! not exist (404).

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Json, Router};
use rapport_core::satisfaction::{Answers, MOST_COMMENT_CHARS, SCORES};
use serde::Deserialize;

use crate::AppState;
use crate::accounts::{Refusal, Why};
use crate::mail::read_rating_token;
use crate::services::{Caching, PublicPage, escape};
use crate::store::outbox as ledger;
use crate::store::ratings as store;
use crate::workspaces::member_of;

/// The most answers one list carries.
const PAGE: usize = 500;
/// A form's body: a comment of the most characters, each up to 4 bytes, percent-encoded.
const MOST_FORM_BYTES: usize = MOST_COMMENT_CHARS * 12 + 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/rate/{token}",
            get(rating_page).post(rate).layer(DefaultBodyLimit::max(MOST_FORM_BYTES)),
        )
        .route("/api/workspaces/{id}/ratings", get(list))
}

/// Where a listing resumes (`?after=`): past the entries a device has read.
#[derive(Debug, Deserialize)]
pub(crate) struct After {
    #[serde(default)]
    pub(crate) after: i64,
}

/// The workspace's answers received after `after`, oldest first.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(workspace): Path<String>,
    Query(query): Query<After>,
) -> Result<Json<Answers>, Refusal> {
    let (_, membership) = member_of(&state, &headers, workspace.clone()).await?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None));
    }
    let answers =
        state.store.run(move |db| store::after(db, &workspace, query.after, PAGE)).await?;
    let after = answers.last().map_or(query.after, |answer| answer.seq);
    Ok(Json(Answers { answers, after }))
}

/// The page's words, in the customer's language as their browser names it (Russian or English).
struct Words {
    lang: &'static str,
    title: &'static str,
    question: &'static str,
    scores: [&'static str; 5],
    comment: &'static str,
    send: &'static str,
    thanks: &'static str,
    thanks_text: &'static str,
    answered: &'static str,
    choose: &'static str,
    too_long: &'static str,
    unknown: &'static str,
    unknown_text: &'static str,
}

const ENGLISH: Words = Words {
    lang: "en",
    title: "How did we do?",
    question: "How would you rate our answer?",
    scores: ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
    comment: "Anything to add? (optional)",
    send: "Send",
    thanks: "Thank you",
    thanks_text: "Your answer reached the team.",
    answered: "This request was already answered; the first answer counts. Thank you.",
    choose: "Choose a score from 1 to 5.",
    too_long: "The comment is too long: at most 2,000 characters.",
    unknown: "This link no longer works",
    unknown_text: "Nothing was recorded.",
};

const RUSSIAN: Words = Words {
    lang: "ru",
    title: "Как мы справились?",
    question: "Как вы оцениваете наш ответ?",
    scores: ["Очень недоволен", "Недоволен", "Нейтрально", "Доволен", "Очень доволен"],
    comment: "Хотите что-то добавить? (необязательно)",
    send: "Отправить",
    thanks: "Спасибо",
    thanks_text: "Ваш ответ получен командой.",
    answered: "На этот запрос уже ответили; учитывается первый ответ. Спасибо.",
    choose: "Выберите оценку от 1 до 5.",
    too_long: "Комментарий слишком длинный: не больше 2 000 символов.",
    unknown: "Эта ссылка больше не действует",
    unknown_text: "Ничего не записано.",
};

/// Russian when the browser prefers it, English otherwise.
fn words(headers: &HeaderMap) -> &'static Words {
    if crate::services::prefers_russian(headers) { &RUSSIAN } else { &ENGLISH }
}

fn page(status: StatusCode, words: &Words, title: &str, body: &str) -> Response {
    let style = "body{max-width:32rem}\
         fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:600;margin-bottom:.5rem}\
         .score{display:flex;align-items:center;gap:.75rem;min-height:44px;padding:0 .75rem;\
         border:1px solid #ccd;border-radius:8px;margin-bottom:.5rem}\
         .score:has(input:checked){border-color:#2456d6;background:#eef3ff}\
         textarea{font:inherit;width:100%;box-sizing:border-box;padding:.5rem}\
         h1{font-size:1.5rem;line-height:1.25}button{padding:0 1.5rem;margin-top:1rem}\
         .error{color:#b00020}";
    let page = PublicPage { lang: words.lang, title, style, body };
    page.answer(status, Caching::Never)
}

fn unknown_link(words: &Words) -> Response {
    let body = format!("<h1>{}</h1><p>{}</p>", words.unknown, words.unknown_text);
    page(StatusCode::NOT_FOUND, words, words.unknown, &body)
}

/// The form: a score chosen (`chosen`, from the link the customer clicked), the comment so far and
/// why the last sending was refused, if it was.
fn form(
    token: &str,
    words: &Words,
    chosen: Option<u8>,
    comment: &str,
    error: Option<&str>,
) -> String {
    let mut scores = String::new();
    for score in SCORES.rev() {
        let checked = if chosen == Some(score) { " checked" } else { "" };
        scores.push_str(&format!(
            "<label class=score><input type=radio name=score value={score}{checked}> \
             {score} — {}</label>",
            words.scores[usize::from(score - 1)]
        ));
    }
    let error = error.map(|e| format!("<p class=error role=alert>{e}</p>")).unwrap_or_default();
    format!(
        "<h1>{title}</h1>{error}<form method=post action=\"/api/rate/{token}\">\
         <fieldset><legend>{question}</legend>{scores}</fieldset>\
         <label for=comment>{comment_label}</label>\
         <textarea id=comment name=comment rows=4 maxlength={MOST_COMMENT_CHARS}>{comment}</textarea>\
         <button type=submit>{send}</button></form>",
        title = words.title,
        question = words.question,
        comment_label = words.comment,
        send = words.send,
        token = escape(token),
        comment = escape(comment),
    )
}

/// The survey the link names, if the relay signed it and its workspace still exists.
async fn survey(state: &AppState, token: String) -> Result<Option<(String, String)>, Refusal> {
    Ok(state
        .store
        .run(move |db| {
            let secret = ledger::link_secret(db)?;
            let Some((workspace, key)) = read_rating_token(&secret, &token) else {
                return Ok(None);
            };
            Ok(ledger::workspace_exists(db, &workspace)?.then_some((workspace, key)))
        })
        .await?)
}

#[derive(Debug, Deserialize)]
struct Chosen {
    score: Option<String>,
}

/// Opening a link shows the form with the link's score chosen; it records nothing.
async fn rating_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(chosen): Query<Chosen>,
) -> Result<Response, Refusal> {
    let words = words(&headers);
    let Some((workspace, key)) = survey(&state, token.clone()).await? else {
        return Ok(unknown_link(words));
    };
    if state.store.run(move |db| store::answered(db, &workspace, &key)).await? {
        let body = format!("<h1>{}</h1><p>{}</p>", words.thanks, words.answered);
        return Ok(page(StatusCode::OK, words, words.thanks, &body));
    }
    let chosen = chosen.score.and_then(|s| s.parse().ok()).filter(|s| SCORES.contains(s));
    Ok(page(StatusCode::OK, words, words.title, &form(&token, words, chosen, "", None)))
}

#[derive(Debug, Default, Deserialize)]
struct Answer {
    score: Option<String>,
    #[serde(default)]
    comment: String,
}

/// The answer: kept unless the survey was answered before (the first answer counts), then told to
/// the workspace's devices. A form that cannot be kept comes back with what was written in it.
async fn rate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    form_body: Result<Form<Answer>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    let words = words(&headers);
    let Some((workspace, key)) = survey(&state, token.clone()).await? else {
        return Ok(unknown_link(words));
    };
    let answer = match form_body {
        Ok(Form(answer)) => answer,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let body = form(&token, words, None, "", Some(words.too_long));
            return Ok(page(StatusCode::PAYLOAD_TOO_LARGE, words, words.title, &body));
        }
        // Unreadable: asked again, as if nothing was chosen.
        Err(_) => Answer::default(),
    };
    let comment = answer.comment.trim().replace("\r\n", "\n");
    let refused = |chosen: Option<u8>, why: &str| {
        let body = form(&token, words, chosen, &comment, Some(why));
        Ok(page(StatusCode::BAD_REQUEST, words, words.title, &body))
    };
    let Some(score) =
        answer.score.and_then(|s| s.trim().parse::<u8>().ok()).filter(|s| SCORES.contains(s))
    else {
        return refused(None, words.choose);
    };
    if comment.chars().count() > MOST_COMMENT_CHARS {
        return refused(Some(score), words.too_long);
    }
    let at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64);
    let ws = workspace.clone();
    let kept_comment = comment.clone();
    let kept = state
        .store
        .run(move |db| store::answer(db, &ws, &key, score, &kept_comment, at_ms))
        .await?;
    let text = if kept {
        state.hub.outbox_changed(&workspace).await;
        words.thanks_text
    } else {
        words.answered
    };
    let body = format!("<h1>{}</h1><p>{text}</p>", words.thanks);
    Ok(page(StatusCode::OK, words, words.thanks, &body))
}
