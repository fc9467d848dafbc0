//! Request and response types of the inventory API.
use super::shipments::ShipmentDetail;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{inbound_line, location, reservation_line, stock_lot, stock_movement};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A location.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocationView {
    pub id: Uuid,
    pub code: String,
    /// ambient, chilled or frozen
    pub zone: String,
    pub active: bool,
}

impl From<location::Model> for LocationView {
    fn from(l: location::Model) -> Self {
        Self {
            id: l.id,
            code: l.code,
            zone: l.zone,
            active: l.active,
        }
    }
}

/// Locations.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocationList {
    pub items: Vec<LocationView>,
}

/// A new location.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationRequest {
    #[schema(example = "C-01")]
    pub code: String,
    pub zone: String,
}

/// A declared shipment line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentLineRequest {
    pub sku_id: Uuid,
    pub qty: i64,
    pub lot_code: String,
    pub best_before: Option<NaiveDate>,
    /// Instead of best_before: derived with the product's shelf life.
    pub production_date: Option<NaiveDate>,
}

/// A shipment notice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentRequest {
    /// Staff only.
    pub producer_id: Option<Uuid>,
    /// ambient, chilled or frozen (one per shipment).
    pub temperature_class: String,
    /// ferry, air, truck or post.
    pub transport: String,
    pub ship_date: Option<NaiveDate>,
    pub expected_arrival: Option<NaiveDate>,
    #[serde(default)]
    pub boxes: i32,
    #[serde(default)]
    pub notes: String,
    pub lines: Vec<ShipmentLineRequest>,
}

/// A shipment line with what arrived and the discrepancy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentLineView {
    pub id: Uuid,
    pub sku_id: Uuid,
    pub declared_qty: i64,
    pub lot_code: String,
    pub best_before: NaiveDate,
    pub received_qty: i64,
    pub damaged_qty: i64,
    pub refused_qty: i64,
    /// declared − (received + damaged + refused); negative when more arrived than declared.
    pub missing_qty: i64,
}

impl From<inbound_line::Model> for ShipmentLineView {
    fn from(l: inbound_line::Model) -> Self {
        Self {
            missing_qty: l.declared_qty - l.received_qty - l.damaged_qty - l.refused_qty,
            id: l.id,
            sku_id: l.sku_id,
            declared_qty: l.declared_qty,
            lot_code: l.lot_code,
            best_before: l.best_before,
            received_qty: l.received_qty,
            damaged_qty: l.damaged_qty,
            refused_qty: l.refused_qty,
        }
    }
}

/// A shipment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentView {
    pub id: Uuid,
    pub producer_id: Uuid,
    /// draft, shipped, partially_received, received, closed, cancelled
    pub status: String,
    pub temperature_class: String,
    pub transport: String,
    pub ship_date: Option<NaiveDate>,
    pub expected_arrival: Option<NaiveDate>,
    pub boxes: i32,
    pub notes: String,
    pub lines: Vec<ShipmentLineView>,
    /// Receiving events, oldest first.
    pub receipts: Vec<ReceiptView>,
    pub created_at: DateTime<Utc>,
}

/// One receiving event of a shipment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptView {
    pub id: Uuid,
    pub notes: String,
    pub received_at: DateTime<Utc>,
    /// What this event counted per shipment line.
    pub lines: Vec<ReceiptCountView>,
    /// Photo ids; the image is at `/api/v1/receipt-photos/{id}`.
    pub photos: Vec<Uuid>,
}

/// What one receiving event counted for one shipment line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptCountView {
    pub line_id: Uuid,
    pub received: i64,
    pub damaged: i64,
    pub refused: i64,
    pub location_id: Option<Uuid>,
    pub lot_id: Option<Uuid>,
    pub damage_bearer: Option<String>,
}

/// A stored receiving photo.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptPhotoView {
    pub id: Uuid,
    pub receipt_id: Uuid,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub url: String,
}

impl From<entity::receipt_photo::Model> for ReceiptPhotoView {
    fn from(p: entity::receipt_photo::Model) -> Self {
        Self {
            id: p.id,
            receipt_id: p.receipt_id,
            content_type: p.content_type,
            width: p.width,
            height: p.height,
            bytes: p.bytes,
            url: format!("/api/v1/receipt-photos/{}", p.id),
        }
    }
}

