//! HTTP plumbing shared by every area: request ids, the JSON extractor, the actor extractor,
//! error handlers for actix's own extractors.
pub mod actor;
pub mod json;
pub mod multipart;
pub mod request_id;

use crate::error::ApiError;
use actix_web::{HttpRequest, error::PathError, error::QueryPayloadError};

/// Turns a bad query string into a field-named 422 / 400.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let msg = err.to_string();
    ApiError::BadRequest {
        code: "invalid_query",
        message: format!("invalid query string: {msg}"),
        details: serde_json::json!({}),
    }
    .into()
}

/// Turns a bad path segment into a 404 (an id that cannot exist is simply not found).
pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound.into()
}

/// The request's `Idempotency-Key` header, if any.
///
/// # Errors
/// 422 `Idempotency-Key` when the header is not printable ASCII.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.to_string()))
            .map_err(|_| ApiError::field("Idempotency-Key", "must be printable ASCII")),
    }
}

/// The client address used for rate limits (the peer address; proxies are not trusted).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
