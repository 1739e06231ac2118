//! One fundraising round: what it raised against its target, live (summed from its investors' deals
//! on every device, so two people entering commitments at once both count), its terms, its
//! investors with what each soft-circled and committed, and its data room.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{DealId, PartyId, RoundId};
use rapport_core::investor::{RoundRow, RoundSummary};
use rapport_core::model::{Deal, DealStatus, Instrument, Money, Party, Role, Round};
use rapport_core::read_model::{Changed, DealStatusRow};

use super::Page;
use super::investors::{Raised, instrument_name};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::{RecordRoute, WorkspaceCtx};
use crate::widgets::{self, PartyPicker};

#[component]
pub(crate) fn RoundPage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, investor.bad_link).to_owned();
    let route = RecordRoute::<Round>::new(t_string!(i18n, investor.no_such_round), bad_link);
    let RecordRoute { id, record: round, failure, .. } = route;
    let ctx = WorkspaceCtx::use_ctx();
    // What it raised, from the rows: a colleague's commitment shows as it arrives.
    let summary = Memo::new(move |_| {
        let id = id.get()?;
        ctx.read_of(Changed::INVESTORS | Changed::DEALS, |ws| {
            let row = ws.model.rounds.get(&id)?;
            Some((row.clone(), RoundSummary::of(row, ws.model.deals.values())))
        })
        .flatten()
    });
    view! {
        <Page key="round" title=move || round.with(|r| r.as_ref().map(|r| r.name.clone())).unwrap_or_else(|| t_string!(i18n, investor.round).to_owned())>
            <p class="hint"><a href="/investors" data-testid="back-to-investors">{t!(i18n, investor.title)}</a></p>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="round-error">{error}</p> })}
            {move || summary.get().map(|(row, summary)| view! {
                <section class="panel" data-testid="round-summary">
                    <p class="row-detail">{
                        let instrument = row.instrument();
                        move || instrument_name(instrument)
                    }{terms_text(&row)}</p>
                    <Raised summary />
                </section>
            })}
            <Show when=move || round.with(Option::is_some) fallback=move || (failure.get().is_none()).then(|| view! { <p class="hint">{t!(i18n, investor.opening)}</p> })>
                {move || id.get_untracked().map(|id| view! {
                    <div class="record-layout">
                        <div class="record-main">
                            <RoundInvestors id summary />
                            <RoundForm id round />
                        </div>
                        <div class="record-activity">
                            <widgets::Files owner=widgets::FileOwner::Round(id) files=Signal::derive(move || round.with(|r| r.as_ref().map(|r| r.files.clone()).unwrap_or_default())) />
                        </div>
                    </div>
                })}
            </Show>
        </Page>
    }
}

/// The terms after the instrument: " · pre-money €8,000,000" or " · cap €10,000,000 · 20 % discount".
fn terms_text(row: &RoundRow) -> String {
    let i18n = use_i18n();
    let money = |minor: i64| widgets::money(minor, &row.currency);
    let mut text = String::new();
    if let Some(pre) = row.pre_money {
        text.push_str(&format!(
            " · {}",
            t_string!(i18n, investor.pre_money_is, amount = money(pre))
        ));
    }
    if let Some(cap) = row.valuation_cap {
        text.push_str(&format!(" · {}", t_string!(i18n, investor.cap_is, amount = money(cap))));
    }
    if let Some(discount) = row.discount {
        let percent = discount.to_string();
        text.push_str(&format!(" · {}", t_string!(i18n, investor.discount_is, percent)));
    }
    if let Some(day) = rapport_core::contract::parse_day(&row.close_date) {
        let date = widgets::day_text(day);
        text.push_str(&format!(" · {}", t_string!(i18n, investor.closes_on, date)));
    }
    text
}

