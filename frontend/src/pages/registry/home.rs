//! The home page: what Cortile is, a map of all estates, and the same estates as a list; for
//! signed-in users, their personal feed above the map.

use std::rc::Rc;

use cortile_shared::registry::EstateSummary;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::app::Route;
use crate::components::{ErrorState, Loading, Map};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::feed::Feed;
use crate::session::use_session;

#[function_component(Home)]
pub fn home() -> Html {
    let i18n = use_i18n();
    let signed_in = use_session().me().is_some();
    let estates = use_remote((), |()| api::list_all_estates());
    let map = use_remote((), |()| api::get_estates_map());
    let title = i18n.t("home.title");
    use_document_title(Some(title.clone()));

    let map_view = match map.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => html! { <ErrorState {error} retry={map.retry} /> },
        Remote::Ready(features) => html! {
            <Map {features} label={i18n.t("home.map_label")} described_by="home-map-note" marker_radius={3.5} />
        },
    };
    let list_view = match estates.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => html! { <ErrorState {error} retry={estates.retry} /> },
        Remote::Ready(list) => estate_list(&i18n, &list),
    };

    html! {
        <>
            <div class="cortile-intro mb-4">
                <h1 data-testid="page-title">{ title }</h1>
                <p class="lead">{ i18n.t("home.intro") }</p>
                <p>{ i18n.t("home.intro_help") }</p>
            </div>
            if signed_in {
                <Feed />
            }
            <section class="mb-5" aria-labelledby="home-map-heading">
                <h2 id="home-map-heading" class="h3">{ i18n.t("home.map_heading") }</h2>
                <p id="home-map-note">{ i18n.t("home.map_note") }</p>
                { map_view }
            </section>
            <section aria-labelledby="home-list-heading">
                <h2 id="home-list-heading" class="h3">{ i18n.t("home.list_heading") }</h2>
                { list_view }
            </section>
        </>
    }
}

fn estate_list(i18n: &I18n, estates: &Rc<Vec<EstateSummary>>) -> Html {
    if estates.is_empty() {
        return html! {
            <div data-testid="estate-list">
                <p>{ i18n.t("home.list_empty") }</p>
            </div>
        };
    }
    html! {
        <div data-testid="estate-list">
            <p class="text-secondary">{ i18n.count("count.estates", estates.len() as i64) }</p>
            <ul class="row list-unstyled cortile-estate-list">
                { for estates.iter().map(|estate| estate_row(i18n, estate)) }
            </ul>
        </div>
    }
}

fn estate_row(i18n: &I18n, estate: &EstateSummary) -> Html {
    let district = i18n.tf(
        "district.name",
        &[("number", &estate.district.number().to_string())],
    );
    html! {
        <li class="col-12 col-md-6 col-lg-4 mb-3" data-testid="estate-row" key={estate.id.0}>
            <div class="card card-bg rounded shadow-sm h-100 cortile-estate-card">
                <div class="card-body">
                    <h3 class="card-title h5 mb-2">
                        <Link<Route> to={Route::Estate { id: estate.id }}>{ estate.name.clone() }</Link<Route>>
                    </h3>
                    <ul class="cortile-facts card-text">
                        <li>{ district }</li>
                        <li>{ i18n.count("count.buildings", estate.buildings) }</li>
                        <li>{ i18n.count("count.homes", estate.homes) }</li>
                    </ul>
                </div>
            </div>
        </li>
    }
}
