//! The application: routes, the providers of shared state, and the page frame.

use cortile_shared::meta::ClientConfig;
use cortile_shared::{
    BuildingId, CommunityId, EstateId, ExchangeId, HouseholdId, ListingId, PostId, UserId,
};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::Shell;
use crate::hooks::{use_remote, Remote};
use crate::i18n::LocaleProvider;
use crate::notifications::ActivityProvider;
use crate::pages::account::{
    application::MyApplicationPage, assist::AssistPage, login::LoginPage, profile::ProfilePage,
};
use crate::pages::audit::AuditPage;
use crate::pages::chat::{group::NewGroupPage, list::ChatRoomsPage, room::ChatRoomPage};
use crate::pages::community::{
    create::NewCommunityPage, detail::CommunityPage, list::CommunitiesPage, log::ModerationLogPage,
    post::PostPage, queue::ModerationQueuePage,
};
use crate::pages::maintenance::{
    board::{BoardPage, BoardsPage},
    lists::ReportsPage,
    new::NewReportPage,
    queue::QueuePage,
    report::ReportPage,
    works::WorksPage,
};
use crate::pages::not_found::NotFound;
use crate::pages::notifications::NotificationsPage;
use crate::pages::registry::{building::BuildingPage, estate::EstatePage, home::Home};
use crate::pages::tenancy::{
    changes::ChangeRequestsPage, imports::ImportsPage, search::RegistrySearchPage,
    tenant_file::TenantFilePage,
};
use crate::pages::timebank::{
    browse::ListingsPage,
    exchange::ExchangePage,
    form::{EditListingPage, NewListingPage},
    home::TimeBankHome,
    listing::ListingPage,
    reviews::MemberReviewsPage,
    staff::{AdjustmentsPage, DisputesPage, OrganisationsPage},
    statement::StatementPage,
    transfer::GiveHoursPage,
};
use crate::realtime::RealtimeProvider;
use crate::session::{RequireLogin, SessionProvider};

