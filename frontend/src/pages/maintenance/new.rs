//! `/segnalazioni/nuova`: "Segnala un problema". Before sending, the open reports of the same
//! category in the reader's building are shown, each with "me too".

use std::collections::HashMap;

use cortile_shared::geo::LatLon;
use cortile_shared::maintenance::{Category, NewReport, PlaceKind, MAX_DESCRIPTION_LEN};
use cortile_shared::{BuildingId, ErrorCode, EstateId, Problem};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::form::event_value;
use crate::components::{
    field_error, use_point_features, Checkbox, FormAlert, PointPicker, SelectField, TextField,
};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::pages::community::images::{ImageAction, ImageList, ImagePicker, NotReady};
use crate::pages::maintenance::picker::BuildingPicker;
use crate::pages::maintenance::{category_text, place_kind_text, place_text, status_badge};
use crate::session::use_session;

#[function_component(NewReportPage)]
pub fn new_report_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let title = i18n.t("report_new.title");
    use_document_title(Some(title.clone()));

    // Staff, custodians and operators have no home of their own: they name the building.
    let home = session
        .me()
        .and_then(|me| me.residence.as_ref().map(|r| r.home.clone()));
    let has_home = home.is_some();
    let category = use_state(|| Category::Water);
    let place = use_state(move || {
        if has_home {
            PlaceKind::Home
        } else {
            PlaceKind::Building
        }
    });
    let estate = use_state(String::new);
    let building = use_state(String::new);
    let staircase = use_state(String::new);
    let lat = use_state(String::new);
    let lon = use_state(String::new);
    let description = use_state(String::new);
    let blocks = use_state(|| false);
    let danger = use_state(|| false);
    let images = use_reducer(ImageList::default);
    let not_ready = use_state(|| None::<NotReady>);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    // "Me too" said here: report id → supporters now (or the failure).
    let supported = use_state(HashMap::<i64, Result<i64, ApiError>>::new);

    let chosen_building = building.parse::<i64>().ok().map(BuildingId);
    let similar = {
        let api = session.api();
        use_remote(
            (*category, chosen_building, has_home, api),
            |(c, b, has_home, api)| async move {
                if b.is_none() && !has_home {
                    // Nothing to compare with until a building is chosen.
                    return Ok(Vec::new());
                }
                api.similar_reports(c, b).await
            },
        )
    };

    // The point typed or clicked, and the estate it falls in (point-in-polygon, on the server).
    let typed_point = match (
        lat.trim().replace(',', ".").parse::<f64>(),
        lon.trim().replace(',', ".").parse::<f64>(),
    ) {
        (Ok(lat), Ok(lon)) if lat.is_finite() && lon.is_finite() => Some((lat, lon)),
        _ => None,
    };
    let point_bits = typed_point
        .filter(|_| *place == PlaceKind::Point)
        .map(|(a, b)| (a.to_bits(), b.to_bits()));
    let point_estate = {
        let api = session.api();
        use_remote((point_bits, api), |(p, api)| async move {
            match p {
                Some((lat, lon)) => api
                    .estate_at(LatLon {
                        lat: f64::from_bits(lat),
                        lon: f64::from_bits(lon),
                    })
                    .await
                    .map(Some),
                None => Ok(None),
            }
        })
    };
    // The shapes under the point: the estate chosen or the reader's own, else every estate.
    let map_estate = estate
        .parse::<i64>()
        .ok()
        .map(EstateId)
        .or(home.as_ref().map(|h| h.estate_id));
    let picker_features = use_point_features(map_estate, *place == PlaceKind::Point);
    let on_pick = {
        let (lat, lon) = (lat.clone(), lon.clone());
        Callback::from(move |(a, b): (f64, f64)| {
            lat.set(format!("{a:.6}"));
            lon.set(format!("{b:.6}"));
        })
    };

    let me_too = {
        let api = session.api();
        let supported = supported.clone();
        Callback::from(move |id: i64| {
            let (api, supported) = (api.clone(), supported.clone());
            spawn(async move {
                let result = api.support_report(id, true).await.map(|s| s.supporters);
                let mut all = (*supported).clone();
                all.insert(id, result);
                supported.set(all);
            });
        })
    };

    let onsubmit = {
        let api = session.api();
        let building = building.clone();
        let (category, place, staircase, lat, lon, description, blocks, danger) = (
            category.clone(),
            place.clone(),
            staircase.clone(),
            lat.clone(),
            lon.clone(),
            description.clone(),
            blocks.clone(),
            danger.clone(),
        );
        let (images, not_ready, error, busy) = (
            images.clone(),
            not_ready.clone(),
            error.clone(),
            busy.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let refs = match images.refs() {
                Ok(refs) => refs,
                Err(why) => {
                    not_ready.set(Some(why));
                    error.set(Some(ApiError::Problem(Problem::new(
                        ErrorCode::ValidationFailed,
                    ))));
                    return;
                }
            };
            not_ready.set(None);
            let point = if *place == PlaceKind::Point {
                match (
                    lat.trim().replace(',', ".").parse::<f64>(),
                    lon.trim().replace(',', ".").parse::<f64>(),
                ) {
                    (Ok(lat), Ok(lon)) => Some(LatLon { lat, lon }),
                    _ => None,
                }
            } else {
                None
            };
            let report = NewReport {
                category: *category,
                place: *place,
                // Named only by those without a home (a resident's is their own).
                building_id: building
                    .parse::<i64>()
                    .ok()
                    .filter(|_| *place != PlaceKind::Home)
                    .map(BuildingId),
                staircase: (*place == PlaceKind::Staircase && !staircase.trim().is_empty())
                    .then(|| staircase.trim().to_owned()),
                point,
                description: description.trim().to_owned(),
                blocks_access: *blocks,
                danger: *danger,
                images: refs,
            };
            busy.set(true);
            let (api, error, busy, images, navigator) = (
                api.clone(),
                error.clone(),
                busy.clone(),
                images.clone(),
                navigator.clone(),
            );
            spawn(async move {
                let result = api.create_report(&report).await;
                busy.set(false);
                match result {
                    Ok(r) => {
                        images.dispatch(ImageAction::Clear);
                        if let Some(n) = &navigator {
                            n.push(&Route::Report { id: r.summary.id });
                        }
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };

    let err = (*error).clone();
    let categories: Vec<(AttrValue, AttrValue)> = Category::ALL
        .iter()
        .map(|c| {
            (
                AttrValue::from(c.as_str()),
                AttrValue::from(category_text(&i18n, *c)),
            )
        })
        .collect();
    let on_category = {
        let category = category.clone();
        Callback::from(move |v: String| {
            if let Some(c) = Category::parse(&v) {
                category.set(c);
            }
        })
    };

    let similar_view = match &similar.state {
        Remote::Ready(list) if !list.is_empty() => html! {
            <section class="cortile-similar mb-4" aria-labelledby="similar-heading" data-testid="similar">
                <h2 id="similar-heading" class="h4">{ i18n.t("report_new.similar_heading") }</h2>
                <p>{ i18n.t("report_new.similar_intro") }</p>
                <ul class="list-unstyled">
                    { for list.iter().map(|r| {
                        let id = r.id;
                        let done = supported.get(&id).cloned();
                        let onclick = me_too.reform(move |_: MouseEvent| id);
                        let heading = format!("similar-{id}");
                        html! {
                            <li key={id} class="card card-bg shadow-sm mb-2 cortile-card" data-testid="similar-item">
                                <div class="card-body">
                                    <h3 id={heading.clone()} class="h6">
                                        <Link<Route> to={Route::Report { id }}>{ r.summary.clone() }</Link<Route>>
                                    </h3>
                                    <p class="cortile-post-meta mb-2">
                                        { status_badge(&i18n, r.status) }{ " · " }{ place_text(&i18n, &r.place) }
                                    </p>
                                    <div aria-live="polite">
                                        { match done {
                                            Some(Ok(n)) => html! {
                                                <p class="alert alert-success mb-0" data-testid="similar-supported">
                                                    { i18n.tf("report_new.supported", &[("count", &i18n.count("maintenance.supporters", n))]) }
                                                </p>
                                            },
                                            Some(Err(e)) => html! { <FormAlert error={Some(e)} /> },
                                            None if r.mine || r.supporting => html! {
                                                <p class="mb-0">{ i18n.t("report_new.already_yours") }</p>
                                            },
                                            None => html! {
                                                <button type="button" class="btn btn-primary btn-sm" data-testid="similar-support"
                                                    aria-describedby={heading} {onclick}>
                                                    { i18n.t("report.me_too") }
                                                </button>
                                            },
                                        } }
                                    </div>
                                </div>
                            </li>
                        }
                    }) }
                </ul>
            </section>
        },
        _ => html! {},
    };

    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("report_new.intro") }</p>
            <form class="cortile-narrow" onsubmit={onsubmit} novalidate=true data-testid="report-form">
                <FormAlert error={err.clone()} testid="report-error" />
                <SelectField id="report-category" label={i18n.t("report_new.category")}
                    value={AttrValue::from(category.as_str())} options={categories}
                    onchange={on_category} testid="report-category"
                    error={field_error(&i18n, err.as_ref(), "category")} />
                { similar_view }
                <fieldset class="mb-3" data-testid="report-place">
                    <legend class="form-label">{ i18n.t("report_new.where") }</legend>
                    { for PlaceKind::ALL.iter().filter(|k| has_home || **k != PlaceKind::Home).map(|k| {
                        let id = format!("report-place-{}", k.as_str());
                        let checked = *place == *k;
                        let onchange = { let place = place.clone(); let k = *k; Callback::from(move |_: Event| place.set(k)) };
                        html! {
                            <div class="form-check">
                                <input id={id.clone()} type="radio" name="report-place" value={k.as_str()}
                                    {checked} {onchange} data-testid={id.clone()} />
                                <label for={id}>{ place_kind_text(&i18n, *k) }</label>
                            </div>
                        }
                    }) }
                    if let Some(e) = field_error(&i18n, err.as_ref(), "place") {
                        <p class="cortile-field-error">{ e }</p>
                    }
                </fieldset>
                if !has_home && *place != PlaceKind::Home {
                    <fieldset class="mb-3" data-testid="report-building-picker">
                        <legend class="form-label">{ i18n.t("report_new.which_building") }</legend>
                        <BuildingPicker id="report" estate={AttrValue::from((*estate).clone())}
                            building={AttrValue::from((*building).clone())}
                            on_estate={let (e, b) = (estate.clone(), building.clone()); Callback::from(move |v| { b.set(String::new()); e.set(v); })}
                            on_building={let b = building.clone(); Callback::from(move |v| b.set(v))}
                            empty_label={i18n.t("picker.choose")}
                            building_help={(*place == PlaceKind::Point).then(|| AttrValue::from(i18n.t("report_new.building_optional")))}
                            error={field_error(&i18n, err.as_ref(), "building_id")} />
                    </fieldset>
                }
                if *place == PlaceKind::Staircase {
                    <TextField id="report-staircase" label={i18n.t("report_new.staircase")}
                        help={i18n.t("report_new.staircase_help")} value={(*staircase).clone()}
                        oninput={let s = staircase.clone(); Callback::from(move |v| s.set(v))}
                        error={field_error(&i18n, err.as_ref(), "staircase")} />
                }
                if *place == PlaceKind::Point {
                    <fieldset class="mb-3">
                        <legend class="form-label">{ i18n.t("report_new.point") }</legend>
                        <p id="report-point-help" class="form-text cortile-help">{ i18n.t("report_new.point_help") }</p>
                        if let Some(features) = picker_features {
                            <PointPicker features={features.clone()} label={i18n.t("report_new.point_map")}
                                described_by="report-point-help" point={typed_point} onpick={on_pick} />
                        }
                        <p aria-live="polite" class="form-text" data-testid="report-point-estate">
                            { match &point_estate.state {
                                Remote::Ready(e) => match e.as_ref() {
                                    Some(e) => i18n.tf("report_new.point_in", &[("estate", &e.estate_name)]),
                                    None => String::new(),
                                },
                                Remote::Failed(ApiError::Problem(p)) if p.status == 403 => i18n.t("report_new.point_not_yours"),
                                Remote::Failed(_) => i18n.t("report_new.point_outside"),
                                _ => String::new(),
                            } }
                        </p>
                        <TextField id="report-lat" label={i18n.t("report_new.lat")} value={(*lat).clone()}
                            oninput={let s = lat.clone(); Callback::from(move |v| s.set(v))}
                            error={field_error(&i18n, err.as_ref(), "point")} />
                        <TextField id="report-lon" label={i18n.t("report_new.lon")} value={(*lon).clone()}
                            oninput={let s = lon.clone(); Callback::from(move |v| s.set(v))} />
                    </fieldset>
                }
                <div class="cortile-field mb-3">
                    <label for="report-description" class="form-label">{ i18n.t("report_new.description") }</label>
                    <p id="report-description-help" class="form-text cortile-help">
                        { i18n.tf("report_new.description_help", &[("max", &MAX_DESCRIPTION_LEN.to_string())]) }
                    </p>
                    <textarea id="report-description" class="form-control" rows="5" required=true
                        aria-describedby={if field_error(&i18n, err.as_ref(), "description").is_some() { "report-description-help report-description-error" } else { "report-description-help" }}
                        aria-invalid={field_error(&i18n, err.as_ref(), "description").is_some().then_some("true")}
                        value={(*description).clone()} data-testid="report-description"
                        oninput={let d = description.clone(); Callback::from(move |e: InputEvent| d.set(event_value(&e.into())))} />
                    if let Some(e) = field_error(&i18n, err.as_ref(), "description") {
                        <p id="report-description-error" class="cortile-field-error">{ e }</p>
                    }
                </div>
                <ImagePicker list={images.clone()} id="report" error={err.clone()} not_ready={*not_ready} />
                <fieldset class="mb-3">
                    <legend class="form-label">{ i18n.t("report_new.urgency") }</legend>
                    <Checkbox id="report-blocks" label={i18n.t("report_new.blocks_access")}
                        help={i18n.t("report_new.blocks_access_help")} checked={*blocks}
                        onchange={let b = blocks.clone(); Callback::from(move |v| b.set(v))} testid="report-blocks" />
                    <Checkbox id="report-danger" label={i18n.t("report_new.danger")}
                        help={i18n.t("report_new.danger_help")} checked={*danger}
                        onchange={let d = danger.clone(); Callback::from(move |v| d.set(v))} testid="report-danger" />
                </fieldset>
                <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="report-submit">
                    { i18n.t(if *busy { "report_new.sending" } else { "report_new.submit" }) }
                </button>
            </form>
        </>
    }
}
