//! Moderation on the post page: "Segnala" for readers (a post or a comment), the panel of the
//! community's moderators (hide, unhide, remove, lock, unlock, keep) and their "Modera" on
//! each comment. Every act but keeping and undoing asks for a reason: the author is told and
//! the community's public log shows it.

use cortile_shared::community::{FlagReason, Moderate, ModerationAction, NewFlag, Post};
use cortile_shared::{CommentId, ErrorCode, PostId, Problem};
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::{field_error, FormAlert, SelectField, TextField};
use crate::hooks::spawn;
use crate::i18n::{use_i18n, I18n};
use crate::session::use_session;

/// The four reasons, in the order the select offers them.
pub const FLAG_REASONS: [FlagReason; 4] = [
    FlagReason::Spam,
    FlagReason::Offensive,
    FlagReason::PersonalData,
    FlagReason::Other,
];

/// Shortest reason the server accepts for hide, remove and lock.
pub const MIN_REASON: usize = 3;

pub fn flag_reason_text(i18n: &I18n, reason: FlagReason) -> String {
    i18n.t(&format!("flag.reason.{}", reason.as_str()))
}

pub fn action_text(i18n: &I18n, action: ModerationAction) -> String {
    i18n.t(&format!("moderation.action.{}", action.as_str()))
}

/// Whether `action` needs a reason.
pub fn needs_reason(action: ModerationAction) -> bool {
    matches!(
        action,
        ModerationAction::Hide | ModerationAction::Remove | ModerationAction::Lock
    )
}

/// Whether `reason` is enough for `action`.
pub fn reason_ok(action: ModerationAction, reason: &str) -> bool {
    !needs_reason(action) || reason.trim().chars().count() >= MIN_REASON
}

/// The actions a moderator may take on a post as it is now.
pub fn post_actions(post: &Post) -> Vec<ModerationAction> {
    let mut actions = vec![if post.hidden {
        ModerationAction::Unhide
    } else {
        ModerationAction::Hide
    }];
    actions.push(if post.locked {
        ModerationAction::Unlock
    } else {
        ModerationAction::Lock
    });
    actions.push(ModerationAction::Remove);
    actions.push(ModerationAction::Dismiss);
    actions
}

/// The actions on a comment.
pub const COMMENT_ACTIONS: [ModerationAction; 3] = [
    ModerationAction::Hide,
    ModerationAction::Remove,
    ModerationAction::Dismiss,
];

pub fn parse_action(raw: &str) -> Option<ModerationAction> {
    [
        ModerationAction::Hide,
        ModerationAction::Unhide,
        ModerationAction::Remove,
        ModerationAction::Lock,
        ModerationAction::Unlock,
        ModerationAction::Dismiss,
    ]
    .into_iter()
    .find(|a| a.as_str() == raw)
}

/// A validation failure found before sending, for [`FormAlert`].
fn local_invalid() -> ApiError {
    ApiError::Problem(Problem::new(ErrorCode::ValidationFailed))
}

/// What is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagTarget {
    Post(PostId),
    Comment(CommentId),
}

