//! Inventory over HTTP: shipments, receiving, the ledger, reservations under concurrency.
use crate::{db_test, helpers::*, producers::approved_producer};
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

pub const LEDGER_MISMATCHES: &str = "SELECT COUNT(*) FROM stock_lot l WHERE \
    l.on_hand <> (SELECT COALESCE(SUM(m.on_hand_delta), 0) FROM stock_movement m WHERE m.lot_id = l.id) \
    OR l.reserved <> (SELECT COALESCE(SUM(m.reserved_delta), 0) FROM stock_movement m WHERE m.lot_id = l.id) \
    OR l.on_hand < 0 OR l.reserved < 0 OR l.reserved > l.on_hand";

pub fn day(offset: i64) -> String {
    ((chrono::Utc::now() + chrono::Duration::hours(9)).date_naive()
        + chrono::Duration::days(offset))
    .to_string()
}

/// A producer with one listed product and SKU; returns (producer token, sku id).
pub async fn producer_with_sku(app: &TestApp, op: &str, temperature: &str) -> (String, String) {
    let (_, _, pt) = approved_producer(app, op).await;
    let sku = sku_for(app, &pt, temperature).await;
    (pt, sku)
}

/// A product with one SKU of the producer signed in with `pt`; returns the SKU id.
pub async fn sku_for(app: &TestApp, pt: &str, temperature: &str) -> String {
    let body = json!({"title_ja": "もずく", "description_ja": "勝連産", "category_code": "processed", "temperature_class": temperature,
                      "shelf_life_days": 60, "ingredients": "もずく", "net_content": "200g", "storage": "要冷蔵"});
    let p: Value = app
        .post_as(pt, "/api/v1/products", &body)
        .await
        .json()
        .await
        .expect("json");
    let pid = p["id"].as_str().expect("id").to_string();
    let code = format!("MZ-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let s: Value = app
        .post_as(
            pt,
            &format!("/api/v1/products/{pid}/skus"),
            &json!({"code": code, "price_yen": 400, "weight_g": 250}),
        )
        .await
        .json()
        .await
        .expect("json");
    s["id"].as_str().expect("sku").to_string()
}

pub async fn location(app: &TestApp, op: &str, zone: &str) -> String {
    let code = format!(
        "{zone}-{}",
        &uuid::Uuid::now_v7().simple().to_string()[24..]
    );
    let v: Value = app
        .post_as(
            op,
            "/api/v1/locations",
            &json!({"code": code, "zone": zone}),
        )
        .await
        .json()
        .await
        .expect("json");
    v["id"].as_str().expect("location").to_string()
}

/// Declares, ships and fully receives `qty` units of `sku` dated `best_before`.
pub async fn stock(
    app: &TestApp,
    op: &str,
    pt: &str,
    sku: &str,
    qty: i64,
    best_before: &str,
    loc: &str,
) -> Value {
    stock_class(app, op, pt, sku, qty, best_before, loc, "ambient").await
}

/// [`stock`] for a shipment of temperature class `class`.
#[allow(clippy::too_many_arguments)]
pub async fn stock_class(
    app: &TestApp,
    op: &str,
    pt: &str,
    sku: &str,
    qty: i64,
    best_before: &str,
    loc: &str,
    class: &str,
) -> Value {
    // Receiving refuses lots already inside the sale window; such lots are received with a
    // later date and then aged (the lot's date moves rather than the clock).
    let near = best_before < day(60).as_str();
    let declared = if near {
        day(400)
    } else {
        best_before.to_string()
    };
    let s: Value = app
        .post_as(pt, "/api/v1/inbound-shipments", &json!({"temperature_class": class, "transport": "ferry",
            "lines": [{"sku_id": sku, "qty": qty, "lot_code": format!("L{best_before}"), "best_before": declared}]}))
        .await
        .json()
        .await
        .expect("json");
    let id = s["id"].as_str().expect("shipment").to_string();
    assert_eq!(
        app.post_as(
            pt,
            &format!("/api/v1/inbound-shipments/{id}/ship"),
            &json!({})
        )
        .await
        .status(),
        200
    );
    let line = s["lines"][0]["id"].as_str().expect("line").to_string();
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/inbound-shipments/{id}/receipts")))
        .bearer_auth(op)
        .header("idempotency-key", format!("rcv-{id}"))
        .json(&json!({"lines": [{"line_id": line, "received": qty, "location_id": loc}]}))
        .send()
        .await
        .expect("receive");
    assert_eq!(r.status(), 201);
    if near {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        let date = chrono::NaiveDate::parse_from_str(best_before, "%Y-%m-%d").expect("date");
        entity::stock_lot::Entity::update_many()
            .col_expr(entity::stock_lot::Column::BestBefore, Expr::value(date))
            .filter(entity::stock_lot::Column::LotCode.eq(format!("L{best_before}")))
            .filter(entity::stock_lot::Column::SkuId.eq(uuid::Uuid::parse_str(sku).expect("sku")))
            .exec(app.db())
            .await
            .expect("age the lot");
    }
    r.json().await.expect("json")
}

/// An app with an operator, a producer and one SKU with `qty` units dated in 90 days;
/// returns (app, operator token, producer token, SKU id).
async fn stocked(b: Backend, qty: i64) -> (TestApp, String, String, String) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &sku, qty, &day(90), &loc).await;
    (app, op, pt, sku)
}

async fn reserve(app: &TestApp, token: &str, body: Value, key: Option<&str>) -> reqwest::Response {
    let mut rq = reqwest::Client::new()
        .post(app.url("/api/v1/stock/reservations"))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        rq = rq.header("idempotency-key", k);
    }
    rq.send().await.expect("reserve")
}

