//! `/banca-del-tempo`: my balance and credit limit, my listings, my exchanges.

use yew::prelude::*;
use yew_router::prelude::*;

use cortile_shared::market::{Exchange, Listing};

use super::{duration_text, exchange_item, listing_card, use_more};
use crate::app::Route;
use crate::components::{ErrorState, Loading};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::session::use_session;

#[function_component(TimeBankHome)]
pub fn time_bank_home() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("timebank.title");
    use_document_title(Some(title.clone()));
    let me = session.me().map(|m| m.id);
    let account = {
        let api = session.api();
        use_remote(api, |api| async move { api.my_account().await })
    };
    let listings = {
        let api = session.api();
        use_remote(
            api,
            |api| async move { api.listings(&[("mine", "true")]).await },
        )
    };
    let exchanges = {
        let api = session.api();
        use_remote(api, |api| async move { api.my_exchanges(None, None).await })
    };
    // The pages after the first of each list.
    let more_listings = use_more::<Listing>();
    let more_exchanges = use_more::<Exchange>();

    let account_view = match &account.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => {
            html! { <ErrorState error={e.clone()} retry={account.retry.clone()} /> }
        }
        Remote::Ready(a) => html! {
            <section class="card card-bg shadow-sm mb-4" aria-labelledby="balance-title">
                <div class="card-body">
                    <h2 id="balance-title" class="h4">{ i18n.t("timebank.balance") }</h2>
                    <p class="display-6 mb-2" data-testid="balance" data-minutes={a.balance_minutes.to_string()}>
                        { duration_text(&i18n, a.balance_minutes) }
                    </p>
                    <p class="mb-0">
                        { i18n.tf("timebank.limit", &[("limit", &duration_text(&i18n, a.credit_limit_minutes))]) }
                        { " · " }
                        { i18n.tf("timebank.available", &[("available", &duration_text(&i18n, a.available_minutes))]) }
                    </p>
                </div>
            </section>
        },
    };
    let listings_view = match &listings.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => {
            html! { <ErrorState error={e.clone()} retry={listings.retry.clone()} /> }
        }
        Remote::Ready(p) if p.items.is_empty() => {
            html! { <p>{ i18n.t("timebank.no_listings") }</p> }
        }
        Remote::Ready(p) => {
            let api = session.api();
            let load_more = more_listings.button(
                more_listings.cursor(&p.next),
                "my-listings-more",
                move |after| {
                    let api = api.clone();
                    async move { api.listings(&[("mine", "true"), ("after", &after)]).await }
                },
            );
            html! {
                <>
                    <ul class="list-unstyled" data-testid="my-listings">
                        { for p.items.iter().chain(more_listings.items()).map(|l| listing_card(&i18n, l)) }
                    </ul>
                    { load_more }
                </>
            }
        }
    };
    let exchanges_view = match &exchanges.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => {
            html! { <ErrorState error={e.clone()} retry={exchanges.retry.clone()} /> }
        }
        Remote::Ready(p) if p.items.is_empty() => {
            html! { <p>{ i18n.t("timebank.no_exchanges") }</p> }
        }
        Remote::Ready(p) => {
            let api = session.api();
            let load_more = more_exchanges.button(
                more_exchanges.cursor(&p.next),
                "my-exchanges-more",
                move |after| {
                    let api = api.clone();
                    async move { api.my_exchanges(None, Some(&after)).await }
                },
            );
            html! {
                <div class="mb-4">
                    <ul class="list-group mb-3" data-testid="my-exchanges">
                        { for p.items.iter().chain(more_exchanges.items()).map(|e| exchange_item(&i18n, e, me)) }
                    </ul>
                    { load_more }
                </div>
            }
        }
    };

    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("timebank.intro") }</p>
            { account_view }
            <nav aria-label={i18n.t("timebank.actions")} class="mb-4 d-flex flex-wrap gap-2">
                <Link<Route> to={Route::Listings} classes="btn btn-primary">{ i18n.t("timebank.browse") }</Link<Route>>
                <Link<Route> to={Route::NewListing} classes="btn btn-outline-primary">
                    <span data-testid="new-listing-link">{ i18n.t("timebank.new_listing") }</span>
                </Link<Route>>
                <Link<Route> to={Route::GiveHours} classes="btn btn-outline-primary">
                    <span data-testid="transfer-link">{ i18n.t("timebank.give_hours") }</span>
                </Link<Route>>
                <Link<Route> to={Route::Statement} classes="btn btn-outline-primary">{ i18n.t("timebank.statement") }</Link<Route>>
                if let Some(id) = me {
                    <Link<Route> to={Route::MemberReviews { id }} classes="btn btn-outline-primary">{ i18n.t("timebank.my_reviews") }</Link<Route>>
                }
                <Link<Route> to={Route::Organisations} classes="btn btn-outline-primary">{ i18n.t("timebank.organisations") }</Link<Route>>
            </nav>
            <h2 class="h3">{ i18n.t("timebank.my_exchanges") }</h2>
            { exchanges_view }
            <h2 class="h3">{ i18n.t("timebank.my_listings") }</h2>
            { listings_view }
        </>
    }
}
