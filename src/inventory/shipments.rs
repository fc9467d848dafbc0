//! Inbound shipments (ASN) from producers, receiving events, warehouse locations.
use super::repo;
use crate::catalog::repo as catalog_repo;
use crate::{
    audit::{self, AuditRecord},
    catalog::domain::TEMPERATURE_CLASSES,
    core::{self, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use chrono::{Duration, NaiveDate};
use entity::{inbound_line, inbound_shipment, location, receipt, receipt_line, receipt_photo};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

/// Shipment statuses.
pub mod status {
    pub const DRAFT: &str = "draft";
    pub const SHIPPED: &str = "shipped";
    pub const PARTIALLY_RECEIVED: &str = "partially_received";
    pub const RECEIVED: &str = "received";
    pub const CLOSED: &str = "closed";
    pub const CANCELLED: &str = "cancelled";
}

/// Transports.
pub const TRANSPORTS: [&str; 4] = ["ferry", "air", "truck", "post"];

/// One declared line.
#[derive(Debug, Clone)]
pub struct LineInput {
    pub sku_id: Uuid,
    pub qty: i64,
    pub lot_code: String,
    pub best_before: Option<NaiveDate>,
    /// Used with the product's shelf life when `best_before` is not given.
    pub production_date: Option<NaiveDate>,
}

/// A new shipment notice.
#[derive(Debug, Clone)]
pub struct ShipmentInput {
    pub producer_id: Option<Uuid>,
    pub temperature_class: String,
    pub transport: String,
    pub ship_date: Option<NaiveDate>,
    pub expected_arrival: Option<NaiveDate>,
    pub boxes: i32,
    pub notes: String,
    pub lines: Vec<LineInput>,
}

fn scope(actor: &Actor) -> ApiResult<Condition> {
    match actor.role {
        Role::Admin | Role::Operator => {
            let a = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
            Ok(Condition::all().add(inbound_shipment::Column::AggregatorId.eq(a)))
        }
        Role::Producer => {
            let (Some(a), Some(p)) = (actor.aggregator_id, actor.producer_id) else {
                return Err(ApiError::forbidden());
            };
            Ok(Condition::all()
                .add(inbound_shipment::Column::AggregatorId.eq(a))
                .add(inbound_shipment::Column::ProducerId.eq(p)))
        }
        _ => Err(ApiError::forbidden()),
    }
}

pub(super) async fn find(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<inbound_shipment::Model> {
    repo::shipment_where(db, scope(actor)?.add(inbound_shipment::Column::Id.eq(id)))
        .await?
        .ok_or(ApiError::NotFound)
}

/// A shipment with its lines and its receiving events (with their photos).
pub struct ShipmentDetail {
    pub shipment: inbound_shipment::Model,
    pub lines: Vec<inbound_line::Model>,
    pub receipts: Vec<ReceiptDetail>,
}

/// One receiving event with what it counted per line and its photos.
pub struct ReceiptDetail {
    pub receipt: receipt::Model,
    pub lines: Vec<receipt_line::Model>,
    pub photos: Vec<receipt_photo::Model>,
}

/// The lines, receipts and photos of a shipment the caller already holds (in scope).
///
/// # Errors
/// Database failure.
pub(crate) async fn detail(
    db: &impl ConnectionTrait,
    s: inbound_shipment::Model,
) -> ApiResult<ShipmentDetail> {
    let lines = repo::inbound_lines(db, s.id).await?;
    let mut photos = repo::photos_of_shipment(db, s.id).await?;
    let receipts = repo::receipts_of(db, s.id).await?;
    let mut counted = repo::receipt_lines_of(db, receipts.iter().map(|r| r.id)).await?;
    let receipts = receipts
        .into_iter()
        .map(|r| {
            let (mine, rest) = photos.drain(..).partition(|p| p.receipt_id == r.id);
            photos = rest;
            let (lines, rest) = counted.drain(..).partition(|l| l.receipt_id == r.id);
            counted = rest;
            ReceiptDetail {
                receipt: r,
                lines,
                photos: mine,
            }
        })
        .collect();
    Ok(ShipmentDetail {
        shipment: s,
        lines,
        receipts,
    })
}

/// Declares a shipment (producers for themselves; operators on a producer's behalf). One
/// temperature class per shipment; dates derived from the production date and shelf life when
/// only that is given.
///
/// # Errors
/// 403/404 scope; 422 fields (`lines[i].…`).
#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppState,
    actor: &Actor,
    input: ShipmentInput,
) -> ApiResult<ShipmentDetail> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let producer_id = match actor.role {
        Role::Producer => actor.producer_id.ok_or_else(ApiError::forbidden)?,
        _ => input
            .producer_id
            .ok_or_else(|| ApiError::field("producer_id", "is required for staff"))?,
    };
    let producer = crate::producers::service::get_producer(app, actor, producer_id).await?;
    let mut errors: Vec<(String, String)> = Vec::new();
    if !TEMPERATURE_CLASSES.contains(&input.temperature_class.as_str()) {
        errors.push((
            "temperature_class".into(),
            "must be ambient, chilled or frozen".into(),
        ));
    }
    if !TRANSPORTS.contains(&input.transport.as_str()) {
        errors.push((
            "transport".into(),
            "must be ferry, air, truck or post".into(),
        ));
    }
    if !(0..=10_000).contains(&input.boxes) {
        errors.push(("boxes".into(), "must be 0 to 10,000".into()));
    }
    let today = core::today_jst();
    for (field, d) in [
        ("ship_date", input.ship_date),
        ("expected_arrival", input.expected_arrival),
    ] {
        if d.is_some_and(|d| (d - today).num_days().abs() > 366) {
            errors.push((field.into(), "must be within a year of today".into()));
        }
    }
    if input.lines.is_empty() || input.lines.len() > 200 {
        errors.push(("lines".into(), "give 1 to 200 lines".into()));
    }
    let notes = input.notes.trim().to_string();
    if notes.chars().count() > 2000 || notes.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(("notes".into(), "at most 2000 characters".into()));
    }
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let f = |name: &str| format!("lines[{i}].{name}");
        if !(1..=1_000_000).contains(&l.qty) {
            errors.push((f("qty"), "must be 1 to 1,000,000".into()));
        }
        let lot_code = match validate::code(&l.lot_code, 64) {
            Ok(c) => c,
            Err(m) => {
                errors.push((f("lot_code"), m.into()));
                continue;
            }
        };
        let s = catalog_repo::sku(&app.db, l.sku_id).await?;
        let Some(s) = s.filter(|s| s.producer_id == producer.id && s.aggregator_id == agg) else {
            errors.push((f("sku_id"), "not one of this producer's SKUs".into()));
            continue;
        };
        let p = catalog_repo::product(&app.db, s.product_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if p.temperature_class != input.temperature_class {
            errors.push((
                f("sku_id"),
                format!(
                    "is {} but the shipment is {}",
                    p.temperature_class, input.temperature_class
                ),
            ));
        }
        let best_before = match (l.best_before, l.production_date) {
            (Some(d), _) => d,
            (None, Some(made)) => made + Duration::days(i64::from(p.shelf_life_days)),
            (None, None) => {
                errors.push((
                    f("best_before"),
                    "give best_before or production_date".into(),
                ));
                continue;
            }
        };
        if (best_before - today).num_days().abs() > 3660 {
            errors.push((f("best_before"), "is out of range".into()));
            continue;
        }
        lines.push((s, lot_code, best_before, l.qty));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    let shipment = inbound_shipment::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg),
        producer_id: Set(producer.id),
        status: Set(status::DRAFT.into()),
        temperature_class: Set(input.temperature_class),
        transport: Set(input.transport),
        ship_date: Set(input.ship_date),
        expected_arrival: Set(input.expected_arrival),
        boxes: Set(input.boxes),
        notes: Set(notes),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let shipment = repo::insert(&txn, shipment).await?;
    for (s, lot_code, best_before, qty) in lines {
        let line = inbound_line::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(agg),
            shipment_id: Set(shipment.id),
            sku_id: Set(s.id),
            declared_qty: Set(qty),
            lot_code: Set(lot_code),
            best_before: Set(best_before),
            received_qty: Set(0),
            damaged_qty: Set(0),
            refused_qty: Set(0),
        };
        repo::insert(&txn, line).await?;
    }
    let d = detail(&txn, shipment).await?;
    txn.commit().await?;
    Ok(d)
}

