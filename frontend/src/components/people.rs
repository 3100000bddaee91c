//! The people picker: finds people by name among those I share a community with, and keeps
//! the chosen ones (chat groups, time bank transfers).

use cortile_shared::auth::UserRef;
use cortile_shared::realtime::MIN_PEOPLE_QUERY;
use cortile_shared::UserId;
use yew::prelude::*;

use crate::components::form::event_value;
use crate::focus::{focus_id, focus_ref};
use crate::hooks::spawn;
use crate::i18n::use_i18n;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct PeoplePickerProps {
    /// Prefix of the element ids.
    pub id: AttrValue,
    pub selected: Vec<UserRef>,
    pub onchange: Callback<Vec<UserRef>>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    /// The fieldset's legend (default: "People").
    #[prop_or_default]
    pub legend: Option<AttrValue>,
}

/// Finds people by name (at least [`MIN_PEOPLE_QUERY`] letters; the server offers only those
/// I share a community with) and keeps the chosen ones, each with a button to take them off.
/// Adding someone puts the focus back in the search (their button is then disabled); taking
/// someone off moves it to the next "take off" button, or to the search when there is none;
/// either change is said in the status line.
#[function_component(PeoplePicker)]
pub fn people_picker(props: &PeoplePickerProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let query = use_state(String::new);
    let results = use_state(|| None::<Vec<UserRef>>);
    let latest = use_mut_ref(String::new);
    // Who was just added or taken off, said in the status line until the next search.
    let said = use_state(|| None::<String>);
    let search = use_node_ref();
    let id = props.id.to_string();
    let search_id = format!("{id}-search");
    let remove_id = {
        let id = id.clone();
        move |u: UserId| format!("{id}-remove-{}", u.0)
    };

    let oninput = {
        let (api, query, results, latest, said) = (
            session.api(),
            query.clone(),
            results.clone(),
            latest.clone(),
            said.clone(),
        );
        Callback::from(move |e: InputEvent| {
            let q = event_value(&e.into());
            query.set(q.clone());
            said.set(None);
            *latest.borrow_mut() = q.clone();
            if q.trim().chars().count() < MIN_PEOPLE_QUERY {
                results.set(None);
                return;
            }
            let (api, results, latest) = (api.clone(), results.clone(), latest.clone());
            spawn(async move {
                let found = api.find_people(&q).await;
                // Only the answer to what is typed now.
                if *latest.borrow() == q {
                    results.set(Some(found.unwrap_or_default()));
                }
            });
        })
    };
    let add = {
        let (selected, onchange) = (props.selected.clone(), props.onchange.clone());
        let (said, search, i18n) = (said.clone(), search.clone(), i18n.clone());
        Callback::from(move |u: UserRef| {
            if !selected.iter().any(|s| s.id == u.id) {
                said.set(Some(i18n.tf("people.added", &[("name", &u.display_name)])));
                let mut next = selected.clone();
                next.push(u);
                onchange.emit(next);
                // Its button is about to be disabled: back to the search, for the next one.
                focus_ref(&search);
            }
        })
    };
    let remove = {
        let (selected, onchange) = (props.selected.clone(), props.onchange.clone());
        let (said, search, i18n) = (said.clone(), search.clone(), i18n.clone());
        let remove_id = remove_id.clone();
        Callback::from(move |u: UserId| {
            let Some(at) = selected.iter().position(|s| s.id == u) else {
                return;
            };
            said.set(Some(
                i18n.tf("people.removed", &[("name", &selected[at].display_name)]),
            ));
            // The button goes with its line: the next line's takes the focus (it stays on the
            // page, the lines being keyed), or the search when it was the last.
            let moved = selected
                .get(at + 1)
                .is_some_and(|next| focus_id(&remove_id(next.id)));
            if !moved {
                focus_ref(&search);
            }
            onchange.emit(selected.iter().filter(|s| s.id != u).cloned().collect());
        })
    };
    let status = match (&*said, &*results) {
        (Some(said), _) => said.clone(),
        (None, None) => String::new(),
        (None, Some(list)) if list.is_empty() => i18n.t("people.found_none"),
        (None, Some(list)) => i18n.count("people.found", list.len() as i64),
    };
    // Enter in the search looks for people; it must not send the form around the picker.
    let keep_enter = Callback::from(|e: KeyboardEvent| {
        if e.key() == "Enter" {
            e.prevent_default();
        }
    });
    let error_id = format!("{id}-error");
    html! {
        <fieldset class="mb-3 cortile-people-picker" aria-describedby={props.error.as_ref().map(|_| error_id.clone())}>
            <legend class="form-label fs-6 fw-semibold">{ props.legend.clone().unwrap_or_else(|| i18n.t("people.people").into()) }</legend>
            <label for={search_id.clone()} class="form-label">{ i18n.t("people.search") }</label>
            <input id={search_id.clone()} ref={search} type="search" class="form-control" autocomplete="off"
                data-testid="people-search" value={(*query).clone()} {oninput} onkeydown={keep_enter}
                aria-describedby={format!("{id}-help")} />
            <p id={format!("{id}-help")} class="form-text cortile-help">{ i18n.t("people.search_help") }</p>
            <p role="status" class="small mb-1" data-testid="people-status">{ status }</p>
            if let Some(list) = &*results {
                <ul class="list-unstyled mb-2" data-testid="people-results">
                    { for list.iter().map(|u| {
                        let chosen = props.selected.iter().any(|s| s.id == u.id);
                        let onclick = { let u = u.clone(); add.reform(move |_: MouseEvent| u.clone()) };
                        html! {
                            <li key={u.id.0} class="mb-1">
                                <button type="button" class="btn btn-sm btn-outline-primary" data-testid="people-add"
                                    data-user-id={u.id.0.to_string()} disabled={chosen} {onclick}
                                    aria-label={i18n.tf("people.add_person", &[("name", &u.display_name)])}>
                                    { format!("+ {}", u.display_name) }
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            }
            <p class="mb-1 fw-semibold">{ i18n.t("people.chosen") }</p>
            if props.selected.is_empty() {
                <p class="small text-muted" data-testid="people-none">{ i18n.t("people.chosen_none") }</p>
            } else {
                <ul class="list-group mb-2" data-testid="people-selected">
                    { for props.selected.iter().map(|u| {
                        let uid = u.id;
                        let onclick = remove.reform(move |_: MouseEvent| uid);
                        html! {
                            <li key={u.id.0} class="list-group-item d-flex justify-content-between align-items-center"
                                data-testid="people-chosen" data-user-id={u.id.0.to_string()}>
                                { u.display_name.clone() }
                                <button type="button" id={remove_id(uid)} class="btn btn-sm btn-outline-secondary" {onclick}
                                    aria-label={i18n.tf("people.remove_person", &[("name", &u.display_name)])}>
                                    { i18n.t("people.remove") }
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            }
            if let Some(e) = &props.error {
                <p id={error_id} class="cortile-field-error" data-testid="people-error">{ e.clone() }</p>
            }
        </fieldset>
    }
}
