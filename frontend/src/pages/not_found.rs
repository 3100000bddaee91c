//! The page for addresses the app does not know.

use yew::prelude::*;

use crate::components::NotFoundState;

#[function_component(NotFound)]
pub fn not_found() -> Html {
    html! { <NotFoundState title_key="not_found.title" text_key="not_found.text" /> }
}
