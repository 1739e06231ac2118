//! The workspace's custom fields on a record: one input per field, by its kind; a value is checked
//! (`CustomFieldDef::parse`) and saved when the input is left.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use rapport_core::ids::PartyId;
use rapport_core::model::{CustomFieldDef, CustomValueError, FieldKind};

use crate::state::WorkspaceCtx;

#[component]
pub(super) fn CustomFieldValues(id: PartyId, found: Memo<Option<super::Loaded>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let fields = Memo::new(move |_| {
        ctx.read(|ws| {
            ws.settings.party_fields().map(|(id, f)| (id.clone(), f.clone())).collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    // The record's values as the page loaded them (and reloads them on every change).
    let values = Memo::new(move |_| {
        found.with(|f| {
            f.as_ref()
                .map(|f| f.party.custom.iter().map(|(k, v)| (k.clone(), v.as_input())).collect())
                .unwrap_or_else(std::collections::BTreeMap::<String, String>::new)
        })
    });
    let save = move |field_id: String, field: CustomFieldDef, text: String| match field.parse(&text)
    {
        Err(why) => error.set(Some(refusal(i18n, &why))),
        Ok(value) => {
            error.set(None);
            super::profile::save(ctx, id, move |party| match value {
                Some(value) => {
                    party.custom.insert(field_id, value);
                }
                None => {
                    party.custom.remove(&field_id);
                }
            });
        }
    };
    view! {
        <Show when=move || fields.with(|f| !f.is_empty())>
            <section class="panel custom-values" aria-labelledby="custom-title" data-testid="custom-values">
                <h2 id="custom-title">{t!(i18n, fields.more)}</h2>
                <For each=move || fields.get() key=|(id, f)| (id.clone(), f.label.clone(), f.choices.clone()) let:entry>
                    {
                        let (field_id, field) = entry;
                        let label = field.label.clone();
                        let current = {
                            let field_id = field_id.clone();
                            move || values.with(|v| v.get(&field_id).cloned().unwrap_or_default())
                        };
                        let on_change = {
                            let (field_id, field) = (field_id.clone(), field.clone());
                            move |e: leptos::ev::Event| {
                                let text = if field.kind == FieldKind::Boolean {
                                    event_target_checked(&e).to_string()
                                } else {
                                    event_target_value(&e)
                                };
                                save(field_id.clone(), field.clone(), text);
                            }
                        };
                        let read_only = move || !account.can_edit();
                        let input = match field.kind {
                            FieldKind::Choice => view! {
                                <select data-testid="custom-value" data-label=label.clone() disabled=read_only on:change=on_change>
                                    <option value="" selected={let c = current.clone(); move || c().is_empty()}>"—"</option>
                                    {field.choices.iter().map(|choice| {
                                        let value = choice.clone();
                                        let c = current.clone();
                                        view! { <option value=choice.clone() selected=move || c() == value>{choice.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            }.into_any(),
                            FieldKind::Boolean => view! {
                                <input type="checkbox" data-testid="custom-value" data-label=label.clone() disabled=read_only
                                    prop:checked={let c = current.clone(); move || c() == "true"} on:change=on_change />
                            }.into_any(),
                            kind => {
                                let (kind_attr, mode) = match kind {
                                    FieldKind::Date => ("date", "text"),
                                    FieldKind::Number => ("text", "decimal"),
                                    _ => ("text", "text"),
                                };
                                view! {
                                    <input type=kind_attr inputmode=mode data-testid="custom-value" data-label=label.clone()
                                        readonly=read_only prop:value=current.clone() on:change=on_change />
                                }.into_any()
                            }
                        };
                        view! { <label class="custom-value">{label.clone()}{input}</label> }
                    }
                </For>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="custom-error">{e}</p> })}
            </section>
        </Show>
    }
}

/// Why a typed value was refused, in the screens' language.
fn refusal(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>, why: &CustomValueError) -> String {
    match why {
        CustomValueError::NotANumber { label, text } => {
            t_string!(i18n, fields.not_number, label, text).to_string()
        }
        CustomValueError::NotADate { label, text } => {
            t_string!(i18n, fields.not_date, label, text).to_string()
        }
        CustomValueError::NotAChoice { label, text, choices } => {
            t_string!(i18n, fields.not_choice, label, text, choices).to_string()
        }
    }
}