/// Shipments in scope, newest first.
///
/// # Errors
/// 403 other roles.
#[tracing::instrument(skip_all)]
pub async fn list(
    app: &AppState,
    actor: &Actor,
    status_filter: Option<String>,
    producer_id: Option<Uuid>,
) -> ApiResult<Vec<inbound_shipment::Model>> {
    // Within the caller's scope: a producer naming itself sees its own, naming another nothing.
    let mut cond = scope(actor)?;
    if let Some(p) = producer_id {
        cond = cond.add(inbound_shipment::Column::ProducerId.eq(p));
    }
    if let Some(s) = status_filter {
        let s = validate::code(&s, 24).map_err(|m| ApiError::field("status", m))?;
        cond = cond.add(inbound_shipment::Column::Status.eq(s));
    }
    Ok(repo::shipments_where(&app.db, cond).await?)
}

/// One shipment with its lines.
///
/// # Errors
/// 404 scope.
#[tracing::instrument(skip_all)]
pub async fn get(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<ShipmentDetail> {
    let s = find(&app.db, actor, id).await?;
    detail(&app.db, s).await
}

/// Moves a shipment: `ship` (draft → shipped), `cancel` (draft or shipped → cancelled, before
/// anything was received) or `close` (operators: received or partially received → closed; what
/// never arrived stays on the lines as the final discrepancy and nothing more can be received).
///
/// # Errors
/// 403 close by a producer; 404 scope; 409 `invalid_transition`.
#[tracing::instrument(skip_all)]
pub async fn transition(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    to: &str,
) -> ApiResult<ShipmentDetail> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let from: &[&str] = match to {
        status::SHIPPED => &[status::DRAFT],
        status::CANCELLED => &[status::DRAFT, status::SHIPPED],
        status::CLOSED => {
            actor.require(&[Role::Operator, Role::Admin])?;
            &[status::RECEIVED, status::PARTIALLY_RECEIVED]
        }
        _ => return Err(ApiError::NotFound),
    };
    let txn = db::begin_write(&app.db).await?;
    let s = find(&txn, actor, id).await?;
    if !repo::move_shipment(&txn, id, from, to, core::now()).await? {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            message: format!("a {} shipment cannot become {to}", s.status),
            details: serde_json::json!({ "from": s.status, "to": to }),
        });
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(s.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "shipment_status_changed",
            subject_type: "inbound_shipment",
            subject_id: Some(s.id.to_string()),
            details: serde_json::json!({ "from": s.status, "to": to }),
        },
    )
    .await?;
    let s = repo::shipment(&txn, id).await?.ok_or(ApiError::NotFound)?;
    let d = detail(&txn, s).await?;
    txn.commit().await?;
    Ok(d)
}

/// Adds a warehouse location (operators).
///
/// # Errors
/// 403; 422 fields; 409 `already_exists`.
#[tracing::instrument(skip_all)]
pub async fn create_location(
    app: &AppState,
    actor: &Actor,
    code: &str,
    zone: &str,
) -> ApiResult<location::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let code = validate::code(code, 32).map_err(|m| ApiError::field("code", m))?;
    if !TEMPERATURE_CLASSES.contains(&zone) {
        return Err(ApiError::field(
            "zone",
            "must be ambient, chilled or frozen",
        ));
    }
    let row = location::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg),
        code: Set(code),
        zone: Set(zone.to_string()),
        active: Set(true),
        created_at: Set(core::now()),
    };
    Ok(repo::insert(&app.db, row).await?)
}

/// The tenant's locations.
///
/// # Errors
/// 403.
#[tracing::instrument(skip_all)]
pub async fn locations(app: &AppState, actor: &Actor) -> ApiResult<Vec<location::Model>> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    Ok(repo::locations_of(&app.db, agg).await?)
}
