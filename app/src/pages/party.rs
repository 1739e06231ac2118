//! One person or organisation: details with validation, relationship (kind, roles, where they work),
//! keep-in-touch, next steps, timeline and history; when two people changed the same field at the same
//! time, both values are shown and the user picks one.

use automerge::ScalarValue;
use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use crate::widgets::parse_tags;
use leptos::task::spawn_local;
use leptos_i18n::td_string;
use rapport_core::document::{self, ConflictValue, FieldConflict, Record};
use rapport_core::history;
use rapport_core::ids::PartyId;
use rapport_core::model::{Address, ContactPoint, Party};
use rapport_core::queries::{self, TimelineItem};

mod contact;
mod contracts;
mod employee;
mod fields;
pub(crate) mod health;
mod privacy;
mod profile;
mod score;
mod segments;
mod sequences;
mod supplier;

use super::Page;
use crate::local;
use crate::state::{RecordRoute, WorkspaceCtx};
use crate::sync::SyncCtx;
use crate::widgets;

/// The record and its conflicts as read from its document.
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    party: Party,
    conflicts: Vec<FieldConflict>,
}

#[component]
pub(crate) fn PartyPage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, party.bad_link).to_owned();
    let route = RecordRoute::<Party>::new(t_string!(i18n, party.no_such), bad_link);
    let RecordRoute { id, loaded, failure, .. } = route;

    // Colleagues see who has this record open.
    let sync = SyncCtx::use_ctx();
    Effect::new(move || sync.viewing.set(id.get().map(|id| id.to_string())));
    on_cleanup(move || sync.viewing.set(None));
    let viewers = move || id.get().map(|id| sync.viewers_of(&id.to_string())).unwrap_or_default();
    let found = Memo::new(move |_| {
        loaded
            .get()
            .and_then(Result::ok)
            .map(|found| Loaded { party: found.record, conflicts: found.conflicts })
    });
    view! {
        // The record's name is the page's title.
        <Page key="party" title=move || found.with(|f| f.as_ref().map(|f| if f.party.erased.is_some() { t_string!(i18n, party.erased_name).to_owned() } else { f.party.name.clone() })).unwrap_or_else(|| t_string!(i18n, party.title).to_owned())>
            {move || {
                let names = viewers();
                (!names.is_empty()).then(|| view! {
                    <p class="viewers" data-testid="record-viewers">
                        {names.iter().map(|name| view! {
                            <span class="avatar" title=name.clone() aria-hidden="true">{crate::widgets::initials(name)}</span>
                        }).collect_view()}
                        <span>{t_string!(i18n, party.also_viewing, names = names.join(", ")).to_string()}</span>
                    </p>
                })
            }}
            {move || failure.get().map(|error| view! { <p class="error" data-testid="party-error">{error}</p> })}
            {move || {
                let into = found.with(|f| f.as_ref().and_then(|f| f.party.merged_into))?;
                let ctx = WorkspaceCtx::use_ctx();
                let name = ctx
                    .read(|ws| ws.model.parties.get(&into).map(|row| row.name.clone()))
                    .flatten()
                    .unwrap_or_else(|| t_string!(i18n, party.another).into());
                Some(view! {
                    <p class="notice" role="status">
                        {t!(i18n, party.merged_into)}
                        <a href=format!("/parties/{into}") data-testid="merged-into">{name}</a>
                        {t!(i18n, party.merged_into_after)}
                    </p>
                })
            }}
            {move || {
                let erasure = found.with(|f| f.as_ref().and_then(|f| f.party.erased.clone()))?;
                let ctx = WorkspaceCtx::use_ctx();
                let at = widgets::local_date(erasure.at);
                let by = erasure.by.and_then(|m| {
                    ctx.read(|ws| ws.settings.members.get(&m.to_string()).map(|m| m.display_name.clone())).flatten()
                });
                let text = match by {
                    Some(by) => t_string!(i18n, party.erased_notice_by, at, by).to_string(),
                    None => t_string!(i18n, party.erased_notice, at).to_string(),
                };
                let id = id.get_untracked()?;
                Some(view! {
                    <p class="notice" role="status" data-testid="party-erased">{text}</p>
                    <section class="panel privacy-panel">
                        <privacy::Rights id />
                    </section>
                })
            }}
            <Show
                when=move || found.with(|f| f.as_ref().is_some_and(|f| f.party.erased.is_none()))
                fallback=move || (failure.get().is_none() && found.with(Option::is_none)).then(|| view! { <p class="hint">{t!(i18n, party.opening)}</p> })
            >
                {move || id.get_untracked().map(|id| view! {
                    <RecordHeader id found />
                    // Facts beside the activity on a wide screen; one after the other on a phone.
                    <div class="record-layout">
                        <div class="record-main">
                            <PartyForm id found />
                            <profile::Profile id titles=Signal::derive(move || found.with(|f| f.as_ref().map(|f| job_titles(&f.party)).unwrap_or_default())) />
                            <fields::CustomFieldValues id found />
                            <KeepInTouch id />
                            <widgets::Files owner=widgets::FileOwner::Party(id) files=Signal::derive(move || found.with(|f| f.as_ref().map(|f| f.party.files.clone()).unwrap_or_default())) />
                            <privacy::PrivacyPanel id party=Signal::derive(move || found.with(|f| f.as_ref().map(|f| f.party.clone()))) />
                        </div>
                        <div class="record-activity">
                            <LoggedHere />
                            <NextSteps id />
                            <health::RelationshipHealth id />
                            <Show when=move || found.with(|f| f.as_ref().is_some_and(|f| f.party.roles.get("supplier").copied().unwrap_or(false)))>
                                <supplier::SupplierPanel id party=Signal::derive(move || found.with(|f| f.as_ref().map(|f| f.party.clone()))) />
                            </Show>
                            <Show when=move || found.with(|f| f.as_ref().is_some_and(|f| f.party.roles.get("employee").copied().unwrap_or(false) || f.party.employment != Default::default()))>
                                <employee::EmployeePanel id party=Signal::derive(move || found.with(|f| f.as_ref().map(|f| f.party.clone()))) />
                            </Show>
                            <contracts::PartyContracts id party=Signal::derive(move || found.with(|f| f.as_ref().map(|f| f.party.clone()))) />
                            <score::LeadScore id />
                            <segments::PartySegments id />
                            <sequences::PartySequences id />
                            <Timeline id />
                            <RecordHistory id />
                        </div>
                    </div>
                })}
            </Show>
        </Page>
    }
}

/// The person's job title at each organisation they work at.
fn job_titles(party: &Party) -> std::collections::BTreeMap<PartyId, String> {
    party
        .relations
        .values()
        .filter(|link| link.kind == rapport_core::model::LinkKind::WorksAt)
        .map(|link| (link.to, link.title.clone()))
        .collect()
}

