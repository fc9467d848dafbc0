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

/// The client address used for rate limits (the peer address; proxies are not trusted).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
