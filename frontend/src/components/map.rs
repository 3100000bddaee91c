//! A Leaflet map of estates (polygons), buildings and maintenance reports (circle markers).
//!
//! Leaflet 1.9 is loaded by a `<script>` tag in `index.html` and reached through the global `L`.
//! The map is decoration on top of the data: every page that shows one also lists the same
//! estates or buildings as text, and the map container is a labelled region. Without tiles
//! (the server sends none when they are switched off) the shapes show on a plain background.

use std::rc::Rc;

use cortile_shared::meta::MapTiles;
use cortile_shared::registry::FEATURE_KIND;
use cortile_shared::{BuildingId, EstateId};
use geojson::{Feature, FeatureCollection, Value as Geometry};
use serde_json::json;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{ConfigContext, Route};
use crate::hooks::Remote;
use crate::i18n::use_i18n;

#[wasm_bindgen]
extern "C" {
    /// `L.Map`.
    type LeafletMap;
    /// Any Leaflet layer or control.
    type Layer;
    /// `L.FeatureGroup`.
    #[wasm_bindgen(extends = Layer)]
    type FeatureGroup;
    /// `L.LatLngBounds`.
    type LatLngBounds;

    #[wasm_bindgen(js_namespace = L, js_name = map, catch)]
    fn leaflet_map(element: &HtmlElement, options: &JsValue) -> Result<LeafletMap, JsValue>;
    #[wasm_bindgen(method, js_name = fitBounds)]
    fn fit_bounds(this: &LeafletMap, bounds: &LatLngBounds, options: &JsValue);
    #[wasm_bindgen(method, js_name = setView)]
    fn set_view(this: &LeafletMap, center: &JsValue, zoom: f64);
    #[wasm_bindgen(method)]
    fn remove(this: &LeafletMap);
    #[wasm_bindgen(method, js_name = on)]
    fn on_map(this: &LeafletMap, event: &str, handler: &js_sys::Function);

    #[wasm_bindgen(js_namespace = ["L", "control"], js_name = zoom)]
    fn zoom_control(options: &JsValue) -> Layer;
    #[wasm_bindgen(js_namespace = L, js_name = tileLayer)]
    fn tile_layer(url_template: &str, options: &JsValue) -> Layer;
    #[wasm_bindgen(js_namespace = L, js_name = geoJSON)]
    fn geo_json(data: &JsValue, options: &JsValue) -> Layer;
    #[wasm_bindgen(js_namespace = L, js_name = circleMarker)]
    fn circle_marker(lat_lng: &JsValue, options: &JsValue) -> Layer;
    #[wasm_bindgen(js_namespace = L, js_name = featureGroup)]
    fn feature_group() -> FeatureGroup;

    #[wasm_bindgen(method, js_name = addTo)]
    fn add_to(this: &Layer, map: &LeafletMap) -> Layer;
    #[wasm_bindgen(method, js_name = remove)]
    fn remove_layer(this: &Layer);
    #[wasm_bindgen(method, js_name = bindTooltip)]
    fn bind_tooltip(this: &Layer, content: &HtmlElement, options: &JsValue) -> Layer;
    #[wasm_bindgen(method)]
    fn on(this: &Layer, event: &str, handler: &js_sys::Function) -> Layer;

    #[wasm_bindgen(method, js_name = addLayer)]
    fn add_layer(this: &FeatureGroup, layer: &Layer) -> FeatureGroup;
    #[wasm_bindgen(method, js_name = getBounds)]
    fn get_bounds(this: &FeatureGroup) -> LatLngBounds;
    #[wasm_bindgen(method, js_name = isValid)]
    fn is_valid(this: &LatLngBounds) -> bool;
}

/// Milan's centre, for a map with nothing to fit.
const MILAN: [f64; 2] = [45.4642, 9.19];
/// Option under which each shape remembers which entry of the route table it opens.
const TARGET_OPTION: &str = "cortileTarget";

fn estate_style() -> serde_json::Value {
    json!({ "color": "#0059b3", "weight": 2, "fillColor": "#0066cc", "fillOpacity": 0.18 })
}

fn building_style(radius: f64) -> serde_json::Value {
    let weight = if radius < 5.0 { 1 } else { 2 };
    json!({ "radius": radius, "color": "#ffffff", "weight": weight, "fillColor": "#17324d", "fillOpacity": 1.0 })
}

#[derive(Properties, PartialEq)]
pub struct MapProps {
    /// Estates (`kind` = `estate`, polygons) and buildings (`kind` = `building`, points).
    pub features: Rc<FeatureCollection>,
    /// The accessible name of the map region.
    pub label: AttrValue,
    /// Id of a text that explains the map and points to its text alternative.
    #[prop_or_default]
    pub described_by: Option<AttrValue>,
    /// Radius of the building markers in pixels: smaller on a map of the whole city.
    #[prop_or(6.0)]
    pub marker_radius: f64,
}

