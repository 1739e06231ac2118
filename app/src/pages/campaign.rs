//! One campaign: its mail (subject and text with merge fields), its audience (segments and lists in,
//! others out, consent), who it would reach now and a copy as the first of them would read it; a test
//! sent to oneself; and, once sent, where each recipient's copy stands.
//!
//! Sending queues every copy on this device at once, under ids derived from the campaign and each
//! recipient (`rapport_core::campaigns::outbox_id`), and then keeps the recipients in the campaign: a
//! second press, another device or a replay queues nobody twice. The copies wait on the device until
//! the relay has them, like any mail.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::campaigns::{self, CampaignError, CampaignRow, Delivery, Skip};
use rapport_core::ids::{CampaignId, PartyId, SegmentId};
use rapport_core::model::Campaign;
use rapport_core::read_model::Changed;

use super::Page;
use super::marketing::{audience_now, with_audience};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets;

/// How many recipients the page names; the rest are counted.
const SHOWN: usize = 50;

type Change = Box<dyn FnOnce(&mut Campaign) + Send>;

/// Changes the draft; nothing once it has been sent (this device may not have shown that yet).
fn write(ctx: WorkspaceCtx, id: CampaignId, change: Change, error: RwSignal<Option<String>>) {
    spawn_local(async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let result = local::update::<Campaign>(&shared, id, move |c: &mut Campaign| {
            if c.sent_at.is_none() {
                change(c);
            }
        })
        .await;
        ctx.settle(result, error);
    });
}

/// The draft fields whose typed text is not saved yet: the campaign is not sent meanwhile, or it
/// would go with the text as it was.
type Unsaved = RwSignal<std::collections::BTreeSet<&'static str>>;

/// Why a campaign cannot be sent, in the screens' language.
fn problem(error: &CampaignError) -> String {
    let i18n = use_i18n();
    match error {
        CampaignError::NoSubject => t_string!(i18n, mail.subject_needed).to_owned(),
        CampaignError::NoBody => t_string!(i18n, campaigns.body_needed).to_owned(),
        CampaignError::Subject(error) | CampaignError::Body(error) => super::compose::said(error),
        CampaignError::NoAudience => t_string!(i18n, campaigns.audience_needed).to_owned(),
        CampaignError::Sent => t_string!(i18n, campaigns.already_sent).to_owned(),
        CampaignError::Mail(error) => error.to_string(),
    }
}

#[component]
pub(crate) fn CampaignPage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|id| id.parse::<CampaignId>().ok()))
    });
    let row = Memo::new(move |_| {
        let id = id.get()?;
        ctx.read_of(Changed::MARKETING, |ws| ws.model.campaigns.get(&id).cloned()).flatten()
    });
    let title = move || {
        row.with(|r| r.as_ref().map(|r| r.name.clone()))
            .unwrap_or_else(|| t_string!(i18n, campaigns.campaign).to_owned())
    };
    let sent = Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.sent_at.is_some())));
    view! {
        <Page key="campaign" title>
            <p class="hint"><a href="/marketing" data-testid="back-to-marketing">{t!(i18n, marketing.title)}</a></p>
            // Mounted afresh for each campaign, and when it is sent: a draft's fields never land on
            // another, and a sent one shows what went.
            {move || id.get().zip(sent.get()).map(|(id, sent)| view! { <CampaignBody id sent row /> })}
            <Show when=move || ctx.status.get() != crate::state::Status::Opening && row.with(Option::is_none)>
                <p class="hint" data-testid="campaign-missing">{t!(i18n, campaigns.no_such)}</p>
            </Show>
        </Page>
    }
}

#[component]
fn CampaignBody(id: CampaignId, sent: bool, row: Memo<Option<CampaignRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let error = RwSignal::new(None::<String>);
    let unsaved: Unsaved = RwSignal::new(Default::default());
    let archive = Callback::new(move |()| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result =
                local::update::<Campaign>(&shared, id, |c: &mut Campaign| c.archived = true).await;
            if ctx.settle(result, error) {
                navigate("/marketing", Default::default());
            }
        });
    });
    view! {
        <div class="record-layout">
            <div class="record-main">
                {if sent {
                    view! { <Deliveries row /> }.into_any()
                } else {
                    view! { <Draft id row unsaved /> <Audience id row /> <When id row /> }.into_any()
                }}
            </div>
            <div class="record-activity">
                {if sent {
                    view! { <SentMail row /> }.into_any()
                } else {
                    view! { <Reach row unsaved /> }.into_any()
                }}
                <widgets::ArchivePanel testid="archive-campaign" error on_archive=archive
                    title=move || t_string!(i18n, campaigns.archive) hint=move || t_string!(i18n, campaigns.archive_hint) />
            </div>
        </div>
    }
}

