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
