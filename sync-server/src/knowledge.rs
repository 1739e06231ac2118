//! The knowledge base's public side: the help pages anyone can read without an account, with "was
//! this helpful?" under each article, and the calls devices publish and withdraw articles with
//! (`rapport_core::knowledge`).
//!
//! The relay never reads the workspace's documents: it shows only what a member who writes handed it
//! as a publication, rendered by `rapport_core::knowledge::render` (never HTML a device wrote), under
//! a Content-Security-Policy that runs no script. A reader's answer is kept once per reader — a random
//! cookie, not an account — and the latest answer counts.
//!
//! Who may do what: members who write publish and withdraw; every member reads the list (revisions and
//! answers); a workspace the caller is not in is answered like one that does not exist (404); anyone
//! reads the published pages, and a workspace with none has no help pages (404, as an unknown one).

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use rapport_core::ids::ArticleId;
use rapport_core::knowledge::{
    self, ArticleRow, MOST_BODY_BYTES, MOST_CATEGORY_CHARS, MOST_TITLE_CHARS, Publication,
    PublicationRefused, Published,
};
use serde::Deserialize;

use crate::AppState;
use crate::accounts::{Refusal, Why, bad_request, json_body, random_token};
use crate::services::{Caching, PublicPage, escape};
use crate::store::articles as store;
use crate::workspaces::member_of;

/// A publication's JSON: its text (quotes and line ends escaped, so up to twice as long), title and
/// category.
const MOST_PUBLICATION_BYTES: usize =
    MOST_BODY_BYTES * 2 + (MOST_TITLE_CHARS + MOST_CATEGORY_CHARS) * 8 + 1024;
/// The cookie naming a reader, so each reader's answer counts once.
const READER_COOKIE: &str = "rapport_reader";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces/{id}/articles", get(list))
        .route(
            "/api/workspaces/{id}/articles/{article}",
            put(publish).delete(withdraw).layer(DefaultBodyLimit::max(MOST_PUBLICATION_BYTES)),
        )
        .route("/help/{workspace}", get(index))
        .route("/help/{workspace}/{article}", get(article_page))
        .route(
            "/help/{workspace}/{article}/helpful",
            post(answer).layer(DefaultBodyLimit::max(1024)),
        )
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

/// The article id in a path, in its one text form.
fn article_id(text: &str) -> Result<String, Refusal> {
    text.parse::<ArticleId>().map(|id| id.to_string()).map_err(|_| bad_request(Why::BadArticle))
}

/// The workspace's published articles with their revisions and readers' answers (any member).
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(workspace): Path<String>,
) -> Result<Json<Published>, Refusal> {
    member_of(&state, &headers, workspace.clone()).await?;
    let articles = state.store.run(move |db| store::list(db, &workspace)).await?;
    Ok(Json(Published { articles }))
}

/// Publishes an article, or its new revision (members who write).
async fn publish(
    State(state): State<AppState>,
    Path((workspace, article)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<StatusCode, Refusal> {
    let (_, membership) = member_of(&state, request.headers(), workspace.clone()).await?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None));
    }
    let article = article_id(&article)?;
    let Json(publication): Json<Publication> = json_body(request).await?;
    match publication.refused() {
        None => {}
        Some(PublicationRefused::TooLong) => {
            return Err(Refusal(StatusCode::PAYLOAD_TOO_LARGE, Why::ArticleTooLong, None));
        }
        Some(_) => return Err(bad_request(Why::BadArticle)),
    }
    let publication = Publication {
        title: publication.title.trim().to_owned(),
        category: publication.category.trim().to_owned(),
        body: publication.body,
    };
    let (at, most) = (now_ms(), state.limits.published_articles_per_workspace);
    let published = state
        .store
        .run(move |db| store::publish(db, (&workspace, &article), &publication, most, at))
        .await?;
    if !published {
        return Err(Refusal(StatusCode::CONFLICT, Why::TooManyArticles, None));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Takes an article off the help pages (members who write); done already is done.
async fn withdraw(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((workspace, article)): Path<(String, String)>,
) -> Result<StatusCode, Refusal> {
    let (_, membership) = member_of(&state, &headers, workspace.clone()).await?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None));
    }
    let article = article_id(&article)?;
    state.store.run(move |db| store::withdraw(db, &workspace, &article)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The pages' words, in the reader's language as their browser names it (Russian or English).
struct Words {
    lang: &'static str,
    help: &'static str,
    other: &'static str,
    all_articles: &'static str,
    helpful: &'static str,
    yes: &'static str,
    no: &'static str,
    thanks: &'static str,
    not_found: &'static str,
    not_found_text: &'static str,
}

const ENGLISH: Words = Words {
    lang: "en",
    help: "Help",
    other: "Other articles",
    all_articles: "All articles",
    helpful: "Was this article helpful?",
    yes: "Yes",
    no: "No",
    thanks: "Thank you for your answer.",
    not_found: "Nothing here",
    not_found_text: "This page does not exist or is no longer published.",
};

const RUSSIAN: Words = Words {
    lang: "ru",
    help: "Справка",
    other: "Другие статьи",
    all_articles: "Все статьи",
    helpful: "Статья была полезной?",
    yes: "Да",
    no: "Нет",
    thanks: "Спасибо за ответ.",
    not_found: "Здесь ничего нет",
    not_found_text: "Такой страницы нет или она больше не опубликована.",
};

/// Russian when the browser prefers it, English otherwise.
fn words(headers: &HeaderMap) -> &'static Words {
    if crate::services::prefers_russian(headers) { &RUSSIAN } else { &ENGLISH }
}