impl From<ShipmentDetail> for ShipmentView {
    fn from(d: ShipmentDetail) -> Self {
        let s = d.shipment;
        Self {
            id: s.id,
            producer_id: s.producer_id,
            status: s.status,
            temperature_class: s.temperature_class,
            transport: s.transport,
            ship_date: s.ship_date,
            expected_arrival: s.expected_arrival,
            boxes: s.boxes,
            notes: s.notes,
            lines: d.lines.into_iter().map(ShipmentLineView::from).collect(),
            receipts: d
                .receipts
                .into_iter()
                .map(|r| ReceiptView {
                    id: r.receipt.id,
                    notes: r.receipt.notes,
                    received_at: r.receipt.created_at,
                    lines: r
                        .lines
                        .into_iter()
                        .map(|l| ReceiptCountView {
                            line_id: l.line_id,
                            received: l.received,
                            damaged: l.damaged,
                            refused: l.refused,
                            location_id: l.location_id,
                            lot_id: l.lot_id,
                            damage_bearer: l.damage_bearer,
                        })
                        .collect(),
                    photos: r.photos.into_iter().map(|p| p.id).collect(),
                })
                .collect(),
            created_at: s.created_at,
        }
    }
}

/// Shipments (without lines).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentList {
    pub items: Vec<ShipmentSummary>,
}

/// A shipment in lists.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentSummary {
    pub id: Uuid,
    pub producer_id: Uuid,
    pub status: String,
    pub temperature_class: String,
    pub expected_arrival: Option<NaiveDate>,
}

/// Filter of the shipment list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShipmentQuery {
    pub status: Option<String>,
    /// One producer's shipments (producers: their own id, or nothing).
    pub producer_id: Option<Uuid>,
}

/// One line of a receiving event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineRequest {
    pub line_id: Uuid,
    #[serde(default)]
    pub received: i64,
    #[serde(default)]
    pub damaged: i64,
    /// e.g. too little shelf life left.
    #[serde(default)]
    pub refused: i64,
    /// Required when `received` > 0; its zone must match the shipment's temperature class.
    pub location_id: Option<Uuid>,
    /// Who bears the damaged units: producer, aggregator or carrier (required when `damaged` > 0).
    pub damage_bearer: Option<String>,
}

/// A receiving event (send an `Idempotency-Key` header).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    #[serde(default)]
    pub notes: String,
    pub lines: Vec<ReceiptLineRequest>,
}

/// A lot with its balance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LotView {
    pub id: Uuid,
    pub producer_id: Uuid,
    pub sku_id: Uuid,
    pub lot_code: String,
    pub best_before: NaiveDate,
    pub days_to_date: i64,
    pub location_id: Option<Uuid>,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    /// clearance (close to its date: not offered for sale), disposal (past its date), or null.
    pub flag: Option<String>,
}

impl From<stock_lot::Model> for LotView {
    fn from(l: stock_lot::Model) -> Self {
        Self {
            days_to_date: (l.best_before - crate::core::today_jst()).num_days(),
            available: l.on_hand - l.reserved,
            id: l.id,
            producer_id: l.producer_id,
            sku_id: l.sku_id,
            lot_code: l.lot_code,
            best_before: l.best_before,
            location_id: l.location_id,
            on_hand: l.on_hand,
            reserved: l.reserved,
            flag: None,
        }
    }
}

/// Lots.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LotList {
    pub items: Vec<LotView>,
}

/// Filters of the stock list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StockQuery {
    pub sku_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    /// The producer's island (see `GET /api/v1/islands`).
    pub island_code: Option<String>,
    /// ambient, chilled or frozen (the product's class).
    pub temperature_class: Option<String>,
    pub expiring_within_days: Option<i64>,
}

impl From<StockQuery> for super::stock::LotFilter {
    fn from(q: StockQuery) -> Self {
        Self {
            sku_id: q.sku_id,
            producer_id: q.producer_id,
            island_code: q.island_code,
            temperature_class: q.temperature_class,
            expiring_within_days: q.expiring_within_days,
        }
    }
}

/// A ledger entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MovementView {
    pub id: Uuid,
    pub lot_id: Uuid,
    pub sku_id: Uuid,
    /// receipt, reservation, release, shipment, return_to_stock, adjustment, damage, disposal, return_to_producer
    pub kind: String,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub cause_type: String,
    pub cause_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub loss_bearer: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl From<stock_movement::Model> for MovementView {
    fn from(m: stock_movement::Model) -> Self {
        Self {
            id: m.id,
            lot_id: m.lot_id,
            sku_id: m.sku_id,
            kind: m.kind,
            on_hand_delta: m.on_hand_delta,
            reserved_delta: m.reserved_delta,
            cause_type: m.cause_type,
            cause_id: m.cause_id,
            actor_user_id: m.actor_user_id,
            loss_bearer: m.loss_bearer,
            reason: m.reason,
            created_at: m.created_at,
        }
    }
}

/// Movements.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MovementList {
    pub items: Vec<MovementView>,
}

