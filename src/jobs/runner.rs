//! The job runner: claims due jobs, runs them with a lease heartbeat, records each attempt,
//! and applies the error classes (retry with backoff / dead-letter / pause).
use super::{
    JobError,
    queue::{self, Finish},
    registry::Registry,
    schedule,
};
use crate::{core, state::AppState};
use chrono::Duration as ChronoDuration;
use entity::{job, job_attempt};
use sea_orm::ActiveValue::Set;
use std::{sync::Arc, time::Duration};
use tokio::sync::{Semaphore, watch};
use tracing::Instrument;

/// A name for this runner, unique per process and start.
pub fn runner_id() -> String {
    let host: String = std::env::var("HOSTNAME")
        .unwrap_or_else(|_| "local".into())
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    let id = core::new_id().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &id[24..])
}

/// Runs until `stop` becomes true, then waits for in-flight jobs to finish.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let runner = runner_id();
    let cfg = state.settings.jobs.clone();
    let slots = cfg.concurrency.max(1);
    let sem = Arc::new(Semaphore::new(slots));
    tracing::info!(runner = %runner, concurrency = slots, "job runner started");
    let mut last_ticks: std::collections::HashMap<&'static str, std::time::Instant> =
        std::collections::HashMap::new();
    loop {
        if *stop.borrow() {
            break;
        }
        if let Err(e) = schedule::tick(&state).await {
            tracing::warn!(error = %e, "schedule tick failed");
        }
        run_tickers(&state, Some(&mut last_ticks)).await;
        let mut claimed = 0usize;
        while let Ok(permit) = sem.clone().try_acquire_owned() {
            match queue::claim(&state.db, &runner, cfg.lease_seconds).await {
                Ok(Some(job)) => {
                    claimed += 1;
                    let state = state.clone();
                    let runner = runner.clone();
                    tokio::spawn(async move {
                        execute(&state, job, &runner).await;
                        drop(permit);
                    });
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming a job failed");
                    break;
                }
            }
        }
        if claimed == 0 {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(cfg.poll_interval_ms)) => {}
                _ = stop.changed() => {}
            }
        }
    }
    let _ = sem.acquire_many(slots as u32).await;
    tracing::info!(runner = %runner, "job runner stopped");
}

/// Claims and runs due jobs one at a time until none is due; returns how many ran.
/// Used by tests and by `yuimaru worker --once`.
pub async fn run_pending(state: &AppState) -> anyhow::Result<usize> {
    let runner = runner_id();
    let mut n = 0;
    schedule::tick(state).await?;
    run_tickers(state, None).await;
    while let Some(job) =
        queue::claim(&state.db, &runner, state.settings.jobs.lease_seconds).await?
    {
        execute(state, job, &runner).await;
        n += 1;
    }
    Ok(n)
}

/// Runs the registry's tickers that are due (every one when `last` is `None`).
async fn run_tickers(
    state: &AppState,
    mut last: Option<&mut std::collections::HashMap<&'static str, std::time::Instant>>,
) {
    let Ok(registry) = state.part::<Registry>() else {
        return;
    };
    for t in registry.tickers() {
        let every = Duration::from_millis((t.interval_ms)(&state.settings));
        if let Some(last) = last.as_deref_mut() {
            if last.get(t.name).is_some_and(|at| at.elapsed() < every) {
                continue;
            }
            last.insert(t.name, std::time::Instant::now());
        }
        if let Err(e) = (t.run)(state.clone()).await {
            tracing::warn!(ticker = t.name, error = %e, "ticker failed");
        }
    }
}

/// Runs one claimed job and records the outcome. The job's request id is the current request
/// id while it runs, so jobs and audit events it writes carry the id of the original request.
pub async fn execute(state: &AppState, job: job::Model, runner: &str) {
    let rid = job
        .request_id
        .clone()
        .unwrap_or_else(|| format!("job-{}", job.id));
    crate::error::REQUEST_ID
        .scope(rid, execute_in_scope(state, job, runner))
        .await;
}