/// A help page: no script runs on it (the policy allows none), forms post only here.
fn page(status: StatusCode, words: &Words, title: &str, body: &str) -> Response {
    let style = "body{line-height:1.6;max-width:42rem}\
         a{color:#2456d6}h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.2rem;margin-top:2rem}\
         nav{font-size:.9rem}ul.articles{padding:0;list-style:none}ul.articles li{margin:.5rem 0}\
         .category{color:#5b6270;font-size:.9rem}blockquote{border-left:3px solid #ccd;margin:0;padding-left:1rem;color:#444}\
         pre,code{background:#f3f4f6;border-radius:4px}pre{padding:.75rem;overflow:auto}img{max-width:100%}\
         table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.25rem .5rem}\
         form.helpful{margin-top:2.5rem;padding-top:1rem;border-top:1px solid #dde}\
         form.helpful button{min-width:88px;padding:0 .75rem;margin-right:.5rem}";
    let page = PublicPage { lang: words.lang, title, style, body };
    page.answer(status, Caching::Revalidate)
}

fn not_found(words: &Words) -> Response {
    let body = format!("<h1>{}</h1><p>{}</p>", words.not_found, words.not_found_text);
    page(StatusCode::NOT_FOUND, words, words.not_found, &body)
}

/// The workspace's name and published articles as rows without their text (for grouping), or `None`
/// when it has no help pages. The rows are made after the database is let go.
async fn published(
    state: &AppState,
    workspace: String,
) -> Result<Option<(String, Vec<ArticleRow>)>, Refusal> {
    let found = state
        .store
        .run(move |db| {
            let Some(name) = store::workspace_name(db, &workspace)? else { return Ok(None) };
            Ok(Some((name, store::index(db, &workspace)?)))
        })
        .await?;
    let Some((name, index)) = found else { return Ok(None) };
    let rows: Vec<ArticleRow> = index
        .into_iter()
        .filter_map(|(id, publication)| {
            Some(ArticleRow::of_publication(id.parse::<ArticleId>().ok()?, &publication))
        })
        .collect();
    Ok((!rows.is_empty()).then_some((name, rows)))
}

/// The articles by category, each a link to its page.
fn article_list(workspace: &str, rows: &[ArticleRow], words: &Words) -> String {
    let mut html = String::new();
    for (category, rows) in knowledge::by_category(rows) {
        let heading = if category.is_empty() { words.other } else { &category };
        html.push_str(&format!("<h2>{}</h2><ul class=articles>", escape(heading)));
        for row in rows {
            html.push_str(&format!(
                "<li><a href=\"/help/{workspace}/{id}\">{title}</a></li>",
                id = row.id,
                title = escape(&row.title),
            ));
        }
        html.push_str("</ul>");
    }
    html
}

/// The workspace's help pages: every published article, by category.
async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(workspace): Path<String>,
) -> Result<Response, Refusal> {
    let words = words(&headers);
    let Ok(id) = workspace.parse::<rapport_core::ids::WorkspaceId>() else {
        return Ok(not_found(words));
    };
    let workspace = id.to_string();
    let Some((name, rows)) = published(&state, workspace.clone()).await? else {
        return Ok(not_found(words));
    };
    let title = format!("{} — {}", name, words.help);
    let body = format!("<h1>{}</h1>{}", escape(&title), article_list(&workspace, &rows, words));
    Ok(page(StatusCode::OK, words, &title, &body))
}

