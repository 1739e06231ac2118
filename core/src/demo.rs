//! A deterministic demo workspace of any size: the same seed always gives the same records, ids included.
//! Used by the `--demo` start-up option, by tests and by benchmarks.
//!
//! People have English or Russian names (Cyrillic included), belong to organisations, and carry roles
//! across all four kinds of relationship; interactions spread over the past two years; deals sit in the
//! stages of a sales and a fundraising pipeline; tasks are due around today; support tickets of the
//! last month sit in a support team's queue under a service-level policy, most still open.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use autosurgeon::Text;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use crate::document::{self, DocumentError, Record};
use crate::ids::{
    ArticleId, ContractId, DealId, FeedbackId, IdSource, InteractionId, MemberId, PartyId,
    PipelineId, PolicyId, PurchaseId, StageId, TaskId, TeamId, TicketEventId, TicketId, Timestamp,
    WorkspaceId,
};
use crate::layout::{DocKey, Month};
use crate::model::{
    Article, Assignment, Campaign, Channel, ContactPoint, Contract, Deal, DealStatus, Feedback,
    Interaction, InteractionKind, LinkKind, Member, MessageKind, Money, Party, PartyKind,
    PartyLink, Pipeline, PipelineKind, Purchase, RecordRef, Role, Segment, Sequence, Stage,
    StageChange, StatusChange, Task, Team, Ticket, TicketMessage, TicketPriority,
    WorkspaceSettings,
};
use crate::sla::{Week, WorkingHours};
use crate::workspace;

/// How many records of each kind to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSizes {
    pub parties: usize,
    pub interactions: usize,
    pub deals: usize,
    pub tasks: usize,
    pub tickets: usize,
    /// Contracts with organisations (none without organisations).
    pub contracts: usize,
    /// Suppliers with a year of orders and ratings (at most as many as have the supplier role).
    pub suppliers: usize,
}

impl Default for DemoSizes {
    /// The benchmark workspace: 10,000 parties, 50,000 interactions, 2,000 deals, 5,000 tasks, 5,000
    /// tickets, 100 contracts, no purchases.
    fn default() -> Self {
        DemoSizes {
            parties: 10_000,
            interactions: 50_000,
            deals: 2_000,
            tasks: 5_000,
            tickets: 5_000,
            contracts: 100,
            suppliers: 0,
        }
    }
}

impl DemoSizes {
    /// The analytics benchmark workspace (issue 23): 100,000 parties, 500,000 interactions, 20,000
    /// deals, 5,000 tasks and 10,000 tickets.
    pub fn analytics() -> DemoSizes {
        DemoSizes { interactions: 500_000, tasks: 5_000, ..DemoSizes::hundred_thousand() }
    }

    /// The marketing benchmarks' workspace (segments, lead scores): 100,000 parties, 200,000
    /// interactions, 20,000 deals and 10,000 tickets.
    pub fn hundred_thousand() -> DemoSizes {
        DemoSizes {
            parties: 100_000,
            interactions: 200_000,
            deals: 20_000,
            tasks: 0,
            tickets: 10_000,
            contracts: 0,
            suppliers: 0,
        }
    }
}

/// A generated workspace as plain records.
#[derive(Debug, Clone)]
pub struct DemoWorkspace {
    pub workspace: WorkspaceId,
    pub settings: WorkspaceSettings,
    pub parties: Vec<(PartyId, Party)>,
    pub interactions: Vec<(InteractionId, Interaction)>,
    pub deals: Vec<(DealId, Deal)>,
    pub tasks: Vec<(TaskId, Task)>,
    pub tickets: Vec<(TicketId, Ticket)>,
    pub articles: Vec<(ArticleId, Article)>,
    pub contracts: Vec<(ContractId, Contract)>,
    pub purchases: Vec<(PurchaseId, Purchase)>,
    /// Supplier ratings.
    pub feedback: Vec<(FeedbackId, Feedback)>,
    /// Two segments and a list over the parties.
    pub segments: Vec<(crate::ids::SegmentId, crate::model::Segment)>,
    /// A campaign being written for the first segment.
    pub campaigns: Vec<(crate::ids::CampaignId, crate::model::Campaign)>,
    /// A drip sequence, paused, with a few people enrolled.
    pub sequences: Vec<(crate::ids::SequenceId, crate::model::Sequence)>,
    /// An automation rule, off (a demo does nothing by itself).
    pub automations: Vec<(crate::ids::AutomationId, crate::model::Automation)>,
}

const DAY_MS: i64 = 86_400_000;

const EN_GIVEN: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "William",
    "Mia",
    "Henry",
    "Charlotte",
    "Lucas",
    "Harper",
    "Jack",
    "Grace",
    "Leo",
];
const EN_FAMILY: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson",
    "Taylor", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
    "Baker",
];
/// Russian names with their transliteration for email addresses.
const RU_GIVEN: &[(&str, &str)] = &[
    ("Анна", "anna"),
    ("Иван", "ivan"),
    ("Мария", "maria"),
    ("Алексей", "alexey"),
    ("Екатерина", "ekaterina"),
    ("Дмитрий", "dmitry"),
    ("Ольга", "olga"),
    ("Сергей", "sergey"),
    ("Наталья", "natalya"),
    ("Андрей", "andrey"),
    ("Татьяна", "tatyana"),
    ("Михаил", "mikhail"),
    ("Юлия", "yulia"),
    ("Николай", "nikolay"),
    ("Ёлка", "yolka"),
    ("Пётр", "pyotr"),
];
const RU_FAMILY: &[(&str, &str)] = &[
    ("Иванов", "ivanov"),
    ("Смирнов", "smirnov"),
    ("Кузнецов", "kuznetsov"),
    ("Попов", "popov"),
    ("Васильев", "vasiliev"),
    ("Петров", "petrov"),
    ("Соколов", "sokolov"),
    ("Михайлов", "mikhailov"),
    ("Новиков", "novikov"),
    ("Фёдоров", "fyodorov"),
    ("Морозов", "morozov"),
    ("Волков", "volkov"),
];
const ORG_STEMS: &[&str] = &[
    "Northwind",
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Вектор",
    "Гранит",
    "Сибирь",
    "Восход",
    "Азимут",
    "Полюс",
];
const ORG_SUFFIXES: &[&str] =
    &["Ltd", "GmbH", "Inc", "Group", "ООО", "Logistics", "Capital", "Labs"];
const TAGS: &[&str] =
    &["vip", "key-account", "event-2026", "referral", "churn-risk", "partner-program"];
const TITLES: &[&str] =
    &["CEO", "CFO", "Head of Procurement", "Buyer", "Engineer", "Founder", "Директор"];

/// Ids from the seeded generator and a clock that advances from `start`.
struct SeededIds<'a> {
    rng: &'a mut ChaCha8Rng,
    clock: i64,
}

impl IdSource for SeededIds<'_> {
    fn now(&mut self) -> Timestamp {
        self.clock += 1;
        Timestamp(self.clock)
    }
    fn random_bytes(&mut self) -> [u8; 10] {
        let mut bytes = [0; 10];
        self.rng.fill(&mut bytes);
        bytes
    }
}

fn next_id(rng: &mut ChaCha8Rng, at: i64) -> SeededIds<'_> {
    SeededIds { rng, clock: at }
}

