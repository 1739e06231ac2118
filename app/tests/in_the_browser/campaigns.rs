//! A benchmark, not a test (ignored unless asked for): what the sending device computes for a campaign
//! of 10,000 recipients in wasm in headless Chromium — whom it goes to (`campaigns::plan` over the
//! audience), each copy filled in (`campaigns::copies`), all queued in the device's outbox at once
//! (`DeviceOutbox::queue_many`), the outbox serialised as it is stored, and cut into the batches it
//! is handed over in. The medians are printed; BENCHMARKS.md records them.
//!
//! `cargo test -p rapport-app --target wasm32-unknown-unknown --release --test
//! in_the_browser -- campaigns --include-ignored --nocapture`

use rapport_core::campaigns::{self, CampaignRow};
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::{CampaignId, SegmentId, Timestamp, WorkspaceId};
use rapport_core::model::{Segment, SegmentRule};
use rapport_core::outbox::DeviceOutbox;
use rapport_core::read_model::ReadModel;
use rapport_core::segments::Audience;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::timing::median_ms;

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn a_campaign_to_10_000_people_planned_filled_in_and_queued() {
    let now = Timestamp(1_795_000_000_000);
    let sizes = DemoSizes {
        parties: 12_000,
        interactions: 20_000,
        deals: 2_000,
        tasks: 0,
        tickets: 1_000,
        contracts: 0,
        suppliers: 0,
    };
    let mut workspace = demo::generate(7, sizes, now);
    // A list of everyone: the audience is whoever of them may be written to.
    let everyone = SegmentId::from_bytes([1; 16]);
    let members = workspace.parties.iter().map(|(id, _)| (id.to_string(), true)).collect();
    let list = Segment {
        name: "Everyone".into(),
        list: true,
        rule: SegmentRule::default(),
        members,
        created_by: None,
        created_at: now,
        archived: false,
    };
    workspace.segments.push((everyone, list));
    let model = ReadModel::of_demo(&workspace);
    let draft = rapport_core::model::Campaign {
        name: "Spring".into(),
        subject: "{{first_name|Hello}}, the spring fair".into(),
        body: "Dear {{first_name|friend}},\n\nsee {{organisation|you}} at the fair.\n\n".repeat(8),
        include: [(everyone.to_string(), true)].into(),
        created_at: now,
        ..Default::default()
    };
    let campaign = CampaignRow::of(CampaignId::from_bytes([2; 16]), &draft);
    let ws = WorkspaceId::from_bytes([3; 16]);
    let mut recipients = 0;
    let mut batches = 0;
    let plan_ms = median_ms(5, || {
        let audience = Audience::new(&model, &workspace.settings, Vec::new(), now);
        recipients = campaigns::plan(&audience, &model, &campaign).recipients.len();
    });
    let audience = Audience::new(&model, &workspace.settings, Vec::new(), now);
    let plan = campaigns::plan(&audience, &model, &campaign);
    let mut stored = 0;
    let queue_ms = median_ms(5, || {
        let (copies, unfilled) = campaigns::copies(
            ws,
            &campaign,
            &model,
            &plan.recipients,
            campaigns::Sending { track: true, utm: true },
        );
        assert_eq!(unfilled, 0);
        let mut outbox = DeviceOutbox::default();
        outbox.queue_many(copies.into_iter().map(|(_, _, id, work)| (id, work)), 1);
        stored = serde_json::to_string(&outbox).expect("stored").len();
        batches = outbox.batches().len();
    });
    console_log!(
        "campaign of {recipients} recipients in wasm: planned in {plan_ms:.0} ms; filled in, queued, serialised ({} KB) and cut into {batches} batches in {queue_ms:.0} ms (medians)",
        stored / 1024
    );
    assert!(recipients >= 10_000, "{recipients} recipients");
}
