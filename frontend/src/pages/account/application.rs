//! `/domanda`: my housing applications, where each stands, and its dated history.

use cortile_shared::tenancy::Application;
use yew::prelude::*;

use crate::components::{ErrorState, Loading};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::{rome_time, use_i18n, I18n};
use crate::pages::tenancy::{application_status_text, home_text};
use crate::session::use_session;

#[function_component(MyApplicationPage)]
pub fn my_application_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("application.title");
    use_document_title(Some(title.clone()));
    let api = session.api();
    let list = use_remote((), move |()| async move { api.my_applications().await });
    let body = match list.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => html! { <ErrorState {error} retry={list.retry} /> },
        Remote::Ready(apps) if apps.is_empty() => html! {
            <p data-testid="application-none">{ i18n.t("application.none") }</p>
        },
        Remote::Ready(apps) => html! {
            <>{ for apps.iter().map(|a| application(&i18n, a)) }</>
        },
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("application.intro") }</p>
            { body }
        </>
    }
}

/// One application, as a card, with ids unique to it for its headings.
pub fn application(i18n: &I18n, app: &Application) -> Html {
    let heading = format!("application-{}-heading", app.id.0);
    let status = app.status.as_str();
    html! {
        <article class="card card-bg shadow-sm mb-4 cortile-card" data-testid="application" aria-labelledby={heading.clone()} key={app.id.0}>
            <div class="card-body">
                <h2 id={heading} class="h4 card-title">{ i18n.tf("application.protocol", &[("protocol", &app.protocol)]) }</h2>
                <dl class="row cortile-details">
                    <dt class="col-sm-5 col-md-4">{ i18n.t("application.submitted_on") }</dt>
                    <dd class="col-sm-7 col-md-8">{ i18n.date(app.submitted_on) }</dd>
                    <dt class="col-sm-5 col-md-4">{ i18n.t("application.status") }</dt>
                    <dd class="col-sm-7 col-md-8">
                        <strong data-testid="application-status" data-status={status}>{ application_status_text(i18n, app.status) }</strong>
                        <br />
                        <span>{ i18n.t(&format!("application.explain.{status}")) }</span>
                    </dd>
                    if let Some(position) = app.ranking_position {
                        <dt class="col-sm-5 col-md-4">{ i18n.t("application.ranking") }</dt>
                        <dd class="col-sm-7 col-md-8" data-testid="application-ranking">{ i18n.int(i64::from(position)) }</dd>
                    }
                    if let Some(unit) = &app.offered_unit {
                        <dt class="col-sm-5 col-md-4">{ i18n.t("application.offered_unit") }</dt>
                        <dd class="col-sm-7 col-md-8" data-testid="application-offered-unit">{ home_text(i18n, unit) }</dd>
                    }
                </dl>
                <h3 class="h5">{ i18n.t("application.history") }</h3>
                <ol class="cortile-timeline" data-testid="application-history">
                    { for app.history.iter().map(|event| html! {
                        <li class="cortile-timeline-step">
                            <p class="mb-0">
                                <time datetime={event.at.to_rfc3339()}>{ i18n.date(rome_time(event.at).date()) }</time>
                            </p>
                            <p class="mb-0 fw-semibold">
                                { application_status_text(i18n, event.status) }
                                if let Some(position) = event.ranking_position {
                                    { " — " }{ i18n.tf("application.position", &[("position", &position.to_string())]) }
                                }
                            </p>
                            if let Some(note) = &event.note {
                                <p class="mb-0">{ note.clone() }</p>
                            }
                        </li>
                    }) }
                </ol>
            </div>
        </article>
    }
}