/// A typed date as the record keeps dates (`1980-05-17`, `--05-17`); what is not a date stays as typed,
/// for the form to refuse with the reason.
fn date_or_typed(text: &str) -> String {
    let text = text.trim();
    rapport_core::interchange::calendar_date(text).unwrap_or_else(|| text.to_owned())
}

/// The values the form edits, as stored: name, first email, first phone, tags separated by commas.
fn form_values(party: &Party) -> (String, String, String, String) {
    (
        party.name.clone(),
        party.emails.first().map(|e| e.value.clone()).unwrap_or_default(),
        party.phones.first().map(|p| p.value.clone()).unwrap_or_default(),
        rapport_core::model::names(&party.tags).collect::<Vec<_>>().join(", "),
    )
}

/// Why the typed values cannot be saved, if they cannot.
fn invalid(name: &str, email: &str, phone: &str) -> Option<String> {
    use rapport_core::interchange::{is_email, is_phone};
    let locale = crate::locale::current();
    if name.is_empty() {
        Some(td_string!(locale, party.name_required).to_owned())
    } else if !email.is_empty() && !is_email(email) {
        Some(td_string!(locale, party.bad_email, email).to_string())
    } else if !phone.is_empty() && !is_phone(phone) {
        Some(td_string!(locale, party.bad_phone, phone).to_string())
    } else {
        None
    }
}

/// What the record's form edits, as the record holds it (tags as typed, comma-separated).
#[derive(Debug, Clone, PartialEq, Default)]
struct FormValues {
    name: String,
    emails: Vec<ContactPoint>,
    phones: Vec<ContactPoint>,
    links: Vec<ContactPoint>,
    addresses: Vec<Address>,
    tags: String,
    notes: String,
    birthday: String,
    anniversary: String,
}

impl FormValues {
    fn of(party: &Party) -> FormValues {
        FormValues {
            name: party.name.clone(),
            emails: party.emails.clone(),
            phones: party.phones.clone(),
            links: party.links.clone(),
            addresses: party.addresses.clone(),
            tags: rapport_core::model::names(&party.tags).collect::<Vec<_>>().join(", "),
            notes: party.notes.as_str().to_owned(),
            birthday: party.birthday.clone(),
            anniversary: party.anniversary.clone(),
        }
    }

    /// As it would be saved: values trimmed, empty entries dropped.
    fn cleaned(&self) -> FormValues {
        let points = |points: &[ContactPoint]| -> Vec<ContactPoint> {
            points
                .iter()
                .map(|p| ContactPoint { label: p.label.clone(), value: p.value.trim().to_owned() })
                .filter(|p| !p.value.is_empty())
                .collect()
        };
        FormValues {
            name: self.name.trim().to_owned(),
            emails: points(&self.emails),
            phones: points(&self.phones),
            links: points(&self.links),
            addresses: self
                .addresses
                .iter()
                .map(|a| Address {
                    label: a.label.clone(),
                    street: a.street.trim().to_owned(),
                    city: a.city.trim().to_owned(),
                    region: a.region.trim().to_owned(),
                    postcode: a.postcode.trim().to_owned(),
                    country: a.country.trim().to_owned(),
                })
                .filter(|a| {
                    [&a.street, &a.city, &a.region, &a.postcode, &a.country]
                        .iter()
                        .any(|p| !p.is_empty())
                })
                .collect(),
            tags: parse_tags(&self.tags).join(", "),
            notes: self.notes.clone(),
            // A date as typed is kept as the record writes dates; one that is not a date is refused.
            birthday: date_or_typed(&self.birthday),
            anniversary: date_or_typed(&self.anniversary),
        }
    }

    /// Why these values cannot be saved, if they cannot: the first bad email or phone, in the page's words.
    fn invalid(&self) -> Option<String> {
        let email = self.emails.iter().find(|p| !rapport_core::interchange::is_email(&p.value));
        let phone = self.phones.iter().find(|p| !rapport_core::interchange::is_phone(&p.value));
        let locale = crate::locale::current();
        invalid(
            &self.name,
            email.map_or("", |p| p.value.as_str()),
            phone.map_or("", |p| p.value.as_str()),
        )
        .or_else(|| {
            [&self.birthday, &self.anniversary]
                .into_iter()
                .find(|date| {
                    !date.is_empty() && rapport_core::interchange::calendar_date(date).is_none()
                })
                .map(|date| td_string!(locale, party.bad_date, date).to_string())
        })
    }
}