/// Generates the demo workspace for `seed`, with dates around `now`.
pub fn generate(seed: u64, sizes: DemoSizes, now: Timestamp) -> DemoWorkspace {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = now.0 - 730 * DAY_MS;

    let members: Vec<MemberId> =
        (0..5).map(|i| MemberId::generate(&mut next_id(&mut rng, start + i))).collect();
    let mut settings = WorkspaceSettings { name: "Demo workspace".into(), ..Default::default() };
    settings.currencies = vec!["EUR".into(), "USD".into(), "RUB".into()];
    for (member, (name, colour)) in members.iter().zip([
        ("Alex Morgan", "#1d4ed8"),
        ("Мария Соколова", "#b42318"),
        ("Sam Lee", "#027a48"),
        ("Дмитрий Орлов", "#9e77ed"),
        ("Priya Shah", "#f79009"),
    ]) {
        settings.members.insert(
            member.to_string(),
            Member { display_name: name.into(), colour: colour.into() },
        );
    }
    let sales = demo_pipeline(
        &mut rng,
        start,
        "Sales",
        PipelineKind::Sales,
        &[("Lead", 10), ("Qualified", 25), ("Proposal", 50), ("Negotiation", 75)],
    );
    let raise = demo_pipeline(
        &mut rng,
        start,
        "Seed round",
        PipelineKind::Fundraising,
        &[("Intro", 5), ("Pitch", 20), ("Due diligence", 50), ("Term sheet", 80)],
    );
    let pipelines = [sales, raise];
    for (id, pipeline) in &pipelines {
        settings.pipelines.insert(id.to_string(), pipeline.clone());
    }

    // Organisations first (about a fifth), then people who mostly work at one.
    let org_count = (sizes.parties / 5).max(usize::from(sizes.parties > 0));
    let mut parties: Vec<(PartyId, Party)> = Vec::with_capacity(sizes.parties);
    for i in 0..sizes.parties {
        let created = start + rng.random_range(0..730) * DAY_MS;
        let id = PartyId::generate(&mut next_id(&mut rng, created));
        let mut party = if i < org_count {
            let name = format!(
                "{} {} {}",
                ORG_STEMS.choose(&mut rng).unwrap(),
                ORG_SUFFIXES.choose(&mut rng).unwrap(),
                i + 1
            );
            let domain = format!("org{}.test", i + 1);
            Party {
                kind: PartyKind::Organisation,
                name,
                emails: vec![ContactPoint {
                    label: "work".into(),
                    value: format!("info@{domain}"),
                }],
                links: vec![ContactPoint {
                    label: "website".into(),
                    value: format!("https://{domain}"),
                }],
                ..Party::default()
            }
        } else {
            let (given, family, email) = if rng.random_bool(0.5) {
                let given = *EN_GIVEN.choose(&mut rng).unwrap();
                let family = *EN_FAMILY.choose(&mut rng).unwrap();
                (
                    given.to_owned(),
                    family.to_owned(),
                    format!("{}.{}{}", given.to_lowercase(), family.to_lowercase(), i),
                )
            } else {
                let (given, given_latin) = *RU_GIVEN.choose(&mut rng).unwrap();
                let (family, family_latin) = *RU_FAMILY.choose(&mut rng).unwrap();
                (given.to_owned(), family.to_owned(), format!("{given_latin}.{family_latin}{i}"))
            };
            let mut person = Party {
                kind: PartyKind::Person,
                name: format!("{given} {family}"),
                given_name: given,
                family_name: family,
                emails: vec![ContactPoint {
                    label: "work".into(),
                    value: format!("{email}@mail.test"),
                }],
                phones: vec![ContactPoint {
                    label: "mobile".into(),
                    value: format!(
                        "+{} {:03} {:03}-{:02}-{:02}",
                        if rng.random_bool(0.5) { 7 } else { 44 },
                        rng.random_range(900..1000),
                        rng.random_range(0..1000),
                        rng.random_range(0..100),
                        rng.random_range(0..100)
                    ),
                }],
                ..Party::default()
            };
            if org_count > 0 && rng.random_bool(0.85) {
                let (org, _) = &parties[rng.random_range(0..org_count)];
                let link = crate::ids::LinkId::generate(&mut next_id(&mut rng, created));
                person.link(
                    link,
                    PartyLink {
                        to: *org,
                        kind: LinkKind::WorksAt,
                        title: (*TITLES.choose(&mut rng).unwrap()).into(),
                    },
                );
            }
            if rng.random_bool(0.2) {
                person.keep_in_touch_days = Some(*[14, 30, 90].choose(&mut rng).unwrap());
            }
            person
        };
        let role = *[
            Role::Customer,
            Role::Customer,
            Role::Prospect,
            Role::Prospect,
            Role::Supplier,
            Role::Investor,
            Role::Employee,
            Role::Partner,
        ]
        .choose(&mut rng)
        .unwrap();
        party.set_role(role, true);
        if rng.random_bool(0.3) {
            party.tags.insert((*TAGS.choose(&mut rng).unwrap()).into(), true);
        }
        party.owner = members.choose(&mut rng).copied();
        party.created_at = Timestamp(created);
        parties.push((id, party));
    }

    let pick_party = |rng: &mut ChaCha8Rng| parties[rng.random_range(0..parties.len())].0;
    let mut interactions = Vec::with_capacity(sizes.interactions);
    if !parties.is_empty() {
        for _ in 0..sizes.interactions {
            let at = start + rng.random_range(0..730 * DAY_MS);
            let id = InteractionId::generate(&mut next_id(&mut rng, at));
            let kind = *InteractionKind::ALL.choose(&mut rng).unwrap();
            let author = members.choose(&mut rng).copied();
            interactions.push((
                id,
                Interaction {
                    kind,
                    at: Timestamp(at),
                    parties: vec![pick_party(&mut rng)],
                    members: author.into_iter().collect(),
                    summary: (*[
                        "Intro call",
                        "Quarterly review",
                        "Site visit",
                        "Pricing follow-up",
                        "Обсудили поставку",
                        "Встреча на выставке",
                    ]
                    .choose(&mut rng)
                    .unwrap())
                    .into(),
                    notes: autosurgeon::Text::default(),
                    outcome: String::new(),
                    location: None,
                    follow_up: None,
                    author,
                    archived: false,
                    answers: None,
                    automatic: false,
                },
            ));
        }
    }

    let mut deals = Vec::with_capacity(sizes.deals);
    if !parties.is_empty() {
        for i in 0..sizes.deals {
            let created = start + rng.random_range(0..730) * DAY_MS;
            let id = DealId::generate(&mut next_id(&mut rng, created));
            let (pipeline_id, pipeline) = &pipelines[usize::from(rng.random_bool(0.2))];
            let stage = pipeline.stages.choose(&mut rng).unwrap().id;
            let status = if pipeline.stages.last().map(|s| s.id) == Some(stage) {
                DealStatus::Won
            } else if rng.random_bool(0.1) {
                DealStatus::Lost
            } else {
                DealStatus::Open
            };
            // A closed deal closed some weeks after it was opened, never in the future. Not drawn
            // from `rng`, so the rest of the demo stays what it was.
            let closed_at = (status != DealStatus::Open)
                .then(|| Timestamp((created + (7 + i as i64 % 113) * DAY_MS).min(now.0)));
            deals.push((
                id,
                Deal {
                    title: format!("Deal {}", i + 1),
                    pipeline: *pipeline_id,
                    stage,
                    amount: Money {
                        minor: rng.random_range(1_000..500_000) * 100,
                        currency: settings.currencies.choose(&mut rng).unwrap().clone(),
                    },
                    expected_close: Some(Timestamp(now.0 + rng.random_range(-60..180) * DAY_MS)),
                    owner: members.choose(&mut rng).copied(),
                    parties: vec![pick_party(&mut rng)],
                    status,
                    lost_reason: if status == DealStatus::Lost {
                        ["Price", "Timing", "Went with a competitor", "No decision"][i % 4].into()
                    } else {
                        String::new()
                    },
                    stage_history: vec![StageChange { stage, at: Timestamp(created), by: None }],
                    closed_at,
                    closings: Vec::new(),
                    terms_history: Vec::new(),
                    files: Default::default(),
                    created_at: Timestamp(created),
                    archived: false,
                    round: None,
                    soft_circled: None,
                    committed: None,
                },
            ));
        }
    }

    let mut tasks = Vec::with_capacity(sizes.tasks);
    for i in 0..sizes.tasks {
        let due = now.0 + rng.random_range(-30..60) * DAY_MS;
        let id = TaskId::generate(&mut next_id(&mut rng, due - 7 * DAY_MS));
        let done = due < now.0 && rng.random_bool(0.6);
        tasks.push((
            id,
            Task {
                title: format!(
                    "{} #{}",
                    [
                        "Call back",
                        "Send proposal",
                        "Prepare contract",
                        "Перезвонить",
                        "Отправить КП"
                    ][i % 5],
                    i + 1
                ),
                due: Some(Timestamp(due)),
                assignee: members.choose(&mut rng).copied(),
                links: if parties.is_empty() {
                    Vec::new()
                } else {
                    vec![RecordRef::Party(pick_party(&mut rng))]
                },
                done_at: done.then_some(Timestamp(due)),
                recurrence: None,
                snoozed_until: None,
                created_at: Timestamp(due - 7 * DAY_MS),
                archived: false,
            },
        ));
    }

    let mut tickets = Vec::with_capacity(sizes.tickets);
    if !parties.is_empty() && sizes.tickets > 0 {
        let team = TeamId::generate(&mut next_id(&mut rng, start));
        settings.teams.insert(team.to_string(), demo_team(&members));
        let policy = PolicyId::generate(&mut next_id(&mut rng, start));
        settings
            .sla_policies
            .insert(policy.to_string(), crate::service::standard_policy("Standard"));
        for i in 0..sizes.tickets {
            let opened = now.0 - rng.random_range(0..30 * DAY_MS);
            let id = TicketId::generate(&mut next_id(&mut rng, opened));
            let party = pick_party(&mut rng);
            let ticket = demo_ticket(&mut rng, i, opened, party, team, &members);
            tickets.push((id, ticket));
        }
    }

    let workspace = WorkspaceId::generate(&mut next_id(&mut rng, start));
    // Drawn after everything else, so the other records keep the ids they had before articles.
    let articles =
        if tickets.is_empty() { Vec::new() } else { demo_articles(&mut rng, now, &members) };
    // And contracts after articles, for the same reason.
    let contracts = demo_contracts(&mut rng, now, &parties, &settings.currencies, sizes.contracts);
    // And purchases last of all.
    let currency = settings.currencies.first().cloned().unwrap_or_else(|| "EUR".to_owned());
    let (purchases, feedback) =
        demo_purchases(&mut rng, now, &parties, &members, &currency, sizes.suppliers);
    demo_employment(seed, now, &mut parties);
    let segments = demo_marketing(seed, now, &mut settings, &mut parties);
    settings.scoring_rules = demo_scoring(&segments);
    let campaigns = demo_campaigns(workspace, now, &segments);
    let sequences = demo_sequences(workspace, now, &parties, &members);
    let automations = demo_automations(workspace, now, &members);
    DemoWorkspace {
        workspace,
        settings,
        parties,
        interactions,
        deals,
        tasks,
        tickets,
        articles,
        contracts,
        purchases,
        feedback,
        segments,
        campaigns,
        sequences,
        automations,
    }
}

