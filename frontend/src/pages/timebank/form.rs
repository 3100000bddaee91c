//! `/banca-del-tempo/annunci/nuovo` and `/banca-del-tempo/annunci/:id/modifica`: an offer or
//! a request — category, title, description (markdown), price (hours, euro, free), estimated
//! time, availability, reach, and for members of verified organisations, in whose name.

use cortile_shared::market::{
    Category, Listing, ListingInput, ListingKind, ListingReach, ListingStatus, PriceType,
};
use cortile_shared::{ListingId, OrganisationId};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{category_text, kind_text, market_field_error, price_type_text, reach_text};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, FormAlert, Loading, SelectField, TextField};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::pages::community::images::{ImageList, ImagePicker, NotReady};
use crate::session::use_session;

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
    reach: ListingReach,
    organisation: String,
    status: ListingStatus,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            kind: ListingKind::Offer,
            category: Category::Errands,
            title: String::new(),
            description: String::new(),
            price_type: PriceType::Hours,
            price: "1".into(),
            estimated_minutes: String::new(),
            availability: String::new(),
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
    fn from_listing(l: &Listing) -> Draft {
        let price = match (l.price_type, l.price_amount) {
            (PriceType::Hours, Some(m)) => format!("{}", m as f64 / 60.0),
            (PriceType::Euro, Some(c)) => format!("{:.2}", c as f64 / 100.0),
            _ => String::new(),
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
            reach: l.reach,
            organisation: l
                .organisation
                .as_ref()
                .map(|o| o.id.to_string())
                .unwrap_or_default(),
            status: l.status,
        }
    }

    fn input(&self, editing: Option<&Listing>) -> ListingInput {
        let price_amount = match self.price_type {
            PriceType::Hours => scaled(&self.price, 60.0),
            PriceType::Euro => scaled(&self.price, 100.0),
            PriceType::Free => None,
        };
        ListingInput {
            kind: self.kind,
            category: self.category,
            title: self.title.clone(),
            description: self.description.clone(),
            price_type: self.price_type,
            price_amount,
            estimated_minutes: self.estimated_minutes.trim().parse().ok(),
            availability: self.availability.clone(),
            place: editing.map(|l| l.place),
            reach: self.reach,
            organisation_id: self.organisation.parse().ok().map(OrganisationId),
            status: editing.map(|_| self.status),
            images: None,
        }
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
    let draft = {
        let editing = editing.clone();
        use_state(move || {
            editing
                .as_deref()
                .map(Draft::from_listing)
                .unwrap_or_default()
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

    let set = |edit: fn(&mut Draft, String)| {
        let draft = draft.clone();
        Callback::from(move |v: String| {
            let mut d = (*draft).clone();
            edit(&mut d, v);
            draft.set(d);
        })
    };
    let onsubmit = {
        let (api, draft, error, busy) = (session.api(), draft.clone(), error.clone(), busy.clone());
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
            busy.set(true);
            let mut input = draft.input(editing.as_deref());
            input.images = Some(refs);
            let (api, error, busy, navigator) =
                (api.clone(), error.clone(), busy.clone(), navigator.clone());
            let editing = editing.clone();
            spawn(async move {
                let result = match &editing {
                    Some(l) => api.update_listing(l.id, &input).await,
                    None => api.create_listing(&input).await,
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
                        options={opts(PriceType::ALL.iter().map(|p| (p.as_str(), price_type_text(&i18n, *p))).collect())}
                        onchange={set(|d, v| d.price_type = PriceType::parse(&v).unwrap_or(PriceType::Free))}
                        help={i18n.t("market.field.price_type_help")}
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
                    <SelectField id="listing-reach" label={i18n.t("market.field.reach")}
                        value={AttrValue::from(d.reach.as_str())}
                        options={opts(ListingReach::ALL.iter().map(|r| (r.as_str(), reach_text(&i18n, *r))).collect())}
                        onchange={set(|d, v| d.reach = ListingReach::parse(&v).unwrap_or(ListingReach::City))}
                        help={i18n.t("market.field.reach_help")}
                        error={market_field_error(&i18n, failed, "reach").or_else(|| market_field_error(&i18n, failed, "place"))}
                        testid="listing-reach" />
                    if editing.is_none() && !my_orgs.is_empty() {
                        <SelectField id="listing-organisation" label={i18n.t("market.field.organisation")}
                            value={AttrValue::from(d.organisation.clone())}
                            options={std::iter::once((AttrValue::from(""), AttrValue::from(i18n.t("market.field.organisation_none")))).chain(my_orgs).collect::<Vec<_>>()}
                            onchange={set(|d, v| d.organisation = v)}
                            testid="listing-organisation" />
                    }
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
    fn prices_are_read_as_typed() {
        assert_eq!(scaled("1,5", 60.0), Some(90));
        assert_eq!(scaled("12.50", 100.0), Some(1250));
        assert_eq!(scaled("due", 60.0), None);
        assert_eq!(scaled("-1", 60.0), None);
    }
}
