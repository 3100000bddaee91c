//! The frame around every page: skip link, header with the language switcher, navigation,
//! the main landmark and the footer. Built with bootstrap-italia's header and footer classes.

use cortile_shared::Locale;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{ConfigContext, Route};
use crate::components::Icon;
use crate::hooks::Remote;
use crate::i18n::use_i18n;

#[derive(Properties, PartialEq)]
pub struct ShellProps {
    #[prop_or_default]
    pub children: Html,
}

#[function_component(Shell)]
pub fn shell(props: &ShellProps) -> Html {
    let i18n = use_i18n();
    let main = use_node_ref();
    let path = use_location().map(|l| l.path().to_owned());
    let first = use_mut_ref(|| true);

    // After moving to another page, start reading and tabbing from the new content, as a
    // full page load would.
    {
        let main = main.clone();
        use_effect_with(path, move |_| {
            if !std::mem::replace(&mut *first.borrow_mut(), false) {
                if let Some(main) = main.cast::<web_sys::HtmlElement>() {
                    let _ = main.focus();
                }
                if let Some(window) = web_sys::window() {
                    window.scroll_to_with_x_and_y(0.0, 0.0);
                }
            }
        });
    }

    html! {
        <>
            <div class="skiplinks">
                <a class="visually-hidden-focusable" href="#main">{ i18n.t("skip.main") }</a>
            </div>
            <Header />
            <main id="main" ref={main} tabindex="-1" class="cortile-main">
                <div class="container py-3 py-md-4">
                    { props.children.clone() }
                </div>
            </main>
            <Footer />
        </>
    }
}

#[function_component(Header)]
fn header() -> Html {
    let i18n = use_i18n();
    html! {
        <header class="it-header-wrapper cortile-header">
            <div class="it-header-slim-wrapper">
                <div class="container">
                    <div class="row">
                        <div class="col-12">
                            <div class="it-header-slim-wrapper-content">
                                <span class="navbar-brand cortile-owner">{ i18n.t("header.owner") }</span>
                                <div class="it-header-slim-right-zone">
                                    <LanguageSwitcher />
                                </div>
                            </div>
                        </div>
                    </div>
                </div>
            </div>
            <div class="it-nav-wrapper">
                <div class="it-header-center-wrapper">
                    <div class="container">
                        <div class="row">
                            <div class="col-12">
                                <div class="it-header-center-content-wrapper">
                                    <div class="it-brand-wrapper">
                                        <Link<Route> to={Route::Home}>
                                            <Icon name="it-map-marker-circle" class="icon-white" />
                                            <div class="it-brand-text">
                                                <div class="it-brand-title">{ i18n.t("app.name") }</div>
                                                <div class="it-brand-tagline d-none d-md-block">{ i18n.t("app.tagline") }</div>
                                            </div>
                                        </Link<Route>>
                                    </div>
                                </div>
                            </div>
                        </div>
                    </div>
                </div>
                <nav class="cortile-nav" aria-label={i18n.t("nav.label")}>
                    <div class="container">
                        <ul class="cortile-nav-list">
                            <li><Link<Route> to={Route::Home}>{ i18n.t("nav.estates") }</Link<Route>></li>
                        </ul>
                    </div>
                </nav>
            </div>
        </header>
    }
}

/// Two buttons, one per language, each written in its own language.
#[function_component(LanguageSwitcher)]
fn language_switcher() -> Html {
    let i18n = use_i18n();
    let set_locale = i18n.set_locale();
    html! {
        <div class="cortile-lang" role="group" aria-label={i18n.t("lang.label")}>
            { for Locale::ALL.into_iter().map(|locale| {
                let pressed = locale == i18n.locale;
                let onclick = set_locale.reform(move |_: MouseEvent| locale);
                html! {
                    <button
                        type="button"
                        class={classes!("btn", "btn-sm", "cortile-lang-button", pressed.then_some("active"))}
                        lang={locale.tag()}
                        aria-pressed={if pressed { "true" } else { "false" }}
                        data-testid={format!("lang-{}", locale.tag())}
                        {onclick}
                    >
                        { locale.native_name() }
                    </button>
                }
            }) }
        </div>
    }
}

#[function_component(Footer)]
fn footer() -> Html {
    let i18n = use_i18n();
    let version = match use_context::<ConfigContext>() {
        Some(Remote::Ready(config)) => Some(config.version.clone()),
        _ => None,
    };
    html! {
        <footer class="it-footer cortile-footer" aria-label={i18n.t("footer.label")}>
            <div class="it-footer-main">
                <div class="container py-4">
                    <p class="cortile-footer-name mb-2">{ i18n.t("app.name") }</p>
                    <p class="mb-1">{ i18n.t("footer.about") }</p>
                    <p class="mb-1">{ i18n.t("footer.license") }</p>
                    if let Some(version) = version {
                        <p class="mb-0 small">{ i18n.tf("footer.version", &[("version", &version)]) }</p>
                    }
                </div>
            </div>
        </footer>
    }
}
