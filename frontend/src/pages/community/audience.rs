//! "A chi è rivolto": the audience of an announcement in the composer of an estate's or a
//! building's community, for those who may pin. Buildings, staircase, age band, households
//! with children or elderly people, languages and interests; an empty choice is everyone. A
//! live preview says how many people the choice reaches (never who).

use std::rc::Rc;

use cortile_shared::auth::Role;
use cortile_shared::community::CommunityKind;
use cortile_shared::profile::{Audience, INTERESTS, LANGUAGES};
use cortile_shared::registry::BuildingSummary;
use cortile_shared::{BuildingId, CommunityId, EstateId};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{field_error, Checkbox, FormAlert, TextField};
use crate::hooks::{spawn, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::session::use_session;

/// An edit of the form by a checkbox, and by a text field.
type CheckEdit = Rc<dyn Fn(&mut AudienceForm, bool)>;
type TextEdit = Rc<dyn Fn(&mut AudienceForm, String)>;

/// How long the choice must rest before the reach is counted again.
const REACH_DELAY_MS: i32 = 400;

/// The audience as the form holds it (numbers as typed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AudienceForm {
    pub buildings: Vec<BuildingId>,
    pub staircase: String,
    pub age_min: String,
    pub age_max: String,
    pub with_children: bool,
    pub with_elderly: bool,
    pub languages: Vec<String>,
    pub interests: Vec<String>,
    pub roles: Vec<Role>,
}

/// The roles an announcement may be addressed to: those residents hold in their estate.
pub const AUDIENCE_ROLES: [Role; 3] = [Role::CommitteeMember, Role::Custodian, Role::BuildingAdmin];

/// A whole number of years, or nothing for an empty field (`Err` for anything else).
fn parse_age(text: &str) -> Result<Option<i32>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i32>().map(Some).map_err(|_| ())
}

impl AudienceForm {
    /// The audience the form describes (an age that is not a number counts as not given;
    /// [`AudienceForm::bad_ages`] names it).
    pub fn to_audience(&self) -> Audience {
        let mut buildings = self.buildings.clone();
        buildings.sort_by_key(|b| b.0);
        buildings.dedup();
        let staircase = self.staircase.trim();
        let in_order = |chosen: &[String], all: &[&str]| -> Vec<String> {
            all.iter()
                .filter(|code| chosen.iter().any(|c| c == *code))
                .map(|code| (*code).to_owned())
                .collect()
        };
        Audience {
            buildings,
            staircase: (!staircase.is_empty()).then(|| staircase.to_owned()),
            age_min: parse_age(&self.age_min).ok().flatten(),
            age_max: parse_age(&self.age_max).ok().flatten(),
            with_children: self.with_children,
            with_elderly: self.with_elderly,
            languages: in_order(&self.languages, &LANGUAGES),
            interests: in_order(&self.interests, &INTERESTS),
            roles: AUDIENCE_ROLES
                .into_iter()
                .filter(|r| self.roles.contains(r))
                .collect(),
        }
    }

    /// The age fields (by their API name) whose text is not a whole number.
    pub fn bad_ages(&self) -> Vec<&'static str> {
        [
            ("audience.age_min", &self.age_min),
            ("audience.age_max", &self.age_max),
        ]
        .into_iter()
        .filter(|(_, text)| parse_age(text).is_err())
        .map(|(field, _)| field)
        .collect()
    }

    /// Whether no rule is set: the post is for the whole community.
    pub fn is_everyone(&self) -> bool {
        self.bad_ages().is_empty() && self.to_audience().is_everyone()
    }

    /// What a new post carries: nothing for everyone.
    pub fn for_post(&self) -> Option<Audience> {
        let audience = self.to_audience();
        (!audience.is_everyone()).then_some(audience)
    }
}

/// Adds `item` to `list` or takes it out.
pub fn toggle<T: PartialEq>(list: &mut Vec<T>, item: T, on: bool) {
    let present = list.contains(&item);
    if on && !present {
        list.push(item);
    } else if !on {
        list.retain(|x| *x != item);
    }
}

/// The words after a language's own name, in the page's language: "(arabo)" after
/// "العربية"; nothing when the two are the same word ("Italiano" on an Italian page).
pub fn language_note(native: &str, local: &str) -> Option<String> {
    (native.to_lowercase() != local.to_lowercase()).then(|| format!("({local})"))
}

/// A checkbox for a language: its own name (in its language), then the page's name for it.
pub fn language_checkbox(
    i18n: &I18n,
    id: String,
    testid: String,
    code: &'static str,
    checked: bool,
    onchange: Callback<bool>,
) -> Html {
    let native = i18n.t(&format!("language.native.{code}"));
    let local = i18n.t(&format!("language.{code}"));
    let note = language_note(&native, &local);
    html! {
        <Checkbox
            id={id}
            label={native}
            label_lang={AttrValue::Static(code)}
            label_note={note.map(AttrValue::from)}
            {checked}
            {onchange}
            testid={testid}
        />
    }
}