/// Filters of the movement list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MovementQuery {
    pub lot_id: Option<Uuid>,
    pub sku_id: Option<Uuid>,
    /// One producer's lots (producers: their own id, or nothing).
    pub producer_id: Option<Uuid>,
}

/// One line to hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveLineRequest {
    pub sku_id: Uuid,
    pub qty: i64,
}

/// A hold (send an `Idempotency-Key` header to make retries safe).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequestBody {
    pub lines: Vec<ReserveLineRequest>,
    /// Delivery prefecture (JIS X 0401): adds its transit days to the shelf-life minimum.
    pub destination_prefecture: Option<String>,
    #[serde(default)]
    pub reference: String,
    pub expires_in_minutes: Option<i64>,
}

/// Units of one lot held.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AllocationView {
    pub sku_id: Uuid,
    pub lot_id: Uuid,
    pub qty: i64,
    /// Units that came back after shipment.
    pub returned_qty: i64,
}

impl From<reservation_line::Model> for AllocationView {
    fn from(l: reservation_line::Model) -> Self {
        Self {
            sku_id: l.sku_id,
            lot_id: l.lot_id,
            qty: l.qty,
            returned_qty: l.returned_qty,
        }
    }
}

/// A reservation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReservationView {
    pub id: Uuid,
    /// held, released, consumed, expired
    pub status: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub destination_prefecture: Option<String>,
    pub reference: String,
    pub allocations: Vec<AllocationView>,
    pub created_at: DateTime<Utc>,
}

/// Reservations, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReservationList {
    pub items: Vec<ReservationView>,
}

/// Filter of the reservation list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReservationQuery {
    /// held, released, consumed or expired.
    pub status: Option<String>,
}

/// A stock adjustment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    pub lot_id: Uuid,
    /// adjustment (count correction, ±), damage, loss, disposal, return_to_producer (negative).
    pub kind: String,
    pub qty_delta: i64,
    pub reason: String,
    /// producer, aggregator or carrier; required for damage, loss and disposal.
    pub loss_bearer: Option<String>,
}

/// Recall trace filters: a lot, or a producer with a date range.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecallQuery {
    pub lot_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// One reservation that took units from a traced lot.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecallRow {
    pub reservation_id: Uuid,
    pub reservation_status: String,
    pub reference: String,
    pub lot_id: Uuid,
    pub qty: i64,
    pub created_at: DateTime<Utc>,
}

/// The recall trace.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecallList {
    pub items: Vec<RecallRow>,
}

/// A per-aggregator inventory rule overriding an `[inventory]` default.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InventoryRuleView {
    /// `min_days_category` (key = category code) or `transit_days_prefecture` (key = JIS X
    /// 0401 prefecture code).
    pub kind: String,
    pub key: String,
    pub days: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::inventory_rule::Model> for InventoryRuleView {
    fn from(m: entity::inventory_rule::Model) -> Self {
        Self {
            kind: m.kind,
            key: m.key,
            days: m.days,
            updated_at: m.updated_at,
        }
    }
}

/// The tenant's inventory rules.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InventoryRuleList {
    pub items: Vec<InventoryRuleView>,
}

/// Sets (inserts or replaces) one inventory rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryRuleRequest {
    pub kind: String,
    pub key: String,
    /// 0 to 3650.
    pub days: i32,
}

/// One returned line of a shipped reservation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineRequest {
    pub lot_id: Uuid,
    pub qty: i64,
    /// `restock` (back into the lot) or `dispose` (back, then disposed at `loss_bearer`'s charge).
    pub disposition: String,
    /// producer, aggregator or carrier; required to dispose.
    pub loss_bearer: Option<String>,
}

/// Units of a shipped reservation coming back.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = StockReturnRequest)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    pub reason: String,
    pub lines: Vec<ReturnLineRequest>,
}

/// The ledger entries a return wrote.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = StockReturnView)]
pub struct ReturnView {
    pub return_id: Uuid,
    pub reservation_id: Uuid,
    pub movements: Vec<MovementView>,
}

/// Stock of one SKU: totals of its lots with stock.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SkuStockView {
    pub sku_id: Uuid,
    pub code: String,
    pub title: String,
    /// Lots with stock.
    pub lots: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    /// Available units in lots that still have their category's minimum days left: what can
    /// be reserved for sale (lots inside the window wait for clearance or disposal).
    pub sellable: i64,
    /// The nearest best-before / use-by date among those lots.
    pub next_date: Option<NaiveDate>,
    /// 0 when no low-stock alert is set.
    pub low_stock_threshold: i32,
}

/// Stock per SKU.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SkuStockList {
    pub items: Vec<SkuStockView>,
}
