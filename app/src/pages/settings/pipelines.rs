//! Pipelines and their stages: sales, fundraising (investors), procurement (suppliers) and hiring
//! (employees), each with its stages in board order and the chance a deal in each is won. Every change
//! is checked on a copy first, so a refused one writes nothing; a stage holding open deals is not
//! removed.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use rapport_core::ids::{PipelineId, StageId};
use rapport_core::model::{Pipeline, PipelineKind, StageInUse};
use rapport_core::read_model::DealStatusRow;

use crate::local::{self, BrowserIds};
use crate::state::WorkspaceCtx;

fn kind_label(kind: PipelineKind) -> &'static str {
    let i18n = use_i18n();
    match kind {
        PipelineKind::Sales => t_string!(i18n, pipelines.sales),
        PipelineKind::Fundraising => t_string!(i18n, pipelines.fundraising),
        PipelineKind::Procurement => t_string!(i18n, pipelines.procurement),
        PipelineKind::Hiring => t_string!(i18n, pipelines.hiring),
    }
}

/// Applies `change` to pipeline `id` — on a copy first: if it is refused, the reason is shown and
/// nothing is written.
fn edit(
    ctx: WorkspaceCtx,
    error: RwSignal<Option<String>>,
    id: PipelineId,
    change: impl FnOnce(&mut Pipeline) -> Result<(), String> + 'static,
) {
    let Some(shared) = ctx.shared() else { return };
    let Some(mut pipeline) =
        ctx.read(|ws| ws.settings.pipelines.get(&id.to_string()).cloned()).flatten()
    else {
        return;
    };
    if let Err(why) = change(&mut pipeline) {
        error.set(Some(why));
        return;
    }
    spawn_local(async move {
        let result = local::update_settings(&shared, move |settings| {
            settings.pipelines.insert(id.to_string(), pipeline);
        })
        .await;
        ctx.settle(result, error);
    });
}

#[component]
pub(super) fn Pipelines() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let pipelines = Memo::new(move |_| {
        ctx.read(|ws| {
            let mut all: Vec<(PipelineId, Pipeline)> = ws
                .settings
                .pipelines
                .iter()
                .filter_map(|(id, p)| Some((id.parse().ok()?, p.clone())))
                .collect();
            all.sort_by(|a, b| a.1.name.cmp(&b.1.name));
            all
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel pipelines" aria-labelledby="pipelines-title" data-testid="pipelines">
            <h2 id="pipelines-title">{t!(i18n, pipelines.title)}</h2>
            <p class="hint">{t!(i18n, pipelines.hint)}</p>
            <For each=move || pipelines.get() key=|entry| entry.clone() let:entry>
                <PipelineEditor id=entry.0 pipeline=entry.1 error />
            </For>
            <Show when=move || account.can_edit()>
                <NewPipeline error />
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="pipeline-error">{e}</p> })}
        </section>
    }
}

