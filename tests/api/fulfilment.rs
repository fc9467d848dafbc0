//! Fulfilment over HTTP: pick list by bin and lot, packing into temperature-separated parcels
//! holding many producers' goods, the Yamato B2 Cloud file checked byte for byte against a
//! hand-written golden file, tracking numbers typed and imported, shipment (stock leaves the
//! ledger, buyer emailed) and delivery (cash on delivery paid).
use crate::{
    db_test,
    helpers::*,
    producers::approved_producer,
    shop::{buyer, cart, open_shop, order, stocked_sku},
};
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

/// The shop's stock: three producers, three temperature classes.
pub struct Goods {
    pub op: String,
    pub producers: [String; 3],
    pub emails: [String; 3],
    pub chinsuko: String,
    pub mozuku: String,
    pub tart: String,
    pub mango: String,
}

pub async fn goods(app: &TestApp) -> Goods {
    let op = open_shop(app).await;
    let (_, ua, pa) = approved_producer(app, &op).await;
    let (_, ub, pb) = approved_producer(app, &op).await;
    let (_, uc, pc) = approved_producer(app, &op).await;
    let (_, chinsuko) = stocked_sku(app, &op, &pa, json!({}), 648, 10).await;
    let (_, mozuku) = stocked_sku(app, &op, &pb,
        json!({"title_ja": "生もずく", "category_code": "seafood", "temperature_class": "chilled", "storage": "要冷蔵"}), 540, 10).await;
    let (_, tart) = stocked_sku(app, &op, &pc, json!({"title_ja": "紅いもタルト"}), 1080, 10).await;
    let (_, mango) = stocked_sku(app, &op, &pb,
        json!({"title_ja": "冷凍マンゴー", "temperature_class": "frozen", "storage": "-18℃以下で保存"}), 2160, 5).await;
    Goods {
        op,
        producers: [pa, pb, pc],
        emails: [ua.email, ub.email, uc.email],
        chinsuko,
        mozuku,
        tart,
        mango,
    }
}

/// A gift: bought in Tokyo, shipped to Osaka.
pub fn gift_cart(g: &Goods, method: &str) -> Value {
    let mut b = cart(
        json!([{"sku_id": g.chinsuko, "qty": 2}, {"sku_id": g.mozuku, "qty": 3}, {"sku_id": g.tart, "qty": 1}]),
        method,
    );
    b["ship_to"] = json!({"name": "比嘉 次郎", "kana": "ヒガ ジロウ", "phone": "0612345678", "postal_code": "530-0001",
        "prefecture": "27", "city": "大阪市北区梅田", "address1": "2-4-9", "address2": "梅田ビル3F"});
    b
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

pub async fn on_hand(app: &TestApp) -> (i64, i64) {
    (
        app.count("SELECT CAST(COALESCE(SUM(on_hand), 0) AS BIGINT) FROM stock_lot")
            .await,
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
    )
}

/// The B2 golden file with the run's order numbers, date and amounts, as Shift_JIS with CRLF.
fn golden(n1: &str, n2: &str, ship: &str, cod: i64, tax: i64) -> Vec<u8> {
    let text = include_str!("../golden/b2_cloud.csv")
        .replace("{N1}", n1)
        .replace("{N2}", n2)
        .replace("{SHIP}", ship)
        .replace("{COD}", &cod.to_string())
        .replace("{CODTAX}", &tax.to_string())
        .replace('\n', "\r\n");
    let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!bad);
    bytes.into_owned()
}

async fn export(app: &TestApp, op: &str, body: &Value) -> reqwest::Response {
    client()
        .post(app.url("/api/v1/fulfilment/carrier-export"))
        .bearer_auth(op)
        .json(body)
        .send()
        .await
        .expect("export")
}

pub async fn import_tracking(app: &TestApp, op: &str, csv: &str) -> Value {
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
    let r = client()
        .post(app.url("/api/v1/fulfilment/tracking-import"))
        .bearer_auth(op)
        .header("content-type", "text/csv")
        .body(bytes.into_owned())
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("json")
}

