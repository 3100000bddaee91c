//! Choosing an estate, then one of its buildings, from two lists: the staff queue's filter, and
//! the report form of people who have no home of their own (staff, custodians, operators).
//! Two labelled selects: usable with the keyboard and read by screen readers as they are.

use cortile_shared::EstateId;
use yew::prelude::*;

use crate::components::{estate_options, SelectField};
use crate::hooks::{use_remote, Remote};
use crate::i18n::use_i18n;

#[derive(Properties, PartialEq)]
pub struct BuildingPickerProps {
    /// Prefix of the two selects' ids (`{id}-estate`, `{id}-building`).
    pub id: AttrValue,
    /// The estate chosen (its id as text; empty: none).
    pub estate: AttrValue,
    /// The building chosen (its id as text; empty: none).
    pub building: AttrValue,
    /// A new estate chosen: the owner forgets the building chosen in the old one.
    pub on_estate: Callback<String>,
    pub on_building: Callback<String>,
    /// The text of the empty choice ("any" in a filter, "choose" in a form).
    pub empty_label: AttrValue,
    #[prop_or_default]
    pub building_help: Option<AttrValue>,
    /// An error about the building (from the server).
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

#[function_component(BuildingPicker)]
pub fn building_picker(props: &BuildingPickerProps) -> Html {
    let i18n = use_i18n();
    let estates = use_remote((), |_| crate::api::list_all_estates());
    let estate_id = props.estate.parse::<i64>().ok().filter(|n| *n > 0);
    let detail = use_remote(estate_id, |id| async move {
        match id {
            Some(id) => crate::api::get_estate(EstateId(id)).await.map(Some),
            None => Ok(None),
        }
    });
    let empty = (AttrValue::from(""), props.empty_label.clone());
    let estate_options = estate_options(&i18n, &estates.state, props.empty_label.to_string());
    let mut building_options = vec![empty];
    if let Some(estate) = match &detail.state {
        Remote::Ready(d) => d.as_ref().as_ref(),
        _ => None,
    } {
        let mut list = estate.buildings_list.clone();
        list.sort_by(|a, b| a.address.cmp(&b.address));
        building_options.extend(list.iter().map(|b| {
            (
                AttrValue::from(b.id.0.to_string()),
                AttrValue::from(b.address.clone()),
            )
        }));
    }
    html! {
        <>
            <SelectField id={format!("{}-estate", props.id)} label={i18n.t("picker.estate")}
                value={props.estate.clone()} options={estate_options} onchange={props.on_estate.clone()}
                testid={format!("{}-estate", props.id)} />
            if estate_id.is_some() {
                <SelectField id={format!("{}-building", props.id)} label={i18n.t("picker.building")}
                    value={props.building.clone()} options={building_options}
                    onchange={props.on_building.clone()} help={props.building_help.clone()}
                    error={props.error.clone()} testid={format!("{}-building", props.id)} />
            }
        </>
    }
}