/// The investors, most committed first, each with their two amounts editable in place; those who
/// passed below; and a form to add one.
#[component]
fn RoundInvestors(id: RoundId, summary: Memo<Option<(RoundRow, RoundSummary)>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let investors = Memo::new(move |_| {
        summary.with(|s| s.as_ref().map(|(_, s)| s.investors.clone())).unwrap_or_default()
    });
    let passed = Memo::new(move |_| {
        summary.with(|s| s.as_ref().map(|(_, s)| s.passed.clone())).unwrap_or_default()
    });
    let chosen = RwSignal::new(None::<(PartyId, String)>);
    let error = RwSignal::new(None::<String>);
    // An investor is a deal in the round's pipeline, at its first stage; the person or organisation
    // gets the investor role if they had not.
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some((party, name)) = chosen.get_untracked() else {
            return error.set(Some(t_string!(i18n, investor.investor_needed).to_owned()));
        };
        let Some((row, _)) = summary.get_untracked() else { return };
        let already = investors.with_untracked(|list| list.iter().any(|i| i.party == Some(party)));
        if already {
            return error
                .set(Some(t_string!(i18n, investor.already_in, name = name.clone()).to_string()));
        }
        let stage = ctx
            .read(|ws| {
                ws.settings
                    .pipelines
                    .get(&row.pipeline.to_string())
                    .and_then(|p| p.stages.first().map(|s| s.id))
            })
            .flatten();
        let Some(stage) = stage else {
            return error.set(Some(t_string!(i18n, investor.no_pipeline).to_owned()));
        };
        error.set(None);
        let me = ctx.read(|ws| ws.me).flatten();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let deal = Deal {
                title: format!("{} · {name}", row.name),
                pipeline: row.pipeline,
                stage,
                amount: Money { minor: 0, currency: row.currency.clone() },
                expected_close: rapport_core::contract::parse_day(&row.close_date)
                    .map(rapport_core::contract::utc_midnight),
                owner: me,
                parties: vec![party],
                status: DealStatus::Open,
                lost_reason: String::new(),
                stage_history: Vec::new(),
                closed_at: None,
                closings: Vec::new(),
                terms_history: Vec::new(),
                files: Default::default(),
                created_at: local::now(),
                archived: false,
                round: Some(id),
                soft_circled: None,
                committed: None,
            };
            let created =
                local::create(&shared, DealId::generate(&mut local::BrowserIds), deal).await;
            if !ctx.settle(created, error) {
                return;
            }
            let is_investor = ctx
                .read(|ws| {
                    ws.model.parties.get(&party).is_some_and(|p| {
                        p.roles.contains(&rapport_core::read_model::RoleRow::Investor)
                    })
                })
                .unwrap_or(true);
            if !is_investor {
                let result = local::update::<Party>(&shared, party, |p| {
                    p.set_role(Role::Investor, true);
                })
                .await;
                ctx.settle(result, error);
            }
            chosen.set(None);
            ctx.changed();
        });
    };
    view! {
        <section class="panel" data-testid="round-investors" data-count=move || investors.with(Vec::len)>
            <h2>{t!(i18n, investor.investors)}</h2>
            <Show when=move || investors.with(|i| !i.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, investor.no_investors)}</p> }>
                <ul class="rows">
                    <For each=move || investors.get() key=|i| i.deal let:investor>
                        <InvestorLine deal=investor.deal summary />
                    </For>
                </ul>
            </Show>
            <Show when=move || passed.with(|p| !p.is_empty())>
                <h3>{t!(i18n, investor.passed)}</h3>
                <ul class="rows" data-testid="round-passed">
                    <For each=move || passed.get() key=|i| i.deal let:investor>
                        <li class="row"><a class="row-link" href=format!("/deals/{}", investor.deal)><span class="row-title">{investor.title.clone()}</span></a></li>
                    </For>
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <form class="record-form" on:submit=add data-testid="add-investor">
                    <PartyPicker chosen testid="round-investor" label=move || t_string!(i18n, investor.add_investor) />
                    {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="add-investor-error">{e}</p> })}
                    <button type="submit" data-testid="add-investor-save">{t!(i18n, investor.add)}</button>
                </form>
            </Show>
        </section>
    }
}

