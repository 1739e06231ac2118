//! Automation rules (issue 22): a device's round looking for occurrences due over the 100,000-party
//! demo (20,000 deals) with four rules on — a person added, a tag added (its baseline taken when it
//! was switched on: every party tagged then), a deal entering a stage, a custom date coming — and a
//! run log of 10,000 runs on the first; and what a round plans for one occurrence.
//!
//! `cargo bench -p rapport-core --bench automation`.

use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::automation::{AutomationRow, Automations};
use rapport_core::campaigns::Sending;
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::{AutomationId, Timestamp};
use rapport_core::model::{Automation, AutomationAction, AutomationRun};
use rapport_core::read_model::ReadModel;
use rapport_core::segments::Audience;

fn automation(c: &mut Criterion) {
    let now = Timestamp(1_795_000_000_000);
    let workspace = demo::generate(5, DemoSizes::hundred_thousand(), now);
    let mut model = ReadModel::of_demo(&workspace);
    let settings = workspace.settings.clone();
    let action = |position, kind: &str| AutomationAction {
        position,
        kind: kind.into(),
        subject: "Call".into(),
        ..AutomationAction::default()
    };
    let rule = |trigger: &str| Automation {
        name: trigger.into(),
        on_since: Some(Timestamp(0)),
        trigger: trigger.into(),
        actions: [("call".to_owned(), action(0, "task"))].into(),
        created_at: now,
        ..Automation::default()
    };
    let mut created = rule("created");
    for party in model.parties.keys().take(10_000) {
        let run = AutomationRun { at: now, subject: party.to_string(), by: None, did: Vec::new() };
        created.runs.insert(format!("{party}/created"), run);
    }
    let mut tagged = rule("tag");
    tagged.value = "vip".into();
    for row in model.parties.values().filter(|row| row.tags.iter().any(|t| t == "vip")) {
        tagged.baseline.insert(row.id.to_string(), now);
    }
    let mut stage = rule("stage");
    stage.stage = model.deals.values().next().map(|d| d.stage.to_string()).unwrap_or_default();
    let mut date = rule("date");
    date.field = settings
        .custom_fields
        .iter()
        .find(|(_, def)| def.kind == rapport_core::model::FieldKind::Date)
        .map(|(key, _)| key.clone())
        .unwrap_or_else(|| "expected_close".into());
    for (n, rule) in [created, tagged, stage, date].into_iter().enumerate() {
        let id = AutomationId::from_bytes([n as u8 + 1; 16]);
        model.automations.insert(id, AutomationRow::of(id, &rule));
    }
    let audience = Audience::new(&model, &settings, Vec::new(), now);
    let mut group = c.benchmark_group("four rules over 100,000 parties and 20,000 deals");
    group.sample_size(10);
    group.bench_function("a round's occurrences due", |b| {
        b.iter(|| {
            Automations::new(workspace.workspace, &model, &settings, &audience, None).due(now)
        })
    });
    let automations = Automations::new(workspace.workspace, &model, &settings, &audience, None);
    let first = AutomationId::from_bytes([1; 16]);
    let due = automations.due(now);
    let firing = due.iter().find(|f| f.rule == first).expect("a person added since").clone();
    let row = &model.automations[&first];
    let how = Sending { track: true, utm: false };
    group.bench_function("planning one occurrence", |b| {
        b.iter(|| automations.plan(row, &firing, how, None, now))
    });
    group.finish();
}

criterion_group!(benches, automation);
criterion_main!(benches);
