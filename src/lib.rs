//! yuimaru: the back end of a consolidated storefront for island and rural producers.
//! See `README.md` and `../shared/DESIGN.md`.
#![deny(clippy::unwrap_used, clippy::expect_used)]

// Page and email texts: src/locales/{ja,en}.yml, embedded at compile time.
rust_i18n::i18n!("src/locales", fallback = "ja");

pub mod aggregators;
pub mod analytics;
pub mod area;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod channels;
pub mod cli;
pub mod config;
pub mod core;
pub mod db;
pub mod error;
pub mod http;
pub mod inventory;
pub mod jobs;
pub mod mail;
pub mod money;
pub mod orders;
pub mod payments;
pub mod producers;
pub mod reference;
pub mod shop;
pub mod startup;
pub mod state;
pub mod storage;
pub mod system;
pub mod telemetry;
pub mod web;
