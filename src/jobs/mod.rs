//! Background work as a transactional outbox, below every domain area: `enqueue(&txn, job)`
//! inside business transactions, runners in `serve` and `yuimaru worker`, retries, dead
//! letters, replay, the daily schedules, email delivery, and domain events ([`events`]).
//! The runner dispatches through a [`Registry`] that the composition root builds from each
//! area's `jobs.rs`; this module imports no domain area.
pub mod builtin;
pub mod events;
pub mod handlers;
pub mod queue;
pub mod registry;
pub mod repo;
pub mod runner;
pub mod schedule;
pub mod service;

pub use events::{Delivery, Event};
pub use queue::{NewJob, enqueue};
pub use registry::{Every, Job, Registry};

use crate::{http::route::RouteSpec, route};

/// How a job attempt failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobError {
    /// Transient: retry with backoff (dead-letter after the last attempt).
    #[error("transient: {0}")]
    Retry(String),
    /// Permanent: dead-letter at once.
    #[error("rejected: {0}")]
    Reject(String),
    /// Needs an operator (e.g. expired credentials): pause until replayed.
    #[error("paused: {0}")]
    Pause(String),
}

/// A failure of our own services inside a job is retried (with backoff, then dead-lettered).
impl From<crate::error::ApiError> for JobError {
    fn from(e: crate::error::ApiError) -> Self {
        Self::Retry(e.describe())
    }
}

/// The jobs API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/jobs", handlers::list_jobs),
        route!(GET, "/api/v1/jobs/{id}", handlers::get_job),
        route!(POST, "/api/v1/jobs/{id}/replay", handlers::replay_job),
    ]
}

/// The jobs API's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::list_jobs, handlers::get_job, handlers::replay_job))]
pub struct Api;
