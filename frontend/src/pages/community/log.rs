//! `/comunita/:id/moderazione`: a community's public moderation log: what was done and why,
//! never who did it.

use cortile_shared::community::ModerationLogEntry;
use cortile_shared::CommunityId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, Loading, NotFoundState, ScrollTable};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::time_view;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct ModerationLogPageProps {
    pub id: CommunityId,
}

/// What was acted on, in words: the post's title, "a comment", "a person".
pub fn log_target(i18n: &I18n, entry: &ModerationLogEntry) -> String {
    match (entry.target.as_str(), &entry.title) {
        ("post", Some(title)) => i18n.tf("moderation.log_target.post_titled", &[("title", title)]),
        ("post", None) => i18n.t("moderation.log_target.post"),
        ("comment", _) => i18n.t("moderation.log_target.comment"),
        ("user", _) => i18n.t("moderation.log_target.user"),
        (other, _) => other.to_owned(),
    }
}

/// The act in words ("Nascosto", "Hidden"); an unknown one as the server wrote it.
pub fn log_action(i18n: &I18n, action: &str) -> String {
    let key = format!("moderation.log_action.{action}");
    if i18n.has(&key) {
        i18n.t(&key)
    } else {
        action.to_owned()
    }
}

#[function_component(ModerationLogPage)]
pub fn moderation_log_page(props: &ModerationLogPageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let community = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.community(id).await
        })
    };
    let log = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.moderation_log(id).await
        })
    };
    let name = match &community.state {
        Remote::Ready(c) => Some(c.name.clone()),
        _ => None,
    };
    let title = match &name {
        Some(name) => i18n.tf("moderation.log_title_of", &[("name", name)]),
        None => i18n.t("moderation.log_title"),
    };
    use_document_title(Some(title.clone()));

    if let Remote::Failed(error) = &community.state {
        if error.is_not_found() {
            return html! {
                <NotFoundState title_key="community.not_found_title" text_key="community.not_found_text" />
            };
        }
    }
    let mut parents = vec![(
        Route::Communities,
        AttrValue::from(i18n.t("communities.title")),
    )];
    if let Some(name) = &name {
        parents.push((
            Route::Community { id: props.id },
            AttrValue::from(name.clone()),
        ));
    }
    let body = match &log.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => {
            html! { <ErrorState error={error.clone()} retry={log.retry.clone()} /> }
        }
        Remote::Ready(entries) if entries.is_empty() => {
            html! { <p data-testid="moderation-log-empty">{ i18n.t("moderation.log_empty") }</p> }
        }
        Remote::Ready(entries) => html! {
            <ScrollTable label={i18n.t("moderation.log_caption")}>
                <table class="table cortile-table" data-testid="moderation-log">
                    <caption class="visually-hidden">{ i18n.t("moderation.log_caption") }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ i18n.t("moderation.log_when") }</th>
                            <th scope="col">{ i18n.t("moderation.log_what") }</th>
                            <th scope="col">{ i18n.t("moderation.log_on") }</th>
                            <th scope="col">{ i18n.t("moderation.log_why") }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for entries.iter().map(|e| html! {
                            <tr data-testid="moderation-log-row" data-action={e.action.clone()} key={e.id}>
                                <td>{ time_view(&i18n, e.at) }</td>
                                <td>{ log_action(&i18n, &e.action) }</td>
                                <td>{ log_target(&i18n, e) }</td>
                                <td>{ if e.reason.is_empty() { i18n.t("moderation.log_no_reason") } else { e.reason.clone() } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </ScrollTable>
        },
    };
    html! {
        <>
            <Breadcrumb {parents} current={i18n.t("moderation.log_title")} />
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("moderation.log_intro") }</p>
            { body }
            <p class="mt-3">
                <Link<Route> to={Route::Community { id: props.id }}>{ i18n.t("moderation.log_back") }</Link<Route>>
            </p>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use cortile_shared::Locale;

    fn entry(action: &str, target: &str, title: Option<&str>) -> ModerationLogEntry {
        ModerationLogEntry {
            id: 1,
            action: action.into(),
            target: target.into(),
            title: title.map(str::to_owned),
            reason: "spam".into(),
            at: Utc::now(),
        }
    }

    #[test]
    fn entries_read_in_words() {
        let it = I18n::fixed(Locale::It);
        assert_eq!(
            log_target(&it, &entry("hide", "post", Some("Festa"))),
            "Messaggio «Festa»"
        );
        assert_eq!(log_action(&it, "hide"), "Nascosto");
        assert_eq!(log_action(&it, "merged"), "merged");
        let en = I18n::fixed(Locale::En);
        assert_eq!(log_target(&en, &entry("ban", "user", None)), "A person");
    }
}
