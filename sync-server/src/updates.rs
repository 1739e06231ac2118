//! Investor updates' read-only links: the page a recipient's link opens, without an account, where
//! they can react, and the calls devices publish, withdraw and follow updates with
//! (`rapport_core::investor`).
//!
//! The relay never reads the workspace's documents: it serves only what a member who writes handed
//! it as a publication, rendered by `rapport_core::investor::render` (never HTML a device wrote),
//! under a Content-Security-Policy that runs no script. A link is a token the relay signed when it
//! sent the mail (`crate::mail::update_token`), naming one workspace, update and recipient; it opens
//! while the publication lists that recipient, so a device revokes one link — or withdraws the whole
//! update — by publishing again. Each opening is counted (mail scanners that follow links count too,
//! and the app says so); the recipient's reaction and comment are kept, the latest counting.
//!
//! Who may do what: members who write publish and withdraw; every member reads the list of updates
//! with their readers' activity; a workspace the caller is not in is answered like one that does not
//! exist (404); anyone holding a link reads the update it names and reacts to it.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Form, Json, Router};
use rapport_core::ids::UpdateId;
use rapport_core::investor::{
    self, MOST_COMMENT_CHARS, MOST_METRIC_CHARS, MOST_METRICS, MOST_READERS, MOST_TEXT_BYTES,
    MOST_TITLE_CHARS, PageWords, PublishedUpdates, Reaction, UpdatePublication, UpdateRefused,
};
use serde::Deserialize;

use crate::AppState;
use crate::accounts::{Refusal, Why, bad_request, json_body};
use crate::mail::read_update_token;
use crate::services::{Caching, PublicPage, escape};
use crate::store::outbox as ledger;
use crate::store::updates::{self as store, Found, Kept};
use crate::workspaces::member_of;

/// A publication's JSON at its largest: its texts (quotes and line ends escaped, so up to twice as
/// long, and up to 4 bytes a character in the short ones) and its readers' ids.
const MOST_PUBLICATION_BYTES: usize = MOST_TEXT_BYTES * 2 * 2
    + (MOST_TITLE_CHARS + MOST_METRICS * 4 * MOST_METRIC_CHARS) * 8
    + MOST_READERS * 40
    + 4096;
/// A reaction's form: a comment of the most characters, each up to 4 bytes, percent-encoded.
const MOST_FORM_BYTES: usize = MOST_COMMENT_CHARS * 12 + 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces/{id}/updates", get(list))
        .route(
            "/api/workspaces/{id}/updates/{update}",
            put(publish).delete(withdraw).layer(DefaultBodyLimit::max(MOST_PUBLICATION_BYTES)),
        )
        .route(
            "/updates/{token}",
            get(update_page).post(react).layer(DefaultBodyLimit::max(MOST_FORM_BYTES)),
        )
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

/// The update id in a path, in its one text form.
fn update_id(text: &str) -> Result<String, Refusal> {
    text.parse::<UpdateId>().map(|id| id.to_string()).map_err(|_| bad_request(Why::BadUpdate))
}

/// The workspace's updates with what their readers did (any member).
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(workspace): Path<String>,
) -> Result<Json<PublishedUpdates>, Refusal> {
    member_of(&state, &headers, workspace.clone()).await?;
    let updates = state.store.run(move |db| store::list(db, &workspace)).await?;
    Ok(Json(PublishedUpdates { updates }))
}

