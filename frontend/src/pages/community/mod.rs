//! Communities (issue 4): the lists, a community's page with its posts, a post with its
//! comments and reactions, and the personal feed of the home page.
//!
//! Post and comment bodies arrive as HTML rendered from markdown and sanitised by the server;
//! [`PostBody`] is the one place that inserts it. Every other text is shown as text.

pub mod audience;
pub mod bans;
pub mod create;
pub mod detail;
pub mod feed;
pub mod images;
pub mod list;
pub mod log;
pub mod moderation;
pub mod post;
pub mod queue;

use chrono::{DateTime, Utc};
use cortile_shared::community::{
    CommunityKind, JoinPolicy, MemberStatus, Post, ReactionCount, ReactionKind,
};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::i18n::I18n;

pub fn kind_text(i18n: &I18n, kind: CommunityKind) -> String {
    i18n.t(&format!("community.kind.{}", kind.as_str()))
}

pub fn policy_text(i18n: &I18n, policy: JoinPolicy) -> String {
    i18n.t(&format!("community.policy.{}", policy.as_str()))
}

pub fn status_text(i18n: &I18n, status: MemberStatus) -> String {
    i18n.t(&format!("community.status.{}", status.as_str()))
}

pub fn reaction_text(i18n: &I18n, kind: ReactionKind) -> String {
    i18n.t(&format!("reaction.{}", kind.as_str()))
}

/// The count of `kind` (0 when the server left it out), and whether it is mine.
pub fn reaction_of(reactions: &[ReactionCount], kind: ReactionKind) -> (i64, bool) {
    reactions
        .iter()
        .find(|r| r.kind == kind)
        .map(|r| (r.count, r.mine))
        .unwrap_or((0, false))
}

/// The beginning of a post for lists: its first paragraph when it starts with one, else all
/// of it (the list's style cuts it short).
pub fn excerpt_html(html: &str) -> &str {
    let trimmed = html.trim_start();
    if trimmed.starts_with("<p>") || trimmed.starts_with("<p ") {
        if let Some(end) = trimmed.find("</p>") {
            return &trimmed[..end + "</p>".len()];
        }
    }
    trimmed
}

/// A moment as a `<time>` element in words, Rome time.
pub fn time_view(i18n: &I18n, at: DateTime<Utc>) -> Html {
    html! { <time datetime={at.to_rfc3339()}>{ i18n.datetime(at) }</time> }
}

