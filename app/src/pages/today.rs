//! Today: what to do now — overdue tasks and today's (ticked, snoozed or reassigned right here), and the
//! people whose keep-in-touch cadence has run out (each a link to the record and a call to log), and the
//! contracts whose last day to give notice or end is within their reminder days. Each group shows its
//! first few; "Show all" lists the rest.

use leptos::prelude::*;
use rapport_core::contract::{self, CalendarDate};
use rapport_core::ids::{ContractId, PartyId, TaskId, Timestamp};
use rapport_core::queries;
use rapport_core::read_model::Changed;

use super::contracts::DateLine;
use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;
use crate::widgets::TaskRowById;
use crate::widgets::{self, Windowed};

/// A contract's notice date or end.
type ContractDate = CalendarDate<ContractId>;

/// How many of a group show before "Show all".
const FIRST: usize = 5;

/// What is due: overdue and today's tasks (ids), people to get in touch with.
#[derive(Debug, Clone, Default, PartialEq)]
struct Due {
    overdue: Vec<TaskId>,
    today: Vec<TaskId>,
    contact: Vec<Contact>,
    contracts: Vec<ContractDate>,
}

/// A person to get in touch with: since when it was due, and the last contact if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Contact {
    party: PartyId,
    due: Timestamp,
    last: Option<Timestamp>,
}

#[component]
pub(crate) fn Today() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let i18n = use_i18n();
    let due = Memo::new(move |_| {
        let span = crate::timing::Span::start("rapport:today");
        let day_start = widgets::local_day_start(0);
        let due = ctx
            .read_of(
                Changed::TASKS | Changed::PARTIES | Changed::INTERACTIONS | Changed::CONTRACTS,
                |ws| {
                    let tasks = queries::due_tasks(&ws.model, ws.me, day_start);
                    let contact = queries::keep_in_touch_due(&ws.model, local::now())
                        .into_iter()
                        .map(|r| Contact { party: r.party, due: r.due, last: r.last_contact })
                        .collect();
                    let contracts = contract::due_soon(
                        ws.model.contracts.values(),
                        ws.me,
                        widgets::local_day(local::now()),
                    );
                    Due {
                        overdue: tasks.overdue.iter().map(|row| row.id).collect(),
                        today: tasks.today.iter().map(|row| row.id).collect(),
                        contact,
                        contracts,
                    }
                },
            )
            .unwrap_or_default();
        span.end();
        due
    });
    Effect::new(move || {
        due.track();
        crate::timing::mark("rapport:today-rendered");
    });
    let overdue = Memo::new(move |_| due.with(|d| d.overdue.clone()));
    let today = Memo::new(move |_| due.with(|d| d.today.clone()));
    let contact = Memo::new(move |_| due.with(|d| d.contact.clone()));
    let contracts = Memo::new(move |_| due.with(|d| d.contracts.clone()));
    let nothing = move || {
        due.with(|d| {
            d.overdue.is_empty()
                && d.today.is_empty()
                && d.contact.is_empty()
                && d.contracts.is_empty()
        })
    };
    view! {
        <Page key="today" title=move || t_string!(i18n, nav.today)>
            <Show when=move || account.can_edit()>
                <nav class="record-actions" aria-label=move || t_string!(i18n, today.log)>
                    <a class="action" href="/log/visit" data-testid="today-log-visit">{t!(i18n, palette.log_visit)}</a>
                    <a class="action" href="/log/call" data-testid="today-log-call">{t!(i18n, palette.log_call)}</a>
                </nav>
            </Show>
            <p class="count" data-testid="today-summary">
                {move || due.with(|d| t_string!(i18n, today.summary, overdue = widgets::count(d.overdue.len()), today = widgets::count(d.today.len()), reminders = widgets::count(d.contact.len())).to_string())}
            </p>
            <Show
                when=move || !nothing()
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, today.empty) hint=move || t_string!(i18n, today.empty_hint) /> }
            >
                <Group key="overdue" title=move || t_string!(i18n, tasks.overdue) items=overdue class="tasks" row_px=64
                    row=|id: TaskId| view! { <TaskRowById id /> } id_of=|id: &TaskId| id.to_string() />
                <Group key="today" title=move || t_string!(i18n, tasks.today) items=today class="tasks" row_px=64
                    row=|id: TaskId| view! { <TaskRowById id /> } id_of=|id: &TaskId| id.to_string() />
                <Group key="contact" title=move || t_string!(i18n, today.keep_in_touch_title) items=contact class="contacts" row_px=56
                    row=|contact: Contact| view! { <ContactRow contact /> } id_of=|c: &Contact| c.party.to_string() />
                <Group key="contracts" title=move || t_string!(i18n, contract.title) items=contracts class="contract-dates" row_px=64
                    row=|date: ContractDate| view! { <DateLine date /> }
                    id_of=|date: &ContractDate| format!("{}-{:?}", date.contract, date.kind) />
            </Show>
        </Page>
    }
}

/// One group of Today: its heading and count, the first few rows, and "Show all" for the rest.
#[component]
fn Group<T, R, V, I>(
    key: &'static str,
    #[prop(into)] title: Signal<&'static str>,
    items: Memo<Vec<T>>,
    class: &'static str,
    row_px: u32,
    row: R,
    id_of: I,
) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
    R: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    I: Fn(&T) -> String + Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let all = RwSignal::new(false);
    let shown = Signal::derive(move || {
        items.with(|items| {
            if all.get() { items.clone() } else { items.iter().take(FIRST).cloned().collect() }
        })
    });
    let total = move || items.with(Vec::len);
    view! {
        <Show when=move || total() != 0>
            <section class="panel" data-testid=format!("today-{key}")>
                <h2>{move || format!("{} · {}", title.get(), widgets::count(total()))}</h2>
                <Windowed items=shown key=id_of.clone() row=row.clone() class=class testid="due-list" row_px />
                <Show when=move || FIRST < total()>
                    <button type="button" class="subtle show-all" data-testid=format!("today-{key}-all") on:click=move |_| all.update(|all| *all = !*all)>
                        {move || if all.get() {
                            t_string!(i18n, today.show_fewer).to_string()
                        } else {
                            t_string!(i18n, today.show_all, count = widgets::count(total())).to_string()
                        }}
                    </button>
                </Show>
            </section>
        </Show>
    }
}

/// Someone to get in touch with: their record, since when and the last contact, and a call to log.
#[component]
fn ContactRow(contact: Contact) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let party = contact.party;
    let name = Memo::new(move |_| {
        ctx.read(|ws| ws.model.parties.get(&party).map(|row| row.name.clone()))
            .flatten()
            .unwrap_or_default()
    });
    let last = contact.last.map_or_else(
        || t_string!(i18n, today.never_contacted).to_string(),
        |at| t_string!(i18n, today.last_contact, date = widgets::local_date(at)).to_string(),
    );
    let due = t_string!(i18n, today.due_since, date = widgets::local_date(contact.due)).to_string();
    view! {
        <div class="row contact" data-testid="contact-row">
            <a class="row-link" href=format!("/parties/{party}") data-testid="contact-party">
                <span class="row-title">{move || name.get()}</span>
                <span class="row-detail">{format!("{due} · {last}")}</span>
            </a>
            <Show when=move || account.can_edit()>
                <a class="action" href=format!("/log/call?party={party}") data-testid="contact-log-call">{t!(i18n, party.log_call)}</a>
            </Show>
        </div>
    }
}
