//! Deals in pipelines, and the records of contracts and feedback (campaigns and segments are in
//! `marketing.rs`).

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

use super::sparse::reconcile_sparse;
use crate::ids::{MemberId, PartyId, PipelineId, RoundId, StageId, Timestamp};

/// An amount in minor units (cents, kopecks) of an ISO 4217 currency: exact, never floating point.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

/// Why typed text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("enter an amount, like 1200 or 1 200,50")]
    Empty,
    #[error("“{0}” is not an amount: use digits, with a comma or a point before the cents")]
    NotANumber(String),
    #[error("{currency} amounts have at most {digits} digits after the point")]
    TooPrecise { currency: String, digits: u32 },
    #[error("that amount is too large")]
    TooLarge,
}

/// Digits of `currency`'s minor unit (ISO 4217): 2 for most, 0 for yen or won, 3 for dinars.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "PYG" | "XOF" | "XAF" | "HUF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

impl Money {
    /// The amount as plain digits with a point, for an input field: `12000.50`, `1500` (yen).
    pub fn to_plain(&self) -> String {
        let digits = minor_digits(&self.currency);
        if digits == 0 {
            return self.minor.to_string();
        }
        let scale = 10_i64.pow(digits);
        let sign = if self.minor < 0 { "-" } else { "" };
        let (whole, fraction) =
            (self.minor.unsigned_abs() / scale as u64, self.minor.unsigned_abs() % scale as u64);
        format!("{sign}{whole}.{fraction:0width$}", width = digits as usize)
    }

    /// Reads an amount as people type it: `1200`, `1 200,50`, `1,200.50`, `1.200,50`, `1’200.5`.
    /// A single comma or point followed by exactly three digits groups thousands (`1,200` is 1200).
    pub fn parse(text: &str, currency: &str) -> Result<Money, AmountError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '\'' | '’' | '\u{a0}' | '\u{202f}'))
            .collect();
        if compact.is_empty() {
            return Err(AmountError::Empty);
        }
        let not_a_number = || AmountError::NotANumber(text.trim().to_owned());
        let digits = minor_digits(currency);
        let last_separator = compact.rfind(['.', ',']);
        let decimal_at = last_separator.filter(|&at| {
            let separator = compact.as_bytes()[at];
            let other = if separator == b'.' { ',' } else { '.' };
            let fraction = compact.len() - at - 1;
            let repeated = compact.matches(char::from(separator)).count() > 1;
            compact.contains(other) || !(repeated || fraction == 3 && digits != 3)
        });
        let (whole, fraction) = match decimal_at {
            Some(at) => (&compact[..at], &compact[at + 1..]),
            None => (compact.as_str(), ""),
        };
        let whole: String = whole.chars().filter(|c| !matches!(c, '.' | ',')).collect();
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !all_digits(&whole) || !all_digits(fraction) {
            return Err(not_a_number());
        }
        if fraction.len() > digits as usize {
            return Err(AmountError::TooPrecise { currency: currency.to_owned(), digits });
        }
        let scale = 10_i64.pow(digits);
        let whole: i64 =
            if whole.is_empty() { 0 } else { whole.parse().map_err(|_| AmountError::TooLarge)? };
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse::<i64>().map_err(|_| not_a_number())?
                * 10_i64.pow(digits - fraction.len() as u32)
        };
        let minor = whole
            .checked_mul(scale)
            .and_then(|m| m.checked_add(fraction))
            .ok_or(AmountError::TooLarge)?;
        Ok(Money { minor, currency: currency.to_owned() })
    }
}

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Deal {
    pub title: String,
    pub pipeline: PipelineId,
    pub stage: StageId,
    pub amount: Money,
    #[autosurgeon(missing = "Default::default")]
    pub expected_close: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<MemberId>,
    #[autosurgeon(missing = "Default::default")]
    pub parties: Vec<PartyId>,
    pub status: DealStatus,
    #[autosurgeon(missing = "Default::default")]
    pub lost_reason: String,
    /// Every stage move, oldest first; appended, never rewritten.
    #[autosurgeon(missing = "Default::default")]
    pub stage_history: Vec<StageChange>,
    /// When it was last won or lost; cleared when it is reopened. Deals closed before this was kept
    /// have none, and analytics leave them out of the period they closed in.
    #[autosurgeon(missing = "Default::default")]
    pub closed_at: Option<Timestamp>,
    /// Every closing (won, lost) and reopening, oldest first; appended, never rewritten: whether it
    /// was open at a past time (the forecast as it stood). Deals closed before this was kept have
    /// none.
    #[autosurgeon(missing = "Default::default")]
    pub closings: Vec<Closing>,
    /// Its amount and expected close from each change on, oldest first, the first entry as they were
    /// before the first change; appended, never rewritten: the forecast as it stood. Empty while they
    /// never changed ([`Deal::set_terms`]).
    #[autosurgeon(missing = "Default::default")]
    pub terms_history: Vec<TermsChange>,
    /// Proposals, quotes, signed orders: by the hex SHA-256 of their bytes.
    #[autosurgeon(missing = "Default::default")]
    pub files: BTreeMap<String, super::Attachment>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
    /// The fundraising round this investor is in (`super::Round`).
    #[autosurgeon(missing = "Default::default")]
    pub round: Option<RoundId>,
    /// What the investor said they would likely put in, in minor units of the deal's currency.
    #[autosurgeon(missing = "Default::default")]
    pub soft_circled: Option<i64>,
    /// What the investor committed to put in, in minor units.
    #[autosurgeon(missing = "Default::default")]
    pub committed: Option<i64>,
}

