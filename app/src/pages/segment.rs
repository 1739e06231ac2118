//! One segment: its name, its rule — groups of conditions over people's fields, custom fields, tags,
//! roles, owner, last contact, deals, tickets, consent and lists — counted live as it is edited, and
//! the people it holds now; or, for a static list, its members, added and removed by hand.
//!
//! The rule being edited is a draft that follows the stored one ([`widgets::follow`]): a colleague's
//! change shows at once unless this person is mid-edit. Choices are saved as they are made; typed
//! values when the field is left (the count follows every keystroke without writing each one).

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{MemberId, PartyId, SegmentId};
use rapport_core::model::{
    CampaignActivity, Condition, ConsentState, DealState, FieldKind, Op, PartyField, RecordKind,
    Role, RuleCondition, RuleEdit, Segment, SegmentRule,
};
use rapport_core::read_model::Changed;
use rapport_core::segments::{ConditionError, Reader, SegmentRow};

use super::Page;
use super::marketing::{create_and_open, with_audience};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets;

/// How many of a segment's people the page lists; the rest are in the people list.
const SHOWN: usize = 50;

type Change = Box<dyn FnOnce(&mut Segment) + Send>;

/// How many a segment holds, and the first [`SHOWN`] of them by name.
type Found = (usize, Vec<(PartyId, String)>);

fn write(
    ctx: WorkspaceCtx,
    id: SegmentId,
    change: Change,
    error: RwSignal<Option<String>>,
    done: impl FnOnce(bool) + 'static,
) {
    spawn_local(async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let result = local::update::<Segment>(&shared, id, change).await;
        done(ctx.settle(result, error));
    });
}

#[component]
pub(crate) fn SegmentPage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|id| id.parse::<SegmentId>().ok()))
    });
    let row = Memo::new(move |_| {
        let id = id.get()?;
        ctx.read_of(Changed::MARKETING, |ws| ws.model.segments.get(&id).cloned()).flatten()
    });
    let title = move || {
        row.with(|r| r.as_ref().map(|r| r.name.clone()))
            .unwrap_or_else(|| t_string!(i18n, marketing.segment).to_owned())
    };
    let list = Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.list)));
    view! {
        <Page key="segment" title>
            <p class="hint"><a href="/marketing" data-testid="back-to-marketing">{t!(i18n, marketing.title)}</a></p>
            // Mounted afresh for each segment and kind: a draft of one never lands on another.
            {move || id.get().zip(list.get()).map(|(id, list)| view! {
                <SegmentBody id list row />
            })}
            <Show when=move || ctx.status.get() != crate::state::Status::Opening && row.with(Option::is_none)>
                <p class="hint" data-testid="segment-missing">{t!(i18n, marketing.no_such_segment)}</p>
            </Show>
        </Page>
    }
}

#[component]
fn SegmentBody(id: SegmentId, list: bool, row: Memo<Option<SegmentRow>>) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let stored =
        Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.rule.clone())).unwrap_or_default());
    let pending = RwSignal::new(None::<Pending>);
    // The rule as stored, with the value being typed (not saved yet) in its place.
    let shown = Memo::new(move |_| {
        let mut rule = stored.get();
        if let Some(edit) = pending.with(|typed| typed.as_ref().and_then(|t| t.edit(&rule))) {
            rule.apply(&edit);
        }
        rule
    });
    // How many the segment holds now, and the first of them by name.
    let members = Memo::new(move |_| {
        let rule = shown.get();
        with_audience(ctx, outbox, |audience, _| {
            let mut found: Vec<&rapport_core::read_model::PartyRow> = if list {
                row.with(|r| r.as_ref().map(|r| audience.of_segment(r)).unwrap_or_default())
            } else {
                audience.members(&rule)
            };
            let total = found.len();
            // Only the first are shown: ordering all of 100,000 on every keystroke would be waste.
            if found.len() > SHOWN {
                found.select_nth_unstable_by(SHOWN, |a, b| a.sort_name.cmp(&b.sort_name));
                found.truncate(SHOWN);
            }
            found.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
            (total, found.into_iter().map(|p| (p.id, p.name.clone())).collect::<Vec<_>>())
        })
        .unwrap_or_default()
    });
    let editor = RuleEditor { id, shown, pending };
    view! {
        <div class="record-layout">
            <div class="record-main">
                <SegmentName id row />
                {if list {
                    view! { <ListMembers id members /> }.into_any()
                } else {
                    view! { <RuleView editor /> }.into_any()
                }}
            </div>
            <div class="record-activity">
                <Members id list members />
                <ArchiveSegment id />
            </div>
        </div>
    }
}

