//! What goes on a label (issue 13): readings are katakana through one validator, checkout
//! refuses names and addresses a carrier cannot print (JIS X 0208), the B2 file prints the
//! documented variants (髙 → 高) and leaves out only the parcel that cannot be printed.
use crate::{
    db_test,
    fulfilment::{Goods, goods},
    helpers::*,
    producers::{register, registration},
    shop::{cart, order, post_public, shop},
};
use serde_json::{Value, json};
use yuimaru::orders::privacy::{buyer_of, seal_buyer};

async fn export(app: &TestApp, op: &str, ids: &[&str]) -> reqwest::Response {
    client()
        .post(app.url("/api/v1/fulfilment/carrier-export"))
        .bearer_auth(op)
        .json(&json!({"carrier": "yamato", "order_ids": ids}))
        .send()
        .await
        .expect("export")
}

/// Places, picks and packs a cash-on-delivery order of one frozen mango.
async fn packed(app: &TestApp, g: &Goods, buyer: Value, key: &str) -> Value {
    let mut body = cart(json!([{"sku_id": g.mango, "qty": 1}]), "cash_on_delivery");
    body["buyer"] = buyer;
    let o = order(app, &body, key).await;
    let id = o["id"].as_str().expect("id");
    let r = app
        .post_as(
            &g.op,
            "/api/v1/fulfilment/pick-list",
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_as(&g.op, &format!("/api/v1/orders/{id}/pack"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    o
}

fn buyer_with(field: &str, value: &str) -> Value {
    let mut b = crate::shop::buyer("13", "100-0001", "千代田区千代田");
    b[field] = json!(value);
    b
}

async fn registration_readings_are_katakana(b: Backend) {
    let app = spawn_app(b).await;
    for bad in ["ヒガ😀ノウエン", "比嘉農園", "Higa Farm"] {
        let mut body = registration(&format!("k-{}@example.jp", uuid::Uuid::now_v7().simple()));
        body["legal_name_kana"] = json!(bad);
        let e = assert_error(register(&app, &body).await, 422, "validation_failed").await;
        let m = e["error"]["details"]["fields"]["legal_name_kana"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(m.contains("katakana"), "{bad}: {e}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM producer").await, 0);
    // Half-width kana and hiragana are converted.
    let mut body = registration("kana-ok@example.jp");
    body["legal_name_kana"] = json!("ﾋｶﾞ　のうえん");
    let r = register(&app, &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["legal_name_kana"], "ヒガ ノウエン");
}
db_test!(
    registration_kana_is_validated_and_converted,
    registration_readings_are_katakana
);

async fn checkout_refuses_unprintable_text_and_batches_skip_one_bad_parcel(b: Backend) {
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    // Checkout: each field named, nothing stored.
    for (field, value, named) in [
        ("kana", "ヤマダ😀", "😀"),
        ("kana", "yamada", "yamada"),
        ("address1", "1-2-3😀", "😀"),
        ("city", "千代田区\u{1F3E0}", "\u{1F3E0}"),
        ("name", "森 鷗外", "鷗"),
    ] {
        let mut body = cart(json!([{"sku_id": g.mango, "qty": 1}]), "cash_on_delivery");
        body["buyer"] = buyer_with(field, value);
        for path in ["/checkout/preview", "/orders"] {
            let r = post_public(&app, &shop(path), &body, Some("bad-text")).await;
            let e = assert_error(r, 422, "validation_failed").await;
            let m = e["error"]["details"]["fields"][format!("buyer.{field}")]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert!(m.contains(named), "{field}={value} at {path}: {e}");
        }
        let mut gift = cart(json!([{"sku_id": g.mango, "qty": 1}]), "cash_on_delivery");
        gift["ship_to"] = buyer_with(field, value);
        let e = assert_error(
            post_public(&app, &shop("/checkout/preview"), &gift, None).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            e["error"]["details"]["fields"][format!("ship_to.{field}")].is_string(),
            "{e}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 0);

    // Variants print in their JIS X 0208 form; the reading is stored in full-width katakana.
    let mut takahashi = buyer_with("name", "髙橋 一郎");
    takahashi["kana"] = json!("ﾀｶﾊｼ ｲﾁﾛｳ");
    takahashi["address1"] = json!("１－２－３");
    let o1 = packed(&app, &g, takahashi, "l-1").await;
    let o2 = packed(&app, &g, buyer_with("address2", "山﨑ハイツ101"), "l-2").await;
    let (n1, n2) = (
        o1["number"].as_str().expect("n").to_string(),
        o2["number"].as_str().expect("n").to_string(),
    );
    // An order from before the check (or a channel's) holds an emoji in its address.
    let id2 = uuid::Uuid::parse_str(o2["id"].as_str().expect("id")).expect("uuid");
    {
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let m = entity::shop_order::Entity::find_by_id(id2)
            .one(&app.state.db)
            .await
            .expect("db")
            .expect("order");
        let mut data = buyer_of(&app.state, &m).expect("open").expect("data");
        data.buyer.address1 = "1-2-3😀".into();
        let mut am: entity::shop_order::ActiveModel = m.into();
        am.buyer_data = Set(Some(seal_buyer(&app.state, &data).expect("seal")));
        am.update(&app.state.db).await.expect("update");
    }
    let ids = [
        o1["id"].as_str().expect("id"),
        o2["id"].as_str().expect("id"),
    ];
    let r = export(&app, &g.op, &ids).await;
    assert_eq!(r.status(), 200, "one bad parcel does not block the batch");
    assert_eq!(r.headers()["x-parcel-count"], "1");
    assert_eq!(r.headers()["x-skipped-count"], "1");
    assert_eq!(
        r.headers()["x-skipped-parcels"].to_str().expect("ascii"),
        format!("{n2}-1 to.address")
    );
    let bytes = r.bytes().await.expect("bytes");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert!(text.contains(&format!("\"{n1}-1\"")), "{text}");
    assert!(!text.contains(&format!("\"{n2}-1\"")), "{text}");
    assert!(
        text.contains("\"高橋 一郎\",\"タカハシ イチロウ\""),
        "variant printed as 高, reading converted: {text}"
    );
    assert!(text.contains("東京都千代田区千代田1-2-3"), "{text}");
    // (The header is B2's own, with its half-width (ｶﾅ).)
    for c in text.lines().skip(1).flat_map(str::chars) {
        assert!(
            yuimaru::core::label::is_printable(c) || c == '\r' || c == '\n',
            "{c} in the file"
        );
    }
    // Alone, the bad parcel is a 422 naming it.
    let e = assert_error(
        export(&app, &g.op, &ids[1..]).await,
        422,
        "validation_failed",
    )
    .await;
    let m = e["error"]["details"]["fields"][format!("parcels.{n2}-1.to.address")]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(m.contains('😀'), "{e}");
}
db_test!(
    label_text_is_checked_at_checkout_and_per_parcel_in_exports,
    checkout_refuses_unprintable_text_and_batches_skip_one_bad_parcel
);

/// Column 2 (送り状種類), 34 (コレクト代金引換額) and 35 (内消費税額等) of each row, by reference.
fn slips(bytes: &[u8]) -> std::collections::BTreeMap<String, (String, String, String)> {
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(bytes);
    assert!(!bad);
    let mut rd = ::csv::ReaderBuilder::new().from_reader(text.as_bytes());
    rd.records()
        .map(|r| {
            let r = r.expect("row");
            (
                r[0].to_string(),
                (r[1].to_string(), r[33].to_string(), r[34].to_string()),
            )
        })
        .collect()
}

fn amounts(parcels: &Value, key: &str) -> Vec<i64> {
    parcels
        .as_array()
        .expect("parcels")
        .iter()
        .map(|p| p[key].as_i64().expect(key))
        .collect()
}

/// Packs `o` and exports its labels.
async fn labels_of(app: &TestApp, op: &str, o: &Value) -> Vec<u8> {
    let id = o["id"].as_str().expect("id");
    let r = app
        .post_as(
            op,
            "/api/v1/fulfilment/pick-list",
            &json!({"order_ids": [id]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_as(op, &format!("/api/v1/orders/{id}/pack"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let r = export(app, op, &[id]).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    r.bytes().await.expect("bytes").to_vec()
}

async fn receipt_of(app: &TestApp, o: &Value) -> Value {
    let link = o["link"].as_str().expect("link");
    let url = link.replace("?t=", "/receipt?t=");
    let path = &url[url.find("/default/").expect("slug")..];
    client()
        .get(app.url(&format!("/api/v1/aggregators{path}")))
        .send()
        .await
        .expect("receipt")
        .json()
        .await
        .expect("json")
}

/// The preview of `body` with its grand total and its tax (both rates).
async fn preview(app: &TestApp, body: &Value) -> (Value, i64, i64) {
    let r = post_public(app, &shop("/checkout/preview"), body, None).await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.expect("json");
    let grand = p["totals"]["grand_total"].as_i64().expect("total");
    let tax =
        p["totals"]["tax8"].as_i64().expect("tax8") + p["totals"]["tax10"].as_i64().expect("tax10");
    (p, grand, tax)
}

async fn cash_on_delivery_is_one_rule_from_preview_to_label(b: Backend) {
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    // Three parcels (ambient, chilled, frozen) to Naha.
    let mut body = cart(
        json!([{"sku_id": g.chinsuko, "qty": 1}, {"sku_id": g.mozuku, "qty": 1}, {"sku_id": g.mango, "qty": 1}]),
        "cash_on_delivery",
    );
    body["buyer"] = crate::shop::buyer("47", "900-0001", "那覇市港町");

    // The shop's rule: one parcel collects the whole order, one fee.
    let (p, grand, tax) = preview(&app, &body).await;
    assert_eq!(amounts(&p["parcels"], "cod_fee"), [330, 0, 0], "{p}");
    assert_eq!(p["totals"]["cod_fee"], 330);
    assert_eq!(amounts(&p["parcels"], "cod_amount"), [grand, 0, 0]);
    assert_eq!(amounts(&p["parcels"], "cod_tax"), [tax, 0, 0]);
    assert!(
        p["final_confirmation"]["payment"]
            .as_str()
            .unwrap_or_default()
            .contains("1 回"),
        "{p}"
    );
    let o = order(&app, &body, "cod-1").await;
    assert_eq!(amounts(&o["parcels"], "cod_amount"), [grand, 0, 0], "{o}");
    let r = receipt_of(&app, &o).await;
    assert_eq!(
        r["cash_on_delivery"],
        json!([{"parcel": 1, "amount": grand, "tax": tax}])
    );
    let n = o["number"].as_str().expect("n");
    let rows = slips(&labels_of(&app, &g.op, &o).await);
    assert_eq!(
        rows[&format!("{n}-1")],
        ("2".into(), grand.to_string(), tax.to_string())
    );
    for seq in [2, 3] {
        assert_eq!(
            rows[&format!("{n}-{seq}")],
            ("0".into(), String::new(), String::new())
        );
    }

    // Or each parcel collects its own goods and fees, with its share of the order's tax.
    let mut s: Value = app
        .get_as(&g.op, "/api/v1/shop-settings")
        .await
        .json()
        .await
        .expect("settings");
    s["cash_on_delivery"]["collection"] = json!("each_parcel");
    let r = app.put_as(&g.op, "/api/v1/shop-settings", &s).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let (p, grand, tax) = preview(&app, &body).await;
    assert_eq!(amounts(&p["parcels"], "cod_fee"), [330, 330, 330], "{p}");
    let collected = amounts(&p["parcels"], "cod_amount");
    assert_eq!(collected.iter().sum::<i64>(), grand);
    assert_eq!(amounts(&p["parcels"], "cod_tax").iter().sum::<i64>(), tax);
    for (parcel, amount) in p["parcels"]
        .as_array()
        .expect("parcels")
        .iter()
        .zip(&collected)
    {
        let own = ["goods", "shipping_fee", "cool_fee", "surcharge", "cod_fee"]
            .iter()
            .map(|k| parcel[*k].as_i64().expect(k))
            .sum::<i64>();
        assert_eq!(own, *amount, "a slip collects its own parcel: {parcel}");
    }
    let o = order(&app, &body, "cod-2").await;
    let n = o["number"].as_str().expect("n");
    let r = receipt_of(&app, &o).await;
    let slips_json = r["cash_on_delivery"].as_array().expect("slips").clone();
    assert_eq!(slips_json.len(), 3, "{r}");
    let rows = slips(&labels_of(&app, &g.op, &o).await);
    for (i, slip) in slips_json.iter().enumerate() {
        assert_eq!(slip["amount"], json!(collected[i]));
        assert_eq!(
            rows[&format!("{n}-{}", i + 1)],
            (
                "2".into(),
                slip["amount"].to_string(),
                slip["tax"].to_string()
            ),
            "the B2 slip is the receipt's"
        );
    }

    // One slip collects at most ¥300,000 (fee and tax included); other methods still may.
    let (_, awamori) = crate::shop::stocked_sku(
        &app,
        &g.op,
        &g.producers[0],
        json!({"title_ja": "古酒 甕"}),
        150_000,
        5,
    )
    .await;
    let mut big = cart(json!([{"sku_id": awamori, "qty": 2}]), "cash_on_delivery");
    big["buyer"] = crate::shop::buyer("47", "900-0001", "那覇市港町");
    let e = assert_error(
        post_public(&app, &shop("/checkout/preview"), &big, None).await,
        422,
        "cod_over_limit",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "payment_method", "{e}");
    assert_eq!(e["error"]["details"]["limit_yen"], 300_000);
    big["payment_method"] = json!("bank_transfer");
    let r = post_public(&app, &shop("/checkout/preview"), &big, None).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}
db_test!(
    cash_on_delivery_one_rule_in_preview_order_receipt_and_b2,
    cash_on_delivery_is_one_rule_from_preview_to_label
);

async fn orders_and_settings_from_before_move_to_slips(b: Backend) {
    use migration::MigratorTrait;
    use sea_orm::{ConnectionTrait, EntityTrait, Statement};
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let mut body = cart(
        json!([{"sku_id": g.chinsuko, "qty": 1}, {"sku_id": g.mango, "qty": 1}]),
        "cash_on_delivery",
    );
    body["buyer"] = crate::shop::buyer("47", "900-0001", "那覇市港町");
    let o = order(&app, &body, "old-cod").await;
    let grand = o["totals"]["grand_total"].as_i64().expect("total");
    // Back to the schema before slips (migration 16 and the ones after it), with a settings
    // document of that time.
    let db = &app.state.db;
    let after_16 = migration::Migrator::migrations().len() - 15;
    migration::Migrator::down(db, Some(after_16 as u32))
        .await
        .expect("down");
    let row = entity::shop_settings::Entity::find()
        .one(db)
        .await
        .expect("db")
        .expect("settings");
    let mut doc: Value = serde_json::from_str(&row.body).expect("json");
    doc.as_object_mut()
        .expect("object")
        .remove("cash_on_delivery");
    doc["cod_fee_yen"] = json!(440);
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => "UPDATE shop_settings SET body = $1",
            _ => "UPDATE shop_settings SET body = ?",
        },
        [doc.to_string().into()],
    ))
    .await
    .expect("legacy settings");
    migration::Migrator::up(db, None).await.expect("up");
    // Parcel 1 collected the whole order; the shop keeps its fee.
    assert_eq!(
        app.count("SELECT CAST(SUM(cod_amount) AS BIGINT) FROM parcel WHERE seq = 1")
            .await,
        grand
    );
    assert_eq!(
        app.count("SELECT CAST(SUM(cod_amount) AS BIGINT) FROM parcel WHERE seq = 2")
            .await,
        0
    );
    let agg = row.aggregator_id;
    let s = yuimaru::shop::settings::load(db, agg)
        .await
        .expect("the migrated document reads");
    assert_eq!(s.cash_on_delivery.fee_tiers.len(), 1);
    assert_eq!(s.cash_on_delivery.fee_tiers[0].fee_yen, 440);
    assert_eq!(s.cash_on_delivery.slip_limit(), 300_000);
}
db_test!(
    migration_16_backfills_cod_slips_and_settings,
    orders_and_settings_from_before_move_to_slips
);
