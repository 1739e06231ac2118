//! Import people and organisations from CSV (with a preview of what each column becomes) or vCard,
//! export them as CSV or vCard, and back the whole workspace up as JSON and restore it. Nothing is written until the user has seen what will happen: how many
//! records are new, which rows are skipped and why, which are already in Rapport. Works offline: the
//! file never leaves the device.

use leptos::prelude::*;

use crate::i18n::{Locale, t, t_string, use_i18n};
use leptos::task::spawn_local;
use leptos_i18n::{I18nContext, td_string};
use rapport_core::backup;
use rapport_core::ids::{PartyId, Timestamp};
use rapport_core::interchange::{
    self, Candidate, Extra, Field, ImportPlan, KnownParties, SkipReason, Skipped, Table,
    TextEncoding,
};
use rapport_core::model::{Party, PartyKind, Task};
use rapport_core::read_model::PartyKindRow;

use super::Page;
use crate::local::{self, BrowserIds};
use crate::state::WorkspaceCtx;
use crate::widgets;

/// A file read and waiting for the user's go.
#[derive(Debug, Clone, PartialEq)]
enum Loaded {
    Csv { file: String, table: Table, encoding: TextEncoding },
    Vcard { file: String, cards: Vec<Result<Candidate, Skipped>>, left_out: Vec<String> },
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
    /// The records made from the file's rows or cards (not the organisations they named).
    created: Vec<PartyId>,
}

