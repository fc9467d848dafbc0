//! Producers over HTTP: registration (self and proxy), validation, review states, scope,
//! closures, bank-account changes.
use crate::{db_test, helpers::*};
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

/// A valid self-registration body for `email`.
pub fn registration(email: &str) -> Value {
    json!({
        "legal_name": "比嘉農園",
        "legal_name_kana": "ヒガノウエン",
        "representative": "比嘉 ゆい",
        "municipality_code": "47207",
        "island_code": "ishigaki",
        "postal_code": "９０７－０００４",
        "address": "沖縄県石垣市登野城1-1",
        "phone": "0980-12-3456",
        "email": email,
        "invoice_number": "T7120001168421",
        "bank": {"bank_code": "0187", "branch_code": "101", "account_type": "ordinary",
                 "account_number": "1234567", "holder_kana": "ヒガ ユイ"},
        "consent": true,
        "password": "ishigaki-mango-2026"
    })
}

pub async fn register(app: &TestApp, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/aggregators/default/producer-registrations"))
        .json(body)
        .send()
        .await
        .expect("register")
}

/// Registers and approves a producer; returns (producer id, its user, its token).
pub async fn approved_producer(app: &TestApp, operator_token: &str) -> (String, TestUser, String) {
    let email = format!("p-{}@example.jp", uuid::Uuid::now_v7().simple());
    let r = register(app, &registration(&email)).await;
    assert_eq!(r.status(), 201);
    let p: Value = r.json().await.expect("json");
    let id = p["id"].as_str().expect("id").to_string();
    let r = app
        .post_as(
            operator_token,
            &format!("/api/v1/producers/{id}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let user = TestUser {
        id: uuid::Uuid::nil(),
        email,
        password: "ishigaki-mango-2026".into(),
    };
    let token = app.token_for(&user).await;
    (id, user, token)
}

async fn self_registration_creates_a_pending_producer(b: Backend) {
    let app = spawn_app(b).await;
    let (_, _op) = app.user_with_token(Role::Operator).await;
    let r = register(&app, &registration("Yui.Higa@Example.jp")).await;
    assert_eq!(r.status(), 201);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["status"], "pending");
    assert_eq!(p["postal_code"], "907-0004", "full-width input normalised");
    assert_eq!(
        p["bank_account"]["holder_kana"], "ﾋｶﾞ ﾕｲ",
        "converted to half-width kana"
    );
    assert_eq!(p["email_confirmed"], false);

    // The producer can log in and sees itself only.
    let user = TestUser {
        id: uuid::Uuid::nil(),
        email: "yui.higa@example.jp".into(),
        password: "ishigaki-mango-2026".into(),
    };
    let token = app.token_for(&user).await;
    let me: Value = app
        .get_as(&token, "/api/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "producer");
    assert_eq!(me["producer_id"], p["id"]);
    let list: Value = app
        .get_as(&token, "/api/v1/producers")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // Emails: the producer (confirm address) and each operator.
    app.run_pending_jobs().await;
    let mails = app.emails();
    let to_producer = mails
        .iter()
        .find(|m| m.to == "yui.higa@example.jp")
        .expect("producer mail");
    assert!(
        to_producer.subject.contains("生産者登録"),
        "{}",
        to_producer.subject
    );
    assert!(
        mails.iter().any(|m| m.subject.contains("新しい生産者登録")),
        "operators told"
    );
    let token_in_link = to_producer
        .text
        .lines()
        .find(|l| l.contains("/confirm-email/"))
        .and_then(|l| l.trim().rsplit('/').next())
        .expect("confirm link")
        .to_string();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/confirm-email"))
        .json(&json!({"token": token_in_link}))
        .send()
        .await
        .expect("confirm");
    assert_eq!(r.status(), 204);
    let p2: Value = app
        .get_as(
            &token,
            &format!("/api/v1/producers/{}", p["id"].as_str().unwrap_or_default()),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(p2["email_confirmed"], true);
    // A confirm-email token does not set passwords.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({"token": token_in_link, "new_password": "hijacked-password"}))
        .send()
        .await
        .expect("r");
    assert_error(r, 422, "validation_failed").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'producer_registered'")
            .await,
        1
    );
}
db_test!(
    a_producer_registers_itself_and_confirms_its_email,
    self_registration_creates_a_pending_producer
);

async fn registration_fields_are_validated(b: Backend) {
    let app = spawn_app(b).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("postal_code", json!("90-70004"), "postal_code"),
        ("postal_code", json!("abcdefg"), "postal_code"),
        ("invoice_number", json!("T8120001168421"), "invoice_number"),
        ("invoice_number", json!("7120001168421"), "invoice_number"),
        ("phone", json!("12345"), "phone"),
        ("email", json!("not-an-email"), "email"),
        ("municipality_code", json!("99999"), "municipality_code"),
        ("island_code", json!("atlantis"), "island_code"),
        ("consent", json!(false), "consent"),
        ("legal_name", json!(""), "legal_name"),
        ("password", json!("short"), "password"),
    ];
    for (field, value, named) in cases {
        let mut body = registration("v@example.jp");
        body[field] = value.clone();
        let r = register(&app, &body).await;
        let e = assert_error(r, 422, "validation_failed").await;
        assert!(
            e["error"]["details"]["fields"][named].is_string(),
            "{field}={value}: {e}"
        );
    }
    let bank_cases: Vec<(Value, &str)> = vec![
        (
            json!({"bank_code": "187", "branch_code": "101", "account_number": "1", "holder_kana": "ﾋｶﾞ"}),
            "bank_code",
        ),
        (
            json!({"bank_code": "0187", "branch_code": "1011", "account_number": "1", "holder_kana": "ﾋｶﾞ"}),
            "branch_code",
        ),
        (
            json!({"bank_code": "0187", "branch_code": "101", "account_number": "12345678", "holder_kana": "ﾋｶﾞ"}),
            "account_number",
        ),
        (
            json!({"bank_code": "0187", "branch_code": "101", "account_number": "1", "holder_kana": "比嘉 ゆい"}),
            "holder_kana",
        ),
        (
            json!({"kind": "japan_post", "jp_symbol": "27010", "jp_number": "12345671", "holder_kana": "ﾋｶﾞ"}),
            "jp_bank_symbol",
        ),
        (
            json!({"kind": "japan_post", "jp_symbol": "17010", "jp_number": "12345670", "holder_kana": "ﾋｶﾞ"}),
            "jp_bank_number",
        ),
    ];
    for (bank, named) in bank_cases {
        let mut body = registration("v@example.jp");
        body["bank"] = bank.clone();
        let e = assert_error(register(&app, &body).await, 422, "validation_failed").await;
        assert!(
            e["error"]["details"]["fields"][named].is_string(),
            "{bank}: {e}"
        );
    }
    // Tax-exempt producers need no number; a mass-assigned status is refused.
    let mut body = registration("exempt@example.jp");
    body["invoice_number"] = Value::Null;
    body["tax_exempt"] = json!(true);
    body["bank"] = json!({"kind": "japan_post", "jp_symbol": "17010", "jp_number": "12345671", "holder_kana": "ひが ゆい"});
    let r = register(&app, &body).await;
    assert_eq!(r.status(), 201);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["bank_account"]["bank_code"], "9900");
    assert_eq!(p["bank_account"]["branch_code"], "708");
    assert_eq!(p["bank_account"]["account_number"], "1234567");
    assert_eq!(p["bank_account"]["holder_kana"], "ﾋｶﾞ ﾕｲ");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM producer").await,
        1,
        "nothing stored for the refused ones"
    );
    let mut body = registration("status@example.jp");
    body["status"] = json!("approved");
    let e = assert_error(register(&app, &body).await, 422, "validation_failed").await;
    assert!(e["error"]["details"]["fields"]["status"].is_string());
    // The same email twice.
    let e = assert_error(
        register(&app, &registration("exempt@example.jp")).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["email"].is_string());
    // Unknown aggregator.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/aggregators/nowhere/producer-registrations"))
        .json(&registration("n@example.jp"))
        .send()
        .await
        .expect("r");
    assert_error(r, 404, "not_found").await;
}
db_test!(
    registration_fields_are_validated_and_named,
    registration_fields_are_validated
);