/// The map. Clicking an estate or a building opens its page.
#[function_component(Map)]
pub fn map(props: &MapProps) -> Html {
    let node = use_node_ref();
    let i18n = use_i18n();
    let navigator = use_navigator();
    let tiles = match use_context::<ConfigContext>() {
        Some(Remote::Ready(config)) => config.map_tiles.clone(),
        _ => None,
    };
    let zoom_titles = (i18n.t("map.zoom_in"), i18n.t("map.zoom_out"));

    {
        let node = node.clone();
        use_effect_with(
            (
                props.features.clone(),
                tiles,
                zoom_titles,
                props.marker_radius.to_bits(),
            ),
            move |(features, tiles, titles, radius)| {
                let live = node.cast::<HtmlElement>().and_then(|element| {
                    let open: Rc<dyn Fn(Route)> = Rc::new(move |route| {
                        if let Some(navigator) = &navigator {
                            navigator.push(&route);
                        }
                    });
                    let style = MapStyle {
                        marker_radius: f64::from_bits(*radius),
                    };
                    match LiveMap::build(&element, features, tiles.as_ref(), titles, style, open) {
                        Ok(live) => Some(live),
                        Err(err) => {
                            web_sys::console::warn_2(
                                &"cortile: the map could not be drawn".into(),
                                &err,
                            );
                            None
                        }
                    }
                });
                move || drop(live)
            },
        );
    }

    html! {
        <div
            ref={node}
            class="cortile-map"
            data-testid="map"
            role="region"
            aria-label={props.label.clone()}
            aria-describedby={props.described_by.clone()}
        />
    }
}

/// How the shapes are drawn.
#[derive(Clone, Copy)]
struct MapStyle {
    marker_radius: f64,
}

/// A drawn map and the click handler it calls; dropping it removes the map.
struct LiveMap {
    map: LeafletMap,
    _on_click: Closure<dyn FnMut(JsValue)>,
}

impl Drop for LiveMap {
    fn drop(&mut self) {
        self.map.remove();
    }
}

/// A plain JS value from JSON (options objects, GeoJSON).
fn js(value: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::UNDEFINED)
}

fn with_target(mut style: serde_json::Value, index: usize) -> serde_json::Value {
    if let Some(object) = style.as_object_mut() {
        object.insert(TARGET_OPTION.to_owned(), json!(index));
    }
    style
}

fn property<'a>(feature: &'a Feature, name: &str) -> Option<&'a serde_json::Value> {
    feature.properties.as_ref().and_then(|p| p.get(name))
}

/// The page a feature opens, and the text of its tooltip.
fn target(feature: &Feature) -> Option<(Route, String)> {
    let id = property(feature, "id")?.as_i64()?;
    let text = |name: &str| {
        property(feature, name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    match property(feature, FEATURE_KIND)?.as_str()? {
        "estate" => Some((Route::Estate { id: EstateId(id) }, text("name"))),
        "building" => Some((Route::Building { id: BuildingId(id) }, text("address"))),
        // Maintenance reports (the web app adds `kind` and `name` to the server's points).
        "report" => Some((Route::Report { id }, text("name"))),
        "listing" => Some((
            Route::Listing {
                id: cortile_shared::ListingId(id),
            },
            text("title"),
        )),
        _ => None,
    }
}

fn text_element(text: &str) -> Result<HtmlElement, JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let span: HtmlElement = document.create_element("span")?.dyn_into()?;
    // Text, never HTML: names come from the database.
    span.set_text_content(Some(text));
    Ok(span)
}

/// A Leaflet map in `element` with the zoom buttons (titled in the page's language), the tiles
/// if any, no scroll-wheel zoom; the caller adds its layers.
fn base_map(
    element: &HtmlElement,
    tiles: Option<&MapTiles>,
    zoom_in: &str,
    zoom_out: &str,
) -> Result<LeafletMap, JsValue> {
    let leaflet = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("L"))?;
    if leaflet.is_undefined() {
        return Err(JsValue::from_str("Leaflet (global L) is not loaded"));
    }
    let map = leaflet_map(
        element,
        &js(&json!({ "zoomControl": false, "scrollWheelZoom": false, "zoomSnap": 0.5 })),
    )?;
    zoom_control(&js(
        &json!({ "zoomInTitle": zoom_in, "zoomOutTitle": zoom_out }),
    ))
    .add_to(&map);
    if let Some(tiles) = tiles {
        tile_layer(
            &tiles.url,
            &js(&json!({ "attribution": tiles.attribution, "maxZoom": 19 })),
        )
        .add_to(&map);
    }
    Ok(map)
}

