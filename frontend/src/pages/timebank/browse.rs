//! `/banca-del-tempo/annunci`: the catalogue of offers and requests I may see, with filters
//! (kind, category, price type, reach, distance from my home), as a list and on the map.

use std::rc::Rc;

use cortile_shared::market::{Category, Listing, ListingKind, ListingReach, PriceType};
use geojson::{Feature, FeatureCollection, Geometry, Value};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{category_text, kind_text, listing_card, price_type_text, reach_text, use_more};
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, Loading, Map, SelectField};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::session::use_session;

/// The distances offered by the filter, in metres.
const DISTANCES: [i64; 5] = [500, 1_000, 2_000, 5_000, 10_000];

#[derive(Clone, Default, PartialEq)]
struct Filters {
    kind: String,
    category: String,
    price_type: String,
    reach: String,
    distance: String,
}

impl Filters {
    fn query(&self) -> Vec<(&'static str, String)> {
        [
            ("kind", &self.kind),
            ("category", &self.category),
            ("price_type", &self.price_type),
            ("reach", &self.reach),
            ("max_distance_m", &self.distance),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect()
    }
}

/// The listings as points on the map (each opens its page).
fn features(list: &[Listing]) -> Rc<FeatureCollection> {
    let features = list
        .iter()
        .map(|l| {
            let mut props = serde_json::Map::new();
            props.insert("kind".into(), "listing".into());
            props.insert("id".into(), l.id.0.into());
            props.insert("title".into(), l.title.clone().into());
            Feature {
                bbox: None,
                geometry: Some(Geometry::new(Value::Point(vec![l.lon, l.lat]))),
                id: None,
                properties: Some(props),
                foreign_members: None,
            }
        })
        .collect();
    Rc::new(FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    })
}

/// How many listings are shown: "12 annunci", or, when there are more to load, "I primi 100
/// annunci: ce ne sono altri" (the server gives no total).
fn count_text(i18n: &I18n, shown: usize, more: bool) -> String {
    let shown = shown as i64;
    if more {
        i18n.tf("market.results_partial", &[("count", &i18n.int(shown))])
    } else {
        i18n.count("market.results", shown)
    }
}

#[function_component(ListingsPage)]
pub fn listings_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("market.browse_title");
    use_document_title(Some(title.clone()));
    let filters = use_state(Filters::default);
    let has_home = session.me().is_some_and(|m| m.residence.is_some());
    let listings = {
        let api = session.api();
        use_remote(((*filters).clone(), api), |(f, api)| async move {
            let owned = f.query();
            let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
            api.listings(&pairs).await
        })
    };
    // The pages after the first; forgotten when the filters change.
    let more = use_more::<Listing>();
    {
        let more = more.clone();
        use_effect_with((*filters).clone(), move |_| more.reset());
    }
    let all = i18n.t("market.filter.all");
    let select = |id: &'static str,
                  label: String,
                  value: &str,
                  options: Vec<(String, String)>,
                  set: fn(&mut Filters, String)| {
        let filters = filters.clone();
        let mut opts = vec![(AttrValue::from(""), AttrValue::from(all.clone()))];
        opts.extend(
            options
                .into_iter()
                .map(|(v, t)| (AttrValue::from(v), AttrValue::from(t))),
        );
        html! {
            <div class="col-12 col-md-6 col-lg-4">
                <SelectField
                    id={id}
                    label={label}
                    value={AttrValue::from(value.to_owned())}
                    options={opts}
                    testid={id}
                    onchange={Callback::from(move |v: String| {
                        let mut f = (*filters).clone();
                        set(&mut f, v);
                        filters.set(f);
                    })}
                />
            </div>
        }
    };
    let f = (*filters).clone();
    let controls = html! {
        <form class="row" aria-label={i18n.t("market.filters")} onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            { select("filter-kind", i18n.t("market.field.kind"), &f.kind,
                ListingKind::ALL.iter().map(|k| (k.as_str().to_owned(), kind_text(&i18n, *k))).collect(),
                |f, v| f.kind = v) }
            { select("filter-category", i18n.t("market.field.category"), &f.category,
                Category::ALL.iter().map(|c| (c.as_str().to_owned(), category_text(&i18n, *c))).collect(),
                |f, v| f.category = v) }
            { select("filter-price", i18n.t("market.field.price_type"), &f.price_type,
                PriceType::ALL.iter().map(|p| (p.as_str().to_owned(), price_type_text(&i18n, *p))).collect(),
                |f, v| f.price_type = v) }
            { select("filter-reach", i18n.t("market.field.reach"), &f.reach,
                ListingReach::ALL.iter().map(|r| (r.as_str().to_owned(), reach_text(&i18n, *r))).collect(),
                |f, v| f.reach = v) }
            if has_home {
                { select("filter-distance", i18n.t("market.field.distance"), &f.distance,
                    DISTANCES.iter().map(|d| (d.to_string(), super::distance_text(&i18n, *d as f64))).collect(),
                    |f, v| f.distance = v) }
            }
        </form>
    };
    // The count lives outside the results, always present, so that a screen reader hears it
    // change when a filter is changed (an element added with its text is often not read).
    let count = match &listings.state {
        Remote::Ready(page) => count_text(
            &i18n,
            page.items.len() + more.items().len(),
            more.cursor(&page.next).is_some(),
        ),
        _ => String::new(),
    };
    let results = match &listings.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => {
            html! { <ErrorState error={e.clone()} retry={listings.retry.clone()} /> }
        }
        Remote::Ready(page) => {
            let all: Vec<Listing> = page.items.iter().chain(more.items()).cloned().collect();
            let load_more = {
                let (api, filters) = (session.api(), (*filters).clone());
                more.button(more.cursor(&page.next), "listings-more", move |after| {
                    let (api, filters) = (api.clone(), filters.clone());
                    async move {
                        let mut owned = filters.query();
                        owned.push(("after", after));
                        let pairs: Vec<(&str, &str)> =
                            owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        api.listings(&pairs).await
                    }
                })
            };
            html! {
                <>
                    if all.is_empty() {
                        <p>{ i18n.t("market.no_results") }</p>
                    } else {
                        <div class="mb-4">
                            <p id="listings-map-note" class="cortile-help">{ i18n.t("market.map_note") }</p>
                            <Map features={features(&all)} label={i18n.t("market.map_label")} described_by="listings-map-note" />
                        </div>
                        <ul class="list-unstyled" data-testid="listings">
                            { for all.iter().map(|l| listing_card(&i18n, l)) }
                        </ul>
                        { load_more }
                    }
                </>
            }
        }
    };
    let parents = vec![(Route::TimeBank, AttrValue::from(i18n.t("timebank.title")))];
    html! {
        <>
            <Breadcrumb {parents} current={title.clone()} />
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("market.browse_intro") }</p>
            <p>
                <Link<Route> to={Route::NewListing} classes="btn btn-primary">{ i18n.t("timebank.new_listing") }</Link<Route>>
            </p>
            { controls }
            <h2 class="h4">{ i18n.t("market.results_heading") }</h2>
            <p aria-live="polite" data-testid="listings-count">{ count }</p>
            { results }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn the_count_does_not_claim_a_full_page_is_all() {
        let it = I18n::fixed(Locale::It);
        assert_eq!(count_text(&it, 1, false), "1 annuncio");
        assert_eq!(count_text(&it, 12, false), "12 annunci");
        let partial = count_text(&it, 100, true);
        assert!(
            partial.contains("100") && partial != "100 annunci",
            "{partial}"
        );
    }
}
