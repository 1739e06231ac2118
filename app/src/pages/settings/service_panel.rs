//! Customer service: the support teams (who is in each, how tickets find an assignee, their working
//! hours in their time zone, holidays) and the service-level policies (which tickets, what targets per
//! priority). Each change is saved as it is made; deadlines everywhere move at once, since every
//! device derives them (`rapport_core::service`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{PolicyId, TeamId};
use rapport_core::model::{Assignment, SlaPolicy, Team, TicketPriority, WorkspaceSettings};
use rapport_core::read_model::Changed;
use rapport_core::sla::{self, LocalDay, Targets, Week, WorkingHours};

use crate::i18n::{t, t_string, use_i18n};
use crate::local::{self, BrowserIds};
use crate::pages::tickets::priority_name;
use crate::state::WorkspaceCtx;

/// Applies `change` to the settings as stored (never to a copy, which would write back whatever it
/// held of other settings), or shows why it was refused. Every change here refuses before it changes
/// anything, so a refused one writes nothing.
pub(super) fn edit(
    ctx: WorkspaceCtx,
    error: RwSignal<Option<String>>,
    change: impl FnOnce(&mut WorkspaceSettings) -> Result<(), String> + 'static,
) {
    let Some(shared) = ctx.shared() else { return };
    spawn_local(async move {
        let refused = std::rc::Rc::new(std::cell::RefCell::new(None::<String>));
        let told = refused.clone();
        let result = local::update_settings(&shared, move |stored| {
            if let Err(why) = change(stored) {
                *told.borrow_mut() = Some(why);
            }
        })
        .await;
        let refused = refused.borrow_mut().take();
        match refused {
            Some(why) => error.set(Some(why)),
            None => {
                ctx.settle(result, error);
            }
        }
    });
}

/// A change to one team or policy, refused with the reason.
pub(super) type Change<T> = Box<dyn FnOnce(&mut T) -> Result<(), String>>;

/// `HH:MM` → minutes from midnight.
fn minutes(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 24 && minutes < 60 && hours * 60 + minutes <= 24 * 60).then_some(hours * 60 + minutes)
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One date per line (`YYYY-MM-DD`) → days; the first line that is no date is named.
fn holidays(text: &str) -> Result<Vec<LocalDay>, String> {
    let mut days = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let mut parts = line.splitn(3, '-').map(str::parse::<u32>);
        let day = match (parts.next(), parts.next(), parts.next()) {
            (Some(Ok(year)), Some(Ok(month)), Some(Ok(day))) => LocalDay {
                year: year as i32,
                month: u8::try_from(month).unwrap_or(0),
                day: u8::try_from(day).unwrap_or(0),
            },
            _ => return Err(line.to_owned()),
        };
        if day.days_since_epoch().is_none() {
            return Err(line.to_owned());
        }
        days.push(day);
    }
    days.sort();
    days.dedup();
    Ok(days)
}

