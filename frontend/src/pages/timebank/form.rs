//! `/banca-del-tempo/annunci/nuovo` and `/banca-del-tempo/annunci/:id/modifica`: an offer or
//! a request — category, title, description (markdown), price (hours, euro, free), estimated
//! time, availability, where (my home's estate, an estate, or a point), reach, and for members
//! of verified organisations, in whose name.

use cortile_shared::market::{
    Category, Listing, ListingInput, ListingKind, ListingPlace, ListingReach, ListingStatus,
    PriceType,
};
use cortile_shared::{EstateId, ListingId, OrganisationId};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{
    category_text, field_problem, kind_text, market_field_error, price_type_text, reach_text,
};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::{
    estate_options, use_point_features, Breadcrumb, ErrorState, FormAlert, Loading, PointPicker,
    SelectField, TextField,
};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::images::{ImageList, ImagePicker, NotReady};
use crate::realtime::new_client_msg_id;
use crate::session::use_session;

/// Where a listing is, as chosen in the form.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Where {
    /// The estate of my home (the server's choice when no place is sent).
    Home,
    /// An estate chosen from the list.
    Estate,
    /// A point, clicked on the map or typed.
    Point,
}

impl Where {
    const ALL: [Where; 3] = [Where::Home, Where::Estate, Where::Point];

    fn as_str(self) -> &'static str {
        match self {
            Where::Home => "home",
            Where::Estate => "estate",
            Where::Point => "point",
        }
    }
}

/// A coordinate as typed ("45,4642" or "45.4642").
fn coordinate(raw: &str) -> Option<f64> {
    let x: f64 = raw.trim().replace(',', ".").parse().ok()?;
    x.is_finite().then_some(x)
}

/// The form's fields as typed.
#[derive(Clone, PartialEq)]
struct Draft {
    kind: ListingKind,
    category: Category,
    title: String,
    description: String,
    price_type: PriceType,
    /// Hours (as typed, e.g. "1,5") or euro (e.g. "12,50").
    price: String,
    estimated_minutes: String,
    availability: String,
    place: Where,
    /// The estate chosen (its id as text; empty: none).
    estate: String,
    lat: String,
    lon: String,
    reach: ListingReach,
    organisation: String,
    status: ListingStatus,
}

impl Draft {
    /// A new listing: at my home's estate if I have a home, else in an estate to choose.
    fn new(has_home: bool) -> Self {
        Draft {
            kind: ListingKind::Offer,
            category: Category::Errands,
            title: String::new(),
            description: String::new(),
            price_type: PriceType::Hours,
            price: "1".into(),
            estimated_minutes: String::new(),
            availability: String::new(),
            place: if has_home { Where::Home } else { Where::Estate },
            estate: String::new(),
            lat: String::new(),
            lon: String::new(),
            reach: ListingReach::Estate,
            organisation: String::new(),
            status: ListingStatus::Open,
        }
    }
}

/// A decimal as typed in Italian or English ("1,5" or "1.5") times `unit`, rounded.
fn scaled(raw: &str, unit: f64) -> Option<i64> {
    let x: f64 = raw.trim().replace(',', ".").parse().ok()?;
    (x.is_finite() && x >= 0.0).then(|| (x * unit).round() as i64)
}

impl Draft {
    /// The form of a listing being edited. Its place is shown as it is (an estate or a point),
    /// never as "my home": the listing's home is its author's when it was written, which need
    /// not be the editor's today, and the place sent back must be the one shown.
    fn from_listing(i18n: &I18n, l: &Listing) -> Draft {
        // As the reader would type it: "0,33" hours, "12,5" euro.
        let price = match (l.price_type, l.price_amount) {
            (PriceType::Hours, Some(m)) => i18n.decimal_input(m as f64 / 60.0, 2),
            (PriceType::Euro, Some(c)) => i18n.decimal_input(c as f64 / 100.0, 2),
            _ => String::new(),
        };
        let (place, estate, lat, lon) = match l.place {
            ListingPlace::Estate { estate_id } => (
                Where::Estate,
                estate_id.0.to_string(),
                String::new(),
                String::new(),
            ),
            ListingPlace::Point { lat, lon } => (
                Where::Point,
                String::new(),
                lat.to_string(),
                lon.to_string(),
            ),
        };
        Draft {
            kind: l.kind,
            category: l.category,
            title: l.title.clone(),
            description: l.description.clone().unwrap_or_default(),
            price_type: l.price_type,
            price,
            estimated_minutes: l
                .estimated_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            availability: l.availability.clone(),
            place,
            estate,
            lat,
            lon,
            reach: l.reach,
            organisation: l
                .organisation
                .as_ref()
                .map(|o| o.id.to_string())
                .unwrap_or_default(),
            status: l.status,
        }
    }