/// "Welcome new sign-ups": each person or organisation added gets a welcome call for their owner
/// and the tag "new" — written, tested, and left off.
fn demo_automations(
    workspace: WorkspaceId,
    now: Timestamp,
    members: &[MemberId],
) -> Vec<(crate::ids::AutomationId, crate::model::Automation)> {
    use crate::model::AutomationAction;
    let action = |position: u32, kind: &str| AutomationAction {
        position,
        kind: kind.into(),
        ..AutomationAction::default()
    };
    let actions = [
        ("call", AutomationAction { subject: "Welcome call".into(), days: 1, ..action(0, "task") }),
        ("tag", AutomationAction { value: "new".into(), ..action(1, "tag") }),
    ];
    let rule = crate::model::Automation {
        name: "Welcome new sign-ups".into(),
        trigger: "created".into(),
        actions: actions.into_iter().map(|(id, action)| (id.to_owned(), action)).collect(),
        created_by: members.first().copied(),
        created_at: Timestamp(now.0 - DAY_MS),
        ..crate::model::Automation::default()
    };
    let id = crate::ids::AutomationId::from_bytes(crate::outbox::derived_uuid(
        workspace,
        &["demo-automation"],
    ));
    vec![(id, rule)]
}

/// "Trade fair follow-up": an intro, a branch that waits four days for a reply and goes to a call
/// if one comes, a follow-up, the end, the call — paused (a demo sends nobody anything), with the
/// first few people who have an address enrolled.
fn demo_sequences(
    workspace: WorkspaceId,
    now: Timestamp,
    parties: &[(PartyId, Party)],
    members: &[MemberId],
) -> Vec<(crate::ids::SequenceId, crate::model::Sequence)> {
    use crate::model::{Enrolment, SequenceStep};
    let step = |position: u32, kind: &str| SequenceStep {
        position,
        kind: kind.into(),
        ..SequenceStep::default()
    };
    let steps = [
        ("intro", SequenceStep {
            subject: "{{first_name|Hello}}, thank you for visiting our stand".into(),
            body: "Dear {{first_name|customer}},\n\nit was good to meet you at the fair. May I send \
                   you our price list?\n\nKind regards,\nthe Demo team"
                .into(),
            ..step(0, "email")
        }),
        ("ask", SequenceStep { days: 4, on: "replied".into(), then: "call".into(), ..step(1, "branch") }),
        ("again", SequenceStep {
            subject: "Our price list, {{first_name|as promised}}".into(),
            body: "Dear {{first_name|customer}},\n\nhere is our price list. Shall we talk next \
                   week?"
                .into(),
            ..step(2, "email")
        }),
        ("stop", step(3, "end")),
        ("call", SequenceStep { subject: "Call about the fair".into(), days: 1, ..step(4, "task") }),
    ];
    let enrolled = parties
        .iter()
        .filter(|(_, party)| {
            party.kind == crate::model::PartyKind::Person
                && !party.emails.is_empty()
                && !party.archived
        })
        .take(6)
        .map(|(id, _)| {
            (
                id.to_string(),
                Enrolment { at: Timestamp(now.0 - DAY_MS), by: members.first().copied() },
            )
        })
        .collect();
    let sequence = Sequence {
        name: "Trade fair follow-up".into(),
        steps: steps.into_iter().map(|(id, step)| (id.to_owned(), step)).collect(),
        stay_on_reply: true,
        paused: true,
        enrolled,
        created_by: members.first().copied(),
        created_at: Timestamp(now.0 - 2 * DAY_MS),
        ..Sequence::default()
    };
    let id = crate::ids::SequenceId::from_bytes(crate::outbox::derived_uuid(
        workspace,
        &["demo-sequence"],
    ));
    vec![(id, sequence)]
}