#[component]
pub(super) fn ServicePanel() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let teams = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            let mut teams: Vec<(TeamId, Team)> = ws
                .settings
                .teams
                .iter()
                .filter_map(|(id, team)| Some((id.parse().ok()?, team.clone())))
                .collect();
            teams.sort_by(|a, b| a.1.name.cmp(&b.1.name));
            teams
        })
        .unwrap_or_default()
    });
    let policies = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            let mut policies: Vec<(PolicyId, SlaPolicy)> = ws
                .settings
                .sla_policies
                .iter()
                .filter_map(|(id, policy)| Some((id.parse().ok()?, policy.clone())))
                .collect();
            policies.sort_by_key(|(id, policy)| (policy.position, *id));
            policies
        })
        .unwrap_or_default()
    });
    let add_team = move |_| {
        let name = t_string!(i18n, service.new_team_name).to_owned();
        edit(ctx, error, move |settings| {
            let hours = WorkingHours {
                zone: "UTC".into(),
                rule: sla::zone_rule("UTC").unwrap_or("UTC0").into(),
                spans: Week::OFFICE.spans(),
                holidays: Vec::new(),
            };
            let team = Team {
                name,
                members: Default::default(),
                hours: Some(hours),
                assignment: Assignment::Manual,
            };
            settings.teams.insert(TeamId::generate(&mut BrowserIds).to_string(), team);
            Ok(())
        });
    };
    let add_policy = move |_| {
        let name = t_string!(i18n, service.new_policy_name).to_owned();
        edit(ctx, error, move |settings| {
            let mut policy = rapport_core::service::standard_policy(&name);
            policy.position =
                settings.sla_policies.values().map(|p| p.position + 1).max().unwrap_or(0);
            settings.sla_policies.insert(PolicyId::generate(&mut BrowserIds).to_string(), policy);
            Ok(())
        });
    };
    let read_only = move || !account.can_edit();
    view! {
        <section class="panel service" aria-labelledby="service-title" data-testid="service-settings">
            <h2 id="service-title">{t!(i18n, service.title)}</h2>
            <p class="hint">{t!(i18n, service.hint)}</p>
            <datalist id="zone-names">
                {sla::zone_names().map(|zone| view! { <option value=zone></option> }).collect_view()}
            </datalist>
            <h3>{t!(i18n, service.teams)}</h3>
            <For each=move || teams.get() key=|entry| entry.clone() let:entry>
                <TeamEditor id=entry.0 team=entry.1 error read_only=Signal::derive(read_only) />
            </For>
            <Show when=move || !read_only()>
                <button type="button" data-testid="add-team" on:click=add_team>{t!(i18n, service.add_team)}</button>
            </Show>
            <h3>{t!(i18n, service.policies)}</h3>
            <Show when=move || policies.with(Vec::is_empty)>
                <p class="hint">{t!(i18n, service.no_policy)}</p>
            </Show>
            <For each=move || policies.get() key=|entry| entry.clone() let:entry>
                <PolicyEditor id=entry.0 policy=entry.1 error read_only=Signal::derive(read_only) />
            </For>
            <Show when=move || !read_only()>
                <button type="button" data-testid="add-policy" on:click=add_policy>{t!(i18n, service.add_policy)}</button>
            </Show>
            <super::ticket_statuses::TicketStatuses error read_only=Signal::derive(read_only) />
            <super::escalation_rules::EscalationRules error read_only=Signal::derive(read_only) />
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="service-error">{e}</p> })}
            <SupportAddress />
            <SatisfactionSurveys />
        </section>
    }
}

/// The workspace's support address: mail sent to it becomes tickets (or replies on the tickets it
/// answers), and customers' answers to replies sent from a ticket come back to it.
#[component]
fn SupportAddress() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = crate::outbox::OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let linked = move || ctx.read(|ws| ws.linked).unwrap_or(false);
    let make = move |_| {
        let Some(shared) = ctx.shared() else { return };
        let workspace = shared.borrow().replica.workspace;
        busy.set(true);
        leptos::task::spawn_local(async move {
            let made = crate::relay_api::make_support_address(workspace).await;
            busy.set(false);
            match made {
                Ok(address) => {
                    error.set(None);
                    outbox.support_address.set(Some(address));
                }
                Err(failure) => error.set(Some(failure.said())),
            }
        });
    };
    view! {
        <h3>{t!(i18n, service.support_address)}</h3>
        {move || match (linked(), outbox.relay_inbound.get(), outbox.support_address.get()) {
            (true, Some(true), Some(address)) => view! {
                <p class="support-address"><code data-testid="support-address">{address}</code></p>
                <p class="hint">{t!(i18n, service.support_address_hint)}</p>
            }.into_any(),
            (true, Some(true), None) => view! {
                <p class="hint">{t!(i18n, service.support_address_none)}</p>
                <Show when=move || account.can_edit()>
                    <button type="button" data-testid="make-support-address" on:click=make disabled=move || busy.get()>
                        {t!(i18n, service.make_support_address)}
                    </button>
                </Show>
            }.into_any(),
            (true, Some(false), _) => view! { <p class="hint">{t!(i18n, service.no_inbound)}</p> }.into_any(),
            _ => view! { <p class="hint">{t!(i18n, service.inbound_needs_relay)}</p> }.into_any(),
        }}
        {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="support-address-error">{e}</p> })}
    }
}

