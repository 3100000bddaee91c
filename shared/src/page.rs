//! Keyset-paginated lists: `?after=<cursor>&limit=<n>`, a stable order, and a `next` cursor.

use serde::{Deserialize, Serialize};

/// Smallest and largest `limit` a list accepts, and its default.
pub const MIN_LIMIT: u32 = 1;
pub const MAX_LIMIT: u32 = 200;
pub const DEFAULT_LIMIT: u32 = 50;

/// One page of a list. `next` is the cursor to pass as `after` for the following page;
/// it is absent on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