#[component]
fn PipelineEditor(
    id: PipelineId,
    pipeline: Pipeline,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let read_only = move || !account.can_edit();
    let open_deals = move |stage: StageId| {
        ctx.read(|ws| {
            ws.model
                .deals
                .values()
                .filter(|d| d.stage == stage && d.status == DealStatusRow::Open)
                .count()
        })
        .unwrap_or(0)
    };
    let count = pipeline.stages.len();
    let stages = pipeline.stages.iter().enumerate().map(|(index, stage)| {
        let stage_id = stage.id;
        let rename = move |e: leptos::ev::Event| {
            let name = event_target_value(&e);
            if name.trim().is_empty() {
                error.set(Some(t_string!(i18n, pipelines.stage_name_needed).into()));
                return;
            }
            edit(ctx, error, id, move |p| {
                let probability = p.probability(stage_id).unwrap_or(0);
                p.edit_stage(stage_id, &name, probability);
                Ok(())
            });
        };
        let reweigh = move |e: leptos::ev::Event| {
            let Ok(probability) = event_target_value(&e).trim().parse::<u8>() else {
                error.set(Some(t_string!(i18n, pipelines.probability).into()));
                return;
            };
            edit(ctx, error, id, move |p| {
                let name = p.stages.iter().find(|s| s.id == stage_id).map(|s| s.name.clone()).unwrap_or_default();
                p.edit_stage(stage_id, &name, probability);
                Ok(())
            });
        };
        let shift = move |by: isize| edit(ctx, error, id, move |p| {
            p.move_stage(stage_id, by);
            Ok(())
        });
        let remove = move |_| {
            let deals = open_deals(stage_id);
            edit(ctx, error, id, move |p| p.remove_stage(stage_id, deals).map_err(|why| match why {
                StageInUse::HasDeals(count) => t_string!(i18n, pipelines.has_deals, count).to_string(),
                StageInUse::LastStage => t_string!(i18n, pipelines.last_stage).to_owned(),
            }));
        };
        view! {
            <li class="ordered-row" data-testid="stage" data-name=stage.name.clone()>
                <input type="text" aria-label=move || t_string!(i18n, pipelines.stage_name) data-testid="stage-name" readonly=read_only
                    prop:value=stage.name.clone() on:change=rename />
                <label class="probability">
                    <input type="number" min="0" max="100" inputmode="numeric" aria-label=move || t_string!(i18n, pipelines.chance)
                        data-testid="stage-probability" readonly=read_only
                        prop:value=stage.probability.to_string() on:change=reweigh />
                    "%"
                </label>
                <Show when=move || !read_only()>
                    <button type="button" class="subtle" data-testid="stage-up" aria-label=move || t_string!(i18n, pipelines.earlier)
                        disabled=index == 0 on:click=move |_| shift(-1)>"↑"</button>
                    <button type="button" class="subtle" data-testid="stage-down" aria-label=move || t_string!(i18n, pipelines.later)
                        disabled=index + 1 == count on:click=move |_| shift(1)>"↓"</button>
                    <button type="button" class="subtle" data-testid="stage-remove" on:click=remove>{t!(i18n, pipelines.remove)}</button>
                </Show>
            </li>
        }
    }).collect_view();
    let new_stage = RwSignal::new(String::new());
    let add_stage = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let name = new_stage.get_untracked().trim().to_owned();
        if name.is_empty() {
            return;
        }
        let stage = StageId::generate(&mut BrowserIds);
        new_stage.set(String::new());
        edit(ctx, error, id, move |p| {
            let probability = p.stages.last().map_or(50, |s| s.probability);
            p.add_stage(stage, &name, probability);
            Ok(())
        });
    };
    let rename = move |e: leptos::ev::Event| {
        let name = event_target_value(&e).trim().to_owned();
        if name.is_empty() {
            error.set(Some(t_string!(i18n, pipelines.name_needed).into()));
            return;
        }
        edit(ctx, error, id, move |p| {
            p.name = name;
            Ok(())
        });
    };
    view! {
        <div class="pipeline-edit" data-testid="pipeline" data-name=pipeline.name.clone()>
            <label>
                {kind_label(pipeline.kind)}
                <input type="text" data-testid="pipeline-name" readonly=read_only
                    prop:value=pipeline.name.clone() on:change=rename />
            </label>
            <ol class="ordered-edit">{stages}</ol>
            <Show when=move || !read_only()>
                <form class="quick-add" on:submit=add_stage>
                    <input type="text" placeholder=move || t_string!(i18n, pipelines.new_stage) aria-label=move || t_string!(i18n, pipelines.new_stage_label)
                        data-testid="new-stage-name" prop:value=move || new_stage.get()
                        on:input=move |e| new_stage.set(event_target_value(&e)) />
                    <button type="submit" data-testid="add-stage">{t!(i18n, pipelines.add_stage)}</button>
                </form>
            </Show>
        </div>
    }
}

/// A new pipeline of a kind, starting with that kind's usual stages.
#[component]
fn NewPipeline(error: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(PipelineKind::Sales);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = name.get_untracked().trim().to_owned();
        if text.is_empty() {
            error.set(Some(t_string!(i18n, pipelines.name_needed).into()));
            return;
        }
        let id = PipelineId::generate(&mut BrowserIds);
        let stages: Vec<StageId> = (0..4).map(|_| StageId::generate(&mut BrowserIds)).collect();
        // Stage names in the screens' language; the pipeline's own name as typed.
        let mut pipeline = Pipeline::starting(&text, kind.get_untracked(), stages)
            .named_by(crate::locale::default_name);
        pipeline.name = text.trim().to_owned();
        spawn_local(async move {
            // Submitted while the workspace still opens: saved once it is, not dropped.
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update_settings(&shared, move |settings| {
                settings.pipelines.insert(id.to_string(), pipeline);
            })
            .await;
            if ctx.settle(result, error) {
                name.set(String::new());
            }
        });
    };
    view! {
        <form class="new-pipeline" on:submit=add data-testid="new-pipeline">
            <h3>{t!(i18n, pipelines.new_one)}</h3>
            <input type="text" placeholder=move || t_string!(i18n, pipelines.new_name) aria-label=move || t_string!(i18n, pipelines.new_name_label)
                data-testid="new-pipeline-name" prop:value=move || name.get()
                on:input=move |e| name.set(event_target_value(&e)) />
            <select data-testid="new-pipeline-kind" aria-label=move || t_string!(i18n, pipelines.kind)
                on:change=move |e| {
                    if let Some(k) = PipelineKind::from_key(&event_target_value(&e)) {
                        kind.set(k);
                    }
                }>
                {PipelineKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{kind_label(k)}</option> }).collect_view()}
            </select>
            <button type="submit" data-testid="add-pipeline">{t!(i18n, pipelines.add)}</button>
        </form>
    }
}