/// Whether resolving a ticket asks its customer to rate the answer (`rapport_core::satisfaction`).
#[component]
fn SatisfactionSurveys() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let on = move || {
        ctx.read_of(Changed::SETTINGS, |ws| !ws.settings.no_satisfaction_surveys).unwrap_or(true)
    };
    view! {
        <h3>{t!(i18n, service.surveys)}</h3>
        <label class="check">
            <input type="checkbox" data-testid="satisfaction-surveys" prop:checked=on
                disabled=move || !account.can_edit()
                on:change=move |e| {
                    let asks = event_target_checked(&e);
                    edit(ctx, error, move |settings| {
                        settings.no_satisfaction_surveys = !asks;
                        Ok(())
                    });
                } />
            {t!(i18n, service.surveys_on)}
        </label>
        <p class="hint">{t!(i18n, service.surveys_hint)}</p>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

#[component]
fn TeamEditor(
    id: TeamId,
    team: Team,
    error: RwSignal<Option<String>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let change = move |change: Change<Team>| {
        edit(ctx, error, move |settings| {
            let team = settings.teams.get_mut(&id.to_string()).ok_or_else(String::new)?;
            change(team)
        });
    };
    let hours = team.hours.clone();
    // Hours set so that a simple week cannot show them (another app, a merge of two edits): shown as
    // such, and not rewritten by this form.
    let shaped = hours.as_ref().map(|h| Week::of(&h.spans)).unwrap_or(Some(Week::OFFICE));
    let week = shaped.unwrap_or(Week::OFFICE);
    let zone = hours.as_ref().map(|h| h.zone.clone()).unwrap_or_else(|| "UTC".into());
    let holiday_text = hours
        .as_ref()
        .map(|h| {
            h.holidays
                .iter()
                .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    // The hours as the form shows them, changed by `change_week` and saved whole.
    let set_week = move |edit_week: Box<dyn FnOnce(&mut Week)>| {
        let locale = crate::locale::current();
        let odd = leptos_i18n::td_string!(locale, service.odd_hours).to_owned();
        change(Box::new(move |team| {
            let hours = team.hours.get_or_insert_with(|| WorkingHours {
                zone: "UTC".into(),
                rule: sla::zone_rule("UTC").unwrap_or("UTC0").into(),
                spans: Week::OFFICE.spans(),
                holidays: Vec::new(),
            });
            let mut week = Week::of(&hours.spans).ok_or(odd)?;
            edit_week(&mut week);
            hours.spans = week.spans();
            Ok(())
        }))
    };
    let members = move || ctx.read(rapport_core::replica::Replica::members).unwrap_or_default();
    let in_team = team.members.clone();
    let weekdays = move || {
        let locale = crate::locale::current();
        [
            leptos_i18n::td_string!(locale, service.mon),
            leptos_i18n::td_string!(locale, service.tue),
            leptos_i18n::td_string!(locale, service.wed),
            leptos_i18n::td_string!(locale, service.thu),
            leptos_i18n::td_string!(locale, service.fri),
            leptos_i18n::td_string!(locale, service.sat),
            leptos_i18n::td_string!(locale, service.sun),
        ]
    };
    let assignment = team.assignment;
    view! {
        <fieldset class="record-form team-editor" data-testid="team" disabled=move || read_only.get()>
            <legend>{team.name.clone()}</legend>
            <div class="field-row">
                <label>
                    {t!(i18n, service.team_name)}
                    <input type="text" data-testid="team-name" value=team.name.clone() on:change=move |e| {
                        let name = event_target_value(&e).trim().to_owned();
                        if !name.is_empty() {
                            change(Box::new(move |team| { team.name = name; Ok(()) }));
                        }
                    } />
                </label>
                <label>
                    {t!(i18n, service.assignment)}
                    <select data-testid="team-assignment" on:change=move |e| {
                        let chosen = match event_target_value(&e).as_str() {
                            "round_robin" => Assignment::RoundRobin,
                            "least_loaded" => Assignment::LeastLoaded,
                            _ => Assignment::Manual,
                        };
                        change(Box::new(move |team| { team.assignment = chosen; Ok(()) }));
                    }>
                        <option value="manual" selected=assignment == Assignment::Manual>{t!(i18n, service.manual)}</option>
                        <option value="round_robin" selected=assignment == Assignment::RoundRobin>{t!(i18n, service.round_robin)}</option>
                        <option value="least_loaded" selected=assignment == Assignment::LeastLoaded>{t!(i18n, service.least_loaded)}</option>
                    </select>
                </label>
            </div>
            <div class="checks" role="group" aria-label=move || t_string!(i18n, service.members)>
                {move || members().into_iter().map(|(member, name)| {
                    let key = member.to_string();
                    let checked = rapport_core::model::names(&in_team).any(|m| m == key);
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid="team-member" checked=checked on:change=move |e| {
                                let on = event_target_checked(&e);
                                let key = key.clone();
                                change(Box::new(move |team| { team.members.insert(key, on); Ok(()) }));
                            } />
                            {name}
                        </label>
                    }
                }).collect_view()}
            </div>
            {shaped.is_none().then(|| view! { <p class="hint" data-testid="team-odd-hours">{t!(i18n, service.odd_hours)}</p> })}
            <label>
                {t!(i18n, service.zone)}
                <input type="text" list="zone-names" data-testid="team-zone" value=zone on:change=move |e| {
                    let zone = event_target_value(&e).trim().to_owned();
                    let locale = crate::locale::current();
                    let unknown = leptos_i18n::td_string!(locale, service.unknown_zone, zone = zone.clone()).to_string();
                    change(Box::new(move |team| {
                        let rule = sla::zone_rule(&zone).ok_or(unknown)?;
                        let hours = team.hours.get_or_insert_with(|| WorkingHours {
                            zone: String::new(),
                            rule: String::new(),
                            spans: Week::OFFICE.spans(),
                            holidays: Vec::new(),
                        });
                        hours.zone = zone;
                        hours.rule = rule.to_owned();
                        Ok(())
                    }));
                } />
            </label>
            <div class="checks" role="group" aria-label=move || t_string!(i18n, service.working_days)>
                {move || weekdays().into_iter().enumerate().map(|(day, name)| {
                    let on = week.days & (1 << day) != 0;
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid="team-day" checked=on on:change=move |e| {
                                let on = event_target_checked(&e);
                                set_week(Box::new(move |week| {
                                    if on { week.days |= 1 << day } else { week.days &= !(1 << day) }
                                }));
                            } />
                            {name}
                        </label>
                    }
                }).collect_view()}
            </div>
            <div class="field-row">
                <label>
                    {t!(i18n, service.from)}
                    <input type="time" data-testid="team-from" value=clock(week.from) on:change=move |e| {
                        if let Some(at) = minutes(&event_target_value(&e)) { set_week(Box::new(move |w| w.from = at)) }
                    } />
                </label>
                <label>
                    {t!(i18n, service.to)}
                    <input type="time" data-testid="team-to" value=clock(week.to) on:change=move |e| {
                        if let Some(at) = minutes(&event_target_value(&e)) { set_week(Box::new(move |w| w.to = at)) }
                    } />
                </label>
                <label>
                    {t!(i18n, service.break_from)}
                    <input type="time" data-testid="team-break-from" value=week.pause.map(|p| clock(p.0)).unwrap_or_default() on:change=move |e| {
                        let at = minutes(&event_target_value(&e));
                        set_week(Box::new(move |w| w.pause = at.map(|at| (at, w.pause.map_or(at + 60, |p| p.1)))))
                    } />
                </label>
                <label>
                    {t!(i18n, service.break_to)}
                    <input type="time" data-testid="team-break-to" value=week.pause.map(|p| clock(p.1)).unwrap_or_default() on:change=move |e| {
                        let at = minutes(&event_target_value(&e));
                        set_week(Box::new(move |w| w.pause = match (w.pause, at) {
                            (Some((start, _)), Some(end)) => Some((start, end)),
                            _ => None,
                        }))
                    } />
                </label>
            </div>
            <label>
                {t!(i18n, service.holidays)}
                <textarea rows="3" data-testid="team-holidays" placeholder="2027-01-01" on:change=move |e| {
                    let text = event_target_value(&e);
                    let locale = crate::locale::current();
                    let parsed = holidays(&text).map_err(|line| {
                        leptos_i18n::td_string!(locale, service.bad_holiday, line = line).to_string()
                    });
                    change(Box::new(move |team| {
                        let days = parsed?;
                        if let Some(hours) = team.hours.as_mut() {
                            hours.holidays = days;
                        }
                        Ok(())
                    }));
                }>{holiday_text}</textarea>
            </label>
        </fieldset>
    }
}

#[component]
fn PolicyEditor(
    id: PolicyId,
    policy: SlaPolicy,
    error: RwSignal<Option<String>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let change = move |change: Change<SlaPolicy>| {
        edit(ctx, error, move |settings| {
            let policy = settings.sla_policies.get_mut(&id.to_string()).ok_or_else(String::new)?;
            change(policy)
        });
    };
    let remove = move |_| {
        edit(ctx, error, move |settings| {
            settings.sla_policies.remove(&id.to_string());
            Ok(())
        })
    };
    // A target in hours as typed ("1.5"), or empty for none.
    let hours_text = |minutes: Option<u32>| {
        minutes.map(|m| format!("{}", f64::from(m) / 60.0)).unwrap_or_default()
    };
    let target_input = move |priority: TicketPriority, which: u8, current: Option<u32>| {
        view! {
            <input type="number" min="0" step="0.25" inputmode="decimal"
                data-testid=format!("target-{}-{which}", priority.as_str())
                aria-label=move || format!("{} · {}", priority_name(priority), match which {
                    0 => t_string!(i18n, ticket.first_response),
                    1 => t_string!(i18n, ticket.next_response),
                    _ => t_string!(i18n, ticket.resolution),
                })
                value=hours_text(current)
                on:change=move |e| {
                    let text = event_target_value(&e);
                    let minutes = text.trim().replace(',', ".").parse::<f64>().ok()
                        .filter(|h| h.is_finite() && *h >= 0.0 && *h <= 24.0 * 365.0)
                        .map(|h| (h * 60.0).round() as u32);
                    if minutes.is_none() && !text.trim().is_empty() {
                        error.set(Some(t_string!(i18n, service.bad_target).to_owned()));
                        return;
                    }
                    change(Box::new(move |policy| {
                        let targets: &mut Targets = policy.targets.entry(priority.as_str().to_owned()).or_default();
                        match which {
                            0 => targets.first_response = minutes,
                            1 => targets.next_response = minutes,
                            _ => targets.resolution = minutes,
                        }
                        Ok(())
                    }));
                } />
        }
    };
    let applies_to = policy.priorities.clone();
    let tags = rapport_core::model::names(&policy.tags).collect::<Vec<_>>().join(", ");
    view! {
        <fieldset class="record-form policy-editor" data-testid="policy" disabled=move || read_only.get()>
            <legend>{policy.name.clone()}</legend>
            <label>
                {t!(i18n, service.policy_name)}
                <input type="text" data-testid="policy-name" value=policy.name.clone() on:change=move |e| {
                    let name = event_target_value(&e).trim().to_owned();
                    if !name.is_empty() {
                        change(Box::new(move |policy| { policy.name = name; Ok(()) }));
                    }
                } />
            </label>
            <div class="checks" role="group" aria-label=move || t_string!(i18n, service.applies_to)>
                <span class="hint">{t!(i18n, service.applies_to)}</span>
                {rapport_core::service::priorities_urgent_first().map(|priority| {
                    let on = rapport_core::model::names(&applies_to).any(|p| p == priority.as_str());
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid="policy-priority" checked=on on:change=move |e| {
                                let on = event_target_checked(&e);
                                change(Box::new(move |policy| { policy.priorities.insert(priority.as_str().to_owned(), on); Ok(()) }));
                            } />
                            {move || priority_name(priority)}
                        </label>
                    }
                }).collect_view()}
            </div>
            <label>
                {t!(i18n, service.tags)}
                <input type="text" data-testid="policy-tags" value=tags on:change=move |e| {
                    let wanted: Vec<String> = event_target_value(&e).split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
                    change(Box::new(move |policy| {
                        for present in policy.tags.values_mut() { *present = false; }
                        for tag in wanted { policy.tags.insert(tag, true); }
                        Ok(())
                    }));
                } />
            </label>
            <table class="targets">
                <caption class="hint">{t!(i18n, service.targets_hint)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, tickets.priority)}</th>
                        <th scope="col">{t!(i18n, ticket.first_response)}</th>
                        <th scope="col">{t!(i18n, ticket.next_response)}</th>
                        <th scope="col">{t!(i18n, ticket.resolution)}</th>
                    </tr>
                </thead>
                <tbody>
                    {rapport_core::service::priorities_urgent_first().map(|priority| {
                        let targets = policy.targets.get(priority.as_str()).copied().unwrap_or_default();
                        view! {
                            <tr>
                                <th scope="row">{move || priority_name(priority)}</th>
                                <td>{target_input(priority, 0, targets.first_response)}</td>
                                <td>{target_input(priority, 1, targets.next_response)}</td>
                                <td>{target_input(priority, 2, targets.resolution)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <button type="button" data-testid="remove-policy" on:click=remove>{t!(i18n, service.remove_policy)}</button>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_holidays_are_read_as_typed_or_refused_by_line() {
        assert_eq!(minutes("09:30"), Some(570));
        assert_eq!(minutes("24:00"), Some(1440));
        assert_eq!(minutes("24:01"), None);
        assert_eq!(minutes("9"), None);
        assert_eq!(clock(570), "09:30");
        let days = holidays("2027-01-07\n\n2027-01-01\n2027-01-01").unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[0], LocalDay { year: 2027, month: 1, day: 1 });
        assert_eq!(holidays("2027-02-30"), Err("2027-02-30".to_owned()));
        assert_eq!(holidays("new year"), Err("new year".to_owned()));
    }
}
