//! Typed ids: an estate id cannot be passed where a building id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_newtype!(
    /// Id of an estate (complesso): a group of buildings managed together.
    EstateId
);
id_newtype!(
    /// Id of a building (fabbricato).
    BuildingId
);
id_newtype!(
    /// Id of a housing unit (alloggio).
    UnitId
);
id_newtype!(
    /// Id of a user account.
    UserId
);
id_newtype!(
    /// Id of a household (nucleo familiare) and its rental contract.
    HouseholdId
);
id_newtype!(
    /// Id of a person of the tenant registry.
    PersonId
);
id_newtype!(
    /// Id of a housing application (domanda di alloggio).
    ApplicationId
);
id_newtype!(
    /// Id of a proposed correction of the registry.
    ChangeRequestId
);
id_newtype!(
    /// Id of a login session.
    SessionId
);
id_newtype!(
    /// Id of a community (an estate's, a building's, or one of interest).
    CommunityId
);
id_newtype!(
    /// Id of a post in a community.
    PostId
);
id_newtype!(
    /// Id of a comment on a post.
    CommentId
);
id_newtype!(
    /// Id of a time bank (one city-wide bank today; estate banks may follow).
    BankId
);
id_newtype!(
    /// Id of a transfer of the time bank's ledger (immutable once written).
    TransferId
);
id_newtype!(
    /// Id of a listing of the marketplace (an offer or a request).
    ListingId
);
id_newtype!(
    /// Id of an exchange between a provider and a receiver.
    ExchangeId
);
id_newtype!(
    /// Id of an organisation (a social enterprise or a shop) offering services.
    OrganisationId
);
