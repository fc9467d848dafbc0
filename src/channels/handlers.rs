//! HTTP handlers of `/api/v1/channels` and `/api/v1/listings`.
use super::{dto::*, service};
use crate::{
    error::{ApiResult, ErrorBody},
    http::{actor::Actor, json::Json},
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

async fn view(app: &AppState, c: entity::channel::Model) -> ApiResult<ChannelView> {
    let status = service::status(app, &c).await?;
    Ok(ChannelView::of(c, Some(status)))
}

/// Channel accounts of the caller's aggregator.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, body = ChannelList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_channels(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let mut items = Vec::new();
    for c in service::list(&app, &actor).await? {
        items.push(view(&app, c).await?);
    }
    Ok(HttpResponse::Ok().json(ChannelList { items }))
}

/// Creates a channel account; its credentials are sealed at rest and never returned.
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = ChannelInput,
    responses((status = 201, body = ChannelView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_channel(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<ChannelInput>,
) -> ApiResult<HttpResponse> {
    let c = service::create(&app, &actor, body.0).await?;
    Ok(HttpResponse::Created().json(view(&app, c).await?))
}

/// One channel account with its sync status.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = Uuid, Path, description = "channel id")),
    responses((status = 200, body = ChannelView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_channel(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::get(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view(&app, c).await?))
}

/// Changes a channel account (settings as a JSON merge patch; credentials replaced whole).
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", request_body = ChannelPatch,
    params(("id" = Uuid, Path, description = "channel id")),
    responses((status = 200, body = ChannelView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_channel(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<ChannelPatch>,
) -> ApiResult<HttpResponse> {
    let c = service::update(&app, &actor, id.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(view(&app, c).await?))
}

/// Pauses a channel: nothing is sent until it is resumed (changes are kept).
#[utoipa::path(post, path = "/api/v1/channels/{id}/pause", tag = "channels",
    params(("id" = Uuid, Path, description = "channel id")),
    responses((status = 200, body = ChannelView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn pause_channel(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::set_paused(&app, &actor, id.into_inner(), true).await?;
    Ok(HttpResponse::Ok().json(view(&app, c).await?))
}

/// Resumes a paused channel.
#[utoipa::path(post, path = "/api/v1/channels/{id}/resume", tag = "channels",
    params(("id" = Uuid, Path, description = "channel id")),
    responses((status = 200, body = ChannelView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn resume_channel(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::set_paused(&app, &actor, id.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(view(&app, c).await?))
}

/// Starts a full resync (every listing's quantity written again); progress in `sync.resync`.
#[utoipa::path(post, path = "/api/v1/channels/{id}/resync", tag = "channels",
    params(("id" = Uuid, Path, description = "channel id")),
    responses((status = 202, body = ChannelView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn resync_channel(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let c = service::resync(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(view(&app, c).await?))
}

/// Listings: staff name a channel (and optionally a state); producers see on which channels
/// their own products are.
#[utoipa::path(get, path = "/api/v1/listings", tag = "channels", params(ListingQuery),
    responses((status = 200, body = ListingList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_listings(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<ListingQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let rows = service::listings(&app, &actor, q.channel_id, q.state.as_deref()).await?;
    Ok(HttpResponse::Ok().json(ListingList {
        items: rows
            .into_iter()
            .map(|(l, c, s)| ListingView::of(l, c, s))
            .collect(),
    }))
}

/// Sets a listing's own stock buffer (`null`: the channel's).
#[utoipa::path(put, path = "/api/v1/channels/{id}/listings/{sku_id}/buffer", tag = "channels",
    request_body = BufferInput,
    params(("id" = Uuid, Path, description = "channel id"), ("sku_id" = Uuid, Path, description = "SKU id")),
    responses((status = 200, body = ListingView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn set_buffer(
    app: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<BufferInput>,
) -> ApiResult<HttpResponse> {
    let (id, sku) = path.into_inner();
    let l = service::set_buffer(&app, &actor, id, sku, body.0.buffer).await?;
    Ok(HttpResponse::Ok().json(ListingView::of(l, String::new(), String::new())))
}

/// Writes a listing again after the channel refused it.
#[utoipa::path(post, path = "/api/v1/channels/{id}/listings/{sku_id}/replay", tag = "channels",
    params(("id" = Uuid, Path, description = "channel id"), ("sku_id" = Uuid, Path, description = "SKU id")),
    responses((status = 200, body = ListingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn replay_listing(
    app: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, sku) = path.into_inner();
    let l = service::replay_listing(&app, &actor, id, sku).await?;
    Ok(HttpResponse::Ok().json(ListingView::of(l, String::new(), String::new())))
}

/// The orders of a channel account (newest 200): what each became here, what the channel
/// last said, what is still to be told to it, and the channel's words for a refusal.
#[utoipa::path(get, path = "/api/v1/channels/{id}/orders", tag = "channels",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ChannelOrderList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn channel_orders(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let items = service::channel_orders(&app, &actor, id.into_inner())
        .await?
        .into_iter()
        .map(ChannelOrderView::from)
        .collect();
    Ok(HttpResponse::Ok().json(ChannelOrderList { items }))
}

/// Shopify's order webhooks (`orders/create`, `orders/updated`, `orders/cancelled`) for a
/// channel account. `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body with
/// the account's webhook secret; a delivery id (`X-Shopify-Webhook-Id`) seen before changes
/// nothing. Answered at once: the order is read from the Admin API by the channel's sync.
#[utoipa::path(post, path = "/api/v1/channels/{id}/webhooks/shopify", tag = "channels",
    params(("id" = Uuid, Path),
        ("X-Shopify-Hmac-Sha256" = String, Header, description = "base64 HMAC-SHA256 of the raw body"),
        ("X-Shopify-Topic" = String, Header), ("X-Shopify-Webhook-Id" = String, Header)),
    request_body(content = String, content_type = "application/json", description = "Shopify's order payload"),
    responses((status = 200, body = WebhookAck), (status = 400, body = ErrorBody, description = "`invalid_signature`, `missing_webhook_id`, `malformed_event`"),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn shopify_webhook(
    app: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = crate::http::read_body(payload, 1024 * 1024).await?;
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
    let ack = service::shopify_webhook(
        &app,
        id.into_inner(),
        service::WebhookHeaders {
            hmac: header("x-shopify-hmac-sha256"),
            topic: header("x-shopify-topic"),
            webhook_id: header("x-shopify-webhook-id"),
        },
        &body,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ack))
}
