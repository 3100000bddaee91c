//! Form fields with their label, help and error linked for assistive technology, and the alert
//! that announces what went wrong with a form.

use cortile_shared::registry::EstateSummary;
use yew::prelude::*;

use crate::api::ApiError;
use crate::hooks::Remote;
use crate::i18n::{use_i18n, I18n};

/// The value of the input, select or textarea an event came from.
pub fn event_value(event: &Event) -> String {
    use wasm_bindgen::JsCast;
    let Some(target) = event.target() else {
        return String::new();
    };
    if let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        input.value()
    } else if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.value()
    } else if let Some(area) = target.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.value()
    } else {
        String::new()
    }
}

/// Whether the checkbox an event came from is checked.
pub fn event_checked(event: &Event) -> bool {
    use wasm_bindgen::JsCast;
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|input| input.checked())
}

/// The ids a field's `aria-describedby` lists: its help, then its error.
fn described_by(id: &str, help: bool, error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if help {
        ids.push(format!("{id}-help"));
    }
    if error {
        ids.push(format!("{id}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

#[derive(Properties, PartialEq)]
pub struct TextFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub oninput: Callback<String>,
    /// `text`, `password`, `search`, `email`, `tel`.
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    #[prop_or_default]
    pub help: Option<AttrValue>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    /// Whether the field must be filled: the control says so to assistive technology and the
    /// label shows an asterisk.
    #[prop_or_default]
    pub required: bool,
    /// Render a multi-line text area instead of a one-line input.
    #[prop_or_default]
    pub multiline: bool,
}

/// A labelled text input (or text area).
#[function_component(TextField)]
pub fn text_field(props: &TextFieldProps) -> Html {
    let id = props.id.to_string();
    let describedby = described_by(&id, props.help.is_some(), props.error.is_some());
    let invalid = props.error.is_some().then_some("true");
    let oninput = props.oninput.reform(|e: InputEvent| event_value(&e.into()));
    let control = if props.multiline {
        html! {
            <textarea
                id={id.clone()}
                class={classes!("form-control", props.error.is_some().then_some("is-invalid"))}
                rows="3"
                value={props.value.clone()}
                aria-describedby={describedby}
                aria-invalid={invalid}
                required={props.required}
                data-testid={props.testid.clone()}
                {oninput}
            />
        }
    } else {
        html! {
            <input
                id={id.clone()}
                type={props.kind.clone()}
                class={classes!("form-control", props.error.is_some().then_some("is-invalid"))}
                value={props.value.clone()}
                aria-describedby={describedby}
                aria-invalid={invalid}
                autocomplete={props.autocomplete.clone()}
                required={props.required}
                data-testid={props.testid.clone()}
                {oninput}
            />
        }
    };
    html! {
        <div class="cortile-field mb-3">
            <label for={id.clone()} class="form-label">
                { props.label.clone() }
                // Seen, not read: assistive technology hears `required` on the control.
                if props.required {
                    <span aria-hidden="true">{ " *" }</span>
                }
            </label>
            if let Some(help) = &props.help {
                <p id={format!("{id}-help")} class="form-text cortile-help">{ help.clone() }</p>
            }
            { control }
            if let Some(error) = &props.error {
                <p id={format!("{id}-error")} class="cortile-field-error">{ error.clone() }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    /// (value, text) pairs.
    pub options: Vec<(AttrValue, AttrValue)>,
    pub onchange: Callback<String>,
    #[prop_or_default]
    pub help: Option<AttrValue>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

/// A labelled select.
#[function_component(SelectField)]
pub fn select_field(props: &SelectFieldProps) -> Html {
    let id = props.id.to_string();
    let describedby = described_by(&id, props.help.is_some(), props.error.is_some());
    let invalid = props.error.is_some().then_some("true");
    let onchange = props.onchange.reform(|e: Event| event_value(&e));
    html! {
        <div class="cortile-field mb-3">
            <label for={id.clone()} class="form-label">{ props.label.clone() }</label>
            if let Some(help) = &props.help {
                <p id={format!("{id}-help")} class="form-text cortile-help">{ help.clone() }</p>
            }
            <select
                id={id.clone()}
                class={classes!("form-select", props.error.is_some().then_some("is-invalid"))}
                aria-describedby={describedby}
                aria-invalid={invalid}
                data-testid={props.testid.clone()}
                {onchange}
            >
                { for props.options.iter().map(|(value, text)| html! {
                    <option value={value.clone()} selected={*value == props.value}>{ text.clone() }</option>
                }) }
            </select>
            if let Some(error) = &props.error {
                <p id={format!("{id}-error")} class="cortile-field-error">{ error.clone() }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CheckboxProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub checked: bool,
    pub onchange: Callback<bool>,
    #[prop_or_default]
    pub help: Option<AttrValue>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    /// The language of `label`, when it is not the page's (e.g. "العربية").
    #[prop_or_default]
    pub label_lang: Option<AttrValue>,
    /// Words after the label, in the page's language (e.g. "(arabo)").
    #[prop_or_default]
    pub label_note: Option<AttrValue>,
    /// Whether the box cannot be changed now (say why with `describedby` or `help`).
    #[prop_or_default]
    pub disabled: bool,
    /// The id of text elsewhere on the page that explains this box (e.g. why it is disabled).
    #[prop_or_default]
    pub describedby: Option<AttrValue>,
}

/// A labelled checkbox.
#[function_component(Checkbox)]
pub fn checkbox(props: &CheckboxProps) -> Html {
    let id = props.id.to_string();
    let onchange = props.onchange.reform(|e: Event| event_checked(&e));
    let describedby = props
        .help
        .as_ref()
        .map(|_| format!("{id}-help"))
        .into_iter()
        .chain(props.describedby.as_ref().map(|d| d.to_string()))
        .collect::<Vec<_>>();
    html! {
        <div class="form-check cortile-check mb-3">
            <input
                id={id.clone()}
                type="checkbox"
                checked={props.checked}
                disabled={props.disabled}
                aria-describedby={(!describedby.is_empty()).then(|| describedby.join(" "))}
                data-testid={props.testid.clone()}
                {onchange}
            />
            <label for={id.clone()}>
                if let Some(lang) = &props.label_lang {
                    <bdi lang={lang.clone()}>{ props.label.clone() }</bdi>
                } else {
                    { props.label.clone() }
                }
                if let Some(note) = &props.label_note {
                    { format!(" {note}") }
                }
            </label>
            if let Some(help) = &props.help {
                <p id={format!("{id}-help")} class="form-text cortile-help mb-0">{ help.clone() }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FormAlertProps {
    /// The failure to explain; nothing shows without one.
    pub error: Option<ApiError>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    /// A message that replaces the standard one (e.g. "wrong username or password").
    #[prop_or_default]
    pub message: Option<AttrValue>,
}

/// Announces (role="alert") why a form was not accepted. When the server named fields, the
/// fields show their own errors and this says to check them.
#[function_component(FormAlert)]
pub fn form_alert(props: &FormAlertProps) -> Html {
    let i18n = use_i18n();
    let Some(error) = &props.error else {
        return html! {};
    };
    let text = match &props.message {
        Some(message) => message.to_string(),
        None if !error.field_errors().is_empty() => i18n.t("form.check_fields"),
        None => i18n.t(error.message_key()),
    };
    html! {
        <div class="alert alert-danger cortile-alert" role="alert" data-testid={props.testid.clone()}>
            <p class="mb-0">{ text }</p>
        </div>
    }
}

/// The translated error about `field` in `error`, if any.
pub fn field_error(
    i18n: &crate::i18n::I18n,
    error: Option<&ApiError>,
    field: &str,
) -> Option<AttrValue> {
    error
        .and_then(|e| e.field(field))
        .map(|e| AttrValue::from(i18n.field_error(e)))
}

/// The options of an estate select, by name: first the empty choice (`empty`, or while the
/// list loads or if it failed, a word saying so), then every estate.
pub fn estate_options(
    i18n: &I18n,
    estates: &Remote<Vec<EstateSummary>>,
    empty: String,
) -> Vec<(AttrValue, AttrValue)> {
    let first = match estates {
        Remote::Ready(_) => empty,
        Remote::Loading => i18n.t("picker.loading"),
        Remote::Failed(_) => i18n.t("picker.failed"),
    };
    let mut options = vec![(AttrValue::from(""), AttrValue::from(first))];
    if let Remote::Ready(list) = estates {
        let mut list = list.to_vec();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        options.extend(list.iter().map(|e| {
            (
                AttrValue::from(e.id.0.to_string()),
                AttrValue::from(e.name.clone()),
            )
        }));
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_point_to_their_help_and_error() {
        assert_eq!(described_by("x", false, false), None);
        assert_eq!(described_by("x", true, false).as_deref(), Some("x-help"));
        assert_eq!(
            described_by("x", true, true).as_deref(),
            Some("x-help x-error")
        );
    }
}
