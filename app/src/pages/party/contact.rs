//! A record's ways to reach it, every one of them editable: emails, phones and websites, each with its
//! label (work, home, mobile…), and postal addresses. Part of the record's form: saved with it.

use leptos::prelude::*;
use rapport_core::model::{Address, ContactPoint};

use crate::i18n::{t, t_string, use_i18n};

/// The labels offered; a label from elsewhere (an import) is kept and offered too.
const LABELS: [&str; 5] = ["work", "home", "mobile", "other", "fax"];

fn label_name(label: &str) -> String {
    let locale = crate::locale::current();
    use leptos_i18n::td_string;
    match label {
        "work" => td_string!(locale, contact.work).to_owned(),
        "home" => td_string!(locale, contact.home).to_owned(),
        "mobile" => td_string!(locale, contact.mobile).to_owned(),
        "other" => td_string!(locale, contact.other).to_owned(),
        "fax" => td_string!(locale, contact.fax).to_owned(),
        custom => custom.to_owned(),
    }
}

/// The options of a label menu: the usual labels and, if the entry has another (an import's), that one
/// too, with the entry's own selected.
fn label_options(usual: &[&str], current: &str) -> impl IntoView + use<> {
    let mut labels: Vec<String> = usual.iter().map(|l| (*l).to_owned()).collect();
    if !current.is_empty() && !labels.iter().any(|l| l == current) {
        labels.push(current.to_owned());
    }
    let current = current.to_owned();
    labels
        .into_iter()
        .map(|l| {
            let selected = l == current;
            view! { <option value=l.clone() selected=selected>{label_name(&l)}</option> }
        })
        .collect_view()
}

/// Which list a [`Points`] editor edits: its input type, test handle and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PointKind {
    Email,
    Phone,
    Website,
}

impl PointKind {
    fn input_type(self) -> &'static str {
        match self {
            PointKind::Email => "email",
            PointKind::Phone => "tel",
            PointKind::Website => "url",
        }
    }

    /// `party-email` for the first, `party-email-2` for the second…: the first keeps the handle the
    /// form always had.
    fn testid(self, index: usize) -> String {
        let base = match self {
            PointKind::Email => "party-email",
            PointKind::Phone => "party-phone",
            PointKind::Website => "party-website",
        };
        if index == 0 { base.to_owned() } else { format!("{base}-{}", index + 1) }
    }

    /// The label a new entry starts with.
    pub(super) fn default_label(self) -> &'static str {
        match self {
            PointKind::Email | PointKind::Website => "work",
            PointKind::Phone => "mobile",
        }
    }
}

/// Emails, phones or websites: one row per entry (label, value, remove), and "Add". The list shows at
/// least one row, so the first can be typed into at once.
#[component]
pub(super) fn Points(
    kind: PointKind,
    points: RwSignal<Vec<ContactPoint>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let legend = move || match kind {
        PointKind::Email => t_string!(i18n, party.email),
        PointKind::Phone => t_string!(i18n, party.phone),
        PointKind::Website => t_string!(i18n, contact.websites),
    };
    let add_label = move || match kind {
        PointKind::Email => t_string!(i18n, contact.add_email),
        PointKind::Phone => t_string!(i18n, contact.add_phone),
        PointKind::Website => t_string!(i18n, contact.add_website),
    };
    // Rows by index; a row is re-rendered only when the list grows or shrinks.
    let rows = move || points.with(|p| p.len().max(1));
    let row = move |index: usize| {
        let value =
            move || points.with(|p| p.get(index).map(|p| p.value.clone()).unwrap_or_default());
        let label = move || {
            points
                .with(|p| p.get(index).map_or(kind.default_label().to_owned(), |p| p.label.clone()))
        };
        let set = move |change: &dyn Fn(&mut ContactPoint)| {
            points.update(|p| {
                while p.len() <= index {
                    p.push(ContactPoint {
                        label: kind.default_label().into(),
                        value: String::new(),
                    });
                }
                change(&mut p[index]);
            });
        };
        view! {
            <div class="point-row">
                <select
                    class="point-label"
                    aria-label=move || t_string!(i18n, contact.label_of, what = legend()).to_string()
                    data-testid=format!("{}-label", kind.testid(index))
                    disabled=read_only
                    on:change=move |e| {
                        let chosen = event_target_value(&e);
                        set(&|p| p.label = chosen.clone());
                    }
                >
                    {move || label_options(&LABELS, &label())}
                </select>
                <input
                    type=kind.input_type()
                    aria-label=legend
                    data-testid=kind.testid(index)
                    readonly=read_only
                    prop:value=value
                    on:input=move |e| {
                        let typed = event_target_value(&e);
                        set(&|p| p.value = typed.clone());
                    }
                />
                <Show when=move || !read_only.get() && points.with(|p| p.len() > index)>
                    <button
                        type="button"
                        class="subtle remove"
                        aria-label=move || t_string!(i18n, contact.remove, what = value()).to_string()
                        data-testid=format!("{}-remove", kind.testid(index))
                        on:click=move |_| points.update(|p| {
                            if index < p.len() {
                                p.remove(index);
                            }
                        })
                    >
                        "×"
                    </button>
                </Show>
            </div>
        }
    };
    view! {
        <fieldset class="points" data-testid=format!("{}s", kind.testid(0))>
            <legend>{legend}</legend>
            {move || (0..rows()).map(row).collect_view()}
            <Show when=move || !read_only.get()>
                <button
                    type="button"
                    class="subtle add"
                    data-testid=format!("{}-add", kind.testid(0))
                    on:click=move |_| points.update(|p| {
                        // An empty first row is already there to type into; "Add" makes a second.
                        if p.is_empty() {
                            p.push(ContactPoint { label: kind.default_label().into(), value: String::new() });
                        }
                        p.push(ContactPoint { label: kind.default_label().into(), value: String::new() });
                    })
                >
                    {add_label}
                </button>
            </Show>
        </fieldset>
    }
}