    /// Publish in my name (empty) or an organisation's: organisations do not price in hours
    /// (hours are between residents), so an hour price becomes one in euro, to be written.
    fn publish_as(&mut self, organisation: String) {
        if !organisation.is_empty() && self.price_type == PriceType::Hours {
            self.price_type = PriceType::Euro;
            self.price = String::new();
        }
        self.organisation = organisation;
    }

    /// The place to send: none for my home (the server puts it at my home's estate), else
    /// the estate or the point; a missing estate or an unreadable coordinate is refused here,
    /// in the server's terms.
    fn place(&self) -> Result<Option<ListingPlace>, ApiError> {
        match self.place {
            Where::Home => Ok(None),
            Where::Estate => match self.estate.parse::<i64>() {
                Ok(id) if id > 0 => Ok(Some(ListingPlace::Estate {
                    estate_id: EstateId(id),
                })),
                _ => Err(field_problem("place.estate_id", "required")),
            },
            Where::Point => match (coordinate(&self.lat), coordinate(&self.lon)) {
                (Some(lat), Some(lon)) => Ok(Some(ListingPlace::Point { lat, lon })),
                (None, _) => Err(field_problem("place.lat", "invalid_format")),
                (_, None) => Err(field_problem("place.lon", "invalid_format")),
            },
        }
    }

    fn input(&self, editing: Option<&Listing>) -> Result<ListingInput, ApiError> {
        let price_amount = match self.price_type {
            PriceType::Hours => scaled(&self.price, 60.0),
            PriceType::Euro => scaled(&self.price, 100.0),
            PriceType::Free => None,
        };
        Ok(ListingInput {
            kind: self.kind,
            category: self.category,
            title: self.title.clone(),
            description: self.description.clone(),
            price_type: self.price_type,
            price_amount,
            estimated_minutes: self.estimated_minutes.trim().parse().ok(),
            availability: self.availability.clone(),
            place: self.place()?,
            reach: self.reach,
            organisation_id: self.organisation.parse().ok().map(OrganisationId),
            // Only a change made here: a form opened before someone closed the listing does
            // not open it again.
            status: editing.and_then(|l| (l.status != self.status).then_some(self.status)),
            images: None,
        })
    }
}

#[derive(Properties, PartialEq)]
pub struct EditListingProps {
    pub id: ListingId,
}

/// Creating a listing.
#[function_component(NewListingPage)]
pub fn new_listing_page() -> Html {
    html! { <ListingForm editing={None::<std::rc::Rc<Listing>>} /> }
}

/// Editing my listing (loaded first).
#[function_component(EditListingPage)]
pub fn edit_listing_page(props: &EditListingProps) -> Html {
    let session = use_session();
    let listing = {
        let api = session.api();
        use_remote(
            (props.id, api),
            |(id, api)| async move { api.listing(id).await },
        )
    };
    match &listing.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => {
            html! { <ErrorState error={e.clone()} retry={listing.retry.clone()} /> }
        }
        Remote::Ready(l) => html! { <ListingForm editing={Some(l.clone())} /> },
    }
}

#[derive(Properties, PartialEq)]
struct ListingFormProps {
    editing: Option<std::rc::Rc<Listing>>,
}

