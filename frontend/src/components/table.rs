//! A table that scrolls sideways on narrow screens: the scrolling region can be reached with
//! the keyboard (it takes focus) and is named for screen readers.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ScrollTableProps {
    /// What the table holds (usually its caption).
    pub label: AttrValue,
    #[prop_or_default]
    pub children: Html,
}

#[function_component(ScrollTable)]
pub fn scroll_table(props: &ScrollTableProps) -> Html {
    html! {
        <div class="table-responsive cortile-scroll" tabindex="0" role="region" aria-label={props.label.clone()}>
            { props.children.clone() }
        </div>
    }
}
