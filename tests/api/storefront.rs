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