/// Publishes an update, or its new revision (members who write).
async fn publish(
    State(state): State<AppState>,
    Path((workspace, update)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<StatusCode, Refusal> {
    let (_, membership) = member_of(&state, request.headers(), workspace.clone()).await?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None));
    }
    let update = update_id(&update)?;
    let Json(mut publication): Json<UpdatePublication> = json_body(request).await?;
    match publication.refused() {
        None => {}
        Some(UpdateRefused::TooLong) => {
            return Err(Refusal(StatusCode::PAYLOAD_TOO_LARGE, Why::UpdateTooLong, None));
        }
        Some(_) => return Err(bad_request(Why::BadUpdate)),
    }
    publication.title = publication.title.trim().to_owned();
    // Readers in one text form, sorted: a link compares its reader against them as text.
    publication.readers = publication
        .readers
        .iter()
        .filter_map(|reader| reader.parse::<rapport_core::ids::PartyId>().ok())
        .map(|reader| reader.to_string())
        .collect();
    publication.readers.sort();
    publication.readers.dedup();
    let (at, most) = (now_ms(), state.limits.published_updates_per_workspace);
    let kept = state
        .store
        .run(move |db| store::publish(db, (&workspace, &update), &publication, most, at))
        .await?;
    match kept {
        Kept::Published => Ok(StatusCode::NO_CONTENT),
        Kept::TooMany => Err(Refusal(StatusCode::CONFLICT, Why::TooManyUpdates, None)),
    }
}

