//! For a community's moderators: who is banned from posting here, since when and why, and
//! "Togli il blocco" to lift a ban (the person is told nothing; the public log records it).

use cortile_shared::community::Ban;
use cortile_shared::{CommunityId, UserId};
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::{ErrorState, FormAlert, Loading};
use crate::hooks::{spawn, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct BansProps {
    pub id: CommunityId,
    /// Changes when a ban is added elsewhere on the page, to load the list again.
    #[prop_or_default]
    pub version: u32,
}

#[function_component(Bans)]
pub fn bans(props: &BansProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let list = {
        let api = session.api();
        use_remote((props.id, props.version, api), |(id, _, api)| async move {
            api.community_bans(id).await
        })
    };
    let busy = use_state(|| None::<UserId>);
    let error = use_state(|| None::<ApiError>);
    let lifted = use_state(|| None::<String>);
    let lift = {
        let api = session.api();
        let (busy, error, lifted, retry, id) = (
            busy.clone(),
            error.clone(),
            lifted.clone(),
            list.retry.clone(),
            props.id,
        );
        Callback::from(move |(user, name): (UserId, String)| {
            if busy.is_some() {
                return;
            }
            busy.set(Some(user));
            let (api, busy, error, lifted, retry) = (
                api.clone(),
                busy.clone(),
                error.clone(),
                lifted.clone(),
                retry.clone(),
            );
            spawn(async move {
                let result = api.unban(id, user).await;
                busy.set(None);
                match result {
                    Ok(()) => {
                        error.set(None);
                        lifted.set(Some(name));
                        retry.emit(());
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let body = match &list.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(err) => {
            html! { <ErrorState error={err.clone()} retry={list.retry.clone()} /> }
        }
        Remote::Ready(bans) if bans.is_empty() => {
            html! { <p data-testid="bans-empty">{ i18n.t("bans.empty") }</p> }
        }
        Remote::Ready(bans) => html! {
            <ul class="cortile-list">
                { for bans.iter().map(|b: &Ban| {
                    let user = b.user.id;
                    let name = b.user.display_name.clone();
                    let label_id = format!("ban-{user}-name");
                    let onclick = lift.reform(move |_: MouseEvent| (user, name.clone()));
                    let working = *busy == Some(user);
                    html! {
                        <li class="py-2" data-testid="ban-item">
                            <span id={label_id.clone()} class="fw-semibold">{ &b.user.display_name }</span>
                            <span class="text-body-secondary">
                                { " · " }{ i18n.tf("bans.since", &[("when", &i18n.datetime(b.created_at))]) }
                            </span>
                            <p class="mb-1">{ i18n.tf("bans.reason", &[("reason", &b.reason)]) }</p>
                            <button type="button" class="btn btn-outline-primary btn-sm" data-testid="ban-lift"
                                aria-describedby={label_id} disabled={working} {onclick}>
                                { i18n.t(if working { "bans.lifting" } else { "bans.lift" }) }
                            </button>
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! {
        <section class="mb-5" aria-labelledby="bans-heading" data-testid="bans">
            <h2 id="bans-heading" class="h3">{ i18n.t("bans.heading") }</h2>
            <p class="cortile-help">{ i18n.t("bans.intro") }</p>
            <div aria-live="polite">
                if let Some(name) = &*lifted {
                    <p class="alert alert-success" data-testid="ban-lifted">{ i18n.tf("bans.lifted", &[("name", name)]) }</p>
                }
            </div>
            <FormAlert error={(*error).clone()} testid="bans-error" />
            { body }
        </section>
    }
}
