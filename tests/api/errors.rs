//! Every kind of bad input gets the one JSON error body and changes nothing.
use crate::{db_test, helpers::*};
use serde_json::json;
use yuimaru::http::actor::Role;

async fn bad_inputs_get_field_named_errors(b: Backend) {
    let app = spawn_app(b).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let users_before = app.count("SELECT COUNT(*) FROM app_user").await;
    let c = reqwest::Client::new();
    let post = |body: String, ct: &'static str| {
        c.post(app.url("/api/v1/users"))
            .bearer_auth(&admin)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    // Malformed JSON.
    assert_error(
        post("{\"email\":".into(), "application/json")
            .await
            .expect("r"),
        400,
        "malformed_json",
    )
    .await;
    // Wrong type.
    let body = assert_error(
        post(
            json!({"email": 5, "display_name": "x", "role": "operator"}).to_string(),
            "application/json",
        )
        .await
        .expect("r"),
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["details"]["fields"]["email"].is_string(),
        "{body}"
    );
    // Unknown field (mass assignment).
    let body = assert_error(
        post(
            json!({"email": "a@example.jp", "display_name": "x", "role": "operator", "active": false})
                .to_string(),
            "application/json",
        )
        .await
        .expect("r"),
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["details"]["fields"]["active"].is_string(),
        "{body}"
    );
    // Unknown enum value.
    let body = assert_error(
        post(
            json!({"email": "a@example.jp", "display_name": "x", "role": "superuser"}).to_string(),
            "application/json",
        )
        .await
        .expect("r"),
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["details"]["fields"]["role"].is_string(),
        "{body}"
    );
    // Bad value caught by the service.
    let body = assert_error(
        post(
            json!({"email": "not-an-email", "display_name": "x", "role": "operator"}).to_string(),
            "application/json",
        )
        .await
        .expect("r"),
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["details"]["fields"]["email"].is_string(),
        "{body}"
    );
    // Wrong content type.
    assert_error(
        post("email=a".into(), "application/x-www-form-urlencoded")
            .await
            .expect("r"),
        415,
        "unsupported_media_type",
    )
    .await;
    // Too large.
    let big =
        json!({"email": "a".repeat(300_000), "display_name": "x", "role": "operator"}).to_string();
    assert_error(
        post(big, "application/json").await.expect("r"),
        413,
        "payload_too_large",
    )
    .await;
    // Bad query parameter and bad path id.
    assert_error(
        app.get_as(&admin, "/api/v1/users?limit=0").await,
        422,
        "validation_failed",
    )
    .await;
    assert_error(
        app.get_as(&admin, "/api/v1/users?active=maybe").await,
        400,
        "invalid_query",
    )
    .await;
    assert_error(
        app.get_as(&admin, "/api/v1/users/not-a-uuid").await,
        404,
        "not_found",
    )
    .await;
    // Unknown route and wrong method.
    assert_error(
        app.get_as(&admin, "/api/v1/nothing-here").await,
        404,
        "route_not_found",
    )
    .await;
    let r = c
        .put(app.url("/api/v1/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("r");
    assert_error(r, 405, "method_not_allowed").await;
    // Nothing was written by any of it.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM app_user").await,
        users_before
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM job").await, 0);
}
db_test!(
    bad_input_of_each_kind_gets_its_error_body_and_changes_nothing,
    bad_inputs_get_field_named_errors
);

async fn missing_or_bad_credentials_are_401(b: Backend) {
    let app = spawn_app(b).await;
    let r = reqwest::get(app.url("/api/v1/me")).await.expect("r");
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_error(r, 401, "unauthenticated").await;
    assert_error(
        app.get_as("ym_nonsense", "/api/v1/me").await,
        401,
        "unauthenticated",
    )
    .await;
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .expect("r");
    assert_error(r, 401, "unauthenticated").await;
}
db_test!(
    missing_or_bad_credentials_get_401,
    missing_or_bad_credentials_are_401
);

async fn every_bad_field_and_query_parameter_is_named_at_once(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app
        .user_with_token(yuimaru::http::actor::Role::Operator)
        .await;
    // A JSON body with several problems: every one is reported, nested ones by path.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/aggregators/default/producer-registrations"))
        .json(&serde_json::json!({
            "legal_name": 5, "phone": "0980-12-3456", "role": "admin",
            "bank": {"bank_code": "0187"}
        }))
        .send()
        .await
        .expect("post");
    let e = assert_error(r, 422, "validation_failed").await;
    let fields = e["error"]["details"]["fields"]
        .as_object()
        .expect("fields")
        .clone();
    for f in [
        "legal_name",
        "legal_name_kana",
        "representative",
        "municipality_code",
        "postal_code",
        "address",
        "email",
        "role",
        "bank.holder_kana",
    ] {
        assert!(fields.contains_key(f), "{f} in {fields:?}");
    }
    assert_eq!(fields["legal_name_kana"], "is required");
    // Bank fields that parse but are wrong come back together too.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/aggregators/default/producer-registrations"))
        .json(&serde_json::json!({
            "legal_name": "比嘉農園", "legal_name_kana": "ヒガノウエン", "representative": "比嘉 ゆい",
            "municipality_code": "47207", "postal_code": "907-0004", "address": "石垣市登野城1-1",
            "phone": "0980-12-3456", "email": "yui@example.jp", "tax_exempt": true, "consent": true,
            "password": "ishigaki-mango-2026",
            "bank": {"bank_code": "18", "branch_code": "x", "account_type": "ordinary",
                     "account_number": "12345678", "holder_kana": "比嘉"}
        }))
        .send()
        .await
        .expect("post");
    let e = assert_error(r, 422, "validation_failed").await;
    let fields = &e["error"]["details"]["fields"];
    for f in ["bank_code", "branch_code", "account_number", "holder_kana"] {
        assert!(fields.get(f).is_some(), "{f} in {fields}");
    }
    // Query strings: each bad parameter by name, in words.
    let e = assert_error(
        app.get_as(&op, "/api/v1/orders?from=2026-99-99&limit=-1&status=open")
            .await,
        400,
        "invalid_query",
    )
    .await;
    let fields = &e["error"]["details"]["fields"];
    assert_eq!(fields["from"], "must be a date written YYYY-MM-DD", "{e}");
    assert_eq!(
        fields["limit"], "must be a whole number of 0 or more",
        "{e}"
    );
    assert!(fields.get("status").is_none());
    let e = assert_error(
        app.get_as(&op, "/api/v1/stock?expiring_within_days=abc")
            .await,
        400,
        "invalid_query",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]
            .get("expiring_within_days")
            .is_some(),
        "{e}"
    );
}
db_test!(
    every_bad_field_and_query_parameter_is_named,
    every_bad_field_and_query_parameter_is_named_at_once
);
