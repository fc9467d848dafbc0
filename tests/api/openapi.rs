//! The OpenAPI document matches the routes the app serves, both ways.
use crate::{db_test, helpers::*};
use serde_json::Value;
use std::collections::BTreeSet;

async fn every_route_is_documented_and_every_documented_route_is_served(b: Backend) {
    let app = spawn_app(b).await;
    let doc: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true)
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get(method) {
                documented.insert((method.to_uppercase(), path.clone()));
                // Every documented operation lists its responses, and API ones their errors.
                let responses = op["responses"].as_object().expect("responses");
                assert!(!responses.is_empty(), "{method} {path}");
                if path.starts_with("/api/v1/") && op.get("security").is_some() {
                    assert!(
                        responses.contains_key("401"),
                        "{method} {path} documents 401"
                    );
                }
            }
        }
    }
    let served: BTreeSet<(String, String)> = yuimaru::startup::route_table()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:?}"
    );

    // And each documented path really is routed (never the catch-all `route_not_found`).
    let c = client();
    for (method, path) in &documented {
        let p = path
            .replace("{id}", "01a1fcae-0000-7000-8000-000000000000")
            .replace("{token}", "x")
            .replace("{file}", "index.html");
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let r = c.request(m, app.url(&p)).send().await.expect("request");
        assert!(
            r.status().as_u16() < 500,
            "{method} {path} gave {}",
            r.status()
        );
        if r.headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"))
        {
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert_ne!(body["error"]["code"], "route_not_found", "{method} {path}");
        }
    }
}
db_test!(
    every_served_route_is_in_the_openapi_document_and_back,
    every_route_is_documented_and_every_documented_route_is_served
);

async fn swagger_ui_is_served_from_the_binary(b: Backend) {
    let app = spawn_app(b).await;
    let r = client().get(app.url("/docs")).send().await.expect("docs");
    assert_eq!(r.status(), 303);
    let r = reqwest::get(app.url("/docs/index.html"))
        .await
        .expect("index");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("text");
    assert!(html.contains("swagger"), "bundled Swagger UI");
    let r = reqwest::get(app.url("/docs/swagger-initializer.js"))
        .await
        .expect("init");
    assert!(r.text().await.expect("text").contains("/api/openapi.json"));
}
db_test!(
    swagger_ui_works_offline_from_the_binary,
    swagger_ui_is_served_from_the_binary
);

/// An example of `schema` as the document describes it: every property (required or not),
/// values of the declared type and format, the first of an enum, references resolved.
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return example(doc, &doc["components"]["schemas"][name], depth + 1);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema[key].as_array() {
            let alt = alts
                .iter()
                .find(|a| a["type"] != "null")
                .unwrap_or(&Value::Null);
            return example(doc, alt, depth + 1);
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut out = serde_json::Map::new();
        for part in all {
            if let Value::Object(m) = example(doc, part, depth + 1) {
                out.extend(m);
            }
        }
        return Value::Object(out);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .find(|t| *t != "null")
            .and_then(Value::as_str)
            .unwrap_or("null")
            .to_string(),
        Value::String(t) => t.clone(),
        _ if schema["properties"].is_object() => "object".into(),
        _ => "null".into(),
    };
    match ty.as_str() {
        "string" => match schema["format"].as_str() {
            Some("uuid") => Value::from("01a1fcae-0000-7000-8000-000000000000"),
            Some("date") => Value::from("2026-12-01"),
            Some("date-time") => Value::from("2026-12-01T00:00:00Z"),
            _ => Value::from("x"),
        },
        "integer" | "number" => Value::from(1),
        "boolean" => Value::from(false),
        "array" => Value::Array(vec![example(doc, &schema["items"], depth + 1)]),
        "object" => Value::Object(
            schema["properties"]
                .as_object()
                .map(|props| {
                    props
                        .iter()
                        .map(|(k, v)| (k.clone(), example(doc, v, depth + 1)))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        _ => Value::Null,
    }
}

async fn every_documented_json_body_is_accepted_in_its_documented_shape(b: Backend) {
    let app = spawn_app(b).await;
    let (_, admin) = app.user_with_token(yuimaru::http::actor::Role::Admin).await;
    let doc: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["post", "put", "patch"] {
            let Some(op) = item.get(method) else {
                continue;
            };
            let Some(schema) = op["requestBody"]["content"]
                .get("application/json")
                .map(|c| &c["schema"])
            else {
                continue;
            };
            let body = example(&doc, schema, 0);
            let url = path
                .replace("{id}", "01a1fcae-0000-7000-8000-000000000000")
                .replace("{slug}", "default")
                .replace("{seq}", "1")
                .replace("{receipt_id}", "01a1fcae-0000-7000-8000-000000000000");
            let rq = client()
                .request(
                    reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("m"),
                    app.url(&url),
                )
                .bearer_auth(&admin)
                .header("idempotency-key", format!("schema-{checked}"))
                .json(&body);
            let r = rq.send().await.expect("request");
            let status = r.status().as_u16();
            assert!(status < 500, "{method} {path} gave {status}");
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if v["error"]["code"] == "validation_failed" {
                // Values may be refused by the rules; the shape must not be.
                for (field, msg) in v["error"]["details"]["fields"]
                    .as_object()
                    .into_iter()
                    .flatten()
                {
                    let msg = msg.as_str().unwrap_or_default();
                    assert!(
                        !msg.contains("unknown field")
                            && !msg.starts_with("invalid type")
                            && msg != "is required",
                        "{method} {path}: the documented body {body} is refused: {field} {msg}"
                    );
                }
            }
            assert_ne!(v["error"]["code"], "malformed_json", "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} bodies checked");
}
db_test!(
    every_documented_json_body_is_accepted_in_its_shape,
    every_documented_json_body_is_accepted_in_its_documented_shape
);
