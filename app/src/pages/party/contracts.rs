//! The contracts with a person or organisation, each with the date that matters next, and a new one
//! started here: a title and a kind (the party's relationship preselected), then its own page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::ids::{ContractId, PartyId};
use rapport_core::model::{Billing, Contract, ContractKind, Money, Party};
use rapport_core::read_model::Changed;

use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::pages::contracts::{ContractLine, kind_name};
use crate::state::WorkspaceCtx;

#[component]
pub(super) fn PartyContracts(id: PartyId, party: Signal<Option<Party>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let today = crate::widgets::local_day(local::now());
    let rows = Memo::new(move |_| {
        let mut rows = ctx
            .read_of(Changed::CONTRACTS, |ws| {
                ws.model
                    .contracts
                    .values()
                    .filter(|row| row.party == id && !row.archived)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        rows.sort_by_key(|row| std::cmp::Reverse(row.created_at));
        rows
    });
    let creating = RwSignal::new(false);
    view! {
        <section class="panel" data-testid="party-contracts">
            <h2>{t!(i18n, contract.title)}</h2>
            <ul class="rows">
                {move || rows.get().into_iter().map(|row| view! { <li><ContractLine row party=String::new() today /></li> }).collect_view()}
            </ul>
            <div class="actions-row">
                <Show when=move || account.can_edit() && !creating.get()>
                    <button type="button" data-testid="new-contract-open" on:click=move |_| creating.set(true)>
                        {t!(i18n, contract.new_contract)}
                    </button>
                </Show>
                <a class="action" href="/contracts" data-testid="contracts-link">{t!(i18n, contract.open_contracts)}</a>
            </div>
            <Show when=move || creating.get()>
                <NewContract id party done=Callback::new(move |()| creating.set(false)) />
            </Show>
        </section>
    }
}

/// The kind a new contract with `party` most likely is: its relationship's.
fn likely_kind(party: &Party) -> ContractKind {
    let has = |role: &str| party.roles.contains_key(role);
    if has("supplier") {
        ContractKind::Supplier
    } else if has("investor") {
        ContractKind::Investor
    } else if has("employee") {
        ContractKind::Employment
    } else {
        ContractKind::Customer
    }
}

#[component]
fn NewContract(id: PartyId, party: Signal<Option<Party>>, done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let title = RwSignal::new(String::new());
    let kind =
        RwSignal::new(party.with_untracked(|p| p.as_ref().map(likely_kind)).unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = title.get_untracked().trim().to_owned();
        if named.is_empty() {
            error.set(Some(t_string!(i18n, contract.title_needed).to_owned()));
            return;
        }
        let navigate = navigate.clone();
        let kind = kind.get_untracked();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let contract_id = ContractId::generate(&mut local::BrowserIds);
            // The workspace's first currency, as a new deal offers.
            let (currency, me) =
                ctx.read(|ws| (ws.settings.currencies.first().cloned(), ws.me)).unwrap_or_default();
            let currency = currency.unwrap_or_else(|| "EUR".to_owned());
            let contract = Contract {
                party: id,
                title: named,
                kind,
                value: Money { minor: 0, currency },
                billing: Billing::Once,
                starts: String::new(),
                ends: String::new(),
                notice: None,
                renewal: None,
                notice_given: String::new(),
                signed: String::new(),
                owner: me,
                remind_days: 30,
                obligations: Default::default(),
                notes: Default::default(),
                files: Default::default(),
                created_at: local::now(),
                archived: false,
            };
            match local::create(&shared, contract_id, contract).await {
                Ok(()) => {
                    ctx.changed();
                    done.run(());
                    navigate(&format!("/contracts/{contract_id}"), Default::default());
                }
                Err(failure) => {
                    error.set(Some(failure.to_string()));
                    ctx.report(&failure);
                }
            }
        });
    };
    view! {
        <form class="record-form" on:submit=create data-testid="new-contract">
            <label>
                {t!(i18n, contract.name)}
                <input type="text" required maxlength="200" data-testid="new-contract-title"
                    prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
            </label>
            <label>
                {t!(i18n, contract.kind)}
                <select data-testid="new-contract-kind" on:change=move |e| {
                    if let Some(chosen) = ContractKind::from_code(&event_target_value(&e)) {
                        kind.set(chosen);
                    }
                }>
                    {ContractKind::ALL.into_iter().map(|option| view! {
                        <option value=option.code() selected=move || kind.get() == option>{kind_name(option.code())}</option>
                    }).collect_view()}
                </select>
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="field-row">
                <button type="submit" class="primary-action" data-testid="new-contract-create">{t!(i18n, contract.create)}</button>
                <button type="button" on:click=move |_| done.run(())>{t!(i18n, contract.cancel)}</button>
            </div>
        </form>
    }
}