reconcile_sparse!(Deal {
    // The histories are written with the deal, even empty: two devices' first entries then append
    // to one list rather than each make its own (of which a merge would keep one).
    always: [title, pipeline, stage, amount, status, created_at, closings, terms_history],
    sparse: [
        expected_close,
        owner,
        parties,
        lost_reason,
        stage_history,
        closed_at,
        files,
        archived,
        round,
        soft_circled,
        committed
    ],
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub enum DealStatus {
    #[default]
    Open,
    Won,
    Lost,
}

/// Where a deal can be moved: a stage of its pipeline, or off the board as won or lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Stage(StageId),
    Won,
    Lost,
}

impl Destination {
    /// Stable text for a form's value: the stage id, `won` or `lost`.
    pub fn key(self) -> String {
        match self {
            Destination::Stage(stage) => stage.to_string(),
            Destination::Won => "won".into(),
            Destination::Lost => "lost".into(),
        }
    }

    pub fn from_key(key: &str) -> Option<Destination> {
        match key {
            "won" => Some(Destination::Won),
            "lost" => Some(Destination::Lost),
            stage => stage.parse().ok().map(Destination::Stage),
        }
    }
}

impl Deal {
    /// Where the deal is now.
    pub fn destination(&self) -> Destination {
        match self.status {
            DealStatus::Open => Destination::Stage(self.stage),
            DealStatus::Won => Destination::Won,
            DealStatus::Lost => Destination::Lost,
        }
    }

    /// Moves the deal to `to` at `at` by `by`. Entering a stage (or reopening a closed deal into one)
    /// is written in its stage history, which "days in stage" and the forecast history read; moving to
    /// where it already is changes nothing. Closing keeps its stage, so a reopened deal shows where it
    /// stood, and records when it closed (analytics' "won in March"); reopening clears that.
    pub fn move_to(&mut self, to: Destination, at: Timestamp, by: Option<MemberId>) {
        match to {
            Destination::Stage(stage) => {
                if self.status != DealStatus::Open {
                    self.keep_legacy_closing();
                    self.closings.push(Closing { at, status: DealStatus::Open });
                }
                if self.stage != stage || self.status != DealStatus::Open {
                    self.stage = stage;
                    self.status = DealStatus::Open;
                    self.stage_history.push(StageChange { stage, at, by });
                }
                self.closed_at = None;
            }
            Destination::Won | Destination::Lost => {
                let status =
                    if to == Destination::Won { DealStatus::Won } else { DealStatus::Lost };
                if self.status != status {
                    self.keep_legacy_closing();
                    self.status = status;
                    self.closed_at = Some(at);
                    self.closings.push(Closing { at, status });
                }
            }
        }
    }

    /// A deal closed before closings were kept has none: the closing its `closed_at` records is
    /// written first, so what follows does not hide that it was open until then.
    fn keep_legacy_closing(&mut self) {
        if let (true, DealStatus::Won | DealStatus::Lost, Some(closed)) =
            (self.closings.is_empty(), self.status, self.closed_at)
        {
            self.closings.push(Closing { at: closed, status: self.status });
        }
    }

    /// Sets its amount and expected close at `at`, keeping in its history what they were from then
    /// on (and, the first time, what they were before): the forecast as it stood at a past time
    /// reads them. Setting what they already are changes nothing.
    pub fn set_terms(&mut self, amount: Money, expected_close: Option<Timestamp>, at: Timestamp) {
        if self.amount == amount && self.expected_close == expected_close {
            return;
        }
        if self.terms_history.is_empty() {
            self.terms_history.push(TermsChange {
                at: self.created_at,
                amount: self.amount.clone(),
                expected_close: self.expected_close,
            });
        }
        self.amount = amount.clone();
        self.expected_close = expected_close;
        self.terms_history.push(TermsChange { at, amount, expected_close });
    }
}

/// A deal closed (won or lost) or reopened (`Open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Closing {
    pub at: Timestamp,
    pub status: DealStatus,
}

