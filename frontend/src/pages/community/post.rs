//! `/post/:id`: a post with its community, author and date, its reactions, its comments
//! (replies one level deep under their parent), its author's editor and its earlier versions.

use std::rc::Rc;

use cortile_shared::community::{
    Comment, EditPost, ModerationAction, NewComment, Post, PostThread, ReactionKind, MAX_TITLE_LEN,
};
use cortile_shared::{CommentId, ErrorCode, PostId, Problem, UserId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{
    field_error, Breadcrumb, ErrorState, FormAlert, Loading, NotFoundState, TextField,
};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::images::{ImageList, ImagePicker, NotReady, PostImages};
use crate::pages::community::moderation::{
    CommentModerate, FlagButton, FlagTarget, ModerationPanel,
};
use crate::pages::community::{reaction_of, reaction_text, time_view, PostBody};
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct PostPageProps {
    pub id: PostId,
}

#[function_component(PostPage)]
pub fn post_page(props: &PostPageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let remote = {
        let api = session.api();
        use_remote(
            (props.id, api),
            |(id, api)| async move { api.post(id).await },
        )
    };
    match &remote.state {
        Remote::Ready(thread) => html! { <PostView key={props.id.0} thread={thread.clone()} /> },
        Remote::Failed(error) if error.is_not_found() => html! {
            <NotFoundState title_key="post.not_found_title" text_key="post.not_found_text" />
        },
        Remote::Failed(error) => html! {
            <>
                <h1 data-testid="page-title">{ i18n.t("post.title") }</h1>
                <ErrorState error={error.clone()} retry={remote.retry.clone()} />
            </>
        },
        Remote::Loading => html! { <Loading /> },
    }
}

/// A validation failure found before sending, for [`FormAlert`].
fn local_invalid() -> ApiError {
    ApiError::Problem(Problem::new(ErrorCode::ValidationFailed))
}

#[derive(Properties, PartialEq)]
struct PostViewProps {
    thread: Rc<PostThread>,
}

#[function_component(PostView)]
fn post_view(props: &PostViewProps) -> Html {
    let i18n = use_i18n();
    // The post as edited or reacted to here.
    let post = use_state(|| props.thread.post.clone());
    let editing = use_state(|| false);
    let history_open = use_state(|| false);
    // Bumped after each edit, so an open history loads again.
    let version = use_state(|| 0u32);
    let navigator = use_navigator();
    use_document_title(Some(post.title.clone()));

    let on_moderated = {
        let post = post.clone();
        Callback::from(move |now: Post| post.set(now))
    };
    let on_removed = {
        let community = post.community.id;
        Callback::from(move |()| {
            if let Some(navigator) = &navigator {
                navigator.push(&Route::Community { id: community });
            }
        })
    };

    let on_saved = {
        let (post, editing, version) = (post.clone(), editing.clone(), version.clone());
        Callback::from(move |saved: Post| {
            post.set(saved);
            editing.set(false);
            version.set(version.wrapping_add(1));
        })
    };
    let on_reactions = {
        let post = post.clone();
        Callback::from(move |reactions| {
            let mut updated = (*post).clone();
            updated.reactions = reactions;
            post.set(updated);
        })
    };
    let parents = vec![
        (
            Route::Communities,
            AttrValue::from(i18n.t("communities.title")),
        ),
        (
            Route::Community {
                id: post.community.id,
            },
            AttrValue::from(post.community.name.clone()),
        ),
    ];

    html! {
        <article aria-labelledby="post-heading">
            <Breadcrumb {parents} current={post.title.clone()} />
            <h1 id="post-heading" data-testid="post-title-view">{ post.title.clone() }</h1>
            if post.hidden {
                <p class="mb-2"><span class="badge bg-danger cortile-hidden-badge" data-testid="post-hidden-badge">{ i18n.t("post.hidden_badge") }</span></p>
            }
            <p class="cortile-post-meta" id="post-meta">
                if post.pinned {
                    <span class="badge bg-primary me-2">{ i18n.t("post.pinned_badge") }</span>{ " " }
                }
                if post.targeted {
                    <span class="badge bg-dark me-2" data-testid="post-targeted-badge">{ i18n.t("post.targeted_badge") }</span>{ " " }
                }
                if post.locked {
                    <span class="badge bg-secondary me-2" data-testid="post-locked-badge">{ i18n.t("post.locked_badge") }</span>{ " " }
                }
                { i18n.t("post.in_community") }{ " " }
                <Link<Route> to={Route::Community { id: post.community.id }}>
                    <span data-testid="post-community">{ post.community.name.clone() }</span>
                </Link<Route>>
                { " · " }
                <span data-testid="post-author">{ i18n.tf("post.by", &[("name", &post.author.display_name)]) }</span>
                { ", " }
                { time_view(&i18n, post.created_at) }
                if let Some(at) = post.edited_at {
                    <span data-testid="post-edited">{ " · " }{ i18n.tf("post.edited_at", &[("date", &i18n.datetime(at))]) }</span>
                }
            </p>
            if *editing {
                <EditForm post={Rc::new((*post).clone())} {on_saved}
                    on_cancel={let e = editing.clone(); Callback::from(move |()| e.set(false))} />
            } else {
                <PostBody html={AttrValue::from(post.body_html.clone())} class="mb-3" testid="post-body-view" />
                <PostImages images={post.images.clone()} />
                if post.can_edit {
                    <button type="button" class="btn btn-outline-primary btn-sm mb-3" data-testid="post-edit"
                        onclick={let e = editing.clone(); Callback::from(move |_: MouseEvent| e.set(true))}>
                        { i18n.t("post.edit") }
                    </button>
                }
            }
            <ReactionButtons id={post.id} reactions={post.reactions.clone()} {on_reactions} />
            if !post.can_edit {
                <div class="mb-4">
                    <FlagButton target={FlagTarget::Post(post.id)} />
                </div>
            }
            if props.thread.can_moderate {
                <ModerationPanel post={(*post).clone()} on_changed={on_moderated} {on_removed} />
            }
            if post.edited_at.is_some() {
                <section class="mb-4" aria-labelledby="history-heading">
                    <h2 id="history-heading" class="h4">{ i18n.t("history.heading") }</h2>
                    <button type="button" class="btn btn-link p-0" data-testid="post-history"
                        aria-expanded={if *history_open { "true" } else { "false" }}
                        onclick={let h = history_open.clone(); Callback::from(move |_: MouseEvent| h.set(!*h))}>
                        { i18n.t(if *history_open { "history.hide" } else { "history.show" }) }
                    </button>
                    if *history_open {
                        <History id={post.id} version={*version} />
                    }
                </section>
            }
            <Comments
                id={post.id}
                comments={Rc::new(props.thread.comments.clone())}
                can_comment={props.thread.can_comment && !post.locked}
                locked={post.locked}
                can_moderate={props.thread.can_moderate}
            />
        </article>
    }
}

#[derive(Properties, PartialEq)]
struct ReactionButtonsProps {
    id: PostId,
    reactions: Vec<cortile_shared::community::ReactionCount>,
    on_reactions: Callback<Vec<cortile_shared::community::ReactionCount>>,
}

/// "Mi piace", "Grazie", "Ti sostengo": pressed when mine, with how many.
#[function_component(ReactionButtons)]
fn reaction_buttons(props: &ReactionButtonsProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let react = {
        let api = session.api();
        let (error, busy, id, on_reactions) = (
            error.clone(),
            busy.clone(),
            props.id,
            props.on_reactions.clone(),
        );
        Callback::from(move |(kind, on): (ReactionKind, bool)| {
            if *busy {
                return;
            }
            busy.set(true);
            let (api, error, busy, on_reactions) = (
                api.clone(),
                error.clone(),
                busy.clone(),
                on_reactions.clone(),
            );
            spawn(async move {
                let result = api.react(id, kind, on).await;
                busy.set(false);
                match result {
                    Ok(answer) => {
                        error.set(None);
                        on_reactions.emit(answer.reactions);
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    html! {
        <div class="mb-4">
            <div class="d-flex flex-wrap gap-2 cortile-reactions" role="group" aria-label={i18n.t("reaction.group")}>
                { for ReactionKind::ALL.into_iter().map(|kind| {
                    let (count, mine) = reaction_of(&props.reactions, kind);
                    html! {
                        <button type="button"
                            class={classes!("btn", "btn-sm", if mine { "btn-primary" } else { "btn-outline-primary" })}
                            aria-pressed={if mine { "true" } else { "false" }}
                            data-testid={format!("reaction-{}", kind.as_str())}
                            data-count={count.to_string()}
                            onclick={react.reform(move |_: MouseEvent| (kind, !mine))}>
                            { reaction_text(&i18n, kind) }
                            { " " }
                            <span class="badge bg-light text-dark ms-2">{ i18n.int(count) }</span>
                        </button>
                    }
                }) }
            </div>
            <FormAlert error={(*error).clone()} testid="reaction-error" />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct EditFormProps {
    post: Rc<Post>,
    on_saved: Callback<Post>,
    on_cancel: Callback<()>,
}

/// The author's editor: title and markdown; the previous text goes to the history.
#[function_component(EditForm)]
fn edit_form(props: &EditFormProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = use_state(|| props.post.title.clone());
    let body = use_state(|| props.post.body_markdown.clone().unwrap_or_default());
    let error = use_state(|| None::<ApiError>);
    let missing = use_state(Vec::<&'static str>::new);
    let busy = use_state(|| false);
    let images = {
        let own = props.post.images.clone();
        use_reducer(move || ImageList::of_post(&own))
    };
    let not_ready = use_state(|| None::<NotReady>);
    let onsubmit = {
        let api = session.api();
        let (title, body, error, missing, busy) = (
            title.clone(),
            body.clone(),
            error.clone(),
            missing.clone(),
            busy.clone(),
        );
        let (images, not_ready) = (images.clone(), not_ready.clone());
        let (id, on_saved) = (props.post.id, props.on_saved.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let refs = images.refs();
            not_ready.set(refs.as_ref().err().copied());
            let edit = EditPost {
                title: title.trim().to_owned(),
                body: body.trim().to_owned(),
                images: Some(refs.clone().unwrap_or_default()),
            };
            let mut empty = Vec::new();
            if edit.title.is_empty() {
                empty.push("title");
            }
            if edit.body.is_empty() {
                empty.push("body");
            }
            if refs.is_err() {
                empty.push("images");
            }
            missing.set(empty.clone());
            if !empty.is_empty() {
                error.set(None);
                return;
            }
            busy.set(true);
            let (api, error, busy, on_saved) =
                (api.clone(), error.clone(), busy.clone(), on_saved.clone());
            spawn(async move {
                let result = api.edit_post(id, &edit).await;
                busy.set(false);
                match result {
                    Ok(post) => on_saved.emit(post),
                    Err(err) => error.set(Some(err)),
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
    let alert = if missing.is_empty() {
        (*error).clone()
    } else {
        Some(local_invalid())
    };
    html! {
        <section class="mb-4 cortile-narrow" aria-labelledby="edit-heading">
            <h2 id="edit-heading" class="h3">{ i18n.t("edit.heading") }</h2>
            <p>{ i18n.t("edit.intro") }</p>
            <FormAlert error={alert} testid="edit-error" />
            <form {onsubmit} novalidate=true>
                <TextField
                    id="edit-title"
                    label={i18n.t("composer.title")}
                    help={i18n.tf("composer.title_help", &[("max", &MAX_TITLE_LEN.to_string())])}
                    value={(*title).clone()}
                    oninput={let s = title.clone(); Callback::from(move |v| s.set(v))}
                    required=true
                    error={local("title").or_else(|| field_error(&i18n, failed, "title"))}
                    testid="edit-title"
                />
                <TextField
                    id="edit-body"
                    multiline=true
                    label={i18n.t("composer.body")}
                    help={i18n.t("composer.markdown_help")}
                    value={(*body).clone()}
                    oninput={let s = body.clone(); Callback::from(move |v| s.set(v))}
                    required=true
                    error={local("body").or_else(|| field_error(&i18n, failed, "body"))}
                    testid="edit-body"
                />
                <ImagePicker list={images.clone()} id="edit" error={(*error).clone()} not_ready={*not_ready} />
                <div class="d-flex flex-wrap gap-2">
                    <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="edit-submit">
                        { i18n.t(if *busy { "edit.submitting" } else { "edit.submit" }) }
                    </button>
                    <button type="button" class="btn btn-outline-secondary" data-testid="edit-cancel"
                        onclick={props.on_cancel.reform(|_: MouseEvent| ())}>
                        { i18n.t("edit.cancel") }
                    </button>
                </div>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct HistoryProps {
    id: PostId,
    version: u32,
}

/// The earlier versions of a post, newest first.
#[function_component(History)]
fn history(props: &HistoryProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let list = {
        let api = session.api();
        use_remote((props.id, props.version, api), |(id, _, api)| async move {
            api.post_history(id).await
        })
    };
    match &list.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => {
            html! { <ErrorState error={error.clone()} retry={list.retry.clone()} /> }
        }
        Remote::Ready(revisions) if revisions.is_empty() => {
            html! { <p>{ i18n.t("history.none") }</p> }
        }
        Remote::Ready(revisions) => html! {
            <ol class="list-unstyled mt-3">
                { for revisions.iter().enumerate().map(|(n, r)| html! {
                    <li class="card card-bg shadow-sm mb-3 cortile-card" data-testid="revision" key={n}>
                        <div class="card-body">
                            <h3 class="h5 card-title">{ r.title.clone() }</h3>
                            <p class="cortile-post-meta">
                                { i18n.tf("history.replaced", &[("name", &r.edited_by.display_name)]) }
                                { " " }
                                { time_view(&i18n, r.replaced_at) }
                            </p>
                            <PostBody html={AttrValue::from(r.body_html.clone())} />
                        </div>
                    </li>
                }) }
            </ol>
        },
    }
}

#[derive(Properties, PartialEq)]
struct CommentsProps {
    id: PostId,
    comments: Rc<Vec<Comment>>,
    can_comment: bool,
    locked: bool,
    can_moderate: bool,
}

/// The comments: top-level ones in order, each with its replies indented below it; the
/// comment form, and "Rispondi" under each top-level comment.
#[function_component(Comments)]
fn comments(props: &CommentsProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    // The comments as loaded plus those written here.
    let comments = use_state(|| (*props.comments).clone());
    let text = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let missing = use_state(|| false);
    let busy = use_state(|| false);
    let reply_to = use_state(|| None::<CommentId>);
    let reply_text = use_state(String::new);
    let reply_error = use_state(|| None::<ApiError>);
    let reply_missing = use_state(|| false);
    let moderated = use_state(|| None::<ModerationAction>);
    let me = session.me().map(|me| me.id);

    // A moderated comment leaves the list (unless it was kept).
    let on_moderated = {
        let (comments, moderated) = (comments.clone(), moderated.clone());
        Callback::from(move |(id, action): (CommentId, ModerationAction)| {
            if action != ModerationAction::Dismiss {
                let all: Vec<Comment> = comments.iter().filter(|c| c.id != id).cloned().collect();
                comments.set(all);
            }
            moderated.set(Some(action));
        })
    };

    // Sends a comment (a reply when `parent` is given); `done` runs after success.
    let send = {
        let api = session.api();
        let (comments, busy, id) = (comments.clone(), busy.clone(), props.id);
        move |body: String,
              parent: Option<CommentId>,
              error: UseStateHandle<Option<ApiError>>,
              done: Callback<()>| {
            if *busy {
                return;
            }
            busy.set(true);
            let (api, comments, busy) = (api.clone(), comments.clone(), busy.clone());
            spawn(async move {
                let new = NewComment {
                    body,
                    parent_id: parent,
                };
                let result = api.comment(id, &new).await;
                busy.set(false);
                match result {
                    Ok(comment) => {
                        error.set(None);
                        let mut all = (*comments).clone();
                        all.push(comment);
                        comments.set(all);
                        done.emit(());
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        }
    };
    let onsubmit = {
        let send = send.clone();
        let (text, error, missing) = (text.clone(), error.clone(), missing.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = text.trim().to_owned();
            missing.set(body.is_empty());
            if body.is_empty() {
                error.set(None);
                return;
            }
            let text = text.clone();
            send(
                body,
                None,
                error.clone(),
                Callback::from(move |()| text.set(String::new())),
            );
        })
    };
    let onreply = {
        let (reply_to, reply_text, reply_error, reply_missing) = (
            reply_to.clone(),
            reply_text.clone(),
            reply_error.clone(),
            reply_missing.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(parent) = *reply_to else {
                return;
            };
            let body = reply_text.trim().to_owned();
            reply_missing.set(body.is_empty());
            if body.is_empty() {
                reply_error.set(None);
                return;
            }
            let (reply_to, reply_text2) = (reply_to.clone(), reply_text.clone());
            send(
                body,
                Some(parent),
                reply_error.clone(),
                Callback::from(move |()| {
                    reply_text2.set(String::new());
                    reply_to.set(None);
                }),
            );
        })
    };
    let open_reply = {
        let (reply_to, reply_text, reply_error, reply_missing) = (
            reply_to.clone(),
            reply_text.clone(),
            reply_error.clone(),
            reply_missing.clone(),
        );
        Callback::from(move |target: Option<CommentId>| {
            reply_to.set(target);
            reply_text.set(String::new());
            reply_error.set(None);
            reply_missing.set(false);
        })
    };

    let tops: Vec<&Comment> = comments
        .iter()
        .filter(|c| {
            c.parent_id
                .is_none_or(|p| !comments.iter().any(|other| other.id == p))
        })
        .collect();
    let ctx = CommentCtx {
        can_comment: props.can_comment,
        reply_to: *reply_to,
        reply_text: (*reply_text).clone(),
        reply_error: (*reply_error).clone(),
        reply_missing: *reply_missing,
        busy: *busy,
        on_reply_text: {
            let s = reply_text.clone();
            Callback::from(move |v| s.set(v))
        },
        open_reply,
        onreply,
        me,
        can_moderate: props.can_moderate,
        on_moderated,
    };
    let failed = (*error).as_ref();
    let comment_error = if *missing {
        Some(AttrValue::from(i18n.t("field_error.comment_body.required")))
    } else {
        field_error(&i18n, failed, "body")
    };
    let alert = if *missing {
        Some(local_invalid())
    } else {
        (*error).clone()
    };

    html! {
        <section class="mb-5 cortile-comments" aria-labelledby="comments-heading">
            <h2 id="comments-heading" class="h3">{ i18n.count("count.comments", comments.len() as i64) }</h2>
            <div aria-live="polite">
                if let Some(action) = *moderated {
                    <p class="alert alert-success" data-testid="comment-moderate-done">{ i18n.t(&format!("moderation.comment_done.{}", action.as_str())) }</p>
                }
            </div>
            if comments.is_empty() {
                <p data-testid="comments-empty">{ i18n.t("comments.none") }</p>
            } else {
                <ul class="list-unstyled">
                    { for tops.iter().map(|c| {
                        let replies: Vec<&Comment> = comments.iter().filter(|r| r.parent_id == Some(c.id)).collect();
                        comment_item(&i18n, c, &replies, &ctx)
                    }) }
                </ul>
            }
            if props.locked {
                <p class="alert alert-info" data-testid="comments-closed">{ i18n.t("comments.closed") }</p>
            } else if props.can_comment {
                <div class="cortile-narrow">
                    <h3 class="h5">{ i18n.t("comments.write") }</h3>
                    <FormAlert error={alert} testid="comment-error" />
                    <form {onsubmit} novalidate=true>
                        <TextField
                            id="comment-body"
                            multiline=true
                            label={i18n.t("comments.body")}
                            help={i18n.t("comments.body_help")}
                            value={(*text).clone()}
                            oninput={let s = text.clone(); Callback::from(move |v| s.set(v))}
                            required=true
                            error={comment_error}
                            testid="comment-body"
                        />
                        <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="comment-submit">
                            { i18n.t("comments.submit") }
                        </button>
                    </form>
                </div>
            } else {
                <p data-testid="comments-members-only">{ i18n.t("comments.members_only") }</p>
            }
        </section>
    }
}

/// What each comment needs to show its reply button and form.
struct CommentCtx {
    can_comment: bool,
    reply_to: Option<CommentId>,
    reply_text: String,
    reply_error: Option<ApiError>,
    reply_missing: bool,
    busy: bool,
    on_reply_text: Callback<String>,
    open_reply: Callback<Option<CommentId>>,
    onreply: Callback<SubmitEvent>,
    /// The reader, who does not flag their own comments.
    me: Option<UserId>,
    can_moderate: bool,
    on_moderated: Callback<(CommentId, ModerationAction)>,
}

/// "Segnala" (for comments of others) and "Modera" (for moderators) under a comment.
fn comment_tools(c: &Comment, ctx: &CommentCtx) -> Html {
    let by = AttrValue::from(format!("comment-{}-by", c.id));
    let theirs = ctx.me != Some(c.author.id);
    html! {
        <>
            if theirs {
                <FlagButton target={FlagTarget::Comment(c.id)} describedby={by.clone()} />
            }
            if ctx.can_moderate {
                <CommentModerate id={c.id} describedby={by} on_done={ctx.on_moderated.clone()} />
            }
        </>
    }
}

fn comment_view(i18n: &I18n, c: &Comment) -> Html {
    html! {
        <>
            <p class="cortile-post-meta mb-1" id={format!("comment-{}-by", c.id)}>
                <strong>{ c.author.display_name.clone() }</strong>
                { ", " }
                { time_view(i18n, c.created_at) }
            </p>
            <PostBody html={AttrValue::from(c.body_html.clone())} />
        </>
    }
}

fn comment_item(i18n: &I18n, c: &Comment, replies: &[&Comment], ctx: &CommentCtx) -> Html {
    let id = c.id;
    let replying = ctx.reply_to == Some(id);
    let field = format!("reply-body-{id}");
    let reply_field_error = if ctx.reply_missing {
        Some(AttrValue::from(i18n.t("field_error.comment_body.required")))
    } else {
        field_error(i18n, ctx.reply_error.as_ref(), "body")
    };
    let alert = if ctx.reply_missing {
        Some(local_invalid())
    } else {
        ctx.reply_error.clone()
    };
    html! {
        <li class="cortile-comment mb-3" id={format!("comment-{id}")} data-testid="comment" key={id.0}>
            { comment_view(i18n, c) }
            <div class="d-flex flex-wrap gap-3 align-items-start">
            if ctx.can_comment {
                <button type="button" class="btn btn-link btn-sm p-0" data-testid="comment-reply"
                    aria-expanded={if replying { "true" } else { "false" }}
                    aria-describedby={format!("comment-{id}-by")}
                    onclick={ctx.open_reply.reform(move |_: MouseEvent| if replying { None } else { Some(id) })}>
                    { i18n.t("comments.reply") }
                </button>
            }
            { comment_tools(c, ctx) }
            </div>
            if replying {
                <form class="cortile-reply-form mt-2" onsubmit={ctx.onreply.clone()} novalidate=true>
                    <FormAlert error={alert} testid="reply-error" />
                    <TextField
                        id={field.clone()}
                        multiline=true
                        label={i18n.tf("comments.reply_label", &[("name", &c.author.display_name)])}
                        value={ctx.reply_text.clone()}
                        oninput={ctx.on_reply_text.clone()}
                        required=true
                        error={reply_field_error}
                        testid="reply-body"
                    />
                    <div class="d-flex flex-wrap gap-2">
                        <button type="submit" class="btn btn-primary btn-sm" disabled={ctx.busy} data-testid="reply-submit">
                            { i18n.t("comments.reply_submit") }
                        </button>
                        <button type="button" class="btn btn-outline-secondary btn-sm" data-testid="reply-cancel"
                            onclick={ctx.open_reply.reform(|_: MouseEvent| None)}>
                            { i18n.t("edit.cancel") }
                        </button>
                    </div>
                </form>
            }
            if !replies.is_empty() {
                <ul class="list-unstyled cortile-replies mt-2">
                    { for replies.iter().map(|r| html! {
                        <li class="cortile-comment cortile-reply mb-2" id={format!("comment-{}", r.id)}
                            data-testid="comment" data-parent={id.to_string()} key={r.id.0}>
                            { comment_view(i18n, r) }
                            <div class="d-flex flex-wrap gap-3 align-items-start">
                                { comment_tools(r, ctx) }
                            </div>
                        </li>
                    }) }
                </ul>
            }
        </li>
    }
}
