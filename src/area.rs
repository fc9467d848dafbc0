//! What a domain area plugs into the application: its routes, its part of the OpenAPI
//! document, its job kinds, schedules and event subscribers, and the runtime parts it owns
//! (caches, writers). The composition root (`startup.rs`) lists the areas; adding one is one
//! line there.
use crate::{config::Settings, http::route::RouteSpec, jobs::Registry, state::Parts};
use sea_orm::DatabaseConnection;

/// What the root gives an area to build its runtime parts.
pub struct Init<'a> {
    pub db: &'a DatabaseConnection,
    pub settings: &'a Settings,
    pub parts: &'a mut Parts,
}

/// One area's contribution (see the module).
#[derive(Clone, Copy)]
pub struct Area {
    pub name: &'static str,
    pub routes: fn() -> Vec<RouteSpec>,
    pub openapi: fn() -> utoipa::openapi::OpenApi,
    pub jobs: fn(&mut Registry),
    pub init: fn(&mut Init<'_>) -> anyhow::Result<()>,
}

impl Area {
    /// An area named `name` that contributes nothing yet (set the fields it has).
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            routes: Vec::new,
            openapi: utoipa::openapi::OpenApi::default,
            jobs: |_| {},
            init: |_| Ok(()),
        }
    }
}
