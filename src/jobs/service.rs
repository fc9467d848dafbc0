//! Operator-facing job queries and replay (tenant-scoped).
use super::queue::status;
use super::repo;
use crate::{
    audit::{self, AuditRecord},
    core::{self, pagination::Page},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{job, job_attempt};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

/// Filters for listing jobs.
#[derive(Debug, Default, Clone)]
pub struct JobFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
}

const STATUSES: [&str; 5] = [
    status::QUEUED,
    status::RUNNING,
    status::SUCCEEDED,
    status::DEAD,
    status::PAUSED,
];

fn scope(actor: &Actor) -> ApiResult<Condition> {
    actor.require(&[Role::Admin, Role::Operator])?;
    Ok(if actor.is_global_admin() {
        Condition::all()
    } else {
        match actor.aggregator_id {
            Some(a) => Condition::all().add(job::Column::AggregatorId.eq(a)),
            None => return Err(ApiError::forbidden()),
        }
    })
}

/// Lists jobs visible to the actor, newest first.
///
/// # Errors
/// 403 for roles other than admin/operator; 422 for an unknown status filter.
#[tracing::instrument(skip_all)]
pub async fn list_jobs(
    app: &AppState,
    actor: &Actor,
    filter: JobFilter,
    page: Page,
) -> ApiResult<Vec<job::Model>> {
    let mut cond = scope(actor)?;
    if let Some(s) = &filter.status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiError::field(
                "status",
                format!("must be one of {}", STATUSES.join(", ")),
            ));
        }
        cond = cond.add(job::Column::Status.eq(s.clone()));
    }
    if let Some(k) = &filter.kind {
        let ok = !k.is_empty() && k.len() <= 64 && k.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(ApiError::field(
                "kind",
                "must be a job kind such as mail.send",
            ));
        }
        cond = cond.add(job::Column::Kind.eq(k.clone()));
    }
    if let Some(after) = page.after {
        cond = cond.add(job::Column::Id.lt(after));
    }
    Ok(repo::jobs_where(&app.db, cond, page.limit).await?)
}

/// One job with its attempts.
///
/// # Errors
/// 404 when it does not exist or belongs to another tenant.
#[tracing::instrument(skip_all)]
pub async fn get_job(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<(job::Model, Vec<job_attempt::Model>)> {
    let cond = scope(actor)?.add(job::Column::Id.eq(id));
    let job = repo::job_where(&app.db, cond)
        .await?
        .ok_or(ApiError::NotFound)?;
    let attempts = repo::attempts(&app.db, id).await?;
    Ok((job, attempts))
}

/// Puts a dead or paused job back in the queue (attempts reset), audit-logged.
///
/// # Errors
/// 404 unknown/other tenant; 409 `job_not_replayable` when it is not dead or paused.
#[tracing::instrument(skip_all)]
pub async fn replay_job(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<job::Model> {
    let cond = scope(actor)?.add(job::Column::Id.eq(id));
    let txn = db::begin_write(&app.db).await?;
    let job = repo::job_where(&txn, cond)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = core::now();
    let requeued = repo::requeue(
        &txn,
        id,
        &[status::DEAD, status::PAUSED],
        status::QUEUED,
        now,
    )
    .await?;
    if !requeued {
        return Err(ApiError::conflict(
            "job_not_replayable",
            format!(
                "only dead or paused jobs can be replayed; this one is {}",
                job.status
            ),
        ));
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: job.aggregator_id,
            actor_user_id: Some(actor.user_id),
            action: "job_replayed",
            subject_type: "job",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "kind": job.kind, "previous_status": job.status }),
        },
    )
    .await?;
    let updated = repo::job(&txn, id).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}
