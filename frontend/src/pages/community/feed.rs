//! The personal feed: the newest posts of my communities, on the home page of signed-in users.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{ErrorState, Loading};
use crate::hooks::{use_paged, Remote};
use crate::i18n::use_i18n;
use crate::pages::community::{more_button, post_item};
use crate::session::use_session;

#[function_component(Feed)]
pub fn feed() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let paged = {
        let api = session.api();
        use_paged(
            api,
            |api, after| async move { api.feed(after.as_deref()).await },
        )
    };
    let body = match (&paged.first, paged.items()) {
        (Remote::Failed(error), _) => {
            html! { <ErrorState error={error.clone()} retry={paged.retry.clone()} /> }
        }
        (_, None) => html! { <Loading /> },
        (_, Some(items)) if items.is_empty() => html! {
            <p data-testid="feed-empty">
                { i18n.t("feed.empty") }
                { " " }
                <Link<Route> to={Route::Communities}>{ i18n.t("feed.empty_link") }</Link<Route>>
            </p>
        },
        (_, Some(items)) => html! {
            <>
                <ul class="list-unstyled">
                    { for items.iter().map(|post| post_item(&i18n, post, "feed-item", true)) }
                </ul>
                { more_button(paged.has_more, paged.loading_more, paged.more_error.as_ref(), "feed-more", paged.load_more.clone()) }
            </>
        },
    };
    html! {
        <section class="mb-5 cortile-feed" aria-labelledby="feed-heading" data-testid="feed">
            <div class="d-flex flex-wrap align-items-baseline justify-content-between gap-2">
                <h2 id="feed-heading" class="h3">{ i18n.t("feed.heading") }</h2>
                <Link<Route> to={Route::Communities}>{ i18n.t("feed.all_communities") }</Link<Route>>
            </div>
            <p>{ i18n.t("feed.intro") }</p>
            { body }
        </section>
    }
}
