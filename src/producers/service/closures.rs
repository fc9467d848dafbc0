//! Closures: a producer's or a whole island's holidays, ferry and typhoon closures.
use super::*;
use crate::producers::repo;
use crate::{
    audit::{self, AuditRecord},
    core::{self, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use chrono::NaiveDate;
use entity::{producer, producer_closure};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

/// Input of [`create_closure`]: exactly one of producer or island.
#[derive(Debug, Clone)]
pub struct ClosureInput {
    pub producer_id: Option<Uuid>,
    pub island_code: Option<String>,
    pub closed_from: NaiveDate,
    pub closed_to: NaiveDate,
    pub reason: String,
}

/// Records a closure: producers for themselves, operators for any producer of theirs or a
/// whole island.
///
/// # Errors
/// 403 island-wide by a producer; 404 producer out of scope; 422 dates/reason/target.
#[tracing::instrument(skip_all)]
pub async fn create_closure(
    app: &AppState,
    actor: &Actor,
    input: ClosureInput,
) -> ApiResult<producer_closure::Model> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let reason = validate::text(&input.reason, 200).map_err(|m| ApiError::field("reason", m))?;
    let today = core::today_jst();
    if input.closed_from < today - chrono::Duration::days(366) {
        return Err(ApiError::field(
            "closed_from",
            "must be within the last year",
        ));
    }
    if input.closed_to > today + chrono::Duration::days(731) {
        return Err(ApiError::field(
            "closed_to",
            "must be within the next two years",
        ));
    }
    if input.closed_to < input.closed_from {
        return Err(ApiError::field(
            "closed_to",
            "must not be before closed_from",
        ));
    }
    if (input.closed_to - input.closed_from).num_days() > 366 {
        return Err(ApiError::field(
            "closed_to",
            "a closure lasts at most a year",
        ));
    }
    let (producer_id, island_code, aggregator_id) = match (input.producer_id, input.island_code) {
        (Some(pid), None) => {
            let p = find_in_scope(&app.db, actor, pid).await?;
            (Some(p.id), None, p.aggregator_id)
        }
        (None, Some(code)) => {
            actor.require(&[Role::Operator, Role::Admin])?;
            let a = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
            if find_island(&app.db, &code).await?.is_none() {
                return Err(ApiError::field(
                    "island_code",
                    "pick an island from the list",
                ));
            }
            (None, Some(code), a)
        }
        _ => {
            return Err(ApiError::field(
                "producer_id",
                "give exactly one of producer_id or island_code",
            ));
        }
    };
    let txn = db::begin_write(&app.db).await?;
    let c = producer_closure::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(aggregator_id),
        producer_id: Set(producer_id),
        island_code: Set(island_code),
        closed_from: Set(input.closed_from),
        closed_to: Set(input.closed_to),
        reason: Set(reason),
        created_by: Set(actor.user_id),
        created_at: Set(core::now()),
    };
    let c = repo::insert_closure(&txn, c).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "closure_created",
            subject_type: "producer_closure",
            subject_id: Some(c.id.to_string()),
            details: serde_json::json!({ "producer_id": c.producer_id, "island_code": c.island_code,
                "from": c.closed_from.to_string(), "to": c.closed_to.to_string() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(c)
}

/// Closures affecting a producer (its own and its island's) that have not ended.
///
/// # Errors
/// 404 out of scope.
#[tracing::instrument(skip_all)]
pub async fn closures_for(
    app: &AppState,
    actor: &Actor,
    producer_id: Uuid,
) -> ApiResult<Vec<producer_closure::Model>> {
    let p = find_in_scope(&app.db, actor, producer_id).await?;
    current_and_future_closures(&app.db, &p).await
}

async fn current_and_future_closures(
    db: &impl ConnectionTrait,
    p: &producer::Model,
) -> ApiResult<Vec<producer_closure::Model>> {
    let today = core::today_jst();
    let mut target = Condition::any().add(producer_closure::Column::ProducerId.eq(p.id));
    if let Some(i) = &p.island_code {
        target = target.add(producer_closure::Column::IslandCode.eq(i.clone()));
    }
    Ok(repo::closures_ending_from(db, p.aggregator_id, target, today).await?)
}

/// Whether one of `closures` covers today (Asia/Tokyo).
pub fn closed_today(closures: &[producer_closure::Model]) -> bool {
    let today = core::today_jst();
    closures
        .iter()
        .any(|c| c.closed_from <= today && today <= c.closed_to)
}

/// Deletes a closure (its creator's side: producers their own, operators any in the tenant).
///
/// # Errors
/// 404 out of scope.
#[tracing::instrument(skip_all)]
pub async fn delete_closure(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<()> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let c = repo::closure(&app.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    match c.producer_id {
        Some(pid) => {
            find_in_scope(&app.db, actor, pid).await?;
            // A producer may lift its own closures, not one staff put on it.
            if actor.role == Role::Producer && c.created_by != actor.user_id {
                return Err(ApiError::forbidden());
            }
        }
        None => {
            actor.require(&[Role::Operator, Role::Admin])?;
            if !actor.in_tenant(Some(c.aggregator_id)) {
                return Err(ApiError::NotFound);
            }
        }
    }
    repo::delete_closure(&app.db, id).await?;
    Ok(())
}

/// Whether the producer is sellable-eligible now: approved and not closed (stock comes later).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn is_open_for_sale(db: &impl ConnectionTrait, p: &producer::Model) -> ApiResult<bool> {
    if p.status != status::APPROVED {
        return Ok(false);
    }
    Ok(!closed_today(&current_and_future_closures(db, p).await?))
}
