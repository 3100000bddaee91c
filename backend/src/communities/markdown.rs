//! Markdown for posts and comments: rendered once, when written, and sanitised.
//!
//! pulldown-cmark renders CommonMark (with tables and strikethrough); ammonia keeps an
//! allow-list of tags and attributes, drops scripts, styles, event handlers and images (photos
//! come as uploads, never as links to other sites that would track readers), and gives every
//! link `rel="nofollow noopener noreferrer"`.

use std::collections::HashSet;

use pulldown_cmark::{html, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Headings in a post sit under the page's own h1 and the post's title: `#` becomes h3, `##`
/// h4, and so on down to h6, so that a post never breaks the page's outline.
fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// Renders markdown to safe HTML.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    sanitise(&unsafe_html)
}

fn sanitise(html: &str) -> String {
    let tags: HashSet<&str> = [
        "a",
        "p",
        "br",
        "hr",
        "em",
        "strong",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("nofollow noopener noreferrer"))
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html = render("# Assemblea\n\n**Giovedì** alle 18, *cortile* B.\n\n- uno\n- due");
        assert!(
            html.contains("<h3>Assemblea</h3>"),
            "headings are demoted: {html}"
        );
        assert!(render("#### x\n\n<h1>y</h1>").contains("<h6>x</h6>"));
        assert!(!render("<h1>y</h1>").contains("<h1"));
        assert!(html.contains("<strong>Giovedì</strong>"), "{html}");
        assert!(html.contains("<li>uno</li>"), "{html}");
    }

    #[test]
    fn links_get_nofollow_and_bad_schemes_go() {
        let html = render("[sito](https://example.org) [x](javascript:alert(1))");
        assert!(
            html.contains(r#"<a href="https://example.org" rel="nofollow noopener noreferrer">"#),
            "{html}"
        );
        assert!(!html.contains("javascript"), "{html}");
    }

    #[test]
    fn raw_html_scripts_and_images_are_removed() {
        let html = render(
            "<script>alert(1)</script><img src=https://tracker.example/x.png onerror=alert(1)>\
             <p onclick=\"x()\" style=\"color:red\">ciao</p>\n\n![foto](https://tracker.example/y.png)",
        );
        assert!(
            !html.contains("<script") && !html.contains("alert"),
            "{html}"
        );
        assert!(
            !html.contains("<img") && !html.contains("tracker"),
            "{html}"
        );
        assert!(
            !html.contains("onclick") && !html.contains("style"),
            "{html}"
        );
        assert!(html.contains("ciao"), "{html}");
    }
}