async fn execute_in_scope(state: &AppState, job: job::Model, runner: &str) {
    let span = tracing::info_span!(
        "job",
        job.id = %job.id,
        job.kind = %job.kind,
        job.attempt = job.attempts,
        request_id = job.request_id.as_deref().unwrap_or("")
    );
    async {
        let started = core::now();
        let attempt_id = core::new_id();
        let attempt = job_attempt::ActiveModel {
            id: Set(attempt_id),
            job_id: Set(job.id),
            attempt: Set(job.attempts),
            runner: Set(runner.to_string()),
            started_at: Set(started),
            finished_at: Set(None),
            outcome: Set(None),
            error: Set(None),
        };
        if let Err(e) = super::repo::insert_attempt(&state.db, attempt).await {
            tracing::warn!(error = %e, "recording the attempt failed");
        }

        let lease = state.settings.jobs.lease_seconds;
        let hb_state = state.clone();
        let hb_runner = runner.to_string();
        let job_id = job.id;
        let heartbeat = tokio::spawn(async move {
            let every = Duration::from_millis((lease.max(3) as u64 * 1000) / 3);
            loop {
                tokio::time::sleep(every).await;
                match queue::heartbeat(&hb_state.db, job_id, &hb_runner, lease).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => tracing::warn!(error = %e, "lease heartbeat failed"),
                }
            }
        });

        let max = if job.max_attempts > 0 {
            job.max_attempts
        } else {
            state.settings.jobs.max_attempts
        };
        let result = if job.attempts > max {
            // Reclaimed after lease expiries more often than allowed: the job itself probably
            // kills its runner. Do not run it again.
            Err(JobError::Reject(format!(
                "its runner was lost {} times; not run again",
                job.attempts - 1
            )))
        } else {
            use futures_util::FutureExt;
            match state.part::<Registry>() {
                Ok(registry) => std::panic::AssertUnwindSafe(registry.dispatch(state, job.clone()))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err(JobError::Retry("the job panicked".into()))),
                Err(e) => Err(JobError::Retry(e.to_string())),
            }
        };
        heartbeat.abort();
        let (finish, outcome) = match &result {
            Ok(()) => (Finish::Succeeded, "succeeded"),
            Err(JobError::Retry(e)) if job.attempts >= max => (
                Finish::Dead {
                    error: format!("gave up after {} attempts: {e}", job.attempts),
                },
                "dead",
            ),
            Err(JobError::Retry(e)) => {
                let delay = queue::backoff(
                    job.attempts,
                    state.settings.jobs.backoff_base_seconds,
                    state.settings.jobs.backoff_cap_seconds,
                );
                let at = core::now()
                    + ChronoDuration::milliseconds(delay.as_millis().min(i64::MAX as u128) as i64);
                (
                    Finish::Retry {
                        at,
                        error: e.clone(),
                    },
                    "retry",
                )
            }
            Err(JobError::Reject(e)) => (Finish::Dead { error: e.clone() }, "dead"),
            Err(JobError::Pause(e)) => {
                tracing::error!(alert = true, error = %e, "job paused: needs an operator");
                (Finish::Paused { error: e.clone() }, "paused")
            }
        };
        match &result {
            Ok(()) => tracing::info!("job succeeded"),
            Err(e) => tracing::warn!(error = %e, outcome, "job failed"),
        }
        match queue::finish(&state.db, job.id, runner, &finish).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("lease lost before the job finished; outcome not recorded"),
            Err(e) => tracing::error!(error = %e, "recording the job outcome failed"),
        }
        let error_text = match &result {
            Ok(()) => None,
            Err(e) => Some(e.to_string()),
        };
        let done = job_attempt::ActiveModel {
            id: Set(attempt_id),
            finished_at: Set(Some(core::now())),
            outcome: Set(Some(outcome.to_string())),
            error: Set(error_text),
            ..Default::default()
        };
        if let Err(e) = super::repo::update_attempt(&state.db, done).await {
            tracing::warn!(error = %e, "recording the attempt outcome failed");
        }
    }
    .instrument(span)
    .await;
}
