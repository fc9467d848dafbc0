//! Reading a `multipart/form-data` upload with a size cap per field: the API's one-file
//! uploads and the pages' forms with a file share this reader.
use crate::error::{ApiError, ApiResult};
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

/// Whether the request says it is `multipart/form-data`.
pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The fields of a multipart body.
#[derive(Debug, Default)]
pub struct Parts {
    /// Text fields in order (lossy UTF-8).
    pub texts: Vec<(String, String)>,
    /// The first `file` field.
    pub file: Option<Vec<u8>>,
    /// A field was over the limit (and was not kept).
    pub too_large: bool,
}

/// The multipart body could not be read.
#[derive(Debug)]
pub struct Malformed;

/// Reads every field of a multipart body, keeping none over `limit` bytes.
///
/// # Errors
/// [`Malformed`] for a body that is not valid multipart.
pub async fn read_parts(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Parts, Malformed> {
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut parts = Parts::default();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| Malformed)?;
        let name = field.name().unwrap_or("").to_string();
        let (mut buf, mut over) = (Vec::new(), false);
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| Malformed)?;
            if over || buf.len() + chunk.len() > limit {
                over = true;
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        if over {
            parts.too_large = true;
        } else if name == "file" {
            if parts.file.is_none() {
                parts.file = Some(buf);
            }
        } else {
            parts
                .texts
                .push((name, String::from_utf8_lossy(&buf).to_string()));
        }
    }
    Ok(parts)
}

/// Reads the `file` field of a multipart body, refusing bodies with a field over `limit` bytes.
///
/// # Errors
/// 415 for another media type, 400 `malformed_multipart`, 413 over the limit, 422 without a
/// `file` field.
pub async fn read_file_field(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> ApiResult<Vec<u8>> {
    if !is_multipart(req) {
        return Err(ApiError::UnsupportedMediaType {
            expected: "multipart/form-data",
        });
    }
    let parts = read_parts(req, payload, limit).await.map_err(|Malformed| {
        ApiError::bad_request(
            "malformed_multipart",
            "the multipart body could not be read",
        )
    })?;
    if parts.too_large {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    parts
        .file
        .ok_or_else(|| ApiError::field("file", "is required (multipart field `file`)"))
}