/// A text field of the draft that follows the stored one (a colleague's change shows unless this
/// person is typing) and is saved when left; while what is typed differs, `unsaved` names it.
#[component]
fn DraftField(
    id: CampaignId,
    row: Memo<Option<CampaignRow>>,
    testid: &'static str,
    #[prop(into)] label: TextProp,
    read: fn(&CampaignRow) -> String,
    write: fn(&mut Campaign, String),
    unsaved: Unsaved,
    /// A text area rather than a line.
    #[prop(optional)]
    long: bool,
) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let stored = Memo::new(move |_| row.with(|r| r.as_ref().map(read)).unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let save = Callback::new(move |typed: String| write_field(ctx, id, typed, write, error));
    let differs = Callback::new(move |differs: bool| {
        unsaved.try_update(|fields| {
            if differs {
                fields.insert(testid);
            } else {
                fields.remove(testid);
            }
        });
    });
    view! {
        <widgets::SavedText stored save testid label long differs />
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

fn write_field(
    ctx: WorkspaceCtx,
    id: CampaignId,
    text: String,
    set: fn(&mut Campaign, String),
    error: RwSignal<Option<String>>,
) {
    write(ctx, id, Box::new(move |c| set(c, text)), error);
}

/// The mail: name, subject and text, with the merge fields they may use.
#[component]
fn Draft(id: CampaignId, row: Memo<Option<CampaignRow>>, unsaved: Unsaved) -> impl IntoView {
    let i18n = use_i18n();
    let how = sending(WorkspaceCtx::use_ctx());
    view! {
        <section class="panel record-form" data-testid="campaign-draft">
            <h2>{t!(i18n, campaigns.mail)}</h2>
            <DraftField id row unsaved testid="campaign-name" label=move || t_string!(i18n, marketing.name)
                read=|r| r.name.clone() write=|c, v| c.name = v.trim().to_owned() />
            <DraftField id row unsaved testid="campaign-subject" label=move || t_string!(i18n, mail.subject)
                read=|r| r.subject.clone() write=|c, v| c.subject = v />
            <DraftField id row unsaved testid="campaign-subject-b" label=move || t_string!(i18n, campaigns.subject_b)
                read=|r| r.subject_b.clone() write=|c, v| c.subject_b = v />
            <TestShare id row />
            <DraftField id row unsaved testid="campaign-body" label=move || t_string!(i18n, mail.body) long=true
                read=|r| r.body.clone() write=|c, v| c.body = v />
            <p class="hint">
                {t!(i18n, mail.fields)} " "
                {rapport_core::template::PARTY_FIELDS.map(|f| format!("{{{{{f}}}}}")).join(" ")}
                " · " {t!(i18n, campaigns.fallback_hint)}
            </p>
            <p class="hint" data-testid="campaign-format-hint">
                {t!(i18n, campaigns.format_hint)} " "
                {move || match (how.get().track, how.get().utm) {
                    (true, true) => t_string!(i18n, campaigns.tracked_tagged),
                    (true, false) => t_string!(i18n, campaigns.tracked),
                    (false, true) => t_string!(i18n, campaigns.tagged),
                    (false, false) => t_string!(i18n, campaigns.untracked),
                }}
            </p>
        </section>
    }
}

/// Segments and lists whose people receive it, those whose people do not, and consent.
#[component]
fn Audience(id: CampaignId, row: Memo<Option<CampaignRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let consented = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.consented_only)));
    let set_consented = move |e: leptos::ev::Event| {
        let on = event_target_checked(&e);
        write(ctx, id, Box::new(move |c| c.consented_only = on), error);
    };
    view! {
        <section class="panel record-form" data-testid="campaign-audience">
            <h2>{t!(i18n, campaigns.audience)}</h2>
            <SegmentChoice id row exclude=false label=move || t_string!(i18n, campaigns.include) />
            <SegmentChoice id row exclude=true label=move || t_string!(i18n, campaigns.exclude) />
            <label class="check">
                <input type="checkbox" data-testid="campaign-consented-only" prop:checked=move || consented.get()
                    disabled=move || !account.can_edit() on:change=set_consented />
                {t!(i18n, campaigns.consented_only)}
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// The segments and lists on one side of the audience (`exclude` or include): chips taken off with
/// ×, and a menu of the others.
#[component]
fn SegmentChoice(
    id: CampaignId,
    row: Memo<Option<CampaignRow>>,
    exclude: bool,
    #[prop(into)] label: TextProp,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let side = if exclude { "exclude" } else { "include" };
    // (chosen, the others), each (id, name) by name; a chosen one archived since still counts, and
    // says so.
    let choices = Memo::new(move |_| {
        let chosen: Vec<SegmentId> = row
            .with(|r| {
                r.as_ref().map(|r| if exclude { r.exclude.clone() } else { r.include.clone() })
            })
            .unwrap_or_default();
        ctx.read_of(Changed::MARKETING, |ws| {
            let mut on = Vec::new();
            let mut off = Vec::new();
            for segment in ws.model.segments.values() {
                if chosen.contains(&segment.id) {
                    let name = if segment.archived {
                        t_string!(i18n, campaigns.archived_segment, name = segment.name.clone())
                            .to_string()
                    } else {
                        segment.name.clone()
                    };
                    on.push((segment.id, name));
                } else if !segment.archived {
                    off.push((segment.id, segment.name.clone()));
                }
            }
            for names in [&mut on, &mut off] {
                names.sort_by_cached_key(|(_, name)| rapport_core::search::fold(name));
            }
            (on, off)
        })
        .unwrap_or_default()
    });
    let change = move |segment: SegmentId, add: bool| {
        let key = segment.to_string();
        write(
            ctx,
            id,
            Box::new(move |c| {
                let set = if exclude { &mut c.exclude } else { &mut c.include };
                if add {
                    set.insert(key, true);
                } else {
                    set.remove(&key);
                }
            }),
            error,
        );
    };
    let menu_label = label.clone();
    view! {
        <div class="field" data-testid=format!("campaign-{side}")>
            <span>{move || label.get()}</span>
            <p class="chips">
                {move || choices.get().0.into_iter().map(|(segment, name)| {
                    let remove = Signal::derive({
                        let name = name.clone();
                        move || t_string!(i18n, marketing.remove_from, name = name.clone()).to_string()
                    });
                    view! {
                        <span class="chip" data-testid=format!("campaign-{side}-chip") data-name=name.clone()>
                            <a href=format!("/marketing/segments/{segment}")>{name.clone()}</a>
                            <Show when=move || account.can_edit()>
                                <widgets::RemoveButton label=remove on_remove=Callback::new(move |()| change(segment, false)) />
                            </Show>
                        </span>
                    }
                }).collect_view()}
            </p>
            <Show when=move || account.can_edit() && choices.with(|c| !c.1.is_empty())>
                <select data-testid=format!("campaign-{side}-add") aria-label={let l = menu_label.clone(); move || l.get()} prop:value=""
                    on:change=move |e| if let Ok(segment) = event_target_value(&e).parse() { change(segment, true) }>
                    <option value="">{t!(i18n, campaigns.add_segment)}</option>
                    {move || choices.get().1.into_iter().map(|(segment, name)| view! { <option value=segment.to_string()>{name}</option> }).collect_view()}
                </select>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

/// Who it would reach now: the count, who is left out and why, a copy as the first of them would
/// read it, a test to oneself, and the send.
#[component]
fn Reach(row: Memo<Option<CampaignRow>>, unsaved: Unsaved) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    // (recipients, skipped by why, excluded, the first recipient's copy or why there is none, what
    // keeps it from going, how many copies cannot be filled in).
    let how = sending(ctx);
    let reach = Memo::new(move |_| {
        let campaign = row.get()?;
        let how = how.get();
        with_audience(ctx, outbox, |audience, model| {
            let plan = campaigns::plan(audience, model, &campaign);
            let unfilled = plan
                .recipients
                .iter()
                .filter(|(party, address)| {
                    campaigns::mail(&campaign, model, party, address, how).is_err()
                })
                .count();
            let preview = plan.recipients.first().map(|(first, address)| {
                campaigns::mail(&campaign, model, first, address, how).map(|work| match work {
                    rapport_core::outbox::Work::Mail(mail) => {
                        (first.name.clone(), mail.subject, mail.text)
                    }
                    _ => Default::default(),
                })
            });
            let groups = campaigns::groups(&campaign, &plan.recipients);
            let split = (campaign.tests_subjects() && !plan.recipients.is_empty()).then_some((
                groups.a.len(),
                groups.b.len(),
                groups.rest.len(),
            ));
            let skipped: Vec<(Skip, usize)> = plan.skipped.into_iter().collect();
            let reached = plan.recipients.len() - unfilled;
            (reached, skipped, plan.excluded, preview, campaigns::check(&campaign), unfilled, split)
        })
    });
    let count = Memo::new(move |_| reach.with(|r| r.as_ref().map_or(0, |r| r.0)));
    // The time chosen, while it is still to come: sending then schedules it.
    let now = super::tickets::ticking_now();
    let start = Memo::new(move |_| {
        row.with(|r| r.as_ref().and_then(|r| r.send_at)).filter(|at| *at > now.get())
    });
    // When a paced campaign's last copies go.
    let last_copies = move || {
        let per_hour = row.with(|r| r.as_ref().map_or(0, |r| r.per_hour));
        let first = reach.with(|r| r.as_ref().and_then(|r| r.6).map(|(a, b, _)| a + b));
        let n = first.unwrap_or(count.get());
        if per_hour == 0 || n == 0 {
            return None;
        }
        let start = start.get().map(|at| at.0 / 1000);
        let last = campaigns::send_time(start, per_hour, now.get().0 / 1000, n - 1)?;
        Some(widgets::local_date_time(rapport_core::ids::Timestamp(last * 1000)))
    };
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    // A change to the campaign (here or by a colleague) asks for a second look again.
    Effect::new(move || {
        row.track();
        confirming.set(false);
    });
    let can_send = move || {
        reach.with(|r| r.as_ref().is_some_and(|r| r.4.is_ok() && r.0 > 0))
            && unsaved.with(|fields| fields.is_empty())
            && outbox.relay_mail.get() == Some(true)
            && account.can_edit()
    };
    let send_test = move |_| {
        let Some(campaign) = row.get_untracked() else { return };
        let Some(me) = account.account.get_untracked() else { return };
        if crate::health::pending_for_segments(ctx) {
            return error.set(Some(t_string!(i18n, marketing.health_pending).to_owned()));
        }
        let test = audience_now(ctx, outbox, |audience, ws| {
            let plan = campaigns::plan(audience, &ws.model, &campaign);
            let (sample, _) = plan.recipients.first()?;
            let how = campaigns::Sending::of(&ws.settings);
            Some(campaigns::test_mail(&campaign, &ws.model, sample, &me.email, how))
        });
        let work = match test.flatten() {
            Some(Ok(work)) => work,
            Some(Err(why)) => return error.set(Some(problem(&why))),
            None => return error.set(Some(t_string!(i18n, campaigns.nobody_to_test).to_owned())),
        };
        error.set(None);
        let address = me.email.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let workspace = shared.borrow().replica.workspace;
            let test_id = campaigns::test_id(workspace, campaign.id, js_sys::Date::now() as i64);
            match outbox.queue(&shared, test_id, work).await {
                Ok(()) => {
                    notice.set(Some(t_string!(i18n, campaigns.test_queued, address).to_string()))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let send = move |_| {
        if !confirming.get_untracked() {
            return confirming.set(true);
        }
        confirming.set(false);
        let Some(campaign) = row.get_untracked() else { return };
        if !unsaved.with_untracked(|fields| fields.is_empty()) {
            return;
        }
        if crate::health::pending_for_segments(ctx) {
            return error.set(Some(t_string!(i18n, marketing.health_pending).to_owned()));
        }
        let me = ctx.read(|ws| ws.me).flatten();
        // Taken back before: a round of its own (other ids for every copy).
        let campaign = campaign.next_round();
        // The copies, decided now; queued under ids of the campaign and each recipient.
        let copies = audience_now(ctx, outbox, |audience, ws| {
            campaigns::check(&campaign)?;
            let mut plan = campaigns::plan(audience, &ws.model, &campaign);
            // Whoever a round taken back too late reached is not sent it again.
            outbox.outbox.with_untracked(|o| {
                plan.recipients.retain(|(party, _)| {
                    !campaigns::reached_before(ws.workspace, &campaign, party.id, o)
                })
            });
            let how = campaigns::Sending::of(&ws.settings);
            // A subject test sends its two halves now, the rest later.
            let groups = campaigns::groups(&campaign, &plan.recipients);
            let own = |group: Vec<_>| group.into_iter().cloned().collect::<Vec<_>>();
            let (a, b) = (own(groups.a), own(groups.b));
            let mut copies = campaigns::copies(ws.workspace, &campaign, &ws.model, &a, how).0;
            let second = campaign.with_subject(&campaign.subject_b);
            let b_copies = campaigns::copies(ws.workspace, &second, &ws.model, &b, how).0;
            let got_b: Vec<String> = b_copies.iter().map(|copy| copy.0.to_string()).collect();
            let got_a: Vec<String> = if got_b.is_empty() {
                Vec::new()
            } else {
                copies.iter().map(|copy| copy.0.to_string()).collect()
            };
            copies.extend(b_copies);
            // At its time (if still to come) and pace: the relay holds each copy until then.
            let now = local::now().0 / 1000;
            let start = campaign.send_at.map(|at| at.0 / 1000).filter(|at| *at > now);
            campaigns::pace(&mut copies, start, campaign.per_hour, now);
            Ok((copies, got_a, got_b, start))
        });
        let (copies, got_a, got_b, start) = match copies {
            Some(Ok((copies, got_a, got_b, start))) if !copies.is_empty() => {
                (copies, got_a, got_b, start)
            }
            Some(Err(why)) => return error.set(Some(problem(&why))),
            _ => return,
        };
        error.set(None);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let recipients: std::collections::BTreeMap<String, String> = copies
                .iter()
                .map(|(party, address, _, _)| (party.to_string(), address.clone()))
                .collect();
            let (subject, body) = (campaign.subject.clone(), campaign.body.clone());
            let subject_b =
                if got_b.is_empty() { String::new() } else { campaign.subject_b.clone() };
            let (per_hour, round) = (campaign.per_hour, campaign.round);
            // The campaign says first whom it went to and what, then the copies are queued: should
            // the tab close in between, its page offers to queue the copies nobody has heard of
            // (the same ids, so nobody twice); the other way round, mail would go out from a
            // campaign every device still shows as a draft.
            let sent = local::update::<Campaign>(&shared, campaign.id, move |c: &mut Campaign| {
                if c.sent_at.is_none() {
                    c.sent_at = Some(local::now());
                    c.sent_by = me;
                    c.sent_subject = subject;
                    c.sent_body = body;
                    c.sent_subject_b = subject_b;
                    c.got_a = got_a.into_iter().map(|party| (party, true)).collect();
                    c.got_b = got_b.into_iter().map(|party| (party, true)).collect();
                    c.scheduled_for = start.map(|at| rapport_core::ids::Timestamp(at * 1000));
                    c.paced = per_hour;
                    c.round = round;
                    // Scheduled before and taken back: those it no longer reaches are left out
                    // (their copies were withdrawn).
                    c.recipients = recipients;
                } else {
                    c.recipients.extend(recipients);
                }
            })
            .await;
            if !ctx.settle(sent, error) {
                return;
            }
            let items = copies.into_iter().map(|(_, _, id, work)| (id, work)).collect();
            if let Err(e) = outbox.queue_many(&shared, items).await {
                ctx.notice.set(Some(e.to_string()));
            }
        });
    };
    let skip_text = move |skip: Skip, n: usize| {
        let n = widgets::count(n);
        match skip {
            Skip::NoAddress => t_string!(i18n, campaigns.skip_no_address, n),
            Skip::Refused => t_string!(i18n, campaigns.skip_refused, n),
            Skip::NotAsked => t_string!(i18n, campaigns.skip_not_asked, n),
            Skip::SameAddress => t_string!(i18n, campaigns.skip_same_address, n),
        }
        .to_string()
    };
    view! {
        <section class="panel" data-testid="campaign-reach">
            <h2>{t!(i18n, campaigns.reach)}</h2>
            <p class="count" data-testid="campaign-count" data-count=move || count.get() aria-live="polite">
                {move || t_string!(i18n, campaigns.will_reach, count = widgets::count(count.get())).to_string()}
            </p>
            <ul class="hint" data-testid="campaign-skipped">
                {move || reach.with(|r| r.as_ref().map(|r| {
                    let excluded = (r.2 > 0).then(|| t_string!(i18n, campaigns.skip_excluded, n = widgets::count(r.2)).to_string());
                    let unfilled = (r.5 > 0).then(|| t_string!(i18n, campaigns.skip_unfilled, n = widgets::count(r.5)).to_string());
                    r.1.iter().map(|(skip, n)| skip_text(*skip, *n)).chain(excluded).chain(unfilled).map(|line| view! { <li>{line}</li> }).collect_view()
                }))}
            </ul>
            {move || reach.with(|r| r.as_ref().and_then(|r| r.6)).map(|(a, b, rest)| view! {
                <p class="hint" data-testid="campaign-split" data-a=a data-b=b data-rest=rest>
                    {t_string!(i18n, campaigns.test_split, a = widgets::count(a), b = widgets::count(b), rest = widgets::count(rest)).to_string()}
                </p>
            })}
            {move || reach.with(|r| r.as_ref().and_then(|r| r.4.as_ref().err().map(problem))).map(|why| view! {
                <p class="error" data-testid="campaign-problem">{why}</p>
            })}
            // Why the buttons are off, when it is the relay.
            {move || match outbox.relay_mail.get() {
                Some(true) => None,
                Some(false) => Some(t_string!(i18n, campaigns.no_mail)),
                None => Some(t_string!(i18n, campaigns.needs_relay)),
            }.map(|why| view! { <p class="hint" data-testid="campaign-no-mail">{why}</p> })}
            <Show when=move || unsaved.with(|fields| !fields.is_empty())>
                <p class="hint" data-testid="campaign-unsaved">{t!(i18n, campaigns.unsaved)}</p>
            </Show>
            {move || reach.with(|r| match r.as_ref().and_then(|r| r.3.clone()) {
                Some(Ok((name, subject, text))) => Some(view! {
                    <div class="compose-preview" data-testid="campaign-preview">
                        <p class="hint">{t_string!(i18n, campaigns.preview_for, name).to_string()}</p>
                        <p class="row-title" data-testid="campaign-preview-subject">{subject}</p>
                        <MailText testid="campaign-preview-text" text=Signal::derive(move || text.clone()) />
                    </div>
                }.into_any()),
                Some(Err(why)) => Some(view! { <p class="error">{problem(&why)}</p> }.into_any()),
                None => None,
            })}
            {move || last_copies().map(|at| view! {
                <p class="hint" data-testid="campaign-last-copies">{t_string!(i18n, campaigns.last_copies, at).to_string()}</p>
            })}
            {move || notice.get().map(|n| view! { <p class="hint" role="status" data-testid="campaign-notice">{n}</p> })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || account.can_edit()>
                <p class="field-row wrapping">
                    <button type="button" class="secondary" data-testid="campaign-test" disabled=move || !can_send() on:click=send_test>
                        {t!(i18n, campaigns.send_test)}
                    </button>
                    <button type="button" data-testid="campaign-send" disabled=move || !can_send() on:click=send>
                        {move || {
                            let first = reach.with(|r| r.as_ref().and_then(|r| r.6).map(|(a, b, _)| a + b));
                            let count = widgets::count(first.unwrap_or(count.get()));
                            match (confirming.get(), start.get()) {
                                (false, None) => t_string!(i18n, campaigns.send).to_owned(),
                                (false, Some(_)) => t_string!(i18n, campaigns.schedule).to_owned(),
                                (true, None) => t_string!(i18n, campaigns.send_confirm, count).to_string(),
                                (true, Some(at)) => t_string!(i18n, campaigns.schedule_confirm, count, at = widgets::local_date_time(at)).to_string(),
                            }
                        }}
                    </button>
                </p>
            </Show>
        </section>
    }
}

/// What went: the subject and text as written.
#[component]
fn SentMail(row: Memo<Option<CampaignRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let when = move || {
        row.with(|r| {
            let r = r.as_ref()?;
            let by = r.sent_by.and_then(|m| {
                ctx.read(|ws| {
                    ws.settings.members.get(&m.to_string()).map(|m| m.display_name.clone())
                })
                .flatten()
            });
            let at = widgets::local_time(r.sent_at?);
            let scheduled = r.scheduled_for.is_some();
            Some(match by {
                Some(by) if scheduled => {
                    t_string!(i18n, campaigns.scheduled_by, at, by).to_string()
                }
                Some(by) => t_string!(i18n, campaigns.sent_by, at, by).to_string(),
                None => t_string!(i18n, campaigns.sent_at, at).to_string(),
            })
        })
    };
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let now = super::tickets::ticking_now();
    let scheduled =
        Memo::new(move |_| row.with(|r| r.as_ref().and_then(|r| r.scheduled(now.get()))));
    let paced = Memo::new(move |_| row.with(|r| r.as_ref().map_or(0, |r| r.paced)));
    let can_take_back = Memo::new(move |_| {
        let (Some(campaign), Some(workspace)) = (row.get(), ctx.read(|ws| ws.workspace)) else {
            return false;
        };
        outbox.outbox.with(|o| campaigns::can_take_back(workspace, &campaign, o, now.get()))
    });
    let error = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    // Back to a draft: every copy is withdrawn — those waiting on this device forgotten, the relay
    // asked to cancel the rest (it sends none it cancelled; one already on its way goes).
    let take_back = move |_| {
        if !confirming.get_untracked() {
            return confirming.set(true);
        }
        confirming.set(false);
        let Some(campaign) = row.get_untracked() else { return };
        // Checked again now, not as the page last ticked.
        let workspace = ctx.read(|ws| ws.workspace);
        let allowed = workspace.is_some_and(|workspace| {
            outbox
                .outbox
                .with_untracked(|o| campaigns::can_take_back(workspace, &campaign, o, local::now()))
        });
        if !allowed {
            return error.set(Some(t_string!(i18n, campaigns.too_late).to_owned()));
        }
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let workspace = shared.borrow().replica.workspace;
            let taken = local::update::<Campaign>(&shared, campaign.id, |c: &mut Campaign| {
                c.sent_at = None;
                c.sent_by = None;
                c.scheduled_for = None;
                c.paced = 0;
                c.sent_subject_b.clear();
                c.got_a.clear();
                c.got_b.clear();
                c.winner_subject.clear();
                c.winner_sent_at = None;
            })
            .await;
            // The page turns into the draft: what goes wrong from here is said on the shell.
            match taken {
                Ok(()) => ctx.changed(),
                Err(failure) => return ctx.report(&failure),
            }
            let ids = campaign
                .recipients
                .iter()
                .map(|(party, _)| campaign.copy_id(workspace, *party))
                .collect();
            if let Err(e) = outbox.withdraw_many(&shared, ids).await {
                ctx.notice.set(Some(e.to_string()));
            }
        });
    };
    view! {
        <section class="panel compose-preview" data-testid="campaign-sent">
            <h2>{t!(i18n, campaigns.mail)}</h2>
            <p class="hint" data-testid="campaign-sent-when">{when}</p>
            {move || scheduled.get().map(|at| view! {
                <p class="count" data-testid="campaign-scheduled">
                    {t_string!(i18n, campaigns.scheduled_for, at = widgets::local_date_time(at)).to_string()}
                </p>
                <Show when=move || account.can_edit() && can_take_back.get()>
                    <p class="hint">{t!(i18n, campaigns.take_back_hint)}</p>
                    <p class="field-row">
                        <button type="button" class="secondary" data-testid="campaign-take-back" on:click=take_back>
                            {move || if confirming.get() { t!(i18n, campaigns.take_back_confirm).into_any() } else { t!(i18n, campaigns.take_back).into_any() }}
                        </button>
                    </p>
                </Show>
            })}
            {move || (paced.get() > 0).then(|| view! {
                <p class="hint" data-testid="campaign-paced">
                    {t_string!(i18n, campaigns.paced, count = widgets::count(paced.get() as usize)).to_string()}
                </p>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <p class="row-title">{move || row.with(|r| r.as_ref().map(|r| r.as_sent().subject))}</p>
            <MailText testid="campaign-sent-text"
                text=Signal::derive(move || row.with(|r| r.as_ref().map(|r| r.as_sent().body).unwrap_or_default())) />
        </section>
    }
}

/// How the workspace sends campaigns (Settings → Email), kept up to date.
fn sending(ctx: WorkspaceCtx) -> Memo<campaigns::Sending> {
    Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| campaigns::Sending::of(&ws.settings))
            .unwrap_or(campaigns::Sending { track: true, utm: true })
    })
}

fn delivery_label(delivery: Delivery) -> &'static str {
    let i18n = use_i18n();
    match delivery {
        Delivery::Unknown => t_string!(i18n, campaigns.d_unknown),
        Delivery::Waiting => t_string!(i18n, mail.waiting),
        Delivery::Queued => t_string!(i18n, mail.state_queued),
        Delivery::Sent => t_string!(i18n, mail.state_sent),
        Delivery::Opened => t_string!(i18n, campaigns.d_opened),
        Delivery::Clicked => t_string!(i18n, campaigns.d_clicked),
        Delivery::Unsubscribed => t_string!(i18n, campaigns.d_unsubscribed),
        Delivery::Suppressed => t_string!(i18n, campaigns.d_suppressed),
        Delivery::Bounced => t_string!(i18n, campaigns.d_bounced),
        Delivery::Failed => t_string!(i18n, campaigns.d_failed),
    }
}

/// Where each recipient's copy stands: a count of each state, and the first recipients by name with
/// theirs.
#[component]
fn Deliveries(row: Memo<Option<CampaignRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let workspace = Memo::new(move |_| ctx.read(|ws| ws.workspace));
    let deliveries = Memo::new(move |_| {
        let (Some(campaign), Some(workspace)) = (row.get(), workspace.get()) else {
            return Vec::new();
        };
        outbox.outbox.with(|o| campaigns::deliveries(workspace, &campaign, o))
    });
    let tally = Memo::new(move |_| deliveries.with(|d| campaigns::tally(d)));
    let engagement = Memo::new(move |_| {
        let (Some(campaign), Some(workspace)) = (row.get(), workspace.get()) else {
            return campaigns::Engagement::default();
        };
        outbox.outbox.with(|o| campaigns::engagement(workspace, &campaign, o))
    });
    let rate = |part: usize, whole: usize| format!("{}%", (part * 100 + whole / 2) / whole.max(1));
    // The first recipients by name, each with their copy's id.
    let named = Memo::new(move |_| {
        let Some(workspace) = workspace.get() else { return Vec::new() };
        let Some(campaign) = row.get() else { return Vec::new() };
        ctx.read_of(Changed::PARTIES, |ws| {
            let mut rows: Vec<(PartyId, String, String)> = campaign
                .recipients
                .iter()
                .map(|(party, address)| {
                    let name = ws
                        .model
                        .parties
                        .get(party)
                        .map(|p| p.name.clone())
                        .unwrap_or_else(|| address.clone());
                    (*party, name, address.clone())
                })
                .collect();
            rows.sort_by_cached_key(|(_, name, _)| rapport_core::search::fold(name));
            rows.truncate(SHOWN);
            rows.into_iter()
                .map(|(party, name, address)| {
                    (party, name, address, campaign.copy_id(workspace, party))
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let total = Memo::new(move |_| row.with(|r| r.as_ref().map_or(0, |r| r.recipients.len())));
    let now = super::tickets::ticking_now();
    let scheduled = Memo::new(move |_| {
        row.with(|r| r.as_ref().is_some_and(|r| r.scheduled(now.get()).is_some()))
    });
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let unknown =
        Memo::new(move |_| tally.with(|t| t.get(&Delivery::Unknown).copied().unwrap_or(0)));
    let offer_missing =
        move || unknown.get() > 0 && account.can_edit() && outbox.relay_mail.get() == Some(true);
    // The copies nobody here has heard of, queued again from the campaign as it went (the same ids:
    // those the relay has are not sent twice).
    let queue_missing = move |_| {
        let (Some(campaign), Some(workspace)) = (row.get_untracked(), workspace.get_untracked())
        else {
            return;
        };
        let missing: std::collections::HashSet<PartyId> = deliveries.with_untracked(|d| {
            d.iter().filter(|(_, d)| *d == Delivery::Unknown).map(|(p, _)| *p).collect()
        });
        let sent = campaign.as_sent();
        let items = ctx.read(|ws| {
            let recipients: Vec<(&rapport_core::read_model::PartyRow, String)> = campaign
                .recipients
                .iter()
                .filter(|(party, _)| missing.contains(party))
                .filter_map(|(party, address)| {
                    Some((ws.model.parties.get(party)?, address.clone()))
                })
                .collect();
            // Each with the subject its copy went with (a subject test's).
            let mut by_subject: std::collections::BTreeMap<&str, Vec<_>> = Default::default();
            for recipient in recipients {
                by_subject.entry(sent.subject_for(recipient.0.id)).or_default().push(recipient);
            }
            let how = campaigns::Sending::of(&ws.settings);
            let mut copies: Vec<_> = by_subject
                .into_iter()
                .flat_map(|(subject, group)| {
                    campaigns::copies(
                        workspace,
                        &sent.with_subject(subject),
                        &ws.model,
                        &group,
                        how,
                    )
                    .0
                })
                .collect();
            // At the campaign's pace, from its time if still to come, else from now.
            let now = local::now().0 / 1000;
            let start = sent.scheduled_for.map(|at| at.0 / 1000).filter(|at| *at > now);
            campaigns::pace(&mut copies, start, sent.paced, now);
            copies.into_iter().map(|(_, _, id, work)| (id, work)).collect::<Vec<_>>()
        });
        let Some(items) = items else { return };
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            if let Err(e) = outbox.queue_many(&shared, items).await {
                error.set(Some(e.to_string()));
            }
        });
    };
    view! {
        <section class="panel" data-testid="campaign-deliveries">
            <h2>{t!(i18n, campaigns.deliveries)}</h2>
            <Show when=move || row.with(|r| r.as_ref().is_some_and(|r| !r.got_b.is_empty()))>
                <SubjectTest row />
            </Show>
            <p class="count" data-testid="campaign-recipients" data-count=move || total.get()>
                {move || if scheduled.get() {
                    t_string!(i18n, campaigns.goes_to, count = widgets::count(total.get())).to_string()
                } else {
                    t_string!(i18n, campaigns.sent_to, count = widgets::count(total.get())).to_string()
                }}
            </p>
            <p class="chips" data-testid="campaign-tally">
                {move || Delivery::ALL.into_iter().filter_map(|d| {
                    let n = tally.with(|t| t.get(&d).copied().unwrap_or(0));
                    (n > 0).then(|| view! {
                        <span class="chip" data-testid="campaign-tally-item" data-state=d.key() data-count=n>
                            {format!("{} · {}", delivery_label(d), widgets::count(n))}
                        </span>
                    })
                }).collect_view()}
            </p>
            <Show when=move || engagement.with(|e| e.sent > 0)>
                <p class="hint" data-testid="campaign-engagement-summary"
                    data-opened=move || engagement.with(|e| e.opened) data-clicked=move || engagement.with(|e| e.clicked)>
                    {move || {
                        let e = engagement.get();
                        t_string!(i18n, campaigns.engagement_line,
                            opened = widgets::count(e.opened), sent = widgets::count(e.sent),
                            open_rate = rate(e.opened, e.sent), clicked = widgets::count(e.clicked),
                            click_rate = rate(e.clicked, e.sent)).to_string()
                    }}
                </p>
            </Show>
            <Show when=offer_missing>
                <p class="hint">{t!(i18n, campaigns.queue_missing_hint)}</p>
                <button type="button" class="secondary" data-testid="campaign-queue-missing" on:click=queue_missing>
                    {move || t_string!(i18n, campaigns.queue_missing, count = widgets::count(unknown.get())).to_string()}
                </button>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <ul class="rows">
                <For each=move || named.get() key=|(party, _, _, _)| *party children=move |(party, name, address, mail)| view! {
                    <li class="row" data-testid="campaign-recipient" data-name=name.clone()>
                        <a class="row-link" href=format!("/parties/{party}")>
                            <span class="row-title">{name.clone()}</span>
                            <span class="row-detail">{address.clone()} <Engagement id=mail.clone() /></span>
                        </a>
                        <widgets::MailState id=mail.clone() />
                    </li>
                } />
            </ul>
        </section>
    }
}

/// What a recipient did with their copy, as this device heard it: opened when, and which links they
/// followed.
#[component]
fn Engagement(id: rapport_core::outbox::OutboxId) -> impl IntoView {
    let i18n = use_i18n();
    let outbox = OutboxCtx::use_ctx();
    let engaged = Memo::new(move |_| outbox.outbox.with(|o| o.engaged(&id).cloned()));
    move || {
        let engaged = engaged.get().filter(|e| e.opened())?;
        let opened = engaged.opened_at.or_else(|| engaged.clicks.values().min().copied());
        let when = opened.map(|at| widgets::local_time(rapport_core::ids::Timestamp(at * 1000)));
        let links: Vec<String> = engaged.clicks.keys().map(|link| shown_link(link)).collect();
        let text = match (engaged.clicked(), when) {
            (true, _) => {
                t_string!(i18n, campaigns.clicked_links, links = links.join(", ")).to_string()
            }
            (false, Some(at)) => t_string!(i18n, campaigns.opened_at, at).to_string(),
            (false, None) => return None,
        };
        Some(view! {
            <span data-testid="campaign-engagement" data-opened=engaged.opened().to_string()
                data-clicks=engaged.clicks.len()>{format!(" · {text}")}</span>
        })
    }
}

/// A followed link as a person reads it: without its scheme and its UTM tags.
fn shown_link(link: &str) -> String {
    let bare = link.split_once("://").map_or(link, |(_, rest)| rest);
    let bare = bare.split(['?', '#']).next().unwrap_or(bare);
    bare.trim_end_matches('/').to_owned()
}

/// A mail's text as its recipients read it: the Markdown rendered in a worker as the relay renders the
/// HTML part (the latest text's rendering wins), the text as written until then or without a worker.
#[component]
fn MailText(testid: &'static str, text: Signal<String>) -> impl IntoView {
    let html = RwSignal::new(None::<String>);
    let asked_for = StoredValue::new(0u64);
    Effect::new(move || {
        let markdown = text.get();
        let turn = asked_for.get_value() + 1;
        asked_for.set_value(turn);
        spawn_local(async move {
            let rendered = crate::offload::render_mail(markdown).await;
            // The preview is made afresh as the campaign changes: this one may be gone by now.
            if asked_for.try_get_value() == Some(turn) {
                html.try_set(rendered);
            }
        });
    });
    move || match html.get() {
        Some(html) => {
            view! { <div class="preview-text mail-text" data-testid=testid inner_html=html></div> }
                .into_any()
        }
        None => view! { <p class="preview-text" data-testid=testid>{text.get()}</p> }.into_any(),
    }
}

/// When the copies go: at a time chosen (none: as soon as it is sent) and at most so many an hour.
#[component]
fn When(id: CampaignId, row: Memo<Option<CampaignRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let now = super::tickets::ticking_now();
    let send_at = Memo::new(move |_| row.with(|r| r.as_ref().and_then(|r| r.send_at)));
    let per_hour = Memo::new(move |_| row.with(|r| r.as_ref().map_or(0, |r| r.per_hour)));
    let set_time = move |at: Option<rapport_core::ids::Timestamp>| {
        write(ctx, id, Box::new(move |c| c.send_at = at), error);
    };
    view! {
        <section class="panel record-form" data-testid="campaign-when">
            <h2>{t!(i18n, campaigns.when)}</h2>
            <label>
                {t!(i18n, campaigns.send_at)}
                <input type="datetime-local" step="1" data-testid="campaign-send-at"
                    prop:value=move || send_at.get().map(widgets::date_time_input_value).unwrap_or_default()
                    disabled=move || !account.can_edit()
                    on:change=move |e| set_time(widgets::parse_date_time_input(&event_target_value(&e))) />
            </label>
            <p class="hint" data-testid="campaign-when-hint">
                {move || match send_at.get() {
                    None => t_string!(i18n, campaigns.at_once_hint).to_string(),
                    Some(at) if at <= now.get() => t_string!(i18n, campaigns.time_passed).to_string(),
                    Some(at) => t_string!(i18n, campaigns.goes_at, at = widgets::local_date_time(at)).to_string(),
                }}
            </p>
            <Show when=move || send_at.get().is_some() && account.can_edit()>
                <p class="field-row">
                    <button type="button" class="secondary" data-testid="campaign-at-once" on:click=move |_| set_time(None)>
                        {t!(i18n, campaigns.at_once)}
                    </button>
                </p>
            </Show>
            <label>
                {t!(i18n, campaigns.pace)}
                <select data-testid="campaign-pace" prop:value=move || per_hour.get().to_string()
                    disabled=move || !account.can_edit()
                    on:change=move |e| {
                        let pace: u32 = event_target_value(&e).parse().unwrap_or(0);
                        write(ctx, id, Box::new(move |c| c.per_hour = pace), error);
                    }>
                    <option value="0">{t!(i18n, campaigns.all_at_once)}</option>
                    {campaigns::PACES.map(|pace| view! {
                        <option value=pace.to_string()>{t_string!(i18n, campaigns.per_hour, count = widgets::count(pace as usize)).to_string()}</option>
                    }).collect_view()}
                </select>
            </label>
            <p class="hint">{t!(i18n, campaigns.pace_hint)}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// The shares of the audience a subject test may take first, in percent (0: no test).
const TEST_SHARES: [u32; 5] = [0, 10, 20, 30, 50];

/// The share of the audience a subject test takes first.
#[component]
fn TestShare(id: CampaignId, row: Memo<Option<CampaignRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let share = Memo::new(move |_| row.with(|r| r.as_ref().map_or(0, |r| r.test_percent)));
    view! {
        <label>
            {t!(i18n, campaigns.test_share)}
            <select data-testid="campaign-test-share" prop:value=move || share.get().to_string()
                disabled=move || !account.can_edit()
                on:change=move |e| {
                    let percent: u32 = event_target_value(&e).parse().unwrap_or(0);
                    write(ctx, id, Box::new(move |c| c.test_percent = percent), error);
                }>
                {TEST_SHARES.map(|percent| {
                    let label = if percent == 0 {
                        t_string!(i18n, campaigns.no_test).to_string()
                    } else {
                        t_string!(i18n, campaigns.test_share_of, share = percent).to_string()
                    };
                    view! { <option value=percent.to_string()>{label}</option> }
                }).collect_view()}
            </select>
        </label>
        <p class="hint">{t!(i18n, campaigns.test_hint)}</p>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// A subject test's result — each subject's opens and clicks among its half — and, until it went,
/// sending the chosen subject to everyone else the campaign reaches now.
#[component]
fn SubjectTest(row: Memo<Option<CampaignRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let workspace = Memo::new(move |_| ctx.read(|ws| ws.workspace));
    let result = Memo::new(move |_| {
        let (Some(campaign), Some(workspace)) = (row.get(), workspace.get()) else {
            return campaigns::SubjectTest::default();
        };
        outbox.outbox.with(|o| campaigns::subject_test(workspace, &campaign, o))
    });
    // Everyone the campaign reaches now who has not been sent it.
    let remaining = Memo::new(move |_| {
        let campaign = row.get()?.as_sent();
        with_audience(ctx, outbox, |audience, model| {
            let plan = campaigns::plan(audience, model, &campaign);
            plan.recipients.iter().filter(|(party, _)| !campaign.sent_to(party.id)).count()
        })
    });
    let remaining = move || remaining.get().unwrap_or(0);
    let error = RwSignal::new(None::<String>);
    let send_rest = move |second: bool| {
        let Some(campaign) = row.get_untracked().map(|c| c.as_sent()) else { return };
        let subject =
            if second { campaign.sent_subject_b.clone() } else { campaign.subject.clone() };
        let chosen = campaign.with_subject(&subject);
        if crate::health::pending_for_segments(ctx) {
            return error.set(Some(t_string!(i18n, marketing.health_pending).to_owned()));
        }
        let copies = audience_now(ctx, outbox, |audience, ws| {
            let plan = campaigns::plan(audience, &ws.model, &chosen);
            let rest: Vec<(&rapport_core::read_model::PartyRow, String)> = plan
                .recipients
                .into_iter()
                .filter(|(party, _)| !chosen.sent_to(party.id))
                .collect();
            let how = campaigns::Sending::of(&ws.settings);
            let mut copies = campaigns::copies(ws.workspace, &chosen, &ws.model, &rest, how).0;
            // At the campaign's pace, from now — or from its time, should it still be to come.
            let now = local::now().0 / 1000;
            let start = chosen.scheduled_for.map(|at| at.0 / 1000).filter(|at| *at > now);
            campaigns::pace(&mut copies, start, chosen.paced, now);
            copies
        });
        let Some(copies) = copies.filter(|copies| !copies.is_empty()) else { return };
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let recipients: std::collections::BTreeMap<String, String> = copies
                .iter()
                .map(|(party, address, _, _)| (party.to_string(), address.clone()))
                .collect();
            // Said first, then queued, as the first send: a page closed in between offers the
            // copies nobody has heard of again.
            let went = local::update::<Campaign>(&shared, campaign.id, move |c: &mut Campaign| {
                if c.winner_sent_at.is_none() {
                    c.winner_sent_at = Some(local::now());
                    c.winner_subject = subject;
                }
                c.recipients.extend(recipients);
            })
            .await;
            if !ctx.settle(went, error) {
                return;
            }
            let items = copies.into_iter().map(|(_, _, id, work)| (id, work)).collect();
            if let Err(e) = outbox.queue_many(&shared, items).await {
                error.set(Some(e.to_string()));
            }
        });
    };
    let line = move |second: bool| {
        let (test, campaign) = (result.get(), row.get());
        let campaign = campaign?;
        let (e, subject) = if second {
            (test.b, campaign.sent_subject_b.clone())
        } else {
            (test.a, campaign.as_sent().subject)
        };
        let better = test.leader() == Some(second);
        let rate = |part: usize| format!("{}%", (part * 100 + e.sent / 2) / e.sent.max(1));
        let text = t_string!(
            i18n,
            campaigns.variant_line,
            which = if second { "B" } else { "A" },
            subject = subject.as_str(),
            opened = widgets::count(e.opened),
            sent = widgets::count(e.sent),
            open_rate = rate(e.opened),
            clicked = widgets::count(e.clicked),
            click_rate = rate(e.clicked)
        )
        .to_string();
        Some(view! {
            <li class="row" data-testid="campaign-variant" data-variant=if second { "b" } else { "a" }
                data-opened=e.opened data-better=better.to_string()>
                <span class="row-title">{text}</span>
                {better.then(|| view! { <span class="tag">{t!(i18n, campaigns.better)}</span> })}
            </li>
        })
    };
    // Not before the test itself went: a scheduled test's halves have not been read yet.
    let now = super::tickets::ticking_now();
    let test_went =
        move || row.with(|r| r.as_ref().is_some_and(|r| r.scheduled(now.get()).is_none()));
    let can_send = move || {
        account.can_edit()
            && outbox.relay_mail.get() == Some(true)
            && remaining() > 0
            && test_went()
    };
    view! {
        <div class="subject-test" data-testid="campaign-subject-test">
            <h3>{t!(i18n, campaigns.subject_test)}</h3>
            <ul class="rows">{move || line(false)}{move || line(true)}</ul>
            {move || match row.with(|r| r.as_ref().and_then(|r| r.winner_sent_at.map(|at| (at, r.winner_subject.clone())))) {
                Some((at, subject)) => view! {
                    <p class="hint" data-testid="campaign-rest-sent">
                        {t_string!(i18n, campaigns.rest_sent, subject = subject.as_str(), at = widgets::local_time(at)).to_string()}
                    </p>
                }.into_any(),
                None => view! {
                    <p class="hint">{t!(i18n, campaigns.rest_hint)}</p>
                    <Show when=move || account.can_edit()>
                        <p class="field-row wrapping">
                            <button type="button" data-testid="campaign-send-a" disabled=move || !can_send()
                                class=move || if result.get().leader() == Some(false) { "" } else { "secondary" }
                                on:click=move |_| send_rest(false)>
                                {move || t_string!(i18n, campaigns.send_rest, which = "A", count = widgets::count(remaining())).to_string()}
                            </button>
                            <button type="button" data-testid="campaign-send-b" disabled=move || !can_send()
                                class=move || if result.get().leader() == Some(true) { "" } else { "secondary" }
                                on:click=move |_| send_rest(true)>
                                {move || t_string!(i18n, campaigns.send_rest, which = "B", count = widgets::count(remaining())).to_string()}
                            </button>
                        </p>
                    </Show>
                }.into_any(),
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}
