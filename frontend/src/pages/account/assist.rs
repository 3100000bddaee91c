//! `/assistenza`: operators and staff find a resident with an account and act on their behalf
//! (assisted mode), saying why. Every page then shows the assisted-mode banner.

use std::collections::HashMap;
use std::rc::Rc;

use cortile_shared::tenancy::{PersonHit, MIN_PURPOSE_LEN};
use cortile_shared::UserId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{field_error, ErrorState, FormAlert, Loading, TextField};
use crate::hooks::{spawn, use_document_title};
use crate::i18n::{use_i18n, I18n};
use crate::pages::tenancy::home_text;
use crate::pages::tenancy::search::{SearchState, MIN_QUERY_LEN};
use crate::session::use_session;

#[function_component(AssistPage)]
pub fn assist_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let title = i18n.t("assist.title");
    use_document_title(Some(title.clone()));
    let query = use_state(String::new);
    let too_short = use_state(|| false);
    let state = use_state(|| SearchState::<PersonHit>::Idle);
    let purposes = use_state(HashMap::<UserId, String>::new);
    let start_errors = use_state(HashMap::<UserId, ApiError>::new);
    let purpose_short = use_state(|| None::<UserId>);

    let onsubmit = {
        let api = session.api();
        let (query, too_short, state) = (query.clone(), too_short.clone(), state.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let q = query.trim().to_owned();
            if q.chars().count() < MIN_QUERY_LEN {
                too_short.set(true);
                return;
            }
            too_short.set(false);
            state.set(SearchState::Searching);
            let (api, state) = (api.clone(), state.clone());
            spawn(async move {
                state.set(match api.assist_candidates(&q).await {
                    Ok(hits) => SearchState::Done(Rc::new(hits)),
                    Err(err) => SearchState::Failed(err),
                });
            });
        })
    };

    let start = {
        let api = session.api();
        let signed_in = session.signed_in();
        let (purposes, start_errors, purpose_short) = (
            purposes.clone(),
            start_errors.clone(),
            purpose_short.clone(),
        );
        Callback::from(move |user_id: UserId| {
            let purpose = purposes.get(&user_id).cloned().unwrap_or_default();
            let purpose = purpose.trim().to_owned();
            if purpose.chars().count() < MIN_PURPOSE_LEN {
                purpose_short.set(Some(user_id));
                return;
            }
            purpose_short.set(None);
            let (api, signed_in, start_errors, navigator) = (
                api.clone(),
                signed_in.clone(),
                start_errors.clone(),
                navigator.clone(),
            );
            spawn(async move {
                match api.start_assist(user_id, &purpose).await {
                    Ok(me) => {
                        signed_in.emit(me);
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Profile);
                        }
                    }
                    Err(err) => {
                        let mut all = (*start_errors).clone();
                        all.insert(user_id, err);
                        start_errors.set(all);
                    }
                }
            });
        })
    };
    let on_purpose = {
        let purposes = purposes.clone();
        Callback::from(move |(id, text): (UserId, String)| {
            let mut all = (*purposes).clone();
            all.insert(id, text);
            purposes.set(all);
        })
    };

    let failed = match &*state {
        SearchState::Failed(err) => Some(err.clone()),
        _ => None,
    };
    let error = if *too_short {
        Some(AttrValue::from(i18n.t("field_error.q.too_short")))
    } else {
        field_error(&i18n, failed.as_ref(), "q")
    };
    let results = match &*state {
        SearchState::Idle => html! {},
        SearchState::Searching => html! { <Loading /> },
        SearchState::Failed(err) if !err.field_errors().is_empty() => html! {},
        SearchState::Failed(err) if err.is_forbidden() => html! {
            <ErrorState error={err.clone()} retry={Callback::noop()} />
        },
        SearchState::Failed(err) => html! { <FormAlert error={Some(err.clone())} /> },
        SearchState::Done(hits) => {
            let ctx = CandidateCtx {
                purposes: &purposes,
                errors: &start_errors,
                purpose_short: *purpose_short,
                start: &start,
                on_purpose: &on_purpose,
            };
            candidates(&i18n, hits, &ctx)
        }
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("assist.intro") }</p>
            <p>{ i18n.t("assist.recorded") }</p>
            <form role="search" {onsubmit} novalidate=true class="cortile-narrow">
                <TextField
                    id="assist-search"
                    kind="search"
                    label={i18n.t("assist.search_label")}
                    help={i18n.t("search.help")}
                    value={(*query).clone()}
                    oninput={let s = query.clone(); Callback::from(move |v| s.set(v))}
                    error={error}
                    testid="assist-search"
                />
                <button type="submit" class="btn btn-primary" data-testid="assist-search-submit">{ i18n.t("search.submit") }</button>
            </form>
            <section class="mt-4" aria-labelledby="assist-results-heading" aria-live="polite">
                <h2 id="assist-results-heading" class="h3 visually-hidden">{ i18n.t("search.results_heading") }</h2>
                { results }
            </section>
        </>
    }
}