/// A deal's amount and expected close from `at` on.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct TermsChange {
    pub at: Timestamp,
    pub amount: Money,
    pub expected_close: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub struct StageChange {
    pub stage: StageId,
    pub at: Timestamp,
    pub by: Option<MemberId>,
}

/// An agreement with a party, of any of the four relationships. It keeps what was agreed — its dates
/// as written, the notice period, how long a tacit renewal runs, whether notice was given — and
/// nothing derived from them: the running term, the last day to give notice and the renewal date are
/// computed on every device ([`crate::contract`]), so a tacit renewal never leaves a stale date.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Contract {
    pub party: PartyId,
    pub title: String,
    pub kind: ContractKind,
    /// The value of one billing period (of the whole contract when billed once).
    pub value: Money,
    pub billing: Billing,
    /// The first day, `YYYY-MM-DD`.
    pub starts: String,
    /// The last day of the first term, `YYYY-MM-DD`; empty: open-ended (it runs until notice ends it).
    #[autosurgeon(missing = "Default::default")]
    pub ends: String,
    /// How long before a term's end notice must be given.
    #[autosurgeon(missing = "Default::default")]
    pub notice: Option<Span>,
    /// How long each tacit (automatic) renewal runs; `None`: it ends with its term.
    #[autosurgeon(missing = "Default::default")]
    pub renewal: Option<Span>,
    /// The day notice was given (by either side), `YYYY-MM-DD`; empty while it runs on.
    #[autosurgeon(missing = "Default::default")]
    pub notice_given: String,
    /// The day it was signed, `YYYY-MM-DD`; empty when not yet.
    #[autosurgeon(missing = "Default::default")]
    pub signed: String,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<MemberId>,
    /// Days before each date (notice, end) that the owner is reminded.
    #[autosurgeon(missing = "Default::default")]
    pub remind_days: u32,
    /// What either side must do by a date, by id.
    #[autosurgeon(missing = "Default::default")]
    pub obligations: BTreeMap<String, Obligation>,
    #[autosurgeon(missing = "Default::default")]
    pub notes: Text,
    /// The signed copies and annexes, by the hex SHA-256 of their bytes.
    #[autosurgeon(missing = "Default::default")]
    pub files: BTreeMap<String, super::Attachment>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// Which relationship a contract belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub enum ContractKind {
    #[default]
    Customer,
    Supplier,
    Investor,
    Employment,
}

impl ContractKind {
    pub const ALL: [ContractKind; 4] = [
        ContractKind::Customer,
        ContractKind::Supplier,
        ContractKind::Investor,
        ContractKind::Employment,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ContractKind::Customer => "customer",
            ContractKind::Supplier => "supplier",
            ContractKind::Investor => "investor",
            ContractKind::Employment => "employment",
        }
    }

    pub fn from_code(key: &str) -> Option<ContractKind> {
        ContractKind::ALL.into_iter().find(|kind| kind.code() == key)
    }
}

/// How often a contract is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub enum Billing {
    #[default]
    Once,
    Monthly,
    Quarterly,
    Yearly,
}