/// One investor: who, the deal's stage, and the amounts soft-circled and committed, each saved when
/// it is left. A colleague's amount shows at once in a field this person has not changed.
#[component]
fn InvestorLine(deal: DealId, summary: Memo<Option<(RoundRow, RoundSummary)>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let investor = Memo::new(move |_| {
        summary.with(|s| {
            s.as_ref().and_then(|(_, s)| s.investors.iter().find(|i| i.deal == deal).cloned())
        })
    });
    let currency = Memo::new(move |_| {
        summary.with(|s| s.as_ref().map(|(row, _)| row.currency.clone())).unwrap_or_default()
    });
    let plain = move |minor: i64| {
        if minor == 0 {
            String::new()
        } else {
            Money { minor, currency: currency.get() }.to_plain()
        }
    };
    let stored_soft =
        Memo::new(move |_| plain(investor.with(|i| i.as_ref().map_or(0, |i| i.soft_circled))));
    let stored_committed =
        Memo::new(move |_| plain(investor.with(|i| i.as_ref().map_or(0, |i| i.committed))));
    let (soft, committed) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    widgets::follow(stored_soft, soft);
    widgets::follow(stored_committed, committed);
    let error = RwSignal::new(None::<String>);
    let name = move || {
        let (party, title) =
            investor.with(|i| i.as_ref().map(|i| (i.party, i.title.clone()))).unwrap_or_default();
        ctx.read_of(Changed::PARTIES, |ws| {
            party.and_then(|p| ws.model.parties.get(&p)).map(|p| p.name.clone())
        })
        .flatten()
        .unwrap_or(title)
    };
    let status = move || match investor.with(|i| i.as_ref().map(|i| i.status)) {
        Some(DealStatusRow::Won) => t_string!(i18n, investor.status_committed),
        _ => t_string!(i18n, investor.status_open),
    };
    let other_currency = move || investor.with(|i| i.as_ref().is_some_and(|i| i.other_currency));
    // Saves one amount; an empty field clears it.
    let save = move |field: RwSignal<String>, committed_field: bool| {
        let typed = field.get_untracked().trim().to_owned();
        let amount = if typed.is_empty() {
            None
        } else {
            match Money::parse(&typed, &currency.get_untracked()) {
                Ok(money) if money.minor >= 0 => Some(money.minor),
                Ok(_) => {
                    return error.set(Some(t_string!(i18n, investor.amount_invalid).to_owned()));
                }
                Err(why) => return error.set(Some(widgets::amount_refused(&why))),
            }
        };
        error.set(None);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<Deal>(&shared, deal, move |deal| {
                if committed_field {
                    deal.committed = amount;
                } else {
                    deal.soft_circled = amount;
                }
            })
            .await;
            ctx.settle(result, error);
        });
    };
    let party_href = move || {
        investor.with(|i| i.as_ref().and_then(|i| i.party)).map(|p| format!("/parties/{p}"))
    };
    view! {
        <li class="row investor-line" data-testid="round-investor-row" data-name=name
            data-committed=move || investor.with(|i| i.as_ref().map_or(0, |i| i.committed))>
            <div class="row-link">
                <a class="row-title" href=party_href>{name}</a>
                <span class="row-detail">
                    {status}" · "<a href=format!("/deals/{deal}")>{t!(i18n, investor.open_deal)}</a>
                    {move || other_currency().then(|| view! { " · " <span class="tag">{t!(i18n, investor.other_currency)}</span> })}
                </span>
            </div>
            <label>
                {t!(i18n, investor.soft_circled)}
                <input type="text" inputmode="decimal" data-testid="investor-soft" readonly=move || !account.can_edit()
                    prop:value=move || soft.get() on:input=move |e| soft.set(event_target_value(&e))
                    on:change=move |_| save(soft, false) />
            </label>
            <label>
                {t!(i18n, investor.committed)}
                <input type="text" inputmode="decimal" data-testid="investor-committed" readonly=move || !account.can_edit()
                    prop:value=move || committed.get() on:input=move |e| committed.set(event_target_value(&e))
                    on:change=move |_| save(committed, true) />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </li>
    }
}

