//! `/banca-del-tempo/annunci/:id`: a listing; ask for the help offered or offer the help
//! requested (with a first message); for its author, the exchanges it collected, editing and
//! closing.

use cortile_shared::market::{ListingKind, ListingPlace, ListingStatus, NewExchange, PriceType};
use cortile_shared::ListingId;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{
    category_text, distance_text, duration_text, exchange_item, kind_text, price_text, reach_text,
    step_error_key,
};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, Loading, TextField};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::pages::community::images::PostImages;
use crate::pages::community::PostBody;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct ListingPageProps {
    pub id: ListingId,
}

#[function_component(ListingPage)]
pub fn listing_page(props: &ListingPageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let me = session.me();
    let listing = {
        let api = session.api();
        use_remote(
            (props.id, api),
            |(id, api)| async move { api.listing(id).await },
        )
    };
    let exchanges = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.listing_exchanges(id).await
        })
    };
    let message = use_state(String::new);
    let minutes = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let title = match &listing.state {
        Remote::Ready(l) => Some(l.title.clone()),
        _ => None,
    };
    use_document_title(title.clone());

    let l = match &listing.state {
        Remote::Loading => return html! { <Loading /> },
        Remote::Failed(e) => {
            return html! { <ErrorState error={e.clone()} retry={listing.retry.clone()} /> }
        }
        Remote::Ready(l) => l.clone(),
    };
    let propose = {
        let (api, message, minutes, error, busy) = (
            session.api(),
            message.clone(),
            minutes.clone(),
            error.clone(),
            busy.clone(),
        );
        let id = l.id;
        let navigator = navigator.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let new = NewExchange {
                minutes: minutes.trim().parse::<i64>().ok(),
                message: (*message).clone(),
            };
            let (api, error, busy, navigator) =
                (api.clone(), error.clone(), busy.clone(), navigator.clone());
            spawn(async move {
                let result = api.propose_exchange(id, &new).await;
                busy.set(false);
                match result {
                    Ok(ex) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Exchange { id: ex.id });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let close = {
        let (api, error, retry) = (session.api(), error.clone(), listing.retry.clone());
        let id = l.id;
        Callback::from(move |_: MouseEvent| {
            let (api, error, retry) = (api.clone(), error.clone(), retry.clone());
            spawn(async move {
                match api.close_listing(id).await {
                    Ok(()) => retry.emit(()),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let resident = me.as_ref().is_some_and(|m| m.residence.is_some());
    let can_propose = !l.can_edit && resident && l.status == ListingStatus::Open;
    let action = match l.kind {
        ListingKind::Offer => i18n.t("listing.ask"),
        ListingKind::Request => i18n.t("listing.offer_help"),
    };
    let place = match (&l.place, &l.estate) {
        (ListingPlace::Estate { .. }, Some(e)) => e.name.clone(),
        _ => i18n.tf(
            "listing.point",
            &[
                ("lat", &format!("{:.4}", l.lat)),
                ("lon", &format!("{:.4}", l.lon)),
            ],
        ),
    };
    let parents = vec![
        (Route::TimeBank, AttrValue::from(i18n.t("timebank.title"))),
        (
            Route::Listings,
            AttrValue::from(i18n.t("market.browse_title")),
        ),
    ];
    let exchanges_view = match &exchanges.state {
        Remote::Ready(list) if !list.is_empty() => html! {
            <section aria-labelledby="listing-exchanges-heading" class="mt-4">
                <h2 id="listing-exchanges-heading" class="h4">{
                    i18n.t(if l.can_edit { "listing.exchanges_mine" } else { "listing.exchanges_yours" })
                }</h2>
                <ul class="list-group" data-testid="listing-exchanges">
                    { for list.iter().map(|e| exchange_item(&i18n, e, me.as_ref().map(|m| m.id))) }
                </ul>
            </section>
        },
        Remote::Ready(_) => html! {},
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => {
            html! { <ErrorState error={e.clone()} retry={exchanges.retry.clone()} /> }
        }
    };
    html! {
        <>
            <Breadcrumb {parents} current={l.title.clone()} />
            <article aria-labelledby="listing-title">
                <p class="mb-1">
                    <span class="badge bg-primary me-2">{ kind_text(&i18n, l.kind) }</span>
                    <span class="badge bg-dark me-2">{ category_text(&i18n, l.category) }</span>
                    if l.status == ListingStatus::Closed {
                        <span class="badge bg-danger" data-testid="listing-closed">{ i18n.t("market.status.closed") }</span>
                    }
                </p>
                <h1 id="listing-title" data-testid="page-title">{ l.title.clone() }</h1>
                <dl class="row">
                    <dt class="col-sm-4">{ i18n.t("market.field.price_type") }</dt>
                    <dd class="col-sm-8" data-testid="listing-price">{ price_text(&i18n, l.price_type, l.price_amount) }</dd>
                    if let Some(m) = l.estimated_minutes {
                        <dt class="col-sm-4">{ i18n.t("market.field.estimated_minutes") }</dt>
                        <dd class="col-sm-8">{ duration_text(&i18n, m) }</dd>
                    }
                    if !l.availability.is_empty() {
                        <dt class="col-sm-4">{ i18n.t("market.field.availability") }</dt>
                        <dd class="col-sm-8">{ l.availability.clone() }</dd>
                    }
                    <dt class="col-sm-4">{ i18n.t("listing.place") }</dt>
                    <dd class="col-sm-8">
                        { place }
                        if let Some(d) = l.distance_m {
                            { " · " }{ i18n.tf("listing.from_home", &[("distance", &distance_text(&i18n, d))]) }
                        }
                    </dd>
                    <dt class="col-sm-4">{ i18n.t("market.field.reach") }</dt>
                    <dd class="col-sm-8">{ reach_text(&i18n, l.reach) }</dd>
                    <dt class="col-sm-4">{ i18n.t(if l.kind == ListingKind::Offer { "listing.provider" } else { "listing.requester" }) }</dt>
                    <dd class="col-sm-8">
                        <Link<Route> to={Route::MemberReviews { id: l.author.id }}>{ l.author.display_name.clone() }</Link<Route>>
                        if let Some(o) = &l.organisation {
                            { " · " }{ o.name.clone() }
                        }
                        <crate::pages::chat::WriteTo user={l.author.clone()} />
                    </dd>
                </dl>
                if !l.description_html.is_empty() {
                    <PostBody html={AttrValue::from(l.description_html.clone())} />
                }
                <PostImages images={l.images.clone()} />
            </article>
            <div aria-live="polite">
                if let Some(e) = &*error {
                    <div class="alert alert-danger" role="alert" data-testid="listing-action-error">
                        { i18n.t(step_error_key(e)) }
                    </div>
                }
            </div>
            if l.can_edit {
                <p class="d-flex gap-2">
                    <Link<Route> to={Route::EditListing { id: l.id }} classes="btn btn-outline-primary">{ i18n.t("listing.edit") }</Link<Route>>
                    if l.status == ListingStatus::Open {
                        <button type="button" class="btn btn-outline-danger" onclick={close} data-testid="listing-close">{ i18n.t("listing.close") }</button>
                    }
                </p>
            }
            if can_propose {
                <section aria-labelledby="propose-heading" class="card card-bg shadow-sm mt-3">
                    <div class="card-body">
                        <h2 id="propose-heading" class="h4">{ action.clone() }</h2>
                        <form onsubmit={propose} novalidate=true>
                            if l.price_type == PriceType::Hours {
                                <TextField id="propose-minutes" kind="number" label={i18n.t("listing.minutes")}
                                    help={i18n.t("listing.minutes_help")} value={(*minutes).clone()}
                                    oninput={let s = minutes.clone(); Callback::from(move |v| s.set(v))}
                                    error={super::market_field_error(&i18n, (*error).as_ref(), "minutes")}
                                    testid="propose-minutes" />
                            }
                            <TextField id="propose-message" multiline=true label={i18n.t("listing.message")}
                                value={(*message).clone()}
                                oninput={let s = message.clone(); Callback::from(move |v| s.set(v))}
                                error={super::market_field_error(&i18n, (*error).as_ref(), "message")}
                                testid="propose-message" />
                            <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="propose-submit">{ action }</button>
                        </form>
                    </div>
                </section>
            }
            { exchanges_view }
        </>
    }
}
