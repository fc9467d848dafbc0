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
            use serde_json::error::Category;
            if matches!(
                err.inner().classify(),
                Category::Syntax | Category::Eof | Category::Io
            ) {
                return Err(ApiError::BadRequest {
                    code: "malformed_json",
                    message: format!("the body is not valid JSON: {}", err.into_inner()),
                    details: serde_json::json!({}),
                });
            }
            // The body is JSON: report every field problem at once, not only serde's first.
            let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            Err(ApiError::invalid(all_field_errors::<T>(value)))
        }
    }
}

/// The first problem serde finds deserialising `value` as `T`: the field's path and what is
/// wrong (`None` when it deserialises).
fn first_error<T: DeserializeOwned>(value: &serde_json::Value) -> Option<(String, String)> {
    let err = serde_path_to_error::deserialize::<_, T>(value.clone()).err()?;
    let path = err.path().to_string();
    let msg = err.into_inner().to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    let mut segments: Vec<String> = if path == "." || path.is_empty() {
        Vec::new()
    } else {
        path.split('.').map(str::to_string).collect()
    };
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(name) = named_field(&msg, prefix)
            && segments.last().is_none_or(|s| *s != name)
        {
            segments.push(name);
        }
    }
    let field = if segments.is_empty() {
        "body".to_string()
    } else {
        segments.join(".")
    };
    Some((field, msg))
}

/// One field problem of a value that does not deserialise as `T`, with the value that lets
/// deserialisation go past it: without an unknown or badly typed field, or with a placeholder
/// of an accepted shape for a missing one (`Null` when there is none).
fn field_error<T: DeserializeOwned>(
    value: &serde_json::Value,
) -> Option<(String, String, serde_json::Value)> {
    let (field, msg) = first_error::<T>(value)?;
    let segments: Vec<String> = field.split('.').map(str::to_string).collect();
    let moved_on = |v: &serde_json::Value| first_error::<T>(v).is_none_or(|(f, _)| f != field);
    let missing = msg.starts_with("missing field `");
    let shown = if missing {
        "is required".to_string()
    } else {
        msg.clone()
    };
    if field == "body" {
        return Some((field, shown, serde_json::Value::Null));
    }
    if !msg.starts_with("unknown field `") {
        // A missing or badly typed field: a placeholder of a shape it accepts lets the
        // deserialiser go on to the next problem.
        for candidate in placeholders() {
            let mut v = value.clone();
            set_at(&mut v, &segments, candidate);
            if moved_on(&v) {
                return Some((field, shown, v));
            }
            // An enum: its first variant.
            if let Some((_, m)) = first_error::<T>(&v)
                && let Some(variant) = m
                    .split("expected one of `")
                    .nth(1)
                    .or_else(|| m.split("expected `").nth(1))
                    .and_then(|r| r.split('`').next())
            {
                let mut v = value.clone();
                set_at(&mut v, &segments, serde_json::json!(variant));
                if moved_on(&v) {
                    return Some((field, shown, v));
                }
            }
        }
        if missing {
            return Some((field, shown, serde_json::Value::Null));
        }
    }
    let mut repaired = value.clone();
    if !remove_at(&mut repaired, &segments) {
        return Some((field, shown, serde_json::Value::Null));
    }
    Some((field, shown, repaired))
}

/// Every field problem of `value` as `T`, in the order deserialisation meets them (at most 50).
fn all_field_errors<T: DeserializeOwned>(mut value: serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    while let Some((field, msg, next)) = field_error::<T>(&value) {
        if out.iter().any(|(f, _)| *f == field) {
            break;
        }
        out.push((field, msg));
        if next.is_null() || out.len() >= 50 {
            break;
        }
        value = next;
    }
    if out.is_empty() {
        out.push(("body".into(), "does not match the expected shape".into()));
    }
    out
}

/// Values to try for a missing field: a string, a number, a flag, a list, an object.
fn placeholders() -> Vec<serde_json::Value> {
    vec![
        serde_json::json!(""),
        serde_json::json!(0),
        serde_json::json!(false),
        serde_json::json!([]),
        serde_json::json!({}),
    ]
}

fn index(segment: &str) -> Option<usize> {
    segment
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .and_then(|s| s.parse().ok())
}

/// Sets the field at `path` (object keys and `[i]` indexes), creating objects on the way.
fn set_at(v: &mut serde_json::Value, path: &[String], new: serde_json::Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for seg in parents {
        cur = match index(seg) {
            Some(i) => match cur.get_mut(i) {
                Some(next) => next,
                None => return,
            },
            None => {
                if !cur.is_object() {
                    *cur = serde_json::json!({});
                }
                match cur.as_object_mut() {
                    Some(map) => map.entry(seg.clone()).or_insert(serde_json::json!({})),
                    None => return,
                }
            }
        };
    }
    if let Some(map) = cur.as_object_mut() {
        map.insert(last.clone(), new);
    }
}

/// Removes the field at `path`; false when there is nothing to remove there.
fn remove_at(v: &mut serde_json::Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut cur = v;
    for seg in parents {
        let next = match index(seg) {
            Some(i) => cur.get_mut(i),
            None => cur.get_mut(seg.as_str()),
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    match index(last) {
        Some(i) => match cur.as_array_mut() {
            Some(a) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        None => cur
            .as_object_mut()
            .is_some_and(|m| m.remove(last.as_str()).is_some()),
    }
}

fn named_field(msg: &str, prefix: &str) -> Option<String> {
    Some(msg.strip_prefix(prefix)?.split('`').next()?.to_string())
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

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nested {
        name: String,
        bank: Bank,
        tags: Vec<String>,
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Bank {
        code: String,
        number: String,
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let e = parse::<Nested>(br#"{"count":"x","extra":1,"bank":{"code":7}}"#).err();
        let mut got = e.map(fields).unwrap_or_default();
        got.sort();
        assert_eq!(
            got,
            ["bank.code", "bank.number", "count", "extra", "name", "tags"]
                .map(String::from)
                .to_vec()
        );
    }

    #[test]
    fn missing_field_is_a_422() {
        let e = parse::<Body>(br#"{"name":"a"}"#).err();
        assert_eq!(e.map(fields), Some(vec!["count".to_string()]));
    }
}