/// The segment's name, changed in place.
#[component]
fn SegmentName(id: SegmentId, row: Memo<Option<SegmentRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let stored =
        Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.name.clone())).unwrap_or_default());
    let name = RwSignal::new(String::new());
    widgets::follow(stored, name);
    let error = RwSignal::new(None::<String>);
    let save = move || {
        let typed = name.get_untracked().trim().to_owned();
        if typed.is_empty() {
            return error.set(Some(t_string!(i18n, marketing.name_needed).to_owned()));
        }
        error.set(None);
        if typed == stored.get_untracked() {
            return;
        }
        write(ctx, id, Box::new(move |s| s.name = typed), error, |_| {});
    };
    view! {
        <section class="panel record-form">
            <label>
                {t!(i18n, marketing.name)}
                <input data-testid="segment-name" prop:value=move || name.get() disabled=move || !account.can_edit()
                    on:input=move |e| name.set(event_target_value(&e)) on:change=move |_| save() />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// Puts typed text into one field of a condition (a text that cannot be read leaves it as it is).
type Writer = Arc<dyn Fn(&mut Condition, &str) + Send + Sync>;

/// Text being typed into one field of a condition: counted at once, saved when the field is left.
/// Only that field is held: a colleague's change to the rest of the condition shows at once and is
/// kept when the text is saved.
#[derive(Clone)]
struct Pending {
    group: String,
    condition: String,
    text: String,
    write: Writer,
}

impl Pending {
    fn is_for(&self, group: &str, condition: &str) -> bool {
        self.group == group && self.condition == condition
    }

    /// Sets the condition as it is in `rule` with the typed field; none if it is no longer there.
    fn edit(&self, rule: &SegmentRule) -> Option<RuleEdit> {
        let mut test = rule.condition(&self.group, &self.condition)?.clone();
        (self.write)(&mut test, &self.text);
        Some(RuleEdit::Set { group: self.group.clone(), condition: self.condition.clone(), test })
    }
}

/// What the rule's screens share: the segment, the rule as shown, and the text being typed.
#[derive(Clone, Copy)]
struct RuleEditor {
    id: SegmentId,
    shown: Memo<SegmentRule>,
    pending: RwSignal<Option<Pending>>,
}

impl RuleEditor {
    /// Writes `edit` to the rule as stored, so a colleague's change elsewhere in it is kept.
    fn save(self, edit: RuleEdit, error: RwSignal<Option<String>>) {
        let ctx = WorkspaceCtx::use_ctx();
        write(
            ctx,
            self.id,
            Box::new(move |s| {
                s.rule.apply(&edit);
            }),
            error,
            |_| {},
        );
    }

    /// Changes one field of condition `condition` of `group` as stored — not the rest of it — now.
    fn choose(
        self,
        group: &str,
        condition: &str,
        set: impl FnOnce(&mut Condition) + Send + 'static,
        error: RwSignal<Option<String>>,
    ) {
        let ctx = WorkspaceCtx::use_ctx();
        let (group, condition) = (group.to_owned(), condition.to_owned());
        write(
            ctx,
            self.id,
            Box::new(move |s| {
                let Some(mut test) = s.rule.condition(&group, &condition).cloned() else { return };
                set(&mut test);
                s.rule.apply(&RuleEdit::Set { group, condition, test });
            }),
            error,
            |_| {},
        );
    }

    /// Holds `text` typed into the field of `condition` that `write` fills, until the field is left.
    fn type_into(self, group: &str, condition: &str, text: String, write: Writer) {
        self.pending.set(Some(Pending {
            group: group.to_owned(),
            condition: condition.to_owned(),
            text,
            write,
        }));
    }

    /// Forgets the text typed into `condition`, showing it as stored.
    fn forget(self, group: &str, condition: &str) {
        if self.pending.with_untracked(|p| p.as_ref().is_some_and(|p| p.is_for(group, condition))) {
            self.pending.set(None);
        }
    }

    /// Saves the text typed into `condition`, if any; it stops being held once saved, unless more
    /// was typed meanwhile. Kept (and said) when the write fails, so nothing typed is lost.
    fn commit(self, group: &str, condition: &str, error: RwSignal<Option<String>>) {
        let Some(typed) = self.pending.get_untracked().filter(|p| p.is_for(group, condition))
        else {
            return;
        };
        let ctx = WorkspaceCtx::use_ctx();
        let saving = typed.clone();
        write(
            ctx,
            self.id,
            Box::new(move |s| {
                if let Some(edit) = saving.edit(&s.rule) {
                    s.rule.apply(&edit);
                }
            }),
            error,
            move |saved| {
                if !saved {
                    return;
                }
                self.pending.update(|p| {
                    let same = p.as_ref().is_some_and(|p| {
                        p.is_for(&typed.group, &typed.condition) && p.text == typed.text
                    });
                    if same {
                        *p = None;
                    }
                });
            },
        );
    }
}

fn new_key() -> String {
    SegmentId::generate(&mut local::BrowserIds).to_string()
}

/// The rule's groups and conditions.
#[component]
fn RuleView(editor: RuleEditor) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let groups = Memo::new(move |_| {
        editor.shown.with(|r| r.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>())
    });
    let any = Memo::new(move |_| editor.shown.with(|r| r.any));
    let add_group = move |_| {
        let first = RuleCondition { id: new_key(), test: fresh(ctx, KINDS[0]) };
        editor.save(RuleEdit::AddGroup { group: new_key(), first }, error);
    };
    view! {
        <section class="panel" data-testid="rule">
            <h2>{t!(i18n, marketing.who)}</h2>
            <Show when=move || groups.with(|g| g.len() > 1)>
                <label>
                    {t!(i18n, marketing.groups_join)}
                    <AnyChoice testid="rule-any" any groups=true on_change=Callback::new(move |value| editor.save(RuleEdit::Any(value), error)) />
                </label>
            </Show>
            <Show when=move || groups.with(Vec::is_empty)>
                <p class="hint" data-testid="rule-everyone">{t!(i18n, marketing.everyone)}</p>
            </Show>
            <For each=move || groups.get() key=|g| g.clone() children=move |group: String| {
                let first = Signal::derive({
                    let group = group.clone();
                    move || groups.with(|g| g.first() == Some(&group))
                });
                view! { <Group group editor first /> }
            } />
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || account.can_edit()>
                <button type="button" class="secondary" data-testid="add-group" on:click=add_group>
                    {move || if groups.with(Vec::is_empty) { t_string!(i18n, marketing.add_condition) } else { t_string!(i18n, marketing.add_group) }}
                </button>
            </Show>
        </section>
    }
}

/// "all" or "any", as a select.
/// Of groups (`groups`) or of a group's conditions.
#[component]
fn AnyChoice(
    testid: &'static str,
    any: Memo<bool>,
    groups: bool,
    on_change: Callback<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let all = move || {
        if groups {
            t_string!(i18n, marketing.all_groups)
        } else {
            t_string!(i18n, marketing.all_conditions)
        }
    };
    let one = move || {
        if groups {
            t_string!(i18n, marketing.any_group)
        } else {
            t_string!(i18n, marketing.any_condition)
        }
    };
    view! {
        <select data-testid=testid prop:value=move || if any.get() { "any" } else { "all" }
            on:change=move |e| on_change.run(event_target_value(&e) == "any")>
            <option value="all" selected=move || !any.get()>{all}</option>
            <option value="any" selected=move || any.get()>{one}</option>
        </select>
    }
}

