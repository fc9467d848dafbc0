//! The integration suite: one binary, the real app over HTTP on SQLite and PostgreSQL.
mod helpers;
mod inventory;

mod architecture;
mod auth;
mod browser;
mod catalog;
mod csv;
mod errors;
mod events;
mod fake_provider;
mod fulfilment;
mod group_commit;
mod jobs;
mod mail;
mod manage_pages;
mod openapi;
mod pages;
mod payments;
mod photos;
mod producers;
mod reference;
mod shop;
mod shutdown;
mod storefront;
mod system;
mod users;