db_test!(
    pick_pack_label_track_deliver,
    orders_are_picked_packed_labelled_tracked_and_delivered
);
async fn orders_are_picked_packed_labelled_tracked_and_delivered(b: Backend) {
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let op = g.op.clone();
    assert_eq!(on_hand(&app).await, (35, 0));
    let o1 = order(&app, &gift_cart(&g, "bank_transfer"), "f-1").await;
    let o2 = order(
        &app,
        &cart(json!([{"sku_id": g.mango, "qty": 1}]), "cash_on_delivery"),
        "f-2",
    )
    .await;
    assert_eq!(on_hand(&app).await, (35, 7));
    let (id1, id2) = (id(&o1), id(&o2));
    let (n1, n2) = (
        o1["number"].as_str().expect("n").to_string(),
        o2["number"].as_str().expect("n").to_string(),
    );
    assert_eq!(o1["parcels"].as_array().map(Vec::len), Some(2));

    // Unpaid bank transfers are not picked; producers cannot pick at all.
    let pick = json!({"order_ids": [id1, id2]});
    let e = assert_error(
        app.post_as(&op, "/api/v1/fulfilment/pick-list", &pick)
            .await,
        409,
        "invalid_transition",
    )
    .await;
    assert_eq!(e["error"]["details"]["number"], n1.as_str());
    assert_error(
        app.post_as(&g.producers[0], "/api/v1/fulfilment/pick-list", &pick)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_error(
        app.post_as(
            &op,
            "/api/v1/fulfilment/pick-list",
            &json!({"order_ids": [id2, id2]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // Nothing of the refused batch moved.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM shop_order WHERE fulfilment_status = 'picking'")
            .await,
        0
    );
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id1}/mark-paid"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);

    // Labels before packing are refused.
    assert_error(
        export(&app, &op, &json!({"carrier": "yamato", "order_ids": [id1]})).await,
        409,
        "invalid_transition",
    )
    .await;

    let r = app
        .post_as(&op, "/api/v1/fulfilment/pick-list", &pick)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let list: Value = r.json().await.expect("json");
    assert_eq!(list["total_units"], 7);
    let rows = list["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4, "one row per lot: {list}");
    let bins: Vec<&str> = rows
        .iter()
        .map(|r| r["location"].as_str().expect("every lot is in a bin"))
        .collect();
    let mut sorted = bins.clone();
    sorted.sort_unstable();
    assert_eq!(bins, sorted, "walk order: by bin");
    let mango_row = rows
        .iter()
        .find(|r| r["sku_id"] == g.mango.as_str())
        .expect("mango");
    assert_eq!(mango_row["zone"], "frozen");
    assert_eq!(mango_row["orders"][0]["number"], n2.as_str());
    assert!(mango_row["lot_code"].is_string() && mango_row["best_before"].is_string());
    // Picking again lists the same batch (a reprint), still all or nothing.
    let again: Value = app
        .post_as(&op, "/api/v1/fulfilment/pick-list", &pick)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["total_units"], 7);

    // Packing: parcels never mix temperature classes and hold many producers' goods.
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id1}/pack"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let packing: Value = r.json().await.expect("json");
    assert_eq!(packing["fulfilment_status"], "packed");
    let parcels = packing["parcels"].as_array().expect("parcels");
    assert_eq!(parcels.len(), 2);
    assert_eq!(parcels[0]["temperature_class"], "ambient");
    assert_eq!(parcels[0]["status"], "packed");
    let makers: std::collections::HashSet<&str> = parcels[0]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["producer_id"].as_str().expect("producer"))
        .collect();
    assert_eq!(makers.len(), 2, "two producers in one ambient parcel");
    assert_eq!(parcels[1]["temperature_class"], "chilled");
    assert_eq!(parcels[1]["lines"][0]["qty"], 3);
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id2}/pack"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    // A retried pack changes nothing.
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id2}/pack"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);

    // The B2 Cloud file.
    assert_error(
        export(&app, &op, &json!({"carrier": "sagawa", "order_ids": [id1]})).await,
        422,
        "validation_failed",
    )
    .await;
    let r = export(
        &app,
        &op,
        &json!({"carrier": "yamato", "order_ids": [id1, id2]}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(
        r.headers()["content-type"].to_str().expect("ct"),
        "text/csv; charset=Shift_JIS"
    );
    let bytes = r.bytes().await.expect("bytes").to_vec();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad, "the file is valid Shift_JIS");
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
    let ship = (chrono::Utc::now() + chrono::Duration::hours(9))
        .format("%Y/%m/%d")
        .to_string();
    let cod = o2["totals"]["grand_total"].as_i64().expect("total");
    let tax = o2["totals"]["tax8"].as_i64().expect("tax8")
        + o2["totals"]["tax10"].as_i64().expect("tax10");
    let want = golden(&n1, &n2, &ship, cod, tax);
    assert_eq!(
        text,
        encoding_rs::SHIFT_JIS.decode(&want).0,
        "the file matches the hand-written golden file"
    );
    assert_eq!(bytes, golden(&n1, &n2, &ship, cod, tax), "byte for byte");
    let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let cool: Vec<String> = rd
        .records()
        .map(|r| {
            let r = r.expect("row");
            assert_eq!(r.len(), 42, "42 columns");
            r[2].to_string()
        })
        .collect();
    assert_eq!(cool, ["0", "2", "1"], "cool code in column 3");

    // Tracking: one typed in, the rest imported from B2's issued-labels CSV.
    assert_error(
        app.put_as(
            &op,
            &format!("/api/v1/orders/{id1}/parcels/1/tracking"),
            &json!({"tracking_number": "12345"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let r = app
        .put_as(
            &op,
            &format!("/api/v1/orders/{id1}/parcels/1/tracking"),
            &json!({"tracking_number": "1234-5678-9012"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["fulfilment_status"], "packed", "one parcel still waits");
    assert_eq!(v["parcels"][0]["tracking_number"], "123456789012");
    // A parcel has left: the order can no longer be cancelled (nor its stock released).
    assert_error(
        app.post_as(
            &op,
            &format!("/api/v1/orders/{id1}/cancel"),
            &json!({"reason": "too late"}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    let report = import_tracking(
        &app,
        &op,
        &format!(
            "お客様管理番号,伝票番号\r\n{n1}-2,1234-5678-9013\r\n{n2}-1,123456789014\r\nZZZZ2345-1,123456789015\r\n{n1}-9,123456789016\r\n{n1}-1,1234-5678-9012\r\n"
        ),
    )
    .await;
    assert_eq!(report["recorded"], 2, "{report}");
    assert_eq!(report["errors"], 2, "{report}");
    assert_eq!(report["rows"][2]["line"], 4);
    assert_eq!(report["rows"][4]["result"], "unchanged");
    let assert_bad_file = |v: Value| assert_eq!(v["error"]["code"], "validation_failed");
    let r = client()
        .post(app.url("/api/v1/fulfilment/tracking-import"))
        .bearer_auth(&op)
        .body("a,b\n1,2\n")
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), 422);
    assert_bad_file(r.json().await.expect("json"));

    // Shipped: stock left the ledger, the buyer has the tracking numbers.
    assert_eq!(on_hand(&app).await, (28, 0));
    for oid in [&id1, &id2] {
        let v: Value = app
            .get_as(&op, &format!("/api/v1/orders/{oid}"))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(v["fulfilment_status"], "shipped");
        assert!(v["shipped_at"].is_string());
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reservation WHERE status = 'consumed'")
            .await,
        2
    );
    app.run_pending_jobs().await;
    let mails = app.emails();
    let shipped = mails
        .iter()
        .find(|m| m.text.contains("123456789013"))
        .expect("shipment email with tracking");
    assert_eq!(shipped.to, buyer("13", "100-0001", "")["email"]);
    assert!(shipped.text.contains("123456789012"));

    // No cancelling after shipment; delivery pays cash on delivery.
    assert_error(
        app.post_as(
            &op,
            &format!("/api/v1/orders/{id2}/cancel"),
            &json!({"reason": "too late"}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id2}/delivered"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        (v["fulfilment_status"].clone(), v["payment_status"].clone()),
        (json!("delivered"), json!("paid"))
    );
    assert_eq!(v["parcels"][0]["status"], "delivered");
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id2}/delivered"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "a retried delivery changes nothing");
    let (_, viewer) = app.user_with_token(Role::Officer).await;
    assert_error(
        app.post_as(
            &viewer,
            &format!("/api/v1/orders/{id1}/delivered"),
            &json!({}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('order_picking', 'order_packed', 'order_shipped', 'order_delivered')")
            .await,
        7
    );

    // Return of one line after delivery: 1 tart restocked, 1 mozuku disposed at the carrier's
    // charge; the bank-transfer buyer is owed the goods' price, tax per rate.
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{id1}/delivered"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let lines = o1["lines"].as_array().expect("lines");
    let line_of = |sku: &str| {
        lines
            .iter()
            .find(|l| l["sku_id"] == sku)
            .map(|l| l["id"].as_str().expect("id").to_string())
            .expect("line")
    };
    let (tart_line, mozuku_line) = (line_of(&g.tart), line_of(&g.mozuku));
    let ret = json!({"reason": "破損（輸送中）", "lines": [
        {"line_id": tart_line, "qty": 1, "disposition": "restock"},
        {"line_id": mozuku_line, "qty": 1, "disposition": "dispose", "loss_bearer": "carrier"}]});
    let post_return = |key: &'static str, body: Value| {
        let app = &app;
        let op = op.clone();
        let id1 = id1.clone();
        async move {
            client()
                .post(app.url(&format!("/api/v1/orders/{id1}/returns")))
                .bearer_auth(op)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("return")
        }
    };
    let mut bad = ret.clone();
    bad["lines"][1]["loss_bearer"] = Value::Null;
    bad["lines"][0]["qty"] = json!(0);
    let e = assert_error(post_return("r-0", bad).await, 422, "validation_failed").await;
    let fields = e["error"]["details"]["fields"].to_string();
    assert!(
        fields.contains("lines[1].loss_bearer") && fields.contains("lines[0].qty"),
        "{fields}"
    );
    let r = post_return("r-1", ret.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    // 1 × 1,080 (8 %) + 1 × 540 (8 %) = 1,620, tax once: floor(1,620 × 8 / 108) = 120.
    assert_eq!(v["return"]["refund_total"], 1620);
    assert_eq!(v["return"]["refund_tax8"], 120);
    assert_eq!(v["return"]["refund_status"], "owed");
    assert_eq!(v["order"]["refund_owed"], 1620);
    assert_eq!(v["order"]["returns"].as_array().map(Vec::len), Some(2));
    // The retry answers with the same return; the same key with another body is refused.
    let r = post_return("r-1", ret.clone()).await;
    assert_eq!(r.status(), 200);
    assert_error(
        post_return("r-1", json!({"reason": "x", "lines": [{"line_id": tart_line, "qty": 1, "disposition": "restock"}]})).await,
        422,
        "idempotency_key_reused",
    )
    .await;
    // Never more than shipped (1 tart was bought and it is back).
    assert_error(
        post_return("r-2", json!({"reason": "again", "lines": [{"line_id": tart_line, "qty": 1, "disposition": "restock"}]})).await,
        409,
        "return_exceeds_shipped",
    )
    .await;
    // The stock ledger: tart back on hand; mozuku in and out again, borne by the carrier.
    assert_eq!(on_hand(&app).await, (29, 0));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stock_movement WHERE cause_type = 'return' AND kind = 'disposal' AND loss_bearer = 'carrier'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stock_movement WHERE cause_type = 'return'")
            .await,
        3
    );
    app.run_pending_jobs().await;
    assert!(
        app.emails()
            .iter()
            .any(|m| m.subject.contains("返品") || m.subject.contains("Return")),
        "refund email"
    );
    // Returns of unshipped orders are refused.
    let o3 = order(
        &app,
        &cart(
            json!([{"sku_id": g.chinsuko, "qty": 1}]),
            "cash_on_delivery",
        ),
        "f-3",
    )
    .await;
    assert_error(
        app.post_as(&op, &format!("/api/v1/orders/{}/returns", id(&o3)), &ret)
            .await,
        409,
        "invalid_transition",
    )
    .await;

    // The receipt: registration number, ※ on reduced-rate items, totals and tax per rate,
    // and the return with its refund per rate.
    let link = o1["link"].as_str().expect("link");
    let receipt_url = link.replace("?t=", "/receipt?t=");
    let path = &receipt_url[receipt_url.find("/default/").expect("slug")..];
    let html = client()
        .get(app.url(path))
        .send()
        .await
        .expect("receipt")
        .text()
        .await
        .expect("html");
    assert!(html.contains("領収書（適格簡易請求書）"), "{html}");
    assert!(html.contains("T7120001168421"));
    assert!(html.contains("紅いもタルト ※"));
    let totals = &o1["totals"];
    for key in ["total8", "tax8", "total10", "tax10", "grand_total"] {
        let v = totals[key].as_i64().expect("amount");
        let text = format!("{} 円", yuimaru::core::money::grouped(v));
        assert!(html.contains(&text), "{key} {text}");
    }
    assert!(
        html.contains("8%対象 1,620 円（うち消費税 120 円）"),
        "{html}"
    );
    // The same receipt as JSON, computed by the same service.
    let api = format!("/api/v1/aggregators{path}");
    let r: serde_json::Value = client()
        .get(app.url(&api))
        .send()
        .await
        .expect("receipt json")
        .json()
        .await
        .expect("json");
    assert_eq!(r["registration_number"], "T7120001168421");
    assert_eq!(r["paid"], true);
    assert_eq!(r["grand_total"], totals["grand_total"]);
    assert_eq!(r["rates"][0]["rate"], 8);
    assert_eq!(r["rates"][0]["tax"], totals["tax8"]);
    assert_eq!(r["rates"][1]["tax"], totals["tax10"]);
    assert!(
        r["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .any(|l| l["title"] == "紅いもタルト" && l["reduced"] == true)
    );
    assert_eq!(r["refund_rates"][0]["total"], 1620);
    assert_eq!(r["refund_rates"][0]["tax"], 120);
    let wrong_api = api.replace("?t=", "?t=x");
    assert_eq!(
        client()
            .get(app.url(&wrong_api))
            .send()
            .await
            .expect("r")
            .status(),
        404
    );
    let wrong = path.replace("?t=", "?t=x");
    assert_eq!(
        client()
            .get(app.url(&wrong))
            .send()
            .await
            .expect("r")
            .status(),
        404
    );
}

db_test!(
    producer_sales,
    producers_see_only_their_own_sales_and_choose_notices
);
async fn producers_see_only_their_own_sales_and_choose_notices(b: Backend) {
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let [pa, pb, pc] = &g.producers;
    for (who, choice) in [(pb, "off"), (pc, "daily_digest")] {
        let r = app
            .put_as(who, "/api/v1/sales/notice", &json!({"sold_notice": choice}))
            .await;
        assert_eq!(r.status(), 200);
    }
    assert_error(
        app.put_as(
            pa,
            "/api/v1/sales/notice",
            &json!({"sold_notice": "hourly"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let v: Value = app
        .get_as(pc, "/api/v1/sales/notice")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["sold_notice"], "daily_digest");
    let o = order(&app, &gift_cart(&g, "bank_transfer"), "s-1").await;
    let number = o["number"].as_str().expect("n");
    // Nobody hears of an unpaid bank transfer; the sale is announced once it is paid.
    app.run_pending_jobs().await;
    assert!(
        app.emails()
            .iter()
            .all(|m| !m.subject.contains("売れました"))
    );
    let r = app
        .post_as(
            &g.op,
            &format!("/api/v1/orders/{}/mark-paid", o["id"].as_str().expect("id")),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let r = app.get_as(pa, "/api/v1/sales/lines").await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.expect("text");
    let v: Value = serde_json::from_str(&text).expect("json");
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "only A's own line: {v}");
    assert!(items[0]["sku_code"].as_str().is_some());
    assert_eq!(items[0]["qty"], 2);
    assert_eq!(items[0]["order_number"], number);
    assert_eq!(items[0]["fulfilment_status"], "unfulfilled");
    for personal in [
        "山田", "花子", "hanako", "090-1234", "100-0001", "比嘉", "梅田", "06123",
    ] {
        assert!(!text.contains(personal), "{personal} leaked: {text}");
    }
    let v: Value = app
        .get_as(pb, "/api/v1/sales/lines")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["items"][0]["qty"], 3, "B sees the mozuku only");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
    // Producers have no way into orders; staff have no "own" sales.
    let oid = o["id"].as_str().expect("id");
    for path in [
        format!("/api/v1/orders/{oid}"),
        "/api/v1/orders".to_string(),
        format!("/api/v1/orders/{oid}/packing-list"),
    ] {
        assert_error(app.get_as(pa, &path).await, 403, "forbidden").await;
    }
    assert_error(
        app.get_as(&g.op, "/api/v1/sales/lines").await,
        403,
        "forbidden",
    )
    .await;

    // Per-order email to A only; C waits for the digest; B asked for none.
    app.run_pending_jobs().await;
    let mails = app.emails();
    let to = |who: &str| mails.iter().filter(|m| m.to == who).collect::<Vec<_>>();
    let a = to(&g.emails[0]);
    let sold: Vec<_> = a
        .iter()
        .filter(|m| m.subject.contains("売れました"))
        .collect();
    assert_eq!(sold.len(), 1);
    assert!(sold[0].text.contains(number) && sold[0].text.contains("× 2"));
    assert!(!sold[0].text.contains("山田") && !sold[0].text.contains("hanako"));
    assert!(to(&g.emails[1]).iter().all(|m| !m.subject.contains("売れ")));
    assert!(to(&g.emails[2]).iter().all(|m| !m.subject.contains("販売")));
    yuimaru::jobs::queue::enqueue(
        app.db(),
        yuimaru::jobs::queue::NewJob::new(
            <yuimaru::orders::jobs::SoldDigest as yuimaru::jobs::Job>::KIND,
            json!({}),
        ),
    )
    .await
    .expect("enqueue");
    app.run_pending_jobs().await;
    let mails = app.emails();
    let digest: Vec<_> = mails
        .iter()
        .filter(|m| m.to == g.emails[2] && m.subject.contains("販売まとめ"))
        .collect();
    assert_eq!(digest.len(), 1);
    assert!(digest[0].text.contains(number) && digest[0].text.contains("紅いもタルト"));
    assert!(
        mails
            .iter()
            .all(|m| m.to != g.emails[1] || !m.subject.contains("販売"))
    );
}