#[component]
fn Group(group: String, editor: RuleEditor, first: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let gid = StoredValue::new(group);
    let conditions = Memo::new(move |_| {
        editor.shown.with(|r| {
            r.groups
                .iter()
                .find(|g| gid.with_value(|id| g.id == *id))
                .map(|g| g.conditions.iter().map(|c| c.id.clone()).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    let any = Memo::new(move |_| {
        editor.shown.with(|r| r.groups.iter().any(|g| gid.with_value(|id| g.id == *id) && g.any))
    });
    // Why a condition admits nobody: read from the custom fields' kinds alone, not the whole
    // workspace, since it is asked on every keystroke.
    let problems = Memo::new(move |_| {
        let group = editor
            .shown
            .with(|r| r.groups.iter().find(|g| gid.with_value(|id| g.id == *id)).cloned());
        let group = group.unwrap_or_default();
        ctx.read_of(rapport_core::read_model::Changed::SETTINGS, |ws| {
            Reader::new(&ws.settings, local::now()).problems(&group)
        })
        .unwrap_or_default()
    });
    let add = move |_| {
        let condition = RuleCondition { id: new_key(), test: fresh(ctx, KINDS[0]) };
        editor.save(RuleEdit::Add { group: gid.get_value(), condition }, error);
    };
    let remove_group =
        move |_| editor.save(RuleEdit::RemoveGroup { group: gid.get_value() }, error);
    view! {
        <fieldset class="group condition-group" data-testid="condition-group">
            <legend>
                {move || if first.get() { t_string!(i18n, marketing.people_who) } else if editor.shown.with(|r| r.any) { t_string!(i18n, marketing.or_who) } else { t_string!(i18n, marketing.and_who) }}
            </legend>
            <Show when=move || conditions.with(|c| c.len() > 1)>
                <label>
                    {t!(i18n, marketing.conditions_join)}
                    <AnyChoice testid="group-any" any groups=false on_change=Callback::new(move |value| {
                        editor.save(RuleEdit::GroupAny { group: gid.get_value(), any: value }, error);
                    }) />
                </label>
            </Show>
            <ul class="conditions">
                <For each=move || conditions.get() key=|c| c.clone() let:condition>
                    <ConditionRow group=gid.get_value() condition editor problems />
                </For>
            </ul>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || account.can_edit()>
                <div class="field-row wrapping">
                    <button type="button" class="secondary" data-testid="add-condition" on:click=add>{t!(i18n, marketing.add_condition)}</button>
                    <button type="button" class="secondary" data-testid="remove-group" on:click=remove_group>{t!(i18n, marketing.remove_group)}</button>
                </div>
            </Show>
        </fieldset>
    }
}

/// The kinds of condition, in the menu's order; a new condition starts as the first.
const KINDS: [&str; 15] = [
    "tag",
    "role",
    "owner",
    "field",
    "custom",
    "kind",
    "contacted",
    "deal",
    "ticket",
    "consent",
    "list",
    "created",
    "campaign",
    "score",
    "health",
];

fn kind_of(condition: &Condition) -> &'static str {
    match condition {
        Condition::Kind { .. } => "kind",
        Condition::Role { .. } => "role",
        Condition::Tag { .. } => "tag",
        Condition::Owner { .. } => "owner",
        Condition::Field { .. } => "field",
        Condition::Custom { .. } => "custom",
        Condition::Contacted { .. } => "contacted",
        Condition::Deal { .. } => "deal",
        Condition::Ticket { .. } => "ticket",
        Condition::Consent { .. } => "consent",
        Condition::InList { .. } => "list",
        Condition::Created { .. } => "created",
        Condition::Campaign { .. } => "campaign",
        Condition::Score { .. } => "score",
        Condition::Health { .. } => "health",
    }
}

fn kind_label(kind: &str) -> &'static str {
    let i18n = use_i18n();
    match kind {
        "kind" => t_string!(i18n, marketing.c_kind),
        "role" => t_string!(i18n, marketing.c_role),
        "tag" => t_string!(i18n, marketing.c_tag),
        "owner" => t_string!(i18n, marketing.c_owner),
        "field" => t_string!(i18n, marketing.c_field),
        "custom" => t_string!(i18n, marketing.c_custom),
        "contacted" => t_string!(i18n, marketing.c_contacted),
        "deal" => t_string!(i18n, marketing.c_deal),
        "ticket" => t_string!(i18n, marketing.c_ticket),
        "consent" => t_string!(i18n, marketing.c_consent),
        "list" => t_string!(i18n, marketing.c_list),
        "campaign" => t_string!(i18n, marketing.c_campaign),
        "score" => t_string!(i18n, marketing.c_score),
        "health" => t_string!(i18n, marketing.c_health),
        _ => t_string!(i18n, marketing.c_created),
    }
}

/// A condition of the kind named `kind`, as it starts when chosen.
fn fresh(ctx: WorkspaceCtx, kind: &str) -> Condition {
    match kind {
        "kind" => Condition::Kind { organisation: false },
        "role" => Condition::Role { role: Role::Customer.key().to_owned(), has: true },
        "field" => {
            Condition::Field { field: PartyField::Name, op: Op::Contains, value: String::new() }
        }
        "custom" => {
            let field = ctx
                .read(|ws| {
                    ws.settings
                        .custom_fields
                        .iter()
                        .find(|(_, f)| f.applies_to == RecordKind::Party)
                        .map(|(id, _)| id.clone())
                })
                .flatten()
                .unwrap_or_default();
            Condition::Custom { field, op: Op::Is, value: String::new() }
        }
        "contacted" => Condition::Contacted { within: true, days: 30 },
        "deal" => {
            Condition::Deal { has: true, state: DealState::Open, stage: None, at_least: None }
        }
        "ticket" => Condition::Ticket { has: true, open: true },
        "consent" => Condition::Consent { state: ConsentState::Given },
        "list" => {
            let list = ctx
                .read(|ws| ws.model.segments.values().find(|s| s.list && !s.archived).map(|s| s.id))
                .flatten()
                .unwrap_or_else(|| SegmentId::from_bytes([0; 16]));
            Condition::InList { list, has: true }
        }
        "created" => Condition::Created { days: 30 },
        "campaign" => {
            Condition::Campaign { campaign: None, activity: CampaignActivity::Opened, has: true }
        }
        "score" => Condition::Score { at_least: true, points: 50 },
        // Below where a relationship is said to be going cold: who to win back.
        "health" => {
            Condition::Health { at_least: false, points: rapport_core::relationship::COLD_BELOW }
        }
        "owner" => Condition::Owner { owner: ctx.read(|ws| ws.me).flatten() },
        _ => Condition::Tag { tag: String::new(), has: true },
    }
}

fn problem_text(problem: &ConditionError) -> String {
    let i18n = use_i18n();
    match problem {
        ConditionError::NotANumber(text) => {
            t_string!(i18n, marketing.not_a_number, text = text.clone()).to_string()
        }
        ConditionError::NotADate(text) => {
            t_string!(i18n, marketing.not_a_date, text = text.clone()).to_string()
        }
        ConditionError::NotAPhone(text) => {
            t_string!(i18n, marketing.not_a_phone, text = text.clone()).to_string()
        }
        ConditionError::UnknownField => t_string!(i18n, marketing.unknown_field).to_owned(),
        ConditionError::NoValue => t_string!(i18n, marketing.value_needed).to_owned(),
    }
}

/// One condition, addressed by its group's and its own id: what it tests, its values, and why it
/// admits nobody when it cannot be read.
#[derive(Clone)]
struct Row {
    group: StoredValue<String>,
    condition: StoredValue<String>,
    editor: RuleEditor,
    /// The condition as shown.
    test: Memo<Option<Condition>>,
    error: RwSignal<Option<String>>,
}

impl Row {
    /// Changes the condition as stored, now.
    fn choose(&self, set: impl FnOnce(&mut Condition) + Send + 'static) {
        self.editor.choose(&self.group.get_value(), &self.condition.get_value(), set, self.error);
    }

    /// Holds text typed into the field `write` fills, counted at once.
    fn type_into(&self, text: String, write: Writer) {
        self.editor.type_into(&self.group.get_value(), &self.condition.get_value(), text, write);
    }

    fn forget(&self) {
        self.editor.forget(&self.group.get_value(), &self.condition.get_value());
    }

    /// Saves what was typed; called when the field is left, and on Enter.
    fn commit(&self) {
        self.editor.commit(&self.group.get_value(), &self.condition.get_value(), self.error);
    }

    /// A key read off the condition as shown, for a select's current option.
    fn read(&self, read: fn(&Condition) -> String) -> Signal<String> {
        let test = self.test;
        Signal::derive(move || test.with(|c| c.as_ref().map(read).unwrap_or_default()))
    }
}

#[component]
fn ConditionRow(
    group: String,
    condition: String,
    editor: RuleEditor,
    problems: Memo<Vec<(String, ConditionError)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let (g, c) = (group.clone(), condition.clone());
    let test = Memo::new(move |_| editor.shown.with(|r| r.condition(&g, &c).cloned()));
    let kind = Memo::new(move |_| test.with(|c| c.as_ref().map(kind_of)));
    let error = RwSignal::new(None::<String>);
    let row = Row {
        group: StoredValue::new(group.clone()),
        condition: StoredValue::new(condition.clone()),
        editor,
        test,
        error,
    };
    let choose_kind = {
        let row = row.clone();
        move |e: leptos::ev::Event| {
            let chosen = fresh(ctx, &event_target_value(&e));
            row.choose(move |c| *c = chosen);
        }
    };
    let remove = move |_| {
        editor.save(RuleEdit::Remove { group: group.clone(), condition: condition.clone() }, error);
    };
    let id = row.condition;
    let problem = move || {
        problems.with(|p| {
            p.iter().find(|(c, _)| id.with_value(|id| c == id)).map(|(_, why)| problem_text(why))
        })
    };
    let params = row.clone();
    view! {
        <li class="condition" data-testid="condition" data-kind=move || kind.get().unwrap_or_default()>
            <fieldset class="field-row wrapping" disabled=move || !account.can_edit()>
                <select data-testid="condition-kind" aria-label=move || t_string!(i18n, marketing.condition)
                    prop:value=move || kind.get().unwrap_or_default() on:change=choose_kind>
                    {KINDS.into_iter().map(|k| view! { <option value=k selected=move || kind.get() == Some(k)>{move || kind_label(k)}</option> }).collect_view()}
                </select>
                // Rebuilt only when the kind or the language changes: every value in it follows the
                // condition as shown.
                {move || {
                    let _language = i18n.get_locale();
                    kind.get().map(|_| view! { <Params row=params.clone() /> })
                }}
                <button type="button" class="icon-button" data-testid="condition-remove" aria-label=move || t_string!(i18n, marketing.remove_condition) on:click=remove>"×"</button>
            </fieldset>
            {move || problem().map(|p| view! { <p class="error" data-testid="condition-problem">{p}</p> })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </li>
    }
}

/// A select whose current option follows `current`; `options` are (value, label).
#[component]
fn Choice(
    testid: &'static str,
    #[prop(into)] label: Signal<String>,
    options: Vec<(String, String)>,
    current: Signal<String>,
    on_change: Callback<String>,
) -> impl IntoView {
    view! {
        <select data-testid=testid aria-label=move || label.get() prop:value=move || current.get()
            on:change=move |e| on_change.run(event_target_value(&e))>
            {options.into_iter().map(|(value, text)| {
                let key = value.clone();
                view! { <option value=value selected=move || current.with(|c| *c == key)>{text}</option> }
            }).collect_view()}
        </select>
    }
}

/// A text field whose value follows the condition; the count follows each keystroke, the record the
/// left field.
#[component]
fn TypedValue(
    row: Row,
    read: fn(&Condition) -> String,
    write: fn(&mut Condition, String),
    /// The id of a datalist of suggestions.
    #[prop(optional)]
    suggestions: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let value = row.read(read);
    let typing = row.clone();
    let leaving = row.clone();
    let writer: Writer = Arc::new(move |c, text| write(c, text.to_owned()));
    view! {
        <input type="text" data-testid="condition-value" aria-label=move || t_string!(i18n, marketing.value)
            list=suggestions
            prop:value=move || value.get()
            on:input=move |e| typing.type_into(event_target_value(&e), writer.clone())
            on:change=move |_| row.commit()
            // Text typed back to what it was fires no change: leaving the field saves it all the same.
            on:blur=move |_| leaving.commit() />
    }
}

fn yes_no(yes: &str, no: &str) -> Vec<(String, String)> {
    vec![("yes".to_owned(), yes.to_owned()), ("no".to_owned(), no.to_owned())]
}

fn yes_no_of(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}

/// The values of the condition, by its kind.
#[component]
fn Params(row: Row) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let Some(current) = row.test.get_untracked() else { return ().into_any() };
    let has = || yes_no(t_string!(i18n, marketing.has), t_string!(i18n, marketing.has_not));
    let label = |text: &'static str| Signal::derive(move || text.to_owned());
    // A choice saved at once: `set` changes the condition by the chosen option's value.
    let choose = |set: fn(&mut Condition, &str)| {
        let row = row.clone();
        Callback::new(move |value: String| row.choose(move |c| set(c, &value)))
    };
    let takes_value = {
        let test = row.test;
        Signal::derive(move || {
            test.with(|c| match c {
                Some(Condition::Field { op, .. } | Condition::Custom { op, .. }) => {
                    op.takes_value()
                }
                _ => false,
            })
        })
    };
    match current {
        Condition::Kind { .. } => view! {
            <Choice testid="condition-choice" label=label(t_string!(i18n, marketing.c_kind))
                options=vec![("person".into(), t_string!(i18n, marketing.person).into()), ("organisation".into(), t_string!(i18n, marketing.organisation).into())]
                current=row.read(|c| if matches!(c, Condition::Kind { organisation: true }) { "organisation".into() } else { "person".into() })
                on_change=choose(|c, v| *c = Condition::Kind { organisation: v == "organisation" }) />
        }.into_any(),
        Condition::Role { .. } => view! {
            <Choice testid="condition-has" label=label(t_string!(i18n, marketing.has)) options=has()
                current=row.read(|c| match c { Condition::Role { has, .. } => yes_no_of(*has), _ => String::new() })
                on_change=choose(|c, v| if let Condition::Role { has, .. } = c { *has = v == "yes" }) />
            <Choice testid="condition-choice" label=label(t_string!(i18n, marketing.c_role))
                options=Role::ALL.into_iter().map(|r| (r.key().to_owned(), widgets::role_name(r).to_owned())).collect()
                current=row.read(|c| match c { Condition::Role { role, .. } => role.clone(), _ => String::new() })
                on_change=choose(|c, v| if let Condition::Role { role, .. } = c { *role = v.to_owned() }) />
        }.into_any(),
        Condition::Tag { .. } => {
            let tags = ctx
                .read(|ws| {
                    let mut tags: Vec<String> = ws.model.parties.values().flat_map(|p| p.tags.iter().cloned()).collect();
                    tags.sort_unstable();
                    tags.dedup();
                    tags
                })
                .unwrap_or_default();
            // One list of suggestions for each tag condition: ids are unique in a page.
            let tags_id = format!("tags-{}", row.condition.get_value());
            view! {
                <Choice testid="condition-has" label=label(t_string!(i18n, marketing.has)) options=has()
                    current=row.read(|c| match c { Condition::Tag { has, .. } => yes_no_of(*has), _ => String::new() })
                    on_change=choose(|c, v| if let Condition::Tag { has, .. } = c { *has = v == "yes" }) />
                <TypedValue row=row.clone() suggestions=tags_id.clone()
                    read=|c| match c { Condition::Tag { tag, .. } => tag.clone(), _ => String::new() }
                    write=|c, v| if let Condition::Tag { tag, .. } = c { *tag = v } />
                <datalist id=tags_id>{tags.into_iter().map(|t| view! { <option value=t /> }).collect_view()}</datalist>
            }.into_any()
        }
        Condition::Owner { .. } => {
            let mut options = vec![(String::new(), t_string!(i18n, marketing.nobody).to_owned())];
            options.extend(
                ctx.read(|ws| ws.settings.members.iter().map(|(id, m)| (id.clone(), m.display_name.clone())).collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
            view! {
                <Choice testid="condition-choice" label=label(t_string!(i18n, marketing.c_owner)) options
                    current=row.read(|c| match c { Condition::Owner { owner } => owner.map(|o| o.to_string()).unwrap_or_default(), _ => String::new() })
                    on_change=choose(|c, v| *c = Condition::Owner { owner: v.parse::<MemberId>().ok() }) />
            }.into_any()
        }
        Condition::Field { .. } => view! {
            <Choice testid="condition-field" label=label(t_string!(i18n, marketing.c_field))
                options=PartyField::ALL.into_iter().map(|f| (f.key().to_owned(), field_label(f).to_owned())).collect()
                current=row.read(|c| match c { Condition::Field { field, .. } => field.key().to_owned(), _ => String::new() })
                on_change=choose(|c, v| if let (Condition::Field { field, .. }, Some(f)) = (c, PartyField::from_key(v)) { *field = f }) />
            <Choice testid="condition-op" label=label(t_string!(i18n, marketing.op))
                options=[Op::Contains, Op::Is, Op::IsNot, Op::Empty, Op::NotEmpty].into_iter().map(|op| (op.key().to_owned(), op_label(op).to_owned())).collect()
                current=row.read(|c| match c { Condition::Field { op, .. } => op.key().to_owned(), _ => String::new() })
                on_change=choose(|c, v| if let (Condition::Field { op, .. }, Some(o)) = (c, Op::from_key(v)) { *op = o }) />
            <Show when=move || takes_value.get()>
                <TypedValue row=row.clone()
                    read=|c| match c { Condition::Field { value, .. } => value.clone(), _ => String::new() }
                    write=|c, v| if let Condition::Field { value, .. } = c { *value = v } />
            </Show>
        }.into_any(),
        Condition::Custom { .. } => {
            let fields: Vec<(String, String, FieldKind)> = ctx
                .read(|ws| ws.settings.custom_fields.iter().filter(|(_, f)| f.applies_to == RecordKind::Party).map(|(id, f)| (id.clone(), f.label.clone(), f.kind)).collect())
                .unwrap_or_default();
            let ops = [Op::Is, Op::IsNot, Op::Contains, Op::AtLeast, Op::AtMost, Op::Empty, Op::NotEmpty];
            view! {
                <Choice testid="condition-field" label=label(t_string!(i18n, marketing.c_custom))
                    options=fields.into_iter().map(|(id, name, _)| (id, name)).collect()
                    current=row.read(|c| match c { Condition::Custom { field, .. } => field.clone(), _ => String::new() })
                    on_change=choose(|c, v| if let Condition::Custom { field, .. } = c { *field = v.to_owned() }) />
                <Choice testid="condition-op" label=label(t_string!(i18n, marketing.op))
                    options=ops.into_iter().map(|op| (op.key().to_owned(), op_label(op).to_owned())).collect()
                    current=row.read(|c| match c { Condition::Custom { op, .. } => op.key().to_owned(), _ => String::new() })
                    on_change=choose(|c, v| if let (Condition::Custom { op, .. }, Some(o)) = (c, Op::from_key(v)) { *op = o }) />
                <Show when=move || takes_value.get()>
                    <TypedValue row=row.clone()
                        read=|c| match c { Condition::Custom { value, .. } => value.clone(), _ => String::new() }
                        write=|c, v| if let Condition::Custom { value, .. } = c { *value = v } />
                </Show>
            }.into_any()
        }
        Condition::Contacted { .. } => view! {
            <Choice testid="condition-has" label=label(t_string!(i18n, marketing.c_contacted))
                options=yes_no(t_string!(i18n, marketing.within), t_string!(i18n, marketing.not_within))
                current=row.read(|c| match c { Condition::Contacted { within, .. } => yes_no_of(*within), _ => String::new() })
                on_change=choose(|c, v| if let Condition::Contacted { within, .. } = c { *within = v == "yes" }) />
            <DaysInput row=row.clone() />
        }.into_any(),
        Condition::Deal { .. } => {
            let mut stages = vec![(String::new(), t_string!(i18n, marketing.any_stage).to_owned())];
            stages.extend(
                ctx.read(|ws| ws.settings.pipelines.values().flat_map(|p| p.stages.iter().map(|s| (s.id.to_string(), format!("{} · {}", p.name, s.name))).collect::<Vec<_>>()).collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
            view! {
                <Choice testid="condition-has" label=label(t_string!(i18n, marketing.has)) options=has()
                    current=row.read(|c| match c { Condition::Deal { has, .. } => yes_no_of(*has), _ => String::new() })
                    on_change=choose(|c, v| if let Condition::Deal { has, .. } = c { *has = v == "yes" }) />
                <Choice testid="condition-state" label=label(t_string!(i18n, marketing.deal_state))
                    options=DealState::ALL.into_iter().map(|s| (s.key().to_owned(), deal_state_label(s).to_owned())).collect()
                    current=row.read(|c| match c { Condition::Deal { state, .. } => state.key().to_owned(), _ => String::new() })
                    on_change=choose(|c, v| if let (Condition::Deal { state, .. }, Some(s)) = (c, DealState::from_key(v)) { *state = s }) />
                <Choice testid="condition-stage" label=label(t_string!(i18n, marketing.stage)) options=stages
                    current=row.read(|c| match c { Condition::Deal { stage, .. } => stage.map(|s| s.to_string()).unwrap_or_default(), _ => String::new() })
                    on_change=choose(|c, v| if let Condition::Deal { stage, .. } = c { *stage = v.parse().ok() }) />
                <AmountInput row=row.clone() />
            }.into_any()
        }
        Condition::Ticket { .. } => view! {
            <Choice testid="condition-has" label=label(t_string!(i18n, marketing.has)) options=has()
                current=row.read(|c| match c { Condition::Ticket { has, .. } => yes_no_of(*has), _ => String::new() })
                on_change=choose(|c, v| if let Condition::Ticket { has, .. } = c { *has = v == "yes" }) />
            <Choice testid="condition-choice" label=label(t_string!(i18n, marketing.c_ticket))
                options=yes_no(t_string!(i18n, marketing.open_ticket), t_string!(i18n, marketing.any_ticket))
                current=row.read(|c| match c { Condition::Ticket { open, .. } => yes_no_of(*open), _ => String::new() })
                on_change=choose(|c, v| if let Condition::Ticket { open, .. } = c { *open = v == "yes" }) />
        }.into_any(),
        Condition::Consent { .. } => view! {
            <Choice testid="condition-choice" label=label(t_string!(i18n, marketing.c_consent))
                options=ConsentState::ALL.into_iter().map(|s| (s.key().to_owned(), consent_label(s).to_owned())).collect()
                current=row.read(|c| match c { Condition::Consent { state } => state.key().to_owned(), _ => String::new() })
                on_change=choose(|c, v| if let Some(state) = ConsentState::from_key(v) { *c = Condition::Consent { state } }) />
        }.into_any(),
        Condition::InList { .. } => {
            let lists: Vec<(String, String)> = ctx
                .read(|ws| ws.model.segments.values().filter(|s| s.list && !s.archived).map(|s| (s.id.to_string(), s.name.clone())).collect())
                .unwrap_or_default();
            let options = if lists.is_empty() { vec![(String::new(), t_string!(i18n, marketing.no_lists).to_owned())] } else { lists };
            view! {
                <Choice testid="condition-has" label=label(t_string!(i18n, marketing.c_list))
                    options=yes_no(t_string!(i18n, marketing.on_list), t_string!(i18n, marketing.not_on_list))
                    current=row.read(|c| match c { Condition::InList { has, .. } => yes_no_of(*has), _ => String::new() })
                    on_change=choose(|c, v| if let Condition::InList { has, .. } = c { *has = v == "yes" }) />
                <Choice testid="condition-choice" label=label(t_string!(i18n, marketing.c_list)) options
                    current=row.read(|c| match c { Condition::InList { list, .. } => list.to_string(), _ => String::new() })
                    on_change=choose(|c, v| if let (Condition::InList { list, .. }, Ok(l)) = (c, v.parse::<SegmentId>()) { *list = l }) />
            }.into_any()
        }
        Condition::Created { .. } => view! { <DaysInput row=row.clone() /> }.into_any(),
        Condition::Campaign { .. } => {
            // Any campaign, or one sent (newest first).
            let mut campaigns = vec![(String::new(), t_string!(i18n, marketing.any_campaign).to_owned())];
            campaigns.extend(
                ctx.read(|ws| {
                    let mut sent: Vec<_> = ws.model.campaigns.values().filter(|c| c.sent_at.is_some() && !c.archived).collect();
                    sent.sort_by_key(|c| std::cmp::Reverse(c.sent_at));
                    sent.into_iter().map(|c| (c.id.to_string(), c.name.clone())).collect::<Vec<_>>()
                })
                .unwrap_or_default(),
            );
            view! {
                <Choice testid="condition-has" label=label(t_string!(i18n, marketing.has)) options=yes_no(t_string!(i18n, marketing.did), t_string!(i18n, marketing.did_not))
                    current=row.read(|c| match c { Condition::Campaign { has, .. } => yes_no_of(*has), _ => String::new() })
                    on_change=choose(|c, v| if let Condition::Campaign { has, .. } = c { *has = v == "yes" }) />
                <Choice testid="condition-state" label=label(t_string!(i18n, marketing.c_campaign))
                    options=CampaignActivity::ALL.into_iter().map(|a| (a.key().to_owned(), activity_label(a).to_owned())).collect()
                    current=row.read(|c| match c { Condition::Campaign { activity, .. } => activity.key().to_owned(), _ => String::new() })
                    on_change=choose(|c, v| if let (Condition::Campaign { activity, .. }, Some(a)) = (c, CampaignActivity::from_key(v)) { *activity = a }) />
                <Choice testid="condition-choice" label=label(t_string!(i18n, marketing.c_campaign)) options=campaigns
                    current=row.read(|c| match c { Condition::Campaign { campaign, .. } => campaign.map(|id| id.to_string()).unwrap_or_default(), _ => String::new() })
                    on_change=choose(|c, v| if let Condition::Campaign { campaign, .. } = c { *campaign = v.parse().ok() }) />
            }.into_any()
        }
        Condition::Score { .. } => view! {
            <Choice testid="condition-has" label=label(t_string!(i18n, marketing.c_score)) options=yes_no(t_string!(i18n, marketing.score_at_least), t_string!(i18n, marketing.score_below))
                current=row.read(|c| match c { Condition::Score { at_least, .. } => yes_no_of(*at_least), _ => String::new() })
                on_change=choose(|c, v| if let Condition::Score { at_least, .. } = c { *at_least = v == "yes" }) />
            <PointsInput row=row.clone() />
        }.into_any(),
        Condition::Health { .. } => view! {
            <Choice testid="condition-has" label=label(t_string!(i18n, marketing.c_health)) options=yes_no(t_string!(i18n, marketing.score_at_least), t_string!(i18n, marketing.score_below))
                current=row.read(|c| match c { Condition::Health { at_least, .. } => yes_no_of(*at_least), _ => String::new() })
                on_change=choose(|c, v| if let Condition::Health { at_least, .. } = c { *at_least = v == "yes" }) />
            <PointsInput row=row.clone() />
        }.into_any(),
    }
}

/// The points of a score condition (a whole number, negative ones too) or of a health condition
/// (0 to 100); a text that is not a whole number leaves the points as they were.
#[component]
fn PointsInput(row: Row) -> impl IntoView {
    let i18n = use_i18n();
    let points = row.read(|c| match c {
        Condition::Score { points, .. } => points.to_string(),
        Condition::Health { points, .. } => points.to_string(),
        _ => String::new(),
    });
    // Health goes from 0 to 100; a score has no bounds.
    let health = row
        .read(|c| if matches!(c, Condition::Health { .. }) { "1".into() } else { String::new() })
        .get_untracked()
        == "1";
    let typing = row.clone();
    let leaving = row.clone();
    let writer: Writer = Arc::new(|c, text| {
        let Ok(n) = text.trim().parse::<i64>() else { return };
        match c {
            Condition::Score { points, .. } => *points = n.clamp(-1_000_000, 1_000_000),
            Condition::Health { points, .. } => *points = n.clamp(0, 100) as u8,
            _ => {}
        }
    });
    view! {
        <label class="inline">
            <input type="number" step="1" inputmode="numeric" data-testid="condition-points" aria-label=move || t_string!(i18n, marketing.points) prop:value=move || points.get()
                min=health.then_some("0") max=health.then_some("100")
                on:input=move |e| typing.type_into(event_target_value(&e), writer.clone())
                on:change=move |_| row.commit()
                on:blur=move |_| leaving.commit() />
            {t!(i18n, marketing.points)}
        </label>
    }
}

fn activity_label(activity: CampaignActivity) -> &'static str {
    let i18n = use_i18n();
    match activity {
        CampaignActivity::Sent => t_string!(i18n, marketing.was_sent),
        CampaignActivity::Opened => t_string!(i18n, marketing.opened),
        CampaignActivity::Clicked => t_string!(i18n, marketing.clicked),
    }
}

/// The days of a "contacted" or "added" condition.
#[component]
fn DaysInput(row: Row) -> impl IntoView {
    let i18n = use_i18n();
    let days = row.read(|c| match c {
        Condition::Contacted { days, .. } | Condition::Created { days } => days.to_string(),
        _ => String::new(),
    });
    let typing = row.clone();
    let leaving = row.clone();
    // A text that is not a whole number leaves the days as they were.
    let writer: Writer = Arc::new(|c, text| {
        let Ok(n) = text.trim().parse::<u32>() else { return };
        if let Condition::Contacted { days, .. } | Condition::Created { days } = c {
            *days = n.min(36_500);
        }
    });
    view! {
        <label class="inline">
            {t!(i18n, marketing.last)}
            <input type="number" min="0" max="36500" inputmode="numeric" data-testid="condition-days" prop:value=move || days.get()
                on:input=move |e| typing.type_into(event_target_value(&e), writer.clone())
                on:change=move |_| row.commit()
                on:blur=move |_| leaving.commit() />
            {t!(i18n, marketing.days)}
        </label>
    }
}

/// A deal condition's least amount, typed in the workspace's first currency: the typed text is kept
/// while it is typed and follows the condition when it changes otherwise.
#[component]
fn AmountInput(row: Row) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let currency = ctx
        .read(|ws| ws.settings.currencies.first().cloned())
        .flatten()
        .unwrap_or_else(|| "EUR".to_owned());
    let scale = 10f64.powi(rapport_core::model::minor_digits(&currency) as i32);
    let read = move |text: &str| {
        rapport_core::goals::parse_number(text).map(|n| (n * scale).round() as i64)
    };
    let at_least = {
        let test = row.test;
        Memo::new(move |_| {
            test.with(|c| match c {
                Some(Condition::Deal { at_least, .. }) => *at_least,
                _ => None,
            })
        })
    };
    let text = RwSignal::new(String::new());
    Effect::new(move || {
        let stored = at_least.get();
        // Not while an unreadable text is shown with its reason.
        let unreadable = text.with_untracked(|t| !t.trim().is_empty() && read(t).is_none());
        if !unreadable && text.with_untracked(|t| read(t)) != stored {
            text.set(stored.map(|minor| format!("{}", minor as f64 / scale)).unwrap_or_default());
        }
    });
    // Empty is "any amount"; a text that is not an amount is refused, not read as "any".
    let unreadable = Memo::new(move |_| text.with(|t| !t.trim().is_empty() && read(t).is_none()));
    let writer: Writer = Arc::new(move |c, typed| {
        if let Condition::Deal { at_least, .. } = c {
            *at_least = read(typed);
        }
    });
    let typing = row.clone();
    let leaving = row.clone();
    view! {
        <label class="inline">
            {t!(i18n, marketing.at_least)}
            <input type="text" data-testid="condition-amount" inputmode="decimal" prop:value=move || text.get()
                aria-invalid=move || unreadable.get().then_some("true")
                on:input=move |e| {
                    let typed = event_target_value(&e);
                    text.set(typed.clone());
                    if unreadable.get_untracked() {
                        typing.forget();
                    } else {
                        typing.type_into(typed, writer.clone());
                    }
                }
                on:change=move |_| row.commit()
                on:blur=move |_| leaving.commit() />
            {currency.clone()}
        </label>
        <Show when=move || unreadable.get()>
            <p class="error" data-testid="condition-amount-problem">
                {move || t_string!(i18n, marketing.not_an_amount, text = text.get()).to_string()}
            </p>
        </Show>
    }
}

fn op_label(op: Op) -> &'static str {
    let i18n = use_i18n();
    match op {
        Op::Contains => t_string!(i18n, marketing.op_contains),
        Op::Is => t_string!(i18n, marketing.op_is),
        Op::IsNot => t_string!(i18n, marketing.op_is_not),
        Op::Empty => t_string!(i18n, marketing.op_empty),
        Op::NotEmpty => t_string!(i18n, marketing.op_not_empty),
        Op::AtLeast => t_string!(i18n, marketing.op_at_least),
        Op::AtMost => t_string!(i18n, marketing.op_at_most),
    }
}

fn field_label(field: PartyField) -> &'static str {
    let i18n = use_i18n();
    match field {
        PartyField::Name => t_string!(i18n, marketing.f_name),
        PartyField::Email => t_string!(i18n, marketing.f_email),
        PartyField::Phone => t_string!(i18n, marketing.f_phone),
        PartyField::City => t_string!(i18n, marketing.f_city),
        PartyField::Country => t_string!(i18n, marketing.f_country),
    }
}

fn deal_state_label(state: DealState) -> &'static str {
    let i18n = use_i18n();
    match state {
        DealState::Any => t_string!(i18n, marketing.deal_any),
        DealState::Open => t_string!(i18n, marketing.deal_open),
        DealState::Won => t_string!(i18n, marketing.deal_won),
        DealState::Lost => t_string!(i18n, marketing.deal_lost),
    }
}

fn consent_label(state: ConsentState) -> &'static str {
    let i18n = use_i18n();
    match state {
        ConsentState::Given => t_string!(i18n, marketing.consent_given),
        ConsentState::Refused => t_string!(i18n, marketing.consent_refused),
        ConsentState::Unknown => t_string!(i18n, marketing.consent_unknown),
    }
}

/// Who the segment holds now: the first of them by name, a way to all of them in the people list, and
/// (for a rule) a copy of them as a static list.
#[component]
fn Members(id: SegmentId, list: bool, members: Memo<Found>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let error = RwSignal::new(None::<String>);
    let total = Memo::new(move |_| members.with(|m| m.0));
    let copy = move |_| {
        let Some(name) =
            ctx.read(|ws| ws.model.segments.get(&id).map(|s| s.name.clone())).flatten()
        else {
            return;
        };
        // Everyone in it, not only those shown.
        let members = with_audience(ctx, outbox, |audience, model| {
            model
                .segments
                .get(&id)
                .map(|s| audience.of_segment(s).iter().map(|p| (p.id.to_string(), true)).collect())
                .unwrap_or_default()
        })
        .unwrap_or_default();
        let name = t_string!(i18n, marketing.copy_name, name = name).to_string();
        create_and_open(ctx, name, true, members, error, navigate.clone());
    };
    view! {
        <section class="panel" data-testid="segment-members">
            <h2>{t!(i18n, marketing.members)}</h2>
            <p class="count" data-testid="segment-count" data-count=move || total.get() aria-live="polite">
                {move || t_string!(i18n, marketing.people, count = widgets::count(total.get())).to_string()}
            </p>
            // A list names its people beside, each with its ×.
            <Show when=move || !list>
                <ul class="rows">
                    <For each=move || members.get().1 key=|(id, name)| format!("{id}{name}") let:person>
                        <li class="row" data-testid="segment-member" data-name=person.1.clone()>
                            <a class="row-link" href=format!("/parties/{}", person.0)><span class="row-title">{person.1.clone()}</span></a>
                        </li>
                    </For>
                </ul>
            </Show>
            <p class="field-row wrapping">
                <a class="action" href=format!("/parties?segment={id}") data-testid="segment-open-list">{t!(i18n, marketing.open_list)}</a>
                <Show when=move || !list && account.can_edit()>
                    <button type="button" class="secondary" data-testid="segment-copy" on:click=copy.clone()>{t!(i18n, marketing.copy)}</button>
                </Show>
            </p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// A static list's members: removed one by one, added with the picker.
#[component]
fn ListMembers(id: SegmentId, members: Memo<Found>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let chosen = RwSignal::new(None::<(PartyId, String)>);
    Effect::new(move || {
        let Some((party, _)) = chosen.get() else { return };
        chosen.set(None);
        let key = party.to_string();
        write(
            ctx,
            id,
            Box::new(move |s| {
                s.members.insert(key, true);
            }),
            error,
            |_| {},
        );
    });
    let remove = move |party: PartyId| {
        // The person shown may be on the list through records since merged into them.
        let places = ctx
            .read_of(Changed::MARKETING | Changed::PARTIES, |ws| {
                ws.model.segments.get(&id).map(|list| list.places_of(&ws.model, party))
            })
            .flatten()
            .unwrap_or_default();
        write(
            ctx,
            id,
            Box::new(move |s| {
                for place in places {
                    s.members.remove(&place.to_string());
                }
            }),
            error,
            |_| {},
        );
    };
    view! {
        <section class="panel" data-testid="list-members">
            <h2>{t!(i18n, marketing.list_members)}</h2>
            <p class="hint">{t!(i18n, marketing.list_hint)}</p>
            <Show when=move || account.can_edit()>
                <widgets::PartyPicker chosen testid="list-add" label=move || t_string!(i18n, marketing.add_person) />
            </Show>
            <ul class="rows">
                <For each=move || members.get().1 key=|(id, _)| *id children=move |(party, name): (PartyId, String)| {
                    let label = Signal::derive({
                        let name = name.clone();
                        move || t_string!(i18n, marketing.remove_person, name = name.clone()).to_string()
                    });
                    view! {
                        <li class="row" data-testid="list-member" data-name=name.clone()>
                            <span class="row-title">{name.clone()}</span>
                            <Show when=move || account.can_edit()>
                                <widgets::RemoveButton label on_remove=Callback::new(move |()| remove(party)) />
                            </Show>
                        </li>
                    }
                } />
            </ul>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn ArchiveSegment(id: SegmentId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let error = RwSignal::new(None::<String>);
    let archive = Callback::new(move |()| {
        let navigate = navigate.clone();
        write(ctx, id, Box::new(|s| s.archived = true), error, move |saved| {
            if saved {
                navigate("/marketing", Default::default());
            }
        });
    });
    view! {
        <widgets::ArchivePanel testid="archive-segment" error on_archive=archive
            title=move || t_string!(i18n, marketing.archive) hint=move || t_string!(i18n, marketing.archive_hint) />
    }
}
