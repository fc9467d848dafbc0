//! Channel orders over HTTP against the Rakuten and Shopify fakes: orders polled (Rakuten:
//! `+0900` dates, lists of one as objects, `confirmOrder`) and pushed by signed webhooks
//! (Shopify: raw-body HMAC, delivery ids deduped, tampered or re-serialised bodies refused,
//! a lost webhook found by the reconciliation poll), imported once into the order core with
//! the channel's prices and tax, the oversell kept and flagged, cancellations applied both
//! ways with the channel's reason code, and tracking told back once — with failures injected.
use crate::{
    channels::{create, listing, manage, quick, rakuten_body, shopify_body},
    db_test, fake_rakuten, fake_shopify,
    helpers::*,
    producers::approved_producer,
    shop::{cart, open_shop, order, stocked_sku},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

/// Runs due jobs until `$check` (an async expression) holds, at most `$rounds` rounds.
macro_rules! until {
    ($app:expr, $rounds:expr, $check:expr) => {{
        let mut ok = false;
        for _ in 0..$rounds {
            $app.run_pending_jobs().await;
            if $check {
                ok = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ok
    }};
}

/// The HTML of `url` for a signed-in page client.
async fn html_of(web: &reqwest::Client, url: &str) -> String {
    web.get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}

async fn channel_orders(app: &TestApp, op: &str, channel: &str) -> Vec<Value> {
    let r = app
        .get_as(op, &format!("/api/v1/channels/{channel}/orders"))
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.expect("json")["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn imported(app: &TestApp, op: &str, channel: &str, external: &str) -> Option<String> {
    channel_orders(app, op, channel)
        .await
        .into_iter()
        .find(|o| o["external_id"] == external)
        .and_then(|o| o["order_id"].as_str().map(str::to_string))
}

async fn get_order(app: &TestApp, op: &str, id: &str) -> Value {
    let r = app.get_as(op, &format!("/api/v1/orders/{id}")).await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

async fn orders_with(app: &TestApp, external: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM shop_order WHERE external_id = '{external}'"
    ))
    .await
}

async fn sku_code(app: &TestApp, sku: &str) -> String {
    entity::sku::Entity::find_by_id(Uuid::parse_str(sku).expect("sku"))
        .one(app.db())
        .await
        .expect("q")
        .expect("sku")
        .code
}

/// Picks, packs and gives parcel 1 a tracking number: the order ships.
async fn ship(app: &TestApp, op: &str, id: &str, tracking: &str) {
    let r = app
        .post_as(
            op,
            "/api/v1/fulfilment/pick-list",
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let r = app
        .post_as(op, &format!("/api/v1/orders/{id}/pack"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let r = app
        .put_as(
            op,
            &format!("/api/v1/orders/{id}/parcels/1/tracking"),
            &json!({"tracking_number": tracking}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["fulfilment_status"], "shipped");
}

/// The entries of order `id`'s channel-fee corrections: (account, debit, credit), sorted.
async fn fee_entries(app: &TestApp, fin: &str, id: &str) -> Vec<(String, i64, i64)> {
    let txs: Value = app
        .get_as(fin, &format!("/api/v1/ledger/transactions?order_id={id}"))
        .await
        .json()
        .await
        .expect("json");
    let mut out: Vec<(String, i64, i64)> = txs["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["kind"] == "channel_fee_actual")
        .flat_map(|t| t["entries"].as_array().cloned().unwrap_or_default())
        .map(|e| {
            (
                e["code"].as_str().unwrap_or("").to_string(),
                e["debit"].as_i64().unwrap_or(0),
                e["credit"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

async fn rakuten_orders_are_imported_once_and_told_back(b: Backend) {
    let rakuten = fake_rakuten::start();
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (pid, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 10).await;
    let code = sku_code(&app, &sku).await;
    let mut body = rakuten_body(&rakuten.base_url());
    body["settings"]["order_poll_seconds"] = json!(1);
    let ch = create(&app, &op, &body).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (m, v) = (
        manage(&pid),
        Uuid::parse_str(&sku).expect("sku").simple().to_string(),
    );
    assert!(until!(app, 40, rakuten.qty(&m, &v) == Some(8)));

    // An order at Rakuten, with a third of the calls failing (half of them after the write
    // landed): it is imported once, confirmed, and its stock reserved here.
    rakuten.with(|s| s.fail_percent = 30);
    let number = "338531-20261203-0000000101";
    rakuten.add_order(number, "久米", "太郎", &[(&m, &v, &code, 2, 1190, 0.08)], 3);
    assert!(until!(
        app,
        80,
        imported(&app, &op, &ch, number).await.is_some()
    ));
    let id = imported(&app, &op, &ch, number).await.expect("order");
    let o = get_order(&app, &op, &id).await;
    assert_eq!(o["source"], "channel");
    assert_eq!(o["channel_id"], ch.as_str());
    assert_eq!(o["external_id"], number);
    assert_eq!(o["payment_method"], "marketplace");
    assert_eq!(o["payment_status"], "paid");
    assert_eq!(o["lines"][0]["unit_price"], 1190, "the channel's price");
    assert_eq!(o["lines"][0]["qty"], 2);
    assert_eq!(o["totals"]["shipping_total"], 800);
    assert_eq!(o["totals"]["grand_total"], 2 * 1190 + 800);
    assert_eq!(
        o["totals"]["tax8"],
        2380 * 8 / 108,
        "the channel's tax, recorded"
    );
    assert_eq!(o["buyer"]["name"], "久米 太郎");
    assert_eq!(o["destination_prefecture"], "47", "沖縄県 read as its code");
    assert_eq!(o["attention"], json!([]));
    assert!(until!(app, 40, rakuten.progress(number) == Some(300)));
    // The reservation reaches Rakuten as an absolute quantity: 10 − 2 − buffer 2.
    assert!(until!(app, 60, rakuten.qty(&m, &v) == Some(6)));
    rakuten.with(|s| s.fail_percent = 0);

    // Every date was written +0900; the lists of one came as objects and were read.
    assert_eq!(rakuten.with(|s| s.bad_dates), 0);
    assert!(rakuten.calls("order/searchOrder").contains(&200));

    // Read again (a later poll, a second worker, a crash between placing the order and noting
    // it): still one order.
    entity::channel_order::Entity::update_many()
        .col_expr(
            entity::channel_order::Column::OrderId,
            Expr::value(None::<Uuid>),
        )
        .col_expr(entity::channel_order::Column::ImportDue, Expr::value(true))
        .filter(entity::channel_order::Column::ExternalId.eq(number))
        .exec(app.db())
        .await
        .expect("reset");
    assert!(until!(
        app,
        40,
        imported(&app, &op, &ch, number).await.as_deref() == Some(id.as_str())
    ));
    assert_eq!(orders_with(&app, number).await, 1);
    // The database itself refuses a second order with this number of this account.
    let shop = order(
        &app,
        &cart(json!([{"sku_id": sku, "qty": 1}]), "bank_transfer"),
        "k-dup-1",
    )
    .await;
    let dup = entity::shop_order::Entity::update_many()
        .col_expr(
            entity::shop_order::Column::ChannelId,
            Expr::value(Some(Uuid::parse_str(&ch).expect("ch"))),
        )
        .col_expr(
            entity::shop_order::Column::ExternalId,
            Expr::value(Some(number.to_string())),
        )
        .filter(
            entity::shop_order::Column::Id
                .eq(Uuid::parse_str(shop["id"].as_str().expect("id")).expect("uuid")),
        )
        .exec(app.db())
        .await;
    assert!(dup.is_err(), "the unique index holds");

    // Finance estimates Rakuten's fee at 10 % of the goods (charged to the producer).
    let (_, fin) = app
        .user_with_token(yuimaru::http::actor::Role::Finance)
        .await;
    let r = app
        .post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({"fee_type": "channel_fee", "position": 1, "basis": "percent",
                    "rate_bp": 1000, "channel_scope": "channel", "channel_id": ch,
                    "effective_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());

    // Shipped here: the tracking number is told to Rakuten once, with Yamato's code, even
    // when the answer is lost and the push is tried again.
    rakuten.with(|s| {
        s.fail_percent = 30;
        s.late_ms = 1500;
    });
    ship(&app, &op, &id, "1234-5678-9012").await;
    assert!(until!(
        app,
        80,
        rakuten.with(|s| s.shipping_updates.len()) >= 1
            && channel_orders(&app, &op, &ch).await[0]["shipped_pushed_at"].is_string()
    ));
    rakuten.with(|s| s.fail_percent = 0);
    entity::channel_order::Entity::update_many()
        .col_expr(entity::channel_order::Column::ShipDue, Expr::value(true))
        .filter(entity::channel_order::Column::ExternalId.eq(number))
        .exec(app.db())
        .await
        .expect("again");
    assert!(until!(
        app,
        20,
        !channel_orders(&app, &op, &ch).await[0]["ship_due"]
            .as_bool()
            .unwrap_or(true)
    ));
    assert_eq!(
        rakuten.with(|s| s.shipping_updates.clone()),
        vec![(number.to_string(), "123456789012".to_string())]
    );
    let order_model = rakuten.with(|s| s.orders[number].clone());
    assert_eq!(
        order_model["PackageModelList"][0]["ShippingModelList"][0]["deliveryCompany"],
        "1001"
    );

    // Rakuten bills its fees monthly: finance imports the fee statement. A bad row refuses
    // the whole file and books nothing; the real fee (250) then replaces the estimate (238).
    app.run_pending_jobs().await;
    let import = |body: &'static str| {
        client()
            .post(app.url(&format!("/api/v1/channel-fees/{ch}/import")))
            .bearer_auth(&fin)
            .header("content-type", "text/csv")
            .body(body)
    };
    let r = import(
        "注文番号,手数料\n338531-20261203-0000000101,250\n338531-20261203-0009999999,10\n,x\n",
    )
    .send()
    .await
    .expect("import");
    let v = assert_error(r, 422, "validation_failed").await;
    let fields: Vec<&str> = v["error"]["details"]["fields"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert!(fields.contains(&"rows.3.order_number"), "{v}");
    assert!(fields.contains(&"rows.4.fee"), "{v}");
    assert!(
        fee_entries(&app, &fin, &id).await.is_empty(),
        "nothing booked from a refused file"
    );
    assert_error(
        client()
            .post(app.url(&format!("/api/v1/channel-fees/{ch}/import")))
            .bearer_auth(&op)
            .body("order_number,fee\n")
            .send()
            .await
            .expect("op"),
        403,
        "forbidden",
    )
    .await;
    let r = import("order_number,fee\n338531-20261203-0000000101,250\n")
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        (v["booked"].as_i64(), v["unchanged"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        fee_entries(&app, &fin, &id).await,
        vec![
            ("expense.channel_fee".to_string(), 250, 0),
            ("producer_payable".to_string(), 12, 0),
            ("receivable.channel".to_string(), 0, 250),
            ("revenue.channel_fee".to_string(), 0, 12),
        ],
        "the channel kept 250; the producer's 238 estimate becomes 250"
    );
    // The same statement again books nothing.
    let v: Value = import("order_number,fee\n338531-20261203-0000000101,250\n")
        .send()
        .await
        .expect("again")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["booked"].as_i64(), v["unchanged"].as_i64()),
        (Some(0), Some(1))
    );
}
db_test!(
    rakuten_orders_are_imported_once_and_told_back,
    rakuten_orders_are_imported_once_and_told_back
);

async fn oversells_are_kept_and_cancellations_go_both_ways(b: Backend) {
    let rakuten = fake_rakuten::start();
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    let (_, producer, pt) = approved_producer(&app, &op).await;
    let (pid, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 3).await;
    let code = sku_code(&app, &sku).await;
    let mut body = rakuten_body(&rakuten.base_url());
    body["settings"]["order_poll_seconds"] = json!(1);
    body["settings"]["stock_buffer"] = json!(0);
    let ch = create(&app, &op, &body).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (m, v) = (
        manage(&pid),
        Uuid::parse_str(&sku).expect("sku").simple().to_string(),
    );
    assert!(until!(app, 40, rakuten.qty(&m, &v) == Some(3)));

    // The shop sells the last three before Rakuten hears of it; a Rakuten order for one
    // arrives: kept, flagged oversold, operators emailed — never dropped.
    order(
        &app,
        &cart(json!([{"sku_id": sku, "qty": 3}]), "bank_transfer"),
        "k-over-1",
    )
    .await;
    let over = "338531-20261203-0000000201";
    rakuten.add_order(over, "Taro", "Kume", &[(&m, &v, &code, 1, 1190, 0.08)], 2);
    assert!(until!(
        app,
        60,
        imported(&app, &op, &ch, over).await.is_some()
    ));
    let id = imported(&app, &op, &ch, over).await.expect("order");
    let o = get_order(&app, &op, &id).await;
    let codes: Vec<&str> = o["attention"]
        .as_array()
        .expect("attention")
        .iter()
        .filter_map(|a| a["code"].as_str())
        .collect();
    assert!(codes.contains(&"oversold"), "{o}");
    assert!(
        codes.contains(&"buyer_name"),
        "a romaji name is flagged, not refused: {o}"
    );
    assert_eq!(o["status"], "open");
    assert_eq!(o["buyer"]["name"], "Taro Kume");
    assert!(
        app.emails()
            .iter()
            .any(|e| e.subject.contains("楽天市場店") && e.subject.contains("在庫")),
        "the operators hear of it"
    );
    // It cannot be picked. On its page the operator sees why and cancels it in one action:
    // Rakuten is told reason 8 (欠品), its own stock not restored (our sync writes it).
    let r = app
        .post_as(
            &op,
            "/api/v1/fulfilment/pick-list",
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_error(r, 409, "order_oversold").await;
    let staff = app
        .create_user(yuimaru::http::actor::Role::Operator, Some("default"))
        .await;
    let (web, _) = app.login(&staff).await;
    let html = html_of(&web, &app.url(&format!("/operator/orders/{id}"))).await;
    assert!(
        html.contains("id=\"order-attention\"") && html.contains("売り越し"),
        "{html}"
    );
    assert!(html.contains("id=\"order-channel\"") && html.contains(over));
    let form = [
        ("csrf_token", crate::pages::csrf_of(&html)),
        ("reason", "欠品".to_string()),
    ];
    let r = web
        .post(app.url(&format!("/operator/orders/{id}/cancel")))
        .form(&form)
        .send()
        .await
        .expect("cancel");
    assert_eq!(r.status(), 303);
    assert!(
        !r.headers()["location"]
            .to_str()
            .expect("loc")
            .contains("error=")
    );
    assert!(until!(app, 40, rakuten.with(|s| s.cancels.len()) == 1));
    assert_eq!(
        rakuten.with(|s| s.cancels.clone()),
        vec![(over.to_string(), 8, 2)]
    );
    assert_eq!(rakuten.progress(over), Some(900));

    // Stock again; an order imported, then cancelled at Rakuten: cancelled here, its stock
    // released, and Rakuten is not told back.
    let loc = crate::inventory::location(&app, &op, "ambient").await;
    crate::inventory::stock_class(
        &app,
        &op,
        &pt,
        &sku,
        4,
        &crate::inventory::day(200),
        &loc,
        "ambient",
    )
    .await;
    assert!(until!(app, 40, rakuten.qty(&m, &v) == Some(4)));
    let theirs = "338531-20261203-0000000202";
    rakuten.add_order(theirs, "比嘉", "花子", &[(&m, &v, &code, 2, 1190, 0.08)], 1);
    assert!(until!(
        app,
        60,
        imported(&app, &op, &ch, theirs).await.is_some()
    ));
    assert!(until!(app, 40, rakuten.qty(&m, &v) == Some(2)));
    let id2 = imported(&app, &op, &ch, theirs).await.expect("order");
    rakuten.set_progress(theirs, 900);
    assert!(until!(
        app,
        60,
        get_order(&app, &op, &id2).await["status"] == "cancelled"
    ));
    assert!(until!(app, 40, rakuten.qty(&m, &v) == Some(4)));
    assert_eq!(rakuten.with(|s| s.cancels.len()), 1, "nothing told back");
    let row = channel_orders(&app, &op, &ch)
        .await
        .into_iter()
        .find(|r| r["external_id"] == theirs)
        .expect("row");
    assert_eq!(row["cancelled_by"], "channel");
    assert_eq!(row["remote_status"], "cancelled");

    // The channel's page: its state, calls against the limit, listings by state, its orders.
    let html = html_of(&web, &app.url(&format!("/operator/channels/{ch}"))).await;
    assert!(
        html.contains("楽天市場店") && html.contains("稼働中"),
        "{html}"
    );
    assert!(html.contains(&code) && html.contains("販売中"));
    assert!(html.contains(over) && html.contains(theirs));
    assert!(html.contains("id=\"channel-calls\""));
    let r = web
        .get(app.url(&format!("/operator/channels/{ch}?state=lost")))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 422);
    let html = html_of(&web, &app.url("/operator/channels")).await;
    assert!(html.contains(&format!("/operator/channels/{ch}")));
    // Pause from the page, then resume.
    let form = [("csrf_token", crate::pages::csrf_of(&html))];
    for action in ["pause", "resume"] {
        let r = web
            .post(app.url(&format!("/operator/channels/{ch}/{action}")))
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
    }
    let v: Value = app
        .get_as(&op, &format!("/api/v1/channels/{ch}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["state"], "active");
    // Accounts are added and edited from pages too, as the API's JSON document; a bad one is
    // listed by field and saves nothing.
    let html = html_of(&web, &app.url("/operator/channels/new")).await;
    assert!(html.contains("id=\"channel-doc\""));
    let csrf = crate::pages::csrf_of(&html);
    let bad = json!({"kind": "rakuten", "name": "", "base_url": rakuten.base_url(),
        "credentials": {"service_secret": "x"}})
    .to_string();
    let r = web
        .post(app.url("/operator/channels/new"))
        .form(&[("csrf_token", csrf.clone()), ("channel", bad)])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("credentials.license_key") && html.contains("name"),
        "{html}"
    );
    let r = web
        .post(app.url("/operator/channels/new"))
        .form(&[
            ("csrf_token", csrf.clone()),
            ("channel", "{not json".to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM channel").await,
        1,
        "nothing saved"
    );
    let r = web
        .post(app.url(&format!("/operator/channels/{ch}/edit")))
        .form(&[
            ("csrf_token", csrf.clone()),
            (
                "channel",
                json!({"settings": {"stock_buffer": 1}}).to_string(),
            ),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let v: Value = app
        .get_as(&op, &format!("/api/v1/channels/{ch}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["settings"]["stock_buffer"], 1);
    assert_eq!(v["settings"]["order_poll_seconds"], 1, "the rest kept");
    let html = html_of(&web, &app.url(&format!("/operator/channels/{ch}/edit"))).await;
    assert!(html.contains("stock_buffer") && !html.contains(fake_rakuten::LICENSE_KEY));

    // The producer sees where its product is live.
    let (pweb, _) = app.login(&producer).await;
    let html = html_of(&pweb, &app.url("/portal/channels")).await;
    assert!(
        html.contains("楽天市場店") && html.contains(&code) && html.contains("販売中"),
        "{html}"
    );
}
db_test!(
    oversells_are_kept_and_cancellations_go_both_ways,
    oversells_are_kept_and_cancellations_go_both_ways
);

async fn post_webhook(
    app: &TestApp,
    channel: &str,
    topic: &str,
    webhook_id: Option<&str>,
    body: &[u8],
    hmac: &str,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/channels/{channel}/webhooks/shopify",
            app.address
        ))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-hmac-sha256", hmac)
        .header("x-shopify-shop-domain", "yuimaru-test.myshopify.com")
        .body(body.to_vec());
    if let Some(w) = webhook_id {
        req = req.header("x-shopify-webhook-id", w);
    }
    req.send().await.expect("webhook")
}

fn order_payload(gid: &str) -> Vec<u8> {
    let n = gid.rsplit('/').next().unwrap_or("0");
    format!(
        r#"{{"id":{n},"admin_graphql_api_id":"{gid}","email":"buyer@example.com","currency":"JPY","line_items":[{{"sku":"x","quantity":1}}]}}"#
    )
    .into_bytes()
}

async fn shopify_webhooks_are_verified_deduped_and_reconciled(b: Backend) {
    let shopify = fake_shopify::start();
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (_, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 10).await;
    let code = sku_code(&app, &sku).await;
    let mut body = shopify_body(&shopify.url);
    body["settings"]["order_poll_seconds"] = json!(3600);
    let ch = create(&app, &op, &body).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(until!(
        app,
        40,
        listing(&app, &op, &ch, &sku).await["state"] == "live"
    ));
    let inv = listing(&app, &op, &ch, &sku).await["external_variant_id"]
        .as_str()
        .expect("inventory item")
        .to_string();
    assert!(until!(app, 40, shopify.level(&inv) == Some(10)));

    // An order with its signed webhook: imported once, however often the webhook comes.
    let g1 = shopify.add_order("山田 花子", &[(&inv, &code, 2, 1190)]);
    let raw = order_payload(&g1);
    let sig = fake_shopify::webhook_hmac(&raw);
    let r = post_webhook(&app, &ch, "orders/create", Some("wh-1"), &raw, &sig).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json")["duplicate"], false);
    let r = post_webhook(&app, &ch, "orders/create", Some("wh-1"), &raw, &sig).await;
    assert_eq!(r.json::<Value>().await.expect("json")["duplicate"], true);
    // Tampered, re-serialised (same content, other bytes), unsigned, without a delivery id:
    // refused, nothing recorded.
    let tampered = String::from_utf8(raw.clone())
        .expect("utf8")
        .replace("\"quantity\":1", "\"quantity\":9");
    let r = post_webhook(
        &app,
        &ch,
        "orders/create",
        Some("wh-2"),
        tampered.as_bytes(),
        &sig,
    )
    .await;
    assert_error(r, 400, "invalid_signature").await;
    let pretty = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&raw).expect("json"))
        .expect("pretty");
    let r = post_webhook(&app, &ch, "orders/create", Some("wh-3"), &pretty, &sig).await;
    assert_error(r, 400, "invalid_signature").await;
    let r = post_webhook(&app, &ch, "orders/create", Some("wh-4"), &raw, "").await;
    assert_error(r, 400, "invalid_signature").await;
    let r = post_webhook(&app, &ch, "orders/create", None, &raw, &sig).await;
    assert_error(r, 400, "missing_webhook_id").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM channel_webhook").await,
        1,
        "only the genuine delivery is recorded"
    );
    assert!(until!(
        app,
        40,
        imported(&app, &op, &ch, &g1).await.is_some()
    ));
    let id1 = imported(&app, &op, &ch, &g1).await.expect("order");
    let o = get_order(&app, &op, &id1).await;
    assert_eq!(
        o["lines"][0]["qty"], 2,
        "read from the Admin API, not the webhook"
    );
    assert_eq!(o["totals"]["grand_total"], 2 * 1190 + 1000);
    assert_eq!(o["totals"]["tax8"], 2380 * 8 / 108);
    assert_eq!(o["totals"]["tax10"], 90, "the channel's tax on shipping");
    assert_eq!(o["destination_prefecture"], "47");
    assert!(until!(app, 40, shopify.level(&inv) == Some(8)));

    // A webhook that never came: the reconciliation poll finds the order; the late webhook
    // then changes nothing (one order).
    let g2 = shopify.add_order("比嘉 次郎", &[(&inv, &code, 1, 1190)]);
    let r = app
        .patch_as(
            &op,
            &format!("/api/v1/channels/{ch}"),
            &json!({"settings": {"order_poll_seconds": 1}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(until!(
        app,
        60,
        imported(&app, &op, &ch, &g2).await.is_some()
    ));
    let raw2 = order_payload(&g2);
    let r = post_webhook(
        &app,
        &ch,
        "orders/create",
        Some("wh-5"),
        &raw2,
        &fake_shopify::webhook_hmac(&raw2),
    )
    .await;
    assert_eq!(r.status(), 200);
    app.run_pending_jobs().await;
    assert_eq!(orders_with(&app, &g2).await, 1);
    let id2 = imported(&app, &op, &ch, &g2).await.expect("order");

    // Cancelled at Shopify (webhook): cancelled here, stock back, Shopify not told back.
    shopify.cancel_there(&g2);
    let r = post_webhook(
        &app,
        &ch,
        "orders/cancelled",
        Some("wh-6"),
        &raw2,
        &fake_shopify::webhook_hmac(&raw2),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(until!(
        app,
        40,
        get_order(&app, &op, &id2).await["status"] == "cancelled"
    ));
    assert_eq!(shopify.with(|s| s.cancels.len()), 0);

    // A third order cancelled here: Shopify is told, with OTHER.
    let g3 = shopify.add_order("新垣 三郎", &[(&inv, &code, 1, 1190)]);
    assert!(until!(
        app,
        60,
        imported(&app, &op, &ch, &g3).await.is_some()
    ));
    let id3 = imported(&app, &op, &ch, &g3).await.expect("order");
    let r = app
        .post_as(
            &op,
            &format!("/api/v1/orders/{id3}/cancel"),
            &json!({"reason": "お客様のご都合"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(until!(app, 40, shopify.with(|s| s.cancels.len()) == 1));
    assert_eq!(
        shopify.with(|s| s.cancels.clone()),
        vec![(g3.clone(), "OTHER".to_string())]
    );

    // The first ships: one fulfilment with the tracking number, even with lost answers.
    shopify.with(|s| s.fail_percent = 30);
    ship(&app, &op, &id1, "2345-6789-0123").await;
    assert!(until!(
        app,
        80,
        shopify.order(&g1).expect("order")["displayFulfillmentStatus"] == "FULFILLED"
    ));
    shopify.with(|s| s.fail_percent = 0);
    app.run_pending_jobs().await;
    assert_eq!(
        shopify.with(|s| s.fulfilments.clone()),
        vec![(g1.clone(), vec!["234567890123".to_string()])]
    );
    // Shopify's API said what it kept (3.55 % of 3,380 on the sale; the authorization's fee
    // does not count): with no channel-fee rule the aggregator bears it, so it is booked
    // against what Shopify will pay us and no producer is charged.
    let (_, fin) = app
        .user_with_token(yuimaru::http::actor::Role::Finance)
        .await;
    let fee_entries1 = fee_entries(&app, &fin, &id1).await;
    let fee = (2 * 1190 + 1000) * 355 / 10_000;
    assert_eq!(
        fee_entries1,
        vec![
            ("expense.channel_fee".to_string(), fee, 0),
            ("receivable.channel".to_string(), 0, fee),
        ]
    );
    // Shopify later changes the fee (100 yen and 10 yen tax on it): the update webhook has
    // the order read again and the difference is booked (the expense is 110 in all).
    shopify.set_fee(&g1, 100, 10);
    let raw1 = order_payload(&g1);
    let r = post_webhook(
        &app,
        &ch,
        "orders/updated",
        Some("wh-7"),
        &raw1,
        &fake_shopify::webhook_hmac(&raw1),
    )
    .await;
    assert_eq!(r.status(), 200);
    let expense = async || -> (usize, i64) {
        let e = fee_entries(&app, &fin, &id1).await;
        let net = e
            .iter()
            .filter(|(code, _, _)| code == "expense.channel_fee")
            .map(|(_, d, c)| d - c)
            .sum();
        (e.len(), net)
    };
    // Two corrections of two entries each.
    assert!(until!(app, 40, expense().await.0 == 4));
    assert_eq!(expense().await, (4, 110));
    assert_eq!(orders_with(&app, &g1).await, 1);
    // A return of a marketplace order restocks, and owes the buyer nothing here: the
    // marketplace pays its buyer back.
    let line = get_order(&app, &op, &id1).await["lines"][0]["id"]
        .as_str()
        .expect("line")
        .to_string();
    let r = client()
        .post(app.url(&format!("/api/v1/orders/{id1}/returns")))
        .bearer_auth(&op)
        .header("idempotency-key", "ret-mk-1")
        .json(&json!({"reason": "破損", "lines": [{"line_id": line, "qty": 1, "disposition": "restock"}]}))
        .send()
        .await
        .expect("return");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["return"]["refund_status"], "none", "{v}");
    assert_eq!(v["order"]["refund_owed"], 0);
    // No buyer data went into a job.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM job WHERE payload LIKE '%buyer@example.com%' \
             OR payload LIKE '%山田%'"
        )
        .await,
        0
    );
}
db_test!(
    shopify_webhooks_are_verified_deduped_and_reconciled,
    shopify_webhooks_are_verified_deduped_and_reconciled
);

async fn an_expiring_shopify_token_is_refreshed_once_for_all_workers(b: Backend) {
    let shopify = fake_shopify::start();
    shopify.with(|s| s.initial_expired = true);
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (_, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 10).await;
    // A half-given refresh set is refused by name.
    let mut bad = shopify_body(&shopify.url);
    bad["credentials"]["refresh_token"] = json!(fake_shopify::REFRESH_TOKEN);
    let e = assert_error(
        app.post_as(&op, "/api/v1/channels", &bad).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]["credentials.client_secret"].is_string(),
        "{e}"
    );
    let mut body = shopify_body(&shopify.url);
    body["credentials"] = json!({"access_token": fake_shopify::TOKEN,
        "webhook_secret": fake_shopify::WEBHOOK_SECRET, "client_id": fake_shopify::CLIENT_ID,
        "client_secret": fake_shopify::CLIENT_SECRET, "refresh_token": fake_shopify::REFRESH_TOKEN,
        "access_token_expires_at": (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339()});
    body["settings"]["order_poll_seconds"] = json!(3600);
    let c = create(&app, &op, &body).await;
    let ch = c["id"].as_str().expect("id").to_string();
    // Two instances run the channel's jobs at once: one refresh, whoever holds the lease.
    let second = spawn_second_instance(&app).await;
    let mut live = false;
    for _ in 0..60 {
        let (_, _) = tokio::join!(app.run_pending_jobs(), second.run_pending_jobs());
        if listing(&app, &op, &ch, &sku).await["state"] == "live" {
            live = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(live, "synced with the refreshed token");
    let inv = listing(&app, &op, &ch, &sku).await["external_variant_id"]
        .as_str()
        .expect("inventory item")
        .to_string();
    assert!(until!(app, 40, shopify.level(&inv) == Some(10)));
    assert_eq!(
        shopify.with(|s| (s.refreshes, s.refresh_refused)),
        (1, 0),
        "one refresh, the rotated refresh token never reused"
    );
    let v: Value = app
        .get_as(&op, &format!("/api/v1/channels/{ch}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["state"], "active");
    let rotated = shopify.with(|s| s.refresh_token.clone());
    let text = v.to_string();
    for secret in [
        fake_shopify::CLIENT_SECRET,
        rotated.as_str(),
        "shpat_rotated_",
    ] {
        assert!(!text.contains(secret));
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM job WHERE payload LIKE '%{secret}%' OR COALESCE(last_error, '') LIKE '%{secret}%'"
            ))
            .await,
            0
        );
    }
    // Stored sealed: the new token and refresh token, and when the token expires.
    let row = entity::channel::Entity::find_by_id(Uuid::parse_str(&ch).expect("id"))
        .one(app.db())
        .await
        .expect("q")
        .expect("row");
    assert!(!row.credentials.contains("shpat_rotated_"));
    let creds = yuimaru::channels::vault::Credentials::open(
        &app.state.settings.channels,
        &row.credentials_key_id,
        &row.credentials,
    )
    .expect("opens");
    assert!(creds.get("access_token").starts_with("shpat_rotated_"));
    assert_eq!(creds.get("refresh_token"), rotated);
    assert!(
        creds
            .expires_at()
            .is_some_and(|t| t > chrono::Utc::now() + chrono::Duration::minutes(50))
    );

    // A refresh token Shopify no longer takes stops the channel and tells the operators.
    shopify.with(|s| s.refresh_token = "shprt_revoked".into());
    entity::channel::Entity::update_many()
        .col_expr(
            entity::channel::Column::Credentials,
            Expr::value(
                creds
                    .with(
                        "access_token_expires_at",
                        (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339(),
                    )
                    .seal(&app.state.settings.channels)
                    .expect("seal")
                    .0,
            ),
        )
        .filter(entity::channel::Column::Id.eq(Uuid::parse_str(&ch).expect("id")))
        .exec(app.db())
        .await
        .expect("expire");
    let r = app
        .post_as(&op, &format!("/api/v1/channels/{ch}/resync"), &json!({}))
        .await;
    assert_eq!(r.status(), 202);
    assert!(until!(
        app,
        40,
        app.get_as(&op, &format!("/api/v1/channels/{ch}"))
            .await
            .json::<Value>()
            .await
            .expect("json")["state"]
            == "auth_failed"
    ));
    assert!(
        app.emails()
            .iter()
            .any(|m| m.subject.contains("Shopify 本店"))
    );
}
db_test!(
    an_expiring_shopify_token_is_refreshed_once_for_all_workers,
    an_expiring_shopify_token_is_refreshed_once_for_all_workers
);
