//! Import people and organisations from CSV (with a preview of what each column becomes) or vCard,
//! export them as CSV or vCard, and back the whole workspace up as JSON and restore it. Nothing is written until the user has seen what will happen: how many
//! records are new, which rows are skipped and why, which are already in Rapport. Works offline: the
//! file never leaves the device.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::backup;
use rapport_core::ids::PartyId;
use rapport_core::interchange::{
    self, Candidate, Field, ImportPlan, KnownParties, Skipped, Table, TextEncoding,
};
use rapport_core::model::{Party, Task};
use wasm_bindgen::JsCast;

use super::Page;
use crate::local::{self, BrowserIds};
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// A file read and waiting for the user's go.
#[derive(Debug, Clone, PartialEq)]
enum Loaded {
    Csv { file: String, table: Table, encoding: TextEncoding },
    Vcard { file: String, cards: Vec<Result<Candidate, Skipped>> },
}

/// What an import did, kept after it finished.
#[derive(Debug, Clone, PartialEq)]
struct Report {
    file: String,
    imported: usize,
    /// "Row 4" for CSV, "Card 3" for vCard.
    unit: &'static str,
    skipped: Vec<Skipped>,
    duplicates: Vec<Skipped>,
}

#[component]
pub(crate) fn ImportExport() -> impl IntoView {
    let sync = SyncCtx::use_ctx();
    view! {
        <Page key="import-export" title="Import and export">
            <Show
                when=move || sync.can_edit()
                fallback=|| view! { <p class="hint">"You can view this workspace; members can import."</p> }
            >
                <Import />
            </Show>
            <Export />
            <BackupAndRestore />
        </Page>
    }
}

#[component]
fn Import() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let loaded = RwSignal::new(None::<Loaded>);
    let mapping = RwSignal::new(Vec::<Field>::new());
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<(usize, usize)>);
    let report = RwSignal::new(None::<Report>);
    let input = NodeRef::<leptos::html::Input>::new();

    let plan = Memo::new(move |_| {
        let loaded = loaded.get()?;
        let candidates = match &loaded {
            Loaded::Csv { table, .. } => {
                mapping.with(|m| interchange::candidates_from_table(table, m))
            }
            Loaded::Vcard { cards, .. } => cards.clone(),
        };
        // Against what the workspace holds now, so nothing is created twice.
        let known = ctx.read(|ws| KnownParties::of(ws.model.parties.values())).unwrap_or_default();
        Some(interchange::dedupe(candidates, known))
    });

    let chosen = move |_| {
        let Some(file) = input.get_untracked().and_then(|i| i.files()).and_then(|f| f.get(0))
        else {
            return;
        };
        report.set(None);
        error.set(None);
        spawn_local(async move {
            let name = file.name();
            let buffer = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => buffer,
                Err(_) => {
                    error.set(Some(format!("{name} could not be read.")));
                    return;
                }
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            match read_file(&name, &bytes) {
                Ok(file) => {
                    if let Loaded::Csv { table, .. } = &file {
                        mapping.set(
                            table.headers.iter().map(|h| interchange::guess_field(h)).collect(),
                        );
                    }
                    loaded.set(Some(file));
                }
                Err(why) => {
                    loaded.set(None);
                    error.set(Some(why));
                }
            }
        });
    };

    let start = move |_| {
        let (Some(file), Some(plan)) = (loaded.get_untracked(), plan.get_untracked()) else {
            return;
        };
        let (file_name, unit) = match &file {
            Loaded::Csv { file, .. } => (file.clone(), "Row"),
            Loaded::Vcard { file, .. } => (file.clone(), "Card"),
        };
        let now = local::now();
        let records: Vec<(PartyId, Party)> = plan
            .new
            .iter()
            .map(|candidate| (PartyId::generate(&mut BrowserIds), candidate.to_party(now)))
            .collect();
        let total = records.len();
        progress.set(Some((0, total)));
        spawn_local(async move {
            // Clicked while the workspace is still opening: the import waits for it.
            let Some(shared) = ctx.shared_once_open().await else {
                progress.set(None);
                return;
            };
            let result =
                local::create_parties(&shared, records, |done| progress.set(Some((done, total))))
                    .await;
            progress.set(None);
            match result {
                Ok(()) => {
                    report.set(Some(Report {
                        file: file_name,
                        imported: total,
                        unit,
                        skipped: plan.skipped,
                        duplicates: plan.duplicates,
                    }));
                    loaded.set(None);
                    if let Some(input) = input.get_untracked() {
                        input.set_value("");
                    }
                }
                Err(failure) => {
                    error.set(Some(format!("The import stopped: {failure}. What was stored before stays; importing the file again skips it as duplicates.")));
                    ctx.report(&failure);
                }
            }
            ctx.changed();
        });
    };

    let unit = move || match loaded.get() {
        Some(Loaded::Vcard { .. }) => "Card",
        _ => "Row",
    };
    view! {
        <section class="panel" aria-labelledby="import-title" data-testid="import">
            <h2 id="import-title">"Import people and organisations"</h2>
            <p class="hint">"CSV from a spreadsheet, Google Contacts or Outlook (UTF-8 or Windows-1251, comma or semicolon), or vCard files from a phone or mail program."</p>
            <input
                type="file"
                accept=".csv,.vcf,.vcard,text/csv,text/vcard"
                data-testid="import-file"
                aria-label="File to import"
                node_ref=input
                on:change=chosen
                disabled=move || progress.get().is_some()
            />
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="import-error">{e}</p> })}
            {move || match loaded.get() {
                Some(Loaded::Csv { table, encoding, .. }) => Some(view! { <ColumnMapping table encoding mapping /> }.into_any()),
                _ => None,
            }}
            {move || plan.get().map(|plan| view! {
                <p class="count" data-testid="import-plan">
                    {format!("{} new · {} already in Rapport · {} skipped", plan.new.len(), plan.duplicates.len(), plan.skipped.len())}
                </p>
                <Problems unit=unit() plan=plan.clone() />
                <button
                    type="button"
                    class="primary"
                    data-testid="start-import"
                    disabled=move || progress.get().is_some() || plan.new.is_empty()
                    on:click=start
                >
                    {format!("Import {}", plan.new.len())}
                </button>
            })}
            {move || progress.get().map(|(done, total)| view! {
                <label class="progress" data-testid="import-progress">
                    {format!("Importing… {done} of {total}")}
                    <progress max=total.to_string() value=done.to_string()></progress>
                </label>
            })}
            {move || report.get().map(|report| view! {
                <div class="done" role="status" data-testid="import-report">
                    <p data-testid="import-summary">
                        {format!(
                            "{}: {} imported, {} already in Rapport, {} skipped.",
                            report.file, report.imported, report.duplicates.len(), report.skipped.len()
                        )}
                    </p>
                    <Problems unit=report.unit plan=ImportPlan { new: Vec::new(), skipped: report.skipped, duplicates: report.duplicates } />
                </div>
            })}
        </section>
    }
}

