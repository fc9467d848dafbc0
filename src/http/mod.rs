//! HTTP plumbing shared by every area: request ids, the JSON extractor, the actor extractor,
//! error handlers for actix's own extractors.
pub mod actor;
pub mod docs;
pub mod json;
pub mod multipart;
pub mod query;
pub mod request_id;
pub mod route;

pub use query::Query;
pub use route::RouteSpec;

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

/// Reads a raw request body (a CSV upload) up to `limit` bytes.
///
/// # Errors
/// 400 `malformed_body`; 413 over the limit.
pub async fn read_body(
    mut payload: actix_web::web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::bad_request("malformed_body", "the body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The client address used for rate limits (the peer address; proxies are not trusted).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// A CSV download: `bytes` in encoding `enc` (its charset in the content type), saved as
/// `name`.
pub fn csv_response(
    bytes: Vec<u8>,
    enc: crate::core::csv::CsvEncoding,
    name: &str,
) -> actix_web::HttpResponse {
    let charset = if enc == crate::core::csv::CsvEncoding::ShiftJis {
        "Shift_JIS"
    } else {
        "utf-8"
    };
    actix_web::HttpResponse::Ok()
        .content_type(format!("text/csv; charset={charset}"))
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}
