//! Payments over HTTP against a local fake of the card provider: a card order gets its payment
//! intent (idempotently, and survives the provider being down), the signed webhook marks it
//! paid while a bad signature, a stale timestamp and a replayed event change nothing, a return
//! is refunded through the provider by a job; the bank-statement import marks transfers paid.
use crate::{
    db_test,
    fake_provider::{self, API_KEY, FakeProvider, WEBHOOK_SECRET, sign},
    fulfilment::{goods, import_tracking},
    helpers::*,
    shop::{cart, order, settings_body},
};
use secrecy::SecretString;
use serde_json::{Value, json};

async fn card_app(b: Backend) -> (TestApp, FakeProvider) {
    let fake = fake_provider::start();
    let url = fake.url.clone();
    let app = spawn_app_with(b, move |s| {
        s.payments.provider_url = url;
        s.payments.api_key = SecretString::from(API_KEY.to_string());
        s.payments.webhook_secret = SecretString::from(WEBHOOK_SECRET.to_string());
        s.payments.webhook_tolerance_seconds = 300;
    })
    .await;
    (app, fake)
}

async fn enable_cards(app: &TestApp, op: &str) {
    let mut s = settings_body();
    s["payment_methods"] = json!(["bank_transfer", "cash_on_delivery", "card"]);
    let r = app.put_as(op, "/api/v1/shop-settings", &s).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}

fn succeeded(event: &str, intent: &str, amount: i64) -> String {
    json!({"id": event, "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": intent, "object": "payment_intent", "amount": amount, "amount_received": amount, "status": "succeeded"}}})
    .to_string()
}

async fn deliver_webhook(app: &TestApp, signature: &str, body: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/payments/webhook"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("webhook")
}

async fn order_state(app: &TestApp, op: &str, id: &str) -> Value {
    app.get_as(op, &format!("/api/v1/orders/{id}"))
        .await
        .json()
        .await
        .expect("json")
}