#[component]
fn PartyForm(id: PartyId, found: Memo<Option<Loaded>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let initial =
        found.with_untracked(|f| f.as_ref().map(|f| FormValues::of(&f.party))).unwrap_or_default();
    let name = RwSignal::new(initial.name.clone());
    let emails = RwSignal::new(initial.emails.clone());
    let phones = RwSignal::new(initial.phones.clone());
    let links = RwSignal::new(initial.links.clone());
    let addresses = RwSignal::new(initial.addresses.clone());
    let tags = RwSignal::new(initial.tags.clone());
    let notes = RwSignal::new(initial.notes.clone());
    let birthday = RwSignal::new(initial.birthday.clone());
    let anniversary = RwSignal::new(initial.anniversary.clone());
    let typed = move || FormValues {
        name: name.get(),
        emails: emails.get(),
        phones: phones.get(),
        links: links.get(),
        addresses: addresses.get(),
        tags: tags.get(),
        notes: notes.get(),
        birthday: birthday.get(),
        anniversary: anniversary.get(),
    };
    // A colleague's change shows in the form at once — except in a field this user is typing in, which
    // keeps what they typed.
    let stored = StoredValue::new(initial);
    Effect::new(move || {
        let Some(now) = found.with(|f| f.as_ref().map(|f| FormValues::of(&f.party))) else {
            return;
        };
        stored.update_value(|before| {
            fn follow<T: Clone + PartialEq + Send + Sync + 'static>(
                field: RwSignal<T>,
                old: &T,
                new: &T,
            ) {
                if field.with_untracked(|f| f == old) && old != new {
                    field.set(new.clone());
                }
            }
            follow(name, &before.name, &now.name);
            follow(emails, &before.emails, &now.emails);
            follow(phones, &before.phones, &now.phones);
            follow(links, &before.links, &now.links);
            follow(addresses, &before.addresses, &now.addresses);
            follow(tags, &before.tags, &now.tags);
            follow(notes, &before.notes, &now.notes);
            follow(birthday, &before.birthday, &now.birthday);
            follow(anniversary, &before.anniversary, &now.anniversary);
            *before = now;
        });
    });
    // Typed but not saved: an update waits, and closing the tab asks first.
    let dirty = Signal::derive(move || {
        found
            .with(|f| f.as_ref().map(|f| FormValues::of(&f.party).cleaned()))
            .is_some_and(|saved| typed().cleaned() != saved)
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let saving = widgets::Save::new(move |values: FormValues| async move {
        let Some(shared) = ctx.shared() else { return };
        {
            let new_tags = parse_tags(&values.tags);
            let result = local::update(&shared, id, move |party: &mut Party| {
                party.rename(values.name);
                if party.emails != values.emails {
                    party.emails = values.emails;
                }
                if party.phones != values.phones {
                    party.phones = values.phones;
                }
                if party.links != values.links {
                    party.links = values.links;
                }
                if party.addresses != values.addresses {
                    party.addresses = values.addresses;
                }
                // Removed tags leave the set; kept and added ones are present (a set merges).
                party.tags.retain(|tag, _| new_tags.contains(tag));
                for tag in new_tags {
                    party.tags.insert(tag, true);
                }
                if party.birthday != values.birthday {
                    party.birthday = values.birthday;
                }
                if party.anniversary != values.anniversary {
                    party.anniversary = values.anniversary;
                }
                // Notes merge character by character: only what changed is written.
                if party.notes.as_str() != values.notes {
                    party.notes.update(&values.notes);
                }
            })
            .await;
            ctx.settle(result, error);
        }
    });
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let values = typed().cleaned();
        if let Some(why) = values.invalid() {
            error.set(Some(why));
            return;
        }
        saving.submit(values);
    };
    let unsynced = move || ctx.read(|ws| ws.is_unsynced(&id.to_string())).unwrap_or(false);
    let account = crate::account::AccountCtx::use_ctx();
    let read_only = Signal::derive(move || !account.can_edit());
    let conflicts =
        move || found.with(|f| f.as_ref().map(|f| f.conflicts.clone())).unwrap_or_default();
    view! {
        <Show when=unsynced>
            <p class="badge badge-unsynced" data-testid="record-unsynced">{t!(i18n, party.unsynced)}</p>
        </Show>
        {move || {
            let conflicts = conflicts();
            (!conflicts.is_empty() && !read_only.get()).then(|| view! { <Conflicts id conflicts /> })
        }}
        // `novalidate`: the form checks emails and phones itself and says why in the page's words.
        <form class="record-form panel" on:submit=save data-testid="party-form" novalidate>
            <h2>{t!(i18n, party.details)}</h2>
            <label>
                {t!(i18n, party.name)}
                <input type="text" required data-testid="party-name" readonly=read_only prop:value=move || name.get()
                    on:input=move |e| name.set(event_target_value(&e)) />
            </label>
            <contact::Points kind=contact::PointKind::Email points=emails read_only />
            <contact::Points kind=contact::PointKind::Phone points=phones read_only />
            <contact::Points kind=contact::PointKind::Website points=links read_only />
            <contact::Addresses addresses read_only />
            <div class="field-row">
                <label>
                    {t!(i18n, party.f_birthday)}
                    <input type="text" inputmode="numeric" data-testid="party-birthday" readonly=read_only
                        placeholder=move || t_string!(i18n, party.date_hint)
                        prop:value=move || birthday.get() on:input=move |e| birthday.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, party.f_anniversary)}
                    <input type="text" inputmode="numeric" data-testid="party-anniversary" readonly=read_only
                        placeholder=move || t_string!(i18n, party.date_hint)
                        prop:value=move || anniversary.get() on:input=move |e| anniversary.set(event_target_value(&e)) />
                </label>
            </div>
            <label>
                {t!(i18n, party.tags)}
                <input type="text" data-testid="party-tags" readonly=read_only placeholder="vip, moscow"
                    prop:value=move || tags.get() on:input=move |e| tags.set(event_target_value(&e)) />
            </label>
            <label>
                {t!(i18n, party.f_notes)}
                <textarea rows="4" data-testid="party-notes" readonly=read_only
                    prop:value=move || notes.get() on:input=move |e| notes.set(event_target_value(&e))></textarea>
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="party-form-error">{e}</p> })}
            <Show
                when=move || !read_only.get()
                fallback=move || view! { <p class="hint" data-testid="view-only-hint">{t!(i18n, party.view_only)}</p> }
            >
                <button type="submit" class="primary-action" data-testid="save-party" disabled=move || saving.pending()>
                    {move || if saving.pending() { t_string!(i18n, party.saving) } else { t_string!(i18n, party.save) }}
                </button>
            </Show>
        </form>
    }
}

