//! The job table as a queue: enqueue inside a business transaction, claim atomically with a
//! lease, finish with retry / dead-letter / pause.
use super::repo::Outcome;
use crate::{core, error::current_request_id};
use chrono::{DateTime, Duration, Utc};
use entity::job;
use rand::Rng;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr};
use uuid::Uuid;

/// Job statuses.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const SUCCEEDED: &str = "succeeded";
    pub const DEAD: &str = "dead";
    pub const PAUSED: &str = "paused";
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    /// One job per key: a second enqueue with the same key is ignored (e.g. `mail:{event}:{template}`).
    pub dedupe_key: Option<String>,
    pub aggregator_id: Option<Uuid>,
    /// When it becomes due (now when `None`).
    pub run_at: Option<DateTime<Utc>>,
    /// Attempts before dead-lettering (`jobs.max_attempts` when `None`).
    pub max_attempts: Option<i32>,
}

impl NewJob {
    /// A job of `kind` with `payload`, due now.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            dedupe_key: None,
            aggregator_id: None,
            run_at: None,
            max_attempts: None,
        }
    }

    /// A job of `J::KIND` carrying `payload`, due now.
    pub fn of<J: super::registry::Job>(payload: &J) -> Self {
        Self::new(
            J::KIND,
            serde_json::to_value(payload).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Sets the dedupe key.
    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    /// Sets the tenant.
    pub fn tenant(mut self, aggregator_id: Option<Uuid>) -> Self {
        self.aggregator_id = aggregator_id;
        self
    }
}

/// Writes the job row with `db` (pass the business transaction so the job exists only if the
/// change commits). Returns the new id, or `None` when a job with the same dedupe key exists.
///
/// # Errors
/// The insert fails.
pub async fn enqueue(db: &impl ConnectionTrait, new: NewJob) -> Result<Option<Uuid>, DbErr> {
    let id = core::new_id();
    Ok(super::repo::insert_job(db, row(id, new))
        .await?
        .then_some(id))
}

/// The job row `new` becomes (for callers that insert several rows at once; unlike
/// [`enqueue`], a taken dedupe key then fails the insert).
pub fn new_row(new: NewJob) -> job::ActiveModel {
    row(core::new_id(), new)
}

fn row(id: Uuid, new: NewJob) -> job::ActiveModel {
    let now = core::now();
    job::ActiveModel {
        id: Set(id),
        aggregator_id: Set(new.aggregator_id),
        kind: Set(new.kind),
        payload: Set(new.payload.to_string()),
        dedupe_key: Set(new.dedupe_key),
        status: Set(status::QUEUED.into()),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts.unwrap_or(0)),
        run_at: Set(new.run_at.unwrap_or(now)),
        lease_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        request_id: Set(current_request_id()),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
}

/// Claims one due job for `runner`: a queued job whose `run_at` has come, or a running job
/// whose lease expired (its runner died). One conditional UPDATE, so two runners never get
/// the same job; on PostgreSQL the candidate row is locked with `FOR UPDATE SKIP LOCKED`.
///
/// # Errors
/// Database failure.
pub async fn claim(
    db: &impl ConnectionTrait,
    runner: &str,
    lease_seconds: i64,
) -> Result<Option<job::Model>, DbErr> {
    let now = core::now();
    super::repo::claim_due(db, runner, now + Duration::seconds(lease_seconds), now).await
}

/// Extends the lease of a job this runner holds. Returns false when the lease was lost.
///
/// # Errors
/// Database failure.
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    id: Uuid,
    runner: &str,
    lease_seconds: i64,
) -> Result<bool, DbErr> {
    let now = core::now();
    let until = now + Duration::seconds(lease_seconds);
    super::repo::extend_lease(db, id, runner, until, now).await
}

/// How a finished attempt ended.
#[derive(Debug, Clone)]
pub enum Finish {
    Succeeded,
    /// Retry at the given instant.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Dead letter (rejected, or out of attempts).
    Dead {
        error: String,
    },
    /// Paused until an operator replays it (e.g. credentials refused).
    Paused {
        error: String,
    },
}

/// Records the outcome, only if this runner still holds the job. Returns whether it did.
///
/// # Errors
/// Database failure.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    runner: &str,
    outcome: &Finish,
) -> Result<bool, DbErr> {
    let now = core::now();
    let outcome = match outcome {
        Finish::Succeeded => Outcome {
            status: status::SUCCEEDED,
            run_at: None,
            error: None,
            finished_at: Some(now),
        },
        Finish::Retry { at, error } => Outcome {
            status: status::QUEUED,
            run_at: Some(*at),
            error: Some(error),
            finished_at: None,
        },
        Finish::Dead { error } => Outcome {
            status: status::DEAD,
            run_at: None,
            error: Some(error),
            finished_at: Some(now),
        },
        Finish::Paused { error } => Outcome {
            status: status::PAUSED,
            run_at: None,
            error: Some(error),
            finished_at: None,
        },
    };
    super::repo::finish_job(db, id, runner, outcome, now).await
}

/// Exponential backoff with full jitter: a uniform delay in `[0, min(cap, base·2^attempt)]`.
pub fn backoff(attempt: i32, base_seconds: u64, cap_seconds: u64) -> std::time::Duration {
    let exp = base_seconds.saturating_mul(1u64 << attempt.clamp(0, 30));
    let ceiling = exp.min(cap_seconds);
    if ceiling == 0 {
        return std::time::Duration::ZERO;
    }
    let ms = rand::rng().random_range(0..=ceiling.saturating_mul(1000));
    std::time::Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_stays_within_the_capped_exponential_ceiling() {
        for attempt in 0..20 {
            for _ in 0..50 {
                let d = backoff(attempt, 5, 3600).as_secs_f64();
                let ceiling = (5u64 << attempt).min(3600) as f64;
                assert!(
                    d >= 0.0 && d <= ceiling,
                    "attempt {attempt}: {d} > {ceiling}"
                );
            }
        }
        assert_eq!(backoff(3, 0, 0).as_millis(), 0);
    }

    #[test]
    fn backoff_is_jittered() {
        let samples: std::collections::HashSet<u128> =
            (0..20).map(|_| backoff(10, 5, 3600).as_millis()).collect();
        assert!(samples.len() > 1);
    }
}
