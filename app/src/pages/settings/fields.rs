//! Custom fields: the workspace's own details for people and organisations ("Region", "Contract value",
//! "NDA signed"), each of a kind — text, number, date, a choice among values, yes/no. Values live on
//! the records; removing a field hides it, and its values stay in the records' history.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use rapport_core::ids::FieldId;
use rapport_core::model::{CustomFieldDef, FieldKind, RecordKind};

use crate::local::{self, BrowserIds};
use crate::state::WorkspaceCtx;

pub(crate) fn kind_label(kind: FieldKind) -> &'static str {
    let i18n = use_i18n();
    match kind {
        FieldKind::Text => t_string!(i18n, custom.text),
        FieldKind::Number => t_string!(i18n, custom.number),
        FieldKind::Date => t_string!(i18n, custom.date),
        FieldKind::Choice => t_string!(i18n, custom.choice),
        FieldKind::Boolean => t_string!(i18n, custom.yes_no),
    }
}

#[component]
pub(super) fn CustomFields() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let fields = Memo::new(move |_| {
        ctx.read(|ws| {
            ws.settings
                .party_fields()
                .map(|(id, f)| {
                    (id.clone(), f.label.clone(), kind_label(f.kind), f.choices.join(", "))
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let label = RwSignal::new(String::new());
    let kind = RwSignal::new(FieldKind::Text);
    let choices = RwSignal::new(String::new());
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = label.get_untracked().trim().to_owned();
        if text.is_empty() {
            error.set(Some(t_string!(i18n, custom.name_needed).into()));
            return;
        }
        let kind = kind.get_untracked();
        let options: Vec<String> = choices
            .get_untracked()
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        if kind == FieldKind::Choice && options.is_empty() {
            error.set(Some(t_string!(i18n, custom.choices_needed).into()));
            return;
        }
        let id = FieldId::generate(&mut BrowserIds).to_string();
        let field = CustomFieldDef {
            label: text,
            kind,
            applies_to: RecordKind::Party,
            choices: if kind == FieldKind::Choice { options } else { Vec::new() },
        };
        spawn_local(async move {
            // Submitted while the workspace still opens: saved once it is, not dropped.
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update_settings(&shared, move |settings| {
                settings.custom_fields.insert(id, field);
            })
            .await;
            if ctx.settle(result, error) {
                label.set(String::new());
                choices.set(String::new());
            }
        });
    };
    let remove = move |id: String| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let result = local::update_settings(&shared, move |settings| {
                settings.custom_fields.remove(&id);
            })
            .await;
            ctx.settle(result, error);
        });
    };
    view! {
        <section class="panel fields" aria-labelledby="fields-title" data-testid="custom-fields">
            <h2 id="fields-title">{t!(i18n, custom.title)}</h2>
            <p class="hint">{t!(i18n, custom.hint)}</p>
            <ul class="rows">
                <For each=move || fields.get() key=|f| f.clone() let:field>
                    <li class="row" data-testid="custom-field" data-label=field.1.clone()>
                        <span class="row-title">{field.1.clone()}</span>
                        <span class="row-detail">
                            {field.2}
                            {(!field.3.is_empty()).then(|| format!(": {}", field.3))}
                        </span>
                        <Show when=move || account.can_edit()>
                            <button type="button" class="subtle" data-testid="remove-field" on:click={
                                let id = field.0.clone();
                                move |_| remove(id.clone())
                            }>{t!(i18n, custom.remove)}</button>
                        </Show>
                    </li>
                </For>
            </ul>
            <Show when=move || account.can_edit()>
                <form class="new-field" on:submit=add>
                    <input type="text" placeholder=move || t_string!(i18n, custom.name) aria-label=move || t_string!(i18n, custom.name_label)
                        data-testid="new-field-label" prop:value=move || label.get()
                        on:input=move |e| label.set(event_target_value(&e)) />
                    <select data-testid="new-field-kind" aria-label=move || t_string!(i18n, custom.kind)
                        on:change=move |e| if let Some(k) = FieldKind::from_key(&event_target_value(&e)) { kind.set(k) }>
                        {FieldKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{kind_label(k)}</option> }).collect_view()}
                    </select>
                    <Show when=move || kind.get() == FieldKind::Choice>
                        <input type="text" placeholder=move || t_string!(i18n, custom.values) aria-label=move || t_string!(i18n, custom.values_label)
                            data-testid="new-field-choices" prop:value=move || choices.get()
                            on:input=move |e| choices.set(event_target_value(&e)) />
                    </Show>
                    <button type="submit" data-testid="add-field">{t!(i18n, custom.add)}</button>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="field-error">{e}</p> })}
        </section>
    }
}