/// A draft campaign to the first segment (those in Germany who agreed), merge fields and all.
fn demo_campaigns(
    workspace: WorkspaceId,
    now: Timestamp,
    segments: &[(crate::ids::SegmentId, crate::model::Segment)],
) -> Vec<(crate::ids::CampaignId, crate::model::Campaign)> {
    let Some((first, segment)) = segments.first() else { return Vec::new() };
    let id = crate::ids::CampaignId::from_bytes(crate::outbox::derived_uuid(workspace, &["demo"]));
    let campaign = crate::model::Campaign {
        name: "Spring fair 2026".into(),
        subject: "{{first_name|Hello}}, meet us at the spring fair".into(),
        body:
            "Dear {{first_name|customer}},\n\nwe would be glad to see {{organisation|you}} at our \
               stand at the spring fair in Hanover, 14–17 April.\n\nKind regards,\nthe Demo team"
                .into(),
        include: [(first.to_string(), true)].into(),
        consented_only: true,
        created_by: segment.created_by,
        created_at: now,
        ..Default::default()
    };
    vec![(id, campaign)]
}

/// The employees' side of their records: a title, a team (whose first person manages the rest),
/// a start date, skills and a training or two, some expiring within weeks. From a generator of its
/// own, so the rest of the demo stays as it was.
fn demo_employment(seed: u64, now: Timestamp, parties: &mut [(PartyId, Party)]) {
    const TEAMS: [(&str, [&str; 3]); 4] = [
        ("Sales", ["Account executive", "Sales development rep", "Head of sales"]),
        ("Support", ["Support engineer", "Customer success manager", "Head of support"]),
        ("Engineering", ["Software engineer", "Site reliability engineer", "Engineering manager"]),
        ("Finance", ["Accountant", "Financial analyst", "Finance director"]),
    ];
    const SKILLS: [&str; 8] = [
        "Negotiation",
        "Rust",
        "SQL",
        "Public speaking",
        "Excel",
        "Customer empathy",
        "Project management",
        "Russian",
    ];
    const TRAININGS: [&str; 4] = ["First aid", "Fire safety", "GDPR basics", "Forklift licence"];
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(0xe3_9107));
    let today = crate::contract::utc_day(now);
    let mut heads: BTreeMap<&str, PartyId> = BTreeMap::new();
    for (id, party) in parties.iter_mut() {
        let employed = party.roles.get(Role::Employee.key()).copied().unwrap_or(false);
        if party.kind != PartyKind::Person || !employed {
            continue;
        }
        let (team, titles) = TEAMS[rng.random_range(0..TEAMS.len())];
        let manager = heads.get(team).copied();
        if manager.is_none() {
            heads.insert(team, *id);
        }
        let employment = &mut party.employment;
        employment.team = team.to_owned();
        employment.title =
            titles[if manager.is_none() { 2 } else { rng.random_range(0..2) }].into();
        employment.manager = manager;
        let start = today - time::Duration::days(rng.random_range(60..2_000));
        employment.start_date = crate::contract::write_day(start);
        for _ in 0..rng.random_range(1..4) {
            let skill = *SKILLS.choose(&mut rng).unwrap();
            employment.skills.insert(skill.to_owned(), rng.random_range(1..=5));
        }
        if rng.random_bool(0.5) {
            let name = *TRAININGS.choose(&mut rng).unwrap();
            let expires = today + time::Duration::days(rng.random_range(-20..400));
            let completed = expires - time::Duration::days(730);
            let key = crate::ids::TrainingId::generate(&mut next_id(&mut rng, now.0)).to_string();
            employment.trainings.insert(
                key,
                crate::model::Training {
                    name: name.to_owned(),
                    completed: crate::contract::write_day(completed),
                    expires: crate::contract::write_day(expires),
                    archived: false,
                },
            );
        }
    }
}

/// What marketing reads of a party: where it is (an address with a city and country for most), whether
/// it agreed to marketing email (half yes, some no, the rest never asked), and two custom fields,
/// an industry to choose and a head count; and two segments and a list ("Fair 2026") over them. From a
/// generator of its own, like the employees' side.
fn demo_marketing(
    seed: u64,
    now: Timestamp,
    settings: &mut WorkspaceSettings,
    parties: &mut [(PartyId, Party)],
) -> Vec<(crate::ids::SegmentId, crate::model::Segment)> {
    use crate::model::{
        Condition, ConditionGroup, ConsentState, DealState, Op, PartyField, RuleCondition,
        SegmentRule,
    };
    const PLACES: [(&str, &str); 6] = [
        ("Berlin", "Germany"),
        ("Hamburg", "Germany"),
        ("Москва", "Россия"),
        ("Санкт-Петербург", "Россия"),
        ("London", "United Kingdom"),
        ("Riga", "Latvia"),
    ];
    const INDUSTRIES: [&str; 4] = ["Retail", "Logistics", "Software", "Manufacturing"];
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(0x5e9_3e47));
    let industry = crate::ids::FieldId::generate(&mut next_id(&mut rng, now.0)).to_string();
    let head_count = crate::ids::FieldId::generate(&mut next_id(&mut rng, now.0)).to_string();
    settings.custom_fields.insert(
        industry.clone(),
        crate::model::CustomFieldDef {
            label: "Industry".into(),
            kind: crate::model::FieldKind::Choice,
            applies_to: crate::model::RecordKind::Party,
            choices: INDUSTRIES.map(str::to_owned).to_vec(),
        },
    );
    settings.custom_fields.insert(
        head_count.clone(),
        crate::model::CustomFieldDef {
            label: "Employees".into(),
            kind: crate::model::FieldKind::Number,
            applies_to: crate::model::RecordKind::Party,
            choices: Vec::new(),
        },
    );
    for (_, party) in parties.iter_mut() {
        if rng.random_bool(0.7) {
            let (city, country) = *PLACES.choose(&mut rng).unwrap();
            party.addresses.push(crate::model::Address {
                label: "work".into(),
                street: String::new(),
                city: city.into(),
                region: String::new(),
                postcode: String::new(),
                country: country.into(),
            });
        }
        party.consent.email_marketing = match rng.random_range(0..20) {
            0..10 => Some(true),
            10..13 => Some(false),
            _ => None,
        };
        if party.kind == PartyKind::Organisation || rng.random_bool(0.3) {
            let choice = *INDUSTRIES.choose(&mut rng).unwrap();
            party.custom.insert(industry.clone(), crate::model::CustomValue::Choice(choice.into()));
        }
        if party.kind == PartyKind::Organisation && rng.random_bool(0.8) {
            let count = f64::from(rng.random_range(1..5_000u32));
            party.custom.insert(head_count.clone(), crate::model::CustomValue::Number(count));
        }
    }
    let by = settings.members.keys().next().and_then(|m| m.parse().ok());
    let segment = |name: &str, list: bool, conditions: Vec<Condition>| Segment {
        name: name.into(),
        list,
        rule: SegmentRule {
            any: false,
            groups: vec![ConditionGroup {
                id: "g1".into(),
                any: false,
                conditions: conditions
                    .into_iter()
                    .enumerate()
                    .map(|(n, test)| RuleCondition { id: format!("c{n}"), test })
                    .collect(),
            }],
        },
        members: Default::default(),
        created_by: by,
        created_at: now,
        archived: false,
    };
    let mut fair = segment("Fair 2026", true, Vec::new());
    fair.rule = SegmentRule::default();
    for _ in 0..parties.len().min(12) {
        let (id, _) = parties[rng.random_range(0..parties.len())];
        fair.members.insert(id.to_string(), true);
    }
    let mut id = || crate::ids::SegmentId::generate(&mut next_id(&mut rng, now.0));
    vec![
        (
            id(),
            segment(
                "Customers in Germany who agreed to email",
                false,
                vec![
                    Condition::Role { role: Role::Customer.key().into(), has: true },
                    Condition::Field {
                        field: PartyField::Country,
                        op: Op::Is,
                        value: "Germany".into(),
                    },
                    Condition::Consent { state: ConsentState::Given },
                ],
            ),
        ),
        (
            id(),
            segment(
                "Open deals over 10,000",
                false,
                vec![Condition::Deal {
                    has: true,
                    state: DealState::Open,
                    stage: None,
                    at_least: Some(1_000_000),
                }],
            ),
        ),
        (id(), fair),
    ]
}

