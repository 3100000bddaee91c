//! "You are here": the path from the home page to the current page.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::i18n::use_i18n;

#[derive(Properties, PartialEq)]
pub struct BreadcrumbProps {
    /// The pages above the current one (the home page is always first), as route and name.
    #[prop_or_default]
    pub parents: Vec<(Route, AttrValue)>,
    /// The current page's name.
    pub current: AttrValue,
}

#[function_component(Breadcrumb)]
pub fn breadcrumb(props: &BreadcrumbProps) -> Html {
    let i18n = use_i18n();
    let home = (Route::Home, AttrValue::from(i18n.t("common.home")));
    let parents = std::iter::once(&home).chain(props.parents.iter());
    html! {
        <nav class="breadcrumb-container" aria-label={i18n.t("common.breadcrumb")}>
            <ol class="breadcrumb p-0">
                { for parents.map(|(route, name)| html! {
                    <li class="breadcrumb-item">
                        <Link<Route> to={route.clone()}>{ name.clone() }</Link<Route>>
                        <span class="separator" aria-hidden="true">{ "/" }</span>
                    </li>
                }) }
                <li class="breadcrumb-item active" aria-current="page">{ props.current.clone() }</li>
            </ol>
        </nav>
    }
}
