//! The application: routes, the providers of shared state, and the page frame.

use cortile_shared::meta::ClientConfig;
use cortile_shared::{BuildingId, EstateId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::Shell;
use crate::hooks::{use_remote, Remote};
use crate::i18n::LocaleProvider;
use crate::pages::not_found::NotFound;
use crate::pages::registry::{building::BuildingPage, estate::EstatePage, home::Home};

/// Every page of the app.
#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/estates/:id")]
    Estate { id: EstateId },
    #[at("/buildings/:id")]
    Building { id: BuildingId },
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Estate { id } => html! { <EstatePage {id} /> },
        Route::Building { id } => html! { <BuildingPage {id} /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

/// The server's public configuration (`GET /api/v1/meta`), shared with every component.
pub type ConfigContext = Remote<ClientConfig>;

#[derive(Properties, PartialEq)]
struct ConfigProviderProps {
    #[prop_or_default]
    children: Html,
}

/// Loads the server configuration once; pages do not wait for it (the map adds its tiles
/// when it arrives).
#[function_component(ConfigProvider)]
fn config_provider(props: &ConfigProviderProps) -> Html {
    let config = use_remote((), |()| api::get_meta());
    html! {
        <ContextProvider<ConfigContext> context={config.state}>
            { props.children.clone() }
        </ContextProvider<ConfigContext>>
    }
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <BrowserRouter>
            <LocaleProvider>
                <ConfigProvider>
                    <Shell>
                        <Switch<Route> render={switch} />
                    </Shell>
                </ConfigProvider>
            </LocaleProvider>
        </BrowserRouter>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_and_print() {
        assert_eq!(Route::recognize("/"), Some(Route::Home));
        assert_eq!(
            Route::recognize("/estates/7"),
            Some(Route::Estate { id: EstateId(7) })
        );
        assert_eq!(
            Route::recognize("/buildings/12"),
            Some(Route::Building { id: BuildingId(12) })
        );
        assert_eq!(Route::Estate { id: EstateId(3) }.to_path(), "/estates/3");
        assert_eq!(
            Route::Building { id: BuildingId(4) }.to_path(),
            "/buildings/4"
        );
    }

    #[test]
    fn unknown_paths_and_bad_ids_are_not_found() {
        assert_eq!(Route::recognize("/nowhere"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/estates/abc"), Some(Route::NotFound));
    }
}