/// The fields the form edits, as text, in this order.
const NAME: usize = 0;
const INSTRUMENT: usize = 1;
const TARGET: usize = 2;
const PRE_MONEY: usize = 3;
const CAP: usize = 4;
const DISCOUNT: usize = 5;
const CLOSE: usize = 6;
const FIELDS: usize = 7;

fn form_values(round: &Round) -> [String; FIELDS] {
    Terms {
        name: round.name.clone(),
        instrument: round.instrument,
        target: round.target.clone(),
        pre_money: round.pre_money,
        valuation_cap: round.valuation_cap,
        discount: round.discount,
        close_date: round.close_date.clone(),
    }
    .values()
}

/// The round's terms as the form says them, or why they cannot be.
#[derive(Clone)]
struct Terms {
    name: String,
    instrument: Instrument,
    target: Money,
    pre_money: Option<i64>,
    valuation_cap: Option<i64>,
    discount: Option<u8>,
    close_date: String,
}

impl Terms {
    /// The form's fields showing these terms, amounts as stored.
    fn values(&self) -> [String; FIELDS] {
        let plain = |minor: Option<i64>| {
            let currency = self.target.currency.clone();
            minor.map(|minor| Money { minor, currency }.to_plain()).unwrap_or_default()
        };
        [
            self.name.clone(),
            self.instrument.code().to_owned(),
            self.target.to_plain(),
            plain(self.pre_money),
            plain(self.valuation_cap),
            self.discount.map(|d| d.to_string()).unwrap_or_default(),
            self.close_date.clone(),
        ]
    }
}

fn read_form(fields: &[String; FIELDS], currency: &str) -> Result<Terms, String> {
    let i18n = use_i18n();
    let name = fields[NAME].trim().to_owned();
    if name.is_empty() {
        return Err(t_string!(i18n, investor.name_needed).to_owned());
    }
    let target = Money::parse(fields[TARGET].trim(), currency)
        .map_err(|why| widgets::amount_refused(&why))?;
    if target.minor <= 0 {
        return Err(t_string!(i18n, investor.target_needed).to_owned());
    }
    let optional = |index: usize| -> Result<Option<i64>, String> {
        match fields[index].trim() {
            "" => Ok(None),
            typed => Money::parse(typed, currency)
                .map(|m| Some(m.minor))
                .map_err(|why| widgets::amount_refused(&why)),
        }
    };
    let discount = match fields[DISCOUNT].trim().trim_end_matches('%').trim() {
        "" => None,
        typed => match typed.parse::<u8>() {
            Ok(percent) if percent < 100 => Some(percent),
            _ => return Err(t_string!(i18n, investor.discount_invalid).to_owned()),
        },
    };
    let close_date = fields[CLOSE].trim().to_owned();
    if !close_date.is_empty() && rapport_core::contract::parse_day(&close_date).is_none() {
        return Err(t_string!(i18n, investor.date_invalid).to_owned());
    }
    Ok(Terms {
        name,
        instrument: Instrument::from_code(&fields[INSTRUMENT]).unwrap_or(Instrument::Other),
        target,
        pre_money: optional(PRE_MONEY)?,
        valuation_cap: optional(CAP)?,
        discount,
        close_date,
    })
}

