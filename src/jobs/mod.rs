//! Background work as a transactional outbox: `enqueue(&txn, job)` inside business
//! transactions, runners in `serve` and `yuimaru worker`, retries, dead letters, replay.
pub mod handlers;
pub mod kinds;
pub mod queue;
pub mod runner;
pub mod schedule;
pub mod service;

pub use queue::{NewJob, enqueue};

use crate::{route, startup::RouteSpec};

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

/// The jobs API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/jobs", handlers::list_jobs),
        route!(GET, "/api/v1/jobs/{id}", handlers::get_job),
        route!(POST, "/api/v1/jobs/{id}/replay", handlers::replay_job),
    ]
}