impl LiveMap {
    fn build(
        element: &HtmlElement,
        features: &FeatureCollection,
        tiles: Option<&MapTiles>,
        (zoom_in, zoom_out): &(String, String),
        style: MapStyle,
        open: Rc<dyn Fn(Route)>,
    ) -> Result<LiveMap, JsValue> {
        // From here on, `live` removes the map again if anything fails.
        let mut live = LiveMap {
            map: base_map(element, tiles, zoom_in, zoom_out)?,
            _on_click: Closure::new(|_: JsValue| {}),
        };

        let group = feature_group();
        let mut routes = Vec::new();
        // Polygons first, so the building markers are drawn on top of them.
        let polygons = features.features.iter().filter(|f| !is_point(f));
        let points = features.features.iter().filter(|f| is_point(f));
        for feature in polygons.chain(points) {
            let Some((route, label)) = target(feature) else {
                continue;
            };
            let index = routes.len();
            let layer = match feature.geometry.as_ref().map(|g| &g.value) {
                Some(Geometry::Point(position)) if position.len() >= 2 => circle_marker(
                    &js(&json!([position[1], position[0]])),
                    &js(&with_target(building_style(style.marker_radius), index)),
                ),
                Some(Geometry::Polygon(_) | Geometry::MultiPolygon(_)) => {
                    let data = js(&serde_json::to_value(feature)
                        .map_err(|e| JsValue::from_str(&e.to_string()))?);
                    geo_json(&data, &js(&with_target(estate_style(), index)))
                }
                _ => continue,
            };
            if !label.is_empty() {
                layer.bind_tooltip(&text_element(&label)?, &js(&json!({ "sticky": true })));
            }
            group.add_layer(&layer);
            routes.push(route);
        }
        group.add_to(&live.map);

        let bounds = group.get_bounds();
        if bounds.is_valid() {
            live.map
                .fit_bounds(&bounds, &js(&json!({ "padding": [16, 16], "maxZoom": 17 })));
        } else {
            live.map.set_view(&js(&json!(MILAN)), 11.0);
        }

        let on_click = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let index = js_sys::Reflect::get(&event, &"sourceTarget".into())
                .and_then(|layer| js_sys::Reflect::get(&layer, &"options".into()))
                .and_then(|options| js_sys::Reflect::get(&options, &TARGET_OPTION.into()))
                .ok()
                .and_then(|v| v.as_f64());
            if let Some(route) = index.and_then(|i| routes.get(i as usize)) {
                open(route.clone());
            }
        });
        group.on("click", on_click.as_ref().unchecked_ref());
        live._on_click = on_click;
        Ok(live)
    }
}

fn is_point(feature: &Feature) -> bool {
    matches!(
        feature.geometry.as_ref().map(|g| &g.value),
        Some(Geometry::Point(_))
    )
}

#[derive(Properties, PartialEq)]
pub struct PointPickerProps {
    /// Estates (polygons) and buildings (points) drawn under the point, for orientation.
    pub features: Rc<FeatureCollection>,
    /// The accessible name of the map region.
    pub label: AttrValue,
    /// Id of a text that explains the map and names its keyboard alternative.
    #[prop_or_default]
    pub described_by: Option<AttrValue>,
    /// The point chosen, (latitude, longitude).
    pub point: Option<(f64, f64)>,
    /// Called with (latitude, longitude) where the map was clicked.
    pub onpick: Callback<(f64, f64)>,
}

/// The shapes drawn under a point being chosen: the estate's (with its buildings) when one is
/// known, else every estate; loaded only while the point is being chosen (`shown`).
#[hook]
pub fn use_point_features(estate: Option<EstateId>, shown: bool) -> Option<Rc<FeatureCollection>> {
    let features = crate::hooks::use_remote((estate, shown), |(e, shown)| async move {
        if !shown {
            return Ok(None);
        }
        let features = match e {
            Some(e) => crate::api::get_estate(e).await?.geojson,
            None => crate::api::get_estates_map().await?,
        };
        Ok(Some(Rc::new(features)))
    });
    match &features.state {
        Remote::Ready(f) => (**f).clone(),
        _ => None,
    }
}