#[component]
pub(crate) fn ImportExport() -> impl IntoView {
    let i18n = use_i18n();
    let account = crate::account::AccountCtx::use_ctx();
    view! {
        <Page key="import-export" title=move || t_string!(i18n, io.title)>
            <Show
                when=move || account.can_edit()
                fallback=move || view! { <p class="hint">{t!(i18n, io.view_only)}</p> }
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
    let i18n = use_i18n();
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
                    error.set(Some(t_string!(i18n, io.unreadable, name = &name).to_string()));
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
            Loaded::Csv { file, .. } => (file.clone(), t_string!(i18n, io.row)),
            Loaded::Vcard { file, .. } => (file.clone(), t_string!(i18n, io.card)),
        };
        let now = local::now();
        // A person's organisation is linked to the record of that name, created once if none exists.
        let organisations: Vec<(PartyId, String)> = ctx
            .read(|ws| {
                ws.model
                    .parties
                    .values()
                    .filter(|row| row.kind == PartyKindRow::Organisation && !row.archived)
                    .map(|row| (row.id, row.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let label = |extra: Extra| {
            // The notes keep the label without the examples the column menu gives.
            let full = extra_label(i18n, extra);
            full.split(" (").next().unwrap_or(full).to_owned()
        };
        let settings = ctx.read(|ws| ws.settings.clone()).unwrap_or_default();
        let records: Vec<(PartyId, Party)> = interchange::records_to_write(
            &plan,
            organisations.iter().map(|(id, name)| (*id, name.as_str())),
            &settings,
            now,
            &mut BrowserIds,
            &label,
        );
        let total = records.len();
        let from_rows: std::collections::HashSet<(bool, String)> = plan
            .new
            .iter()
            .map(|c| (c.kind == PartyKind::Organisation, rapport_core::search::fold(c.name.trim())))
            .collect();
        let created: Vec<PartyId> = records
            .iter()
            .filter(|(_, p)| {
                let key =
                    (p.kind == PartyKind::Organisation, rapport_core::search::fold(p.name.trim()));
                from_rows.contains(&key)
            })
            .map(|(id, _)| *id)
            .collect();
        // Rows (or cards) imported; the organisations they name come with them.
        let imported = plan.new.len();
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
                        imported,
                        unit,
                        skipped: plan.skipped,
                        duplicates: plan.duplicates,
                        created,
                    }));
                    loaded.set(None);
                    if let Some(input) = input.get_untracked() {
                        input.set_value("");
                    }
                }
                Err(failure) => {
                    error.set(Some(t_string!(i18n, io.stopped, failure = &failure).to_string()));
                    ctx.report(&failure);
                }
            }
            ctx.changed();
        });
    };

    let unit = move || match loaded.get() {
        Some(Loaded::Vcard { .. }) => t_string!(i18n, io.card),
        _ => t_string!(i18n, io.row),
    };
    view! {
        <section class="panel" aria-labelledby="import-title" data-testid="import">
            <h2 id="import-title">{t!(i18n, io.import)}</h2>
            <p class="hint">{t!(i18n, io.import_hint)}</p>
            <input
                type="file"
                accept=".csv,.vcf,.vcard,text/csv,text/vcard"
                data-testid="import-file"
                aria-label=move || t_string!(i18n, io.file)
                node_ref=input
                on:change=chosen
                disabled=move || progress.get().is_some()
            />
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="import-error">{e}</p> })}
            {move || match loaded.get() {
                Some(Loaded::Csv { table, encoding, .. }) => Some(view! { <ColumnMapping table encoding mapping /> }.into_any()),
                _ => None,
            }}
            {move || {
                let said = match loaded.get()? {
                    Loaded::Csv { table, .. } => {
                        let columns = mapping.with(|m| interchange::left_out_columns(&table, m));
                        (!columns.is_empty())
                            .then(|| t_string!(i18n, io.left_out, columns = columns.join(", ")).to_string())
                    }
                    Loaded::Vcard { left_out, .. } => (!left_out.is_empty()).then(|| {
                        t_string!(i18n, io.left_out_of_cards, properties = left_out.join(", ")).to_string()
                    }),
                }?;
                Some(view! { <p class="hint" data-testid="import-left-out">{said}</p> })
            }}
            {move || plan.get().map(|plan| view! {
                <p class="count" data-testid="import-plan">
                    {t_string!(i18n, io.plan, new = widgets::count(plan.new.len()), duplicates = widgets::count(plan.duplicates.len()), skipped = widgets::count(plan.skipped.len())).to_string()}
                </p>
                <Preview plan=plan.clone() />
                <Problems unit=unit() plan=plan.clone() />
                <button
                    type="button"
                    class="primary"
                    data-testid="start-import"
                    disabled=move || progress.get().is_some() || plan.new.is_empty()
                    on:click=start
                >
                    {t_string!(i18n, io.start, count = widgets::count(plan.new.len())).to_string()}
                </button>
            })}
            {move || progress.get().map(|(done, total)| view! {
                <label class="progress" data-testid="import-progress">
                    {t_string!(i18n, io.progress, done = widgets::count(done), total = widgets::count(total)).to_string()}
                    <progress max=total.to_string() value=done.to_string()></progress>
                </label>
            })}
            {move || report.get().map(|report| view! {
                <div class="done" role="status" data-testid="import-report">
                    <p data-testid="import-summary">
                        {t_string!(
                            i18n, io.summary,
                            file = &report.file, imported = widgets::count(report.imported),
                            duplicates = widgets::count(report.duplicates.len()), skipped = widgets::count(report.skipped.len())
                        ).to_string()}
                    </p>
                    <Problems unit=report.unit plan=ImportPlan { new: Vec::new(), skipped: report.skipped, duplicates: report.duplicates } />
                    <ImportToList file=report.file.clone() created=report.created.clone() />
                </div>
            })}
        </section>
    }
}

/// The local day `at` begins, when it is a local midnight (how a due date picked in this browser is
/// stored): such a task is due on that day, wherever its calendar is.
fn local_whole_day(at: Timestamp) -> Option<time::Date> {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.0 as f64));
    let midnight = date.get_hours() == 0
        && date.get_minutes() == 0
        && date.get_seconds() == 0
        && date.get_milliseconds() == 0;
    if !midnight {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(date.get_month() + 1).ok()?).ok()?;
    let day = u8::try_from(date.get_date()).ok()?;
    time::Date::from_calendar_date(date.get_full_year() as i32, month, day).ok()
}

/// The file's text, decoded by the browser (which knows Windows-1251 and every other legacy encoding).
fn decode(name: &str, bytes: &[u8]) -> Result<(String, TextEncoding), String> {
    let locale = crate::locale::current();
    let (encoding, bom) = interchange::sniff_encoding(bytes);
    let unreadable =
        |_| td_string!(locale, io.undecodable, name, encoding = encoding.label()).to_string();
    let decoder = web_sys::TextDecoder::new_with_label(encoding.label()).map_err(unreadable)?;
    let text = decoder.decode_with_u8_array(&bytes[bom..]).map_err(unreadable)?;
    Ok((text, encoding))
}

