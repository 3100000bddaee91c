//! `/comunita/:id`: a community: what it is, joining and leaving, its pinned announcements
//! above its posts, the composer for members, and its members (moderators approve requests).

use std::rc::Rc;

use cortile_shared::community::{
    CommunityKind, CommunitySummary, JoinPolicy, Member, MemberStatus, NewBan, NewPost, Post,
    MAX_TITLE_LEN,
};
use cortile_shared::{CommunityId, EstateId, UserId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{
    field_error, Breadcrumb, Checkbox, ErrorState, FormAlert, Loading, NotFoundState, TextField,
};
use crate::hooks::{spawn, use_document_title, use_paged, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::audience::{AudienceFields, AudienceForm};
use crate::pages::community::bans::Bans;
use crate::pages::community::images::{ImageAction, ImageList, ImagePicker, NotReady};
use crate::pages::community::{kind_text, more_button, policy_text, post_item, status_text};
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct CommunityPageProps {
    pub id: CommunityId,
}

#[function_component(CommunityPage)]
pub fn community_page(props: &CommunityPageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let remote = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.community(id).await
        })
    };
    // The community as the last join answered it (fresher than the page's first load).
    let updated = use_state(|| None::<Rc<CommunitySummary>>);
    {
        let updated = updated.clone();
        use_effect_with(props.id, move |_| updated.set(None));
    }
    let community = match (&*updated, &remote.state) {
        (Some(c), _) if c.id == props.id => Some(c.clone()),
        (_, Remote::Ready(c)) => Some(c.clone()),
        _ => None,
    };
    let title = community.as_ref().map(|c| c.name.clone());
    use_document_title(title.or_else(|| Some(i18n.t("communities.title"))));

    match (&remote.state, community) {
        (_, Some(community)) => {
            let on_joined = {
                let updated = updated.clone();
                Callback::from(move |c: CommunitySummary| updated.set(Some(Rc::new(c))))
            };
            let on_left = {
                let (updated, retry) = (updated.clone(), remote.retry.clone());
                Callback::from(move |()| {
                    updated.set(None);
                    retry.emit(());
                })
            };
            html! { <CommunityView {community} {on_joined} {on_left} /> }
        }
        (Remote::Failed(error), _) if error.is_not_found() => html! {
            <NotFoundState title_key="community.not_found_title" text_key="community.not_found_text" />
        },
        (Remote::Failed(error), _) => html! {
            <>
                <h1 data-testid="page-title">{ i18n.t("communities.title") }</h1>
                <ErrorState error={error.clone()} retry={remote.retry.clone()} />
            </>
        },
        _ => html! { <Loading /> },
    }
}

#[derive(Properties, PartialEq)]
struct CommunityViewProps {
    community: Rc<CommunitySummary>,
    on_joined: Callback<CommunitySummary>,
    on_left: Callback<()>,
}

