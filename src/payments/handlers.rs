//! HTTP handlers of payments: the provider's webhook (raw body, signature header) and the
//! bank-statement import.
use super::{
    dto::{BankImport, WebhookResult},
    service,
};
use crate::{
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, web};

/// The payment provider's webhook. The `Stripe-Signature` header (`t=…,v1=…`, HMAC-SHA256 of
/// `"{t}.{raw body}"` with the webhook secret) is checked on the raw body; events older or newer
/// than the tolerance window are refused; an event id seen before changes nothing.
#[utoipa::path(post, path = "/api/v1/payments/webhook", tag = "payments",
    params(("Stripe-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256>")),
    request_body(content = String, content_type = "application/json", description = "the provider's event"),
    responses((status = 200, body = WebhookResult), (status = 400, body = ErrorBody, description = "`invalid_signature`, `stale_signature`, `malformed_event`"),
        (status = 413, body = ErrorBody)))]
pub async fn webhook(
    app: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = crate::http::read_body(payload, 256 * 1024).await?;
    let sig = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    Ok(HttpResponse::Ok().json(service::webhook(&app, sig, &body).await?))
}

/// Marks bank-transfer orders paid from a bank statement CSV (金額, 振込依頼人名, optional
/// 摘要; UTF-8 or Shift_JIS). Each row is matched by the order number in the payer name or
/// memo and the exact amount, and reported.
#[utoipa::path(post, path = "/api/v1/payments/bank-import", tag = "payments",
    request_body(content = String, content_type = "text/csv", description = "a bank statement with 金額 and 振込依頼人名 columns"),
    responses((status = 200, body = BankImport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn bank_import(
    app: web::Data<AppState>,
    actor: Actor,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = crate::http::read_body(payload, app.settings.uploads.max_bytes).await?;
    Ok(HttpResponse::Ok().json(service::import_bank(&app, &actor, &body).await?))
}
