//! HTTP handlers for locations, inbound shipments, receiving, stock and reservations.
use super::{dto::*, reservations, shipments, stock};
use crate::{
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    http::{idempotency_key, json::Json},
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

/// Warehouse locations.
#[utoipa::path(get, path = "/api/v1/locations", tag = "inventory",
    responses((status = 200, body = LocationList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_locations(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = shipments::locations(&app, &actor).await?;
    Ok(HttpResponse::Ok().json(LocationList {
        items: items.into_iter().map(LocationView::from).collect(),
    }))
}

/// Adds a location (bin) with its temperature zone.
#[utoipa::path(post, path = "/api/v1/locations", tag = "inventory",
    request_body = LocationRequest,
    responses((status = 201, body = LocationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_location(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<LocationRequest>,
) -> ApiResult<HttpResponse> {
    let l = shipments::create_location(&app, &actor, &body.0.code, &body.0.zone).await?;
    Ok(HttpResponse::Created().json(LocationView::from(l)))
}

/// Inbound shipments in scope.
#[utoipa::path(get, path = "/api/v1/inbound-shipments", tag = "inventory",
    params(ShipmentQuery),
    responses((status = 200, body = ShipmentList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_shipments(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<ShipmentQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let items = shipments::list(&app, &actor, q.status, q.producer_id).await?;
    Ok(HttpResponse::Ok().json(ShipmentList {
        items: items
            .into_iter()
            .map(|s| ShipmentSummary {
                id: s.id,
                producer_id: s.producer_id,
                status: s.status,
                temperature_class: s.temperature_class,
                expected_arrival: s.expected_arrival,
            })
            .collect(),
    }))
}

/// Declares an inbound shipment (ASN), as a draft.
#[utoipa::path(post, path = "/api/v1/inbound-shipments", tag = "inventory",
    request_body = ShipmentRequest,
    responses((status = 201, body = ShipmentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_shipment(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<ShipmentRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let d = shipments::create(
        &app,
        &actor,
        shipments::ShipmentInput {
            producer_id: b.producer_id,
            temperature_class: b.temperature_class,
            transport: b.transport,
            ship_date: b.ship_date,
            expected_arrival: b.expected_arrival,
            boxes: b.boxes,
            notes: b.notes,
            lines: b
                .lines
                .into_iter()
                .map(|l| shipments::LineInput {
                    sku_id: l.sku_id,
                    qty: l.qty,
                    lot_code: l.lot_code,
                    best_before: l.best_before,
                    production_date: l.production_date,
                })
                .collect(),
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(ShipmentView::from(d)))
}

/// One shipment with its lines and discrepancies.
#[utoipa::path(get, path = "/api/v1/inbound-shipments/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "shipment id")),
    responses((status = 200, body = ShipmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_shipment(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let d = shipments::get(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ShipmentView::from(d)))
}

/// Marks a draft shipment as shipped.
#[utoipa::path(post, path = "/api/v1/inbound-shipments/{id}/ship", tag = "inventory",
    params(("id" = Uuid, Path, description = "shipment id")),
    responses((status = 200, body = ShipmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn ship_shipment(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let d =
        shipments::transition(&app, &actor, id.into_inner(), shipments::status::SHIPPED).await?;
    Ok(HttpResponse::Ok().json(ShipmentView::from(d)))
}

/// Cancels a shipment before anything was received.
#[utoipa::path(post, path = "/api/v1/inbound-shipments/{id}/cancel", tag = "inventory",
    params(("id" = Uuid, Path, description = "shipment id")),
    responses((status = 200, body = ShipmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn cancel_shipment(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let d =
        shipments::transition(&app, &actor, id.into_inner(), shipments::status::CANCELLED).await?;
    Ok(HttpResponse::Ok().json(ShipmentView::from(d)))
}

/// Closes a received or partially received shipment (operators): what never arrived stays as
/// the final discrepancy and nothing more can be received.
#[utoipa::path(post, path = "/api/v1/inbound-shipments/{id}/close", tag = "inventory",
    params(("id" = Uuid, Path, description = "shipment id")),
    responses((status = 200, body = ShipmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn close_shipment(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let d = shipments::transition(&app, &actor, id.into_inner(), shipments::status::CLOSED).await?;
    Ok(HttpResponse::Ok().json(ShipmentView::from(d)))
}

/// Records a receiving event (operators; `Idempotency-Key` required: a retry changes nothing).
#[utoipa::path(post, path = "/api/v1/inbound-shipments/{id}/receipts", tag = "inventory",
    params(("id" = Uuid, Path, description = "shipment id"), ("Idempotency-Key" = String, Header, description = "unique per event")),
    request_body = ReceiptRequest,
    responses((status = 201, body = ShipmentView), (status = 200, body = ShipmentView, description = "a retried event: nothing changed"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn receive_shipment(
    app: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ReceiptRequest>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?.unwrap_or_default();
    let b = body.0;
    let lines = b
        .lines
        .into_iter()
        .map(|l| super::receiving::ReceiptLineInput {
            line_id: l.line_id,
            received: l.received,
            damaged: l.damaged,
            refused: l.refused,
            location_id: l.location_id,
            damage_bearer: l.damage_bearer,
        })
        .collect();
    let (d, replayed) =
        super::receiving::receive(&app, &actor, id.into_inner(), &key, &b.notes, lines).await?;
    let mut resp = if replayed {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    Ok(resp.json(ShipmentView::from(d)))
}

/// Lots with on hand, reserved, available and days to their date.
#[utoipa::path(get, path = "/api/v1/stock", tag = "inventory",
    params(StockQuery),
    responses((status = 200, body = LotList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_stock(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<StockQuery>,
) -> ApiResult<HttpResponse> {
    let items = stock::lots(&app, &actor, q.into_inner().into()).await?;
    let min_days = super::rules::MinDays::load(&app, &app.db, &items).await?;
    Ok(HttpResponse::Ok().json(LotList {
        items: items
            .into_iter()
            .map(|l| {
                let flag =
                    super::alerts::flag(l.best_before, min_days.for_lot(&l)).map(str::to_string);
                LotView {
                    flag,
                    ..LotView::from(l)
                }
            })
            .collect(),
    }))
}

/// The ledger of a lot or a SKU.
#[utoipa::path(get, path = "/api/v1/stock/movements", tag = "inventory",
    params(MovementQuery),
    responses((status = 200, body = MovementList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_movements(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<MovementQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let items = stock::movements(&app, &actor, q.lot_id, q.sku_id, q.producer_id).await?;
    Ok(HttpResponse::Ok().json(MovementList {
        items: items.into_iter().map(MovementView::from).collect(),
    }))
}

fn view(h: reservations::Held) -> ReservationView {
    let r = h.reservation;
    ReservationView {
        id: r.id,
        status: r.status,
        expires_at: r.expires_at,
        destination_prefecture: r.destination_prefecture,
        reference: r.reference,
        allocations: h.lines.into_iter().map(AllocationView::from).collect(),
        created_at: r.created_at,
    }
}

/// Holds stock (first-expiry-first-out); all lines or nothing.
#[utoipa::path(post, path = "/api/v1/stock/reservations", tag = "inventory",
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = ReserveRequestBody,
    responses((status = 201, body = ReservationView), (status = 200, body = ReservationView, description = "retry with the same key"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`out_of_stock` (details: sku_id, requested, available) or `idempotency_in_progress`"),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_reservation(
    app: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    body: Json<ReserveRequestBody>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let b = body.0;
    let held = reservations::reserve(
        &app,
        &actor,
        reservations::ReserveRequest {
            lines: b
                .lines
                .into_iter()
                .map(|l| reservations::ReserveLine {
                    sku_id: l.sku_id,
                    qty: l.qty,
                })
                .collect(),
            destination_prefecture: b.destination_prefecture,
            reference: b.reference,
            expires_in_minutes: b.expires_in_minutes,
        },
        key,
    )
    .await?;
    let mut resp = if held.replayed {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    Ok(resp.json(view(held)))
}

/// One reservation.
#[utoipa::path(get, path = "/api/v1/stock/reservations/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "reservation id")),
    responses((status = 200, body = ReservationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_reservation(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(view(
        reservations::get(&app, &actor, id.into_inner()).await?,
    )))
}

/// Releases a held reservation (units become available again).
#[utoipa::path(post, path = "/api/v1/stock/reservations/{id}/release", tag = "inventory",
    params(("id" = Uuid, Path, description = "reservation id")),
    responses((status = 200, body = ReservationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn release_reservation(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    reservations::release(&app, &actor, id).await?;
    Ok(HttpResponse::Ok().json(view(reservations::get(&app, &actor, id).await?)))
}

/// Consumes (ships) a held reservation: on hand goes down.
#[utoipa::path(post, path = "/api/v1/stock/reservations/{id}/consume", tag = "inventory",
    params(("id" = Uuid, Path, description = "reservation id")),
    responses((status = 200, body = ReservationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn consume_reservation(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    reservations::consume(&app, &actor, id).await?;
    Ok(HttpResponse::Ok().json(view(reservations::get(&app, &actor, id).await?)))
}

/// Adjusts a lot (count corrections, damage, loss, disposal, return to producer), with a reason
/// and a loss bearer; audit-logged.
#[utoipa::path(post, path = "/api/v1/stock/adjustments", tag = "inventory",
    request_body = AdjustmentRequest,
    responses((status = 201, body = MovementView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`insufficient_stock`"), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_adjustment(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<AdjustmentRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let m = super::adjustments::adjust(
        &app,
        &actor,
        super::adjustments::AdjustmentInput {
            lot_id: b.lot_id,
            kind: b.kind,
            qty_delta: b.qty_delta,
            reason: b.reason,
            loss_bearer: b.loss_bearer,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(MovementView::from(m)))
}

/// Recall trace: every reservation that took units from a lot (or a producer's lots dated in a
/// range).
#[utoipa::path(get, path = "/api/v1/stock/recall", tag = "inventory",
    params(RecallQuery),
    responses((status = 200, body = RecallList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn recall(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<RecallQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let rows =
        super::adjustments::recall(&app, &actor, q.lot_id, q.producer_id, q.from, q.to).await?;
    Ok(HttpResponse::Ok().json(RecallList {
        items: rows
            .into_iter()
            .map(|r| RecallRow {
                reservation_id: r.reservation.id,
                reservation_status: r.reservation.status,
                reference: r.reservation.reference,
                lot_id: r.lot_id,
                qty: r.qty,
                created_at: r.reservation.created_at,
            })
            .collect(),
    }))
}

/// Export options of the stock view.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StockExportQuery {
    pub sku_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub island_code: Option<String>,
    pub temperature_class: Option<String>,
    pub expiring_within_days: Option<i64>,
    /// utf-8-bom (default) or shift_jis.
    pub encoding: Option<String>,
}

/// The stock view as CSV (one row per lot), for Excel.
#[utoipa::path(get, path = "/api/v1/stock/export", tag = "inventory",
    params(StockExportQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn export_stock(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<StockExportQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let enc = export_encoding(q.encoding.as_deref())?;
    let bytes = stock::export(
        &app,
        &actor,
        stock::LotFilter {
            sku_id: q.sku_id,
            producer_id: q.producer_id,
            island_code: q.island_code,
            temperature_class: q.temperature_class,
            expiring_within_days: q.expiring_within_days,
        },
        enc,
    )
    .await?;
    Ok(csv_response(bytes, enc, "stock.csv"))
}

fn export_encoding(s: Option<&str>) -> ApiResult<crate::core::csv::CsvEncoding> {
    crate::core::csv::CsvEncoding::parse(s)
}

fn csv_response(
    bytes: Vec<u8>,
    enc: crate::core::csv::CsvEncoding,
    filename: &str,
) -> HttpResponse {
    let charset = if enc == crate::core::csv::CsvEncoding::ShiftJis {
        "Shift_JIS"
    } else {
        "utf-8"
    };
    HttpResponse::Ok()
        .content_type(format!("text/csv; charset={charset}"))
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(bytes)
}

/// The tenant's inventory rules: shelf-life minimum per category and transit days per
/// destination prefecture, overriding the `[inventory]` defaults.
#[utoipa::path(get, path = "/api/v1/inventory-rules", tag = "inventory",
    responses((status = 200, body = InventoryRuleList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_rules(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = super::rules::list(&app, &actor).await?;
    Ok(HttpResponse::Ok().json(InventoryRuleList {
        items: items.into_iter().map(InventoryRuleView::from).collect(),
    }))
}

/// Sets one inventory rule (insert or replace); later reservations use it.
#[utoipa::path(put, path = "/api/v1/inventory-rules", tag = "inventory",
    request_body = InventoryRuleRequest,
    responses((status = 200, body = InventoryRuleView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn set_rule(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<InventoryRuleRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let m = super::rules::set(&app, &actor, &b.kind, &b.key, b.days).await?;
    Ok(HttpResponse::Ok().json(InventoryRuleView::from(m)))
}

/// Export options of the movement history.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MovementExportQuery {
    pub lot_id: Option<Uuid>,
    pub sku_id: Option<Uuid>,
    /// One producer's lots (producers: their own id, or nothing).
    pub producer_id: Option<Uuid>,
    /// utf-8-bom (default) or shift_jis.
    pub encoding: Option<String>,
}

/// The movement history of a lot or SKU as CSV, for Excel.
#[utoipa::path(get, path = "/api/v1/stock/movements/export", tag = "inventory",
    params(MovementExportQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn export_movements(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<MovementExportQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let enc = export_encoding(q.encoding.as_deref())?;
    let bytes =
        stock::export_movements(&app, &actor, q.lot_id, q.sku_id, q.producer_id, enc).await?;
    Ok(csv_response(bytes, enc, "movements.csv"))
}

/// Units of a shipped reservation coming back: `restock` puts them back into their lot,
/// `dispose` puts them back and disposes of them at `loss_bearer`'s charge (the producer is
/// emailed when it is them). A line never takes back more than it shipped.
#[utoipa::path(post, path = "/api/v1/stock/reservations/{id}/returns", tag = "inventory",
    params(("id" = Uuid, Path, description = "reservation id"),
        ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = ReturnRequest,
    responses((status = 201, body = ReturnView), (status = 200, body = ReturnView, description = "retry with the same key"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`reservation_not_consumed` or `return_exceeds_shipped`"),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_return(
    app: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ReturnRequest>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let id = id.into_inner();
    let b = body.0;
    let lines = b
        .lines
        .into_iter()
        .map(|l| super::returns::ReturnLine {
            lot_id: l.lot_id,
            qty: l.qty,
            disposition: l.disposition,
            loss_bearer: l.loss_bearer,
        })
        .collect();
    let r =
        super::returns::return_units(&app, &actor, id, &b.reason, lines, key.as_deref()).await?;
    let mut resp = if r.replayed {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    Ok(resp.json(ReturnView {
        return_id: r.return_id,
        reservation_id: id,
        movements: r.movements.into_iter().map(MovementView::from).collect(),
    }))
}

/// Adds a photo to a receiving event: `multipart/form-data` with the image in the field `file`
/// (JPEG, PNG or WebP, decided by its content); metadata is stripped, large images resized.
#[utoipa::path(post, path = "/api/v1/inbound-shipments/{id}/receipts/{receipt_id}/photos", tag = "inventory",
    params(("id" = Uuid, Path, description = "shipment id"), ("receipt_id" = Uuid, Path, description = "receiving event id")),
    request_body(content = String, content_type = "multipart/form-data", description = "field `file`: the image"),
    responses((status = 201, body = ReceiptPhotoView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`too_many_images`"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`file`: not an accepted image, too many pixels, damaged")),
    security(("bearer" = []), ("session" = [])))]
pub async fn upload_receipt_photo(
    app: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (shipment, receipt) = path.into_inner();
    let bytes =
        crate::http::multipart::read_file_field(&req, payload, app.settings.uploads.max_bytes)
            .await?;
    let p = super::receipt_photos::upload(&app, &actor, shipment, receipt, bytes).await?;
    Ok(HttpResponse::Created().json(ReceiptPhotoView::from(p)))
}

/// A receiving photo (staff of the aggregator and the shipment's producer).
#[utoipa::path(get, path = "/api/v1/receipt-photos/{id}", tag = "inventory",
    params(("id" = Uuid, Path, description = "photo id")),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_receipt_photo(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (bytes, content_type) = super::receipt_photos::fetch(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("cache-control", "private, max-age=300"))
        .body(bytes))
}

/// The tenant's reservations (holds and orders' reservations), newest first, at most 200.
#[utoipa::path(get, path = "/api/v1/stock/reservations", tag = "inventory",
    params(ReservationQuery),
    responses((status = 200, body = ReservationList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_reservations(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<ReservationQuery>,
) -> ApiResult<HttpResponse> {
    let items = reservations::list(&app, &actor, q.status.as_deref()).await?;
    Ok(HttpResponse::Ok().json(ReservationList {
        items: items.into_iter().map(view).collect(),
    }))
}

/// Stock per SKU (totals of its lots with stock), with the same filters as the lot list:
/// producers see their own SKUs, staff the whole warehouse.
#[utoipa::path(get, path = "/api/v1/stock/skus", tag = "inventory",
    params(StockQuery),
    responses((status = 200, body = SkuStockList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_sku_stock(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<StockQuery>,
) -> ApiResult<HttpResponse> {
    let rows = stock::sku_summary(&app, &actor, q.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(SkuStockList {
        items: rows
            .into_iter()
            .map(|(t, s, title, sellable)| SkuStockView {
                sku_id: t.sku_id,
                code: s.code,
                title,
                lots: t.lots,
                on_hand: t.on_hand,
                reserved: t.reserved,
                available: t.on_hand - t.reserved,
                sellable,
                next_date: t.next_date,
                low_stock_threshold: s.low_stock_threshold,
            })
            .collect(),
    }))
}