/// Reads a chosen file by its name (and, for vCard, its first line).
fn read_file(name: &str, bytes: &[u8]) -> Result<Loaded, String> {
    let (text, encoding) = decode(name, bytes)?;
    let locale = crate::locale::current();
    let lower = name.to_lowercase();
    let looks_like_vcard =
        text.trim_start().get(..11).is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCARD"))
            || lower.ends_with(".vcf")
            || lower.ends_with(".vcard");
    if looks_like_vcard {
        let interchange::VcardBook { cards, left_out } = interchange::read_vcard_book(&text);
        if cards.is_empty() {
            return Err(td_string!(locale, io.no_vcard, name).to_string());
        }
        return Ok(Loaded::Vcard { file: name.to_owned(), cards, left_out });
    }
    match interchange::read_table(&text) {
        Ok(table) if table.rows.is_empty() => Err(td_string!(locale, io.no_rows, name).to_string()),
        Ok(table) => Ok(Loaded::Csv { file: name.to_owned(), table, encoding }),
        Err(why) => {
            let why = match why {
                interchange::CsvError::Empty => td_string!(locale, io.csv_empty).to_owned(),
                interchange::CsvError::Malformed { line, message } => {
                    td_string!(locale, io.csv_line, line, message).to_string()
                }
            };
            Err(td_string!(locale, io.bad_csv, name, why).to_string())
        }
    }
}

/// Each column: its header, an example value, and what it becomes.
#[component]
fn ColumnMapping(
    table: Table,
    encoding: TextEncoding,
    mapping: RwSignal<Vec<Field>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let encoding = match encoding {
        TextEncoding::Utf8 => "UTF-8",
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => "UTF-16",
        TextEncoding::Windows1251 => "Windows-1251",
    };
    let delimiter = match table.delimiter {
        b';' => t_string!(i18n, io.semicolons),
        b'\t' => t_string!(i18n, io.tabs),
        _ => t_string!(i18n, io.commas),
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
            {t_string!(i18n, io.format, rows = widgets::count(table.rows.len()), encoding, delimiter).to_string()}
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
    let i18n = use_i18n();
    match field {
        Field::Ignore => t_string!(i18n, io.f_ignore),
        Field::Name => t_string!(i18n, io.f_name),
        Field::GivenName => t_string!(i18n, io.f_given_name),
        Field::FamilyName => t_string!(i18n, io.f_family_name),
        Field::Organisation => t_string!(i18n, io.f_organisation),
        Field::JobTitle => t_string!(i18n, io.f_job_title),
        Field::Email => t_string!(i18n, io.f_email),
        Field::Phone => t_string!(i18n, io.f_phone),
        Field::Tags => t_string!(i18n, io.f_tags),
        Field::Notes => t_string!(i18n, io.f_notes),
        Field::Website => t_string!(i18n, io.f_website),
        Field::Street => t_string!(i18n, io.f_street),
        Field::City => t_string!(i18n, io.f_city),
        Field::Region => t_string!(i18n, io.f_region),
        Field::Postcode => t_string!(i18n, io.f_postcode),
        Field::Country => t_string!(i18n, io.f_country),
        Field::Kind => t_string!(i18n, io.f_kind),
        Field::Roles => t_string!(i18n, io.f_roles),
        Field::Owner => t_string!(i18n, io.f_owner),
        Field::KeepInTouch => t_string!(i18n, io.f_keep_in_touch),
        Field::Extra(extra) => extra_label(i18n, extra),
        Field::LabelledNote => t_string!(i18n, io.f_labelled_note),
    }
}

/// A fact without a field of its own, as its line in the notes says it.
fn extra_label(i18n: I18nContext<Locale>, extra: Extra) -> &'static str {
    match extra {
        Extra::MiddleName => t_string!(i18n, io.f_middle_name),
        Extra::Prefix => t_string!(i18n, io.f_name_prefix),
        Extra::Suffix => t_string!(i18n, io.f_name_suffix),
        Extra::Nickname => t_string!(i18n, io.f_nickname),
        Extra::Birthday => t_string!(i18n, io.f_birthday),
        Extra::Anniversary => t_string!(i18n, io.f_anniversary),
        Extra::Department => t_string!(i18n, io.f_department),
        Extra::KeepInTouch => t_string!(i18n, io.f_keep_in_touch),
    }
}