/// One article, with "was this helpful?" under it. `answered` shows the thanks instead of the form.
async fn show_article(
    state: &AppState,
    words: &Words,
    workspace: String,
    article: String,
    answered: bool,
) -> Result<Response, Refusal> {
    let (Ok(id), Ok(article)) =
        (workspace.parse::<rapport_core::ids::WorkspaceId>(), article.parse::<ArticleId>())
    else {
        return Ok(not_found(words));
    };
    let (workspace, article) = (id.to_string(), article.to_string());
    let found = {
        let (workspace, article) = (workspace.clone(), article.clone());
        state
            .store
            .run(move |db| {
                let name = store::workspace_name(db, &workspace)?;
                Ok(name.zip(store::page_of(db, &workspace, &article)?))
            })
            .await?
    };
    let Some((name, found)) = found else { return Ok(not_found(words)) };
    let publication = &found.publication;
    let category = if publication.category.is_empty() {
        String::new()
    } else {
        format!("<p class=category>{}</p>", escape(&publication.category))
    };
    let feedback = if answered {
        format!("<p class=helpful role=status>{}</p>", words.thanks)
    } else {
        format!(
            "<form class=helpful method=post action=\"/help/{workspace}/{article}/helpful\">\
             <p>{question}</p>\
             <button type=submit name=helpful value=yes>{yes}</button>\
             <button type=submit name=helpful value=no>{no}</button></form>",
            question = words.helpful,
            yes = words.yes,
            no = words.no,
        )
    };
    let body = format!(
        "<nav><a href=\"/help/{workspace}\">{name} — {help}</a></nav>\
         <article>{category}<h1>{title}</h1>{html}</article>{feedback}\
         <p><a href=\"/help/{workspace}\">{all}</a></p>",
        name = escape(&name),
        help = words.help,
        title = escape(&publication.title),
        html = knowledge::render(&publication.body),
        all = words.all_articles,
    );
    Ok(page(StatusCode::OK, words, &publication.title, &body))
}

async fn article_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((workspace, article)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    show_article(&state, words(&headers), workspace, article, false).await
}

#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    helpful: String,
}

/// A reader's answer to "was this helpful?": kept (replacing their earlier one) while the article is
/// published, then the article again with thanks. Anything but yes or no changes nothing.
async fn answer(
    State(state): State<AppState>,
    Path((workspace, article)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<Response, Refusal> {
    use axum::extract::FromRequest;
    let headers = request.headers().clone();
    let words = words(&headers);
    state.guards.answer(crate::server::client_address(request.extensions()).map(|a| a.ip()))?;
    let form = Form::<Answer>::from_request(request, &()).await;
    let helpful = match form.map(|Form(answer)| answer.helpful) {
        Ok(answer) if answer == "yes" => true,
        Ok(answer) if answer == "no" => false,
        _ => {
            let mut response = show_article(&state, words, workspace, article, false).await?;
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::BAD_REQUEST;
            }
            return Ok(response);
        }
    };
    let (Ok(ws), Ok(id)) =
        (workspace.parse::<rapport_core::ids::WorkspaceId>(), article.parse::<ArticleId>())
    else {
        return Ok(not_found(words));
    };
    let known = crate::accounts::cookie_value(&headers, READER_COOKIE)
        .filter(|reader| reader.len() == 64 && reader.bytes().all(|b| b.is_ascii_hexdigit()));
    let reader = known.clone().unwrap_or_else(random_token);
    let (ws, id, who) = (ws.to_string(), id.to_string(), reader.clone());
    let at = now_ms();
    let kept = state.store.run(move |db| store::vote(db, &ws, &id, &who, helpful, at)).await?;
    if !kept {
        return Ok(not_found(words));
    }
    let mut response = show_article(&state, words, workspace, article, true).await?;
    if known.is_none() {
        let cookie = format!(
            "{READER_COOKIE}={reader}; Path=/help; Max-Age=31536000; HttpOnly; SameSite=Lax{}",
            if state.behind_tls { "; Secure" } else { "" },
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}
