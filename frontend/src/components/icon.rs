//! Icons from the bootstrap-italia sprite, served with the app.

use yew::prelude::*;

/// Where the sprite is served.
const SPRITE: &str = "/vendor/bootstrap-italia/svg/sprites.svg";

#[derive(Properties, PartialEq)]
pub struct IconProps {
    /// The icon's id in the sprite, e.g. `it-map-marker`.
    pub name: AttrValue,
    /// Extra classes (`icon-white`, `icon-sm`…).
    #[prop_or_default]
    pub class: Classes,
}

/// A decorative icon: hidden from assistive technology, the text next to it carries the meaning.
#[function_component(Icon)]
pub fn icon(props: &IconProps) -> Html {
    html! {
        <svg class={classes!("icon", props.class.clone())} aria-hidden="true" focusable="false">
            <use href={format!("{SPRITE}#{}", props.name)} />
        </svg>
    }
}