/// The first records an import will create, as they will read: name, where they work, how to reach
/// them — so a file read wrongly (a name still encoded, a column mapped to the wrong field) shows
/// before anything is written.
#[component]
fn Preview(plan: ImportPlan) -> impl IntoView {
    let i18n = use_i18n();
    const SHOWN: usize = 5;
    let more = plan.new.len().saturating_sub(SHOWN);
    let rows: Vec<(String, String)> = plan
        .new
        .iter()
        .take(SHOWN)
        .map(|candidate| {
            let works = match (candidate.job_title.trim(), candidate.organisation.trim()) {
                ("", "") => String::new(),
                (title, "") => title.to_owned(),
                ("", org) => org.to_owned(),
                (title, org) => format!("{title}, {org}"),
            };
            let reach = candidate.emails.iter().chain(&candidate.phones).map(|p| p.value.as_str());
            let detail =
                std::iter::once(works.as_str()).chain(reach).filter(|d| !d.is_empty()).take(3);
            (candidate.name.clone(), detail.collect::<Vec<_>>().join(" · "))
        })
        .collect();
    view! {
        <ul class="rows" data-testid="import-preview">
            {rows.into_iter().map(|(name, detail)| view! {
                <li class="row" data-testid="import-preview-record">
                    <span class="row-title">{name}</span>
                    <span class="row-detail">{detail}</span>
                </li>
            }).collect_view()}
        </ul>
        {(more > 0).then(|| view! {
            <p class="hint">{t_string!(i18n, io.preview_more, count = more).to_string()}</p>
        })}
    }
}

