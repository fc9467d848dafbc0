//! `Json<T>`: a JSON body extractor whose every failure is our error body and names the field
//! (via serde_path_to_error): malformed JSON 400, wrong type / unknown field 422, too large 413,
//! wrong content type 415.
use crate::error::ApiError;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::{future::Future, pin::Pin};

/// The body size limit, stored in app data by `startup`.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// A JSON request body.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map(|l| l.0)
            .unwrap_or(256 * 1024);
        let is_json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType {
                    expected: "application/json",
                }
                .into());
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge { limit }.into());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| {
                    ApiError::bad_request("malformed_body", "the request body could not be read")
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit }.into());
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(Json).map_err(Into::into)
        })
    }
}

/// Parses a JSON body into `T`, mapping serde errors to field-named API errors.
///
/// # Errors
/// 400 `malformed_json` for syntax errors, 422 `validation_failed` naming the field otherwise.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // NUL characters are refused everywhere: PostgreSQL cannot store them in text.
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(ApiError::BadRequest {
            code: "malformed_json",
            message: "strings must not contain NUL characters (\\u0000)".into(),
            details: serde_json::json!({}),
        });
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                Category::Syntax | Category::Eof | Category::Io => Err(ApiError::BadRequest {
                    code: "malformed_json",
                    message: format!("the body is not valid JSON: {inner}"),
                    details: serde_json::json!({}),
                }),
                Category::Data => {
                    let msg = inner.to_string();
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    let field = if path == "." || path.is_empty() {
                        unknown_field_name(&msg).unwrap_or_else(|| "body".into())
                    } else if msg.starts_with("unknown field") {
                        let base = unknown_field_name(&msg).unwrap_or_default();
                        if path.ends_with(&base) {
                            path
                        } else {
                            format!("{path}.{base}")
                        }
                    } else {
                        path
                    };
                    Err(ApiError::field(field, msg))
                }
            }
        }
    }
}

fn unknown_field_name(msg: &str) -> Option<String> {
    let rest = msg
        .strip_prefix("unknown field `")
        .or_else(|| msg.strip_prefix("missing field `"))?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
    }

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::Validation { fields, .. } => fields.into_iter().map(|(f, _)| f).collect(),
            other => vec![other.code().to_string()],
        }
    }

    #[test]
    fn nul_characters_are_refused() {
        let e = parse::<Body>(br#"{"name":"a\u0000b","count":1}"#).err();
        assert_eq!(e.map(|e| e.code()), Some("malformed_json"));
    }

    #[test]
    fn malformed_json_is_a_400() {
        let e = parse::<Body>(b"{\"name\":").err();
        assert_eq!(e.map(|e| e.code()), Some("malformed_json"));
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = parse::<Body>(br#"{"name":"a","count":"x"}"#).err();
        assert_eq!(e.map(fields), Some(vec!["count".to_string()]));
    }

    #[test]
    fn unknown_field_is_named() {
        let e = parse::<Body>(br#"{"name":"a","count":1,"role":"admin"}"#).err();
        assert_eq!(e.map(fields), Some(vec!["role".to_string()]));
    }

    #[test]
    fn missing_field_is_a_422() {
        let e = parse::<Body>(br#"{"name":"a"}"#).err();
        assert_eq!(e.map(fields), Some(vec!["count".to_string()]));
    }
}
