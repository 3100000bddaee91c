//! `/segnalazioni`: my reports, my building's open reports and the map of my estate's.

use std::rc::Rc;

use cortile_shared::registry::FEATURE_KIND;
use cortile_shared::EstateId;
use geojson::FeatureCollection;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{ErrorState, Loading, Map};
use crate::hooks::{use_document_title, use_paged, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::more_button;
use crate::pages::maintenance::{category_text, report_list, status_text};
use crate::session::use_session;

#[function_component(ReportsPage)]
pub fn reports_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("reports.title");
    use_document_title(Some(title.clone()));
    let home = session
        .me()
        .and_then(|me| me.residence.clone())
        .map(|r| r.home);
    let mine = {
        let api = session.api();
        use_paged(api, |api, after| async move {
            api.my_reports(after.as_deref()).await
        })
    };
    let building = {
        let api = session.api();
        use_remote(
            (home.as_ref().map(|h| h.building_id), api),
            |(b, api)| async move {
                match b {
                    Some(b) => api.building_reports(b).await.map(Some),
                    None => Ok(None),
                }
            },
        )
    };

    let mine_view = match (&mine.first, mine.items()) {
        (_, Some(items)) => html! {
            <>
                { report_list(&i18n, &items, "reports.mine_empty", "my-reports") }
                { more_button(mine.has_more, mine.loading_more, mine.more_error.as_ref(), "reports-more", mine.load_more.clone()) }
            </>
        },
        (Remote::Failed(e), _) => {
            html! { <ErrorState error={e.clone()} retry={mine.retry.clone()} /> }
        }
        _ => html! { <Loading /> },
    };
    let building_view = match &building.state {
        Remote::Ready(list) => match list.as_ref() {
            Some(list) => {
                let items: Vec<_> = list.iter().collect();
                report_list(&i18n, &items, "reports.building_empty", "building-reports")
            }
            None => html! {},
        },
        Remote::Failed(e) => {
            html! { <ErrorState error={e.clone()} retry={building.retry.clone()} /> }
        }
        Remote::Loading => html! { <Loading /> },
    };

    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("reports.intro") }</p>
            <p>
                <Link<Route> to={Route::NewReport} classes="btn btn-primary">
                    <span data-testid="report-new-link">{ i18n.t("report_new.title") }</span>
                </Link<Route>>
            </p>
            <section aria-labelledby="mine-heading" class="mb-4">
                <h2 id="mine-heading">{ i18n.t("reports.mine") }</h2>
                { mine_view }
            </section>
            if let Some(home) = &home {
                <section aria-labelledby="building-heading" class="mb-4">
                    <h2 id="building-heading">{ i18n.tf("reports.building", &[("address", &home.building_address)]) }</h2>
                    { building_view }
                </section>
                <EstateReportsMap estate={home.estate_id} name={home.estate_name.clone()} />
            }
        </>
    }
}

/// The report points of a GeoJSON answer, readied for the map (it opens a report's page).
pub fn report_features(i18n: &I18n, fc: &FeatureCollection) -> FeatureCollection {
    let mut fc = fc.clone();
    for f in &mut fc.features {
        let props = f.properties.get_or_insert_with(Default::default);
        let category = props
            .get("category")
            .and_then(|v| v.as_str())
            .and_then(cortile_shared::maintenance::Category::parse)
            .map(|c| category_text(i18n, c))
            .unwrap_or_default();
        let status = props
            .get("status")
            .and_then(|v| v.as_str())
            .and_then(cortile_shared::maintenance::ReportStatus::parse)
            .map(|s| status_text(i18n, s))
            .unwrap_or_default();
        let name = format!("{category} · {status}");
        props.insert(FEATURE_KIND.into(), "report".into());
        props.insert("name".into(), name.into());
    }
    fc
}

#[derive(Properties, PartialEq)]
pub struct EstateReportsMapProps {
    pub estate: EstateId,
    pub name: String,
}

/// The map of an estate's open (and lately resolved) reports; homes are shown rounded.
#[function_component(EstateReportsMap)]
pub fn estate_reports_map(props: &EstateReportsMapProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let map = {
        let api = session.api();
        use_remote((props.estate, api), |(e, api)| async move {
            api.estate_reports_map(e).await
        })
    };
    html! {
        <section aria-labelledby="reports-map-heading" class="mb-4">
            <h2 id="reports-map-heading">{ i18n.tf("reports.map", &[("estate", &props.name)]) }</h2>
            <p id="reports-map-note" class="form-text">{ i18n.t("reports.map_note") }</p>
            { match &map.state {
                Remote::Ready(fc) => html! {
                    <>
                        <Map features={Rc::new(report_features(&i18n, fc))}
                            label={i18n.tf("reports.map_label", &[("estate", &props.name)])}
                            described_by="reports-map-note" />
                        <p data-testid="reports-map-count">{ i18n.count("reports.on_map", fc.features.len() as i64) }</p>
                    </>
                },
                Remote::Failed(e) => html! { <ErrorState error={e.clone()} retry={map.retry.clone()} /> },
                Remote::Loading => html! { <Loading /> },
            } }
        </section>
    }
}