/// The top of a record: who it is (initials, name, title and organisation, roles), whose it is and when
/// they were last in touch — then one tap to call, write, log or plan.
#[component]
fn RecordHeader(id: PartyId, found: Memo<Option<Loaded>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    // Everything the header says, derived from the record and the workspace.
    let facts = Memo::new(move |_| {
        let party = found.with(|f| f.as_ref().map(|f| f.party.clone()))?;
        ctx.read(|ws| {
            let works_at: Vec<String> = party
                .relations
                .values()
                .filter(|link| link.kind == rapport_core::model::LinkKind::WorksAt)
                .filter_map(|link| {
                    let org = ws.model.parties.get(&link.to)?.name.clone();
                    Some(if link.title.is_empty() {
                        org
                    } else {
                        format!("{} · {org}", link.title)
                    })
                })
                .collect();
            let roles: Vec<&'static str> = rapport_core::model::Role::ALL
                .into_iter()
                .filter(|role| party.roles.contains_key(role.key()))
                .map(crate::widgets::role_name)
                .collect();
            let owner = party
                .owner
                .and_then(|o| ws.settings.members.get(&o.to_string()))
                .map(|m| m.display_name.clone());
            let last = ws.model.last_contact_of(id);
            let due = party.keep_in_touch_days.map(|days| {
                let since = last.unwrap_or(party.created_at);
                rapport_core::ids::Timestamp(since.0 + i64::from(days) * 86_400_000)
            });
            HeaderFacts {
                name: party.name.clone(),
                subtitle: works_at.join("; "),
                roles,
                owner,
                last,
                due,
                email: party.emails.first().map(|e| e.value.clone()),
                phone: party.phones.first().map(|p| p.value.clone()),
            }
        })
    });
    view! {
        {move || facts.get().map(|facts| {
            let last = facts.last.map_or_else(
                || t_string!(i18n, party.never_contacted).to_owned(),
                |at| t_string!(i18n, party.last_contact, date = crate::widgets::local_date(at)).to_string(),
            );
            let status = facts.due.map(|due| {
                let overdue = due <= local::now();
                let text = if overdue {
                    t_string!(i18n, party.contact_was_due, date = crate::widgets::local_date(due)).to_string()
                } else {
                    t_string!(i18n, party.next_contact, date = crate::widgets::local_date(due)).to_string()
                };
                view! { <span class="status" class:overdue=overdue data-testid="record-status">{text}</span> }
            });
            view! {
                <header class="record-header" data-testid="record-header">
                    <span class="avatar avatar-large" aria-hidden="true">{crate::widgets::initials(&facts.name)}</span>
                    <div class="record-who">
                        {(!facts.subtitle.is_empty()).then(|| view! { <p class="record-subtitle" data-testid="record-subtitle">{facts.subtitle.clone()}</p> })}
                        <p class="record-facts">
                            {facts.roles.iter().map(|role| view! { <span class="tag" data-testid="record-role">{*role}</span> }).collect_view()}
                            {facts.owner.clone().map(|owner| view! {
                                <span class="record-owner" data-testid="record-owner">
                                    <span class="avatar" aria-hidden="true">{crate::widgets::initials(&owner)}</span>
                                    {owner}
                                </span>
                            })}
                            <span data-testid="record-last-contact">{last}</span>
                            {status}
                        </p>
                    </div>
                </header>
                <nav class="record-actions" aria-label=move || t_string!(i18n, party.actions)>
                    {facts.phone.clone().map(|phone| view! {
                        <a class="action" href=format!("tel:{}", phone.replace(' ', "")) data-testid="call-link">{t!(i18n, party.call)}</a>
                    })}
                    {facts.email.clone().map(|email| {
                        // Members write it here (sent by the relay, logged with its state); a viewer
                        // writes from their mail app.
                        let href = move || if account.can_edit() { format!("/parties/{id}/email") } else { format!("mailto:{email}") };
                        view! { <a class="action" href=href data-testid="email-link">{t!(i18n, party.email_action)}</a> }
                    })}
                    <Show when=move || account.can_edit()>
                        <a class="action" href=format!("/log/call?party={id}") data-testid="log-call-link">{t!(i18n, party.log_call)}</a>
                        <a class="action" href=format!("/log/visit?party={id}") data-testid="log-visit-link">{t!(i18n, party.log_visit)}</a>
                        <a class="action" href=format!("/log/meeting?party={id}") data-testid="log-meeting-link">{t!(i18n, party.log_meeting)}</a>
                        <a class="action" href="#next-steps" data-testid="add-task-link"
                            on:click=move |_| focus_next_step()>{t!(i18n, party.add_task)}</a>
                        <a class="action" href=format!("/deals?party={id}") data-testid="add-deal-link">{t!(i18n, party.add_deal)}</a>
                        <a class="action" href=format!("/tickets?party={id}") data-testid="new-ticket-link">{t!(i18n, party.new_ticket)}</a>
                    </Show>
                </nav>
            }
        })}
    }
}

/// What the record's header shows.
#[derive(Debug, Clone, PartialEq)]
struct HeaderFacts {
    name: String,
    /// "Title · Organisation" for each place they work.
    subtitle: String,
    roles: Vec<&'static str>,
    owner: Option<String>,
    last: Option<rapport_core::ids::Timestamp>,
    /// When contact is due, if they have a keep-in-touch cadence.
    due: Option<rapport_core::ids::Timestamp>,
    email: Option<String>,
    phone: Option<String>,
}

/// "Add task": the next-step field gets the cursor.
fn focus_next_step() {
    use wasm_bindgen::JsCast;
    let field = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector("[data-testid=next-steps] [data-testid=new-task-title]").ok().flatten()
        })
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(field) = field {
        let _ = field.focus();
    }
}

/// What was just logged about this record (from its "Log a call"), shown above its next steps and
/// timeline until the user leaves the record.
#[component]
fn LoggedHere() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    on_cleanup(move || ctx.logged.set(None));
    move || {
        ctx.logged
            .get()
            .map(|text| view! { <p class="done" role="status" data-testid="log-done">{text}</p> })
    }
}

/// How often to be in touch; Today lists the party once that long has passed since the last interaction.
const CADENCES: [Option<u32>; 6] = [None, Some(7), Some(14), Some(30), Some(90), Some(365)];

fn cadence_label(
    i18n: leptos_i18n::I18nContext<crate::i18n::Locale>,
    days: Option<u32>,
) -> &'static str {
    match days {
        None => t_string!(i18n, party.cadence_none),
        Some(7) => t_string!(i18n, party.cadence_week),
        Some(14) => t_string!(i18n, party.cadence_2weeks),
        Some(30) => t_string!(i18n, party.cadence_month),
        Some(90) => t_string!(i18n, party.cadence_quarter),
        _ => t_string!(i18n, party.cadence_year),
    }
}

/// The keep-in-touch cadence: chosen here, saved at once, with when the next contact is due.
#[component]
fn KeepInTouch(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let state = Memo::new(move |_| {
        ctx.read(|ws| {
            let row = ws.model.parties.get(&id)?;
            let days = row.keep_in_touch_days?;
            let since = ws.model.last_contact_of(id).unwrap_or(row.created_at);
            Some((days, rapport_core::ids::Timestamp(since.0 + i64::from(days) * 86_400_000)))
        })
        .flatten()
    });
    let choose = move |e: leptos::ev::Event| {
        let days = event_target_value(&e).parse::<u32>().ok();
        profile::save(ctx, id, move |party| party.keep_in_touch_days = days);
    };
    view! {
        <section class="panel keep-in-touch" aria-labelledby="keep-in-touch-title">
            <h2 id="keep-in-touch-title">{t!(i18n, party.keep_in_touch)}</h2>
            <select
                data-testid="keep-in-touch"
                aria-label=move || t_string!(i18n, party.keep_in_touch_label)
                disabled=move || !account.can_edit()
                on:change=choose
            >
                {CADENCES.iter().map(|days| {
                    let value = days.map(|d| d.to_string()).unwrap_or_default();
                    let days = *days;
                    view! {
                        <option value=value selected=move || state.get().map(|(d, _)| d) == days>{move || cadence_label(i18n, days)}</option>
                    }
                }).collect_view()}
            </select>
            {move || state.get().map(|(_, due)| {
                let overdue = due <= local::now();
                let text = if overdue {
                    t_string!(i18n, party.contact_was_due, date = crate::widgets::local_date(due)).to_string()
                } else {
                    t_string!(i18n, party.next_contact, date = crate::widgets::local_date(due)).to_string()
                };
                view! { <p class="hint" class:overdue=overdue data-testid="keep-in-touch-due">{text}</p> }
            })}
        </section>
    }
}

