//! `/moderazione`: the moderation queue: open flags in the communities I moderate, each with
//! the way to the post and the two quick acts (hide with a reason, or keep).

use std::collections::HashMap;

use cortile_shared::community::{Flag, Moderate, ModerationAction};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{ErrorState, FormAlert, Loading, TextField};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::notifications::use_activity;
use crate::pages::community::moderation::{flag_reason_text, reason_ok, MIN_REASON};
use crate::pages::community::time_view;
use crate::session::use_session;

#[function_component(ModerationQueuePage)]
pub fn moderation_queue_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let activity = use_activity();
    let title = i18n.t("queue.title");
    use_document_title(Some(title.clone()));
    let queue = {
        let api = session.api();
        use_remote(api, |api| async move { api.moderation_queue().await })
    };
    // Flags dealt with here (they leave the list), and what was done last.
    let handled = use_state(Vec::<i64>::new);
    let done = use_state(|| None::<ModerationAction>);
    let reasons = use_state(HashMap::<i64, String>::new);
    let missing = use_state(|| None::<i64>);
    let errors = use_state(HashMap::<i64, ApiError>::new);
    let busy = use_state(|| false);

    let act = {
        let api = session.api();
        let (handled, done, reasons, missing, errors, busy) = (
            handled.clone(),
            done.clone(),
            reasons.clone(),
            missing.clone(),
            errors.clone(),
            busy.clone(),
        );
        let refresh = activity.refresh.clone();
        Callback::from(move |(flag, action): (Flag, ModerationAction)| {
            if *busy {
                return;
            }
            let reason = reasons
                .get(&flag.id)
                .map(|r| r.trim().to_owned())
                .unwrap_or_default();
            if !reason_ok(action, &reason) {
                missing.set(Some(flag.id));
                return;
            }
            missing.set(None);
            busy.set(true);
            let (api, handled, done, errors, busy, refresh) = (
                api.clone(),
                handled.clone(),
                done.clone(),
                errors.clone(),
                busy.clone(),
                refresh.clone(),
            );
            spawn(async move {
                let m = Moderate { action, reason };
                let result = match flag.comment_id {
                    Some(comment) => api.moderate_comment(comment, &m).await,
                    None => api.moderate_post(flag.post_id, &m).await.map(|_| ()),
                };
                busy.set(false);
                let mut all = (*errors).clone();
                match result {
                    Ok(()) => {
                        all.remove(&flag.id);
                        let mut gone = (*handled).clone();
                        gone.push(flag.id);
                        handled.set(gone);
                        done.set(Some(action));
                        refresh.emit(());
                    }
                    Err(err) => {
                        all.insert(flag.id, err);
                        done.set(None);
                    }
                }
                errors.set(all);
            });
        })
    };

    let body = match &queue.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => {
            html! { <ErrorState error={error.clone()} retry={queue.retry.clone()} /> }
        }
        Remote::Ready(flags) => {
            let open: Vec<&Flag> = flags.iter().filter(|f| !handled.contains(&f.id)).collect();
            if open.is_empty() {
                html! { <p data-testid="queue-empty">{ i18n.t("queue.empty") }</p> }
            } else {
                html! {
                    <ul class="list-unstyled">
                        { for open.into_iter().map(|f| {
                            let id = f.id;
                            let heading = format!("queue-{id}-heading");
                            let field = format!("queue-reason-{id}");
                            let reason = reasons.get(&id).cloned().unwrap_or_default();
                            let error = errors.get(&id).cloned();
                            let reason_error = if *missing == Some(id) {
                                Some(AttrValue::from(i18n.tf("moderation.reason_required", &[("min", &MIN_REASON.to_string())])))
                            } else {
                                crate::components::field_error(&i18n, error.as_ref(), "reason")
                            };
                            let on_reason = {
                                let reasons = reasons.clone();
                                Callback::from(move |v: String| {
                                    let mut all = (*reasons).clone();
                                    all.insert(id, v);
                                    reasons.set(all);
                                })
                            };
                            let hide = { let f = (*f).clone(); act.reform(move |_: MouseEvent| (f.clone(), ModerationAction::Hide)) };
                            let dismiss = { let f = (*f).clone(); act.reform(move |_: MouseEvent| (f.clone(), ModerationAction::Dismiss)) };
                            let what = if f.comment_id.is_some() { "queue.comment_in" } else { "queue.post_in" };
                            html! {
                                <li class="card card-bg shadow-sm mb-3 cortile-card" data-testid="queue-item"
                                    data-post={f.post_id.to_string()} key={id}>
                                    <article class="card-body" aria-labelledby={heading.clone()}>
                                        <h2 id={heading} class="h5 card-title" data-testid="queue-excerpt">{ f.excerpt.clone() }</h2>
                                        <p class="cortile-post-meta mb-2">
                                            { i18n.t(what) }{ " " }
                                            <Link<Route> to={Route::Community { id: f.community.id }}>{ f.community.name.clone() }</Link<Route>>
                                            { " · " }
                                            <span data-testid="queue-author">{ i18n.tf("post.by", &[("name", &f.author.display_name)]) }</span>
                                            { " · " }
                                            { time_view(&i18n, f.created_at) }
                                        </p>
                                        <dl class="row cortile-details mb-2">
                                            <dt class="col-sm-4 col-md-3">{ i18n.t("queue.reason") }</dt>
                                            <dd class="col-sm-8 col-md-9" data-testid="queue-flag-reason">{ flag_reason_text(&i18n, f.reason) }</dd>
                                            <dt class="col-sm-4 col-md-3">{ i18n.t("queue.count") }</dt>
                                            <dd class="col-sm-8 col-md-9" data-testid="queue-count">{ i18n.count("queue.flags", f.flags) }</dd>
                                            if !f.note.is_empty() {
                                                <dt class="col-sm-4 col-md-3">{ i18n.t("queue.note") }</dt>
                                                <dd class="col-sm-8 col-md-9" data-testid="queue-note">{ f.note.clone() }</dd>
                                            }
                                        </dl>
                                        <p>
                                            <Link<Route> to={Route::Post { id: f.post_id }}>
                                                <span data-testid="queue-open">{ i18n.t("queue.open") }</span>
                                            </Link<Route>>
                                        </p>
                                        <FormAlert error={error} testid="queue-error" />
                                        <div class="cortile-narrow">
                                            <TextField
                                                id={field}
                                                label={i18n.t("queue.reason_label")}
                                                help={i18n.t("queue.reason_help")}
                                                value={reason}
                                                oninput={on_reason}
                                                error={reason_error}
                                                testid="queue-reason"
                                            />
                                        </div>
                                        <div class="d-flex flex-wrap gap-2">
                                            <button type="button" class="btn btn-primary btn-sm" data-testid="queue-hide"
                                                disabled={*busy} aria-describedby={format!("queue-{id}-heading")} onclick={hide}>
                                                { i18n.t("queue.hide") }
                                            </button>
                                            <button type="button" class="btn btn-outline-primary btn-sm" data-testid="queue-dismiss"
                                                disabled={*busy} aria-describedby={format!("queue-{id}-heading")} onclick={dismiss}>
                                                { i18n.t("queue.dismiss") }
                                            </button>
                                        </div>
                                    </article>
                                </li>
                            }
                        }) }
                    </ul>
                }
            }
        }
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("queue.intro") }</p>
            <div aria-live="polite">
                if let Some(action) = *done {
                    <p class="alert alert-success" data-testid="queue-done">{ i18n.t(&format!("queue.done.{}", action.as_str())) }</p>
                }
            </div>
            { body }
        </>
    }
}