#[derive(Properties, PartialEq)]
pub struct PostBodyProps {
    /// HTML sanitised by the server.
    pub html: AttrValue,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

/// The body of a post or comment: the server's sanitised HTML, inside its container.
#[function_component(PostBody)]
pub fn post_body(props: &PostBodyProps) -> Html {
    html! {
        <div class={classes!("cortile-post-body", props.class.clone())} data-testid={props.testid.clone()}>
            { Html::from_html_unchecked(props.html.clone()) }
        </div>
    }
}

/// A post in a list (the feed, a community's posts and announcements): community, title
/// linking to the post, author, date, the beginning of the text, and its counts.
pub fn post_item(i18n: &I18n, post: &Post, testid: &'static str, show_community: bool) -> Html {
    let heading = format!("{testid}-{}-title", post.id);
    let reactions: i64 = post.reactions.iter().map(|r| r.count).sum();
    html! {
        <li class="card card-bg shadow-sm mb-3 cortile-card cortile-post-card" data-testid={testid} key={post.id.0}>
            <article class="card-body" aria-labelledby={heading.clone()}>
                if show_community {
                    <p class="cortile-post-community mb-1" data-testid="post-item-community">
                        <Link<Route> to={Route::Community { id: post.community.id }}>{ post.community.name.clone() }</Link<Route>>
                    </p>
                }
                <h3 id={heading} class="h5 card-title mb-1">
                    <Link<Route> to={Route::Post { id: post.id }}>{ post.title.clone() }</Link<Route>>
                </h3>
                <p class="cortile-post-meta mb-2">
                    if post.pinned {
                        <span class="badge bg-primary me-2">{ i18n.t("post.pinned_badge") }</span>{ " " }
                    }
                    if post.targeted {
                        <span class="badge bg-dark me-2" data-testid="post-targeted-badge">{ i18n.t("post.targeted_badge") }</span>{ " " }
                    }
                    if post.hidden {
                        <span class="badge bg-danger me-2" data-testid="post-item-hidden">{ i18n.t("post.hidden_badge") }</span>{ " " }
                    }
                    { i18n.tf("post.by", &[("name", &post.author.display_name)]) }
                    { ", " }
                    { time_view(i18n, post.created_at) }
                    if post.edited_at.is_some() {
                        <>{ " · " }{ i18n.t("post.edited") }</>
                    }
                </p>
                <PostBody html={AttrValue::from(excerpt_html(&post.body_html).to_owned())} class="cortile-post-excerpt" />
                <images::PostImages images={post.images.clone()} compact=true />
                <p class="cortile-post-counts mb-0 mt-2">
                    { i18n.count("count.comments", post.comments) }
                    { " · " }
                    { i18n.count("count.reactions", reactions) }
                </p>
            </article>
        </li>
    }
}

/// The "load more" button of a list and why loading failed; it must come right after the
/// list (a `<ul>`/`<ol>`, or an element holding a `<tbody>`), whose new items it finds there.
pub fn more_button(
    paged_has_more: bool,
    loading: bool,
    error: Option<&crate::api::ApiError>,
    testid: &'static str,
    onclick: Callback<()>,
) -> Html {
    html! {
        <MoreButton has_more={paged_has_more} {loading} error={error.cloned()} {testid} {onclick} />
    }
}

#[derive(Properties, PartialEq)]
struct MoreButtonProps {
    has_more: bool,
    loading: bool,
    error: Option<crate::api::ApiError>,
    testid: &'static str,
    onclick: Callback<()>,
}

/// While a page loads the button says so and ignores clicks, but stays enabled
/// (`aria-disabled`): a disabled button would drop the focus of whoever pressed it. Once the
/// page is there, the first new item takes the focus (its first link or control, else the
/// item itself), so that the reader goes on from there, and the focus is not lost when the
/// button goes after the last page. When loading failed, the focus stays on the button.
#[function_component(MoreButton)]
fn more_button_view(props: &MoreButtonProps) -> Html {
    let i18n = crate::i18n::use_i18n();
    let wrapper = use_node_ref();
    // How many items the list had when the button was pressed.
    let before = use_mut_ref(|| None::<u32>);
    {
        let (wrapper, before) = (wrapper.clone(), before.clone());
        let failed = props.error.is_some();
        use_effect_with(props.loading, move |loading| {
            if !*loading {
                let count = before.borrow_mut().take();
                if let (Some(count), false) = (count, failed) {
                    focus_item(&wrapper, count);
                }
            }
        });
    }
    let onclick = {
        let (wrapper, before, onclick) = (wrapper.clone(), before.clone(), props.onclick.clone());
        let loading = props.loading;
        Callback::from(move |_: MouseEvent| {
            if !loading {
                *before.borrow_mut() = items_of(&wrapper).map(|l| l.child_element_count());
                onclick.emit(());
            }
        })
    };
    let loading = props.loading;
    html! {
        <div ref={wrapper} class="cortile-more">
            <crate::components::FormAlert error={props.error.clone()} />
            if props.has_more {
                <button type="button" class={classes!("btn", "btn-outline-primary", loading.then_some("disabled"))}
                    data-testid={props.testid} aria-disabled={loading.then_some("true")} {onclick}>
                    { i18n.t(if loading { "common.loading_more" } else { "common.load_more" }) }
                </button>
            }
        </div>
    }
}

/// The element whose children are the items of the list just before `wrapper`: the list
/// itself, or the body of the table inside it.
fn items_of(wrapper: &NodeRef) -> Option<web_sys::Element> {
    let list = wrapper
        .cast::<web_sys::Element>()?
        .previous_element_sibling()?;
    match list.tag_name().as_str() {
        "UL" | "OL" | "TBODY" => Some(list),
        _ => list.query_selector("tbody").ok().flatten(),
    }
}

/// Focuses the item at `index` (from 0) of the list before `wrapper`: its first link or
/// control, else the item itself (made focusable by script only).
fn focus_item(wrapper: &NodeRef, index: u32) {
    use wasm_bindgen::JsCast;
    let Some(item) = items_of(wrapper).and_then(|l| {
        l.query_selector(&format!(":scope > :nth-child({})", index + 1))
            .ok()
            .flatten()
    }) else {
        return;
    };
    let control = item
        .query_selector("a[href], button:not([disabled]), input:not([disabled]), select, textarea")
        .ok()
        .flatten();
    let target = match control {
        Some(c) => c,
        None => {
            let _ = item.set_attribute("tabindex", "-1");
            item
        }
    };
    if let Ok(el) = target.dyn_into::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn excerpts_keep_the_first_paragraph() {
        assert_eq!(
            excerpt_html("<p>uno <em>due</em></p>\n<p>tre</p>"),
            "<p>uno <em>due</em></p>"
        );
        assert_eq!(excerpt_html("<ul><li>a</li></ul>"), "<ul><li>a</li></ul>");
        assert_eq!(excerpt_html("<p>aperto"), "<p>aperto");
        assert_eq!(excerpt_html(""), "");
    }

    #[test]
    fn missing_reactions_count_zero() {
        let list = [ReactionCount {
            kind: ReactionKind::Thanks,
            count: 3,
            mine: true,
        }];
        assert_eq!(reaction_of(&list, ReactionKind::Thanks), (3, true));
        assert_eq!(reaction_of(&list, ReactionKind::Like), (0, false));
    }

    #[test]
    fn every_kind_policy_status_and_reaction_has_words() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for kind in [
                CommunityKind::Estate,
                CommunityKind::Building,
                CommunityKind::Interest,
            ] {
                assert!(i18n.has(&format!("community.kind.{}", kind.as_str())));
            }
            for policy in [
                JoinPolicy::Registry,
                JoinPolicy::Open,
                JoinPolicy::Approval,
                JoinPolicy::Invite,
            ] {
                assert!(i18n.has(&format!("community.policy.{}", policy.as_str())));
                assert!(i18n.has(&format!("community.policy_help.{}", policy.as_str())));
            }
            for status in [
                MemberStatus::Active,
                MemberStatus::Pending,
                MemberStatus::Invited,
            ] {
                assert!(i18n.has(&format!("community.status.{}", status.as_str())));
            }
            for kind in ReactionKind::ALL {
                assert!(i18n.has(&format!("reaction.{}", kind.as_str())));
            }
        }
    }
}
