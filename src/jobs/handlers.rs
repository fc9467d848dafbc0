//! HTTP handlers for `/api/v1/jobs`.
use super::service::{self, JobFilter};
use crate::{
    core::pagination::{PageQuery, next_cursor},
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    state::AppState,
};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::{job, job_attempt};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A job as operators see it (the payload is not shown: it may hold personal data).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    pub aggregator_id: Option<Uuid>,
    pub kind: String,
    /// queued, running, succeeded, dead, paused
    pub status: String,
    pub attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// The request that enqueued the job.
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<job::Model> for JobView {
    fn from(j: job::Model) -> Self {
        Self {
            id: j.id,
            aggregator_id: j.aggregator_id,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            run_at: j.run_at,
            last_error: j.last_error,
            request_id: j.request_id,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

/// One attempt of a job.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    pub attempt: i32,
    pub runner: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub error: Option<String>,
}

impl From<job_attempt::Model> for AttemptView {
    fn from(a: job_attempt::Model) -> Self {
        Self {
            attempt: a.attempt,
            runner: a.runner,
            started_at: a.started_at,
            finished_at: a.finished_at,
            outcome: a.outcome,
            error: a.error,
        }
    }
}

/// A job with its attempts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobDetail {
    #[serde(flatten)]
    pub job: JobView,
    pub attempt_log: Vec<AttemptView>,
}

/// A page of jobs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobView>,
    pub next_cursor: Option<String>,
}

/// Filters for the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// queued, running, succeeded, dead or paused
    pub status: Option<String>,
    /// e.g. mail.send
    pub kind: Option<String>,
    /// Page size, 1–100.
    pub limit: Option<u64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Lists jobs (operators: their tenant; admins: all). Dead letters: `?status=dead`.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(JobQuery),
    responses(
        (status = 200, body = JobPage),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_jobs(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<JobQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let rows = service::list_jobs(
        &app,
        &actor,
        JobFilter {
            status: q.status,
            kind: q.kind,
        },
        page,
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    Ok(HttpResponse::Ok().json(JobPage {
        next_cursor: next_cursor(&page, &ids),
        items: rows.into_iter().map(JobView::from).collect(),
    }))
}

/// One job with its attempt log.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = Uuid, Path, description = "job id")),
    responses(
        (status = 200, body = JobDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_job(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (job, attempts) = service::get_job(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(JobDetail {
        job: job.into(),
        attempt_log: attempts.into_iter().map(AttemptView::from).collect(),
    }))
}

/// Replays a dead or paused job: back to `queued` with attempts reset (audit-logged).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/replay", tag = "jobs",
    params(("id" = Uuid, Path, description = "job id")),
    responses(
        (status = 200, body = JobView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not dead or paused (`job_not_replayable`)", body = ErrorBody)
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn replay_job(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let job = service::replay_job(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(JobView::from(job)))
}