db_test!(
    card_payments,
    card_orders_are_paid_by_signed_webhooks_and_refunded
);
async fn card_orders_are_paid_by_signed_webhooks_and_refunded(b: Backend) {
    let (app, fake) = card_app(b).await;
    let g = goods(&app).await;
    let op = g.op.clone();
    enable_cards(&app, &op).await;
    let body = cart(
        json!([{"sku_id": g.chinsuko, "qty": 2}, {"sku_id": g.tart, "qty": 1}]),
        "card",
    );

    // The provider is down: the order is held, the buyer told to retry; the retry works.
    fake.fail_next(1);
    let r = crate::shop::post_public(
        &app,
        "/api/v1/aggregators/default/shop/checkout/preview",
        &body,
        None,
    )
    .await;
    let total = r.json::<Value>().await.expect("json")["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let mut placed = body.clone();
    placed["expected_total"] = json!(total);
    let r = crate::shop::post_public(
        &app,
        "/api/v1/aggregators/default/shop/orders",
        &placed,
        Some("card-1"),
    )
    .await;
    let e = assert_error(r, 502, "payment_provider_unavailable").await;
    let id = e["error"]["details"]["order_id"]
        .as_str()
        .expect("order id")
        .to_string();
    let r = crate::shop::post_public(
        &app,
        "/api/v1/aggregators/default/shop/orders",
        &placed,
        Some("card-1"),
    )
    .await;
    assert_eq!(r.status(), 200, "the retry answers with the held order");
    let o: Value = r.json().await.expect("json");
    assert_eq!(o["id"], id.as_str());
    let intent = o["card_payment"]["intent_id"]
        .as_str()
        .expect("intent")
        .to_string();
    assert!(
        o["card_payment"]["client_secret"]
            .as_str()
            .expect("secret")
            .starts_with(&intent)
    );
    let calls = fake.seen("/v1/payment_intents");
    assert_eq!(calls.last().expect("call").key, format!("intent-{id}"));
    assert_eq!(
        calls.last().expect("call").form["amount"],
        total.to_string()
    );
    assert_eq!(calls.last().expect("call").form["currency"], "jpy");
    // Asking again finds the same intent (same key at the provider).
    let again: Value = crate::shop::post_public(
        &app,
        "/api/v1/aggregators/default/shop/orders",
        &placed,
        Some("card-1"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(again["card_payment"]["intent_id"], intent.as_str());
    assert_eq!(
        order_state(&app, &op, &id).await["payment_status"],
        "pending"
    );

    // The buyer pays; the provider's webhook says so.
    fake.confirm(&intent).await;
    let now = chrono::Utc::now().timestamp();
    let event = succeeded("evt_001", &intent, total);
    let unchanged = |v: Value| {
        assert_eq!(v["payment_status"], "pending");
    };
    let r = deliver_webhook(&app, &sign("whsec_wrong", now, &event), &event).await;
    assert_error(r, 400, "invalid_signature").await;
    let tampered = event.replace(&total.to_string(), "1");
    let r = deliver_webhook(&app, &sign(WEBHOOK_SECRET, now, &event), &tampered).await;
    assert_error(r, 400, "invalid_signature").await;
    let r = deliver_webhook(&app, &sign(WEBHOOK_SECRET, now - 600, &event), &event).await;
    assert_error(r, 400, "stale_signature").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/payments/webhook"))
        .body(event.clone())
        .send()
        .await
        .expect("webhook");
    assert_error(r, 400, "invalid_signature").await;
    unchanged(order_state(&app, &op, &id).await);
    assert_eq!(app.count("SELECT COUNT(*) FROM payment_event").await, 0);

    let r = deliver_webhook(&app, &sign(WEBHOOK_SECRET, now, &event), &event).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        (v["outcome"].clone(), v["duplicate"].clone()),
        (json!("paid"), json!(false))
    );
    let paid = order_state(&app, &op, &id).await;
    assert_eq!(paid["payment_status"], "paid");
    let paid_at = paid["paid_at"].clone();
    // The same event again (the provider retries) changes nothing.
    let r = deliver_webhook(&app, &sign(WEBHOOK_SECRET, now + 5, &event), &event).await;
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["duplicate"], true);
    assert_eq!(order_state(&app, &op, &id).await["paid_at"], paid_at);
    assert_eq!(app.count("SELECT COUNT(*) FROM payment_event").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'order_paid'")
            .await,
        1
    );

    // A payment of the wrong amount does not pay a second order.
    let other = order(
        &app,
        &cart(json!([{"sku_id": g.chinsuko, "qty": 1}]), "card"),
        "card-2",
    )
    .await;
    let other_intent = other["card_payment"]["intent_id"]
        .as_str()
        .expect("intent")
        .to_string();
    let wrong = succeeded("evt_002", &other_intent, 1);
    let v: Value = deliver_webhook(&app, &sign(WEBHOOK_SECRET, now, &wrong), &wrong)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["outcome"], "amount_mismatch");
    assert_eq!(
        order_state(&app, &op, other["id"].as_str().expect("id")).await["payment_status"],
        "pending"
    );
    // A card payment never confirmed gives its stock back after the hour.
    let other_id = other["id"].as_str().expect("id");
    assert!(
        other["pay_by"].is_string(),
        "card orders have a payment deadline"
    );
    crate::shop::backdate(
        &app,
        other_id,
        entity::shop_order::Column::PayBy,
        chrono::Duration::minutes(1),
    )
    .await;
    let n = yuimaru::orders::service::expire_unpaid(&app.state)
        .await
        .expect("expire");
    assert_eq!(n, 1, "only the unconfirmed card order expires");
    assert_eq!(
        order_state(&app, &op, other_id).await["status"],
        "cancelled"
    );

    // Ship, deliver, return the tart: refunded through the provider by a job.
    let r = app
        .post_as(
            &op,
            "/api/v1/fulfilment/pick-list",
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id}/pack"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let number = o["number"].as_str().expect("number");
    let report = import_tracking(
        &app,
        &op,
        &format!("お客様管理番号,伝票番号\n{number}-1,400000000001\n"),
    )
    .await;
    assert_eq!(report["recorded"], 1, "{report}");
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id}/delivered"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let tart_line = o["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["sku_id"] == g.tart.as_str())
        .expect("tart")["id"]
        .clone();
    let r = app
        .post_as(
            &op,
            &format!("/api/v1/orders/{id}/returns"),
            &json!({"reason": "割れていた", "lines": [{"line_id": tart_line, "qty": 1, "disposition": "dispose", "loss_bearer": "producer"}]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["return"]["refund_status"], "pending");
    assert_eq!(v["return"]["refund_total"], 1080);
    app.run_pending_jobs().await;
    app.run_pending_jobs().await;
    let refunds = fake.seen("/v1/refunds");
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].form["amount"], "1080");
    assert_eq!(refunds[0].form["payment_intent"], intent.as_str());
    assert!(refunds[0].key.starts_with("return-"));
    let after = order_state(&app, &op, &id).await;
    assert_eq!(after["payment_status"], "partially_refunded");
    assert_eq!(after["refunded_total"], 1080);
    assert_eq!(after["refund_owed"], 0);
    assert_eq!(after["returns"][0]["refund_status"], "refunded");
    assert!(
        app.emails()
            .iter()
            .any(|m| m.subject.contains(number) && m.text.contains("1,080")),
        "refund email"
    );
}

