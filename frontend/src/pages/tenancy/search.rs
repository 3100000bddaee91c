//! `/registro`: search the tenant registry by name or fiscal code, within one's scope.

use std::rc::Rc;

use cortile_shared::tenancy::PersonHit;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{field_error, ErrorState, FormAlert, Loading, TextField};
use crate::hooks::{spawn, use_document_title};
use crate::i18n::{use_i18n, I18n};
use crate::pages::tenancy::home_text;
use crate::session::use_session;

/// Shortest search the server accepts.
pub const MIN_QUERY_LEN: usize = 3;

/// What a search form shows below itself.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchState<T> {
    Idle,
    Searching,
    Done(Rc<Vec<T>>),
    Failed(ApiError),
}

#[function_component(RegistrySearchPage)]
pub fn registry_search_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("search.title");
    use_document_title(Some(title.clone()));
    let query = use_state(String::new);
    let too_short = use_state(|| false);
    let state = use_state(|| SearchState::<PersonHit>::Idle);

    let onsubmit = {
        let api = session.api();
        let query = query.clone();
        let too_short = too_short.clone();
        let state = state.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let q = query.trim().to_owned();
            if q.chars().count() < MIN_QUERY_LEN {
                too_short.set(true);
                return;
            }
            too_short.set(false);
            state.set(SearchState::Searching);
            let api = api.clone();
            let state = state.clone();
            spawn(async move {
                state.set(match api.search_registry(&q).await {
                    Ok(hits) => SearchState::Done(Rc::new(hits)),
                    Err(err) => SearchState::Failed(err),
                });
            });
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
        SearchState::Done(hits) => hit_list(&i18n, hits),
    };

    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("search.intro") }</p>
            <form role="search" {onsubmit} novalidate=true class="cortile-search-form">
                <TextField
                    id="registry-search-input"
                    kind="search"
                    label={i18n.t("search.label")}
                    help={i18n.t("search.help")}
                    value={(*query).clone()}
                    oninput={let s = query.clone(); Callback::from(move |v| s.set(v))}
                    error={error}
                    testid="registry-search-input"
                />
                <button type="submit" class="btn btn-primary" data-testid="registry-search-submit">{ i18n.t("search.submit") }</button>
            </form>
            <section class="mt-4" aria-labelledby="search-results-heading" aria-live="polite">
                <h2 id="search-results-heading" class="h3 visually-hidden">{ i18n.t("search.results_heading") }</h2>
                { results }
            </section>
        </>
    }
}

fn hit_list(i18n: &I18n, hits: &[PersonHit]) -> Html {
    if hits.is_empty() {
        return html! { <p data-testid="registry-no-hits">{ i18n.t("search.none") }</p> };
    }
    html! {
        <>
            <p>{ i18n.count("search.count", hits.len() as i64) }</p>
            <ul class="list-unstyled">
                { for hits.iter().map(|hit| html! {
                    <li class="card card-bg shadow-sm mb-3 cortile-card" data-testid="registry-hit" key={hit.person_id.0}>
                        <div class="card-body">
                            <h3 class="h5 card-title">{ format!("{} {}", hit.surname, hit.given_name) }</h3>
                            <dl class="row cortile-details mb-2">
                                if let Some(code) = &hit.fiscal_code {
                                    <dt class="col-sm-4">{ i18n.t("search.fiscal_code") }</dt>
                                    <dd class="col-sm-8 cortile-code">{ code.clone() }</dd>
                                }
                                if let Some(date) = hit.birth_date {
                                    <dt class="col-sm-4">{ i18n.t("search.birth_date") }</dt>
                                    <dd class="col-sm-8">{ i18n.date(date) }</dd>
                                }
                                <dt class="col-sm-4">{ i18n.t("search.home") }</dt>
                                <dd class="col-sm-8">
                                    { hit.home.as_ref().map(|h| home_text(i18n, h)).unwrap_or_else(|| i18n.t("search.no_home")) }
                                </dd>
                            </dl>
                            if let Some(id) = hit.household_id {
                                <Link<Route> to={Route::TenantFile { id }} classes="btn btn-outline-primary btn-sm">
                                    { i18n.t("search.open_file") }
                                    <span class="visually-hidden">{ format!(" — {} {}", hit.surname, hit.given_name) }</span>
                                </Link<Route>>
                            }
                        </div>
                    </li>
                }) }
            </ul>
        </>
    }
}