/// Lead-scoring rules a sales team would start from: fit (a big open deal, met at the fair) and
/// activity (calls, meetings, any interaction, campaign opens and clicks), the activity cooling by
/// half every one to three months. No threshold: adopting the demo hands no lead over by itself.
fn demo_scoring(
    segments: &[(crate::ids::SegmentId, crate::model::Segment)],
) -> std::collections::BTreeMap<String, crate::model::ScoringRule> {
    let rule =
        |position: u32, signal: &str, points: i64, half_life_days: u32| crate::model::ScoringRule {
            position,
            signal: signal.into(),
            points,
            half_life_days,
            ..Default::default()
        };
    let mut rules = Vec::new();
    for (n, (id, _)) in segments.iter().enumerate().skip(1) {
        let mut fit = rule(rules.len() as u32, "segment", [0, 25, 15][n.min(2)], 0);
        fit.segment = Some(id.to_string());
        rules.push(fit);
    }
    for (kind, points, half_life_days) in [("call", 5, 30), ("meeting", 10, 60)] {
        let mut activity = rule(rules.len() as u32, "interaction", points, half_life_days);
        activity.interaction_kind = Some(kind.into());
        rules.push(activity);
    }
    rules.push(rule(rules.len() as u32, "interaction", 1, 90));
    rules.push(rule(rules.len() as u32, "opened", 3, 60));
    rules.push(rule(rules.len() as u32, "clicked", 5, 60));
    rules.into_iter().enumerate().map(|(n, rule)| (format!("demo-{n}"), rule)).collect()
}

/// Campaign engagement as the relay might have counted it over the last three months: every fifth
/// person opened a campaign, every tenth clicked through (for benchmarks of lead scores, which read
/// it beside the documents).
pub fn engagement(
    model: &crate::read_model::ReadModel,
    now: Timestamp,
) -> Vec<crate::scoring::Engagement> {
    use crate::model::CampaignActivity;
    let mut found = Vec::new();
    for (n, id) in model.parties.keys().enumerate().filter(|(n, _)| n % 5 == 0) {
        let at = Timestamp(now.0 - (n as i64 % 90) * DAY_MS);
        found.push((*id, CampaignActivity::Opened, at));
        if n % 10 == 0 {
            found.push((*id, CampaignActivity::Clicked, at));
        }
    }
    found
}

type Purchases = Vec<(PurchaseId, Purchase)>;
type Ratings = Vec<(FeedbackId, Feedback)>;

/// A year of buying from the first `count` suppliers: an order a month each (two lines from a small
/// catalogue, prices drifting, most delivered by the promised day, a few units rejected now and then),
/// a rating a month, and one request for quotation to the first three still waiting for offers.
fn demo_purchases(
    rng: &mut ChaCha8Rng,
    now: Timestamp,
    parties: &[(PartyId, Party)],
    members: &[MemberId],
    currency: &str,
    count: usize,
) -> (Purchases, Ratings) {
    use crate::contract::write_day;
    use crate::ids::{PurchaseLineId, TenderId};
    use crate::model::{FeedbackKind, PurchaseLine, PurchaseStatus};
    const CATALOGUE: [(&str, i64); 6] = [
        ("Office chair", 12_000),
        ("Desk", 35_000),
        ("Copy paper, box", 2_500),
        ("Toner cartridge", 8_900),
        ("Cleaning service, hours", 3_000),
        ("Steel bolts, box", 1_200),
    ];
    let suppliers: Vec<PartyId> = parties
        .iter()
        .filter(|(_, party)| !party.archived && party.roles.contains_key(Role::Supplier.key()))
        .map(|(id, _)| *id)
        .take(count)
        .collect();
    let today = crate::contract::utc_day(now);
    let day = |offset: i64| today.saturating_add(time::Duration::days(offset));
    let mut purchases = Vec::new();
    let mut feedback = Vec::new();
    for (n, supplier) in suppliers.iter().enumerate() {
        let owner = members.choose(rng).copied();
        // Each supplier has its prices, a little above or below the catalogue's, and its habits.
        let markup = rng.random_range(90..115);
        let punctual = rng.random_range(0.6..0.98);
        let careful = rng.random_range(0.5..0.95);
        let first = rng.random_range(0..CATALOGUE.len());
        for month in 0..12i64 {
            let ordered = day(-365 + month * 30 + rng.random_range(0..20));
            let ordered_at = Timestamp(crate::contract::utc_midnight(ordered).0 + 9 * 3_600_000);
            let promised = ordered.saturating_add(time::Duration::days(14));
            let delivered = if rng.random_bool(punctual) {
                ordered.saturating_add(time::Duration::days(rng.random_range(5..15)))
            } else {
                ordered.saturating_add(time::Duration::days(rng.random_range(15..30)))
            };
            let lines: BTreeMap<String, PurchaseLine> = (0..2)
                .map(|position| {
                    let (item, base) = CATALOGUE[(first + position * 2) % CATALOGUE.len()];
                    let drift = 100 + month / 3 + rng.random_range(0..3);
                    let line = PurchaseLine {
                        item: item.to_owned(),
                        quantity: f64::from(rng.random_range(2..40u32)),
                        price: Some(base * markup / 100 * drift / 100),
                        position: position as u32,
                    };
                    let id = PurchaseLineId::generate(&mut next_id(rng, ordered_at.0));
                    (id.to_string(), line)
                })
                .collect();
            let units: f64 = lines.values().map(|line| line.quantity).sum();
            let rejected =
                if rng.random_bool(careful) { 0.0 } else { (units / 10.0).ceil().min(units) };
            let came = if delivered <= today { write_day(delivered) } else { String::new() };
            let purchase = Purchase {
                supplier: *supplier,
                tender: None,
                title: format!("Order {}-{:02}", n + 1, month + 1),
                currency: currency.to_owned(),
                lines,
                status: PurchaseStatus::Ordered,
                promised: write_day(promised),
                delivered: came,
                rejected: if delivered <= today { rejected } else { 0.0 },
                ordered_at: Some(ordered_at),
                owner,
                notes: Text::default(),
                files: BTreeMap::new(),
                created_at: ordered_at,
                archived: false,
            };
            purchases.push((PurchaseId::generate(&mut next_id(rng, ordered_at.0)), purchase));
            let rated = Timestamp(ordered_at.0 + 20 * DAY_MS);
            if rated.0 <= now.0 {
                let scores = [
                    ("responsiveness".to_owned(), rng.random_range(2..=5u8)),
                    ("quality".to_owned(), rng.random_range(3..=5u8)),
                ];
                let rating = Feedback {
                    party: *supplier,
                    at: rated,
                    kind: FeedbackKind::Scorecard { scores: scores.into_iter().collect() },
                    notes: Text::default(),
                    author: owner,
                };
                feedback.push((FeedbackId::generate(&mut next_id(rng, rated.0)), rating));
            }
        }
    }
    // An open call for tenders: the first three suppliers asked, two have quoted.
    if suppliers.len() >= 3 {
        let asked = now.0 - 2 * DAY_MS;
        let tender = TenderId::generate(&mut next_id(rng, asked));
        let keys: Vec<String> = (0..2)
            .map(|_| PurchaseLineId::generate(&mut next_id(rng, asked)).to_string())
            .collect();
        for (n, supplier) in suppliers.iter().take(3).enumerate() {
            let quoted = n < 2;
            let lines = keys
                .iter()
                .enumerate()
                .map(|(position, key)| {
                    let (item, base) = CATALOGUE[position];
                    let price = quoted.then(|| base * (95 + 10 * n as i64) / 100);
                    let line = PurchaseLine {
                        item: item.to_owned(),
                        quantity: 10.0,
                        price,
                        position: position as u32,
                    };
                    (key.clone(), line)
                })
                .collect();
            let purchase = Purchase {
                supplier: *supplier,
                tender: Some(tender),
                title: "Chairs and desks for the new office".to_owned(),
                currency: currency.to_owned(),
                lines,
                status: PurchaseStatus::Requested,
                promised: if quoted { write_day(day(10 + 5 * n as i64)) } else { String::new() },
                delivered: String::new(),
                rejected: 0.0,
                ordered_at: None,
                owner: members.first().copied(),
                notes: Text::default(),
                files: BTreeMap::new(),
                created_at: Timestamp(asked),
                archived: false,
            };
            purchases.push((PurchaseId::generate(&mut next_id(rng, asked)), purchase));
        }
    }
    (purchases, feedback)
}