db_test!(
    bank_statement_import,
    bank_statement_rows_mark_transfers_paid
);
async fn bank_statement_rows_mark_transfers_paid(b: Backend) {
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let op = g.op.clone();
    let o = order(
        &app,
        &cart(json!([{"sku_id": g.chinsuko, "qty": 1}]), "bank_transfer"),
        "bank-1",
    )
    .await;
    let (id, number, total) = (
        o["id"].as_str().expect("id").to_string(),
        o["number"].as_str().expect("n").to_string(),
        o["totals"]["grand_total"].as_i64().expect("total"),
    );
    let post = |csv: String| {
        let app = &app;
        let op = op.clone();
        async move {
            let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&csv);
            client()
                .post(app.url("/api/v1/payments/bank-import"))
                .bearer_auth(op)
                .header("content-type", "text/csv")
                .body(bytes.into_owned())
                .send()
                .await
                .expect("import")
        }
    };
    // The payer wrote the order number in full-width lower case before the name.
    let wide: String = number
        .to_lowercase()
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
        .collect();
    let csv = format!(
        "取引日,金額,振込依頼人名\n2026/11/21,\"{}\",{wide} ﾔﾏﾀﾞ ﾊﾅｺ\n2026/11/21,999,ﾀﾅｶ ｲﾁﾛｳ\n2026/11/21,{},{number} ﾔﾏﾀﾞ\n2026/11/21,abc,X\n",
        yuimaru::core::money::grouped(total),
        total + 1
    );
    let r = post(csv).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    let results: Vec<&str> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["result"].as_str().expect("result"))
        .collect();
    // The third row names the order but with another amount: it was already paid by row one.
    assert_eq!(
        results,
        ["paid", "no_match", "already_paid", "error"],
        "{v}"
    );
    assert_eq!(v["paid"], 1);
    assert_eq!(order_state(&app, &op, &id).await["payment_status"], "paid");
    let r = post("a,b\n1,2\n".into()).await;
    let e = assert_error(r, 422, "validation_failed").await;
    assert!(e.to_string().contains("file"));
    let (_, producer) = app
        .user_with_token(yuimaru::http::actor::Role::Producer)
        .await;
    let r = client()
        .post(app.url("/api/v1/payments/bank-import"))
        .bearer_auth(producer)
        .body("金額,振込依頼人名\n1,x\n")
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), 403);
}