impl Billing {
    pub const ALL: [Billing; 4] =
        [Billing::Once, Billing::Monthly, Billing::Quarterly, Billing::Yearly];

    pub fn code(self) -> &'static str {
        match self {
            Billing::Once => "once",
            Billing::Monthly => "monthly",
            Billing::Quarterly => "quarterly",
            Billing::Yearly => "yearly",
        }
    }

    pub fn from_code(key: &str) -> Option<Billing> {
        Billing::ALL.into_iter().find(|billing| billing.code() == key)
    }
}

/// A length of time as a contract states it ("3 months", "30 days").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Span {
    pub count: u32,
    pub unit: SpanUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum SpanUnit {
    Days,
    Months,
}

/// Something a side of the contract must do by a date.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Obligation {
    pub title: String,
    /// `YYYY-MM-DD`; empty when it has no date.
    pub due: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Feedback {
    pub party: PartyId,
    pub at: Timestamp,
    pub kind: FeedbackKind,
    pub notes: Text,
    pub author: Option<MemberId>,
}

/// Customer NPS, supplier scorecards, employee pulse and 1:1 notes.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub enum FeedbackKind {
    /// Net promoter score, 0–10.
    Nps {
        score: u8,
    },
    /// Supplier scorecard: criterion → score 1–5.
    Scorecard {
        scores: BTreeMap<String, u8>,
    },
    /// Employee pulse, 1–5.
    Pulse {
        score: u8,
    },
    OneOnOne,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 100 EUR deal opened at 1 in `stage`, with no history.
    fn pilot(stage: StageId) -> Deal {
        Deal {
            title: "Pilot".into(),
            pipeline: PipelineId::from_bytes([4; 16]),
            stage,
            amount: Money { minor: 100, currency: "EUR".into() },
            expected_close: None,
            owner: None,
            parties: Vec::new(),
            status: DealStatus::Open,
            lost_reason: String::new(),
            stage_history: Vec::new(),
            closed_at: None,
            closings: Vec::new(),
            terms_history: Vec::new(),
            files: Default::default(),
            created_at: Timestamp(1),
            archived: false,
            round: None,
            soft_circled: None,
            committed: None,
        }
    }

    #[test]
    fn a_deal_moved_to_a_stage_writes_its_history_once_and_closing_keeps_its_stage() {
        let (lead, proposal) = (StageId::from_bytes([1; 16]), StageId::from_bytes([2; 16]));
        let by = Some(MemberId::from_bytes([3; 16]));
        let mut deal = Deal {
            stage_history: vec![StageChange { stage: lead, at: Timestamp(1), by }],
            ..pilot(lead)
        };
        deal.move_to(Destination::Stage(lead), Timestamp(2), by);
        assert_eq!(deal.stage_history.len(), 1, "where it already is: nothing written");
        deal.move_to(Destination::Stage(proposal), Timestamp(3), by);
        assert_eq!(deal.destination(), Destination::Stage(proposal));
        assert_eq!(
            deal.stage_history.last(),
            Some(&StageChange { stage: proposal, at: Timestamp(3), by })
        );
        deal.move_to(Destination::Won, Timestamp(4), by);
        assert_eq!(
            (deal.status, deal.stage, deal.stage_history.len(), deal.closed_at),
            (DealStatus::Won, proposal, 2, Some(Timestamp(4)))
        );
        deal.move_to(Destination::Won, Timestamp(5), by);
        assert_eq!(deal.closed_at, Some(Timestamp(4)), "won again: still won when it was");
        // Reopened into the stage it stood in: that is a new entry into it, and it is no longer closed.
        deal.move_to(Destination::Stage(proposal), Timestamp(5), None);
        assert_eq!(
            (deal.status, deal.stage_history.len(), deal.closed_at),
            (DealStatus::Open, 3, None)
        );
        deal.move_to(Destination::Lost, Timestamp(6), None);
        assert_eq!((deal.status, deal.closed_at), (DealStatus::Lost, Some(Timestamp(6))));
        let closing = |at, status| Closing { at: Timestamp(at), status };
        assert_eq!(
            deal.closings,
            [
                closing(4, DealStatus::Won),
                closing(5, DealStatus::Open),
                closing(6, DealStatus::Lost)
            ],
            "each closing and reopening once, in order"
        );
        // Lost before closings were kept: reopening writes that closing first.
        deal.closings.clear();
        deal.move_to(Destination::Stage(lead), Timestamp(9), None);
        assert_eq!(deal.closings, [closing(6, DealStatus::Lost), closing(9, DealStatus::Open)]);
        for to in [Destination::Stage(lead), Destination::Won, Destination::Lost] {
            assert_eq!(Destination::from_key(&to.key()), Some(to));
        }
        assert_eq!(Destination::from_key("nonsense"), None);
    }

    #[test]
    fn changing_a_deal_s_amount_or_close_keeps_what_they_were_and_when() {
        let eur = |minor| Money { minor, currency: "EUR".into() };
        let mut deal = pilot(StageId::from_bytes([1; 16]));
        deal.set_terms(eur(100), None, Timestamp(5));
        assert!(deal.terms_history.is_empty(), "nothing changed, nothing written");
        deal.set_terms(eur(250), Some(Timestamp(90)), Timestamp(10));
        deal.set_terms(eur(250), Some(Timestamp(120)), Timestamp(20));
        let terms = |at, minor, close: Option<i64>| TermsChange {
            at: Timestamp(at),
            amount: eur(minor),
            expected_close: close.map(Timestamp),
        };
        assert_eq!(
            deal.terms_history,
            [terms(1, 100, None), terms(10, 250, Some(90)), terms(20, 250, Some(120))],
            "as created, then each change"
        );
        assert_eq!((deal.amount, deal.expected_close), (eur(250), Some(Timestamp(120))));
    }

    fn minor(text: &str, currency: &str) -> Result<i64, AmountError> {
        Money::parse(text, currency).map(|money| money.minor)
    }

    #[test]
    fn amounts_are_read_the_way_people_type_them() {
        assert_eq!(minor("1200", "EUR"), Ok(120_000));
        assert_eq!(minor("1 200,50", "RUB"), Ok(120_050));
        assert_eq!(minor("1\u{a0}200,5", "RUB"), Ok(120_050));
        assert_eq!(minor("1,200.50", "USD"), Ok(120_050));
        assert_eq!(minor("1.200,50", "EUR"), Ok(120_050));
        assert_eq!(minor("1’200.5", "CHF"), Ok(120_050));
        assert_eq!(
            minor("1,200", "USD"),
            Ok(120_000),
            "three digits after one comma group thousands"
        );
        assert_eq!(minor("1.200.000", "EUR"), Ok(120_000_000));
        assert_eq!(minor("0,99", "EUR"), Ok(99));
        assert_eq!(minor(",5", "EUR"), Ok(50));
        assert_eq!(minor("1500", "JPY"), Ok(1500));
        assert_eq!(minor("1,500", "JPY"), Ok(1500));
        assert_eq!(minor("1.250", "KWD"), Ok(1250), "dinars have three decimals");
    }

    #[test]
    fn plain_amounts_read_back_as_the_same_money() {
        for (minor, currency, plain) in [
            (120_050, "EUR", "1200.50"),
            (5, "EUR", "0.05"),
            (1500, "JPY", "1500"),
            (1250, "KWD", "1.250"),
        ] {
            let money = Money { minor, currency: currency.into() };
            assert_eq!(money.to_plain(), plain);
            assert_eq!(Money::parse(&money.to_plain(), currency), Ok(money));
        }
    }

    #[test]
    fn what_is_not_an_amount_says_why() {
        assert_eq!(minor("  ", "EUR"), Err(AmountError::Empty));
        assert_eq!(minor("12a", "EUR"), Err(AmountError::NotANumber("12a".into())));
        assert_eq!(minor("-5", "EUR"), Err(AmountError::NotANumber("-5".into())));
        assert_eq!(minor(".", "EUR"), Err(AmountError::NotANumber(".".into())));
        assert_eq!(
            minor("1.5", "JPY"),
            Err(AmountError::TooPrecise { currency: "JPY".into(), digits: 0 })
        );
        assert_eq!(minor("99999999999999999999", "EUR"), Err(AmountError::TooLarge));
        assert_eq!(minor("92233720368547759", "EUR"), Err(AmountError::TooLarge));
    }
}