/// `count` contracts with the workspace's organisations, their dates around today. The first four are
/// one of each kind: one renewing tacitly with its notice date coming, one whose notice date has
/// passed, one given notice, one open-ended; the rest repeat them with their dates moved.
fn demo_contracts(
    rng: &mut ChaCha8Rng,
    now: Timestamp,
    parties: &[(PartyId, Party)],
    currencies: &[String],
    count: usize,
) -> Vec<(ContractId, Contract)> {
    use crate::contract::write_day;
    use crate::model::{Billing, ContractKind, Span, SpanUnit};
    let today = crate::contract::utc_day(now);
    let day = |offset: i64| write_day(today.saturating_add(time::Duration::days(offset)));
    let months = |count| Some(Span { count, unit: SpanUnit::Months });
    let currency = currencies.first().cloned().unwrap_or_else(|| "EUR".to_owned());
    let organisations: Vec<PartyId> = parties
        .iter()
        .filter(|(_, party)| party.kind == PartyKind::Organisation)
        .map(|(id, _)| *id)
        .collect();
    #[rustfmt::skip]
    let plans = [
        ("Office cleaning", ContractKind::Supplier, 45_000, Billing::Monthly, -300, Some(65), months(2), months(12), None),
        ("Support plan", ContractKind::Customer, 120_000, Billing::Yearly, -200, Some(30), months(3), months(12), None),
        ("Seed round SAFE", ContractKind::Investor, 5_000_000, Billing::Once, -120, None, None, None, None),
        ("Warehouse lease", ContractKind::Supplier, 300_000, Billing::Monthly, -700, Some(120), months(3), months(12), Some(-10)),
    ];
    (0..count)
        .filter_map(|i| {
            let (title, kind, major, billing, start, end, notice, renewal, given) =
                plans[i % plans.len()];
            let (title, shift) = match i / plans.len() {
                0 => (title.to_owned(), 0),
                n => (format!("{title} {}", n + 1), rng.random_range(-365..365)),
            };
            let (start, end, given) =
                (start + shift, end.map(|e| e + shift), given.map(|g| g + shift));
            let party = *organisations.get(i * 3 % organisations.len().max(1))?;
            // Written over the last two years, the first ones earliest; none in the future.
            let created = now.0 - (1 + ((count - i) as i64 % 700)) * DAY_MS;
            let contract = Contract {
                party,
                title,
                kind,
                value: Money { minor: major * 100, currency: currency.clone() },
                billing,
                starts: day(start),
                ends: end.map(day).unwrap_or_default(),
                notice,
                renewal,
                notice_given: given.map(day).unwrap_or_default(),
                signed: day(start - 14),
                owner: parties.iter().find(|(id, _)| *id == party).and_then(|(_, p)| p.owner),
                remind_days: 30,
                obligations: Default::default(),
                notes: Default::default(),
                files: Default::default(),
                created_at: Timestamp(created),
                archived: false,
            };
            Some((ContractId::generate(&mut next_id(rng, created)), contract))
        })
        .collect()
}

/// The support team's knowledge base: three published answers and one internal draft.
fn demo_articles(
    rng: &mut ChaCha8Rng,
    now: Timestamp,
    members: &[MemberId],
) -> Vec<(ArticleId, Article)> {
    const ARTICLES: [(&str, &str, &str, bool); 4] = [
        (
            "Resetting your password",
            "Accounts",
            "If you forgot your password:\n\n1. Open the sign-in page and choose **Forgot password**.\n\
             2. Enter the email address of your account.\n3. Follow the link in the mail we send within \
             a few minutes.\n\nThe link works for *one hour*. Nothing arrived? Check your spam folder, \
             then [write to us](mailto:support@example.com).",
            true,
        ),
        (
            "Changing your billing details",
            "Billing",
            "Invoices go to the billing contact of your company.\n\n## To change it\n\n- Reply to any \
             invoice mail with the new contact, or\n- ask your account manager.\n\nChanges apply from \
             the next invoice.",
            true,
        ),
        (
            "Exporting your data",
            "Accounts",
            "You can export everything at any time, as CSV or JSON.\n\n> Exports include archived \
             records.\n\nLarge exports are prepared in the background; we mail you when they are ready.",
            true,
        ),
        (
            "When to escalate to the second line",
            "Internal",
            "Escalate when the customer reports **data loss**, a **security** concern, or the same \
             problem for the third time. Add an internal note with what you tried.",
            false,
        ),
    ];
    ARTICLES
        .iter()
        .enumerate()
        .map(|(i, (title, category, body, published))| {
            let written = now.0 - (40 - i as i64) * DAY_MS;
            let author = members.get(i % members.len().max(1)).copied();
            let article = Article {
                title: (*title).into(),
                category: (*category).into(),
                body: Text::with_value(*body),
                published: *published,
                created_at: Timestamp(written),
                created_by: author,
                updated_at: Timestamp(written),
                updated_by: author,
                archived: false,
            };
            (ArticleId::generate(&mut next_id(rng, written)), article)
        })
        .collect()
}

