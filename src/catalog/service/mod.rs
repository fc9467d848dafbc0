//! Product and SKU services: drafts, the review workflow (`draft → submitted → listed |
//! rejected`, `listed ⇄ paused`, `→ retired`), revisions of listed products, SKUs. Scoped by
//! tenant and owner; every transition is emailed to the producer and audit-logged.
//!
//! One file per sub-concept: products and their content ([`products`]), the review workflow
//! and revisions ([`workflow`]), SKUs ([`skus`]).
mod products;
mod skus;
mod workflow;

pub use products::*;
pub use skus::*;
pub use workflow::*;

use products::scope;

/// Product statuses.
pub mod status {
    pub const DRAFT: &str = "draft";
    pub const SUBMITTED: &str = "submitted";
    pub const LISTED: &str = "listed";
    pub const REJECTED: &str = "rejected";
    pub const PAUSED: &str = "paused";
    pub const RETIRED: &str = "retired";
    pub const ALL: [&str; 6] = [DRAFT, SUBMITTED, LISTED, REJECTED, PAUSED, RETIRED];
}
