//! The shop's pages over HTTP with a cookie-keeping client: browse and search, product page,
//! cart cookie, checkout form errors beside fields, the final confirmation with its six items,
//! placing once even when the confirmation is submitted twice, and the 特商法 page.
use crate::{db_test, fulfilment::goods, helpers::*, pages::csrf_of};

fn hidden(html: &str, name: &str) -> String {
    let raw = html
        .split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("hidden field");
    raw.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

db_test!(
    shop_pages,
    a_buyer_browses_fills_the_cart_confirms_and_orders_through_pages
);
async fn a_buyer_browses_fills_the_cart_confirms_and_orders_through_pages(b: Backend) {
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let c = client();
    let get = |path: String| {
        let c = c.clone();
        let url = app.url(&path);
        async move {
            let r = c.get(url).send().await.expect("get");
            let status = r.status().as_u16();
            (status, r.text().await.expect("html"))
        }
    };
    let (status, html) = get("/default/shop".into()).await;
    assert_eq!(status, 200);
    for t in ["黒糖ちんすこう", "紅いもタルト", "生もずく", "冷凍マンゴー"] {
        assert!(html.contains(t), "{t}");
    }
    let (_, html) = get("/default/shop?q=タルト".into()).await;
    assert!(html.contains("紅いもタルト") && !html.contains("生もずく"));
    let (_, html) = get("/default/shop?temperature=frozen&lang=en".into()).await;
    assert!(
        html.contains("冷凍マンゴー") && !html.contains("紅いもタルト") && html.contains("Frozen")
    );
    let (status, html) = get("/default/shop?sort=cheapest&lang=ja".into()).await;
    assert_eq!(status, 422);
    assert!(html.contains("検索条件を確認してください"));
    assert_eq!(get("/nowhere/shop".into()).await.0, 404);

    let list: serde_json::Value =
        reqwest::get(app.url("/api/v1/aggregators/default/shop/products?q=タルト"))
            .await
            .expect("api")
            .json()
            .await
            .expect("json");
    let tart_product = list["items"][0]["id"].as_str().expect("id").to_string();
    let (status, html) = get(format!("/default/shop/products/{tart_product}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("原材料名") && html.contains("カートに入れる") && html.contains("1,080 円")
    );
    assert_eq!(
        get(format!("/default/shop/products/{}", uuid::Uuid::now_v7()))
            .await
            .0,
        404
    );

    // Into the cart (CSRF required), twice: the quantities add up.
    let csrf = csrf_of(&html);
    let r = c
        .post(app.url("/default/shop/cart"))
        .form(&[
            ("csrf_token", "wrong"),
            ("sku_id", g.tart.as_str()),
            ("qty", "1"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    for _ in 0..2 {
        let r = c
            .post(app.url("/default/shop/cart"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("sku_id", g.tart.as_str()),
                ("qty", "1"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
    }
    let (_, html) = get("/default/shop/cart".into()).await;
    assert!(
        html.contains("紅いもタルト") && html.contains("2,160 円"),
        "{html}"
    );

    // A bad postal code comes back beside its field; nothing is ordered.
    let mut form = vec![
        ("csrf_token", csrf.clone()),
        ("name", "山田 花子".into()),
        ("kana", "ヤマダ ハナコ".into()),
        ("email", "hanako@example.jp".into()),
        ("phone", "090-1234-5678".into()),
        ("postal_code", "100-00".into()),
        ("prefecture", "13".into()),
        ("city", "千代田区千代田".into()),
        ("address1", "1-2-3".into()),
        ("time_slot", "1416".into()),
        ("payment_method", "bank_transfer".into()),
    ];
    let r = c
        .post(app.url("/default/shop/checkout"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"postal_code-error\""), "{html}");
    assert!(
        html.contains("value=\"山田 花子\""),
        "typed values are kept"
    );
    form[5].1 = "100-0001".into();
    // A reading that is not katakana and an address a label cannot print, in the buyer's words.
    form[2].1 = "yamada".into();
    form[8].1 = "1-2-3🏠".into();
    let r = c
        .post(app.url("/default/shop/checkout"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("id=\"kana-error\"") && html.contains("フリガナはカタカナで"),
        "{html}"
    );
    assert!(
        html.contains("id=\"address1-error\"") && html.contains("配送伝票に印字できない"),
        "{html}"
    );
    form[2].1 = "ﾔﾏﾀﾞ ﾊﾅｺ".into();
    form[8].1 = "1-2-3".into();
    // Card is API-only: an edited form asking for it is refused beside the field.
    form[10].1 = "card".into();
    let r = c
        .post(app.url("/default/shop/checkout"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"payment_method-error\"")
    );
    form[10].1 = "bank_transfer".into();
    let r = c
        .post(app.url("/default/shop/checkout"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    for item in [
        "分量",
        "お支払い総額",
        "お支払いの時期と方法",
        "お届けの時期",
        "キャンセル・返品",
        "申込みの期限",
    ] {
        assert!(html.contains(item), "final confirmation item {item}");
    }
    assert!(html.contains("紅いもタルト ※"));
    let (order_json, key) = (hidden(&html, "order_json"), hidden(&html, "key"));
    assert!(order_json.contains("expected_total"), "{order_json}");
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 0);

    // Placing twice (a double click) makes one order and lands on its page.
    let mut places = Vec::new();
    for _ in 0..2 {
        let r = c
            .post(app.url("/default/shop/place"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("order_json", order_json.as_str()),
                ("key", key.as_str()),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
        places.push(r.headers()["location"].to_str().expect("loc").to_string());
    }
    assert_eq!(places[0], places[1]);
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 1);
    let (status, html) = get(places[0].clone()).await;
    assert_eq!(status, 200);
    assert!(html.contains("紅いもタルト"));
    let (_, html) = get("/default/shop/cart".into()).await;
    assert!(html.contains("カートは空です"), "the cart was emptied");

    // The 特商法 disclosure page.
    let (_, html) = get("/default/shop/legal".into()).await;
    assert!(html.contains("特定商取引法に基づく表記"));
    assert!(
        html.contains("株式会社ゆいまーる商事")
            && html.contains("島袋 太郎")
            && html.contains("T7120001168421")
    );
    let _ = &g.op;
}

db_test!(
    staff_order_pages,
    staff_run_an_order_from_its_page_and_edit_shop_settings
);
async fn staff_run_an_order_from_its_page_and_edit_shop_settings(b: Backend) {
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let o = crate::shop::order(
        &app,
        &crate::shop::cart(
            serde_json::json!([{"sku_id": g.mozuku, "qty": 1}]),
            "bank_transfer",
        ),
        "page-1",
    )
    .await;
    let (id, number) = (
        o["id"].as_str().expect("id").to_string(),
        o["number"].as_str().expect("n").to_string(),
    );
    let staff = app
        .create_user(yuimaru::http::actor::Role::Operator, Some("default"))
        .await;
    let (c, _) = app.login(&staff).await;
    let page = |path: String| {
        let c = c.clone();
        let url = app.url(&path);
        async move {
            let r = c.get(url).send().await.expect("get");
            (r.status().as_u16(), r.text().await.expect("html"))
        }
    };
    let (status, html) = page("/operator/orders".into()).await;
    assert_eq!(status, 200);
    assert!(html.contains(&number));
    let (_, html) = page("/operator/orders?fulfilment_status=shipped".into()).await;
    assert!(!html.contains(&number));
    assert_eq!(
        page("/operator/orders?fulfilment_status=lost".into())
            .await
            .0,
        422
    );
    let (_, html) = page(format!("/operator/orders/{id}")).await;
    assert!(html.contains("山田 花子"), "staff see the buyer");
    let csrf = csrf_of(&html);
    let act = |action: &'static str, extra: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = app.url(&format!("/operator/orders/{id}/{action}"));
        let mut form = vec![("csrf_token", csrf.clone())];
        form.extend(extra);
        async move {
            let r = c.post(url).form(&form).send().await.expect("post");
            assert_eq!(r.status(), 303, "{action}");
            r.headers()["location"].to_str().expect("loc").to_string()
        }
    };
    // Picking an unpaid order is refused with the reason on the page.
    let back = act("pick", vec![]).await;
    assert!(back.contains("error="), "{back}");
    let (_, html) = page(back).await;
    assert!(html.contains("id=\"order-error\""));
    for step in ["mark-paid", "pick", "pack"] {
        let back = act(step, vec![]).await;
        assert!(!back.contains("error="), "{step}: {back}");
    }
    let back = act(
        "tracking",
        vec![("seq", "1".into()), ("tracking_number", "12".into())],
    )
    .await;
    assert!(
        back.contains("error="),
        "a short tracking number is refused"
    );
    let back = act(
        "tracking",
        vec![
            ("seq", "1".into()),
            ("tracking_number", "4000-0000-0009".into()),
        ],
    )
    .await;
    assert!(!back.contains("error="), "{back}");
    act("delivered", vec![]).await;
    let (_, html) = page(format!("/operator/orders/{id}")).await;
    assert!(
        html.contains("お届け済み") && html.contains("400000000009"),
        "{html}"
    );

    // Settings: a bad document lists its fields and saves nothing; a good one is saved.
    let (status, html) = page("/operator/shop-settings".into()).await;
    assert_eq!(status, 200);
    let json = hidden_textarea(&html);
    let mut v: serde_json::Value = serde_json::from_str(&json).expect("settings json");
    v["cash_on_delivery"]["fee_tiers"][0]["fee_yen"] = serde_json::json!(-5);
    let r = c
        .post(app.url("/operator/shop-settings"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("settings", v.to_string().as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("cash_on_delivery.fee_tiers[0].fee_yen")
    );
    v["cash_on_delivery"]["fee_tiers"][0]["fee_yen"] = serde_json::json!(440);
    let r = c
        .post(app.url("/operator/shop-settings"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("settings", v.to_string().as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let saved: serde_json::Value = app
        .get_as(&g.op, "/api/v1/shop-settings")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(saved["cash_on_delivery"]["fee_tiers"][0]["fee_yen"], 440);
}

fn hidden_textarea(html: &str) -> String {
    let raw = html
        .split("id=\"settings\"")
        .nth(1)
        .and_then(|s| s.split_once('>'))
        .and_then(|(_, rest)| rest.split("</textarea>").next())
        .expect("textarea");
    raw.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
