//! The catalogue: products, SKUs, photos, review (issue #3; the domain types come first).
pub mod domain;
