//! One estate: its name and numbers, its map, and the table of its buildings.

use std::rc::Rc;

use cortile_shared::registry::{BuildingSummary, EstateDetail};
use cortile_shared::EstateId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, Loading, Map, NotFoundState};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};

#[derive(Properties, PartialEq)]
pub struct EstatePageProps {
    pub id: EstateId,
}

#[function_component(EstatePage)]
pub fn estate_page(props: &EstatePageProps) -> Html {
    let estate = use_remote(props.id, api::get_estate);
    match estate.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) if error.is_not_found() => html! {
            <NotFoundState title_key="estate.not_found_title" text_key="estate.not_found_text" />
        },
        Remote::Failed(error) => html! { <ErrorState {error} retry={estate.retry} /> },
        Remote::Ready(estate) => html! { <EstateView {estate} /> },
    }
}

#[derive(Properties, PartialEq)]
struct EstateViewProps {
    estate: Rc<EstateDetail>,
}

#[function_component(EstateView)]
fn estate_view(props: &EstateViewProps) -> Html {
    let i18n = use_i18n();
    let estate = &props.estate;
    let summary = &estate.summary;
    let features = use_memo(props.estate.clone(), |estate| estate.geojson.clone());
    use_document_title(Some(summary.name.clone()));

    let district = i18n.tf(
        "district.name",
        &[("number", &summary.district.number().to_string())],
    );
    let name = summary.name.as_str();
    html! {
        <>
            <Breadcrumb current={summary.name.clone()} />
            <h1 data-testid="estate-title"><span data-testid="page-title">{ name }</span></h1>
            <ul class="cortile-facts lead mb-4">
                <li>{ district }</li>
                <li>{ i18n.count("count.buildings", summary.buildings) }</li>
                <li>{ i18n.count("count.homes", summary.homes) }</li>
            </ul>
            <p class="text-secondary">{ i18n.tf("estate.code", &[("code", &summary.code)]) }</p>

            <section class="mb-5" aria-labelledby="estate-map-heading">
                <h2 id="estate-map-heading" class="h3">{ i18n.t("estate.map_heading") }</h2>
                <p id="estate-map-note">{ i18n.t("estate.map_note") }</p>
                <Map
                    features={features}
                    label={i18n.tf("estate.map_label", &[("name", name)])}
                    described_by="estate-map-note"
                />
            </section>

            <section aria-labelledby="estate-buildings-heading">
                <h2 id="estate-buildings-heading" class="h3">{ i18n.t("estate.buildings_heading") }</h2>
                { buildings_table(&i18n, name, &estate.buildings_list) }
            </section>
        </>
    }
}

fn buildings_table(i18n: &I18n, estate_name: &str, buildings: &[BuildingSummary]) -> Html {
    if buildings.is_empty() {
        return html! { <p>{ i18n.t("estate.no_buildings") }</p> };
    }
    html! {
        <div class="table-responsive">
            <table class="table table-striped cortile-table">
                <caption class="caption-top">{ i18n.tf("estate.table_caption", &[("name", estate_name)]) }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ i18n.t("estate.col_address") }</th>
                        <th scope="col">{ i18n.t("estate.col_code") }</th>
                        <th scope="col" class="text-end">{ i18n.t("estate.col_floors") }</th>
                        <th scope="col">{ i18n.t("estate.col_lift") }</th>
                        <th scope="col" class="text-end">{ i18n.t("estate.col_homes") }</th>
                    </tr>
                </thead>
                <tbody>
                    { for buildings.iter().map(|b| html! {
                        <tr data-testid="building-row" key={b.id.0}>
                            <th scope="row">
                                <Link<Route> to={Route::Building { id: b.id }}>{ b.address.clone() }</Link<Route>>
                            </th>
                            <td>{ b.code.clone() }</td>
                            <td class="text-end">{ i18n.int(i64::from(b.floors)) }</td>
                            <td>{ i18n.yes_no(b.has_lift) }</td>
                            <td class="text-end">{ i18n.int(b.homes) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
