//! `/comunita`: my communities (my estate's and building's, and those of interest I belong
//! to) and the communities of interest I could join.

use cortile_shared::community::{CommunitySummary, JoinPolicy, MemberStatus};
use cortile_shared::CommunityId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{ApiError, CommunityView};
use crate::app::Route;
use crate::components::{ErrorState, FormAlert, Loading};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::{kind_text, policy_text, status_text};
use crate::session::use_session;

#[function_component(CommunitiesPage)]
pub fn communities_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("communities.title");
    use_document_title(Some(title.clone()));
    let mine = {
        let api = session.api();
        use_remote(api, |api| async move {
            api.communities(CommunityView::Mine).await
        })
    };
    let discover = {
        let api = session.api();
        use_remote(api, |api| async move {
            api.communities(CommunityView::Discover).await
        })
    };
    // What the last "join" did, or why it failed.
    let joined = use_state(|| None::<(String, MemberStatus)>);
    let join_error = use_state(|| None::<ApiError>);
    let busy = use_state(|| None::<CommunityId>);

    let join = {
        let api = session.api();
        let (joined, join_error, busy) = (joined.clone(), join_error.clone(), busy.clone());
        let (retry_mine, retry_discover) = (mine.retry.clone(), discover.retry.clone());
        Callback::from(move |id: CommunityId| {
            if busy.is_some() {
                return;
            }
            busy.set(Some(id));
            let (api, joined, join_error, busy) = (
                api.clone(),
                joined.clone(),
                join_error.clone(),
                busy.clone(),
            );
            let (retry_mine, retry_discover) = (retry_mine.clone(), retry_discover.clone());
            spawn(async move {
                let result = api.join_community(id).await;
                busy.set(None);
                match result {
                    Ok(community) => {
                        join_error.set(None);
                        joined.set(Some((
                            community.name.clone(),
                            community.my_status.unwrap_or(MemberStatus::Active),
                        )));
                        retry_mine.emit(());
                        retry_discover.emit(());
                    }
                    Err(err) => join_error.set(Some(err)),
                }
            });
        })
    };

    let mine_view = match &mine.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => {
            html! { <ErrorState error={error.clone()} retry={mine.retry.clone()} /> }
        }
        Remote::Ready(list) if list.is_empty() => html! {
            <p data-testid="communities-mine-empty">{ i18n.t("communities.mine_empty") }</p>
        },
        Remote::Ready(list) => html! {
            <ul class="row list-unstyled">
                { for list.iter().map(|c| community_card(&i18n, c, None, None)) }
            </ul>
        },
    };
    let discover_view = match &discover.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => {
            html! { <ErrorState error={error.clone()} retry={discover.retry.clone()} /> }
        }
        Remote::Ready(list) if list.is_empty() => html! {
            <p data-testid="communities-discover-empty">{ i18n.t("communities.discover_empty") }</p>
        },
        Remote::Ready(list) => html! {
            <ul class="row list-unstyled">
                { for list.iter().map(|c| community_card(&i18n, c, Some(&join), *busy)) }
            </ul>
        },
    };

    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("communities.intro") }</p>
            <p>
                <Link<Route> to={Route::NewCommunity} classes="btn btn-primary">
                    <span data-testid="community-create">{ i18n.t("communities.create") }</span>
                </Link<Route>>
            </p>
            <div aria-live="polite" data-testid="communities-status">
                if let Some((name, status)) = &*joined {
                    <p class="alert alert-success">
                        { i18n.tf(if *status == MemberStatus::Pending { "communities.join_requested" } else { "communities.joined" }, &[("name", name)]) }
                    </p>
                }
            </div>
            <FormAlert error={(*join_error).clone()} testid="community-join-error" />
            <section class="mb-5" aria-labelledby="communities-mine-heading" data-testid="communities-mine">
                <h2 id="communities-mine-heading" class="h3">{ i18n.t("communities.mine_heading") }</h2>
                { mine_view }
            </section>
            <section class="mb-5" aria-labelledby="communities-discover-heading" data-testid="communities-discover">
                <h2 id="communities-discover-heading" class="h3">{ i18n.t("communities.discover_heading") }</h2>
                <p>{ i18n.t("communities.discover_intro") }</p>
                { discover_view }
            </section>
        </>
    }
}

/// One community: name (a link to its page), kind and way of joining, counts, my standing,
/// and, in "discover", the join button.
fn community_card(
    i18n: &I18n,
    c: &CommunitySummary,
    join: Option<&Callback<CommunityId>>,
    busy: Option<CommunityId>,
) -> Html {
    let id = c.id;
    let heading = format!("community-{id}-name");
    let mut facts = vec![kind_text(i18n, c.kind)];
    if c.join_policy != JoinPolicy::Registry {
        facts.push(policy_text(i18n, c.join_policy));
        facts.push(i18n.count("count.members", c.members));
    }
    facts.push(i18n.count("count.posts", c.posts));
    html! {
        <li class="col-12 col-md-6 col-lg-4 mb-3" data-testid="community-card" key={id.0}>
            <div class="card card-bg rounded shadow-sm h-100 cortile-card">
                <div class="card-body">
                    <h3 id={heading.clone()} class="card-title h5 mb-2">
                        <Link<Route> to={Route::Community { id }}>{ c.name.clone() }</Link<Route>>
                    </h3>
                    if !c.description.is_empty() {
                        <p class="card-text mb-2 cortile-community-description">{ c.description.clone() }</p>
                    }
                    <ul class="cortile-facts card-text">
                        { for facts.into_iter().map(|f| html! { <li>{ f }</li> }) }
                    </ul>
                    if let Some(status) = c.my_status.filter(|s| *s != MemberStatus::Active) {
                        <p class="mb-2" data-testid="community-my-status"><strong>{ status_text(i18n, status) }</strong></p>
                    }
                    if let (Some(join), true) = (join, c.abilities.join) {
                        <button type="button" class="btn btn-primary btn-sm" data-testid="community-join"
                            aria-describedby={heading}
                            disabled={busy == Some(id)}
                            onclick={join.reform(move |_: MouseEvent| id)}>
                            { i18n.t(if c.join_policy == JoinPolicy::Approval { "community.ask_to_join" } else { "community.join" }) }
                        </button>
                    }
                </div>
            </div>
        </li>
    }
}
