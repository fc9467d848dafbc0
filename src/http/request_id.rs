//! Request ids: taken from a sane incoming `x-request-id` or a new UUIDv7, echoed in the
//! response header, carried by every log line of the request and by error bodies.
use crate::error::REQUEST_ID;
use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use std::time::Instant;
use tracing::Instrument;

/// The header name.
pub const HEADER: &str = "x-request-id";

fn sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The middleware (`actix_web::middleware::from_fn(request_id::middleware)`).
///
/// # Errors
/// Never on its own; inner errors are turned into responses here so they carry the id.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = tracing::field::Empty
    );
    let started = Instant::now();
    let fut = async move {
        next.call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body)
    };
    let mut res = REQUEST_ID
        .scope(id.clone(), fut)
        .instrument(span.clone())
        .await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".into());
    span.record("route", tracing::field::display(&route));
    let status = res.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, duration_ms, "request failed");
        } else {
            tracing::debug!(status, duration_ms, "request served");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(HEADER), v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sane_ids_are_taken() {
        assert!(super::sane("abc-123_x.y"));
        assert!(!super::sane(""));
        assert!(!super::sane("a b"));
        assert!(!super::sane("<script>"));
        assert!(!super::sane(&"a".repeat(65)));
    }
}