/// Every page of the app.
#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/estates/:id")]
    Estate { id: EstateId },
    #[at("/buildings/:id")]
    Building { id: BuildingId },
    #[at("/accedi")]
    Login,
    #[at("/profilo")]
    Profile,
    #[at("/domanda")]
    MyApplication,
    #[at("/registro")]
    RegistrySearch,
    #[at("/registro/nuclei/:id")]
    TenantFile { id: HouseholdId },
    #[at("/registro/correzioni")]
    ChangeRequests,
    #[at("/registro/importazioni")]
    Imports,
    #[at("/audit")]
    Audit,
    #[at("/assistenza")]
    Assist,
    #[at("/comunita")]
    Communities,
    #[at("/comunita/nuova")]
    NewCommunity,
    #[at("/segnalazioni")]
    Reports,
    #[at("/segnalazioni/nuova")]
    NewReport,
    #[at("/segnalazioni/coda")]
    MaintenanceQueue,
    #[at("/segnalazioni/quadro")]
    Boards,
    #[at("/segnalazioni/quadro/:id")]
    Board { id: EstateId },
    #[at("/segnalazioni/:id")]
    Report { id: i64 },
    #[at("/lavori")]
    Works,
    #[at("/comunita/:id")]
    Community { id: CommunityId },
    #[at("/comunita/:id/moderazione")]
    ModerationLog { id: CommunityId },
    #[at("/post/:id")]
    Post { id: PostId },
    #[at("/notifiche")]
    Notifications,
    #[at("/moderazione")]
    ModerationQueue,
    #[at("/banca-del-tempo")]
    TimeBank,
    #[at("/banca-del-tempo/annunci")]
    Listings,
    #[at("/banca-del-tempo/annunci/nuovo")]
    NewListing,
    #[at("/banca-del-tempo/annunci/:id")]
    Listing { id: ListingId },
    #[at("/banca-del-tempo/annunci/:id/modifica")]
    EditListing { id: ListingId },
    #[at("/banca-del-tempo/scambi/:id")]
    Exchange { id: ExchangeId },
    #[at("/banca-del-tempo/trasferisci")]
    GiveHours,
    #[at("/banca-del-tempo/estratto-conto")]
    Statement,
    #[at("/banca-del-tempo/persone/:id/recensioni")]
    MemberReviews { id: UserId },
    #[at("/banca-del-tempo/contestazioni")]
    Disputes,
    #[at("/banca-del-tempo/rettifiche")]
    Adjustments,
    #[at("/banca-del-tempo/organizzazioni")]
    Organisations,
    #[at("/chat")]
    Chat,
    #[at("/chat/nuovo-gruppo")]
    NewGroup,
    #[at("/chat/:id")]
    ChatRoom { id: i64 },
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Estate { id } => html! { <EstatePage {id} /> },
        Route::Building { id } => html! { <BuildingPage {id} /> },
        Route::Login => html! { <LoginPage /> },
        Route::Profile => html! { <RequireLogin><ProfilePage /></RequireLogin> },
        Route::MyApplication => html! { <RequireLogin><MyApplicationPage /></RequireLogin> },
        Route::RegistrySearch => html! { <RequireLogin><RegistrySearchPage /></RequireLogin> },
        Route::TenantFile { id } => html! { <RequireLogin><TenantFilePage {id} /></RequireLogin> },
        Route::ChangeRequests => html! { <RequireLogin><ChangeRequestsPage /></RequireLogin> },
        Route::Imports => html! { <RequireLogin><ImportsPage /></RequireLogin> },
        Route::Audit => html! { <RequireLogin><AuditPage /></RequireLogin> },
        Route::Assist => html! { <RequireLogin><AssistPage /></RequireLogin> },
        Route::Communities => html! { <RequireLogin><CommunitiesPage /></RequireLogin> },
        Route::NewCommunity => html! { <RequireLogin><NewCommunityPage /></RequireLogin> },
        Route::Community { id } => html! { <RequireLogin><CommunityPage {id} /></RequireLogin> },
        Route::ModerationLog { id } => {
            html! { <RequireLogin><ModerationLogPage {id} /></RequireLogin> }
        }
        Route::Post { id } => html! { <RequireLogin><PostPage {id} /></RequireLogin> },
        Route::Notifications => html! { <RequireLogin><NotificationsPage /></RequireLogin> },
        Route::ModerationQueue => html! { <RequireLogin><ModerationQueuePage /></RequireLogin> },
        Route::Reports => html! { <RequireLogin><ReportsPage /></RequireLogin> },
        Route::NewReport => html! { <RequireLogin><NewReportPage /></RequireLogin> },
        Route::MaintenanceQueue => html! { <RequireLogin><QueuePage /></RequireLogin> },
        Route::Boards => html! { <RequireLogin><BoardsPage /></RequireLogin> },
        Route::Board { id } => html! { <RequireLogin><BoardPage {id} /></RequireLogin> },
        Route::Report { id } => html! { <RequireLogin><ReportPage {id} /></RequireLogin> },
        Route::Works => html! { <RequireLogin><WorksPage /></RequireLogin> },
        Route::TimeBank => html! { <RequireLogin><TimeBankHome /></RequireLogin> },
        Route::Listings => html! { <RequireLogin><ListingsPage /></RequireLogin> },
        Route::NewListing => html! { <RequireLogin><NewListingPage /></RequireLogin> },
        Route::Listing { id } => html! { <RequireLogin><ListingPage {id} /></RequireLogin> },
        Route::EditListing { id } => {
            html! { <RequireLogin><EditListingPage {id} /></RequireLogin> }
        }
        Route::Exchange { id } => html! { <RequireLogin><ExchangePage {id} /></RequireLogin> },
        Route::Statement => html! { <RequireLogin><StatementPage /></RequireLogin> },
        Route::GiveHours => html! { <RequireLogin><GiveHoursPage /></RequireLogin> },
        Route::MemberReviews { id } => {
            html! { <RequireLogin><MemberReviewsPage {id} /></RequireLogin> }
        }
        Route::Disputes => html! { <RequireLogin><DisputesPage /></RequireLogin> },
        Route::Adjustments => html! { <RequireLogin><AdjustmentsPage /></RequireLogin> },
        Route::Organisations => html! { <RequireLogin><OrganisationsPage /></RequireLogin> },
        Route::Chat => html! { <RequireLogin><ChatRoomsPage /></RequireLogin> },
        Route::NewGroup => html! { <RequireLogin><NewGroupPage /></RequireLogin> },
        Route::ChatRoom { id } => html! { <RequireLogin><ChatRoomPage {id} /></RequireLogin> },
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
                    <SessionProvider>
                        <RealtimeProvider>
                            <ActivityProvider>
                                <Shell>
                                    <Switch<Route> render={switch} />
                                </Shell>
                            </ActivityProvider>
                        </RealtimeProvider>
                    </SessionProvider>
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
    fn account_and_registry_routes_parse_and_print() {
        let pages = [
            ("/accedi", Route::Login),
            ("/profilo", Route::Profile),
            ("/domanda", Route::MyApplication),
            ("/registro", Route::RegistrySearch),
            (
                "/registro/nuclei/42",
                Route::TenantFile {
                    id: HouseholdId(42),
                },
            ),
            ("/registro/correzioni", Route::ChangeRequests),
            ("/registro/importazioni", Route::Imports),
            ("/audit", Route::Audit),
            ("/assistenza", Route::Assist),
        ];
        for (path, route) in pages {
            assert_eq!(Route::recognize(path), Some(route.clone()), "{path}");
            assert_eq!(route.to_path(), path);
        }
    }

    #[test]
    fn community_routes_parse_and_print() {
        let pages = [
            ("/comunita", Route::Communities),
            ("/comunita/nuova", Route::NewCommunity),
            ("/comunita/5", Route::Community { id: CommunityId(5) }),
            ("/post/17", Route::Post { id: PostId(17) }),
        ];
        for (path, route) in pages {
            assert_eq!(Route::recognize(path), Some(route.clone()), "{path}");
            assert_eq!(route.to_path(), path);
        }
        assert_eq!(Route::recognize("/comunita/abc"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/post/abc"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/post"), Some(Route::NotFound));
    }

    #[test]
    fn moderation_and_notification_routes_parse_and_print() {
        let pages = [
            ("/notifiche", Route::Notifications),
            ("/moderazione", Route::ModerationQueue),
            (
                "/comunita/5/moderazione",
                Route::ModerationLog { id: CommunityId(5) },
            ),
        ];
        for (path, route) in pages {
            assert_eq!(Route::recognize(path), Some(route.clone()), "{path}");
            assert_eq!(route.to_path(), path);
        }
        // The community page itself is still the community page.
        assert_eq!(
            Route::recognize("/comunita/5"),
            Some(Route::Community { id: CommunityId(5) })
        );
        assert_eq!(
            Route::recognize("/comunita/abc/moderazione"),
            Some(Route::NotFound)
        );
        assert_eq!(Route::recognize("/notifiche/3"), Some(Route::NotFound));
    }

    #[test]
    fn time_bank_routes_parse_and_print() {
        let pages = [
            ("/banca-del-tempo", Route::TimeBank),
            ("/banca-del-tempo/annunci", Route::Listings),
            ("/banca-del-tempo/annunci/nuovo", Route::NewListing),
            (
                "/banca-del-tempo/annunci/3",
                Route::Listing { id: ListingId(3) },
            ),
            (
                "/banca-del-tempo/annunci/3/modifica",
                Route::EditListing { id: ListingId(3) },
            ),
            (
                "/banca-del-tempo/scambi/9",
                Route::Exchange { id: ExchangeId(9) },
            ),
            ("/banca-del-tempo/estratto-conto", Route::Statement),
            ("/banca-del-tempo/trasferisci", Route::GiveHours),
            (
                "/banca-del-tempo/persone/4/recensioni",
                Route::MemberReviews { id: UserId(4) },
            ),
            ("/banca-del-tempo/contestazioni", Route::Disputes),
            ("/banca-del-tempo/rettifiche", Route::Adjustments),
            ("/banca-del-tempo/organizzazioni", Route::Organisations),
        ];
        for (path, route) in pages {
            assert_eq!(Route::recognize(path), Some(route.clone()), "{path}");
            assert_eq!(route.to_path(), path);
        }
        // The links the server puts in notifications open these pages.
        assert_eq!(
            Route::recognize("/banca-del-tempo/scambi/12"),
            Some(Route::Exchange { id: ExchangeId(12) })
        );
        assert_eq!(
            Route::recognize("/banca-del-tempo/annunci/x"),
            Some(Route::NotFound)
        );
    }

    #[test]
    fn maintenance_routes_parse_and_print() {
        let pages = [
            ("/segnalazioni", Route::Reports),
            ("/segnalazioni/nuova", Route::NewReport),
            ("/segnalazioni/coda", Route::MaintenanceQueue),
            ("/segnalazioni/quadro", Route::Boards),
            ("/segnalazioni/quadro/3", Route::Board { id: EstateId(3) }),
            ("/segnalazioni/12", Route::Report { id: 12 }),
            ("/lavori", Route::Works),
        ];
        for (path, route) in pages {
            assert_eq!(Route::recognize(path), Some(route.clone()), "{path}");
            assert_eq!(route.to_path(), path);
        }
        assert_eq!(Route::recognize("/segnalazioni/abc"), Some(Route::NotFound));
    }

    #[test]
    fn chat_routes_parse_and_print() {
        assert_eq!(Route::recognize("/chat"), Some(Route::Chat));
        assert_eq!(Route::recognize("/chat/7"), Some(Route::ChatRoom { id: 7 }));
        assert_eq!(Route::ChatRoom { id: 7 }.to_path(), "/chat/7");
        assert_eq!(Route::recognize("/chat/x"), Some(Route::NotFound));
        assert_eq!(
            Route::recognize("/chat/nuovo-gruppo"),
            Some(Route::NewGroup)
        );
        assert_eq!(Route::NewGroup.to_path(), "/chat/nuovo-gruppo");
    }

    #[test]
    fn unknown_paths_and_bad_ids_are_not_found() {
        assert_eq!(Route::recognize("/nowhere"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/estates/abc"), Some(Route::NotFound));
        assert_eq!(
            Route::recognize("/registro/nuclei/abc"),
            Some(Route::NotFound)
        );
        assert_eq!(Route::recognize("/registro/altro"), Some(Route::NotFound));
    }
}
