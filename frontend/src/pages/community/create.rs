//! `/comunita/nuova`: create a community of interest; its creator becomes its moderator.

use cortile_shared::community::{JoinPolicy, NewCommunity, MAX_NAME_LEN};
use cortile_shared::ErrorCode;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{field_error, Breadcrumb, FormAlert, SelectField, TextField};
use crate::hooks::{spawn, use_document_title};
use crate::i18n::use_i18n;
use crate::pages::community::policy_text;
use crate::session::use_session;

/// The ways of joining a community of interest can have.
const POLICIES: [JoinPolicy; 3] = [JoinPolicy::Open, JoinPolicy::Approval, JoinPolicy::Invite];

#[function_component(NewCommunityPage)]
pub fn new_community_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let title = i18n.t("community_new.title");
    use_document_title(Some(title.clone()));
    let name = use_state(String::new);
    let description = use_state(String::new);
    let policy = use_state(|| JoinPolicy::Open);
    let error = use_state(|| None::<ApiError>);
    let missing_name = use_state(|| false);
    let busy = use_state(|| false);

    let onsubmit = {
        let api = session.api();
        let (name, description, policy) = (name.clone(), description.clone(), policy.clone());
        let (error, missing_name, busy) = (error.clone(), missing_name.clone(), busy.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let new = NewCommunity {
                name: name.trim().to_owned(),
                description: description.trim().to_owned(),
                join_policy: *policy,
            };
            if new.name.is_empty() {
                missing_name.set(true);
                error.set(None);
                return;
            }
            missing_name.set(false);
            busy.set(true);
            let (api, error, busy, navigator) =
                (api.clone(), error.clone(), busy.clone(), navigator.clone());
            spawn(async move {
                let result = api.create_community(&new).await;
                busy.set(false);
                match result {
                    Ok(community) => {
                        error.set(None);
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Community { id: community.id });
                        }
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };

    let failed = (*error).as_ref();
    let taken = failed.is_some_and(|e| e.code() == Some(ErrorCode::Conflict));
    let name_error = if *missing_name {
        Some(AttrValue::from(i18n.t("field_error.name.required")))
    } else if taken && failed.and_then(|e| e.field("name")).is_none() {
        Some(AttrValue::from(i18n.t("community_new.name_taken")))
    } else {
        field_error(&i18n, failed, "name")
    };
    let alert = if *missing_name {
        Some(ApiError::Problem(cortile_shared::Problem::new(
            ErrorCode::ValidationFailed,
        )))
    } else {
        (*error).clone()
    };
    let alert_message = if *missing_name || taken {
        Some(AttrValue::from(i18n.t("form.check_fields")))
    } else {
        None
    };
    let options = POLICIES
        .iter()
        .map(|p| {
            (
                AttrValue::from(p.as_str()),
                AttrValue::from(policy_text(&i18n, *p)),
            )
        })
        .collect::<Vec<_>>();
    let parents = vec![(
        Route::Communities,
        AttrValue::from(i18n.t("communities.title")),
    )];

    html! {
        <>
            <Breadcrumb {parents} current={title.clone()} />
            <div class="cortile-narrow">
                <h1 data-testid="page-title">{ title }</h1>
                <p class="lead">{ i18n.t("community_new.intro") }</p>
                <FormAlert error={alert} message={alert_message} testid="community-error" />
                <form {onsubmit} novalidate=true>
                    <TextField
                        id="community-name"
                        label={i18n.t("community_new.name")}
                        help={i18n.tf("community_new.name_help", &[("max", &MAX_NAME_LEN.to_string())])}
                        value={(*name).clone()}
                        oninput={let s = name.clone(); Callback::from(move |v| s.set(v))}
                        required=true
                        error={name_error}
                        testid="community-name"
                    />
                    <TextField
                        id="community-description"
                        multiline=true
                        label={i18n.t("community_new.description")}
                        help={i18n.t("community_new.description_help")}
                        value={(*description).clone()}
                        oninput={let s = description.clone(); Callback::from(move |v| s.set(v))}
                        error={field_error(&i18n, failed, "description")}
                        testid="community-description"
                    />
                    <SelectField
                        id="community-policy"
                        label={i18n.t("community_new.policy")}
                        help={i18n.t(&format!("community.policy_help.{}", policy.as_str()))}
                        value={AttrValue::from(policy.as_str())}
                        {options}
                        onchange={let s = policy.clone(); Callback::from(move |v: String| s.set(JoinPolicy::parse(&v).unwrap_or(JoinPolicy::Open)))}
                        error={field_error(&i18n, failed, "join_policy")}
                        testid="community-policy"
                    />
                    <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="community-submit">
                        { i18n.t(if *busy { "community_new.submitting" } else { "community_new.submit" }) }
                    </button>
                </form>
            </div>
        </>
    }
}