/// The demo's support team: three members, Monday to Friday nine to six in Moscow with an hour for
/// lunch, tickets handed round by round.
fn demo_team(members: &[MemberId]) -> Team {
    let spans = Week::OFFICE.spans();
    Team {
        name: "Support".into(),
        members: members.iter().take(3).map(|m| (m.to_string(), true)).collect(),
        hours: Some(WorkingHours {
            zone: "Europe/Moscow".into(),
            rule: crate::sla::zone_rule("Europe/Moscow").unwrap_or("MSK-3").into(),
            spans,
            holidays: Vec::new(),
        }),
        assignment: Assignment::RoundRobin,
    }
}

/// Ticket `i`, opened at `opened` by `party`: a question, often answered, sometimes asked again,
/// and now open, waiting on the customer, resolved or closed.
fn demo_ticket(
    rng: &mut ChaCha8Rng,
    i: usize,
    opened: i64,
    party: PartyId,
    team: TeamId,
    members: &[MemberId],
) -> Ticket {
    const SUBJECTS: [&str; 6] = [
        "Invoice does not match the order",
        "Cannot sign in",
        "Delivery is late",
        "Не приходит счёт",
        "Вопрос по договору",
        "Сломался терминал",
    ];
    const HOUR: i64 = 3_600_000;
    let subject = SUBJECTS[i % SUBJECTS.len()];
    let assignee = members.get(i % 3).copied().filter(|_| rng.random_bool(0.8));
    let event =
        |rng: &mut ChaCha8Rng, at: i64| TicketEventId::generate(&mut next_id(rng, at)).to_string();
    let mut messages = BTreeMap::new();
    let mut status_log = BTreeMap::new();
    let first = TicketMessage {
        kind: MessageKind::Customer,
        author: None,
        at: Timestamp(opened),
        text: format!("{subject} — please help."),
        mail: None,
    };
    messages.insert(event(rng, opened), first);
    let mut last = opened;
    if rng.random_bool(0.7) {
        last = opened + rng.random_range(1..48) * HOUR / 2;
        let reply = TicketMessage {
            kind: MessageKind::Reply,
            author: assignee,
            at: Timestamp(last),
            text: "Thank you — we are looking into it.".into(),
            mail: None,
        };
        messages.insert(event(rng, last), reply);
        if rng.random_bool(0.3) {
            last += rng.random_range(1..24) * HOUR;
            let again = TicketMessage {
                kind: MessageKind::Customer,
                author: None,
                at: Timestamp(last),
                text: "Any news?".into(),
                mail: None,
            };
            messages.insert(event(rng, last), again);
        }
    }
    let status = match rng.random_range(0..10) {
        0..5 => "open",
        5..7 => "waiting",
        7..9 => "resolved",
        _ => "closed",
    };
    if status != "open" {
        let at = last + HOUR;
        let change = StatusChange { status: status.into(), at: Timestamp(at), by: assignee };
        status_log.insert(event(rng, at), change);
    }
    let priorities = [
        TicketPriority::Normal,
        TicketPriority::Normal,
        TicketPriority::High,
        TicketPriority::Low,
        TicketPriority::Urgent,
    ];
    Ticket {
        subject: subject.into(),
        description: Text::with_value(format!("{subject}. Reported by the customer.")),
        party: Some(party),
        deal: None,
        contract: None,
        channel: Channel::ALL[i % Channel::ALL.len()],
        priority: priorities[i % priorities.len()],
        status: status.into(),
        team: Some(team),
        assignee,
        tags: Default::default(),
        files: Default::default(),
        messages,
        status_log,
        created_at: Timestamp(opened),
        created_by: assignee,
        archived: false,
        rating: None,
        escalations: Default::default(),
    }
}

fn demo_pipeline(
    rng: &mut ChaCha8Rng,
    at: i64,
    name: &str,
    kind: PipelineKind,
    stages: &[(&str, u8)],
) -> (PipelineId, Pipeline) {
    let mut ids = SeededIds { rng, clock: at };
    let id = PipelineId::generate(&mut ids);
    let stages = stages
        .iter()
        .map(|(name, probability)| Stage {
            id: StageId::generate(&mut ids),
            name: (*name).into(),
            probability: *probability,
        })
        .collect();
    (id, Pipeline { name: name.into(), kind, stages })
}

impl DemoWorkspace {
    /// Writes the workspace into its documents, one commit per record as if typed one by one.
    pub fn to_documents(&self) -> Result<BTreeMap<DocKey, AutoCommit>, DocumentError> {
        let mut documents: BTreeMap<DocKey, AutoCommit> =
            workspace::create(self.workspace, &self.settings)?.into_iter().collect();
        // Each record is written by its owner when it was created, so its history reads like a real one.
        for (id, party) in &self.parties {
            let made = (party.created_at, party.owner);
            write_record(&mut documents, Party::doc_key(id), &id.to_string(), party, made)?;
        }
        for (id, deal) in &self.deals {
            let made = (deal.created_at, deal.owner);
            write_record(&mut documents, Deal::doc_key(id), &id.to_string(), deal, made)?;
        }
        for (id, task) in &self.tasks {
            let made = (task.created_at, task.assignee);
            write_record(&mut documents, Task::doc_key(id), &id.to_string(), task, made)?;
        }
        for (id, ticket) in &self.tickets {
            let made = (ticket.created_at, ticket.created_by);
            write_record(&mut documents, Ticket::doc_key(id), &id.to_string(), ticket, made)?;
        }
        for (id, article) in &self.articles {
            let made = (article.created_at, article.created_by);
            write_record(&mut documents, Article::doc_key(id), &id.to_string(), article, made)?;
        }
        for (id, contract) in &self.contracts {
            let made = (contract.created_at, contract.owner);
            write_record(&mut documents, Contract::doc_key(id), &id.to_string(), contract, made)?;
        }
        for (id, purchase) in &self.purchases {
            let made = (purchase.created_at, purchase.owner);
            write_record(&mut documents, Purchase::doc_key(id), &id.to_string(), purchase, made)?;
        }
        for (id, segment) in &self.segments {
            let made = (segment.created_at, segment.created_by);
            write_record(&mut documents, Segment::doc_key(id), &id.to_string(), segment, made)?;
        }
        for (id, campaign) in &self.campaigns {
            let made = (campaign.created_at, campaign.created_by);
            write_record(&mut documents, Campaign::doc_key(id), &id.to_string(), campaign, made)?;
        }
        for (id, sequence) in &self.sequences {
            let made = (sequence.created_at, sequence.created_by);
            write_record(&mut documents, Sequence::doc_key(id), &id.to_string(), sequence, made)?;
        }
        for (id, rule) in &self.automations {
            let made = (rule.created_at, rule.created_by);
            let key = <crate::model::Automation as crate::document::Record>::doc_key(id);
            write_record(&mut documents, key, &id.to_string(), rule, made)?;
        }
        for (id, rating) in &self.feedback {
            let made = (rating.at, rating.author);
            write_record(&mut documents, Feedback::doc_key(id), &id.to_string(), rating, made)?;
        }
        for (id, interaction) in &self.interactions {
            let key = DocKey::Interactions(Month::of(interaction.at));
            let made = (interaction.at, interaction.author);
            write_record(&mut documents, key, &id.to_string(), interaction, made)?;
        }
        // Other devices discover the month documents through the root's table.
        let months: Vec<DocKey> = documents
            .keys()
            .copied()
            .filter(|key| matches!(key, DocKey::Interactions(_)))
            .collect();
        let root = documents.get_mut(&DocKey::Root).expect("created above");
        for key in months {
            workspace::register(root, self.workspace, key)?;
        }
        Ok(documents)
    }
}

