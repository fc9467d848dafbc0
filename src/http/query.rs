//! `Query<T>`: a query-string extractor whose failures name every bad parameter, like body
//! errors: 400 `invalid_query` with `details.fields.<name>` and a message a person understands
//! (actix's own `web::Query` only passes serde's text on).
use crate::error::ApiError;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;
use std::future::{Ready, ready};

/// A typed query string.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    /// The parsed parameters.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(Query).map_err(Into::into))
    }
}

/// Parses a query string into `T`, naming every parameter that does not parse.
///
/// # Errors
/// 400 `invalid_query` with `details.fields`.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        let de =
            serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(encoded.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) if fields.is_empty() => return Ok(v),
            Ok(_) => break,
            Err(err) => {
                let path = err.path().to_string();
                let msg = err.into_inner().to_string();
                let name = match named(&msg, "unknown field `")
                    .or_else(|| named(&msg, "missing field `"))
                {
                    Some(n) => n,
                    None if path != "." && !path.is_empty() => path,
                    None => "query".into(),
                };
                if fields.iter().any(|(f, _)| *f == name) || fields.len() >= 20 {
                    break;
                }
                fields.push((name.clone(), human(&msg)));
                let before = pairs.len();
                pairs.retain(|(k, _)| *k != name);
                if pairs.len() == before {
                    break;
                }
            }
        }
    }
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    let map: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(f, m)| (f.clone(), serde_json::Value::String(m.clone())))
        .collect();
    Err(ApiError::BadRequest {
        code: "invalid_query",
        message: format!("invalid query parameter(s): {}", names.join(", ")),
        details: serde_json::json!({ "fields": map }),
    })
}

fn named(msg: &str, prefix: &str) -> Option<String> {
    Some(msg.strip_prefix(prefix)?.split('`').next()?.to_string())
}

/// serde's message for a parameter, in words a person understands.
fn human(msg: &str) -> String {
    let m = msg.to_ascii_lowercase();
    if m.starts_with("unknown field") {
        let expected = msg.split("expected ").nth(1).unwrap_or("");
        return format!("is not a parameter of this list (expected {expected})");
    }
    if m.starts_with("missing field") {
        return "is required".into();
    }
    if m.contains("invalid digit")
        || m.contains("number too large")
        || m.contains("cannot parse integer")
    {
        return "must be a whole number of 0 or more".into();
    }
    if m.contains("input contains invalid characters")
        || m.contains("premature end of input")
        || m.contains("input is out of range")
        || m.contains("trailing input")
        || m.contains("input is not enough")
    {
        return "must be a date written YYYY-MM-DD".into();
    }
    if m.contains("uuid") || m.contains("invalid length") || m.contains("invalid character") {
        return "must be an id (a UUID)".into();
    }
    if m.contains("`true` or `false`") {
        return "must be true or false".into();
    }
    if m.starts_with("unknown variant") {
        let expected = msg.split("expected ").nth(1).unwrap_or("");
        return format!("must be {expected}");
    }
    msg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        from: Option<NaiveDate>,
        limit: Option<u64>,
        days: Option<i64>,
    }

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::BadRequest { details, .. } => details["fields"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn every_bad_parameter_is_named_in_words() {
        let e = parse::<Q>("from=2026-99-99&limit=-1&days=abc&x=1").err();
        let mut got = e.map(fields).unwrap_or_default();
        got.sort();
        assert_eq!(
            got,
            ["days", "from", "limit", "x"].map(String::from).to_vec()
        );
        assert_eq!(
            human("invalid digit found in string"),
            "must be a whole number of 0 or more"
        );
        assert!(parse::<Q>("from=2026-01-31&limit=5").is_ok());
    }
}
