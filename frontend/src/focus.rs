//! Moving the keyboard focus when a part of a page replaces the one that held it (a form's
//! summary, a success message, a list item taken off): without this the focus falls to the
//! top of the document, and keyboard and screen reader users lose their place.

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Focuses the element behind `target`, if it is on the page.
pub fn focus_ref(target: &NodeRef) {
    if let Some(el) = target.cast::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}

/// Focuses the first element that matches the CSS `selector`, if any; false when there is none.
pub fn focus_selector(selector: &str) -> bool {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    match element {
        Some(el) => el.focus().is_ok(),
        None => false,
    }
}

/// Focuses the element with this `id`, if any; false when there is none.
pub fn focus_id(id: &str) -> bool {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    match element {
        Some(el) => el.focus().is_ok(),
        None => false,
    }
}

/// The CSS selector of the element with this `data-testid`.
pub fn testid_selector(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

/// Focuses the element with this `data-testid` (a button that stays on the page).
pub fn focus_testid(testid: &str) -> bool {
    focus_selector(&testid_selector(testid))
}

/// Focuses `target` each time `step` changes, but not on the first render: the part of a page
/// that `step` selects (give its heading `tabindex="-1"` and `ref={target}`) takes the focus
/// when the reader moves to it, not when the page opens.
#[hook]
pub fn use_focus_on_change<D>(step: D, target: NodeRef)
where
    D: PartialEq + 'static,
{
    let first = use_mut_ref(|| true);
    use_effect_with(step, move |_| {
        if !std::mem::replace(&mut *first.borrow_mut(), false) {
            focus_ref(&target);
        }
    });
}