/// A map to choose a point by clicking it (a marker shows the point chosen). Pointer only: the
/// pages that use it offer the same choice as text fields and lists.
#[function_component(PointPicker)]
pub fn point_picker(props: &PointPickerProps) -> Html {
    let node = use_node_ref();
    let i18n = use_i18n();
    let tiles = match use_context::<ConfigContext>() {
        Some(Remote::Ready(config)) => config.map_tiles.clone(),
        _ => None,
    };
    let zoom_titles = (i18n.t("map.zoom_in"), i18n.t("map.zoom_out"));
    let live = use_mut_ref(|| None::<PickerMap>);
    {
        let (node, live, onpick) = (node.clone(), live.clone(), props.onpick.clone());
        use_effect_with(
            (props.features.clone(), tiles, zoom_titles),
            move |(features, tiles, titles)| {
                if let Some(element) = node.cast::<HtmlElement>() {
                    match PickerMap::build(&element, features, tiles.as_ref(), titles, onpick) {
                        Ok(map) => *live.borrow_mut() = Some(map),
                        Err(err) => web_sys::console::warn_2(
                            &"cortile: the map could not be drawn".into(),
                            &err,
                        ),
                    }
                }
                move || drop(live.borrow_mut().take())
            },
        );
    }
    {
        let live = live.clone();
        use_effect_with(
            props.point.map(|(lat, lon)| (lat.to_bits(), lon.to_bits())),
            move |point| {
                if let Some(map) = live.borrow_mut().as_mut() {
                    map.mark(point.map(|(lat, lon)| (f64::from_bits(lat), f64::from_bits(lon))));
                }
            },
        );
    }
    html! {
        <div
            ref={node}
            class="cortile-map cortile-map-pick"
            data-testid="point-map"
            role="region"
            aria-label={props.label.clone()}
            aria-describedby={props.described_by.clone()}
        />
    }
}

/// A drawn picking map, its click handler and the marker of the point chosen.
struct PickerMap {
    map: LeafletMap,
    marker: Option<Layer>,
    _on_click: Closure<dyn FnMut(JsValue)>,
}

impl Drop for PickerMap {
    fn drop(&mut self) {
        self.map.remove();
    }
}

impl PickerMap {
    fn build(
        element: &HtmlElement,
        features: &FeatureCollection,
        tiles: Option<&MapTiles>,
        (zoom_in, zoom_out): &(String, String),
        onpick: Callback<(f64, f64)>,
    ) -> Result<PickerMap, JsValue> {
        let mut live = PickerMap {
            map: base_map(element, tiles, zoom_in, zoom_out)?,
            marker: None,
            _on_click: Closure::new(|_: JsValue| {}),
        };
        // The shapes only orient: not interactive, so every click reaches the map.
        let group = feature_group();
        for feature in features.features.iter() {
            let layer = match feature.geometry.as_ref().map(|g| &g.value) {
                Some(Geometry::Point(position)) if position.len() >= 2 => {
                    let mut style = building_style(4.0);
                    if let Some(o) = style.as_object_mut() {
                        o.insert("interactive".to_owned(), json!(false));
                    }
                    circle_marker(&js(&json!([position[1], position[0]])), &js(&style))
                }
                Some(Geometry::Polygon(_) | Geometry::MultiPolygon(_)) => {
                    let data = js(&serde_json::to_value(feature)
                        .map_err(|e| JsValue::from_str(&e.to_string()))?);
                    let mut style = estate_style();
                    if let Some(o) = style.as_object_mut() {
                        o.insert("interactive".to_owned(), json!(false));
                    }
                    geo_json(&data, &js(&style))
                }
                _ => continue,
            };
            group.add_layer(&layer);
        }
        group.add_to(&live.map);
        let bounds = group.get_bounds();
        if bounds.is_valid() {
            live.map
                .fit_bounds(&bounds, &js(&json!({ "padding": [16, 16], "maxZoom": 17 })));
        } else {
            live.map.set_view(&js(&json!(MILAN)), 11.0);
        }
        let on_click = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let at = js_sys::Reflect::get(&event, &"latlng".into()).ok();
            let get = |name: &str| {
                at.as_ref()
                    .and_then(|a| js_sys::Reflect::get(a, &name.into()).ok())
                    .and_then(|v| v.as_f64())
            };
            if let (Some(lat), Some(lon)) = (get("lat"), get("lng")) {
                onpick.emit((lat, lon));
            }
        });
        live.map.on_map("click", on_click.as_ref().unchecked_ref());
        live._on_click = on_click;
        Ok(live)
    }

    /// Shows the point chosen (and only it).
    fn mark(&mut self, point: Option<(f64, f64)>) {
        if let Some(old) = self.marker.take() {
            old.remove_layer();
        }
        if let Some((lat, lon)) = point {
            let marker = circle_marker(
                &js(&json!([lat, lon])),
                &js(&json!({ "radius": 9, "color": "#ffffff", "weight": 3,
                    "fillColor": "#d9364f", "fillOpacity": 1.0, "interactive": false })),
            );
            marker.add_to(&self.map);
            self.marker = Some(marker);
        }
    }
}