struct CandidateCtx<'a> {
    purposes: &'a HashMap<UserId, String>,
    errors: &'a HashMap<UserId, ApiError>,
    purpose_short: Option<UserId>,
    start: &'a Callback<UserId>,
    on_purpose: &'a Callback<(UserId, String)>,
}

fn candidates(i18n: &I18n, hits: &[PersonHit], ctx: &CandidateCtx<'_>) -> Html {
    let with_account: Vec<(&PersonHit, UserId)> = hits
        .iter()
        .filter_map(|h| h.user_id.map(|id| (h, id)))
        .collect();
    if with_account.is_empty() {
        return html! { <p data-testid="assist-none">{ i18n.t("assist.none") }</p> };
    }
    html! {
        <ul class="list-unstyled">
            { for with_account.into_iter().map(|(hit, user_id)| {
                let name = format!("{} {}", hit.surname, hit.given_name);
                let input_id = format!("assist-purpose-{}", user_id.0);
                let heading = format!("assist-candidate-{}-heading", user_id.0);
                let error = ctx.errors.get(&user_id);
                let short = ctx.purpose_short == Some(user_id);
                let purpose_error = if short {
                    Some(AttrValue::from(i18n.t("field_error.purpose.too_short")))
                } else {
                    field_error(i18n, error, "purpose")
                };
                let onsubmit = ctx.start.reform(move |e: SubmitEvent| {
                    e.prevent_default();
                    user_id
                });
                html! {
                    <li class="card card-bg shadow-sm mb-3 cortile-card" data-testid="assist-candidate" key={user_id.0}>
                        <div class="card-body">
                            <h3 id={heading.clone()} class="h5 card-title">{ name.clone() }</h3>
                            <p class="mb-2">
                                if let Some(code) = &hit.fiscal_code {
                                    <span class="cortile-code">{ code.clone() }</span>{ " · " }
                                }
                                { hit.home.as_ref().map(|h| home_text(i18n, h)).unwrap_or_else(|| i18n.t("search.no_home")) }
                            </p>
                            <FormAlert error={error.filter(|e| e.field_errors().is_empty()).cloned()} />
                            <form {onsubmit} novalidate=true>
                                <TextField
                                    id={input_id}
                                    label={i18n.tf("assist.purpose_label", &[("name", &name)])}
                                    help={i18n.t("assist.purpose_help")}
                                    value={ctx.purposes.get(&user_id).cloned().unwrap_or_default()}
                                    oninput={ctx.on_purpose.reform(move |text| (user_id, text))}
                                    error={purpose_error}
                                    testid="assist-purpose"
                                />
                                <button type="submit" class="btn btn-primary" data-testid="assist-start" aria-describedby={heading}>
                                    { i18n.t("assist.start") }
                                </button>
                            </form>
                        </div>
                    </li>
                }
            }) }
        </ul>
    }
}
