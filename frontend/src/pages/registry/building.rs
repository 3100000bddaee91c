//! One building: its details and its homes, grouped by staircase.

use std::collections::BTreeMap;
use std::rc::Rc;

use cortile_shared::registry::{BuildingDetail, UnitSummary};
use cortile_shared::BuildingId;
use yew::prelude::*;

use crate::api;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, Loading, NotFoundState};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};

#[derive(Properties, PartialEq)]
pub struct BuildingPageProps {
    pub id: BuildingId,
}

#[function_component(BuildingPage)]
pub fn building_page(props: &BuildingPageProps) -> Html {
    let building = use_remote(props.id, api::get_building);
    match building.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) if error.is_not_found() => html! {
            <NotFoundState title_key="building.not_found_title" text_key="building.not_found_text" />
        },
        Remote::Failed(error) => html! { <ErrorState {error} retry={building.retry} /> },
        Remote::Ready(building) => html! { <BuildingView {building} /> },
    }
}

#[derive(Properties, PartialEq)]
struct BuildingViewProps {
    building: Rc<BuildingDetail>,
}

#[function_component(BuildingView)]
fn building_view(props: &BuildingViewProps) -> Html {
    let i18n = use_i18n();
    let building = &props.building;
    let summary = &building.summary;
    use_document_title(Some(summary.address.clone()));

    let parents = vec![(
        Route::Estate {
            id: building.estate_id,
        },
        AttrValue::from(building.estate_name.clone()),
    )];
    let facts = [
        ("building.in_estate", building.estate_name.clone()),
        ("building.code", summary.code.clone()),
        ("building.postcode", summary.postcode.clone()),
        ("building.floors", i18n.int(i64::from(summary.floors))),
        ("building.lift", i18n.yes_no(summary.has_lift)),
        ("building.homes", i18n.int(summary.homes)),
    ];
    let staircases = by_staircase(&building.units);

    html! {
        <>
            <Breadcrumb {parents} current={summary.address.clone()} />
            <h1 data-testid="page-title">{ summary.address.clone() }</h1>
            <ul class="cortile-facts lead mb-4">
                <li>{ building.estate_name.clone() }</li>
                <li>{ i18n.count("count.homes", summary.homes) }</li>
            </ul>

            <section class="mb-5" aria-labelledby="building-details-heading">
                <h2 id="building-details-heading" class="h3">{ i18n.t("building.details_heading") }</h2>
                <dl class="row cortile-details">
                    { for facts.iter().map(|(key, value)| html! {
                        <>
                            <dt class="col-sm-5 col-md-3">{ i18n.t(key) }</dt>
                            <dd class="col-sm-7 col-md-9">{ value.clone() }</dd>
                        </>
                    }) }
                </dl>
            </section>

            <section aria-labelledby="building-units-heading">
                <h2 id="building-units-heading" class="h3">{ i18n.t("building.units_heading") }</h2>
                if staircases.is_empty() {
                    <p>{ i18n.t("building.no_units") }</p>
                }
                { for staircases.iter().map(|(staircase, units)| staircase_table(&i18n, staircase, units)) }
            </section>
        </>
    }
}

/// Units grouped by staircase (in order), each group sorted by floor and code.
fn by_staircase(units: &[UnitSummary]) -> BTreeMap<&str, Vec<&UnitSummary>> {
    let mut groups: BTreeMap<&str, Vec<&UnitSummary>> = BTreeMap::new();
    for unit in units {
        groups
            .entry(unit.staircase.as_str())
            .or_default()
            .push(unit);
    }
    for group in groups.values_mut() {
        group.sort_by(|a, b| a.floor.cmp(&b.floor).then_with(|| a.code.cmp(&b.code)));
    }
    groups
}

fn floor_label(i18n: &I18n, floor: i32) -> String {
    if floor == 0 {
        i18n.t("building.ground_floor")
    } else {
        i18n.int(i64::from(floor))
    }
}

fn staircase_table(i18n: &I18n, staircase: &str, units: &[&UnitSummary]) -> Html {
    let heading_id = format!(
        "staircase-{}",
        staircase
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
    );
    html! {
        <div class="mb-4" key={staircase.to_owned()}>
            <h3 id={heading_id} class="h4">{ i18n.tf("building.staircase", &[("name", staircase)]) }</h3>
            <div class="table-responsive">
                <table class="table table-striped cortile-table">
                    <caption class="caption-top">{ i18n.tf("building.units_caption", &[("name", staircase)]) }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ i18n.t("building.col_code") }</th>
                            <th scope="col" class="text-end">{ i18n.t("building.col_floor") }</th>
                            <th scope="col" class="text-end">{ i18n.t("building.col_rooms") }</th>
                            <th scope="col" class="text-end">{ i18n.t("building.col_area") }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for units.iter().map(|u| html! {
                            <tr data-testid="unit-row" key={u.id.0}>
                                <th scope="row">{ u.code.clone() }</th>
                                <td class="text-end">{ floor_label(i18n, u.floor) }</td>
                                <td class="text-end">{ i18n.int(i64::from(u.rooms)) }</td>
                                <td class="text-end">{ i18n.decimal(u.area_m2, 1) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::UnitId;

    fn unit(id: i64, staircase: &str, floor: i32, code: &str) -> UnitSummary {
        UnitSummary {
            id: UnitId(id),
            code: code.to_owned(),
            staircase: staircase.to_owned(),
            floor,
            rooms: 3,
            area_m2: 60.0,
        }
    }

    #[test]
    fn units_are_grouped_by_staircase_and_sorted_by_floor() {
        let units = vec![
            unit(1, "B", 2, "B2"),
            unit(2, "A", 3, "A3"),
            unit(3, "A", 0, "A0"),
            unit(4, "B", 1, "B1"),
        ];
        let groups = by_staircase(&units);
        let keys: Vec<_> = groups.keys().copied().collect();
        assert_eq!(keys, ["A", "B"]);
        let a: Vec<_> = groups["A"].iter().map(|u| u.code.as_str()).collect();
        assert_eq!(a, ["A0", "A3"]);
        let b: Vec<_> = groups["B"].iter().map(|u| u.code.as_str()).collect();
        assert_eq!(b, ["B1", "B2"]);
    }

    #[test]
    fn ground_floor_has_a_name() {
        assert_eq!(
            floor_label(&I18n::fixed(cortile_shared::Locale::It), 0),
            "Terra"
        );
        assert_eq!(
            floor_label(&I18n::fixed(cortile_shared::Locale::En), 3),
            "3"
        );
    }
}