async fn producer_states_follow_the_review_rules(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let mut body = registration("en@example.jp");
    body["locale"] = json!("en");
    let p: Value = register(&app, &body).await.json().await.expect("json");
    let id = p["id"].as_str().expect("id").to_string();
    let post = |path: String, body: Value| {
        let app = &app;
        let op = op.clone();
        async move { app.post_as(&op, &path, &body).await }
    };
    // Suspending or reinstating a pending producer is not a valid transition.
    assert_error(
        post(
            format!("/api/v1/producers/{id}/suspend"),
            json!({"reason": "x"}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    assert_error(
        post(format!("/api/v1/producers/{id}/reinstate"), json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
    let r = post(format!("/api/v1/producers/{id}/approve"), json!({})).await;
    assert_eq!(r.status(), 200);
    assert_error(
        post(format!("/api/v1/producers/{id}/approve"), json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
    assert_error(
        post(
            format!("/api/v1/producers/{id}/reject"),
            json!({"reason": "late"}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    let e = assert_error(
        post(format!("/api/v1/producers/{id}/suspend"), json!({})).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["reason"].is_string());
    let r = post(
        format!("/api/v1/producers/{id}/suspend"),
        json!({"reason": "label check"}),
    )
    .await;
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "suspended");
    assert_eq!(v["status_reason"], "label check");
    let v: Value = post(format!("/api/v1/producers/{id}/reinstate"), json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "approved");

    // Another one is rejected.
    let p2: Value = register(&app, &registration("ja@example.jp"))
        .await
        .json()
        .await
        .expect("json");
    let id2 = p2["id"].as_str().expect("id").to_string();
    let v: Value = post(
        format!("/api/v1/producers/{id2}/reject"),
        json!({"reason": "住所が確認できません"}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["status"], "rejected");

    app.run_pending_jobs().await;
    let mails = app.emails();
    let en: Vec<_> = mails
        .iter()
        .filter(|m| m.to == "en@example.jp")
        .map(|m| m.subject.clone())
        .collect();
    assert!(en.iter().any(|s| s.contains("has been approved")), "{en:?}");
    assert!(
        en.iter().any(|s| s.contains("has been suspended")),
        "{en:?}"
    );
    let ja: Vec<_> = mails
        .iter()
        .filter(|m| m.to == "ja@example.jp")
        .map(|m| m.subject.clone())
        .collect();
    assert!(ja.iter().any(|s| s.contains("見送り")), "{ja:?}");
    let rejected = mails
        .iter()
        .find(|m| m.to == "ja@example.jp" && m.subject.contains("見送り"))
        .expect("mail");
    assert!(
        rejected.text.contains("住所が確認できません"),
        "the reason is in the email"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'producer_status_changed'")
            .await,
        4
    );
}
db_test!(
    producer_states_follow_the_review_rules_and_are_emailed,
    producer_states_follow_the_review_rules
);

async fn producers_only_reach_their_own_rows(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (a_id, _, a) = approved_producer(&app, &op).await;
    let (b_id, _, bt) = approved_producer(&app, &op).await;
    assert_eq!(
        app.get_as(&a, &format!("/api/v1/producers/{a_id}"))
            .await
            .status(),
        200
    );
    assert_error(
        app.get_as(&a, &format!("/api/v1/producers/{b_id}")).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.patch_as(
            &a,
            &format!("/api/v1/producers/{b_id}"),
            &json!({"phone": "0980-00-0000"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.get_as(&bt, &format!("/api/v1/producers/{a_id}/closures"))
            .await,
        404,
        "not_found",
    )
    .await;
    // Mass assignment of status / commission is refused.
    for field in ["status", "commission_bps", "aggregator_id", "bank_code"] {
        let e = assert_error(
            app.patch_as(
                &a,
                &format!("/api/v1/producers/{a_id}"),
                &json!({field: "x"}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert!(e["error"]["details"]["fields"][field].is_string(), "{e}");
    }
    // Producers cannot review themselves.
    assert_error(
        app.post_as(
            &a,
            &format!("/api/v1/producers/{a_id}/suspend"),
            &json!({"reason": "x"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    // Officers reach none of it.
    let (_, officer) = app.user_with_token(Role::Officer).await;
    assert_error(
        app.get_as(&officer, "/api/v1/producers").await,
        403,
        "forbidden",
    )
    .await;
    assert_error(
        app.get_as(&officer, &format!("/api/v1/producers/{a_id}"))
            .await,
        403,
        "forbidden",
    )
    .await;
    // Another aggregator's operator sees nothing.
    let (_, admin) = app.user_with_token(Role::Admin).await;
    app.post_as(
        &admin,
        "/api/v1/aggregators",
        &json!({"slug": "miyako", "name": "宮古"}),
    )
    .await;
    let other = app.create_user(Role::Operator, Some("miyako")).await;
    let other_token = app.token_for(&other).await;
    assert_error(
        app.get_as(&other_token, &format!("/api/v1/producers/{a_id}"))
            .await,
        404,
        "not_found",
    )
    .await;
    let list: Value = app
        .get_as(&other_token, "/api/v1/producers")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    // Operators search with Japanese substrings.
    let list: Value = app
        .get_as(&op, "/api/v1/producers?q=%E8%BE%B2%E5%9C%92")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(2),
        "農園 matches 比嘉農園"
    );
    // A producer edits its own profile; invalid values are named and nothing changes.
    let e = assert_error(
        app.patch_as(
            &a,
            &format!("/api/v1/producers/{a_id}"),
            &json!({"postal_code": "1", "phone": "0980-99-9999"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["postal_code"].is_string());
    let v: Value = app
        .get_as(&a, &format!("/api/v1/producers/{a_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["phone"], "0980-12-3456");
    let v: Value = app
        .patch_as(
            &a,
            &format!("/api/v1/producers/{a_id}"),
            &json!({"phone": "0980-99-9999"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["phone"], "0980-99-9999");
}
db_test!(
    a_producer_can_neither_read_nor_change_another_producer,
    producers_only_reach_their_own_rows
);

async fn closures_of_producers_and_islands(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (a_id, _, a) = approved_producer(&app, &op).await;
    let (b_id, _, bt) = approved_producer(&app, &op).await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let tomorrow = today + chrono::Duration::days(1);
    let r = app
        .post_as(&a, "/api/v1/closures", &json!({"producer_id": a_id, "closed_from": today, "closed_to": tomorrow, "reason": "旧盆"}))
        .await;
    assert_eq!(r.status(), 201);
    let v: Value = app
        .get_as(&a, &format!("/api/v1/producers/{a_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["closed_now"], true);
    let v: Value = app
        .get_as(&bt, &format!("/api/v1/producers/{b_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["closed_now"], false);
    // Producers cannot close an island; operators can, and it reaches every producer there.
    let island = json!({"island_code": "ishigaki", "closed_from": today, "closed_to": today, "reason": "台風で船便欠航"});
    assert_error(
        app.post_as(&bt, "/api/v1/closures", &island).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.post_as(&op, "/api/v1/closures", &island).await.status(),
        201
    );
    let v: Value = app
        .get_as(&bt, &format!("/api/v1/producers/{b_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["closed_now"], true);
    // Dates are checked.
    let bad =
        json!({"producer_id": a_id, "closed_from": tomorrow, "closed_to": today, "reason": "x"});
    let e = assert_error(
        app.post_as(&a, "/api/v1/closures", &bad).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["closed_to"].is_string());
    let e = assert_error(
        app.post_as(&a, "/api/v1/closures", &json!({"producer_id": a_id, "closed_from": "2026-13-01", "closed_to": today, "reason": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["closed_from"].is_string());
}
db_test!(
    producers_and_operators_record_closures_and_the_catalogue_sees_them,
    closures_of_producers_and_islands
);

async fn bank_changes_need_password_and_operator_approval(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (id, user, token) = approved_producer(&app, &op).await;
    let change = |pw: &str| json!({"current_password": pw, "bank": {"bank_code": "0001", "branch_code": "001", "account_number": "7654321", "holder_kana": "ﾋｶﾞ ﾕｲ"}});
    let e = assert_error(
        app.post_as(
            &token,
            &format!("/api/v1/producers/{id}/bank-account-change"),
            &change("wrong"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["current_password"].is_string());
    let r = app
        .post_as(
            &token,
            &format!("/api/v1/producers/{id}/bank-account-change"),
            &change(&user.password),
        )
        .await;
    assert_eq!(r.status(), 201);
    let v: Value = app
        .get_as(&token, &format!("/api/v1/producers/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        v["bank_account"]["bank_code"], "0187",
        "the old account stays until approved"
    );
    assert_eq!(v["pending_bank_change"]["bank_code"], "0001");
    // Operators cannot request changes on the producer's behalf, producers cannot approve.
    assert_error(
        app.post_as(
            &op,
            &format!("/api/v1/producers/{id}/bank-account-change"),
            &change("x"),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_error(
        app.post_as(
            &token,
            &format!("/api/v1/producers/{id}/bank-account-change/approve"),
            &json!({}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let v: Value = app
        .post_as(
            &op,
            &format!("/api/v1/producers/{id}/bank-account-change/approve"),
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["bank_account"]["bank_code"], "0001");
    assert_eq!(v["bank_account"]["account_number"], "7654321");
    assert_error(
        app.post_as(
            &op,
            &format!("/api/v1/producers/{id}/bank-account-change/approve"),
            &json!({}),
        )
        .await,
        409,
        "no_pending_change",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('bank_change_requested', 'bank_change_approved')").await, 2);
}
db_test!(
    a_bank_account_change_needs_the_password_and_an_operators_approval,
    bank_changes_need_password_and_operator_approval
);

async fn operators_register_producers_by_proxy(b: Backend) {
    let app = spawn_app(b).await;
    let (op_user, op) = app.user_with_token(Role::Operator).await;
    let mut body = registration("grandma@example.jp");
    body.as_object_mut().map(|o| o.remove("password"));
    let e = assert_error(
        app.post_as(&op, "/api/v1/producers", &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["consent_date"].is_string());
    body["consent_date"] = json!("2026-11-20");
    let r = app.post_as(&op, "/api/v1/producers", &body).await;
    assert_eq!(r.status(), 201);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["registered_by"], op_user.id.to_string());
    assert!(
        p["consent_at"]
            .as_str()
            .is_some_and(|c| c.starts_with("2026-11-20"))
    );
    app.run_pending_jobs().await;
    let mail = app
        .emails()
        .into_iter()
        .find(|m| m.to == "grandma@example.jp")
        .expect("claim email");
    let token = mail
        .text
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .and_then(|l| l.trim().rsplit('/').next())
        .expect("link")
        .to_string();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({"token": token, "new_password": "beniimo-tart-99"}))
        .send()
        .await
        .expect("claim");
    assert_eq!(r.status(), 204);
    app.login(&TestUser {
        id: uuid::Uuid::nil(),
        email: "grandma@example.jp".into(),
        password: "beniimo-tart-99".into(),
    })
    .await;
    // Producers cannot register others.
    let (_, _, ptoken) = approved_producer(&app, &op).await;
    let mut other = registration("x@example.jp");
    other["consent_date"] = json!("2026-11-20");
    assert_error(
        app.post_as(&ptoken, "/api/v1/producers", &other).await,
        403,
        "forbidden",
    )
    .await;
}
db_test!(
    an_operator_registers_a_producer_who_then_claims_the_account,
    operators_register_producers_by_proxy
);

async fn hostile_values_get_4xx_not_5xx(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    // NUL characters (PostgreSQL cannot store them) are refused at the edge.
    let mut body = registration("nul@example.jp");
    body["municipality_code"] = json!("47207\u{0}");
    assert_error(register(&app, &body).await, 400, "malformed_json").await;
    // A phone number padded with hyphens.
    let mut body = registration("phone@example.jp");
    body["phone"] = json!("0980----------12-3456");
    let e = assert_error(register(&app, &body).await, 422, "validation_failed").await;
    assert!(e["error"]["details"]["fields"]["phone"].is_string());
    // Filters with odd codes.
    assert_error(
        app.get_as(&op, "/api/v1/producers?island_code=%00").await,
        422,
        "validation_failed",
    )
    .await;
    assert_error(
        app.get_as(&op, "/api/v1/products?category_code=a%20b")
            .await,
        422,
        "validation_failed",
    )
    .await;
    // Dates far out of range.
    let (pid, _, pt) = approved_producer(&app, &op).await;
    let e = assert_error(
        app.post_as(&pt, "/api/v1/closures", &json!({"producer_id": pid, "closed_from": "1900-01-01", "closed_to": "1900-01-02", "reason": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["closed_from"].is_string());
    let mut proxy = registration("old@example.jp");
    proxy["consent_date"] = json!("1900-01-01");
    let e = assert_error(
        app.post_as(&op, "/api/v1/producers", &proxy).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["consent_date"].is_string());
    // A producer cannot lift a closure staff put on it; finance cannot delete closures.
    let today = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let c: Value = app
        .post_as(&op, "/api/v1/closures", &json!({"producer_id": pid, "closed_from": today, "closed_to": today, "reason": "検査"}))
        .await
        .json()
        .await
        .expect("json");
    let cid = c["id"].as_str().expect("id");
    let del = |t: String| {
        let url = app.url(&format!("/api/v1/closures/{cid}"));
        async move {
            reqwest::Client::new()
                .delete(url)
                .bearer_auth(t)
                .send()
                .await
                .expect("delete")
        }
    };
    assert_error(del(pt.clone()).await, 403, "forbidden").await;
    let (_, fin) = app.user_with_token(Role::Finance).await;
    assert_error(del(fin).await, 403, "forbidden").await;
    assert_eq!(del(op.clone()).await.status(), 204);
}
db_test!(
    hostile_values_get_a_4xx_and_closures_are_lifted_only_by_those_allowed,
    hostile_values_get_4xx_not_5xx
);

async fn a_bank_change_is_decided_once_even_concurrently(b: Backend) {
    let app = spawn_app(b).await;
    let other = spawn_second_instance(&app).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (id, user, token) = approved_producer(&app, &op).await;
    let change = json!({"current_password": user.password, "bank": {"bank_code": "0001", "branch_code": "001", "account_number": "7654321", "holder_kana": "ﾋｶﾞ ﾕｲ"}});
    assert_eq!(
        app.post_as(
            &token,
            &format!("/api/v1/producers/{id}/bank-account-change"),
            &change
        )
        .await
        .status(),
        201
    );
    let empty = json!({});
    let approve_path = format!("/api/v1/producers/{id}/bank-account-change/approve");
    let reject_path = format!("/api/v1/producers/{id}/bank-account-change/reject");
    let approve = app.post_as(&op, &approve_path, &empty);
    let reject = other.post_as(&op, &reject_path, &empty);
    let (a, r) = tokio::join!(approve, reject);
    let statuses = [a.status().as_u16(), r.status().as_u16()];
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM producer_bank_change WHERE status = 'pending'")
            .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM producer_bank_change WHERE status IN ('approved', 'rejected')"
        )
        .await,
        1
    );
}
db_test!(
    a_bank_change_is_decided_exactly_once_across_two_instances,
    a_bank_change_is_decided_once_even_concurrently
);