#[function_component(CommunityView)]
fn community_view(props: &CommunityViewProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let c = &props.community;
    let id = c.id;
    let pinned = {
        let api = session.api();
        use_paged((id, api), |(id, api), after| async move {
            api.community_posts(id, true, after.as_deref()).await
        })
    };
    let posts = {
        let api = session.api();
        use_paged((id, api), |(id, api), after| async move {
            api.community_posts(id, false, after.as_deref()).await
        })
    };
    let on_posted = {
        let (retry_pinned, retry_posts) = (pinned.retry.clone(), posts.retry.clone());
        Callback::from(move |post: Post| {
            if post.pinned {
                retry_pinned.emit(());
            } else {
                retry_posts.emit(());
            }
        })
    };
    let bans_version = use_state(|| 0u32);
    let on_banned = {
        let v = bans_version.clone();
        Callback::from(move |()| v.set(*v + 1))
    };
    let parents = vec![(
        Route::Communities,
        AttrValue::from(i18n.t("communities.title")),
    )];

    let pinned_view = match pinned.items() {
        Some(items) if items.is_empty() => html! {},
        Some(items) => html! {
            <section class="mb-5 cortile-pinned" aria-labelledby="pinned-heading">
                <h2 id="pinned-heading" class="h3">{ i18n.t("community.pinned_heading") }</h2>
                <ul class="list-unstyled">
                    { for items.iter().map(|p| post_item(&i18n, p, "pinned-post", false)) }
                </ul>
                { more_button(pinned.has_more, pinned.loading_more, pinned.more_error.as_ref(), "pinned-more", pinned.load_more.clone()) }
            </section>
        },
        None => match &pinned.first {
            Remote::Failed(error) => {
                html! { <ErrorState error={error.clone()} retry={pinned.retry.clone()} /> }
            }
            _ => html! {},
        },
    };
    let posts_view = match (&posts.first, posts.items()) {
        (Remote::Failed(error), _) => {
            html! { <ErrorState error={error.clone()} retry={posts.retry.clone()} /> }
        }
        (_, None) => html! { <Loading /> },
        (_, Some(items)) if items.is_empty() => html! {
            <p data-testid="posts-empty">{ i18n.t("community.no_posts") }</p>
        },
        (_, Some(items)) => html! {
            <>
                <ul class="list-unstyled">
                    { for items.iter().map(|p| post_item(&i18n, p, "post-item", false)) }
                </ul>
                { more_button(posts.has_more, posts.loading_more, posts.more_error.as_ref(), "posts-more", posts.load_more.clone()) }
            </>
        },
    };

    html! {
        <>
            <Breadcrumb {parents} current={c.name.clone()} />
            <h1 data-testid="community-title">{ c.name.clone() }</h1>
            if !c.description.is_empty() {
                <p class="lead cortile-community-description" data-testid="community-description-view">{ c.description.clone() }</p>
            }
            <dl class="row cortile-details mb-3">
                <dt class="col-sm-4 col-md-3">{ i18n.t("community.kind_label") }</dt>
                <dd class="col-sm-8 col-md-9" data-testid="community-kind">{ kind_text(&i18n, c.kind) }</dd>
                <dt class="col-sm-4 col-md-3">{ i18n.t("community.policy_label") }</dt>
                <dd class="col-sm-8 col-md-9" data-testid="community-policy-view">
                    { policy_text(&i18n, c.join_policy) }
                    <span class="d-block cortile-help">{ i18n.t(&format!("community.policy_help.{}", c.join_policy.as_str())) }</span>
                </dd>
                if c.join_policy != JoinPolicy::Registry {
                    <dt class="col-sm-4 col-md-3">{ i18n.t("community.members_label") }</dt>
                    <dd class="col-sm-8 col-md-9">{ i18n.count("count.members", c.members) }</dd>
                }
                <dt class="col-sm-4 col-md-3">{ i18n.t("community.posts_label") }</dt>
                <dd class="col-sm-8 col-md-9">{ i18n.count("count.posts", c.posts) }</dd>
            </dl>
            <p class="mb-3">
                <Link<Route> to={Route::ModerationLog { id }}>
                    <span data-testid="moderation-log-link">{ i18n.t("moderation.log_link") }</span>
                </Link<Route>>
            </p>
            <Membership community={c.clone()} on_joined={props.on_joined.clone()} on_left={props.on_left.clone()} />
            { pinned_view }
            if c.abilities.post {
                <Composer {id} can_pin={c.abilities.pin} kind={c.kind} estate_id={c.estate_id} {on_posted} />
            }
            <section class="mb-5" aria-labelledby="posts-heading">
                <h2 id="posts-heading" class="h3">{ i18n.t("community.posts_heading") }</h2>
                { posts_view }
            </section>
            <Members {id} moderate={c.abilities.moderate} on_banned={on_banned} />
            if c.abilities.moderate {
                <Bans {id} version={*bans_version} />
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct MembershipProps {
    community: Rc<CommunitySummary>,
    on_joined: Callback<CommunitySummary>,
    on_left: Callback<()>,
}

/// My standing, and the join and leave buttons.
#[function_component(Membership)]
fn membership(props: &MembershipProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let error = use_state(|| None::<ApiError>);
    let done = use_state(|| None::<&'static str>);
    let busy = use_state(|| false);
    let c = &props.community;
    let id = c.id;

    let join = {
        let api = session.api();
        let (error, done, busy, on_joined) = (
            error.clone(),
            done.clone(),
            busy.clone(),
            props.on_joined.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (api, error, done, busy, on_joined) = (
                api.clone(),
                error.clone(),
                done.clone(),
                busy.clone(),
                on_joined.clone(),
            );
            spawn(async move {
                let result = api.join_community(id).await;
                busy.set(false);
                match result {
                    Ok(community) => {
                        error.set(None);
                        done.set(Some(
                            if community.my_status == Some(MemberStatus::Pending) {
                                "community.join_requested"
                            } else {
                                "community.joined"
                            },
                        ));
                        on_joined.emit(community);
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let leave = {
        let api = session.api();
        let (error, done, busy, on_joined, on_left) = (
            error.clone(),
            done.clone(),
            busy.clone(),
            props.on_joined.clone(),
            props.on_left.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (api, error, done, busy, on_joined, on_left) = (
                api.clone(),
                error.clone(),
                done.clone(),
                busy.clone(),
                on_joined.clone(),
                on_left.clone(),
            );
            spawn(async move {
                let result = api.leave_community(id).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        error.set(None);
                        done.set(Some("community.left"));
                        // The community as I now see it; if I may no longer see it, the page
                        // loads again and says so.
                        match api.community(id).await {
                            Ok(community) => on_joined.emit(community),
                            Err(_) => on_left.emit(()),
                        }
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };

    html! {
        <div class="mb-4 cortile-membership">
            <div aria-live="polite">
                if let Some(key) = *done {
                    <p class="alert alert-success" data-testid="community-membership-done">{ i18n.t(key) }</p>
                }
            </div>
            <FormAlert error={(*error).clone()} testid="community-membership-error" />
            if c.my_status == Some(MemberStatus::Pending) {
                <p data-testid="community-pending"><strong>{ status_text(&i18n, MemberStatus::Pending) }</strong>{ format!(" {}", i18n.t("community.pending_explain")) }</p>
            } else if c.my_status == Some(MemberStatus::Invited) {
                <p data-testid="community-invited"><strong>{ status_text(&i18n, MemberStatus::Invited) }</strong></p>
            } else if c.my_status == Some(MemberStatus::Active) {
                <p data-testid="community-member">{ i18n.t(if c.join_policy == JoinPolicy::Registry { "community.member_by_registry" } else { "community.member" }) }</p>
            }
            <div class="d-flex flex-wrap gap-2">
                if c.abilities.join {
                    <button type="button" class="btn btn-primary" data-testid="community-join" disabled={*busy} onclick={join}>
                        { i18n.t(if c.join_policy == JoinPolicy::Approval { "community.ask_to_join" } else { "community.join" }) }
                    </button>
                }
                if c.abilities.leave {
                    <button type="button" class="btn btn-outline-primary" data-testid="community-leave" disabled={*busy} onclick={leave}>
                        { i18n.t(if c.my_status == Some(MemberStatus::Pending) { "community.withdraw" } else { "community.leave" }) }
                    </button>
                }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ComposerProps {
    id: CommunityId,
    can_pin: bool,
    kind: CommunityKind,
    estate_id: Option<EstateId>,
    on_posted: Callback<Post>,
}

/// "Write a post": title, markdown text with a short help, and "pin as announcement" for
/// those who may.
#[function_component(Composer)]
fn composer(props: &ComposerProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = use_state(String::new);
    let body = use_state(String::new);
    let pinned = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let missing = use_state(Vec::<&'static str>::new);
    let posted = use_state(|| None::<Post>);
    let busy = use_state(|| false);
    let audience = use_state(AudienceForm::default);
    let images = use_reducer(ImageList::default);
    let not_ready = use_state(|| None::<NotReady>);
    // Announcements in estates and buildings may be addressed to part of the community.
    let targetable = props.can_pin && props.kind != CommunityKind::Interest;

    let onsubmit = {
        let api = session.api();
        let (title, body, pinned, audience) = (
            title.clone(),
            body.clone(),
            pinned.clone(),
            audience.clone(),
        );
        let (error, missing, posted, busy) =
            (error.clone(), missing.clone(), posted.clone(), busy.clone());
        let (images, not_ready) = (images.clone(), not_ready.clone());
        let (id, can_pin, on_posted) = (props.id, props.can_pin, props.on_posted.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let refs = images.refs();
            not_ready.set(refs.as_ref().err().copied());
            let new = NewPost {
                title: title.trim().to_owned(),
                body: body.trim().to_owned(),
                pinned: can_pin && *pinned,
                audience: if targetable {
                    audience.for_post()
                } else {
                    None
                },
                images: refs.clone().unwrap_or_default(),
            };
            let mut empty = Vec::new();
            if new.title.is_empty() {
                empty.push("title");
            }
            if new.body.is_empty() {
                empty.push("body");
            }
            if targetable && !audience.bad_ages().is_empty() {
                empty.push("audience");
            }
            if refs.is_err() {
                empty.push("images");
            }
            missing.set(empty.clone());
            if !empty.is_empty() {
                error.set(None);
                posted.set(None);
                return;
            }
            busy.set(true);
            let (api, title, body, pinned, audience, images, error, posted, busy, on_posted) = (
                api.clone(),
                title.clone(),
                body.clone(),
                pinned.clone(),
                audience.clone(),
                images.clone(),
                error.clone(),
                posted.clone(),
                busy.clone(),
                on_posted.clone(),
            );
            spawn(async move {
                let result = api.create_post(id, &new).await;
                busy.set(false);
                match result {
                    Ok(post) => {
                        error.set(None);
                        title.set(String::new());
                        body.set(String::new());
                        pinned.set(false);
                        audience.set(AudienceForm::default());
                        images.dispatch(ImageAction::Clear);
                        posted.set(Some(post.clone()));
                        on_posted.emit(post);
                    }
                    Err(err) => {
                        posted.set(None);
                        error.set(Some(err));
                    }
                }
            });
        })
    };

    let failed = (*error).as_ref();
    let local = |field: &'static str| {
        missing
            .contains(&field)
            .then(|| AttrValue::from(i18n.t(&format!("field_error.{field}.required"))))
    };
    let title_error = local("title").or_else(|| field_error(&i18n, failed, "title"));
    let body_error = local("body").or_else(|| field_error(&i18n, failed, "body"));
    let alert = if missing.is_empty() {
        (*error).clone()
    } else {
        Some(ApiError::Problem(cortile_shared::Problem::new(
            cortile_shared::ErrorCode::ValidationFailed,
        )))
    };
    let alert_message = (!missing.is_empty()).then(|| AttrValue::from(i18n.t("form.check_fields")));

    html! {
        <section class="mb-5 cortile-composer cortile-narrow" aria-labelledby="composer-heading">
            <h2 id="composer-heading" class="h3">{ i18n.t("composer.heading") }</h2>
            <div aria-live="polite">
                if let Some(post) = &*posted {
                    <p class="alert alert-success" data-testid="post-created">
                        { i18n.t("composer.done") }
                        { " " }
                        <Link<Route> to={Route::Post { id: post.id }}>{ i18n.t("composer.open") }</Link<Route>>
                    </p>
                }
            </div>
            <FormAlert error={alert} message={alert_message} testid="post-error" />
            <form {onsubmit} novalidate=true>
                <TextField
                    id="post-title"
                    label={i18n.t("composer.title")}
                    help={i18n.tf("composer.title_help", &[("max", &MAX_TITLE_LEN.to_string())])}
                    value={(*title).clone()}
                    oninput={let s = title.clone(); Callback::from(move |v| s.set(v))}
                    required=true
                    error={title_error}
                    testid="post-title"
                />
                <TextField
                    id="post-body"
                    multiline=true
                    label={i18n.t("composer.body")}
                    help={i18n.t("composer.markdown_help")}
                    value={(*body).clone()}
                    oninput={let s = body.clone(); Callback::from(move |v| s.set(v))}
                    required=true
                    error={body_error}
                    testid="post-body"
                />
                <ImagePicker list={images.clone()} id="post" error={(*error).clone()} not_ready={*not_ready} />
                if props.can_pin {
                    <Checkbox
                        id="post-pinned"
                        label={i18n.t("composer.pinned")}
                        help={i18n.t("composer.pinned_help")}
                        checked={*pinned}
                        onchange={let s = pinned.clone(); Callback::from(move |v| s.set(v))}
                        testid="post-pinned"
                    />
                }
                if targetable {
                    <AudienceFields
                        community={props.id}
                        kind={props.kind}
                        estate_id={props.estate_id}
                        form={(*audience).clone()}
                        onchange={let s = audience.clone(); Callback::from(move |v| s.set(v))}
                        submit_error={(*error).clone()}
                    />
                }
                <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="post-submit">
                    { i18n.t(if *busy { "composer.submitting" } else { "composer.submit" }) }
                </button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct MembersProps {
    id: CommunityId,
    moderate: bool,
    /// Someone was banned (the list of bans loads again).
    on_banned: Callback<()>,
}

/// Who is in the community; moderators see requests to join and approve them.
#[function_component(Members)]
fn members(props: &MembersProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let list = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.community_members(id).await
        })
    };
    let error = use_state(|| None::<ApiError>);
    let approved = use_state(|| None::<String>);
    let me = session.me().map(|me| me.id);
    let banning = use_state(|| None::<UserId>);
    let ban_reason = use_state(String::new);
    let ban_missing = use_state(|| false);
    let banned = use_state(|| None::<String>);
    let ban_busy = use_state(|| false);
    let ban_error = use_state(|| None::<ApiError>);
    let ban = {
        let api = session.api();
        let (banning, ban_reason, ban_missing, banned, ban_busy, ban_error, id, on_banned) = (
            banning.clone(),
            ban_reason.clone(),
            ban_missing.clone(),
            banned.clone(),
            ban_busy.clone(),
            ban_error.clone(),
            props.id,
            props.on_banned.clone(),
        );
        Callback::from(move |(user, name): (UserId, String)| {
            if *ban_busy {
                return;
            }
            let reason = ban_reason.trim().to_owned();
            let short = reason.chars().count() < crate::pages::community::moderation::MIN_REASON;
            ban_missing.set(short);
            if short {
                ban_error.set(None);
                return;
            }
            ban_busy.set(true);
            let (api, banning, ban_reason, banned, ban_busy, ban_error, on_banned) = (
                api.clone(),
                banning.clone(),
                ban_reason.clone(),
                banned.clone(),
                ban_busy.clone(),
                ban_error.clone(),
                on_banned.clone(),
            );
            spawn(async move {
                let result = api
                    .ban(
                        id,
                        &NewBan {
                            user_id: user,
                            reason,
                        },
                    )
                    .await;
                ban_busy.set(false);
                match result {
                    Ok(()) => {
                        ban_error.set(None);
                        ban_reason.set(String::new());
                        banning.set(None);
                        banned.set(Some(name));
                        on_banned.emit(());
                    }
                    Err(err) => ban_error.set(Some(err)),
                }
            });
        })
    };
    let ban_ctx = BanCtx {
        enabled: props.moderate,
        me,
        banning: *banning,
        reason: (*ban_reason).clone(),
        missing: *ban_missing,
        error: (*ban_error).clone(),
        busy: *ban_busy,
        open: {
            let (banning, ban_reason, ban_missing, ban_error) = (
                banning.clone(),
                ban_reason.clone(),
                ban_missing.clone(),
                ban_error.clone(),
            );
            Callback::from(move |user: Option<UserId>| {
                banning.set(user);
                ban_reason.set(String::new());
                ban_missing.set(false);
                ban_error.set(None);
            })
        },
        on_reason: {
            let s = ban_reason.clone();
            Callback::from(move |v| s.set(v))
        },
        submit: ban,
    };
    let approve = {
        let api = session.api();
        let (error, approved, retry, id) = (
            error.clone(),
            approved.clone(),
            list.retry.clone(),
            props.id,
        );
        Callback::from(move |(user, name): (UserId, String)| {
            let (api, error, approved, retry) =
                (api.clone(), error.clone(), approved.clone(), retry.clone());
            spawn(async move {
                match api.approve_member(id, user).await {
                    Ok(()) => {
                        error.set(None);
                        approved.set(Some(name));
                        retry.emit(());
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let body = match &list.state {
        Remote::Loading => html! { <Loading /> },
        // Members of an estate are not everyone's to see: say so quietly.
        Remote::Failed(err) if err.is_forbidden() => {
            html! { <p>{ i18n.t("community.members_hidden") }</p> }
        }
        Remote::Failed(error) => {
            html! { <ErrorState error={error.clone()} retry={list.retry.clone()} /> }
        }
        Remote::Ready(members) if members.is_empty() => {
            html! { <p>{ i18n.t("community.no_members") }</p> }
        }
        Remote::Ready(members) => {
            let (pending, others): (Vec<&Member>, Vec<&Member>) = members
                .iter()
                .partition(|m| m.status == MemberStatus::Pending);
            html! {
                <>
                    if props.moderate && !pending.is_empty() {
                        <h3 class="h5">{ i18n.t("community.requests_heading") }</h3>
                        <ul class="list-unstyled">
                            { for pending.iter().map(|m| member_item(&i18n, m, props.moderate, &approve, &ban_ctx)) }
                        </ul>
                    }
                    <ul class="cortile-list">
                        { for others.iter().map(|m| member_item(&i18n, m, false, &approve, &ban_ctx)) }
                        if !props.moderate {
                            { for pending.iter().map(|m| member_item(&i18n, m, false, &approve, &ban_ctx)) }
                        }
                    </ul>
                </>
            }
        }
    };
    html! {
        <section class="mb-5" aria-labelledby="members-heading" data-testid="members">
            <h2 id="members-heading" class="h3">{ i18n.t("community.members_heading") }</h2>
            <div aria-live="polite">
                if let Some(name) = &*approved {
                    <p class="alert alert-success">{ i18n.tf("community.approved", &[("name", name)]) }</p>
                }
                if let Some(name) = &*banned {
                    <p class="alert alert-success" data-testid="member-ban-done">{ i18n.tf("ban.done", &[("name", name)]) }</p>
                }
            </div>
            <FormAlert error={(*error).clone()} testid="member-error" />
            { body }
        </section>
    }
}

/// What each member needs to show "Blocca" and its form.
struct BanCtx {
    /// The reader moderates here.
    enabled: bool,
    me: Option<UserId>,
    /// Whose ban form is open.
    banning: Option<UserId>,
    reason: String,
    missing: bool,
    error: Option<ApiError>,
    busy: bool,
    open: Callback<Option<UserId>>,
    on_reason: Callback<String>,
    submit: Callback<(UserId, String)>,
}

fn ban_tools(i18n: &I18n, m: &Member, ctx: &BanCtx, label_id: &str) -> Html {
    let user = m.user.id;
    if !ctx.enabled || ctx.me == Some(user) || m.moderator {
        return html! {};
    }
    let open = ctx.banning == Some(user);
    let name = m.user.display_name.clone();
    let onsubmit = {
        let submit = ctx.submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            submit.emit((user, name.clone()));
        })
    };
    let reason_error = if ctx.missing {
        Some(AttrValue::from(i18n.tf(
            "moderation.reason_required",
            &[(
                "min",
                &crate::pages::community::moderation::MIN_REASON.to_string(),
            )],
        )))
    } else {
        field_error(i18n, ctx.error.as_ref(), "reason")
    };
    let alert = if ctx.missing {
        Some(ApiError::Problem(cortile_shared::Problem::new(
            cortile_shared::ErrorCode::ValidationFailed,
        )))
    } else {
        ctx.error.clone()
    };
    html! {
        <>
            <button type="button" class="btn btn-outline-danger btn-sm ms-2" data-testid="member-ban"
                aria-expanded={if open { "true" } else { "false" }}
                aria-describedby={label_id.to_owned()}
                onclick={ctx.open.reform(move |_: MouseEvent| if open { None } else { Some(user) })}>
                { i18n.t("ban.button") }
            </button>
            if open {
                <form class="card card-body shadow-sm mt-2 mb-2 cortile-narrow" {onsubmit} novalidate=true>
                    <p class="mb-2">{ i18n.tf("ban.intro", &[("name", &m.user.display_name)]) }</p>
                    <FormAlert error={alert} testid="ban-error" />
                    <TextField
                        id={format!("ban-reason-{user}")}
                        label={i18n.t("moderation.reason_label")}
                        help={i18n.t("ban.reason_help")}
                        value={ctx.reason.clone()}
                        oninput={ctx.on_reason.clone()}
                        required=true
                        error={reason_error}
                        testid="ban-reason"
                    />
                    <div class="d-flex flex-wrap gap-2">
                        <button type="submit" class="btn btn-danger btn-sm" disabled={ctx.busy} data-testid="member-ban-submit">
                            { i18n.tf("ban.submit", &[("name", &m.user.display_name)]) }
                        </button>
                        <button type="button" class="btn btn-outline-secondary btn-sm"
                            onclick={ctx.open.reform(|_: MouseEvent| None)}>
                            { i18n.t("edit.cancel") }
                        </button>
                    </div>
                </form>
            }
        </>
    }
}

fn member_item(
    i18n: &I18n,
    m: &Member,
    can_approve: bool,
    approve: &Callback<(UserId, String)>,
    ban: &BanCtx,
) -> Html {
    let user = m.user.id;
    let name = m.user.display_name.clone();
    let label_id = format!("member-{user}-name");
    let mut notes = Vec::new();
    if m.moderator {
        notes.push(i18n.t("community.moderator"));
    }
    if m.status != MemberStatus::Active {
        notes.push(status_text(i18n, m.status));
    }
    html! {
        <li class={classes!(can_approve.then_some("mb-2"))} data-testid="member-item" data-status={m.status.as_str()} key={user.0}>
            <span id={label_id.clone()}>{ name.clone() }</span>
            if !notes.is_empty() {
                { format!(" ({})", notes.join(", ")) }
            }
            if can_approve {
                <button type="button" class="btn btn-success btn-sm ms-2" data-testid="member-approve"
                    aria-describedby={label_id.clone()}
                    onclick={approve.reform(move |_: MouseEvent| (user, name.clone()))}>
                    { i18n.t("community.approve") }
                </button>
            }
            if m.status == MemberStatus::Active {
                { ban_tools(i18n, m, ban, &label_id) }
            }
        </li>
    }
}