/// The demo workspace as whole saved documents, as the relay hands it to a browser.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DemoBundle {
    pub workspace: WorkspaceId,
    /// Document key text and saved bytes.
    pub documents: Vec<(String, Vec<u8>)>,
}

impl DemoBundle {
    pub fn of(demo: &DemoWorkspace) -> Result<DemoBundle, DocumentError> {
        let documents = demo
            .to_documents()?
            .into_iter()
            .map(|(key, mut doc)| (key.to_string(), doc.save()))
            .collect();
        Ok(DemoBundle { workspace: demo.workspace, documents })
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<DemoBundle, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// Puts one record into the document `key`, creating that document if this is its first record.
fn write_record<R: autosurgeon::Reconcile>(
    documents: &mut BTreeMap<DocKey, AutoCommit>,
    key: DocKey,
    record_key: &str,
    record: &R,
    (at, by): (Timestamp, Option<MemberId>),
) -> Result<(), DocumentError> {
    let doc = match documents.entry(key) {
        std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
        std::collections::btree_map::Entry::Vacant(entry) => {
            entry.insert(workspace::stamped(&key)?)
        }
    };
    document::put(doc, record_key, record)?;
    crate::history::commit(doc, by, at);
    Ok(())
}

/// A weekly engagement pulse as the benchmarks measure it: a 1–5 scale, an eNPS, a choice of four
/// and room for a few words, from 2025-01-06 (a Monday), shown from five answers.
pub fn pulse_survey() -> crate::pulse::SurveyRow {
    let mut questions =
        crate::pulse::starter_questions("Happy here?", "Recommend us?", "Anything else?");
    questions.push(crate::model::SurveyQuestion {
        key: "q4".into(),
        text: "What helps most?".into(),
        kind: "choice".into(),
        options: vec!["Team".into(), "Work".into(), "Pay".into(), "Flexibility".into()],
    });
    let survey = crate::model::Survey {
        title: "Pulse".into(),
        questions,
        teams: Vec::new(),
        k: 5,
        batch: 5,
        starts: Timestamp(1_736_121_600_000),
        every_weeks: 1,
        open_days: 3,
        created_by: crate::ids::MemberId::from_bytes([1; 16]),
        created_at: Timestamp(0),
        stopped_at: None,
    };
    crate::pulse::SurveyRow::of(crate::ids::SurveyId::from_bytes([2; 16]), &survey)
}

/// `rounds` closed rounds of [`pulse_survey`] as the relay gives them: `people` answers each (one in
/// five with a few words), every team of `teams` shown apart.
pub fn pulse_rounds(
    seed: u64,
    rounds: u32,
    people: usize,
    teams: usize,
) -> Vec<crate::ballot::Results> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..rounds)
        .map(|_| {
            let mut by_team: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut answers = Vec::with_capacity(people);
            for person in 0..people {
                let words = if rng.random_range(0..5) == 0 {
                    ",\"q3\":\"More focus time, fewer meetings\""
                } else {
                    ""
                };
                let answer = format!(
                    "{{\"q1\":{},\"q2\":{},\"q4\":{}{words}}}",
                    rng.random_range(1..=5u8),
                    rng.random_range(0..=10u8),
                    rng.random_range(0..4u8),
                );
                by_team
                    .entry(format!("Team {}", person % teams.max(1)))
                    .or_default()
                    .push(answer.clone());
                answers.push(answer);
            }
            crate::ballot::Results {
                k: 5,
                batch: 5,
                closes_at: 0,
                closed: true,
                invited: people as u64,
                tokens_taken: people as u64,
                answered: people as u64,
                answers,
                teams: by_team,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_795_000_000_000);
    const SMALL: DemoSizes = DemoSizes {
        parties: 300,
        interactions: 900,
        deals: 60,
        tasks: 120,
        tickets: 120,
        contracts: 4,
        suppliers: 3,
    };

    #[test]
    fn a_demo_record_was_written_by_its_owner_when_it_was_created() {
        let demo = generate(7, SMALL, NOW);
        let mut documents = demo.to_documents().unwrap();
        let (id, party) = &demo.parties[0];
        let doc = documents.get_mut(&Party::doc_key(id)).unwrap();
        let history = crate::history::field_history(doc, &id.to_string());
        assert!(!history.is_empty());
        for change in history {
            assert_eq!((change.at, change.by), (party.created_at, party.owner), "{}", change.field);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_workspace() {
        let a = generate(7, SMALL, NOW);
        let b = generate(7, SMALL, NOW);
        assert_eq!(a.workspace, b.workspace);
        assert_eq!(a.parties, b.parties);
        assert_eq!(a.interactions, b.interactions);
        assert_eq!(a.deals, b.deals);
        assert_eq!(a.tasks, b.tasks);
        assert_eq!(a.tickets, b.tickets);
        assert_ne!(generate(8, SMALL, NOW).parties[0].0, a.parties[0].0);
    }

    #[test]
    fn sizes_are_honoured_and_names_include_cyrillic() {
        let demo = generate(1, SMALL, NOW);
        assert_eq!(demo.parties.len(), 300);
        assert_eq!(demo.interactions.len(), 900);
        assert_eq!(demo.deals.len(), 60);
        assert_eq!(demo.tasks.len(), 120);
        assert_eq!(demo.tickets.len(), 120);
        assert!(demo.tickets.iter().any(|(_, t)| t.status == "open" && t.messages.len() > 1));
        assert!(demo.parties.iter().any(|(_, p)| p.name.chars().any(|c| ('а'..='я').contains(&c))));
        assert!(demo.parties.iter().any(|(_, p)| p.name.is_ascii()));
        assert!(demo.parties.iter().all(|(_, p)| !p.role_list().is_empty()));
    }

    #[test]
    fn documents_hold_every_record_where_the_layout_says() {
        let demo = generate(3, SMALL, NOW);
        let documents = demo.to_documents().unwrap();
        for (id, party) in &demo.parties {
            let doc = &documents[&Party::doc_key(id)];
            assert_eq!(
                document::get::<_, Party>(doc, &id.to_string()).unwrap().as_ref(),
                Some(party)
            );
        }
        for (id, interaction) in demo.interactions.iter().take(50) {
            let doc = &documents[&DocKey::Interactions(Month::of(interaction.at))];
            assert_eq!(
                document::get::<_, Interaction>(doc, &id.to_string()).unwrap().as_ref(),
                Some(interaction)
            );
        }
        let months = documents.keys().filter(|key| matches!(key, DocKey::Interactions(_))).count();
        assert!((20..=26).contains(&months), "two years of months: {months}");
    }

    #[test]
    fn an_empty_workspace_is_fine() {
        let demo = generate(
            1,
            DemoSizes {
                parties: 0,
                interactions: 10,
                deals: 10,
                tasks: 3,
                tickets: 3,
                contracts: 4,
                suppliers: 3,
            },
            NOW,
        );
        assert!(demo.parties.is_empty() && demo.interactions.is_empty() && demo.deals.is_empty());
        assert_eq!(demo.tasks.len(), 3);
        demo.to_documents().unwrap();
    }
}
