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