impl FlagTarget {
    /// A prefix for the ids of the form's fields, unique on the page.
    fn key(self) -> String {
        match self {
            FlagTarget::Post(id) => format!("post-{id}"),
            FlagTarget::Comment(id) => format!("comment-{id}"),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct FlagButtonProps {
    pub target: FlagTarget,
    /// The id of the element naming what is flagged (its author), for the button's description.
    #[prop_or_default]
    pub describedby: Option<AttrValue>,
}

/// "Segnala": opens a small form with the reason and an optional note.
#[function_component(FlagButton)]
pub fn flag_button(props: &FlagButtonProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let open = use_state(|| false);
    let reason = use_state(|| FlagReason::Spam);
    let note = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let done = use_state(|| false);
    let target = props.target;
    let key = target.key();
    let testid = match target {
        FlagTarget::Post(_) => "post-flag",
        FlagTarget::Comment(_) => "comment-flag",
    };

    let onsubmit = {
        let api = session.api();
        let (reason, note, busy, error, done, open) = (
            reason.clone(),
            note.clone(),
            busy.clone(),
            error.clone(),
            done.clone(),
            open.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let flag = NewFlag {
                reason: *reason,
                note: note.trim().to_owned(),
            };
            let (api, busy, error, done, open, note) = (
                api.clone(),
                busy.clone(),
                error.clone(),
                done.clone(),
                open.clone(),
                note.clone(),
            );
            spawn(async move {
                let result = match target {
                    FlagTarget::Post(id) => api.flag_post(id, &flag).await,
                    FlagTarget::Comment(id) => api.flag_comment(id, &flag).await,
                };
                busy.set(false);
                match result {
                    Ok(()) => {
                        error.set(None);
                        note.set(String::new());
                        open.set(false);
                        done.set(true);
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let toggle = {
        let (open, error, done) = (open.clone(), error.clone(), done.clone());
        Callback::from(move |_: MouseEvent| {
            open.set(!*open);
            error.set(None);
            done.set(false);
        })
    };
    let failed = (*error).as_ref();
    let already = failed.is_some_and(|e| e.code() == Some(ErrorCode::Conflict));
    let message = already.then(|| AttrValue::from(i18n.t("flag.already")));
    let options = FLAG_REASONS
        .iter()
        .map(|r| {
            (
                AttrValue::from(r.as_str()),
                AttrValue::from(flag_reason_text(&i18n, *r)),
            )
        })
        .collect::<Vec<_>>();

    html! {
        <div class="cortile-flag d-inline-block">
            <button type="button" class="btn btn-link btn-sm p-0 cortile-flag-button" data-testid={testid}
                aria-expanded={if *open { "true" } else { "false" }}
                aria-describedby={props.describedby.clone()}
                onclick={toggle}>
                { i18n.t(match target {
                    FlagTarget::Post(_) => "flag.post",
                    FlagTarget::Comment(_) => "flag.comment",
                }) }
            </button>
            <div aria-live="polite">
                if *done {
                    <p class="alert alert-success mt-2 mb-0" data-testid="flag-done">{ i18n.t("flag.done") }</p>
                }
            </div>
            if *open {
                <form class="cortile-flag-form card card-body shadow-sm mt-2" {onsubmit} novalidate=true>
                    <p class="mb-2">{ i18n.t("flag.intro") }</p>
                    <FormAlert error={(*error).clone()} {message} testid="flag-error" />
                    <SelectField
                        id={format!("flag-reason-{key}")}
                        label={i18n.t("flag.reason_label")}
                        value={AttrValue::from(reason.as_str())}
                        {options}
                        onchange={let s = reason.clone(); Callback::from(move |v: String| {
                            if let Some(r) = FlagReason::parse(&v) { s.set(r) }
                        })}
                        testid="flag-reason"
                    />
                    <TextField
                        id={format!("flag-note-{key}")}
                        multiline=true
                        label={i18n.t("flag.note_label")}
                        help={i18n.t("flag.note_help")}
                        value={(*note).clone()}
                        oninput={let s = note.clone(); Callback::from(move |v| s.set(v))}
                        error={field_error(&i18n, failed, "note")}
                        testid="flag-note"
                    />
                    <div class="d-flex flex-wrap gap-2">
                        <button type="submit" class="btn btn-primary btn-sm" disabled={*busy} data-testid="flag-submit">
                            { i18n.t("flag.submit") }
                        </button>
                        <button type="button" class="btn btn-outline-secondary btn-sm" data-testid="flag-cancel"
                            onclick={let o = open.clone(); Callback::from(move |_: MouseEvent| o.set(false))}>
                            { i18n.t("edit.cancel") }
                        </button>
                    </div>
                </form>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ModerationPanelProps {
    pub post: Post,
    /// The post as the server now has it.
    pub on_changed: Callback<Post>,
    /// The post was removed.
    pub on_removed: Callback<()>,
}

/// The moderators' panel under a post: action, reason, and what happened.
#[function_component(ModerationPanel)]
pub fn moderation_panel(props: &ModerationPanelProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let actions = post_actions(&props.post);
    let action = use_state(|| actions[0]);
    let reason = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let missing = use_state(|| false);
    let done = use_state(|| None::<ModerationAction>);
    // An action no longer offered (the post was hidden, so "hide" became "unhide") falls back
    // to the first one.
    let chosen = if actions.contains(&action) {
        *action
    } else {
        actions[0]
    };

    let onsubmit = {
        let api = session.api();
        let (reason, busy, error, missing, done) = (
            reason.clone(),
            busy.clone(),
            error.clone(),
            missing.clone(),
            done.clone(),
        );
        let (id, on_changed, on_removed) = (
            props.post.id,
            props.on_changed.clone(),
            props.on_removed.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let text = reason.trim().to_owned();
            let short = !reason_ok(chosen, &text);
            missing.set(short);
            if short {
                error.set(None);
                done.set(None);
                return;
            }
            busy.set(true);
            let (api, reason, busy, error, done, on_changed, on_removed) = (
                api.clone(),
                reason.clone(),
                busy.clone(),
                error.clone(),
                done.clone(),
                on_changed.clone(),
                on_removed.clone(),
            );
            spawn(async move {
                let m = Moderate {
                    action: chosen,
                    reason: text,
                };
                let result = api.moderate_post(id, &m).await;
                busy.set(false);
                match result {
                    Ok(Some(post)) => {
                        error.set(None);
                        reason.set(String::new());
                        done.set(Some(chosen));
                        on_changed.emit(post);
                    }
                    Ok(None) => on_removed.emit(()),
                    Err(err) => {
                        done.set(None);
                        error.set(Some(err));
                    }
                }
            });
        })
    };

    let (reason_error, alert) = reason_feedback(&i18n, *missing, (*error).as_ref());
    let options = actions
        .iter()
        .map(|a| {
            (
                AttrValue::from(a.as_str()),
                AttrValue::from(action_text(&i18n, *a)),
            )
        })
        .collect::<Vec<_>>();

    html! {
        <section class="card card-bg shadow-sm mb-4 cortile-moderation-panel cortile-narrow" aria-labelledby="moderation-heading" data-testid="moderation-panel">
            <div class="card-body">
                <h2 id="moderation-heading" class="h4">{ i18n.t("moderation.panel_heading") }</h2>
                <p>{ i18n.t("moderation.panel_intro") }</p>
                <div aria-live="polite">
                    if let Some(act) = *done {
                        <p class="alert alert-success" data-testid="moderate-done">{ i18n.t(&format!("moderation.done.{}", act.as_str())) }</p>
                    }
                </div>
                <FormAlert error={alert} testid="moderate-error" />
                <form {onsubmit} novalidate=true>
                    <SelectField
                        id="moderate-action"
                        label={i18n.t("moderation.action_label")}
                        value={AttrValue::from(chosen.as_str())}
                        {options}
                        onchange={let s = action.clone(); Callback::from(move |v: String| {
                            if let Some(a) = parse_action(&v) { s.set(a) }
                        })}
                        testid="moderate-action"
                    />
                    <TextField
                        id="moderate-reason"
                        multiline=true
                        label={i18n.t("moderation.reason_label")}
                        help={i18n.t("moderation.reason_help")}
                        value={(*reason).clone()}
                        oninput={let s = reason.clone(); Callback::from(move |v| s.set(v))}
                        required={needs_reason(chosen)}
                        error={reason_error}
                        testid="moderate-reason"
                    />
                    <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="moderate-submit">
                        { i18n.t("moderation.submit") }
                    </button>
                </form>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct CommentModerateProps {
    pub id: CommentId,
    /// The id of the element naming the comment's author.
    pub describedby: AttrValue,
    /// The comment was hidden or removed (it leaves the page), or kept.
    pub on_done: Callback<(CommentId, ModerationAction)>,
}

/// "Modera" on a comment: hide, remove or keep, with a reason.
#[function_component(CommentModerate)]
pub fn comment_moderate(props: &CommentModerateProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let open = use_state(|| false);
    let action = use_state(|| ModerationAction::Hide);
    let reason = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let missing = use_state(|| false);
    let id = props.id;

    let onsubmit = {
        let api = session.api();
        let (action, reason, busy, error, missing, open) = (
            action.clone(),
            reason.clone(),
            busy.clone(),
            error.clone(),
            missing.clone(),
            open.clone(),
        );
        let on_done = props.on_done.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let chosen = *action;
            let text = reason.trim().to_owned();
            let short = !reason_ok(chosen, &text);
            missing.set(short);
            if short {
                error.set(None);
                return;
            }
            busy.set(true);
            let (api, busy, error, open, on_done) = (
                api.clone(),
                busy.clone(),
                error.clone(),
                open.clone(),
                on_done.clone(),
            );
            spawn(async move {
                let m = Moderate {
                    action: chosen,
                    reason: text,
                };
                let result = api.moderate_comment(id, &m).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        error.set(None);
                        open.set(false);
                        on_done.emit((id, chosen));
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let (reason_error, alert) = reason_feedback(&i18n, *missing, (*error).as_ref());
    let options = COMMENT_ACTIONS
        .iter()
        .map(|a| {
            (
                AttrValue::from(a.as_str()),
                AttrValue::from(i18n.t(&format!("moderation.comment_action.{}", a.as_str()))),
            )
        })
        .collect::<Vec<_>>();

    html! {
        <div class="cortile-comment-moderate d-inline-block">
            <button type="button" class="btn btn-link btn-sm p-0" data-testid="comment-moderate"
                aria-expanded={if *open { "true" } else { "false" }}
                aria-describedby={props.describedby.clone()}
                onclick={let o = open.clone(); Callback::from(move |_: MouseEvent| o.set(!*o))}>
                { i18n.t("moderation.comment_button") }
            </button>
            if *open {
                <form class="card card-body shadow-sm mt-2" {onsubmit} novalidate=true>
                    <FormAlert error={alert} testid="comment-moderate-error" />
                    <SelectField
                        id={format!("comment-moderate-action-{id}")}
                        label={i18n.t("moderation.action_label")}
                        value={AttrValue::from(action.as_str())}
                        {options}
                        onchange={let s = action.clone(); Callback::from(move |v: String| {
                            if let Some(a) = parse_action(&v) { s.set(a) }
                        })}
                        testid="comment-moderate-action"
                    />
                    <TextField
                        id={format!("comment-moderate-reason-{id}")}
                        label={i18n.t("moderation.reason_label")}
                        help={i18n.t("moderation.reason_help")}
                        value={(*reason).clone()}
                        oninput={let s = reason.clone(); Callback::from(move |v| s.set(v))}
                        required={needs_reason(*action)}
                        error={reason_error}
                        testid="comment-moderate-reason"
                    />
                    <div class="d-flex flex-wrap gap-2">
                        <button type="submit" class="btn btn-primary btn-sm" disabled={*busy} data-testid="comment-moderate-submit">
                            { i18n.t("moderation.submit") }
                        </button>
                        <button type="button" class="btn btn-outline-secondary btn-sm"
                            onclick={let o = open.clone(); Callback::from(move |_: MouseEvent| o.set(false))}>
                            { i18n.t("edit.cancel") }
                        </button>
                    </div>
                </form>
            }
        </div>
    }
}

/// What a moderation form shows about its reason: the field's error (the local "too short"
/// check first, else the server's) and the alert above the form.
fn reason_feedback(
    i18n: &I18n,
    missing: bool,
    error: Option<&ApiError>,
) -> (Option<AttrValue>, Option<ApiError>) {
    if missing {
        (
            Some(AttrValue::from(i18n.tf(
                "moderation.reason_required",
                &[("min", &MIN_REASON.to_string())],
            ))),
            Some(local_invalid()),
        )
    } else {
        (field_error(i18n, error, "reason"), error.cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn reasons_are_needed_to_hide_remove_and_lock() {
        assert!(!reason_ok(ModerationAction::Hide, " ab "));
        assert!(reason_ok(ModerationAction::Hide, "abc"));
        assert!(!reason_ok(ModerationAction::Remove, ""));
        assert!(!reason_ok(ModerationAction::Lock, ""));
        assert!(reason_ok(ModerationAction::Unhide, ""));
        assert!(reason_ok(ModerationAction::Dismiss, ""));
        assert!(reason_ok(ModerationAction::Unlock, ""));
    }

    #[test]
    fn actions_parse_back() {
        for a in COMMENT_ACTIONS {
            assert_eq!(parse_action(a.as_str()), Some(a));
        }
        assert_eq!(parse_action("unlock"), Some(ModerationAction::Unlock));
        assert_eq!(parse_action("ban"), None);
    }

    #[test]
    fn reasons_and_actions_have_words() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for r in FLAG_REASONS {
                assert!(i18n.has(&format!("flag.reason.{}", r.as_str())));
            }
            for a in COMMENT_ACTIONS {
                assert!(i18n.has(&format!("moderation.comment_action.{}", a.as_str())));
            }
            for a in [
                "hide", "unhide", "remove", "lock", "unlock", "dismiss", "ban", "unban",
            ] {
                assert!(i18n.has(&format!("moderation.done.{a}")) || a.ends_with("ban"));
                assert!(i18n.has(&format!("moderation.log_action.{a}")), "{a}");
            }
        }
    }
}