/// The file's text, decoded by the browser (which knows Windows-1251 and every other legacy encoding).
fn decode(name: &str, bytes: &[u8]) -> Result<(String, TextEncoding), String> {
    let (encoding, bom) = interchange::sniff_encoding(bytes);
    let unreadable = |_| format!("{name} could not be decoded as {}.", encoding.label());
    let decoder = web_sys::TextDecoder::new_with_label(encoding.label()).map_err(unreadable)?;
    let text = decoder.decode_with_u8_array(&bytes[bom..]).map_err(unreadable)?;
    Ok((text, encoding))
}

/// Reads a chosen file by its name (and, for vCard, its first line).
fn read_file(name: &str, bytes: &[u8]) -> Result<Loaded, String> {
    let (text, encoding) = decode(name, bytes)?;
    let lower = name.to_lowercase();
    let looks_like_vcard =
        text.trim_start().get(..11).is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCARD"))
            || lower.ends_with(".vcf")
            || lower.ends_with(".vcard");
    if looks_like_vcard {
        let cards = interchange::read_vcards(&text);
        if cards.is_empty() {
            return Err(format!("{name} holds no vCard (no BEGIN:VCARD line)."));
        }
        return Ok(Loaded::Vcard { file: name.to_owned(), cards });
    }
    match interchange::read_table(&text) {
        Ok(table) if table.rows.is_empty() => Err(format!("{name} has a header line but no rows.")),
        Ok(table) => Ok(Loaded::Csv { file: name.to_owned(), table, encoding }),
        Err(why) => Err(format!("{name} cannot be read as CSV: {why}.")),
    }
}

