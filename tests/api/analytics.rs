//! Officer analytics: the daily sales rollup follows the order core's events, once each, and a
//! rebuild from the orders finds what the incremental rollup holds.
use crate::{
    db_test,
    fulfilment::{gift_cart, goods},
    helpers::*,
};
use serde_json::{Value, json};
use yuimaru::jobs::{NewJob, enqueue, events::Deliver};

fn s(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

/// (sales tax included, sales tax excluded, units, lines, returns, refunds, orders) of the
/// table, per producer.
async fn per_producer(app: &TestApp) -> std::collections::BTreeMap<String, [i64; 7]> {
    use sea_orm::EntityTrait;
    let mut out = std::collections::BTreeMap::new();
    for c in entity::sales_daily::Entity::find()
        .all(app.db())
        .await
        .expect("cells")
    {
        let e: &mut [i64; 7] = out.entry(c.producer_id.to_string()).or_default();
        for (i, v) in [
            c.sales_incl,
            c.sales_excl,
            c.units,
            c.lines,
            c.returns_incl,
            c.refunds,
            c.orders,
        ]
        .into_iter()
        .enumerate()
        {
            e[i] += v;
        }
    }
    out
}

db_test!(
    analytics_rollup,
    the_rollup_follows_shipments_and_returns_once
);
async fn the_rollup_follows_shipments_and_returns_once(b: Backend) {
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let op = g.op.clone();
    let agg = app.default_aggregator().await;
    // A gift in two parcels (ambient and chilled), paid and shipped.
    let o = crate::shop::order(&app, &gift_cart(&g, "bank_transfer"), "an-1").await;
    let id = s(&o["id"]);
    for (path, body) in [
        (format!("/api/v1/orders/{id}/mark-paid"), json!({})),
        (
            "/api/v1/fulfilment/pick-list".to_string(),
            json!({"order_ids": [id]}),
        ),
        (format!("/api/v1/orders/{id}/pack"), json!({})),
    ] {
        assert_eq!(app.post_as(&op, &path, &body).await.status(), 200, "{path}");
    }
    // Nothing before a parcel leaves.
    app.run_pending_jobs().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM sales_daily").await, 0);
    for (seq, number) in [(1, "423456789012"), (2, "423456789013")] {
        let r = app
            .put_as(
                &op,
                &format!("/api/v1/orders/{id}/parcels/{seq}/tracking"),
                &json!({"tracking_number": number}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    app.run_pending_jobs().await;
    // The model: each producer's lines as the order shows them; the order once per producer.
    let order: Value = app
        .get_as(&op, &format!("/api/v1/orders/{id}"))
        .await
        .json()
        .await
        .expect("json");
    let mut want: std::collections::BTreeMap<String, [i64; 7]> = Default::default();
    for l in order["lines"].as_array().expect("lines") {
        let e = want.entry(s(&l["producer_id"])).or_default();
        let amount = l["line_total"].as_i64().expect("total");
        e[0] += amount;
        e[2] += l["qty"].as_i64().expect("qty");
        e[3] += 1;
        e[6] = 1;
    }
    let got = per_producer(&app).await;
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (p, w) in &want {
        let g = got.get(p).expect("producer's cells");
        for i in [0usize, 2, 3, 6] {
            assert_eq!(g[i], w[i], "fact {i} of {p}: {got:?}");
        }
        // Tax excluded: less than the tax-included sum, by the apportioned tax (8 %).
        assert!(g[1] < g[0] && g[0] - g[1] <= g[0] * 8 / 108 + 1, "{g:?}");
    }
    let tax8 = order["totals"]["tax8"].as_i64().expect("tax8");
    let excl: i64 = got.values().map(|g| g[0] - g[1]).sum();
    assert_eq!(
        excl, tax8,
        "the order's 8 % tax is apportioned to its lines in full"
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT destination_prefecture) FROM sales_daily WHERE destination_prefecture = '27' AND market = 'domestic' AND channel = 'shop'").await,
        1,
        "the gift went to Osaka, from the shop"
    );

    // A return of one ちんすこう: its returns and refund on the day it came back.
    let line = order["lines"]
        .as_array()
        .expect("l")
        .iter()
        .find(|l| l["sku_id"] == g.chinsuko.as_str())
        .map(|l| s(&l["id"]))
        .expect("line");
    let r = client()
        .post(app.url(&format!("/api/v1/orders/{id}/returns")))
        .bearer_auth(&op)
        .header("idempotency-key", "an-r1")
        .json(&json!({"reason": "割れ", "lines": [{"line_id": line, "qty": 1, "disposition": "restock"}]}))
        .send()
        .await
        .expect("return");
    assert_eq!(r.status(), 201);
    app.run_pending_jobs().await;
    let after = per_producer(&app).await;
    let chinsuko_producer = order["lines"]
        .as_array()
        .expect("l")
        .iter()
        .find(|l| l["sku_id"] == g.chinsuko.as_str())
        .map(|l| s(&l["producer_id"]))
        .expect("producer");
    assert_eq!(after[&chinsuko_producer][4], 648);
    assert_eq!(after[&chinsuko_producer][5], 648, "refunded in full");

    // Replayed deliveries change nothing.
    let events = entity::domain_event::Entity::find()
        .filter(
            entity::domain_event::Column::Kind.is_in(["orders.parcel_shipped", "orders.returned"]),
        )
        .all(app.db())
        .await
        .expect("events");
    assert_eq!(events.len(), 3);
    for (i, e) in events.iter().enumerate() {
        enqueue(
            app.db(),
            NewJob::of(&Deliver {
                event_id: e.id,
                kind: e.kind.clone(),
                subscriber: "analytics.rollup".into(),
            })
            .dedupe(format!("an-replay-{i}")),
        )
        .await
        .expect("enqueue");
    }
    app.run_pending_jobs().await;
    assert_eq!(per_producer(&app).await, after, "a replay adds nothing");

    // The rebuild from the orders finds the same cells; a damaged cell is found and mended.
    let r = yuimaru::analytics::rollup::rebuild(app.db(), agg, false)
        .await
        .expect("rebuild");
    assert_eq!(r.differing, 0, "{r:?}");
    assert!(r.cells >= 3);
    app.db()
        .execute_unprepared(
            "UPDATE sales_daily SET sales_incl = sales_incl + 1 WHERE returns_units = 0",
        )
        .await
        .expect("damage");
    let r = yuimaru::analytics::rollup::rebuild(app.db(), agg, false)
        .await
        .expect("rebuild");
    assert!(r.differing >= 1 && !r.applied, "{r:?}");
    let r = yuimaru::analytics::rollup::rebuild(app.db(), agg, true)
        .await
        .expect("rebuild");
    assert!(r.applied);
    let r = yuimaru::analytics::rollup::rebuild(app.db(), agg, false)
        .await
        .expect("rebuild");
    assert_eq!(r.differing, 0);
    assert_eq!(per_producer(&app).await, after);
    // No buyer data in the rollup.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sales_daily WHERE channel LIKE '%@%' OR category_code LIKE '%山田%'")
            .await,
        0
    );
}

/// Seeds one rollup cell (a dataset for the report: the rollup itself is tested above).
#[allow(clippy::too_many_arguments)]
async fn cell(
    app: &TestApp,
    agg: uuid::Uuid,
    day: &str,
    producer: u128,
    municipality: &str,
    island: &str,
    sales: i64,
) {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    entity::sales_daily::Entity::insert(entity::sales_daily::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        aggregator_id: Set(agg),
        day: Set(day.parse().expect("day")),
        producer_id: Set(uuid::Uuid::from_u128(producer)),
        municipality_code: Set(municipality.into()),
        island_code: Set(island.into()),
        category_code: Set("sweets".into()),
        channel: Set("shop".into()),
        market: Set("domestic".into()),
        destination_prefecture: Set("13".into()),
        sales_incl: Set(sales),
        sales_excl: Set(sales * 100 / 108),
        units: Set(1),
        lines: Set(1),
        returns_incl: Set(0),
        returns_units: Set(0),
        refunds: Set(0),
        orders: Set(1),
        updated_at: Set(chrono::Utc::now()),
    })
    .exec_without_returning(app.db())
    .await
    .expect("cell");
}

db_test!(
    analytics_officer_report,
    officers_see_suppressed_aggregates_of_their_prefecture
);
async fn officers_see_suppressed_aggregates_of_their_prefecture(b: Backend) {
    let app = spawn_app(b).await;
    let agg = app.default_aggregator().await;
    // 竹富島 (2 producers in October, 3 in November), 石垣島 (3 producers, a year earlier too),
    // 久米島 (3 small producers).
    for (day, p, m, i, v) in [
        ("2026-10-05", 1, "47381", "taketomi", 1_000),
        ("2026-10-06", 2, "47381", "taketomi", 1_100),
        ("2026-11-05", 1, "47381", "taketomi", 1_000),
        ("2026-11-06", 2, "47381", "taketomi", 1_200),
        ("2026-11-07", 3, "47381", "taketomi", 1_300),
        ("2026-10-05", 4, "47207", "ishigaki", 5_000),
        ("2026-10-06", 5, "47207", "ishigaki", 5_000),
        ("2026-10-07", 6, "47207", "ishigaki", 5_000),
        ("2026-11-05", 4, "47207", "ishigaki", 6_000),
        ("2026-11-06", 5, "47207", "ishigaki", 6_000),
        ("2026-11-07", 6, "47207", "ishigaki", 6_000),
        ("2025-11-05", 4, "47207", "ishigaki", 5_000),
        ("2025-11-06", 5, "47207", "ishigaki", 5_000),
        ("2025-11-07", 6, "47207", "ishigaki", 5_000),
        ("2026-10-05", 7, "47361", "kume", 800),
        ("2026-10-06", 8, "47361", "kume", 800),
        ("2026-10-07", 9, "47361", "kume", 800),
        ("2026-11-05", 7, "47361", "kume", 800),
        ("2026-11-06", 8, "47361", "kume", 800),
        ("2026-11-07", 9, "47361", "kume", 800),
    ] {
        cell(&app, agg, day, p, m, i, v).await;
    }
    let (_, officer) = app
        .user_with_token(yuimaru::http::actor::Role::Officer)
        .await;
    let r = app
        .get_as(
            &officer,
            "/api/v1/analytics/sales?from=2026-10&to=2026-11&by=island",
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    let row = |key: &str| -> Value {
        v["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} in {v}"))
    };
    let (tk, ig, km) = (row("taketomi"), row("ishigaki"), row("kume"));
    assert_eq!(tk["label"], "竹富島");
    // 竹富島 in October has two producers: hidden, and so are partners — the smallest cell of
    // its column (久米島 October) and of its row (竹富島 November), and then November's
    // column's (久米島 November) — so no total gives any of them away. 石垣島 stays shown.
    assert_eq!(tk["months"][0]["suppressed"], true);
    assert!(tk["months"][0]["sales"].is_null());
    assert_eq!(tk["months"][1]["suppressed"], true, "{v}");
    assert_eq!(km["months"][0]["suppressed"], true, "{v}");
    assert_eq!(km["months"][1]["suppressed"], true, "{v}");
    assert_eq!(ig["months"][0]["suppressed"], false, "{v}");
    // What is shown cannot be subtracted down to a hidden cell: every total that is shown
    // minus the shown cells of its line leaves at least two hidden cells.
    for g in v["groups"].as_array().expect("groups") {
        let hidden = g["months"]
            .as_array()
            .expect("m")
            .iter()
            .filter(|m| m["suppressed"] == true)
            .count();
        assert!(
            hidden == 0 || hidden >= 2 || g["total"]["suppressed"] == true,
            "{g}"
        );
    }
    for (i, t) in v["totals"].as_array().expect("totals").iter().enumerate() {
        let hidden = v["groups"]
            .as_array()
            .expect("g")
            .iter()
            .filter(|g| g["months"][i]["suppressed"] == true)
            .count();
        assert!(hidden == 0 || hidden >= 2 || t["suppressed"] == true, "{t}");
    }
    // 石垣島 November: 18,000 against 15,000 a year before is +20 %; shown.
    assert_eq!(ig["months"][1]["sales"], 18_000);
    assert_eq!(ig["months"][1]["yoy_bp"], 2_000);
    // The November total over the three islands: 9 producers, shown.
    assert_eq!(v["totals"][1]["sales"], 18_000 + 3_500 + 2_400);
    // No buyer or producer data: ids of producers never appear.
    let text = v.to_string();
    assert!(!text.contains(&uuid::Uuid::from_u128(1).to_string()));
    // Bad filters are named; other roles are refused; an officer elsewhere sees nothing of ours.
    let r = app
        .get_as(&officer, "/api/v1/analytics/sales?from=2026-13&by=planet")
        .await;
    let e = assert_error(r, 422, "validation_failed").await;
    for f in ["from", "by"] {
        assert!(e["error"]["details"]["fields"][f].is_string(), "{f}: {e}");
    }
    let (_, op) = app
        .user_with_token(yuimaru::http::actor::Role::Operator)
        .await;
    assert_error(
        app.get_as(&op, "/api/v1/analytics/sales").await,
        403,
        "forbidden",
    )
    .await;
    let other = UserBuilder::new(yuimaru::http::actor::Role::Officer)
        .insert(&app)
        .await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    entity::app_user::Entity::update_many()
        .col_expr(
            entity::app_user::Column::PrefectureCode,
            Expr::value(Some("46")),
        )
        .filter(entity::app_user::Column::Id.eq(other.id))
        .exec(app.db())
        .await
        .expect("kagoshima");
    let token = app.token_for(&other).await;
    let v: Value = app
        .get_as(&token, "/api/v1/analytics/sales?from=2026-10&to=2026-11")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["prefecture_code"], "46");
    assert_eq!(v["groups"], json!([]));
    // Every officer query is audit-logged with its filters.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'officer_query'")
            .await,
        2
    );
}