/// What is to be done about this party: its open tasks, and a field to add the next one.
#[component]
fn NextSteps(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let steps = Memo::new(move |_| ctx.read(|ws| widgets::next_steps(ws, id)).unwrap_or_default());
    view! {
        <section class="panel" aria-labelledby="next-steps-title" data-testid="next-steps">
            <h2 id="next-steps-title">{t!(i18n, party.next_steps)}</h2>
            <Show when=move || account.can_edit()>
                <widgets::NewTask about=Some(id) />
            </Show>
            {move || {
                let steps = steps.get();
                if steps.is_empty() {
                    view! { <p class="hint">{t!(i18n, party.no_open_task)}</p> }.into_any()
                } else {
                    view! { <widgets::TaskList lines=steps /> }.into_any()
                }
            }}
        </section>
    }
}

/// What the timeline can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimelineFilter {
    All,
    Calls,
    Visits,
    Meetings,
    /// Emails and messages.
    Emails,
    Notes,
    Tasks,
    Deals,
    Tickets,
}

/// One entry of the timeline as it is shown.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    at: rapport_core::ids::Timestamp,
    /// `call`, `visit`, `meeting`, `email`, `message`, `note`, `task`, `task-done` or `deal`: its icon
    /// and test handle.
    kind: &'static str,
    label: String,
    text: String,
    who: Option<String>,
    /// For an email: the outbox id it was (or will be) sent under, if it went through the relay.
    mail: Option<rapport_core::outbox::OutboxId>,
    /// The record's own page, for an entry that is a record (a ticket).
    link: Option<String>,
}

impl Entry {
    fn shown_by(&self, filter: TimelineFilter) -> bool {
        match filter {
            TimelineFilter::All => true,
            TimelineFilter::Calls => self.kind == "call",
            TimelineFilter::Visits => self.kind == "visit",
            TimelineFilter::Meetings => matches!(self.kind, "meeting" | "event"),
            TimelineFilter::Emails => {
                matches!(self.kind, "email" | "email-received" | "message" | "update" | "campaign")
            }
            TimelineFilter::Notes => self.kind == "note",
            TimelineFilter::Tasks => self.kind.starts_with("task"),
            TimelineFilter::Deals => self.kind == "deal",
            TimelineFilter::Tickets => self.kind == "ticket",
        }
    }
}

/// A small line icon per kind of entry (stroke-drawn, in the text's colour).
fn icon(kind: &str) -> &'static str {
    match kind {
        "call" => {
            "M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2"
        }
        "visit" => {
            "M12 21s-7-6.2-7-11a7 7 0 0 1 14 0c0 4.8-7 11-7 11zM12 12.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5"
        }
        "meeting" | "event" => {
            "M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6M2 20c0-3 3-5 6-5s6 2 6 5M13 15.5c1-.3 2-.5 3-.5 3 0 6 2 6 5"
        }
        "email" | "email-received" | "update" | "campaign" => "M3 5h18v14H3zM3 6l9 7 9-7",
        "task" => "M4 4h16v16H4z",
        "task-done" => "M4 4h16v16H4zM8 12l3 3 5-6",
        "deal" => "M3 7h18v13H3zM8 7V4h8v3M3 12h18",
        "ticket" => "M3 8V6h18v2a2 2 0 0 0 0 4v2H3v-2a2 2 0 0 0 0-4zM3 14v4h18v-4",
        // A star.
        "kudos" => "M12 3l2.6 5.6 6.1.7-4.5 4.2 1.2 6L12 16.6 6.6 19.5l1.2-6L3.3 9.3l6.1-.7z",
        _ => "M5 4h14v16H5zM8 9h8M8 13h8M8 17h5",
    }
}