async fn receiving_creates_lots_records_discrepancies_and_is_idempotent(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let ambient = location(&app, &op, "ambient").await;
    let chilled = location(&app, &op, "chilled").await;
    let s: Value = app
        .post_as(
            &pt,
            "/api/v1/inbound-shipments",
            &json!({"temperature_class": "ambient", "transport": "ferry", "boxes": 2,
            "lines": [{"sku_id": sku, "qty": 12, "lot_code": "A1", "production_date": day(0)}]}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(s["status"], "draft");
    assert_eq!(
        s["lines"][0]["best_before"],
        day(60),
        "derived from the production date and shelf life"
    );
    let id = s["id"].as_str().expect("id").to_string();
    let line = s["lines"][0]["id"].as_str().expect("line").to_string();
    // Not shipped yet.
    let receive = |key: &'static str, body: Value| {
        let app = &app;
        let op = op.clone();
        let url = app.url(&format!("/api/v1/inbound-shipments/{id}/receipts"));
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(op)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("receive")
        }
    };
    let first = json!({"lines": [{"line_id": line, "received": 10, "damaged": 1, "damage_bearer": "carrier",
                                  "location_id": ambient}]});
    assert_error(
        receive("e1", first.clone()).await,
        409,
        "invalid_transition",
    )
    .await;
    app.post_as(
        &pt,
        &format!("/api/v1/inbound-shipments/{id}/ship"),
        &json!({}),
    )
    .await;
    // A chilled bin cannot take an ambient lot's… and vice versa.
    let e = assert_error(
        receive(
            "e0",
            json!({"lines": [{"line_id": line, "received": 1, "location_id": chilled}]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]["lines[0].location_id"].is_string(),
        "{e}"
    );
    // Damaged units need someone who bears them.
    let e = assert_error(
        receive(
            "e0",
            json!({"lines": [{"line_id": line, "received": 1, "damaged": 1, "location_id": ambient}]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]["lines[0].damage_bearer"].is_string(),
        "{e}"
    );
    let r = receive("e1", first.clone()).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "partially_received");
    assert_eq!(v["lines"][0]["missing_qty"], 1);
    // The event keeps what it counted, per line.
    let counted = &v["receipts"][0]["lines"][0];
    assert_eq!(
        (
            counted["received"].as_i64(),
            counted["damaged"].as_i64(),
            counted["damage_bearer"].as_str()
        ),
        (Some(10), Some(1), Some("carrier"))
    );
    assert!(counted["lot_id"].is_string());
    // The same event again changes nothing.
    let r = receive("e1", first).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(on_hand), 0) AS BIGINT) FROM stock_lot")
            .await,
        10
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM stock_movement").await, 1);
    // The last unit arrives in a second event: received.
    let v: Value = receive(
        "e2",
        json!({"lines": [{"line_id": line, "received": 1, "location_id": ambient}]}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["status"], "received");
    assert_eq!(v["lines"][0]["missing_qty"], 0);
    let lots: Value = app
        .get_as(&pt, &format!("/api/v1/stock?sku_id={sku}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(lots["items"][0]["on_hand"], 11);
    assert_eq!(lots["items"][0]["available"], 11);
    assert_eq!(lots["items"][0]["days_to_date"], 60);
    assert_eq!(app.count(LEDGER_MISMATCHES).await, 0);
    // Cancelling after receipt is refused.
    assert_error(
        app.post_as(
            &pt,
            &format!("/api/v1/inbound-shipments/{id}/cancel"),
            &json!({}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    // Closing is for operators; a closed shipment takes no more receipts.
    let close = format!("/api/v1/inbound-shipments/{id}/close");
    assert_error(app.post_as(&pt, &close, &json!({})).await, 403, "forbidden").await;
    let v: Value = app_get(&app, &op, &format!("/api/v1/inbound-shipments/{id}")).await;
    assert_eq!(v["status"], "received");
    let r = app.post_as(&op, &close, &json!({})).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "closed");
    assert_error(
        app.post_as(&op, &close, &json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
    assert_error(
        receive(
            "e3",
            json!({"lines": [{"line_id": line, "received": 1, "location_id": ambient}]}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
}
db_test!(
    receiving_creates_lots_records_discrepancies_and_a_retry_changes_nothing,
    receiving_creates_lots_records_discrepancies_and_is_idempotent
);

async fn concurrent_reservations_never_oversell(b: Backend) {
    let app = spawn_app(b).await;
    let other = spawn_second_instance(&app).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &sku, 5, &day(90), &loc).await;
    let mut handles = Vec::new();
    for i in 0..200 {
        let base = if i % 2 == 0 {
            app.url("")
        } else {
            other.url("")
        };
        let (op, sku) = (op.clone(), sku.clone());
        handles.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/stock/reservations"))
                .bearer_auth(op)
                .json(&json!({"lines": [{"sku_id": sku, "qty": 1}], "reference": format!("call {i}")}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap_or(0));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        195,
        "{statuses:?}"
    );
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        5
    );
    assert_eq!(app.count(LEDGER_MISMATCHES).await, 0);
    // Two lines of the same SKU are summed: 3 + 3 against 5 is refused, nothing held.
    let (pt2, sku2) = producer_with_sku(&app, &op, "ambient").await;
    stock(&app, &op, &pt2, &sku2, 5, &day(90), &loc).await;
    let r = reserve(
        &app,
        &op,
        json!({"lines": [{"sku_id": sku2, "qty": 3}, {"sku_id": sku2, "qty": 3}]}),
        None,
    )
    .await;
    let e = assert_error(r, 409, "out_of_stock").await;
    assert_eq!(e["error"]["details"]["requested"], 6);
    assert_eq!(e["error"]["details"]["available"], 5);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reservation_line").await,
        5,
        "only the 5 single holds"
    );
}
db_test!(
    two_hundred_concurrent_reservations_on_two_instances_sell_exactly_the_five_units,
    concurrent_reservations_never_oversell
);

async fn fefo_skips_lots_too_close_to_their_date(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &sku, 4, &day(30), &loc).await;
    stock(&app, &op, &pt, &sku, 4, &day(20), &loc).await;
    stock(&app, &op, &pt, &sku, 4, &day(5), &loc).await; // inside the 7-day minimum
    let lots: Value = app
        .get_as(&op, &format!("/api/v1/stock?sku_id={sku}"))
        .await
        .json()
        .await
        .expect("json");
    let lot_of = |d: String| {
        lots["items"]
            .as_array()
            .expect("lots")
            .iter()
            .find(|l| l["best_before"] == d.as_str())
            .map(|l| l["id"].clone())
            .expect("lot")
    };
    let v: Value = reserve(
        &app,
        &op,
        json!({"lines": [{"sku_id": sku, "qty": 1}]}),
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(
        v["allocations"][0]["lot_id"],
        lot_of(day(20)),
        "earliest eligible lot"
    );
    // 6 more: 3 left in the day-20 lot, then the day-30 lot; the day-5 lot is never used.
    let v: Value = reserve(
        &app,
        &op,
        json!({"lines": [{"sku_id": sku, "qty": 6}]}),
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    let allocs = v["allocations"].as_array().expect("allocations");
    assert_eq!(allocs.len(), 2);
    assert_eq!(allocs[0]["lot_id"], lot_of(day(20)));
    assert_eq!(allocs[0]["qty"], 3);
    assert_eq!(allocs[1]["lot_id"], lot_of(day(30)));
    assert_eq!(allocs[1]["qty"], 3);
    // Only 1 eligible unit left (the day-5 lot is too close to its date).
    let e = assert_error(
        reserve(
            &app,
            &op,
            json!({"lines": [{"sku_id": sku, "qty": 2}]}),
            None,
        )
        .await,
        409,
        "out_of_stock",
    )
    .await;
    assert_eq!(e["error"]["details"]["available"], 1);
    // Shipping to another prefecture needs 3 more days: the day-30 lot still qualifies.
    let r = reserve(
        &app,
        &op,
        json!({"lines": [{"sku_id": sku, "qty": 1}], "destination_prefecture": "13"}),
        None,
    )
    .await;
    assert_eq!(r.status(), 201);
}
db_test!(
    fefo_picks_the_earliest_eligible_lot_and_skips_lots_inside_the_minimum_window,
    fefo_skips_lots_too_close_to_their_date
);

async fn rules_override_the_shelf_life_minimum_and_transit_days(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &sku, 5, &day(5), &loc).await;
    stock(&app, &op, &pt, &sku, 5, &day(12), &loc).await;
    let one = |dest: Option<&str>| match dest {
        Some(d) => json!({"lines": [{"sku_id": sku, "qty": 1}], "destination_prefecture": d}),
        None => json!({"lines": [{"sku_id": sku, "qty": 1}]}),
    };
    // The day-5 lot is inside the 7-day window: available, but not sellable.
    let totals = app_get(&app, &op, &format!("/api/v1/stock/skus?sku_id={sku}")).await;
    assert_eq!(totals["items"][0]["available"], 10);
    assert_eq!(totals["items"][0]["sellable"], 5);
    // Default minimum of 7 days: the day-5 lot is not eligible.
    assert_eq!(reserved_date(&app, &op, &sku, one(None)).await, day(12));

    // Bad rules name their field; producers may not set rules.
    for (body, field) in [
        (
            json!({"kind": "shelf", "key": "processed", "days": 3}),
            "kind",
        ),
        (
            json!({"kind": "min_days_category", "key": "no-such", "days": 3}),
            "key",
        ),
        (
            json!({"kind": "transit_days_prefecture", "key": "48", "days": 3}),
            "key",
        ),
        (
            json!({"kind": "min_days_category", "key": "processed", "days": -1}),
            "days",
        ),
    ] {
        let e = assert_error(
            app.put_as(&op, "/api/v1/inventory-rules", &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(e["error"]["details"]["fields"][field].is_string(), "{body}");
    }
    assert_error(
        app.put_as(
            &pt,
            "/api/v1/inventory-rules",
            &json!({"kind": "min_days_category", "key": "processed", "days": 3}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // Processed foods need only 3 days here: FEFO now takes the day-5 lot first.
    set_rule(&app, &op, "min_days_category", "processed", 3).await;
    assert_eq!(reserved_date(&app, &op, &sku, one(None)).await, day(5));

    // Okinawa deliveries take 10 days on this route: 3 + 10 > 12, nothing qualifies.
    set_rule(&app, &op, "transit_days_prefecture", "47", 10).await;
    assert_error(
        reserve(&app, &op, one(Some("47")), None).await,
        409,
        "out_of_stock",
    )
    .await;
    // Receiving a lot dated inside the category's minimum is refused; refusing it is fine.
    let s: Value = app
        .post_as(
            &pt,
            "/api/v1/inbound-shipments",
            &json!({"temperature_class": "ambient", "transport": "ferry",
            "lines": [{"sku_id": sku, "qty": 2, "lot_code": "NEAR", "best_before": day(2)}]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let sid = s["id"].as_str().expect("shipment");
    app.post_as(
        &pt,
        &format!("/api/v1/inbound-shipments/{sid}/ship"),
        &json!({}),
    )
    .await;
    let receipt = |received: i64, refused: i64| {
        reqwest::Client::new()
            .post(app.url(&format!("/api/v1/inbound-shipments/{sid}/receipts")))
            .bearer_auth(&op)
            .header("idempotency-key", format!("near-{received}"))
            .json(&json!({"lines": [{"line_id": s["lines"][0]["id"], "received": received, "refused": refused, "location_id": loc}]}))
            .send()
    };
    let e = assert_error(
        receipt(2, 0).await.expect("receive"),
        422,
        "validation_failed",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]["lines[0].received"]
            .as_str()
            .is_some_and(|m| m.contains("refused")),
        "{e}"
    );
    assert_eq!(receipt(0, 2).await.expect("receive").status(), 201);
    // Tokyo keeps the default 3 transit days: 3 + 3 = 6, only the day-12 lot.
    assert_eq!(
        reserved_date(&app, &op, &sku, one(Some("13"))).await,
        day(12)
    );

    // Replacing a rule keeps one row per (kind, key).
    set_rule(&app, &op, "transit_days_prefecture", "47", 2).await;
    let rules: Value = app_get(&app, &op, "/api/v1/inventory-rules").await;
    let items = rules["items"].as_array().expect("rules");
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|r| r["key"] == "47" && r["days"] == 2));
    assert_eq!(
        reserved_date(&app, &op, &sku, one(Some("47"))).await,
        day(5)
    );
}
db_test!(
    per_aggregator_rules_change_which_lots_a_reservation_may_use,
    rules_override_the_shelf_life_minimum_and_transit_days
);

async fn set_rule(app: &TestApp, op: &str, kind: &str, key: &str, days: i32) {
    let body = json!({"kind": kind, "key": key, "days": days});
    let r = app.put_as(op, "/api/v1/inventory-rules", &body).await;
    assert_eq!(r.status(), 200, "{body}");
}

/// Reserves with `body` and returns the best-before date of the lot the first allocation took.
async fn reserved_date(app: &TestApp, op: &str, sku: &str, body: Value) -> String {
    let r = reserve(app, op, body, None).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.expect("json");
    let lot = v["allocations"][0]["lot_id"]
        .as_str()
        .expect("lot")
        .to_string();
    let lots = app_get(app, op, &format!("/api/v1/stock?sku_id={sku}")).await;
    lots["items"]
        .as_array()
        .expect("lots")
        .iter()
        .find(|l| l["id"] == lot.as_str())
        .map(|l| l["best_before"].as_str().expect("date").to_string())
        .expect("lot")
}

async fn app_get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get_as(token, path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.expect("json")
}

async fn reservations_are_idempotent_released_consumed_and_expire(b: Backend) {
    let app = spawn_app(b).await;
    let other = spawn_second_instance(&app).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &sku, 10, &day(90), &loc).await;
    let body = json!({"lines": [{"sku_id": sku, "qty": 2}], "reference": "phone order"});
    let r1 = reserve(&app, &op, body.clone(), Some("hold-1")).await;
    assert_eq!(r1.status(), 201);
    let v1: Value = r1.json().await.expect("json");
    let r2 = reserve(&app, &op, body.clone(), Some("hold-1")).await;
    assert_eq!(r2.status(), 200, "a retry gets the stored reservation");
    let v2: Value = r2.json().await.expect("json");
    assert_eq!(v1["id"], v2["id"]);
    let e = assert_error(
        reserve(
            &app,
            &op,
            json!({"lines": [{"sku_id": sku, "qty": 3}]}),
            Some("hold-1"),
        )
        .await,
        422,
        "idempotency_key_reused",
    )
    .await;
    assert!(e["error"]["message"].is_string());
    // The same key sent 100 times at once on two instances: one reservation.
    let mut handles = Vec::new();
    for i in 0..100 {
        let base = if i % 2 == 0 {
            app.url("")
        } else {
            other.url("")
        };
        let (op, body) = (op.clone(), json!({"lines": [{"sku_id": sku, "qty": 1}]}));
        handles.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/stock/reservations"))
                .bearer_auth(op)
                .header("idempotency-key", "burst")
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap_or(0));
    }
    assert!(
        statuses.iter().all(|s| [200, 201, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reservation WHERE idempotency_key = 'burst'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        3
    );
    // Release and consume.
    let id = v1["id"].as_str().expect("id");
    let v: Value = app
        .post_as(
            &op,
            &format!("/api/v1/stock/reservations/{id}/consume"),
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "consumed");
    assert_error(
        app.post_as(
            &op,
            &format!("/api/v1/stock/reservations/{id}/release"),
            &json!({}),
        )
        .await,
        409,
        "reservation_not_held",
    )
    .await;
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(on_hand), 0) AS BIGINT) FROM stock_lot")
            .await,
        8
    );
    // An overdue hold is released by the job.
    let v: Value = reserve(
        &app,
        &op,
        json!({"lines": [{"sku_id": sku, "qty": 4}], "expires_in_minutes": 1}),
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    let hold = v["id"].as_str().expect("id").to_string();
    use sea_orm::{EntityTrait, QueryFilter, sea_query::Expr};
    entity::reservation::Entity::update_many()
        .col_expr(
            entity::reservation::Column::ExpiresAt,
            Expr::value(Some(chrono::Utc::now() - chrono::Duration::minutes(1))),
        )
        .filter(sea_orm::ColumnTrait::eq(
            &entity::reservation::Column::Id,
            uuid::Uuid::parse_str(&hold).expect("uuid"),
        ))
        .exec(app.db())
        .await
        .expect("age the hold");
    entity::job_schedule::Entity::update_many()
        .col_expr(
            entity::job_schedule::Column::NextRunAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .exec(app.db())
        .await
        .expect("due");
    app.run_pending_jobs().await;
    let v: Value = app
        .get_as(&op, &format!("/api/v1/stock/reservations/{hold}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "expired");
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        1,
        "only the burst hold remains"
    );
    assert_eq!(app.count(LEDGER_MISMATCHES).await, 0);
    // Scope: producers see their own stock and movements, cannot reserve; officers nothing.
    assert_error(
        reserve(
            &app,
            &pt,
            json!({"lines": [{"sku_id": sku, "qty": 1}]}),
            None,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let mv: Value = app
        .get_as(&pt, &format!("/api/v1/stock/movements?sku_id={sku}"))
        .await
        .json()
        .await
        .expect("json");
    assert!(mv["items"].as_array().map(Vec::len).unwrap_or(0) >= 5);
    let (other_pt, _) = producer_with_sku(&app, &op, "ambient").await;
    let theirs: Value = app
        .get_as(&other_pt, &format!("/api/v1/stock?sku_id={sku}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    let (_, officer) = app.user_with_token(Role::Officer).await;
    assert_error(
        app.get_as(&officer, "/api/v1/stock").await,
        403,
        "forbidden",
    )
    .await;
}
db_test!(
    reservations_are_idempotent_and_can_be_released_consumed_or_expire,
    reservations_are_idempotent_released_consumed_and_expire
);

async fn adjustments_charge_losses_and_recall_traces_lots(b: Backend) {
    let (app, op, _, sku) = stocked(b, 10).await;
    let lots: Value = app
        .get_as(&op, &format!("/api/v1/stock?sku_id={sku}"))
        .await
        .json()
        .await
        .expect("json");
    let lot = lots["items"][0]["id"].as_str().expect("lot").to_string();
    let held: Value = reserve(
        &app,
        &op,
        json!({"lines": [{"sku_id": sku, "qty": 7}], "reference": "order YM-1"}),
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    // A loss needs a bearer; it cannot eat reserved units.
    let adj = |body: Value| {
        let app = &app;
        let op = op.clone();
        async move { app.post_as(&op, "/api/v1/stock/adjustments", &body).await }
    };
    let e = assert_error(
        adj(json!({"lot_id": lot, "kind": "damage", "qty_delta": -1, "reason": "箱がつぶれた"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["loss_bearer"].is_string());
    assert_error(adj(json!({"lot_id": lot, "kind": "damage", "qty_delta": -4, "reason": "x", "loss_bearer": "producer"})).await, 409, "insufficient_stock").await;
    let r = adj(json!({"lot_id": lot, "kind": "damage", "qty_delta": -2, "reason": "箱がつぶれた", "loss_bearer": "producer"})).await;
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.expect("json");
    assert_eq!(
        (
            m["kind"].clone(),
            m["on_hand_delta"].clone(),
            m["loss_bearer"].clone()
        ),
        (json!("damage"), json!(-2), json!("producer"))
    );
    let r = adj(
        json!({"lot_id": lot, "kind": "adjustment", "qty_delta": 1, "reason": "棚卸で1個多かった"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_error(
        adj(json!({"lot_id": lot, "kind": "theft", "qty_delta": -1, "reason": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    app.run_pending_jobs().await;
    assert!(
        app.emails()
            .iter()
            .any(|m| m.subject.contains("在庫の減少")),
        "the producer is told about its loss"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'stock_adjusted'")
            .await,
        2
    );
    assert_eq!(app.count(LEDGER_MISMATCHES).await, 0);
    // Recall: the lot's reservation is found.
    let trace: Value = app
        .get_as(&op, &format!("/api/v1/stock/recall?lot_id={lot}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(trace["items"][0]["reservation_id"], held["id"]);
    assert_eq!(trace["items"][0]["qty"], 7);
    assert_eq!(trace["items"][0]["reference"], "order YM-1");
    assert_error(
        app.get_as(&op, "/api/v1/stock/recall").await,
        422,
        "validation_failed",
    )
    .await;
}
db_test!(
    adjustments_record_reasons_and_bearers_and_recall_finds_every_reservation_of_a_lot,
    adjustments_charge_losses_and_recall_traces_lots
);

async fn shipped_units_come_back_restocked_or_disposed_once(b: Backend) {
    let (app, op, pt, sku) = stocked(b, 10).await;
    let held: Value = reserve(
        &app,
        &op,
        json!({"lines": [{"sku_id": sku, "qty": 6}], "reference": "order YM-7"}),
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    let id = held["id"].as_str().expect("id").to_string();
    let lot = held["allocations"][0]["lot_id"]
        .as_str()
        .expect("lot")
        .to_string();
    let ret = |body: Value, key: &'static str| {
        let url = app.url(&format!("/api/v1/stock/reservations/{id}/returns"));
        let op = op.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(op)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("return")
        }
    };
    let restock2 = json!({"reason": "受取拒否", "lines": [{"lot_id": lot, "qty": 2, "disposition": "restock"}]});
    // Only shipped reservations take returns.
    assert_error(
        ret(restock2.clone(), "r-1").await,
        409,
        "reservation_not_consumed",
    )
    .await;
    let consumed = app
        .post_as(
            &op,
            &format!("/api/v1/stock/reservations/{id}/consume"),
            &json!({}),
        )
        .await;
    assert_eq!(consumed.status(), 200);
    let on_hand = || async {
        app_get(&app, &op, &format!("/api/v1/stock?sku_id={sku}")).await["items"][0]["on_hand"]
            .as_i64()
            .expect("on_hand")
    };
    assert_eq!(on_hand().await, 4);

    // Bad lines name their field.
    for (body, field) in [
        (
            json!({"reason": "x", "lines": [{"lot_id": lot, "qty": 1, "disposition": "resell"}]}),
            "lines[0].disposition",
        ),
        (
            json!({"reason": "x", "lines": [{"lot_id": lot, "qty": 1, "disposition": "dispose"}]}),
            "lines[0].loss_bearer",
        ),
        (
            json!({"reason": "x", "lines": [{"lot_id": lot, "qty": 0, "disposition": "restock"}]}),
            "lines[0].qty",
        ),
        (
            json!({"reason": "x", "lines": [{"lot_id": uuid::Uuid::now_v7(), "qty": 1, "disposition": "restock"}]}),
            "lines[0].lot_id",
        ),
        (
            json!({"reason": " ", "lines": [{"lot_id": lot, "qty": 1, "disposition": "restock"}]}),
            "reason",
        ),
    ] {
        let e = assert_error(ret(body.clone(), "bad").await, 422, "validation_failed").await;
        assert!(e["error"]["details"]["fields"][field].is_string(), "{body}");
    }

    // Restock 2: on hand goes back up; the retry changes nothing.
    assert_eq!(ret(restock2.clone(), "r-1").await.status(), 201);
    assert_eq!(on_hand().await, 6);
    let again = ret(restock2, "r-1").await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["movements"].as_array().expect("movements").len(), 1);
    assert_eq!(on_hand().await, 6);
    assert_error(
        ret(json!({"reason": "受取拒否", "lines": [{"lot_id": lot, "qty": 1, "disposition": "restock"}]}), "r-1").await,
        422,
        "idempotency_key_reused",
    )
    .await;

    // Dispose 3 at the producer's charge: back in, then out, with a bearer; the producer is told.
    let r = ret(
        json!({"reason": "破損して返品", "lines": [{"lot_id": lot, "qty": 3, "disposition": "dispose", "loss_bearer": "producer"}]}),
        "r-2",
    )
    .await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.expect("json");
    let kinds: Vec<&str> = v["movements"]
        .as_array()
        .expect("movements")
        .iter()
        .map(|m| m["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["return_to_stock", "disposal"]);
    assert_eq!(v["movements"][1]["loss_bearer"], "producer");
    assert_eq!(on_hand().await, 6);

    // 6 shipped, 5 back: 2 more is refused and nothing changes.
    let e = assert_error(
        ret(
            json!({"reason": "x", "lines": [{"lot_id": lot, "qty": 2, "disposition": "restock"}]}),
            "r-3",
        )
        .await,
        409,
        "return_exceeds_shipped",
    )
    .await;
    assert_eq!(e["error"]["details"]["returned"], 5);
    assert_eq!(on_hand().await, 6);
    let r: Value = app_get(&app, &op, &format!("/api/v1/stock/reservations/{id}")).await;
    assert_eq!(r["allocations"][0]["returned_qty"], 5);
    assert_eq!(app.count(LEDGER_MISMATCHES).await, 0);
    app.run_pending_jobs().await;
    assert!(
        app.emails()
            .iter()
            .any(|m| m.subject.contains("在庫の減少")),
        "the producer is told about the disposal charged to them"
    );
    // Producers cannot book returns.
    assert_error(
        app.post_as(
            &pt,
            &format!("/api/v1/stock/reservations/{id}/returns"),
            &json!({"reason": "x", "lines": [{"lot_id": lot, "qty": 1, "disposition": "restock"}]}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
}
db_test!(
    returns_restock_or_dispose_shipped_units_never_more_than_shipped_and_retries_change_nothing,
    shipped_units_come_back_restocked_or_disposed_once
);

async fn warehouse_view_filters_and_exports(b: Backend) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, ambient) = producer_with_sku(&app, &op, "ambient").await;
    let (pt2, chilled) = producer_with_sku(&app, &op, "chilled").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &ambient, 3, &day(60), &loc).await;
    let cold = location(&app, &op, "chilled").await;
    stock_class(&app, &op, &pt2, &chilled, 4, &day(20), &cold, "chilled").await;
    // The chilled producer moves to Miyako.
    let me: Value = app_get(&app, &pt2, "/api/v1/me").await;
    let pid = uuid::Uuid::parse_str(me["producer_id"].as_str().expect("producer")).expect("uuid");
    entity::producer::Entity::update_many()
        .col_expr(entity::producer::Column::IslandCode, Expr::value("miyako"))
        .filter(entity::producer::Column::Id.eq(pid))
        .exec(app.db())
        .await
        .expect("move");
    let skus_of = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|l| l["sku_id"].as_str().expect("sku").to_string())
            .collect()
    };
    let all = skus_of(app_get(&app, &op, "/api/v1/stock").await);
    assert!(all.contains(&ambient) && all.contains(&chilled));
    assert_eq!(
        skus_of(app_get(&app, &op, "/api/v1/stock?temperature_class=chilled").await),
        std::slice::from_ref(&chilled)
    );
    assert_eq!(
        skus_of(app_get(&app, &op, "/api/v1/stock?island_code=miyako").await),
        std::slice::from_ref(&chilled)
    );
    assert_eq!(
        skus_of(
            app_get(
                &app,
                &op,
                "/api/v1/stock?island_code=ishigaki&expiring_within_days=90"
            )
            .await
        ),
        std::slice::from_ref(&ambient)
    );
    let e = assert_error(
        app.get_as(&op, "/api/v1/stock?temperature_class=warm")
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["temperature_class"].is_string());
    // Per SKU: totals over its lots with stock, the nearest date first to act on.
    stock(&app, &op, &pt, &ambient, 2, &day(75), &loc).await;
    let totals = app_get(&app, &op, "/api/v1/stock/skus").await;
    let row = |v: &Value, sku: &str| {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["sku_id"] == sku)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let a = row(&totals, &ambient);
    assert_eq!(
        (
            a["lots"].as_i64(),
            a["on_hand"].as_i64(),
            a["available"].as_i64()
        ),
        (Some(2), Some(5), Some(5))
    );
    assert_eq!(a["next_date"], day(60));
    assert_eq!(row(&totals, &chilled)["on_hand"], 4);
    let cold_only = app_get(&app, &op, "/api/v1/stock/skus?temperature_class=chilled").await;
    assert_eq!(cold_only["items"].as_array().map(Vec::len), Some(1));
    let own = app_get(&app, &pt, "/api/v1/stock/skus").await;
    assert_eq!(own["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(own["items"][0]["sku_id"], ambient.as_str());
    // A producer's filters never reach another producer's lots.
    assert!(
        skus_of(app_get(&app, &pt, "/api/v1/stock?temperature_class=chilled").await).is_empty()
    );

    // Movement history as CSV (Shift_JIS for Excel), oldest first.
    let r = app
        .get_as(
            &pt2,
            &format!("/api/v1/stock/movements/export?sku_id={chilled}&encoding=shift_jis"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("type")
            .contains("Shift_JIS")
    );
    let bytes = r.bytes().await.expect("body");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("time_jst,kind,sku_code,lot_code,on_hand_delta"));
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].contains(",receipt,") && lines[1].contains(&format!(",L{},4,0,", day(20))),
        "{text}"
    );
    assert_error(
        app.get_as(
            &pt,
            &format!(
                "/api/v1/stock/movements/export?lot_id={}",
                uuid::Uuid::now_v7()
            ),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}
db_test!(
    the_warehouse_view_filters_by_island_temperature_and_date_and_exports_movements,
    warehouse_view_filters_and_exports
);

async fn receiving_photos_are_stripped_and_shown_to_staff_and_the_producer(b: Backend) {
    use crate::photos::{jpeg_with_gps, upload_to};
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let (other, _) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    let shipment = stock(&app, &op, &pt, &sku, 5, &day(90), &loc).await;
    let sid = shipment["id"].as_str().expect("shipment").to_string();
    let rid = shipment["receipts"][0]["id"]
        .as_str()
        .expect("receipt")
        .to_string();
    let path = format!("/api/v1/inbound-shipments/{sid}/receipts/{rid}/photos");

    let r = upload_to(&app, &op, &path, jpeg_with_gps(640, 480), "box.jpg").await;
    assert_eq!(r.status(), 201);
    let photo: Value = r.json().await.expect("json");
    let url = photo["url"].as_str().expect("url").to_string();
    // The producer sees it (metadata gone); another producer and strangers do not.
    let r = app.get_as(&pt, &url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let bytes = r.bytes().await.expect("bytes");
    assert!(!bytes.windows(4).any(|w| w == b"GPS "), "EXIF is stripped");
    assert_error(app.get_as(&other, &url).await, 404, "not_found").await;
    assert_eq!(
        reqwest::get(app.url(&url)).await.expect("get").status(),
        401
    );
    let v: Value = app_get(&app, &pt, &format!("/api/v1/inbound-shipments/{sid}")).await;
    assert_eq!(v["receipts"][0]["photos"][0], photo["id"]);

    // Bad uploads: not an image, a producer, a receipt of another shipment.
    let e = assert_error(
        upload_to(&app, &op, &path, b"not an image".to_vec(), "x.jpg").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["file"].is_string());
    assert_error(
        upload_to(&app, &pt, &path, jpeg_with_gps(10, 10), "x.jpg").await,
        403,
        "forbidden",
    )
    .await;
    let other_shipment = stock(&app, &op, &pt, &sku, 1, &day(80), &loc).await;
    let wrong = format!(
        "/api/v1/inbound-shipments/{}/receipts/{rid}/photos",
        other_shipment["id"].as_str().expect("id")
    );
    assert_error(
        upload_to(&app, &op, &wrong, jpeg_with_gps(10, 10), "x.jpg").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM receipt_photo").await, 1);
}
db_test!(
    receiving_photos_are_stripped_and_shown_to_staff_and_the_producer,
    receiving_photos_are_stripped_and_shown_to_staff_and_the_producer
);

/// One step of the ledger property test.
#[derive(Debug, Clone)]
enum Op {
    Receive(i64),
    Reserve(i64),
    Release(usize),
    Consume(usize),
    /// Units of a shipped reservation back: (which, how many, dispose?).
    Return(usize, i64, bool),
    Adjust(i64),
}

fn any_op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (1i64..20).prop_map(Op::Receive),
        (1i64..8).prop_map(Op::Reserve),
        (0usize..8).prop_map(Op::Release),
        (0usize..8).prop_map(Op::Consume),
        (0usize..8, 1i64..5, any::<bool>()).prop_map(|(i, n, d)| Op::Return(i, n, d)),
        (-6i64..6)
            .prop_filter("non-zero", |n| *n != 0)
            .prop_map(Op::Adjust),
    ]
}

async fn the_ledger_always_matches_the_balances(b: Backend) {
    use proptest::{
        strategy::Strategy,
        test_runner::{Config, TestRunner},
    };
    use yuimaru::inventory::{adjustments, ledger, reservations, returns};
    let app = spawn_app(b).await;
    let op_user = app.create_user(Role::Operator, Some("default")).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &sku, 10, &day(90), &loc).await;
    let lots: Value = app
        .get_as(&op, &format!("/api/v1/stock?sku_id={sku}"))
        .await
        .json()
        .await
        .expect("json");
    let lot = uuid::Uuid::parse_str(lots["items"][0]["id"].as_str().expect("lot")).expect("uuid");
    let sku_id = uuid::Uuid::parse_str(&sku).expect("uuid");
    let agg = app.default_aggregator().await;
    let actor = yuimaru::http::actor::Actor {
        user_id: op_user.id,
        email: op_user.email.clone(),
        display_name: "op".into(),
        role: Role::Operator,
        aggregator_id: Some(agg),
        producer_id: None,
        prefecture_code: None,
        locale: "ja".into(),
        via: yuimaru::http::actor::Via::Cli,
    };
    // Sequences are generated up front; each runs against the same real tables.
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let mut sequences = Vec::new();
    for _ in 0..24 {
        let tree = proptest::collection::vec(any_op(), 1..30)
            .new_tree(&mut runner)
            .expect("strategy");
        sequences.push(proptest::strategy::ValueTree::current(&tree));
    }
    let mut held: Vec<uuid::Uuid> = Vec::new();
    let mut shipped: Vec<uuid::Uuid> = Vec::new();
    for seq in sequences {
        for step in seq {
            match step {
                Op::Receive(n) => {
                    let ok = ledger::apply(
                        app.db(),
                        &ledger::Change {
                            aggregator_id: agg,
                            lot_id: lot,
                            sku_id,
                            kind: ledger::kind::RECEIPT,
                            on_hand_delta: n,
                            reserved_delta: 0,
                            cause_type: "test",
                            cause_id: None,
                            actor_user_id: None,
                            loss_bearer: None,
                            reason: "",
                        },
                    )
                    .await
                    .expect("apply");
                    assert!(ok);
                }
                Op::Reserve(n) => {
                    let r = reservations::reserve(
                        &app.state,
                        &actor,
                        reservations::ReserveRequest {
                            lines: vec![reservations::ReserveLine { sku_id, qty: n }],
                            destination_prefecture: None,
                            reference: "prop".into(),
                            expires_in_minutes: None,
                        },
                        None,
                    )
                    .await;
                    match r {
                        Ok(h) => held.push(h.reservation.id),
                        Err(e) => assert_eq!(e.code(), "out_of_stock"),
                    }
                }
                Op::Release(i) | Op::Consume(i) if !held.is_empty() => {
                    let id = held.remove(i % held.len());
                    let r = if matches!(step, Op::Release(_)) {
                        reservations::release(&app.state, &actor, id).await
                    } else {
                        shipped.push(id);
                        reservations::consume(&app.state, &actor, id).await
                    };
                    assert!(r.is_ok(), "{:?}", r.err().map(|e| e.describe()));
                }
                Op::Release(_) | Op::Consume(_) => {}
                Op::Return(i, n, dispose) if !shipped.is_empty() => {
                    let id = shipped[i % shipped.len()];
                    let r = returns::return_units(
                        &app.state,
                        &actor,
                        id,
                        "prop",
                        vec![returns::ReturnLine {
                            lot_id: lot,
                            qty: n,
                            disposition: if dispose { "dispose" } else { "restock" }.into(),
                            loss_bearer: dispose.then(|| "aggregator".into()),
                        }],
                        None,
                    )
                    .await;
                    if let Err(e) = r {
                        assert_eq!(e.code(), "return_exceeds_shipped", "{}", e.describe());
                    }
                }
                Op::Return(..) => {}
                Op::Adjust(n) => {
                    let r = adjustments::adjust(
                        &app.state,
                        &actor,
                        adjustments::AdjustmentInput {
                            lot_id: lot,
                            kind: "adjustment".into(),
                            qty_delta: n,
                            reason: "count".into(),
                            loss_bearer: None,
                        },
                    )
                    .await;
                    if let Err(e) = r {
                        assert_eq!(e.code(), "insufficient_stock");
                    }
                }
            }
            assert_eq!(app.count(LEDGER_MISMATCHES).await, 0, "after {step:?}");
        }
    }
    let reserved = app.count("SELECT CAST(COALESCE(SUM(qty), 0) AS BIGINT) FROM reservation_line rl JOIN reservation r ON r.id = rl.reservation_id WHERE r.status = 'held'").await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM reservation_line WHERE returned_qty > qty OR returned_qty < 0"
        )
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        reserved
    );
}
db_test!(
    random_sequences_keep_balances_equal_to_the_sum_of_movements_and_never_negative,
    the_ledger_always_matches_the_balances
);

/// Makes the daily alerts due (a different instant each call, as on different days) and runs them.
async fn run_alerts(app: &TestApp) {
    static CALLS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    entity::job_schedule::Entity::update_many()
        .col_expr(
            entity::job_schedule::Column::NextRunAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(n)),
        )
        .filter(entity::job_schedule::Column::Name.eq("daily-stock-alerts"))
        .exec(app.db())
        .await
        .expect("due");
    app.run_pending_jobs().await;
}

async fn producers_get_receipts_and_one_alert_per_event(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    app.patch_as(
        &pt,
        &format!("/api/v1/skus/{sku}"),
        &json!({"low_stock_threshold": 20}),
    )
    .await;
    stock(&app, &op, &pt, &sku, 4, &day(3), &loc).await; // inside the 7-day window: clearance
    stock(&app, &op, &pt, &sku, 2, &day(-1), &loc).await; // past its date: disposal
    stock(&app, &op, &pt, &sku, 6, &day(90), &loc).await;
    app.run_pending_jobs().await;
    let receipts = app
        .emails()
        .into_iter()
        .filter(|m| m.subject.contains("入荷のご報告"))
        .count();
    assert_eq!(receipts, 3, "one receipt per receiving event");
    let lots: Value = app
        .get_as(&pt, &format!("/api/v1/stock?sku_id={sku}"))
        .await
        .json()
        .await
        .expect("json");
    let flags: Vec<Value> = lots["items"]
        .as_array()
        .expect("lots")
        .iter()
        .map(|l| l["flag"].clone())
        .collect();
    assert_eq!(
        flags,
        vec![json!("disposal"), json!("clearance"), Value::Null]
    );
    run_alerts(&app).await;
    let count = |needle: &'static str| {
        app.emails()
            .into_iter()
            .filter(|m| m.subject.contains(needle))
            .count()
    };
    assert_eq!(count("期限切れ"), 1);
    assert_eq!(count("期限が近い"), 1);
    assert_eq!(
        count("在庫が少なく"),
        1,
        "12 available against a threshold of 20"
    );
    // The next day: nothing new.
    run_alerts(&app).await;
    assert_eq!(
        (
            count("期限切れ"),
            count("期限が近い"),
            count("在庫が少なく")
        ),
        (1, 1, 1)
    );
    // Back above the threshold, then below again: a new crossing, a new email.
    stock(&app, &op, &pt, &sku, 20, &day(120), &loc).await;
    run_alerts(&app).await;
    assert_eq!(count("在庫が少なく"), 1);
    let held: Value = reserve(
        &app,
        &op,
        json!({"lines": [{"sku_id": sku, "qty": 20}]}),
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    assert!(held["id"].is_string());
    run_alerts(&app).await;
    assert_eq!(count("在庫が少なく"), 2);
}
db_test!(
    producers_get_a_receipt_per_event_and_one_email_per_expiry_or_low_stock_crossing,
    producers_get_receipts_and_one_alert_per_event
);