/// Whether a failure names any audience field.
pub fn names_audience(error: Option<&ApiError>) -> bool {
    error.is_some_and(|e| {
        e.field_errors()
            .iter()
            .any(|f| f.field.starts_with("audience"))
    })
}

/// Waits `ms` milliseconds on the browser's clock.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[derive(Properties, PartialEq)]
pub struct AudienceFieldsProps {
    pub community: CommunityId,
    pub kind: CommunityKind,
    pub estate_id: Option<EstateId>,
    pub form: AudienceForm,
    pub onchange: Callback<AudienceForm>,
    /// The composer's last failure, whose audience errors show here too.
    #[prop_or_default]
    pub submit_error: Option<ApiError>,
}

/// The collapsible "A chi è rivolto" section with its live reach preview.
#[function_component(AudienceFields)]
pub fn audience_fields(props: &AudienceFieldsProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let open = use_state(|| false);
    let reach = use_state(|| None::<i64>);
    let reach_error = use_state(|| None::<ApiError>);
    let counting = use_state(|| false);
    let generation = use_mut_ref(|| 0u64);

    // The estate's buildings, for an estate's community.
    let estate = match props.kind {
        CommunityKind::Estate => props.estate_id,
        _ => None,
    };
    let buildings = use_remote(estate, |estate| async move {
        match estate {
            Some(id) => api::get_estate(id).await.map(|e| e.buildings_list),
            None => Ok(Vec::<BuildingSummary>::new()),
        }
    });

    let bad_ages = props.form.bad_ages();
    let shown = *open || names_audience(props.submit_error.as_ref());

    // Count again when the choice rests for a moment.
    {
        let api = session.api();
        let (reach, reach_error, counting, generation) = (
            reach.clone(),
            reach_error.clone(),
            counting.clone(),
            generation.clone(),
        );
        let audience = props.form.to_audience();
        let valid = bad_ages.is_empty();
        use_effect_with(
            (props.community, audience, shown, valid),
            move |(id, audience, shown, valid)| {
                let mine = {
                    let mut g = generation.borrow_mut();
                    *g += 1;
                    *g
                };
                if *shown && *valid {
                    let (id, audience) = (*id, audience.clone());
                    counting.set(true);
                    spawn(async move {
                        sleep(REACH_DELAY_MS).await;
                        if *generation.borrow() != mine {
                            return;
                        }
                        let result = api.reach(id, &audience).await;
                        if *generation.borrow() != mine {
                            return;
                        }
                        counting.set(false);
                        match result {
                            Ok(r) => {
                                reach_error.set(None);
                                reach.set(Some(r.people));
                            }
                            Err(err) => {
                                reach.set(None);
                                reach_error.set(Some(err));
                            }
                        }
                    });
                } else {
                    counting.set(false);
                }
            },
        );
    }

    let form = &props.form;
    let change = |edit: CheckEdit| {
        let (form, onchange) = (form.clone(), props.onchange.clone());
        Callback::from(move |on: bool| {
            let mut next = form.clone();
            edit(&mut next, on);
            onchange.emit(next);
        })
    };
    let change_text = |edit: TextEdit| {
        let (form, onchange) = (form.clone(), props.onchange.clone());
        Callback::from(move |text: String| {
            let mut next = form.clone();
            edit(&mut next, text);
            onchange.emit(next);
        })
    };

    // Errors: mine (ages that are not numbers), then the reach's, then the last submit's.
    let server_error = |field: &str| {
        field_error(&i18n, (*reach_error).as_ref(), field)
            .or_else(|| field_error(&i18n, props.submit_error.as_ref(), field))
    };
    let age_error = |field: &'static str| {
        if bad_ages.contains(&field) {
            Some(AttrValue::from(i18n.t("audience.age_not_number")))
        } else {
            server_error(field)
        }
    };
    let group_error = |field: &str, id: &str| -> Html {
        match server_error(field) {
            Some(text) => {
                html! { <p id={format!("{id}-error")} class="cortile-field-error">{ text }</p> }
            }
            None => html! {},
        }
    };
    let group_described =
        |field: &str, id: &str| server_error(field).map(|_| format!("{id}-error"));

    let buildings_view = match (props.kind, &buildings.state) {
        (CommunityKind::Estate, Remote::Ready(list)) if !list.is_empty() => html! {
            <fieldset class="mb-3" aria-describedby={group_described("audience.buildings", "audience-buildings")}>
                <legend class="h6">{ i18n.t("audience.buildings") }</legend>
                { for list.iter().map(|b| {
                    let id = b.id;
                    html! {
                        <Checkbox
                            id={format!("audience-building-{id}")}
                            label={b.address.clone()}
                            checked={form.buildings.contains(&id)}
                            onchange={change(Rc::new(move |f, on| toggle(&mut f.buildings, id, on)))}
                            testid={format!("audience-building-{id}")}
                        />
                    }
                }) }
                { group_error("audience.buildings", "audience-buildings") }
            </fieldset>
        },
        (CommunityKind::Estate, Remote::Failed(error)) => html! {
            <FormAlert error={error.clone()} testid="audience-buildings-error" />
        },
        _ => html! {},
    };

    let reach_text = if let Some(err) = &*reach_error {
        if err.field_errors().is_empty() {
            i18n.t("audience.reach_failed")
        } else {
            i18n.t("audience.reach_check")
        }
    } else if !bad_ages.is_empty() {
        i18n.t("audience.reach_check")
    } else {
        match *reach {
            Some(n) if form.is_everyone() => i18n.count("audience.reach_everyone", n),
            Some(n) => i18n.count("audience.reach", n),
            None => i18n.t("audience.counting"),
        }
    };

    let toggle_open = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };

    html! {
        <div class="cortile-audience mb-3">
            <button type="button" class="btn btn-outline-primary btn-sm" data-testid="audience-toggle"
                aria-expanded={if shown { "true" } else { "false" }}
                aria-controls="audience-panel"
                onclick={toggle_open}>
                { i18n.t("audience.toggle") }
            </button>
            if !shown {
                <p class="cortile-help mt-1 mb-0" data-testid="audience-summary">
                    { i18n.t(if form.is_everyone() { "audience.summary_everyone" } else { "audience.summary_targeted" }) }
                </p>
            }
            <div id="audience-panel" class="card card-body mt-2 cortile-audience-panel" hidden={!shown}>
                <p class="cortile-help">{ i18n.t("audience.intro") }</p>
                { buildings_view }
                <TextField
                    id="audience-staircase"
                    label={i18n.t("audience.staircase")}
                    help={i18n.t("audience.staircase_help")}
                    value={form.staircase.clone()}
                    oninput={change_text(Rc::new(|f, v| f.staircase = v))}
                    error={server_error("audience.staircase")}
                    testid="audience-staircase"
                />
                <fieldset class="mb-3">
                    <legend class="h6">{ i18n.t("audience.age") }</legend>
                    <div class="row">
                        <div class="col-6">
                            <TextField
                                id="audience-age-min"
                                kind="number"
                                label={i18n.t("audience.age_min")}
                                value={form.age_min.clone()}
                                oninput={change_text(Rc::new(|f, v| f.age_min = v))}
                                error={age_error("audience.age_min")}
                                testid="audience-age-min"
                            />
                        </div>
                        <div class="col-6">
                            <TextField
                                id="audience-age-max"
                                kind="number"
                                label={i18n.t("audience.age_max")}
                                value={form.age_max.clone()}
                                oninput={change_text(Rc::new(|f, v| f.age_max = v))}
                                error={age_error("audience.age_max")}
                                testid="audience-age-max"
                            />
                        </div>
                    </div>
                </fieldset>
                <fieldset class="mb-3">
                    <legend class="h6">{ i18n.t("audience.households") }</legend>
                    <Checkbox
                        id="audience-children"
                        label={i18n.t("audience.with_children")}
                        checked={form.with_children}
                        onchange={change(Rc::new(|f, on| f.with_children = on))}
                        testid="audience-children"
                    />
                    <Checkbox
                        id="audience-elderly"
                        label={i18n.t("audience.with_elderly")}
                        checked={form.with_elderly}
                        onchange={change(Rc::new(|f, on| f.with_elderly = on))}
                        testid="audience-elderly"
                    />
                </fieldset>
                <fieldset class="mb-3" aria-describedby={group_described("audience.languages", "audience-languages")}>
                    <legend class="h6">{ i18n.t("audience.languages") }</legend>
                    { for LANGUAGES.iter().map(|code| {
                        let code: &'static str = code;
                        language_checkbox(
                            &i18n,
                            format!("audience-language-{code}"),
                            format!("audience-language-{code}"),
                            code,
                            form.languages.iter().any(|l| l == code),
                            change(Rc::new(move |f, on| toggle(&mut f.languages, code.to_owned(), on))),
                        )
                    }) }
                    { group_error("audience.languages", "audience-languages") }
                </fieldset>
                <fieldset class="mb-3" aria-describedby={group_described("audience.interests", "audience-interests")}>
                    <legend class="h6">{ i18n.t("audience.interests") }</legend>
                    { for INTERESTS.iter().map(|code| {
                        let code: &'static str = code;
                        html! {
                            <Checkbox
                                id={format!("audience-interest-{code}")}
                                label={i18n.t(&format!("interest.{code}"))}
                                checked={form.interests.iter().any(|i| i == code)}
                                onchange={change(Rc::new(move |f, on| toggle(&mut f.interests, code.to_owned(), on)))}
                                testid={format!("audience-interest-{code}")}
                            />
                        }
                    }) }
                    { group_error("audience.interests", "audience-interests") }
                </fieldset>
                <fieldset class="mb-3" aria-describedby={group_described("audience.roles", "audience-roles")}>
                    <legend class="h6">{ i18n.t("audience.roles") }</legend>
                    <p class="cortile-help">{ i18n.t("audience.roles_help") }</p>
                    { for AUDIENCE_ROLES.iter().map(|role| {
                        let role = *role;
                        let code = role.as_str();
                        html! {
                            <Checkbox
                                id={format!("audience-role-{code}")}
                                label={i18n.t(&format!("role.{code}"))}
                                checked={form.roles.contains(&role)}
                                onchange={change(Rc::new(move |f, on| toggle(&mut f.roles, role, on)))}
                                testid={format!("audience-role-{code}")}
                            />
                        }
                    }) }
                    { group_error("audience.roles", "audience-roles") }
                </fieldset>
                <p class="cortile-reach mb-1 fw-semibold" aria-live="polite" aria-busy={if *counting { "true" } else { "false" }} data-testid="audience-reach">
                    { reach_text }
                </p>
                <p class="cortile-help mb-2">{ i18n.t("audience.reach_privacy") }</p>
                <FormAlert error={(*reach_error).clone()} testid="audience-reach-error" />
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_form_is_everyone() {
        let form = AudienceForm::default();
        assert!(form.is_everyone());
        assert_eq!(form.for_post(), None);
        let blank = AudienceForm {
            staircase: "  ".into(),
            age_min: " ".into(),
            ..AudienceForm::default()
        };
        assert!(blank.is_everyone());
        assert_eq!(blank.for_post(), None);
    }

    #[test]
    fn the_form_builds_the_audience() {
        let form = AudienceForm {
            buildings: vec![BuildingId(9), BuildingId(3), BuildingId(9)],
            staircase: " B ".into(),
            age_min: "18".into(),
            age_max: " 65".into(),
            with_children: true,
            with_elderly: false,
            languages: vec!["ar".into(), "it".into()],
            interests: vec!["sport".into(), "gardening".into()],
            roles: vec![Role::Custodian, Role::CommitteeMember],
        };
        assert!(!form.is_everyone());
        let audience = form.for_post().expect("a targeted audience");
        assert_eq!(audience.buildings, vec![BuildingId(3), BuildingId(9)]);
        assert_eq!(audience.staircase.as_deref(), Some("B"));
        assert_eq!((audience.age_min, audience.age_max), (Some(18), Some(65)));
        assert!(audience.with_children && !audience.with_elderly);
        // In the canonical order of the lists.
        assert_eq!(audience.languages, vec!["it", "ar"]);
        assert_eq!(audience.interests, vec!["gardening", "sport"]);
        assert_eq!(audience.roles, vec![Role::CommitteeMember, Role::Custodian]);
    }

    #[test]
    fn ages_that_are_not_numbers_are_named() {
        let form = AudienceForm {
            age_min: "diciotto".into(),
            age_max: "70".into(),
            ..AudienceForm::default()
        };
        assert_eq!(form.bad_ages(), vec!["audience.age_min"]);
        assert!(!form.is_everyone());
        assert_eq!(form.to_audience().age_min, None);
        assert_eq!(form.to_audience().age_max, Some(70));
    }

    #[test]
    fn one_rule_is_enough_to_target() {
        let form = AudienceForm {
            with_elderly: true,
            ..AudienceForm::default()
        };
        assert!(!form.is_everyone());
        assert!(form.for_post().is_some_and(|a| a.with_elderly));
    }

    #[test]
    fn toggling_adds_once_and_removes() {
        let mut list = vec!["a".to_owned()];
        toggle(&mut list, "b".to_owned(), true);
        toggle(&mut list, "b".to_owned(), true);
        assert_eq!(list, vec!["a", "b"]);
        toggle(&mut list, "a".to_owned(), false);
        assert_eq!(list, vec!["b"]);
        toggle(&mut list, "z".to_owned(), false);
        assert_eq!(list, vec!["b"]);
    }

    #[test]
    fn a_language_is_named_in_its_own_words_first() {
        assert_eq!(
            language_note("العربية", "arabo").as_deref(),
            Some("(arabo)")
        );
        assert_eq!(language_note("Italiano", "italiano"), None);
        assert_eq!(language_note("Tagalog", "tagalog"), None);
    }
}
