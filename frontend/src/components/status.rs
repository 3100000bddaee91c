//! What a page shows while data loads, when it fails, and when it does not exist.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::hooks::use_document_title;
use crate::i18n::use_i18n;

/// A polite "loading" message with a spinner.
#[function_component(Loading)]
pub fn loading() -> Html {
    let i18n = use_i18n();
    html! {
        <div class="cortile-loading d-flex align-items-center gap-3 py-4" role="status">
            <div class="progress-spinner progress-spinner-active size-sm" aria-hidden="true"></div>
            <p class="mb-0">{ i18n.t("common.loading") }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorStateProps {
    pub error: ApiError,
    /// Called by the "try again" button.
    pub retry: Callback<()>,
}

/// A failed request, in plain language, with a way to try again. "Not allowed" and "not
/// found" say so and offer no retry: trying again would not help.
#[function_component(ErrorState)]
pub fn error_state(props: &ErrorStateProps) -> Html {
    let i18n = use_i18n();
    let retry = props.retry.reform(|_: MouseEvent| ());
    let final_answer = props.error.is_forbidden() || props.error.is_not_found();
    let title = if props.error.is_forbidden() {
        "error.forbidden_title"
    } else if props.error.is_not_found() {
        "error.not_found_title"
    } else {
        "error.title"
    };
    html! {
        <div class="alert alert-danger my-4" role="alert" data-testid="error">
            <h2 class="h4">{ i18n.t(title) }</h2>
            <p>{ i18n.t(props.error.message_key()) }</p>
            if final_answer {
                <Link<Route> to={Route::Home} classes="btn btn-primary btn-sm">{ i18n.t("not_found.back") }</Link<Route>>
            } else {
                <button type="button" class="btn btn-primary btn-sm" onclick={retry}>{ i18n.t("error.retry") }</button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct NotFoundStateProps {
    /// Translation key of the heading.
    pub title_key: AttrValue,
    /// Translation key of the explanation.
    pub text_key: AttrValue,
}

/// "Not found", as the page's own content: a heading, an explanation and the way home.
#[function_component(NotFoundState)]
pub fn not_found_state(props: &NotFoundStateProps) -> Html {
    let i18n = use_i18n();
    let title = i18n.t(&props.title_key);
    use_document_title(Some(title.clone()));
    html! {
        <div class="cortile-not-found py-4" data-testid="not-found">
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t(&props.text_key) }</p>
            <Link<Route> to={Route::Home} classes="btn btn-primary">{ i18n.t("not_found.back") }</Link<Route>>
        </div>
    }
}
