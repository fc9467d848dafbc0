//! The inventory area's queries: stock lots and their movements, bins, reservations and their
//! lines, inbound shipments with their lines, receipts, counted lines and photos, and the
//! inventory rules. SKUs, products and categories are read through the catalogue's repo, users
//! through auth's. The services keep the rules, the transactions and the audit; the stock
//! ledger's statements for the group-commit writer are built in [`super::ledger`].
use chrono::{DateTime, Utc};
use entity::{
    audit_event, inbound_line, inbound_shipment, inventory_rule, location, receipt, receipt_line,
    receipt_photo, reservation, reservation_line, stock_lot, stock_movement,
};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    sea_query::{Expr, ExprTrait, OnConflict, SimpleExpr},
};
use uuid::Uuid;

/// Inserts one of the area's rows (a lot, a movement, a reservation, a shipment and its lines,
/// a receipt and its lines, a photo).
///
/// # Errors
/// Database failure (a taken unique key fails).
pub async fn insert<A>(
    db: &impl ConnectionTrait,
    row: A,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    row.insert(db).await
}

/// Runs a lot's conditional balance update and, when it changed the row, inserts its movement:
/// `false` (nothing written) when the balance refused the change.
///
/// # Errors
/// Database failure.
pub async fn apply_change(
    db: &impl ConnectionTrait,
    balance_update: Statement,
    movement: stock_movement::ActiveModel,
) -> Result<bool, DbErr> {
    if db.execute_raw(balance_update).await?.rows_affected() != 1 {
        return Ok(false);
    }
    stock_movement::Entity::insert(movement)
        .exec_without_returning(db)
        .await?;
    Ok(true)
}