/// Each column: its header, an example value, and what it becomes.
#[component]
fn ColumnMapping(
    table: Table,
    encoding: TextEncoding,
    mapping: RwSignal<Vec<Field>>,
) -> impl IntoView {
    let encoding = match encoding {
        TextEncoding::Utf8 => "UTF-8",
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => "UTF-16",
        TextEncoding::Windows1251 => "Windows-1251",
    };
    let delimiter = match table.delimiter {
        b';' => "semicolons",
        b'\t' => "tabs",
        _ => "commas",
    };
    let examples: Vec<String> = (0..table.headers.len())
        .map(|column| {
            table
                .rows
                .iter()
                .filter_map(|(_, row)| row.get(column).map(|v| v.trim()).filter(|v| !v.is_empty()))
                .take(2)
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .collect();
    view! {
        <p class="hint" data-testid="import-format">
            {format!("{} rows · {encoding} · separated by {delimiter}", table.rows.len())}
        </p>
        <div class="mapping" data-testid="column-mapping">
            {table.headers.into_iter().zip(examples).enumerate().map(|(column, (header, example))| view! {
                <label class="mapping-row">
                    <span class="row-title">{header}</span>
                    <span class="row-detail">{example}</span>
                    <select
                        data-testid="mapping-select"
                        data-column=column.to_string()
                        on:change=move |e| {
                            let field = Field::from_key(&event_target_value(&e)).unwrap_or(Field::Ignore);
                            mapping.update(|m| if let Some(slot) = m.get_mut(column) { *slot = field });
                        }
                    >
                        {Field::ALL.into_iter().map(|field| view! {
                            <option
                                value=field.key()
                                selected=move || mapping.with(|m| m.get(column) == Some(&field))
                            >
                                {field_label(field)}
                            </option>
                        }).collect_view()}
                    </select>
                </label>
            }).collect_view()}
        </div>
    }
}

fn field_label(field: Field) -> &'static str {
    match field {
        Field::Ignore => "Leave out",
        Field::Name => "Full name",
        Field::GivenName => "Given name",
        Field::FamilyName => "Family name",
        Field::Organisation => "Organisation",
        Field::JobTitle => "Job title",
        Field::Email => "Email",
        Field::Phone => "Phone",
        Field::Tags => "Tags",
        Field::Notes => "Notes",
        Field::Website => "Website",
        Field::Street => "Street",
        Field::City => "City",
        Field::Region => "Region",
        Field::Postcode => "Postcode",
        Field::Country => "Country",
        Field::Kind => "Person or organisation",
    }
}

/// Rows left out and rows already in Rapport, each with its line (or card) and reason.
#[component]
fn Problems(unit: &'static str, plan: ImportPlan) -> impl IntoView {
    let lines: Vec<(String, &'static str)> = plan
        .skipped
        .iter()
        .map(|s| (format!("{unit} {}: {}", s.source, s.reason), "import-skipped"))
        .chain(
            plan.duplicates
                .iter()
                .map(|s| (format!("{unit} {}: {}", s.source, s.reason), "import-duplicate")),
        )
        .take(200)
        .collect();
    (!lines.is_empty()).then(|| {
        view! {
            <ul class="rows problems">
                {lines.into_iter().map(|(text, testid)| view! { <li class="row" data-testid=testid>{text}</li> }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn Export() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let export = move |kind: &'static str| {
        let Some(shared) = ctx.shared() else { return };
        busy.set(true);
        spawn_local(async move {
            let day = crate::widgets::date_input_value(local::now());
            if kind == "ics" {
                match local::all_records::<Task>(&shared).await {
                    Ok(mut tasks) => {
                        tasks.sort_by_key(|(_, task)| {
                            (task.due.is_none(), task.due, task.created_at)
                        });
                        let text = interchange::tasks_ics(&tasks, local::now());
                        let name = format!("rapport-tasks-{day}.ics");
                        error.set(download(&name, "text/calendar;charset=utf-8", &text).err());
                    }
                    Err(failure) => error.set(Some(format!("Could not read the tasks: {failure}"))),
                }
                busy.set(false);
                return;
            }
            match local::all_records::<Party>(&shared).await {
                Ok(mut parties) => {
                    parties.sort_by_key(|(_, party)| rapport_core::search::fold(&party.name));
                    let (text, name, mime) = match kind {
                        "csv" => (
                            // A byte-order mark, so spreadsheet programs read UTF-8 correctly.
                            format!("\u{feff}{}", interchange::parties_csv(&parties)),
                            format!("rapport-people-{day}.csv"),
                            "text/csv;charset=utf-8",
                        ),
                        _ => (
                            interchange::parties_vcard(&parties),
                            format!("rapport-people-{day}.vcf"),
                            "text/vcard;charset=utf-8",
                        ),
                    };
                    if let Err(why) = download(&name, mime, &text) {
                        error.set(Some(why));
                    } else {
                        error.set(None);
                    }
                }
                Err(failure) => error.set(Some(format!("Could not read the records: {failure}"))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="export-title" data-testid="export">
            <h2 id="export-title">"Export"</h2>
            <p class="hint">"People and organisations on this device as a spreadsheet file or as contacts for a phone; tasks for a calendar or to-do app."</p>
            <div class="actions-row">
                <button type="button" data-testid="export-csv" disabled=move || busy.get() on:click=move |_| export("csv")>"CSV"</button>
                <button type="button" data-testid="export-vcard" disabled=move || busy.get() on:click=move |_| export("vcard")>"vCard"</button>
                <button type="button" data-testid="export-ics" disabled=move || busy.get() on:click=move |_| export("ics")>"Tasks as calendar (ICS)"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// The whole workspace as one JSON file, and merging such a file back in.
#[component]
fn BackupAndRestore() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let sync = SyncCtx::use_ctx();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let chosen = RwSignal::new(None::<(String, backup::Backup)>);
    let restored = RwSignal::new(None::<local::Restored>);
    let input = NodeRef::<leptos::html::Input>::new();
    let save = move |_| {
        busy.set(true);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else {
                busy.set(false);
                return;
            };
            match local::all_documents(&shared).await {
                Ok(documents) => {
                    let workspace = shared.borrow().workspace;
                    let file = backup::Backup { workspace, created_at: local::now(), documents };
                    let day = crate::widgets::date_input_value(local::now());
                    let name = format!("rapport-backup-{day}.json");
                    let text = backup::to_json(&file);
                    error.set(download(&name, "application/json", &text).err());
                }
                Err(failure) => error.set(Some(format!("Could not read the workspace: {failure}"))),
            }
            busy.set(false);
        });
    };
    let pick = move |_| {
        let Some(file) = input.get_untracked().and_then(|i| i.files()).and_then(|f| f.get(0))
        else {
            return;
        };
        restored.set(None);
        error.set(None);
        chosen.set(None);
        spawn_local(async move {
            let name = file.name();
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(text) => text.as_string().unwrap_or_default(),
                Err(_) => {
                    error.set(Some(format!("{name} could not be read.")));
                    return;
                }
            };
            match backup::from_json(&text) {
                Ok(file) => chosen.set(Some((name, file))),
                Err(why) => error.set(Some(format!("{name}: {why}. Nothing was restored."))),
            }
        });
    };
    let restore = move |_| {
        let Some((_, file)) = chosen.get_untracked() else { return };
        busy.set(true);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else {
                busy.set(false);
                return;
            };
            match local::restore_documents(&shared, file).await {
                Ok(done) => {
                    restored.set(Some(done));
                    chosen.set(None);
                    if let Some(input) = input.get_untracked() {
                        input.set_value("");
                    }
                    ctx.changed();
                }
                Err(failure) => {
                    error.set(Some(format!("The restore stopped: {failure}. What was merged before stays; restoring again finishes it.")));
                    ctx.report(&failure);
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="backup-title" data-testid="backup">
            <h2 id="backup-title">"Backup"</h2>
            <p class="hint">"Everything in this workspace — people, interactions, tasks, deals, settings, and every change's history — as one JSON file. Restoring merges a backup in: nothing here is overwritten, and restoring twice changes nothing."</p>
            <div class="actions-row">
                <button type="button" data-testid="backup-download" disabled=move || busy.get() on:click=save>"Download a backup"</button>
            </div>
            <Show when=move || sync.can_edit()>
                <label class="file">
                    "Restore from a backup"
                    <input type="file" accept=".json,application/json" data-testid="restore-file" node_ref=input on:change=pick />
                </label>
            </Show>
            {move || chosen.get().map(|(name, file)| view! {
                <p data-testid="restore-plan">
                    {format!(
                        "{name}: {} documents, made {}.",
                        file.documents.len(),
                        crate::widgets::local_date(file.created_at)
                    )}
                </p>
                <button type="button" class="primary" data-testid="restore-start" disabled=move || busy.get() on:click=restore>"Restore"</button>
            })}
            {move || restored.get().map(|done| view! {
                <p role="status" data-testid="restore-report">
                    {format!(
                        "Restored: {} documents gained changes, {} were already up to date.",
                        done.changed, done.unchanged
                    )}
                    {done.other_workspace.then_some(" The backup is of another workspace: its records were added, its settings (members, pipelines) were not.")}
                </p>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="backup-error">{e}</p> })}
        </section>
    }
}

/// Hands `text` to the browser as a file download.
fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |_| "The browser refused the download.".to_owned();
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.dyn_into().map_err(|_| "no link".to_owned())?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Freed once the browser has surely read it (revoking at once can cancel the download).
    spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(60_000).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}
