//! Reading one file field of a `multipart/form-data` upload with a size cap.
use crate::error::{ApiError, ApiResult};
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

/// Reads the `file` field of a multipart body, refusing bodies over `limit` bytes.
pub async fn read_file_field(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> ApiResult<Vec<u8>> {
    let is_multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType {
            expected: "multipart/form-data",
        });
    }
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let bad = |_| {
        ApiError::bad_request(
            "malformed_multipart",
            "the multipart body could not be read",
        )
    };
    let mut found: Option<Vec<u8>> = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad)?;
        let is_file = field.name() == Some("file");
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            if buf.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            if is_file {
                buf.extend_from_slice(&chunk);
            }
        }
        if is_file && found.is_none() {
            found = Some(buf);
        }
    }
    found.ok_or_else(|| ApiError::field("file", "is required (multipart field `file`)"))
}