/// The lots `ids`.
///
/// # Errors
/// Database failure.
pub async fn lots(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<stock_lot::Model>, DbErr> {
    stock_lot::Entity::find()
        .filter(stock_lot::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// Lot `id`.
///
/// # Errors
/// Database failure.
pub async fn lot(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<stock_lot::Model>, DbErr> {
    stock_lot::Entity::find_by_id(id).one(db).await
}

/// The first lot matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn lot_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Option<stock_lot::Model>, DbErr> {
    stock_lot::Entity::find().filter(cond).one(db).await
}

/// Lots matching `cond`, first expiry first, at most `limit` when given.
///
/// # Errors
/// Database failure.
pub async fn lots_where(
    db: &impl ConnectionTrait,
    cond: Condition,
    limit: Option<u64>,
) -> Result<Vec<stock_lot::Model>, DbErr> {
    let mut q = stock_lot::Entity::find()
        .filter(cond)
        .order_by_asc(stock_lot::Column::BestBefore)
        .order_by_asc(stock_lot::Column::Id);
    if let Some(n) = limit {
        q = q.limit(n);
    }
    q.all(db).await
}

/// Lots matching `cond` that hold units not yet reserved.
///
/// # Errors
/// Database failure.
pub async fn open_lots_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<stock_lot::Model>, DbErr> {
    stock_lot::Entity::find()
        .filter(cond)
        .filter(Expr::col(stock_lot::Column::OnHand).gt(Expr::col(stock_lot::Column::Reserved)))
        .all(db)
        .await
}

/// Every lot of `skus` with units not yet reserved, by SKU and first expiry; on PostgreSQL the
/// rows read are locked (in that one order, so concurrent readers wait rather than deadlock).
///
/// # Errors
/// Database failure.
pub async fn candidate_lots(
    db: &impl ConnectionTrait,
    skus: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<stock_lot::Model>, DbErr> {
    let mut query = stock_lot::Entity::find()
        .filter(stock_lot::Column::SkuId.is_in(skus))
        .filter(Expr::col(stock_lot::Column::OnHand).gt(Expr::col(stock_lot::Column::Reserved)))
        .order_by_asc(stock_lot::Column::SkuId)
        .order_by_asc(stock_lot::Column::BestBefore)
        .order_by_asc(stock_lot::Column::Id);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.all(db).await
}

/// Per SKU over the lots matching `cond` that hold stock: (SKU, lots, on hand, reserved,
/// first best-before date), summed by the database, by SKU id.
///
/// # Errors
/// Database failure.
pub async fn sku_totals(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<(Uuid, i64, i64, i64, Option<chrono::NaiveDate>)>, DbErr> {
    stock_lot::Entity::find()
        .select_only()
        .column(stock_lot::Column::SkuId)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "lots")
        .column_as(Expr::cust("CAST(SUM(on_hand) AS BIGINT)"), "on_hand")
        .column_as(Expr::cust("CAST(SUM(reserved) AS BIGINT)"), "reserved")
        .column_as(stock_lot::Column::BestBefore.min(), "next_date")
        .filter(cond)
        .filter(stock_lot::Column::OnHand.gt(0))
        .group_by(stock_lot::Column::SkuId)
        .order_by_asc(stock_lot::Column::SkuId)
        .into_tuple()
        .all(db)
        .await
}

/// The movements of the lots `lots`, oldest first, at most 5,000.
///
/// # Errors
/// Database failure.
pub async fn movements_of_lots(
    db: &impl ConnectionTrait,
    lots: Vec<Uuid>,
) -> Result<Vec<stock_movement::Model>, DbErr> {
    stock_movement::Entity::find()
        .filter(stock_movement::Column::LotId.is_in(lots))
        .order_by_asc(stock_movement::Column::Id)
        .limit(5000)
        .all(db)
        .await
}

/// Every change of on-hand units in aggregator `agg`'s lots before `until`, oldest first: (lot,
/// change, when). What storage fees count lot-days from.
///
/// # Errors
/// Database failure.
pub async fn on_hand_changes_until(
    db: &impl ConnectionTrait,
    agg: Uuid,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(Uuid, i64, chrono::DateTime<chrono::Utc>)>, DbErr> {
    stock_movement::Entity::find()
        .select_only()
        .column(stock_movement::Column::LotId)
        .column(stock_movement::Column::OnHandDelta)
        .column(stock_movement::Column::CreatedAt)
        .filter(stock_movement::Column::AggregatorId.eq(agg))
        .filter(stock_movement::Column::OnHandDelta.ne(0))
        .filter(stock_movement::Column::CreatedAt.lt(until))
        .order_by_asc(stock_movement::Column::CreatedAt)
        .order_by_asc(stock_movement::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// The movements caused by (`cause_type`, `cause_id`), oldest first.
///
/// # Errors
/// Database failure.
pub async fn movements_of_cause(
    db: &impl ConnectionTrait,
    cause_type: &str,
    cause_id: Uuid,
) -> Result<Vec<stock_movement::Model>, DbErr> {
    stock_movement::Entity::find()
        .filter(stock_movement::Column::CauseType.eq(cause_type))
        .filter(stock_movement::Column::CauseId.eq(cause_id))
        .order_by_asc(stock_movement::Column::Id)
        .all(db)
        .await
}

/// The first movement caused by `cause_id`.
///
/// # Errors
/// Database failure.
pub async fn movement_of_cause(
    db: &impl ConnectionTrait,
    cause_id: Uuid,
) -> Result<Option<stock_movement::Model>, DbErr> {
    stock_movement::Entity::find()
        .filter(stock_movement::Column::CauseId.eq(cause_id))
        .one(db)
        .await
}

/// The bins `ids`.
///
/// # Errors
/// Database failure.
pub async fn locations(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<location::Model>, DbErr> {
    location::Entity::find()
        .filter(location::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// The active bin `id` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn active_location(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> Result<Option<location::Model>, DbErr> {
    location::Entity::find_by_id(id)
        .filter(location::Column::AggregatorId.eq(agg))
        .filter(location::Column::Active.eq(true))
        .one(db)
        .await
}

/// The bins of `agg`, by code.
///
/// # Errors
/// Database failure.
pub async fn locations_of(
    db: &impl ConnectionTrait,
    agg: Uuid,
) -> Result<Vec<location::Model>, DbErr> {
    location::Entity::find()
        .filter(location::Column::AggregatorId.eq(agg))
        .order_by_asc(location::Column::Code)
        .all(db)
        .await
}

/// Reservation `id` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn reservation(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> Result<Option<reservation::Model>, DbErr> {
    reservation::Entity::find_by_id(id)
        .filter(reservation::Column::AggregatorId.eq(agg))
        .one(db)
        .await
}

/// Reservation `id` (any tenant).
///
/// # Errors
/// Database failure.
pub async fn reservation_any(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<reservation::Model>, DbErr> {
    reservation::Entity::find_by_id(id).one(db).await
}

/// The reservation `user` made with Idempotency-Key `key`.
///
/// # Errors
/// Database failure.
pub async fn reservation_by_key(
    db: &impl ConnectionTrait,
    user: Uuid,
    key: &str,
) -> Result<Option<reservation::Model>, DbErr> {
    reservation::Entity::find()
        .filter(reservation::Column::CreatedBy.eq(user))
        .filter(reservation::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

/// The newest 200 reservations of `agg` (of status `status` when given).
///
/// # Errors
/// Database failure.
pub async fn reservations_of(
    db: &impl ConnectionTrait,
    agg: Uuid,
    status: Option<&str>,
) -> Result<Vec<reservation::Model>, DbErr> {
    let mut q = reservation::Entity::find().filter(reservation::Column::AggregatorId.eq(agg));
    if let Some(st) = status {
        q = q.filter(reservation::Column::Status.eq(st));
    }
    q.order_by_desc(reservation::Column::CreatedAt)
        .order_by_desc(reservation::Column::Id)
        .limit(200)
        .all(db)
        .await
}

/// Reservations in status `status` whose hold ended before `now`.
///
/// # Errors
/// Database failure.
pub async fn reservations_expired(
    db: &impl ConnectionTrait,
    status: &str,
    now: DateTime<Utc>,
) -> Result<Vec<reservation::Model>, DbErr> {
    reservation::Entity::find()
        .filter(reservation::Column::Status.eq(status))
        .filter(reservation::Column::ExpiresAt.lt(now))
        .all(db)
        .await
}

/// Sets `sets` on reservation `id` of `agg` if it is in status `from`: `true` when it was.
///
/// # Errors
/// Database failure.
pub async fn move_reservation(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
    from: &str,
    sets: Vec<(reservation::Column, SimpleExpr)>,
) -> Result<bool, DbErr> {
    let mut up = reservation::Entity::update_many();
    for (col, value) in sets {
        up = up.col_expr(col, value);
    }
    Ok(up
        .filter(reservation::Column::Id.eq(id))
        .filter(reservation::Column::AggregatorId.eq(agg))
        .filter(reservation::Column::Status.eq(from))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The lines of reservation `id`, by id.
///
/// # Errors
/// Database failure.
pub async fn reservation_lines(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<reservation_line::Model>, DbErr> {
    reservation_lines_where(
        db,
        Condition::all().add(reservation_line::Column::ReservationId.eq(id)),
    )
    .await
}

/// The reservation lines matching `cond`, by id.
///
/// # Errors
/// Database failure.
pub async fn reservation_lines_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<reservation_line::Model>, DbErr> {
    reservation_line::Entity::find()
        .filter(cond)
        .order_by_asc(reservation_line::Column::Id)
        .all(db)
        .await
}

/// Adds `qty` to the returned units of reservation line `id` unless that passes what it
/// took: `true` when it did.
///
/// # Errors
/// Database failure.
pub async fn return_to_line(db: &impl ConnectionTrait, id: Uuid, qty: i64) -> Result<bool, DbErr> {
    Ok(reservation_line::Entity::update_many()
        .col_expr(
            reservation_line::Column::ReturnedQty,
            Expr::col(reservation_line::Column::ReturnedQty).add(qty),
        )
        .filter(reservation_line::Column::Id.eq(id))
        .filter(
            Expr::col(reservation_line::Column::ReturnedQty)
                .add(qty)
                .lte(Expr::col(reservation_line::Column::Qty)),
        )
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The first shipment matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn shipment_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Option<inbound_shipment::Model>, DbErr> {
    inbound_shipment::Entity::find().filter(cond).one(db).await
}

/// Shipment `id`.
///
/// # Errors
/// Database failure.
pub async fn shipment(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<inbound_shipment::Model>, DbErr> {
    inbound_shipment::Entity::find_by_id(id).one(db).await
}

/// The newest 200 shipments matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn shipments_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<inbound_shipment::Model>, DbErr> {
    inbound_shipment::Entity::find()
        .filter(cond)
        .order_by_desc(inbound_shipment::Column::Id)
        .limit(200)
        .all(db)
        .await
}

/// Sets shipment `id` to status `to` at `now` if its status is one of `from` (any when
/// `from` is empty): `true` when it changed.
///
/// # Errors
/// Database failure.
pub async fn move_shipment(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[&str],
    to: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut up = inbound_shipment::Entity::update_many()
        .col_expr(inbound_shipment::Column::Status, Expr::value(to))
        .col_expr(inbound_shipment::Column::UpdatedAt, Expr::value(now))
        .filter(inbound_shipment::Column::Id.eq(id));
    if !from.is_empty() {
        up = up.filter(inbound_shipment::Column::Status.is_in(from.iter().copied()));
    }
    Ok(up.exec(db).await?.rows_affected == 1)
}

/// The lines of shipment `id`.
///
/// # Errors
/// Database failure.
pub async fn inbound_lines(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<inbound_line::Model>, DbErr> {
    inbound_line::Entity::find()
        .filter(inbound_line::Column::ShipmentId.eq(id))
        .order_by_asc(inbound_line::Column::Id)
        .all(db)
        .await
}

/// Line `id` of shipment `shipment`.
///
/// # Errors
/// Database failure.
pub async fn inbound_line(
    db: &impl ConnectionTrait,
    shipment: Uuid,
    id: Uuid,
) -> Result<Option<inbound_line::Model>, DbErr> {
    inbound_line::Entity::find_by_id(id)
        .filter(inbound_line::Column::ShipmentId.eq(shipment))
        .one(db)
        .await
}

/// Adds what a receipt counted to inbound line `id`.
///
/// # Errors
/// Database failure.
pub async fn count_on_line(
    db: &impl ConnectionTrait,
    id: Uuid,
    received: i64,
    damaged: i64,
    refused: i64,
) -> Result<(), DbErr> {
    inbound_line::Entity::update_many()
        .col_expr(
            inbound_line::Column::ReceivedQty,
            Expr::col(inbound_line::Column::ReceivedQty).add(received),
        )
        .col_expr(
            inbound_line::Column::DamagedQty,
            Expr::col(inbound_line::Column::DamagedQty).add(damaged),
        )
        .col_expr(
            inbound_line::Column::RefusedQty,
            Expr::col(inbound_line::Column::RefusedQty).add(refused),
        )
        .filter(inbound_line::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// The receipt of shipment `shipment` made with Idempotency-Key `key`.
///
/// # Errors
/// Database failure.
pub async fn receipt_by_key(
    db: &impl ConnectionTrait,
    shipment: Uuid,
    key: &str,
) -> Result<Option<receipt::Model>, DbErr> {
    receipt::Entity::find()
        .filter(receipt::Column::ShipmentId.eq(shipment))
        .filter(receipt::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

/// Receipt `id` of shipment `shipment`.
///
/// # Errors
/// Database failure.
pub async fn receipt(
    db: &impl ConnectionTrait,
    shipment: Uuid,
    id: Uuid,
) -> Result<Option<receipt::Model>, DbErr> {
    receipt::Entity::find_by_id(id)
        .filter(receipt::Column::ShipmentId.eq(shipment))
        .one(db)
        .await
}

/// The receipts of shipment `shipment`, oldest first.
///
/// # Errors
/// Database failure.
pub async fn receipts_of(
    db: &impl ConnectionTrait,
    shipment: Uuid,
) -> Result<Vec<receipt::Model>, DbErr> {
    receipt::Entity::find()
        .filter(receipt::Column::ShipmentId.eq(shipment))
        .order_by_asc(receipt::Column::CreatedAt)
        .order_by_asc(receipt::Column::Id)
        .all(db)
        .await
}

/// The counted lines of the receipts `ids`, by id.
///
/// # Errors
/// Database failure.
pub async fn receipt_lines_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<receipt_line::Model>, DbErr> {
    receipt_line::Entity::find()
        .filter(receipt_line::Column::ReceiptId.is_in(ids))
        .order_by_asc(receipt_line::Column::Id)
        .all(db)
        .await
}

/// The photos of shipment `shipment`, by id.
///
/// # Errors
/// Database failure.
pub async fn photos_of_shipment(
    db: &impl ConnectionTrait,
    shipment: Uuid,
) -> Result<Vec<receipt_photo::Model>, DbErr> {
    receipt_photo::Entity::find()
        .filter(receipt_photo::Column::ShipmentId.eq(shipment))
        .order_by_asc(receipt_photo::Column::Id)
        .all(db)
        .await
}

/// How many photos receipt `id` has.
///
/// # Errors
/// Database failure.
pub async fn photo_count(db: &impl ConnectionTrait, id: Uuid) -> Result<u64, DbErr> {
    receipt_photo::Entity::find()
        .filter(receipt_photo::Column::ReceiptId.eq(id))
        .count(db)
        .await
}

/// Photo `id`.
///
/// # Errors
/// Database failure.
pub async fn photo(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<receipt_photo::Model>, DbErr> {
    receipt_photo::Entity::find_by_id(id).one(db).await
}

/// The inventory rules matching `cond`, by kind and key.
///
/// # Errors
/// Database failure.
pub async fn rules_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<inventory_rule::Model>, DbErr> {
    inventory_rule::Entity::find()
        .filter(cond)
        .order_by_asc(inventory_rule::Column::Kind)
        .order_by_asc(inventory_rule::Column::Key)
        .all(db)
        .await
}

/// Inserts `row` or replaces the days of the rule with its (aggregator, kind, key).
///
/// # Errors
/// Database failure.
pub async fn upsert_rule(
    db: &impl ConnectionTrait,
    row: inventory_rule::ActiveModel,
) -> Result<(), DbErr> {
    inventory_rule::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                inventory_rule::Column::AggregatorId,
                inventory_rule::Column::Kind,
                inventory_rule::Column::Key,
            ])
            .update_columns([
                inventory_rule::Column::Days,
                inventory_rule::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The audit row of the stock return `id`.
///
/// # Errors
/// Database failure.
pub async fn stock_return_audit(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<audit_event::Model>, DbErr> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("stock_returned"))
        .filter(audit_event::Column::SubjectType.eq("stock_return"))
        .filter(audit_event::Column::SubjectId.eq(id.to_string()))
        .one(db)
        .await
}
