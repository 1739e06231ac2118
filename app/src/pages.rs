//! One module per route. Each page is a component taking no props; it reads what it needs from context.

mod analytics;
mod article;
pub(crate) mod automation;
mod campaign;
mod compose;
mod contract;
mod contracts;
mod deal;
mod deals;
mod feedback;
mod goal;
pub(crate) mod goals;
mod import_export;
pub(crate) mod investor_event;
pub(crate) mod investor_update;
mod investors;
mod knowledge;
mod leads_board;
mod log;
pub(crate) mod marketing;
mod not_found;
mod one_on_one;
mod parties;
mod party;
mod purchase_order;
pub(crate) mod purchasing;
mod reports;
mod review;
mod reviews;
mod round;
mod segment;
pub(crate) mod sequence;
mod service_reports;
mod settings;
mod survey;
mod surveys;
mod tasks;
pub(crate) mod team;
mod tender;
mod ticket;
pub(crate) mod tickets;
mod today;

pub(crate) use analytics::Analytics;
pub(crate) use article::ArticlePage;
pub(crate) use automation::AutomationPage;
pub(crate) use campaign::CampaignPage;
pub(crate) use compose::ComposeEmail;
pub(crate) use contract::ContractPage;
pub(crate) use contracts::Contracts;
pub(crate) use deal::DealPage;
pub(crate) use deals::Deals;
pub(crate) use feedback::FeedbackPage;
pub(crate) use goal::GoalPage;
pub(crate) use import_export::ImportExport;
pub(crate) use investor_event::InvestorEventPage;
pub(crate) use investor_update::InvestorUpdatePage;
pub(crate) use investors::Investors;
pub(crate) use knowledge::Knowledge;
pub(crate) use log::LogInteraction;
pub(crate) use marketing::Marketing;
pub(crate) use not_found::NotFound;
pub(crate) use one_on_one::OneOnOnePage;
pub(crate) use parties::Parties;
pub(crate) use party::PartyPage;
pub(crate) use purchase_order::PurchaseOrderPage;
pub(crate) use purchasing::Purchasing;
pub(crate) use reports::Reports;
pub(crate) use review::ReviewPage;
pub(crate) use round::RoundPage;
pub(crate) use segment::SegmentPage;
pub(crate) use sequence::SequencePage;
pub(crate) use service_reports::ServiceReports;
pub(crate) use settings::Settings;
pub(crate) use survey::SurveyPage;
pub(crate) use tasks::Tasks;
pub(crate) use team::Team;
pub(crate) use tender::TenderPage;
pub(crate) use ticket::TicketPage;
pub(crate) use tickets::Tickets;
pub(crate) use today::Today;

use leptos::prelude::*;

/// The frame every page shares: a heading people and tests can find, and the page body.
#[component]
fn Page(
    /// `page-<key>` becomes the page's test handle.
    key: &'static str,
    /// The page heading, in the screens' language.
    #[prop(into)]
    title: TextProp,
    children: Children,
) -> impl IntoView {
    let ctx = crate::state::WorkspaceCtx::use_ctx();
    // Busy while the workspace opens: what the page lists is not known yet.
    let busy = move || ctx.status.with(|s| matches!(s, crate::state::Status::Opening)).to_string();
    view! {
        <section class="page" data-testid=format!("page-{key}") aria-labelledby="page-title" aria-busy=busy>
            <header class="page-header">
                <h1 id="page-title" data-testid="page-title">{move || title.get()}</h1>
            </header>
            {children()}
        </section>
    }
}

/// What a page shows while it has nothing to list yet — once the workspace is open: while it opens,
/// "nothing here" would be untrue (and an offer such as "Set up a pipeline" would flash and vanish).
#[component]
fn EmptyState(
    #[prop(into)] title: TextProp,
    #[prop(into)] hint: TextProp,
    /// What the user can do about it (shown with the text).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let ctx = crate::state::WorkspaceCtx::use_ctx();
    let opened = move || ctx.status.with(|s| !matches!(s, crate::state::Status::Opening));
    view! {
        <Show when=opened>
            <div class="empty-state" data-testid="empty-state">
                <h2>{let title = title.clone(); move || title.get()}</h2>
                <p>{let hint = hint.clone(); move || hint.get()}</p>
            </div>
            {children.clone().map(|children| children())}
        </Show>
    }
}

/// A moment as the screens' language writes a date and time.
pub(crate) fn local_date_time(at: rapport_core::ids::Timestamp) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.0 as f64));
    let language = crate::widgets::language();
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    date.to_locale_string(&language, &options).into()
}
