//! The knowledge base: articles by category, found offline with the same search as people, and a
//! new article started from here. The help pages readers see are the relay's (`/help/<workspace>`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::ids::ArticleId;
use rapport_core::knowledge::{self, ArticleRow};
use rapport_core::model::Article;
use rapport_core::read_model::Changed;

use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn Knowledge() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let query = RwSignal::new(String::new());
    let rows = Memo::new(move |_| {
        ctx.read_of(Changed::ARTICLES, |ws| ws.model.articles.values().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    });
    // What the search found, best first; the whole knowledge base by category without a query.
    let found = Memo::new(move |_| {
        let query = query.get();
        rows.with(|rows| {
            let ids = knowledge::matching(rows, &query);
            ids.into_iter()
                .filter_map(|id| rows.iter().find(|row| row.id == id).cloned())
                .collect::<Vec<_>>()
        })
    });
    let groups = Memo::new(move |_| {
        rows.with(|rows| {
            knowledge::by_category(rows)
                .into_iter()
                .map(|(category, rows)| (category, rows.into_iter().cloned().collect::<Vec<_>>()))
                .collect::<Vec<_>>()
        })
    });
    let public_index = move || {
        let workspace = ctx.read_of(Changed::NOTHING, |ws| ws.workspace)?;
        rows.with(|rows| rows.iter().any(|row| row.published)).then(|| format!("/help/{workspace}"))
    };
    let creating = RwSignal::new(false);
    view! {
        <Page key="knowledge" title=move || t_string!(i18n, knowledge.title)>
            <input
                type="search"
                class="search"
                data-testid="article-search"
                placeholder=move || t_string!(i18n, knowledge.search)
                aria-label=move || t_string!(i18n, knowledge.search)
                prop:value=move || query.get()
                on:input=move |e| query.set(event_target_value(&e))
            />
            <div class="list-toolbar">
                <Show when=move || account.can_edit() && !creating.get()>
                    <button type="button" class="primary-action" data-testid="new-article-open" on:click=move |_| creating.set(true)>
                        {t!(i18n, knowledge.new_article)}
                    </button>
                </Show>
                {move || public_index().map(|href| view! {
                    <a href=href target="_blank" rel="noopener" data-testid="help-pages-link">{t!(i18n, knowledge.help_pages)}</a>
                })}
            </div>
            <Show when=move || creating.get()>
                <NewArticle
                    categories=Signal::derive(move || groups.with(|g| g.iter().map(|(c, _)| c.clone()).filter(|c| !c.is_empty()).collect()))
                    done=Callback::new(move |()| creating.set(false))
                />
            </Show>
            <Show
                when=move || rows.with(|rows| !rows.is_empty())
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, knowledge.empty) hint=move || t_string!(i18n, knowledge.empty_hint) /> }
            >
                <Show
                    when=move || query.with(|q| q.trim().is_empty())
                    fallback=move || view! {
                        <section class="panel" data-testid="article-results">
                            <p class="count">{move || t_string!(i18n, knowledge.found, count = crate::widgets::count(found.with(Vec::len))).to_string()}</p>
                            <ul class="article-list">
                                {move || found.get().into_iter().map(|row| view! { <ArticleLine row /> }).collect_view()}
                            </ul>
                        </section>
                    }
                >
                    {move || groups.get().into_iter().map(|(category, rows)| {
                        let heading = if category.is_empty() { t_string!(i18n, knowledge.uncategorised).to_owned() } else { category.clone() };
                        view! {
                            <section class="panel" data-testid="article-category" data-name=category>
                                <h2>{heading}</h2>
                                <ul class="article-list">
                                    {rows.into_iter().map(|row| view! { <ArticleLine row /> }).collect_view()}
                                </ul>
                            </section>
                        }
                    }).collect_view()}
                </Show>
            </Show>
        </Page>
    }
}

/// One article in a list: its title, whether it is published, and the start of its text.
#[component]
fn ArticleLine(row: ArticleRow) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <li class="article-line" data-testid="article-row" data-title=row.title.clone()>
            <a class="row-link" href=format!("/knowledge/{}", row.id)>
                <span class="row-title">{row.title.clone()}</span>
                <span class="row-detail">{row.excerpt.clone()}</span>
            </a>
            {(!row.published).then(|| view! { <span class="tag" data-testid="article-draft">{t!(i18n, knowledge.draft)}</span> })}
        </li>
    }
}

/// Starts an article: a title and a category, then its page to write it on.
#[component]
fn NewArticle(categories: Signal<Vec<String>>, done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let title = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = title.get_untracked().trim().to_owned();
        if named.is_empty() {
            error.set(Some(t_string!(i18n, knowledge.title_needed).to_owned()));
            return;
        }
        let navigate = navigate.clone();
        let category = category.get_untracked().trim().to_owned();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let id = ArticleId::generate(&mut local::BrowserIds);
            let (now, me) = (local::now(), ctx.read(|ws| ws.me).flatten());
            let article = Article {
                title: named,
                category,
                created_at: now,
                created_by: me,
                updated_at: now,
                updated_by: me,
                ..Article::default()
            };
            match local::create(&shared, id, article).await {
                Ok(()) => {
                    ctx.changed();
                    navigate(&format!("/knowledge/{id}"), Default::default());
                }
                Err(failure) => {
                    error.set(Some(failure.to_string()));
                    ctx.report(&failure);
                }
            }
        });
    };
    view! {
            <form class="record-form panel" on:submit=create data-testid="new-article">
                <label>
                    {t!(i18n, knowledge.article_title)}
                    <input type="text" required maxlength=knowledge::MOST_TITLE_CHARS data-testid="new-article-title"
                        prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, knowledge.category)}
                    <input type="text" list="article-categories" maxlength=knowledge::MOST_CATEGORY_CHARS data-testid="new-article-category"
                        prop:value=move || category.get() on:input=move |e| category.set(event_target_value(&e)) />
                </label>
                <datalist id="article-categories">
                    {move || categories.get().into_iter().map(|c| view! { <option value=c /> }).collect_view()}
                </datalist>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="field-row">
                    <button type="submit" class="primary-action" data-testid="new-article-create">{t!(i18n, knowledge.create)}</button>
                    <button type="button" on:click=move |_| done.run(())>{t!(i18n, knowledge.cancel)}</button>
                </div>
            </form>
    }
}