/// Rows left out and rows already in Rapport, each with its line (or card) and reason.
#[component]
fn Problems(unit: &'static str, plan: ImportPlan) -> impl IntoView {
    let i18n = use_i18n();
    let lines: Vec<(String, &'static str)> = plan
        .skipped
        .iter()
        .map(|s| (problem(i18n, unit, s), "import-skipped"))
        .chain(plan.duplicates.iter().map(|s| (problem(i18n, unit, s), "import-duplicate")))
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
    let i18n = use_i18n();
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
                        let text = interchange::tasks_ics(&tasks, local::now(), &local_whole_day);
                        let name = format!("rapport-tasks-{day}.ics");
                        error.set(download(&name, "text/calendar;charset=utf-8", &text).err());
                    }
                    Err(failure) => {
                        error.set(Some(t_string!(i18n, io.no_tasks, failure).to_string()))
                    }
                }
                busy.set(false);
                return;
            }
            let settings = shared.borrow().settings.clone();
            match local::all_records::<Party>(&shared).await {
                Ok(mut parties) => {
                    // Folded once per party, not once per comparison.
                    parties
                        .sort_by_cached_key(|(_, party)| rapport_core::search::fold(&party.name));
                    let (text, name, mime) = match kind {
                        "csv" => (
                            // A byte-order mark, so spreadsheet programs read UTF-8 correctly.
                            format!("\u{feff}{}", interchange::parties_csv(&parties, &settings)),
                            format!("rapport-people-{day}.csv"),
                            "text/csv;charset=utf-8",
                        ),
                        _ => (
                            interchange::parties_vcard(&parties, &settings),
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
                Err(failure) => {
                    error.set(Some(t_string!(i18n, io.no_records, failure).to_string()))
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="export-title" data-testid="export">
            <h2 id="export-title">{t!(i18n, io.export)}</h2>
            <p class="hint">{t!(i18n, io.export_hint)}</p>
            <div class="actions-row">
                <button type="button" data-testid="export-csv" disabled=move || busy.get() on:click=move |_| export("csv")>"CSV"</button>
                <button type="button" data-testid="export-vcard" disabled=move || busy.get() on:click=move |_| export("vcard")>"vCard"</button>
                <button type="button" data-testid="export-ics" disabled=move || busy.get() on:click=move |_| export("ics")>{t!(i18n, io.ics)}</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// The whole workspace as one JSON file, and merging such a file back in.
#[component]
fn BackupAndRestore() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
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
                Err(failure) => {
                    error.set(Some(t_string!(i18n, io.no_workspace, failure).to_string()))
                }
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
                    error.set(Some(t_string!(i18n, io.unreadable, name = &name).to_string()));
                    return;
                }
            };
            match backup::from_json(&text) {
                Ok(file) => chosen.set(Some((name, file))),
                Err(why) => error.set(Some(
                    t_string!(i18n, io.not_restored, name = &name, why = backup_refused(&why))
                        .to_string(),
                )),
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
                    error.set(Some(
                        t_string!(i18n, io.restore_stopped, failure = &failure).to_string(),
                    ));
                    ctx.report(&failure);
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="backup-title" data-testid="backup">
            <h2 id="backup-title">{t!(i18n, io.backup)}</h2>
            <p class="hint">{t!(i18n, io.backup_hint)}</p>
            <div class="actions-row">
                <button type="button" data-testid="backup-download" disabled=move || busy.get() on:click=save>{t!(i18n, io.download)}</button>
            </div>
            <Show when=move || account.can_edit()>
                <label class="file">
                    {t!(i18n, io.restore_from)}
                    <input type="file" accept=".json,application/json" data-testid="restore-file" node_ref=input on:change=pick />
                </label>
            </Show>
            {move || chosen.get().map(|(name, file)| view! {
                <p data-testid="restore-plan">
                    {t_string!(
                        i18n, io.restore_plan,
                        name = &name, count = file.documents.len(),
                        date = crate::widgets::local_date(file.created_at)
                    ).to_string()}
                </p>
                <button type="button" class="primary" data-testid="restore-start" disabled=move || busy.get() on:click=restore>{t!(i18n, io.restore)}</button>
            })}
            {move || restored.get().map(|done| view! {
                <p role="status" data-testid="restore-report">
                    {t_string!(i18n, io.restored, changed = done.changed, unchanged = done.unchanged).to_string()}
                    {done.other_workspace.then_some(t_string!(i18n, io.other_workspace))}
                </p>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="backup-error">{e}</p> })}
        </section>
    }
}

/// Hands `text` to the browser as a file download.
use crate::widgets::download_text as download;

/// "Row 4: no name", in the screens' language.
fn problem(i18n: I18nContext<Locale>, unit: &str, skipped: &Skipped) -> String {
    let reason = match &skipped.reason {
        SkipReason::NoName => t_string!(i18n, io.r_no_name).to_owned(),
        SkipReason::BadEmail(value) => t_string!(i18n, io.r_bad_email, value).to_string(),
        SkipReason::BadPhone(value) => t_string!(i18n, io.r_bad_phone, value).to_string(),
        SkipReason::UnreadableCard(value) => t_string!(i18n, io.r_unreadable, value).to_string(),
        SkipReason::SameEmailAs(value) => t_string!(i18n, io.r_same_email, value).to_string(),
        SkipReason::SamePhoneAs(value) => t_string!(i18n, io.r_same_phone, value).to_string(),
        SkipReason::OrganisationExists(value) => {
            t_string!(i18n, io.r_org_exists, value).to_string()
        }
    };
    t_string!(i18n, io.problem, unit, source = skipped.source, reason).to_string()
}

/// Why a file is not restored, in the screens' language.
fn backup_refused(why: &backup::BackupError) -> String {
    use backup::BackupError;
    let locale = crate::locale::current();
    match why {
        BackupError::NotJson(why) => td_string!(locale, io.b_not_json, why).to_string(),
        BackupError::WrongFormat(what) => td_string!(locale, io.b_wrong_format, what).to_string(),
        BackupError::Newer(version) => td_string!(locale, io.b_newer, version).to_string(),
        BackupError::BadWorkspace(id) => td_string!(locale, io.b_bad_workspace, id).to_string(),
        BackupError::UnknownDocument(key) => {
            td_string!(locale, io.b_unknown_document, key).to_string()
        }
        BackupError::Damaged { key, why } => td_string!(locale, io.b_damaged, key, why).to_string(),
    }
}

/// The records an import made, put on a new static list named after the file (a fair's badge scans, a
/// webinar's sign-ups), for a segment or a campaign to use.
#[component]
fn ImportToList(file: String, created: Vec<PartyId>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let error = RwSignal::new(None::<String>);
    let count = created.len();
    let made = count > 0;
    let put = move |_| {
        let members = created.iter().map(|id| (id.to_string(), true)).collect();
        let navigate = navigate.clone();
        crate::pages::marketing::create_and_open(ctx, file.clone(), true, members, error, navigate);
    };
    view! {
        <Show when=move || account.can_edit() && made>
            <p>
                <button type="button" class="secondary" data-testid="import-to-list" on:click=put.clone()>
                    {move || t_string!(i18n, marketing.import_to_list, count = widgets::count(count)).to_string()}
                </button>
            </p>
        </Show>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}
