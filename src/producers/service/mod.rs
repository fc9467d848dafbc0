//! Producer services, one file per sub-concept: registration (self and proxy, email
//! confirmation), review and profile ([`review`]), bank-account changes ([`bank`]) and closures
//! ([`closures`]). Every function takes the acting user (or none for the public registration)
//! and is scoped by tenant and owner: a producer only ever reaches its own row, an operator its
//! aggregator's.
mod bank;
mod closures;
mod registration;
mod review;

pub use bank::*;
pub use closures::*;
pub use registration::*;
pub use review::*;

use registration::find_island;
use review::{find_in_scope, scope};

/// Producer statuses.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const APPROVED: &str = "approved";
    pub const REJECTED: &str = "rejected";
    pub const SUSPENDED: &str = "suspended";
    pub const ALL: [&str; 4] = [PENDING, APPROVED, REJECTED, SUSPENDED];
}