/// Postal addresses: label, street, postcode and city, region, country; "Add address".
#[component]
pub(super) fn Addresses(
    addresses: RwSignal<Vec<Address>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let count = move || addresses.with(Vec::len);
    let row = move |index: usize| {
        let field = move |part: fn(&Address) -> &String| {
            move || addresses.with(|a| a.get(index).map(|a| part(a).clone()).unwrap_or_default())
        };
        let input = move |part: fn(&mut Address) -> &mut String,
                          read: fn(&Address) -> &String,
                          label: &'static str,
                          testid: &'static str| {
            view! {
                <input
                    type="text"
                    placeholder=label
                    aria-label=label
                    data-testid=format!("{testid}-{}", index + 1)
                    readonly=read_only
                    prop:value=field(read)
                    on:input=move |e| {
                        let typed = event_target_value(&e);
                        addresses.update(|a| {
                            if let Some(address) = a.get_mut(index) {
                                *part(address) = typed;
                            }
                        });
                    }
                />
            }
        };
        let label = field(|a| &a.label);
        view! {
            <div class="address-row" data-testid="party-address">
                <select
                    class="point-label"
                    aria-label=move || t_string!(i18n, contact.label_of, what = t_string!(i18n, party.f_address)).to_string()
                    disabled=read_only
                    on:change=move |e| {
                        let chosen = event_target_value(&e);
                        addresses.update(|a| {
                            if let Some(address) = a.get_mut(index) {
                                address.label = chosen;
                            }
                        });
                    }
                >
                    {move || label_options(&["work", "home", "other"], &label())}
                </select>
                {input(|a| &mut a.street, |a| &a.street, t_string!(i18n, contact.street), "address-street")}
                <div class="address-line">
                    {input(|a| &mut a.postcode, |a| &a.postcode, t_string!(i18n, contact.postcode), "address-postcode")}
                    {input(|a| &mut a.city, |a| &a.city, t_string!(i18n, contact.city), "address-city")}
                </div>
                <div class="address-line">
                    {input(|a| &mut a.region, |a| &a.region, t_string!(i18n, contact.region), "address-region")}
                    {input(|a| &mut a.country, |a| &a.country, t_string!(i18n, contact.country), "address-country")}
                </div>
                <Show when=move || !read_only.get()>
                    <button
                        type="button"
                        class="subtle remove"
                        aria-label=move || t_string!(i18n, contact.remove_address)
                        on:click=move |_| addresses.update(|a| {
                            if index < a.len() {
                                a.remove(index);
                            }
                        })
                    >
                        {t!(i18n, contact.remove_address)}
                    </button>
                </Show>
            </div>
        }
    };
    view! {
        <fieldset class="points addresses" data-testid="party-addresses">
            <legend>{t!(i18n, party.f_address)}</legend>
            {move || (0..count()).map(row).collect_view()}
            <Show when=move || !read_only.get()>
                <button
                    type="button"
                    class="subtle add"
                    data-testid="address-add"
                    on:click=move |_| addresses.update(|a| a.push(Address { label: "work".into(), ..Address::default() }))
                >
                    {t!(i18n, contact.add_address)}
                </button>
            </Show>
        </fieldset>
    }
}
