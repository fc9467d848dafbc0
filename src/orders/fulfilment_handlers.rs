//! HTTP handlers of fulfilment: pick list, packing list, pack, carrier label file, tracking
//! numbers (one or a CSV import) and delivery.
use super::{
    dto::OrderView,
    fulfilment::{self, PackingList, PickList},
    labels,
    tracking::{self, TrackingImport},
};
use crate::{
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    http::json::Json,
    state::AppState,
};
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A batch of orders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickBody {
    /// 1 to 200 orders, each open and paid (or cash on delivery).
    pub order_ids: Vec<Uuid>,
}

/// Which parcels to label, for which carrier.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarrierExportBody {
    /// `yamato` (B2 Cloud).
    pub carrier: String,
    /// 1 to 200 packed orders.
    pub order_ids: Vec<Uuid>,
    /// 出荷予定日; today (JST) when absent.
    #[serde(default)]
    pub ship_date: Option<NaiveDate>,
}

/// A parcel's tracking number.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackingBody {
    /// The carrier's slip number (Yamato: 12 digits, hyphens allowed).
    pub tracking_number: String,
}

/// Starts picking a batch of paid orders and returns the pick list by bin and lot.
#[utoipa::path(post, path = "/api/v1/fulfilment/pick-list", tag = "fulfilment",
    request_body = PickBody,
    responses((status = 200, body = PickList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_transition` (unpaid, cancelled or already packed)"),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn pick_list(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<PickBody>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(fulfilment::pick(&app, &actor, &body.0.order_ids).await?))
}

/// The packing list of an order: its parcels (one temperature class each) and their lines.
#[utoipa::path(get, path = "/api/v1/orders/{id}/packing-list", tag = "fulfilment",
    params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = PackingList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn packing_list(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(fulfilment::packing_list(&app, &actor, id.into_inner()).await?))
}

/// Marks a picked order packed.
#[utoipa::path(post, path = "/api/v1/orders/{id}/pack", tag = "fulfilment",
    params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = PackingList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`invalid_transition`")),
    security(("bearer" = []), ("session" = [])))]
pub async fn pack(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(fulfilment::pack(&app, &actor, id.into_inner()).await?))
}

/// The carrier's label-import file (Yamato B2 Cloud CSV in Shift_JIS) for packed orders.
#[utoipa::path(post, path = "/api/v1/fulfilment/carrier-export", tag = "fulfilment",
    request_body = CarrierExportBody,
    responses((status = 200, description = "the label file of every printable parcel; `x-parcel-count` rows written, `x-skipped-count` and `x-skipped-parcels` (`{reference} {field}`, comma-separated) the parcels left out because the carrier cannot print one of their values", content_type = "text/csv"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_transition`, `carrier_not_configured`, `personal_data_purged`"),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn carrier_export(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<CarrierExportBody>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let f = labels::carrier_file(&app, &actor, &b.carrier, &b.order_ids, b.ship_date).await?;
    Ok(HttpResponse::Ok()
        .content_type(f.content_type)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}\"", f.filename),
        ))
        .insert_header(("x-parcel-count", f.parcels.to_string()))
        .insert_header(("x-skipped-count", f.skipped.len().to_string()))
        .insert_header((
            "x-skipped-parcels",
            f.skipped
                .iter()
                .map(|e| format!("{} {}", e.reference, e.field))
                .collect::<Vec<_>>()
                .join(", "),
        ))
        .body(f.bytes))
}

/// Records a parcel's tracking number; the last one ships the order (stock leaves, buyer
/// emailed).
#[utoipa::path(put, path = "/api/v1/orders/{id}/parcels/{seq}/tracking", tag = "fulfilment",
    params(("id" = Uuid, Path, description = "order id"), ("seq" = i32, Path, description = "parcel number")),
    request_body = TrackingBody,
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_transition`"), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn set_tracking(
    app: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Uuid, i32)>,
    body: Json<TrackingBody>,
) -> ApiResult<HttpResponse> {
    let (id, seq) = path.into_inner();
    let d = tracking::set_tracking(&app, &actor, id, seq, &body.0.tracking_number).await?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, None, None)))
}

/// Imports tracking numbers from a CSV (B2 Cloud's issued-labels export: お客様管理番号,
/// 伝票番号; UTF-8 or Shift_JIS). Rows are applied one by one and reported with their line.
#[utoipa::path(post, path = "/api/v1/fulfilment/tracking-import", tag = "fulfilment",
    request_body(content = String, content_type = "text/csv", description = "header with お客様管理番号 (or reference) and 伝票番号 (or tracking_number)"),
    responses((status = 200, body = TrackingImport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn import_tracking(
    app: web::Data<AppState>,
    actor: Actor,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = crate::http::read_body(payload, app.settings.uploads.max_bytes).await?;
    Ok(HttpResponse::Ok().json(tracking::import_tracking(&app, &actor, &body).await?))
}

/// Marks a shipped order delivered (cash on delivery becomes paid).
#[utoipa::path(post, path = "/api/v1/orders/{id}/delivered", tag = "fulfilment",
    params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`invalid_transition`")),
    security(("bearer" = []), ("session" = [])))]
pub async fn delivered(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let d = fulfilment::deliver(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, None, None)))
}

/// Takes back units of a shipped order's lines (restock or dispose, with the loss bearer) and
/// refunds them, tax per rate: through the card provider, or recorded as owed. Send an
/// `Idempotency-Key`: a retry answers with the same return.
#[utoipa::path(post, path = "/api/v1/orders/{id}/returns", tag = "fulfilment",
    params(("id" = Uuid, Path, description = "order id"),
        ("Idempotency-Key" = Option<String>, Header, description = "one per return; a retry changes nothing")),
    request_body = super::returns::ReturnRequest,
    responses((status = 201, body = ReturnView), (status = 200, body = ReturnView, description = "a retry with the same key"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_transition` (not shipped), `return_exceeds_shipped`"),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_return(
    app: web::Data<AppState>,
    actor: Actor,
    req: actix_web::HttpRequest,
    id: web::Path<Uuid>,
    body: Json<super::returns::ReturnRequest>,
) -> ApiResult<HttpResponse> {
    let key = crate::http::idempotency_key(&req)?;
    let (d, summary) =
        super::returns::create(&app, &actor, id.into_inner(), body.0, key.as_deref()).await?;
    let mut resp = if summary.replayed {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    Ok(resp.json(ReturnView {
        r#return: summary,
        order: OrderView::new(d, None, None),
    }))
}

/// A return and the order after it.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ReturnView {
    pub r#return: super::returns::ReturnSummary,
    pub order: OrderView,
}