#[function_component(ListingForm)]
fn listing_form(props: &ListingFormProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let editing = props.editing.clone();
    let title = i18n.t(if editing.is_some() {
        "market.edit_title"
    } else {
        "market.new_title"
    });
    use_document_title(Some(title.clone()));
    // Members without a home (e.g. of an organisation) say where: an estate or a point.
    let home = session
        .me()
        .and_then(|me| me.residence.as_ref().map(|r| r.home.clone()));
    let home_estate = home.as_ref().map(|h| h.estate_id);
    let has_home = home.is_some();
    let draft = {
        let (editing, i18n) = (editing.clone(), i18n.clone());
        use_state(move || match editing.as_deref() {
            Some(l) => Draft::from_listing(&i18n, l),
            None => Draft::new(has_home),
        })
    };
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let images = {
        let own = editing
            .as_deref()
            .map(|l| l.images.clone())
            .unwrap_or_default();
        use_reducer(move || ImageList::of_post(&own))
    };
    let not_ready = use_state(|| None::<NotReady>);
    let organisations = {
        let api = session.api();
        use_remote(api, |api| async move { api.organisations().await })
    };
    // The list of estates, once someone chooses to name one.
    let estates = use_remote(draft.place == Where::Estate, |shown| async move {
        if shown {
            crate::api::list_all_estates().await
        } else {
            Ok(Vec::new())
        }
    });
    // The shapes under the point: the estate chosen or my home's, else every estate.
    let map_estate = draft
        .estate
        .parse::<i64>()
        .ok()
        .map(EstateId)
        .or(home_estate);
    let picker_features = use_point_features(map_estate, draft.place == Where::Point);

    let set = |edit: fn(&mut Draft, String)| {
        let draft = draft.clone();
        Callback::from(move |v: String| {
            let mut d = (*draft).clone();
            edit(&mut d, v);
            draft.set(d);
        })
    };
    // The key of the last request sent, with its content: the same content sent again (a
    // retry after a lost answer) keeps the key, so it makes no second listing.
    let sent = use_mut_ref(|| None::<(String, String)>);
    let onsubmit = {
        let (api, draft, error, busy) = (session.api(), draft.clone(), error.clone(), busy.clone());
        let sent = sent.clone();
        let (images, not_ready) = (images.clone(), not_ready.clone());
        let editing = editing.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            // Photos still uploading, or without a description, hold the form back.
            let refs = match images.refs() {
                Ok(refs) => refs,
                Err(why) => {
                    not_ready.set(Some(why));
                    return;
                }
            };
            not_ready.set(None);
            let mut input = match draft.input(editing.as_deref()) {
                Ok(input) => input,
                Err(e) => {
                    error.set(Some(e));
                    return;
                }
            };
            input.images = Some(refs);
            let content = serde_json::to_string(&input).unwrap_or_default();
            let key = {
                let mut sent = sent.borrow_mut();
                match &*sent {
                    Some((same, key)) if *same == content => key.clone(),
                    _ => {
                        let key = new_client_msg_id();
                        *sent = Some((content, key.clone()));
                        key
                    }
                }
            };
            busy.set(true);
            let (api, error, busy, navigator) =
                (api.clone(), error.clone(), busy.clone(), navigator.clone());
            let editing = editing.clone();
            spawn(async move {
                let result = match &editing {
                    Some(l) => api.update_listing(l.id, &input).await,
                    None => api.create_listing(&input, &key).await,
                };
                busy.set(false);
                match result {
                    Ok(l) => {
                        error.set(None);
                        if let Some(n) = navigator {
                            n.push(&Route::Listing { id: l.id });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let failed = (*error).as_ref();
    let d = (*draft).clone();
    let opts = |list: Vec<(&'static str, String)>| -> Vec<(AttrValue, AttrValue)> {
        list.into_iter()
            .map(|(v, t)| (AttrValue::from(v), AttrValue::from(t)))
            .collect()
    };
    let my_orgs: Vec<(AttrValue, AttrValue)> = match &organisations.state {
        Remote::Ready(list) => list
            .iter()
            .filter(|o| o.member && o.verified)
            .map(|o| {
                (
                    AttrValue::from(o.id.to_string()),
                    AttrValue::from(o.name.clone()),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    // Without a home one publishes only for an organisation: the first is chosen at once.
    {
        let draft = draft.clone();
        let first = my_orgs
            .first()
            .filter(|_| !has_home && editing.is_none())
            .map(|(id, _)| id.to_string());
        use_effect_with(first, move |first| {
            if let Some(id) = first {
                if draft.organisation.is_empty() {
                    let mut d = (*draft).clone();
                    d.publish_as(id.clone());
                    draft.set(d);
                }
            }
        });
    }
    let estate_options = estate_options(&i18n, &estates.state, i18n.t("picker.choose"));
    let typed_point = coordinate(&d.lat).zip(coordinate(&d.lon));
    let on_pick = {
        let draft = draft.clone();
        Callback::from(move |(lat, lon): (f64, f64)| {
            let mut d = (*draft).clone();
            d.lat = format!("{lat:.6}");
            d.lon = format!("{lon:.6}");
            draft.set(d);
        })
    };
    let place_label = |w: Where| match w {
        Where::Home => i18n.tf(
            "market.place.home",
            &[(
                "estate",
                home.as_ref()
                    .map(|h| h.estate_name.as_str())
                    .unwrap_or_default(),
            )],
        ),
        Where::Estate => i18n.t("market.place.estate"),
        Where::Point => i18n.t("market.place.point"),
    };
    let place_error = market_field_error(&i18n, failed, "place");
    let place_view = html! {
        <fieldset class="mb-3" data-testid="listing-place"
            aria-describedby={if place_error.is_some() { "listing-place-help listing-place-error" } else { "listing-place-help" }}>
            <legend class="form-label">{ i18n.t("market.field.place") }</legend>
            <p id="listing-place-help" class="form-text cortile-help">{ i18n.t("market.field.place_help") }</p>
            { for Where::ALL.iter().filter(|w| (has_home && editing.is_none()) || **w != Where::Home).map(|w| {
                let id = format!("listing-place-{}", w.as_str());
                let checked = d.place == *w;
                let onchange = {
                    let (draft, w) = (draft.clone(), *w);
                    Callback::from(move |_: Event| {
                        let mut d = (*draft).clone();
                        d.place = w;
                        draft.set(d);
                    })
                };
                html! {
                    <div class="form-check">
                        <input id={id.clone()} type="radio" name="listing-place" value={w.as_str()}
                            {checked} {onchange} data-testid={id.clone()} />
                        <label for={id}>{ place_label(*w) }</label>
                    </div>
                }
            }) }
            if let Some(e) = place_error.clone() {
                <p id="listing-place-error" class="cortile-field-error">{ e }</p>
            }
            if d.place == Where::Estate {
                <SelectField id="listing-estate" label={i18n.t("picker.estate")}
                    value={AttrValue::from(d.estate.clone())} options={estate_options}
                    onchange={set(|d, v| d.estate = v)}
                    error={market_field_error(&i18n, failed, "place.estate_id")}
                    testid="listing-estate" />
            }
            if d.place == Where::Point {
                <p id="listing-point-help" class="form-text cortile-help">{ i18n.t("market.place.point_help") }</p>
                if let Some(features) = picker_features {
                    <PointPicker features={features} label={i18n.t("market.place.point_map")}
                        described_by="listing-point-help" point={typed_point} onpick={on_pick} />
                }
                <TextField id="listing-lat" label={i18n.t("market.place.lat")} value={d.lat.clone()}
                    oninput={set(|d, v| d.lat = v)} required=true
                    error={market_field_error(&i18n, failed, "place.lat")} testid="listing-lat" />
                <TextField id="listing-lon" label={i18n.t("market.place.lon")} value={d.lon.clone()}
                    oninput={set(|d, v| d.lon = v)} required=true
                    error={market_field_error(&i18n, failed, "place.lon")} testid="listing-lon" />
            }
        </fieldset>
    };
    let price_label = match d.price_type {
        PriceType::Hours => Some(i18n.t("market.field.price_hours")),
        PriceType::Euro => Some(i18n.t("market.field.price_euro")),
        PriceType::Free => None,
    };
    let parents = vec![
        (Route::TimeBank, AttrValue::from(i18n.t("timebank.title"))),
        (
            Route::Listings,
            AttrValue::from(i18n.t("market.browse_title")),
        ),
    ];
    html! {
        <>
            <Breadcrumb {parents} current={title.clone()} />
            <div class="cortile-narrow">
                <h1 data-testid="page-title">{ title }</h1>
                <p class="lead">{ i18n.t("market.form_intro") }</p>
                <FormAlert error={(*error).clone()} testid="listing-error" />
                <form {onsubmit} novalidate=true>
                    if editing.is_none() {
                        <SelectField id="listing-kind" label={i18n.t("market.field.kind")}
                            value={AttrValue::from(d.kind.as_str())}
                            options={opts(ListingKind::ALL.iter().map(|k| (k.as_str(), kind_text(&i18n, *k))).collect())}
                            onchange={set(|d, v| d.kind = ListingKind::parse(&v).unwrap_or(ListingKind::Offer))}
                            help={i18n.t("market.field.kind_help")}
                            testid="listing-kind" />
                    }
                    if editing.is_none() && !my_orgs.is_empty() {
                        <SelectField id="listing-organisation" label={i18n.t("market.field.organisation")}
                            value={AttrValue::from(d.organisation.clone())}
                            options={has_home.then(|| (AttrValue::from(""), AttrValue::from(i18n.t("market.field.organisation_none")))).into_iter().chain(my_orgs).collect::<Vec<_>>()}
                            onchange={set(Draft::publish_as)}
                            help={i18n.t("market.field.organisation_help")}
                            testid="listing-organisation" />
                    }
                    <SelectField id="listing-category" label={i18n.t("market.field.category")}
                        value={AttrValue::from(d.category.as_str())}
                        options={opts(Category::ALL.iter().map(|c| (c.as_str(), category_text(&i18n, *c))).collect())}
                        onchange={set(|d, v| d.category = Category::parse(&v).unwrap_or(Category::Other))}
                        testid="listing-category" />
                    <TextField id="listing-title" label={i18n.t("market.field.title")} value={d.title.clone()}
                        oninput={set(|d, v| d.title = v)} required=true
                        error={market_field_error(&i18n, failed, "title")} testid="listing-title" />
                    <TextField id="listing-description" multiline=true label={i18n.t("market.field.description")}
                        help={i18n.t("market.field.description_help")} value={d.description.clone()}
                        oninput={set(|d, v| d.description = v)}
                        error={market_field_error(&i18n, failed, "description")} testid="listing-description" />
                    <SelectField id="listing-price-type" label={i18n.t("market.field.price_type")}
                        value={AttrValue::from(d.price_type.as_str())}
                        options={opts(PriceType::ALL.iter().filter(|p| d.organisation.is_empty() || **p != PriceType::Hours).map(|p| (p.as_str(), price_type_text(&i18n, *p))).collect())}
                        onchange={set(|d, v| d.price_type = PriceType::parse(&v).unwrap_or(PriceType::Free))}
                        help={i18n.t(if d.organisation.is_empty() { "market.field.price_type_help" } else { "market.field.price_type_help_organisation" })}
                        error={market_field_error(&i18n, failed, "price_type")}
                        testid="listing-price-type" />
                    if let Some(label) = price_label {
                        <TextField id="listing-price" label={label} value={d.price.clone()}
                            oninput={set(|d, v| d.price = v)} required=true
                            error={market_field_error(&i18n, failed, "price_amount")} testid="listing-price" />
                    }
                    <TextField id="listing-estimated" kind="number" label={i18n.t("market.field.estimated_minutes")}
                        value={d.estimated_minutes.clone()} oninput={set(|d, v| d.estimated_minutes = v)}
                        error={market_field_error(&i18n, failed, "estimated_minutes")} testid="listing-estimated" />
                    <TextField id="listing-availability" label={i18n.t("market.field.availability")}
                        help={i18n.t("market.field.availability_help")} value={d.availability.clone()}
                        oninput={set(|d, v| d.availability = v)}
                        error={market_field_error(&i18n, failed, "availability")} testid="listing-availability" />
                    { place_view }
                    <SelectField id="listing-reach" label={i18n.t("market.field.reach")}
                        value={AttrValue::from(d.reach.as_str())}
                        options={opts(ListingReach::ALL.iter().map(|r| (r.as_str(), reach_text(&i18n, *r))).collect())}
                        onchange={set(|d, v| d.reach = ListingReach::parse(&v).unwrap_or(ListingReach::City))}
                        help={i18n.t("market.field.reach_help")}
                        error={market_field_error(&i18n, failed, "reach")}
                        testid="listing-reach" />
                    if editing.is_some() {
                        <SelectField id="listing-status" label={i18n.t("market.field.status")}
                            value={AttrValue::from(d.status.as_str())}
                            options={opts(vec![("open", i18n.t("market.status.open")), ("closed", i18n.t("market.status.closed"))])}
                            onchange={set(|d, v| d.status = ListingStatus::parse(&v).unwrap_or(ListingStatus::Open))}
                            testid="listing-status" />
                    }
                    <ImagePicker list={images.clone()} id="listing" error={(*error).clone()} not_ready={*not_ready} />
                    <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="listing-submit">
                        { i18n.t(if *busy { "market.saving" } else if editing.is_some() { "market.save" } else { "market.publish" }) }
                    </button>
                </form>
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_is_my_home_or_what_was_chosen() {
        assert_eq!(Draft::new(true).place, Where::Home);
        assert_eq!(Draft::new(false).place, Where::Estate);
        let mut d = Draft::new(true);
        assert_eq!(d.place().ok(), Some(None));
        d.place = Where::Estate;
        let refused = d.place().expect_err("no estate chosen");
        assert!(refused.field("place.estate_id").is_some());
        d.estate = "7".into();
        assert_eq!(
            d.place().ok(),
            Some(Some(ListingPlace::Estate {
                estate_id: EstateId(7)
            }))
        );
        d.place = Where::Point;
        d.lat = "45,4642".into();
        let refused = d.place().expect_err("no longitude");
        assert!(refused.field("place.lon").is_some());
        d.lon = "9.19".into();
        assert_eq!(
            d.place().ok(),
            Some(Some(ListingPlace::Point {
                lat: 45.4642,
                lon: 9.19
            }))
        );
    }

    #[test]
    fn prices_shown_for_editing_read_back_the_same() {
        for locale in cortile_shared::Locale::ALL {
            let i18n = I18n::fixed(locale);
            for m in 1..=6_000 {
                let shown = i18n.decimal_input(m as f64 / 60.0, 2);
                assert_eq!(scaled(&shown, 60.0), Some(m), "{shown}");
            }
            for c in [1, 50, 1250, 1_000_000] {
                let shown = i18n.decimal_input(c as f64 / 100.0, 2);
                assert_eq!(scaled(&shown, 100.0), Some(c), "{shown}");
            }
        }
        let it = I18n::fixed(cortile_shared::Locale::It);
        assert_eq!(it.decimal_input(20.0 / 60.0, 2), "0,33");
    }

    #[test]
    fn an_organisation_does_not_price_in_hours() {
        let mut d = Draft::new(false);
        assert_eq!((d.price_type, d.price.as_str()), (PriceType::Hours, "1"));
        d.publish_as("3".into());
        assert_eq!(
            (d.price_type, d.price.as_str(), d.organisation.as_str()),
            (PriceType::Euro, "", "3")
        );
        d.price_type = PriceType::Free;
        d.publish_as(String::new());
        assert_eq!(
            (d.price_type, d.organisation.as_str()),
            (PriceType::Free, "")
        );
    }

    #[test]
    fn prices_are_read_as_typed() {
        assert_eq!(scaled("1,5", 60.0), Some(90));
        assert_eq!(scaled("12.50", 100.0), Some(1250));
        assert_eq!(scaled("due", 60.0), None);
        assert_eq!(scaled("-1", 60.0), None);
    }
}
