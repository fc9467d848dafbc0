//! The jobs area's queries: the job table as a queue (insert, claim with a lease, heartbeat,
//! finish, replay), attempts, schedules, domain events with their deliveries and receipts, and
//! the nightly purge of expired rows. [`super::queue`] keeps the queue's rules (rows, outcomes,
//! backoff); the other files keep theirs.
use crate::db::sql_for;
use chrono::{DateTime, Duration, Utc};
use entity::{domain_event, event_receipt, job, job_attempt, job_schedule};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TryInsertResult,
    sea_query::Expr,
};
use uuid::Uuid;

/// Inserts `row` unless a job with its dedupe key exists: `true` when it was inserted.
///
/// # Errors
/// Database failure.
pub async fn insert_job(db: &impl ConnectionTrait, row: job::ActiveModel) -> Result<bool, DbErr> {
    let res = job::Entity::insert(row)
        .on_conflict_do_nothing_on([job::Column::DedupeKey])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
}

/// Claims one due job for `runner` until `lease_until`: a queued job whose `run_at` has come,
/// or a running job whose lease expired. One conditional UPDATE; on PostgreSQL the candidate
/// row is locked with `FOR UPDATE SKIP LOCKED`.
///
/// # Errors
/// Database failure.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    runner: &str,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<job::Model>, DbErr> {
    let backend = db.get_database_backend();
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE job SET status = 'running', attempts = attempts + 1, lease_until = $1, \
         locked_by = $2, updated_at = $3 \
         WHERE id = (SELECT id FROM job WHERE (status = 'queued' AND run_at <= $3) \
         OR (status = 'running' AND lease_until < $3) ORDER BY run_at, id LIMIT 1{lock}) \
         AND (status = 'queued' OR (status = 'running' AND lease_until < $3)) \
         RETURNING *"
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(backend, &sql),
        [lease_until.into(), runner.into(), now.into()],
    );
    job::Entity::find().from_raw_sql(stmt).one(db).await
}

/// Extends the lease of job `id` held by `runner` to `until`: `false` when the lease was lost.
///
/// # Errors
/// Database failure.
pub async fn extend_lease(
    db: &impl ConnectionTrait,
    id: Uuid,
    runner: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(
            backend,
            "UPDATE job SET lease_until = $1, updated_at = $2 \
             WHERE id = $3 AND locked_by = $4 AND status = 'running'",
        ),
        [until.into(), now.into(), id.into(), runner.into()],
    );
    Ok(db.execute_raw(stmt).await?.rows_affected() == 1)
}

/// The columns an attempt's outcome sets on its job.
pub struct Outcome<'a> {
    pub status: &'a str,
    pub run_at: Option<DateTime<Utc>>,
    pub error: Option<&'a str>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Records `outcome` on job `id`, only if `runner` still holds it: whether it did. A
/// succeeded job's payload is dropped (it may hold personal data or one-time links).
///
/// # Errors
/// Database failure.
pub async fn finish_job(
    db: &impl ConnectionTrait,
    id: Uuid,
    runner: &str,
    outcome: Outcome<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(
            backend,
            "UPDATE job SET status = $1, run_at = COALESCE($2, run_at), \
             last_error = COALESCE($3, last_error), finished_at = $4, lease_until = NULL, \
             locked_by = NULL, updated_at = $5, \
             payload = CASE WHEN $1 = 'succeeded' THEN '{}' ELSE payload END \
             WHERE id = $6 AND locked_by = $7 AND status = 'running'",
        ),
        [
            outcome.status.into(),
            outcome.run_at.into(),
            outcome.error.map(str::to_string).into(),
            outcome.finished_at.into(),
            now.into(),
            id.into(),
            runner.into(),
        ],
    );
    Ok(db.execute_raw(stmt).await?.rows_affected() == 1)
}