/// The round's terms, saved together; only what this person changed is written.
#[component]
fn RoundForm(id: RoundId, round: Memo<Option<Round>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let initial = round.with_untracked(|r| r.as_ref().map(form_values)).unwrap_or_default();
    let fields: [RwSignal<String>; FIELDS] = initial.map(RwSignal::new);
    let currency =
        move || round.with(|r| r.as_ref().map(|r| r.target.currency.clone()).unwrap_or_default());
    // A colleague's change shows at once, except in a field this person has changed.
    Effect::new(move |before: Option<[String; FIELDS]>| {
        let now = round.with(|r| r.as_ref().map(form_values)).unwrap_or_default();
        if let Some(before) = before {
            for ((field, old), new) in fields.iter().zip(&before).zip(&now) {
                if field.get_untracked() == *old && old != new {
                    field.set(new.clone());
                }
            }
        }
        now
    });
    let dirty = Signal::derive(move || {
        round.with(|r| r.as_ref().map(form_values)).is_some_and(|stored| {
            fields.iter().zip(&stored).any(|(field, stored)| field.with(|f| f.trim() != stored))
        })
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let saving = widgets::Save::new(
        move |(terms, changed, submitted): (Terms, [bool; FIELDS], [String; FIELDS])| async move {
            let Some(shared) = ctx.shared() else { return };
            let shown = terms.values();
            let result = local::update::<Round>(&shared, id, move |round| {
                let set = |index: usize| changed[index];
                if set(NAME) {
                    round.name = terms.name;
                }
                if set(INSTRUMENT) {
                    round.instrument = terms.instrument;
                }
                if set(TARGET) {
                    round.target = terms.target;
                }
                if set(PRE_MONEY) {
                    round.pre_money = terms.pre_money;
                }
                if set(CAP) {
                    round.valuation_cap = terms.valuation_cap;
                }
                if set(DISCOUNT) {
                    round.discount = terms.discount;
                }
                if set(CLOSE) {
                    round.close_date = terms.close_date;
                }
            })
            .await;
            if ctx.settle(result, error) {
                // Amounts as stored ("1 000 000" becomes "1000000.00"), in the fields this save wrote
                // and not typed in since.
                for ((field, value), (wrote, sent)) in
                    fields.iter().zip(shown).zip(changed.iter().zip(&submitted))
                {
                    if *wrote && field.with_untracked(|now| now == sent) {
                        field.set(value);
                    }
                }
            }
        },
    );
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = fields.map(|field| field.get_untracked());
        let stored = round.with_untracked(|r| r.as_ref().map(form_values)).unwrap_or_default();
        let changed = std::array::from_fn(|i| typed[i].trim() != stored[i]);
        match read_form(&typed, &currency()) {
            Ok(terms) => {
                error.set(None);
                saving.submit((terms, changed, typed))
            }
            Err(why) => error.set(Some(why)),
        }
    };
    let read_only = move || !account.can_edit();
    let text = move |index: usize, testid: &'static str, kind: &'static str| {
        view! {
            <input type=kind data-testid=testid readonly=read_only prop:value=move || fields[index].get()
                on:input=move |e| fields[index].set(event_target_value(&e)) />
        }
    };
    view! {
        <form class="record-form panel" on:submit=save data-testid="round-form">
            <h2>{t!(i18n, investor.terms)}</h2>
            <div class="field-row">
                <label>{t!(i18n, investor.round_name)}{text(NAME, "round-name", "text")}</label>
                <label>
                    {t!(i18n, investor.instrument)}
                    <select data-testid="round-instrument" disabled=read_only prop:value=move || fields[INSTRUMENT].get()
                        on:change=move |e| fields[INSTRUMENT].set(event_target_value(&e))>
                        {Instrument::ALL.into_iter().map(|i| view! {
                            <option value=i.code() selected=move || fields[INSTRUMENT].get() == i.code()>{move || instrument_name(i)}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <div class="field-row">
                <label>{move || t_string!(i18n, investor.target_in, currency = currency()).to_string()}{text(TARGET, "round-target", "text")}</label>
                <label>{t!(i18n, investor.close_date)}{text(CLOSE, "round-close", "date")}</label>
            </div>
            <div class="field-row">
                <label>{t!(i18n, investor.pre_money)}{text(PRE_MONEY, "round-pre-money", "text")}</label>
                <label>{t!(i18n, investor.valuation_cap)}{text(CAP, "round-cap", "text")}</label>
                <label>{t!(i18n, investor.discount)}{text(DISCOUNT, "round-discount", "text")}</label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="round-form-error">{e}</p> })}
            <Show when=move || account.can_edit()>
                <button type="submit" data-testid="round-save" disabled=move || saving.pending()>{t!(i18n, investor.save)}</button>
            </Show>
        </form>
    }
}
