//! Producers: registration, review, profile, bank accounts, closures (issue #3; the domain
//! types come first).
pub mod domain;