/// Withdraws an update: no link to it opens any more (members who write); done already is done.
async fn withdraw(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((workspace, update)): Path<(String, String)>,
) -> Result<StatusCode, Refusal> {
    let (_, membership) = member_of(&state, &headers, workspace.clone()).await?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None));
    }
    let update = update_id(&update)?;
    state.store.run(move |db| store::withdraw(db, &workspace, &update)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The page's words, in the reader's language as their browser names it (Russian or English).
struct Words {
    lang: &'static str,
    page: PageWords<'static>,
    react: &'static str,
    reactions: [&'static str; 4],
    comment: &'static str,
    send: &'static str,
    thanks: &'static str,
    choose: &'static str,
    too_long: &'static str,
    withdrawn: &'static str,
    withdrawn_text: &'static str,
    not_yet: &'static str,
    not_yet_text: &'static str,
    unknown: &'static str,
    unknown_text: &'static str,
}

const ENGLISH: Words = Words {
    lang: "en",
    page: PageWords { metrics: "Key figures", was: "was", highlights: "Highlights", asks: "Asks" },
    react: "What do you think?",
    reactions: ["Looks good", "Congratulations", "I can help", "I have a question"],
    comment: "A word for the team (optional)",
    send: "Send",
    thanks: "Thank you — the team received your answer. You can change it at any time.",
    choose: "Choose one of the answers.",
    too_long: "The comment is too long: at most 2,000 characters.",
    withdrawn: "This update was withdrawn",
    withdrawn_text: "The sender no longer shares it through this link.",
    not_yet: "This update is on its way",
    not_yet_text: "It is not published yet. Try again in a minute; the mail holds all of it too.",
    unknown: "This link does not work",
    unknown_text: "Check that the whole link was copied from the mail.",
};

const RUSSIAN: Words = Words {
    lang: "ru",
    page: PageWords {
        metrics: "Ключевые показатели",
        was: "было",
        highlights: "Главное",
        asks: "Просьбы",
    },
    react: "Что вы думаете?",
    reactions: ["Хорошо", "Поздравляю", "Могу помочь", "Есть вопрос"],
    comment: "Пара слов команде (необязательно)",
    send: "Отправить",
    thanks: "Спасибо — команда получила ваш ответ. Его можно изменить в любое время.",
    choose: "Выберите один из ответов.",
    too_long: "Комментарий слишком длинный: не больше 2 000 символов.",
    withdrawn: "Этот отчёт отозван",
    withdrawn_text: "Отправитель больше не открывает его по этой ссылке.",
    not_yet: "Отчёт уже в пути",
    not_yet_text: "Он ещё не опубликован. Попробуйте через минуту; письмо тоже содержит его целиком.",
    unknown: "Ссылка не работает",
    unknown_text: "Проверьте, что ссылка скопирована из письма целиком.",
};

/// Russian when the browser prefers it, English otherwise.
fn words(headers: &HeaderMap) -> &'static Words {
    if crate::services::prefers_russian(headers) { &RUSSIAN } else { &ENGLISH }
}

/// A page no script runs on; forms post only here. Never cached: it is one reader's.
fn page(status: StatusCode, words: &Words, title: &str, body: &str) -> Response {
    let style = "body{line-height:1.6;max-width:42rem}\
         h1{font-size:1.6rem;line-height:1.25;margin-bottom:.25rem}h2{font-size:1.2rem;margin-top:2rem}\
         .from{color:#5b6270;margin-top:0}a{color:#2456d6}img{max-width:100%}\
         table.metrics{border-collapse:collapse;width:100%}\
         .metrics th,.metrics td{text-align:left;border-bottom:1px solid #dde;padding:.4rem .5rem .4rem 0}\
         .metrics small{color:#5b6270;font-size:.9rem}\
         form.react{margin-top:2.5rem;padding-top:1rem;border-top:1px solid #dde}\
         fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:600;margin-bottom:.5rem}\
         .choice{display:flex;align-items:center;gap:.75rem;min-height:44px;padding:0 .75rem;\
         border:1px solid #ccd;border-radius:8px;margin-bottom:.5rem}\
         .choice:has(input:checked){border-color:#2456d6;background:#eef3ff}\
         textarea{font:inherit;width:100%;box-sizing:border-box;padding:.5rem}\
         button{padding:0 1.5rem;margin-top:1rem}.error{color:#b00020}.thanks{color:#1b6e3a}";
    let page = PublicPage { lang: words.lang, title, style, body };
    let mut response = page.answer(status, Caching::Never);
    // The link is the reader's key: a page it opens sends it to no other site.
    response.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    response
}

fn notice(status: StatusCode, words: &Words, title: &str, text: &str) -> Response {
    let body = format!("<h1>{title}</h1><p>{text}</p>");
    page(status, words, title, &body)
}

/// What a link names, if the relay signed it: workspace, update and reader.
async fn link(
    state: &AppState,
    token: String,
) -> Result<Option<(String, String, String)>, Refusal> {
    Ok(state
        .store
        .run(move |db| {
            let secret = ledger::link_secret(db)?;
            Ok(read_update_token(&secret, &token))
        })
        .await?)
}

/// The form under the update: the reader's reaction so far, their comment and why the last
/// sending was refused, if it was.
fn reaction_form(
    token: &str,
    words: &Words,
    (chosen, comment): (Option<Reaction>, &str),
    note: Option<(&str, &str)>,
) -> String {
    let mut choices = String::new();
    for (reaction, label) in Reaction::ALL.into_iter().zip(words.reactions) {
        let checked = if chosen == Some(reaction) { " checked" } else { "" };
        choices.push_str(&format!(
            "<label class=choice><input type=radio name=reaction value={code}{checked}> \
             {emoji} {label}</label>",
            code = reaction.code(),
            emoji = reaction.emoji(),
        ));
    }
    let note = note
        .map(|(class, text)| format!("<p class={class} role=status>{text}</p>"))
        .unwrap_or_default();
    format!(
        "<form class=react method=post action=\"/updates/{token}\">{note}\
         <fieldset><legend>{react}</legend>{choices}</fieldset>\
         <label for=comment>{comment_label}</label>\
         <textarea id=comment name=comment rows=3 maxlength={MOST_COMMENT_CHARS}>{comment}</textarea>\
         <button type=submit>{send}</button></form>",
        token = escape(token),
        react = words.react,
        comment_label = words.comment,
        comment = escape(comment),
        send = words.send,
    )
}

/// The update a reader's link shows, with the reaction form; `None` with the page to answer instead
/// (an unsigned link, a withdrawn or revoked one, one not published yet).
async fn readable(
    state: &AppState,
    words: &Words,
    token: &str,
) -> Result<Result<(String, String, String, UpdatePublication, String), Response>, Refusal> {
    let Some((workspace, update, reader)) = link(state, token.to_owned()).await? else {
        return Ok(Err(notice(StatusCode::NOT_FOUND, words, words.unknown, words.unknown_text)));
    };
    let (ws, id, who) = (workspace.clone(), update.clone(), reader.clone());
    let found = state
        .store
        .run(move |db| {
            let Some(name) = crate::store::articles::workspace_name(db, &ws)? else {
                return Ok(None);
            };
            Ok(Some((name, store::find(db, &ws, &id, &who)?)))
        })
        .await?;
    match found {
        None | Some((_, Found::Withdrawn)) => {
            Ok(Err(notice(StatusCode::GONE, words, words.withdrawn, words.withdrawn_text)))
        }
        Some((_, Found::NotYet)) => {
            Ok(Err(notice(StatusCode::NOT_FOUND, words, words.not_yet, words.not_yet_text)))
        }
        Some((name, Found::Readable(publication))) => {
            Ok(Ok((workspace, update, reader, *publication, name)))
        }
    }
}

fn update_html(publication: &UpdatePublication, from: &str, words: &Words, form: String) -> String {
    format!("<article>{}</article>{form}", investor::render(publication, from, &words.page))
}

/// A reader opens their link: the update, counted as opened, with the reaction form.
async fn update_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, Refusal> {
    let words = words(&headers);
    let (workspace, update, reader, publication, from) =
        match readable(&state, words, &token).await? {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
    let at = now_ms();
    let counted =
        state.store.run(move |db| store::opened(db, (&workspace, &update, &reader), at)).await?;
    if !counted {
        // Revoked between reading and counting.
        return Ok(notice(StatusCode::GONE, words, words.withdrawn, words.withdrawn_text));
    }
    let form = reaction_form(&token, words, (None, ""), None);
    let body = update_html(&publication, &from, words, form);
    Ok(page(StatusCode::OK, words, &publication.title, &body))
}

#[derive(Debug, Default, Deserialize)]
struct ReactionForm {
    reaction: Option<String>,
    #[serde(default)]
    comment: String,
}

/// A reader's reaction: kept (replacing their earlier one) while they may read the update, then the
/// update again with thanks. A form that cannot be kept comes back with what was written in it.
async fn react(
    State(state): State<AppState>,
    Path(token): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, Refusal> {
    use axum::extract::FromRequest;
    let headers = request.headers().clone();
    let words = words(&headers);
    state.guards.answer(crate::server::client_address(request.extensions()).map(|a| a.ip()))?;
    let form_body = Form::<ReactionForm>::from_request(request, &()).await;
    let (workspace, update, reader, publication, from) =
        match readable(&state, words, &token).await? {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
    let refused = |status: StatusCode, chosen: Option<Reaction>, comment: &str, why: &str| {
        let form = reaction_form(&token, words, (chosen, comment), Some(("error", why)));
        let body = update_html(&publication, &from, words, form);
        Ok(page(status, words, &publication.title, &body))
    };
    let answer = match form_body {
        Ok(Form(answer)) => answer,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refused(StatusCode::PAYLOAD_TOO_LARGE, None, "", words.too_long);
        }
        Err(_) => ReactionForm::default(),
    };
    let comment = answer.comment.trim().replace("\r\n", "\n");
    let Some(reaction) =
        answer.reaction.as_deref().and_then(|code| Reaction::from_code(code.trim()))
    else {
        return refused(StatusCode::BAD_REQUEST, None, &comment, words.choose);
    };
    if comment.chars().count() > MOST_COMMENT_CHARS {
        return refused(StatusCode::BAD_REQUEST, Some(reaction), &comment, words.too_long);
    }
    let at = now_ms();
    let (ws, kept_comment) = (workspace.clone(), comment.clone());
    let kept = state
        .store
        .run(move |db| store::react(db, (&ws, &update, &reader), (reaction, &kept_comment), at))
        .await?;
    if !kept {
        return Ok(notice(StatusCode::GONE, words, words.withdrawn, words.withdrawn_text));
    }
    // Devices following the workspace's relay services hear of it at once.
    state.hub.outbox_changed(&workspace).await;
    let form =
        reaction_form(&token, words, (Some(reaction), &comment), Some(("thanks", words.thanks)));
    let body = update_html(&publication, &from, words, form);
    Ok(page(StatusCode::OK, words, &publication.title, &body))
}