/// Everything with this party, newest first and grouped by day: calls, meetings and visits, tasks and
/// deals, each with its icon, who and when; narrowed to one kind with a tap.
#[component]
fn Timeline(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let filter = RwSignal::new(TimelineFilter::All);
    let published = crate::publishing::PublishedCtx::use_ctx();
    // The newest entries first; older ones a tap away, a page at a time (a record of many years can
    // hold thousands).
    let shown = RwSignal::new(TIMELINE_PAGE);
    // The entries shown, and how many there are in all.
    let entries = Memo::new(move |_| {
        ctx.read(|ws| {
            let name = |member: Option<rapport_core::ids::MemberId>| {
                member
                    .and_then(|m| ws.settings.members.get(&m.to_string()))
                    .map(|m| m.display_name.clone())
            };
            let filter = filter.get();
            let mut entries = queries::timeline(&ws.model, id)
                .into_iter()
                .map(|(at, item)| match item {
                    TimelineItem::Interaction(row) => {
                        use rapport_core::model::InteractionKind as K;
                        let kind = match row.kind() {
                            K::Call => "call",
                            K::Visit => "visit",
                            K::Meeting => "meeting",
                            K::Email => "email",
                            K::Message => "message",
                            K::Note => "note",
                        };
                        // An answer that came by mail was received, not sent: no sending state.
                        let received = row.answers.is_some();
                        let mail = (row.kind() == K::Email && !received)
                            .then(|| rapport_core::outbox::OutboxId::of_mail(ws.workspace, row.id));
                        let (kind, label) = if received {
                            ("email-received", t_string!(i18n, party.email_received).to_owned())
                        } else {
                            (kind, widgets::interaction_label(row.kind()).to_owned())
                        };
                        Entry {
                            at,
                            kind,
                            label,
                            text: row.summary.clone(),
                            who: name(row.author),
                            mail,
                            link: None,
                        }
                    }
                    TimelineItem::Task(row) => {
                        let (kind, label) = if row.done_at.is_some() {
                            ("task-done", t_string!(i18n, party.task_done))
                        } else {
                            ("task", t_string!(i18n, party.task))
                        };
                        Entry {
                            at,
                            kind,
                            label: label.to_owned(),
                            text: row.title.clone(),
                            who: name(row.assignee),
                            mail: None,
                            link: None,
                        }
                    }
                    TimelineItem::Deal(row) => Entry {
                        at,
                        kind: "deal",
                        label: t_string!(i18n, party.deal).to_owned(),
                        text: format!(
                            "{} · {}",
                            row.title,
                            crate::widgets::money(row.amount_minor, &row.currency)
                        ),
                        who: name(row.owner),
                        mail: None,
                        link: None,
                    },
                    TimelineItem::Ticket(row) => {
                        let statuses = rapport_core::service::Statuses::of(&ws.settings);
                        Entry {
                            at,
                            kind: "ticket",
                            label: format!(
                                "{} · {}",
                                t_string!(i18n, party.ticket),
                                crate::pages::tickets::status_name(&statuses, &row.status)
                            ),
                            text: row.subject.clone(),
                            who: name(row.assignee),
                            mail: None,
                            link: Some(format!("/tickets/{}", row.id)),
                        }
                    }
                    TimelineItem::Update(row) => {
                        // What the investor did with the link, as the relay last said.
                        let read = published.updates.with(|list| {
                            list.as_ref().and_then(|l| l.activity(row.id, id)).map(|a| {
                                let reaction = a.reaction.map(|r| {
                                    format!(
                                        " · {}",
                                        crate::pages::investor_update::reaction_name(r)
                                    )
                                });
                                (a.opens, reaction.unwrap_or_default())
                            })
                        });
                        let status = match read {
                            Some((opens, reaction)) if opens > 0 => {
                                format!("{}{reaction}", t_string!(i18n, investor.opened))
                            }
                            Some((_, reaction)) => reaction.trim_start_matches(" · ").to_owned(),
                            // Not heard from the relay (offline, or a viewer): nothing said.
                            None if published.updates.with(Option::is_none) => String::new(),
                            None => t_string!(i18n, investor.not_opened).to_owned(),
                        };
                        Entry {
                            at,
                            kind: "update",
                            label: t_string!(i18n, investor.update).to_owned(),
                            text: if status.is_empty() {
                                row.title.clone()
                            } else {
                                format!("{} · {status}", row.title)
                            },
                            who: name(row.sent_by),
                            mail: None,
                            link: Some(format!("/investors/updates/{}", row.id)),
                        }
                    }
                    TimelineItem::Campaign(row, to) => Entry {
                        at,
                        kind: "campaign",
                        label: t_string!(i18n, campaigns.campaign).to_owned(),
                        text: row.name.clone(),
                        who: name(row.sent_by),
                        // Where this person's copy stands, as for any mail.
                        mail: Some(row.copy_id(ws.workspace, to)),
                        link: Some(format!("/marketing/campaigns/{}", row.id)),
                    },
                    TimelineItem::Kudos(row) => Entry {
                        at,
                        kind: "kudos",
                        label: if row.value.is_empty() {
                            t_string!(i18n, employee.kudos).to_owned()
                        } else {
                            format!("{} · {}", t_string!(i18n, employee.kudos), row.value)
                        },
                        text: row.message.clone(),
                        who: name(Some(row.from)),
                        mail: None,
                        link: Some("/team".to_owned()),
                    },
                    TimelineItem::Event(row) => {
                        let family = ws.model.merged_family(id);
                        let came = family.iter().any(|p| row.attended(*p));
                        let how = if came {
                            t_string!(i18n, investor.attendance_attended)
                        } else {
                            t_string!(i18n, investor.attendance_invited)
                        };
                        Entry {
                            at,
                            kind: "event",
                            label: format!(
                                "{} · {how}",
                                crate::pages::investor_event::kind_name(&row.kind)
                            ),
                            text: row.title.clone(),
                            who: name(row.owner),
                            mail: None,
                            link: Some(format!("/investors/events/{}", row.id)),
                        }
                    }
                })
                .filter(|entry| entry.shown_by(filter))
                .collect::<Vec<_>>();
            // Narrowed first, then a page of it: the filter looks through the whole history.
            let total = entries.len();
            entries.truncate(shown.get());
            (entries, total)
        })
        .unwrap_or_default()
    });
    let total = move || entries.with(|(_, total)| *total);
    // Grouped by local day, newest first (the entries come in that order).
    let days = move || {
        let mut days: Vec<(String, Vec<Entry>)> = Vec::new();
        for entry in entries.get().0 {
            let day = crate::widgets::local_date(entry.at);
            match days.last_mut() {
                Some((last, list)) if *last == day => list.push(entry),
                _ => days.push((day, vec![entry])),
            }
        }
        days
    };
    let chip = move |value: TimelineFilter, label: &'static str, key: &'static str| {
        view! {
            <button type="button" class="chip" data-testid="timeline-filter" data-show=key
                aria-pressed=move || (filter.get() == value).to_string()
                on:click=move |_| filter.set(value)>
                {label}
            </button>
        }
    };
    view! {
        <section class="panel" aria-labelledby="timeline-title" data-testid="timeline">
            <h2 id="timeline-title">{t!(i18n, party.timeline)}</h2>
            <div class="chips" role="group" aria-label=move || t_string!(i18n, party.timeline_show)>
                {move || view! {
                    {chip(TimelineFilter::All, t_string!(i18n, party.show_all), "all")}
                    {chip(TimelineFilter::Calls, t_string!(i18n, party.show_calls), "calls")}
                    {chip(TimelineFilter::Visits, t_string!(i18n, party.show_visits), "visits")}
                    {chip(TimelineFilter::Meetings, t_string!(i18n, party.show_meetings), "meetings")}
                    {chip(TimelineFilter::Emails, t_string!(i18n, party.show_emails), "emails")}
                    {chip(TimelineFilter::Notes, t_string!(i18n, party.show_notes), "notes")}
                    {chip(TimelineFilter::Tasks, t_string!(i18n, party.show_tasks), "tasks")}
                    {chip(TimelineFilter::Deals, t_string!(i18n, party.show_deals), "deals")}
                    {chip(TimelineFilter::Tickets, t_string!(i18n, party.show_tickets), "tickets")}
                }}
            </div>
            {move || {
                let days = days();
                if days.is_empty() {
                    view! { <p class="hint">{t!(i18n, party.nothing_logged)}</p> }.into_any()
                } else {
                    view! {
                        <ol class="timeline">
                            {days.into_iter().map(|(day, list)| view! {
                                <li class="timeline-day">
                                    <h3 class="timeline-date" data-testid="timeline-day">{day}</h3>
                                    <ul class="rows">
                                        {list.into_iter().map(|entry| {
                                            let time = crate::widgets::local_time(entry.at);
                                            view! {
                                                <li class="timeline-item" data-testid="timeline-item" data-kind=entry.kind>
                                                    <span class="timeline-icon" aria-hidden="true">
                                                        <svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round">
                                                            <path d=icon(entry.kind) />
                                                        </svg>
                                                    </span>
                                                    <span class="timeline-body">
                                                        <span class="row-title">{entry.label}</span>
                                                        {match entry.link {
                                                            Some(href) => view! { <a class="timeline-text" href=href data-testid="timeline-link">{entry.text}</a> }.into_any(),
                                                            None => (!entry.text.is_empty()).then(|| view! { <span class="timeline-text">{entry.text}</span> }).into_any(),
                                                        }}
                                                        <span class="row-detail">
                                                            {entry.who.map(|who| format!("{who} · ")).unwrap_or_default()}
                                                            <time>{time}</time>
                                                        </span>
                                                        {entry.mail.map(|id| view! { <widgets::MailState id /> })}
                                                    </span>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
            <Show when=move || { total() > shown.get() }>
                <button type="button" data-testid="timeline-more" on:click=move |_| shown.update(|n| *n += TIMELINE_PAGE)>
                    {move || t_string!(i18n, party.show_older, count = widgets::count(total().saturating_sub(shown.get()))).to_string()}
                </button>
            </Show>
        </section>
    }
}

/// How many timeline entries show at first, and how many more each "show older" adds.
const TIMELINE_PAGE: usize = 200;

/// One field change as the history panel lists it.
#[derive(Debug, Clone, PartialEq)]
struct HistoryLine {
    field: String,
    text: String,
    when: String,
    /// The old value and the document's heads before the change, when restoring it would change the
    /// field (it differs from the value now).
    restore: Option<(String, Vec<automerge::ChangeHash>)>,
}

/// Every change to this record's fields, newest first, with who and when; an earlier value can be put
/// back. Read only while open (it walks the document's whole history).
#[component]
fn RecordHistory(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let open = RwSignal::new(false);
    let lines = RwSignal::new(None::<Result<Vec<HistoryLine>, String>>);
    let panel = NodeRef::<leptos::html::Details>::new();
    Effect::new(move || {
        ctx.read(|_| ());
        if !open.get() {
            return;
        }
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let names = Names::of(&shared.borrow());
            let read = local::field_history::<Party>(&shared, id).await;
            lines.set(Some(
                read.map(|changes| history_lines(changes, &names)).map_err(|e| e.to_string()),
            ));
        });
    });
    // "As it was on": the record at the end of a chosen day.
    let day = RwSignal::new(String::new());
    let then = RwSignal::new(None::<Result<Option<(String, String, String, String)>, String>>);
    Effect::new(move || {
        ctx.read(|_| ());
        let Some(start) = crate::widgets::parse_date_input(&day.get()) else {
            then.set(None);
            return;
        };
        let Some(shared) = ctx.shared() else { return };
        // The end of that local day (a day is 24 h but for daylight-saving changes; close enough).
        let end = rapport_core::ids::Timestamp(start.0 + 86_400_000 - 1);
        spawn_local(async move {
            let read = local::record_as_of::<Party>(&shared, id, end).await;
            then.set(Some(
                read.map(|party| party.as_ref().map(form_values)).map_err(|e| e.to_string()),
            ));
        });
    });
    let restore = move |field: String, before: Vec<automerge::ChangeHash>| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let key = id.to_string();
            let records = [key.clone()];
            let result = local::write(&shared, Party::doc_key(&id), &records, |doc| {
                history::restore_field(doc, &key, &field, &before)
                    .map(|_| ())
                    .map_err(|error| local::LocalError::Document(Box::new(error).into()))
            })
            .await;
            if let Err(error) = result {
                ctx.report(&error);
            }
        });
    };
    view! {
        <details
            class="panel history"
            data-testid="record-history"
            node_ref=panel
            on:toggle=move |_| open.set(panel.get_untracked().is_some_and(|p| p.open()))
        >
            <summary data-testid="history-open">{t!(i18n, party.history)}</summary>
            <label class="as-of">
                {t!(i18n, party.as_of)}
                <input type="date" data-testid="as-of-date" prop:value=move || day.get()
                    on:input=move |e| day.set(event_target_value(&e)) />
            </label>
            {move || then.get().map(|then| match then {
                Ok(Some((name, email, phone, tags))) => view! {
                    <dl class="facts" data-testid="as-of">
                        <dt>{t!(i18n, party.name)}</dt><dd data-testid="as-of-name">{name}</dd>
                        <dt>{t!(i18n, party.email)}</dt><dd>{email}</dd>
                        <dt>{t!(i18n, party.phone)}</dt><dd>{phone}</dd>
                        <dt>{t!(i18n, party.tags)}</dt><dd>{tags}</dd>
                    </dl>
                }.into_any(),
                Ok(None) => view! { <p class="hint" data-testid="as-of">{t!(i18n, party.not_yet)}</p> }.into_any(),
                Err(error) => view! { <p class="error">{error}</p> }.into_any(),
            })}
            {move || match lines.get() {
                None => view! { <p class="hint">{t!(i18n, party.reading)}</p> }.into_any(),
                Some(Err(error)) => view! { <p class="error">{error}</p> }.into_any(),
                Some(Ok(lines)) => view! {
                    <ul class="rows">
                        {lines.into_iter().map(|line| {
                            let restore_button = line.restore.clone().filter(|_| account.can_edit()).map(|(old, before)| {
                                let field = line.field.clone();
                                view! {
                                    <button
                                        type="button"
                                        class="restore"
                                        data-testid="history-restore"
                                        on:click=move |_| restore(field.clone(), before.clone())
                                    >
                                        {t_string!(i18n, party.restore, value = old).to_string()}
                                    </button>
                                }
                            });
                            view! {
                                <li class="row" data-testid="history-line" data-field=line.field.clone()>
                                    <span class="row-title">{line.text}</span>
                                    <span class="row-detail">{line.when}</span>
                                    {restore_button}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </details>
    }
}

/// What the history needs to name things: members, parties and custom fields by id.
struct Names {
    members: std::collections::BTreeMap<String, rapport_core::model::Member>,
    parties: std::collections::HashMap<PartyId, String>,
    custom: std::collections::BTreeMap<String, String>,
}

impl Names {
    fn of(ws: &rapport_core::replica::Replica) -> Names {
        Names {
            members: ws.settings.members.clone(),
            parties: ws.model.parties.iter().map(|(id, row)| (*id, row.name.clone())).collect(),
            custom: ws
                .settings
                .custom_fields
                .iter()
                .map(|(id, f)| (id.clone(), f.label.clone()))
                .collect(),
        }
    }
}

/// A field's value in people's words: "zoe@example.com, +49 30 1234", "Customer · Supplier", "Anna
/// Berg", "Every month", "Works at Nordwind GmbH (CFO)" — never labels, ids or enum names.
fn said(value: &history::PartyValue, names: &Names) -> String {
    use history::PartyValue;
    let locale = crate::locale::current();
    let text = match value {
        PartyValue::Empty => return td_string!(locale, party.empty).to_owned(),
        PartyValue::Text(text) => text.clone(),
        PartyValue::Values(values) => values.join(", "),
        PartyValue::Roles(keys) => keys
            .iter()
            .map(|key| {
                rapport_core::model::Role::from_key(key)
                    .map_or_else(|| key.clone(), |role| crate::widgets::role_name(role).to_owned())
            })
            .collect::<Vec<_>>()
            .join(" · "),
        PartyValue::Kind(rapport_core::model::PartyKind::Person) => {
            td_string!(locale, profile.person).to_owned()
        }
        PartyValue::Kind(rapport_core::model::PartyKind::Organisation) => {
            td_string!(locale, profile.organisation).to_owned()
        }
        PartyValue::Member(member) => names.members.get(&member.to_string()).map_or_else(
            || td_string!(locale, party.former_member).to_owned(),
            |m| m.display_name.clone(),
        ),
        PartyValue::Days(days) => match days {
            7 => td_string!(locale, party.cadence_week),
            14 => td_string!(locale, party.cadence_2weeks),
            30 => td_string!(locale, party.cadence_month),
            90 => td_string!(locale, party.cadence_quarter),
            365 => td_string!(locale, party.cadence_year),
            _ => return td_string!(locale, party.every_days, days).to_string(),
        }
        .to_owned(),
        PartyValue::Relations(links) => links
            .iter()
            .map(|(kind, party, title)| {
                let name = names
                    .parties
                    .get(party)
                    .cloned()
                    .unwrap_or_else(|| td_string!(locale, party.another).to_owned());
                let kind = match kind.as_str() {
                    "WorksAt" => td_string!(locale, profile.works_at).to_owned(),
                    _ => td_string!(locale, party.linked_to).to_owned(),
                };
                if title.is_empty() {
                    format!("{kind} {name}")
                } else {
                    format!("{kind} {name} ({title})")
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        PartyValue::Custom(values) => values
            .iter()
            .map(|(id, value)| {
                format!("{}: {value}", names.custom.get(id).cloned().unwrap_or_else(|| id.clone()))
            })
            .collect::<Vec<_>>()
            .join("; "),
        PartyValue::Consent(answers) => answers
            .iter()
            .map(|(question, yes)| {
                let question = match question.as_str() {
                    "email_marketing" => td_string!(locale, party.consent_email),
                    "phone_calls" => td_string!(locale, party.consent_calls),
                    _ => td_string!(locale, party.consent_data),
                };
                let answer =
                    if *yes { td_string!(locale, party.yes) } else { td_string!(locale, party.no) };
                format!("{question}: {answer}")
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    shorten(&text)
}

/// The record's field changes as lines, newest first, in people's words ("Email changed from … to …").
/// Bookkeeping fields are left out.
fn history_lines(changes: Vec<history::FieldChange>, names: &Names) -> Vec<HistoryLine> {
    let locale = crate::locale::current();
    let mut current: std::collections::HashMap<String, Option<String>> =
        std::collections::HashMap::new();
    for change in &changes {
        current.insert(change.field.clone(), change.new.clone());
    }
    changes
        .into_iter()
        .rev()
        .filter(|change| {
            !matches!(change.field.as_str(), "created_at" | "archived" | "merged_into")
        })
        .take(100)
        .map(|change| {
            let label = field_label(&change.field);
            let old = history::party_value(&change.field, change.old_value.as_ref());
            let new = history::party_value(&change.field, change.new_value.as_ref());
            let text = match (&old, &new) {
                (history::PartyValue::Empty, _) => {
                    td_string!(locale, party.set_to, label, value = said(&new, names)).to_string()
                }
                (_, history::PartyValue::Empty) => {
                    td_string!(locale, party.cleared, label, old = said(&old, names)).to_string()
                }
                _ => td_string!(
                    locale,
                    party.changed,
                    label,
                    old = said(&old, names),
                    new = said(&new, names)
                )
                .to_string(),
            };
            let who = change
                .by
                .and_then(|m| names.members.get(&m.to_string()))
                .map(|m| format!(" · {}", m.display_name))
                .unwrap_or_default();
            let now = current.get(&change.field).cloned().flatten();
            let restore = change
                .old
                .clone()
                .filter(|old| Some(old) != now.as_ref())
                .map(|_| (said(&old, names), change.before.clone()));
            HistoryLine {
                field: change.field,
                text,
                when: format!("{}{who}", super::local_date_time(change.at)),
                restore,
            }
        })
        .collect()
}

/// A field's name in the screens' language (the history and conflict panels).
pub(super) fn field_label(field: &str) -> String {
    let locale = crate::locale::current();
    match field {
        "name" => td_string!(locale, party.name),
        "given_name" => td_string!(locale, party.f_given_name),
        "family_name" => td_string!(locale, party.f_family_name),
        "emails" => td_string!(locale, party.email),
        "phones" => td_string!(locale, party.phone),
        "addresses" => td_string!(locale, party.f_address),
        "links" => td_string!(locale, party.f_links),
        "tags" => td_string!(locale, party.tags),
        "roles" => td_string!(locale, party.f_roles),
        "notes" => td_string!(locale, party.f_notes),
        "kind" => td_string!(locale, party.f_kind),
        "owner" => td_string!(locale, party.f_owner),
        "keep_in_touch_days" => td_string!(locale, party.f_keep_in_touch),
        "relations" => td_string!(locale, party.f_relations),
        "custom" => td_string!(locale, party.f_custom),
        "consent" => td_string!(locale, party.f_consent),
        "birthday" => td_string!(locale, party.f_birthday),
        "anniversary" => td_string!(locale, party.f_anniversary),
        other => other,
    }
    .to_owned()
}

/// At most 60 characters of a value, for a line of the history.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Fields two people changed at the same time: every value, and a button to keep each.
#[component]
fn Conflicts(id: PartyId, conflicts: Vec<FieldConflict>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let choose = move |field: String, value: ScalarValue| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let key = id.to_string();
            let records = [key.clone()];
            let result = local::write(&shared, Party::doc_key(&id), &records, |doc| {
                Ok(document::resolve(doc, &key, &field, value)?)
            })
            .await;
            if let Err(error) = result {
                ctx.report(&error);
            }
        });
    };
    view! {
        <section class="panel conflicts" data-testid="conflicts" aria-label=move || t_string!(i18n, party.conflicts)>
            <h2>{t!(i18n, party.conflicts)}</h2>
            {conflicts.into_iter().map(|conflict| {
                let field = conflict.field.clone();
                view! {
                    <div class="conflict" data-testid="conflict" data-field=field.clone()>
                        <p>{t_string!(i18n, party.keep_which, field = field_label(&conflict.field)).to_string()}</p>
                        {conflict.values.into_iter().filter_map(|value| match value {
                            ConflictValue::Scalar(scalar) => Some(scalar),
                            ConflictValue::Object(_) => None,
                        }).map(|scalar| {
                            let label = match &scalar {
                                ScalarValue::Str(text) => text.to_string(),
                                other => other.to_string(),
                            };
                            let field = field.clone();
                            view! {
                                <button type="button" data-testid="conflict-choice"
                                    on:click=move |_| choose(field.clone(), scalar.clone())>
                                    {label}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}