/// Up to `limit` jobs matching `cond`, newest id first.
///
/// # Errors
/// Database failure.
pub async fn jobs_where(
    db: &impl ConnectionTrait,
    cond: Condition,
    limit: u64,
) -> Result<Vec<job::Model>, DbErr> {
    job::Entity::find()
        .filter(cond)
        .order_by_desc(job::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The job matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn job_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Option<job::Model>, DbErr> {
    job::Entity::find().filter(cond).one(db).await
}

/// Job `id`.
///
/// # Errors
/// Database failure.
pub async fn job(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<job::Model>, DbErr> {
    job::Entity::find_by_id(id).one(db).await
}

/// Puts job `id` back in the queue (attempts reset, due `now`) if its status is one of `from`:
/// `true` when it was.
///
/// # Errors
/// Database failure.
pub async fn requeue(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[&str],
    queued: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(queued))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The attempts of job `id`, in order.
///
/// # Errors
/// Database failure.
pub async fn attempts(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<job_attempt::Model>, DbErr> {
    job_attempt::Entity::find()
        .filter(job_attempt::Column::JobId.eq(id))
        .order_by_asc(job_attempt::Column::Attempt)
        .order_by_asc(job_attempt::Column::StartedAt)
        .all(db)
        .await
}

/// How many attempts job `id` has had.
///
/// # Errors
/// Database failure.
pub async fn attempt_count(db: &impl ConnectionTrait, id: Uuid) -> Result<u64, DbErr> {
    job_attempt::Entity::find()
        .filter(job_attempt::Column::JobId.eq(id))
        .count(db)
        .await
}

/// Inserts an attempt row.
///
/// # Errors
/// Database failure.
pub async fn insert_attempt(
    db: &impl ConnectionTrait,
    row: job_attempt::ActiveModel,
) -> Result<(), DbErr> {
    row.insert(db).await.map(|_| ())
}

/// Writes the set columns of an attempt row.
///
/// # Errors
/// Database failure.
pub async fn update_attempt(
    db: &impl ConnectionTrait,
    row: job_attempt::ActiveModel,
) -> Result<(), DbErr> {
    job_attempt::Entity::update(row).exec(db).await.map(|_| ())
}

/// Schedule `name`.
///
/// # Errors
/// Database failure.
pub async fn schedule(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<job_schedule::Model>, DbErr> {
    job_schedule::Entity::find_by_id(name.to_string())
        .one(db)
        .await
}

/// Inserts a schedule row unless one of its name exists.
///
/// # Errors
/// Database failure.
pub async fn insert_schedule(
    db: &impl ConnectionTrait,
    row: job_schedule::ActiveModel,
) -> Result<(), DbErr> {
    job_schedule::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The schedules due at `now`.
///
/// # Errors
/// Database failure.
pub async fn due_schedules(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<job_schedule::Model>, DbErr> {
    job_schedule::Entity::find()
        .filter(job_schedule::Column::NextRunAt.lte(now))
        .all(db)
        .await
}

/// Advances schedule `name` from `was` to `next` (ran at `now`): `true` when this call did
/// (another runner may have fired it first).
///
/// # Errors
/// Database failure.
pub async fn advance_schedule(
    db: &impl ConnectionTrait,
    name: &str,
    was: DateTime<Utc>,
    next: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(job_schedule::Entity::update_many()
        .col_expr(job_schedule::Column::NextRunAt, Expr::value(next))
        .col_expr(job_schedule::Column::LastRunAt, Expr::value(Some(now)))
        .filter(job_schedule::Column::Name.eq(name))
        .filter(job_schedule::Column::NextRunAt.eq(was))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Inserts a domain event and its delivery jobs.
///
/// # Errors
/// Database failure.
pub async fn insert_event(
    db: &impl ConnectionTrait,
    row: domain_event::ActiveModel,
    deliveries: Vec<job::ActiveModel>,
) -> Result<(), DbErr> {
    domain_event::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    if !deliveries.is_empty() {
        job::Entity::insert_many(deliveries)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Event `id`.
///
/// # Errors
/// Database failure.
pub async fn event(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<domain_event::Model>, DbErr> {
    domain_event::Entity::find_by_id(id).one(db).await
}

/// Whether `subscriber` has handled event `id`.
///
/// # Errors
/// Database failure.
pub async fn has_receipt(
    db: &impl ConnectionTrait,
    id: Uuid,
    subscriber: &str,
) -> Result<bool, DbErr> {
    Ok(
        event_receipt::Entity::find_by_id((id, subscriber.to_string()))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Inserts the receipt of (`id`, `subscriber`) handled at `now`: `false` when it exists.
///
/// # Errors
/// Database failure.
pub async fn insert_receipt(
    db: &impl ConnectionTrait,
    id: Uuid,
    subscriber: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use sea_orm::ActiveValue::Set;
    let res = event_receipt::Entity::insert(event_receipt::ActiveModel {
        event_id: Set(id),
        subscriber: Set(subscriber.to_string()),
        handled_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        event_receipt::Column::EventId,
        event_receipt::Column::Subscriber,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
}

/// Deletes what has outlived its use at `now`: expired sessions, login attempts older than a
/// day, one-time links a week past expiry, and jobs in status `succeeded` finished over 30
/// days ago.
///
/// # Errors
/// Database failure.
pub async fn purge_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    succeeded: &str,
) -> Result<(), DbErr> {
    entity::session::Entity::delete_many()
        .filter(entity::session::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    entity::login_attempt::Entity::delete_many()
        .filter(entity::login_attempt::Column::CreatedAt.lt(now - Duration::days(1)))
        .exec(db)
        .await?;
    entity::one_time_link::Entity::delete_many()
        .filter(entity::one_time_link::Column::ExpiresAt.lt(now - Duration::days(7)))
        .exec(db)
        .await?;
    job::Entity::delete_many()
        .filter(job::Column::Status.eq(succeeded))
        .filter(job::Column::FinishedAt.lt(now - Duration::days(30)))
        .exec(db)
        .await?;
    Ok(())
}

/// How many jobs of `kind` with exactly `payload` are queued.
///
/// # Errors
/// Database failure.
pub async fn queued_with_payload(
    db: &impl ConnectionTrait,
    kind: &str,
    queued: &str,
    payload: String,
) -> Result<u64, DbErr> {
    job::Entity::find()
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::Status.eq(queued))
        .filter(job::Column::Payload.eq(payload))
        .count(db)
        .await
}
