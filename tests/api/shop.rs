//! The shared shop over HTTP: settings and 特商法 disclosure, the public catalogue, checkout
//! preview (parcels, fees, tax, refusals), guest orders (idempotent, never overselling across
//! instances), the buyer's signed link and staff order handling.
use crate::{
    db_test,
    helpers::*,
    inventory::{day, location, stock_class},
    producers::approved_producer,
};
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

const SLUG: &str = "default";

pub fn shop(path: &str) -> String {
    format!("/api/v1/aggregators/{SLUG}/shop{path}")
}

/// Settings with a complete seller disclosure.
pub fn settings_body() -> Value {
    json!({
        "seller": {"name": "株式会社ゆいまーる商事", "responsible_person": "島袋 太郎", "postal_code": "9000001",
                   "address": "沖縄県那覇市港町1-1", "phone": "098-000-0000", "email": "shop@example.jp"},
        "invoice_number": "T7120001168421",
        "payment_methods": ["bank_transfer", "cash_on_delivery"],
        "bank_transfer_instructions": "琉球銀行 本店 普通 1234567 ｶ)ﾕｲﾏｰﾙ",
        "shipping_fees": [
            {"temperature_class": "ambient", "fee_yen": 1000}, {"temperature_class": "ambient", "prefecture": "47", "fee_yen": 700},
            {"temperature_class": "chilled", "fee_yen": 1200}, {"temperature_class": "frozen", "fee_yen": 1300}
        ],
        "cool_fees": {"chilled": 300, "frozen": 400},
        "remote_surcharges": [{"postal_prefix": "9013", "fee_yen": 500, "label": "久米島"}],
        "cash_on_delivery": {"collection": "one_parcel"},
        "max_qty_per_line": 10,
        "yamato_customer_code": "012345678901"
    })
}

/// A listed product with one SKU, approved by the operator; returns (product id, sku id).
pub async fn listed(
    app: &TestApp,
    op: &str,
    pt: &str,
    extra: Value,
    price: i64,
) -> (String, String) {
    let mut body = json!({"title_ja": "黒糖ちんすこう", "description_ja": "波照間島の黒糖を使ったちんすこう", "category_code": "sweets",
        "temperature_class": "ambient", "shelf_life_days": 120, "ingredients": "小麦粉、黒糖、ラード", "net_content": "12個",
        "storage": "直射日光を避けて保存", "allergens": ["wheat"]});
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    let r = app.post_as(pt, "/api/v1/products", &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let p: Value = r.json().await.expect("json");
    let pid = p["id"].as_str().expect("id").to_string();
    let code = format!("SK-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let r = app
        .post_as(
            pt,
            &format!("/api/v1/products/{pid}/skus"),
            &json!({"code": code, "price_yen": price, "weight_g": 200}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.expect("json");
    for (who, action) in [(pt, "submit"), (op, "approve")] {
        let r = app
            .post_as(who, &format!("/api/v1/products/{pid}/{action}"), &json!({}))
            .await;
        assert_eq!(
            r.status(),
            200,
            "{action}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    (pid, s["id"].as_str().expect("sku").to_string())
}

/// A listed SKU with `qty` units in stock.
pub async fn stocked_sku(
    app: &TestApp,
    op: &str,
    pt: &str,
    extra: Value,
    price: i64,
    qty: i64,
) -> (String, String) {
    let class = extra["temperature_class"]
        .as_str()
        .unwrap_or("ambient")
        .to_string();
    let (pid, sku) = listed(app, op, pt, extra, price).await;
    let loc = location(app, op, &class).await;
    stock_class(app, op, pt, &sku, qty, &day(200), &loc, &class).await;
    (pid, sku)
}

pub fn buyer(prefecture: &str, postal: &str, city: &str) -> Value {
    json!({"name": "山田 花子", "kana": "ヤマダ ハナコ", "email": "hanako@example.jp", "phone": "090-1234-5678",
           "postal_code": postal, "prefecture": prefecture, "city": city, "address1": "1-2-3"})
}

pub fn cart(lines: Value, method: &str) -> Value {
    json!({"lines": lines, "buyer": buyer("13", "100-0001", "千代田区千代田"), "payment_method": method, "time_slot": "1416"})
}

pub async fn post_public(
    app: &TestApp,
    path: &str,
    body: &Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut rq = reqwest::Client::new().post(app.url(path)).json(body);
    if let Some(k) = key {
        rq = rq
            .header("idempotency-key", k)
            .header("x-client-id", "browser-1");
    }
    rq.send().await.expect("post")
}

pub async fn get_public(app: &TestApp, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .send()
        .await
        .expect("get")
}

/// An operator token of a shop with complete settings.
pub async fn open_shop(app: &TestApp) -> String {
    let (_, op) = app.user_with_token(Role::Operator).await;
    let r = app
        .put_as(&op, "/api/v1/shop-settings", &settings_body())
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    op
}

/// Previews then places `body`; returns the order.
pub async fn order(app: &TestApp, body: &Value, key: &str) -> Value {
    let r = post_public(app, &shop("/checkout/preview"), body, None).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let p: Value = r.json().await.expect("json");
    let mut b = body.clone();
    b["expected_total"] = p["totals"]["grand_total"].clone();
    let r = post_public(app, &shop("/orders"), &b, Some(key)).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("json")
}

/// Moves an order's timestamp `column` into the past (deadlines and retention without waiting).
pub async fn backdate(
    app: &TestApp,
    id: &str,
    column: entity::shop_order::Column,
    ago: chrono::Duration,
) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    entity::shop_order::Entity::update_many()
        .col_expr(column, Expr::value(chrono::Utc::now() - ago))
        .filter(entity::shop_order::Column::Id.eq(uuid::Uuid::parse_str(id).expect("id")))
        .exec(app.db())
        .await
        .expect("backdate");
}

async fn settings_are_validated_audited_and_disclosed(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, producer) = app.user_with_token(Role::Producer).await;
    let v: Value = app
        .get_as(&op, "/api/v1/shop-settings")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["tax_rounding"], "floor");
    assert_error(
        app.get_as(&producer, "/api/v1/shop-settings").await,
        403,
        "forbidden",
    )
    .await;
    let legal: Value = get_public(&app, &shop("/legal"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(legal["complete"], false, "no seller yet");

    let mut bad = settings_body();
    bad["invoice_number"] = json!("T1234567890123");
    bad["shipping_fees"][1]["prefecture"] = json!("48");
    bad["payment_methods"] = json!(["cheque"]);
    bad["remote_surcharges"][0]["postal_prefix"] = json!("久米島");
    let r = app.put_as(&op, "/api/v1/shop-settings", &bad).await;
    let e = assert_error(r, 422, "validation_failed").await;
    let fields = e["error"]["details"]["fields"].to_string();
    for f in [
        "invoice_number",
        "shipping_fees[1].prefecture",
        "payment_methods",
        "remote_surcharges[0].postal_prefix",
    ] {
        assert!(fields.contains(f), "{f} in {fields}");
    }
    let r = app
        .put_as(&op, "/api/v1/shop-settings", &json!({"shipping_fees": []}))
        .await;
    assert_error(r, 422, "validation_failed").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM shop_settings").await,
        0,
        "nothing saved"
    );

    let r = app
        .put_as(&op, "/api/v1/shop-settings", &settings_body())
        .await;
    assert_eq!(r.status(), 200);
    let legal: Value = get_public(&app, &shop("/legal"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(legal["complete"], true);
    assert_eq!(legal["seller_name"], "株式会社ゆいまーる商事");
    assert_eq!(legal["postal_code"], "900-0001");
    assert!(
        legal["payment_timing"]
            .as_str()
            .expect("timing")
            .contains("銀行振込")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'shop_settings_changed'")
            .await,
        1
    );
    assert_error(
        get_public(&app, "/api/v1/aggregators/nowhere/shop/legal").await,
        404,
        "not_found",
    )
    .await;
}
db_test!(
    shop_settings_validated_and_disclosed,
    settings_are_validated_audited_and_disclosed
);

async fn catalogue_shows_sellable_products_with_filters_sorts_and_cursors(b: Backend) {
    let app = spawn_app(b).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (chinsuko, _) = stocked_sku(
        &app,
        &op,
        &pt,
        json!({"title_en": "Brown Sugar Chinsuko"}),
        500,
        5,
    )
    .await;
    let (mozuku, _) = stocked_sku(&app, &op, &pt,
        json!({"title_ja": "生もずく", "category_code": "seafood", "temperature_class": "chilled", "storage": "要冷蔵"}), 1200, 3).await;
    let (soldout, _) = listed(
        &app,
        &op,
        &pt,
        json!({"title_ja": "島らっきょう漬け", "category_code": "processed"}),
        800,
    )
    .await;
    // Not sellable: a draft, and a listed product of a producer closed today.
    app.post_as(&pt, "/api/v1/products", &json!({"title_ja": "下書き", "description_ja": "x", "category_code": "sweets",
        "temperature_class": "ambient", "shelf_life_days": 10, "ingredients": "x", "net_content": "1", "storage": "x"})).await;
    let (closed_id, _, closed_pt) = approved_producer(&app, &op).await;
    let (hidden, _) = stocked_sku(
        &app,
        &op,
        &closed_pt,
        json!({"title_ja": "休業中の商品"}),
        300,
        2,
    )
    .await;
    let today = day(0);
    let r = app.post_as(&closed_pt, "/api/v1/closures",
        &json!({"producer_id": closed_id, "closed_from": today, "closed_to": today, "reason": "台風"})).await;
    assert_eq!(r.status(), 201);

    let list = |q: &str| {
        let app = &app;
        let q = q.to_string();
        async move {
            let r = get_public(app, &shop(&format!("/products{q}"))).await;
            assert_eq!(r.status(), 200, "{q}");
            let v: Value = r.json().await.expect("json");
            v
        }
    };
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_string())
            .collect()
    };
    let all = list("").await;
    let got = ids(&all);
    assert_eq!(got.len(), 3, "{all}");
    assert!(!got.contains(&hidden), "closed producer hidden");
    let sold = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == soldout.as_str())
        .expect("sold out listed");
    assert_eq!(sold["in_stock"], false);
    assert_eq!(ids(&list("?in_stock=true").await).len(), 2);
    assert_eq!(
        ids(&list("?q=もずく").await),
        vec![mozuku.clone()],
        "Japanese substring"
    );
    assert_eq!(
        ids(&list("?q=brown%20SUGAR").await),
        vec![chinsuko.clone()],
        "English, any case"
    );
    assert_eq!(
        ids(&list("?temperature=chilled").await),
        vec![mozuku.clone()]
    );
    assert_eq!(
        ids(&list("?category=food&price_min=600&price_max=1000").await),
        vec![soldout.clone()],
        "parent category"
    );
    assert_eq!(
        ids(&list("?sort=price_asc").await),
        vec![chinsuko.clone(), soldout.clone(), mozuku.clone()]
    );
    assert_eq!(
        ids(&list("?sort=price_desc").await),
        vec![mozuku.clone(), soldout.clone(), chinsuko.clone()]
    );
    // Cursor pages of one: every product once, in the same order as one page.
    for sort in ["new", "price_asc", "price_desc"] {
        let whole = ids(&list(&format!("?sort={sort}")).await);
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("?sort={sort}&limit=1&cursor={c}"),
                None => format!("?sort={sort}&limit=1"),
            };
            let v = list(&q).await;
            paged.extend(ids(&v));
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(paged, whole, "{sort}");
    }
    for (q, field) in [
        ("?sort=cheap", "sort"),
        ("?limit=0", "limit"),
        ("?cursor=zz", "cursor"),
        ("?temperature=warm", "temperature"),
        ("?price_min=900&price_max=100", "price_max"),
    ] {
        let e = assert_error(
            get_public(&app, &shop(&format!("/products{q}"))).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            e["error"]["details"]["fields"].to_string().contains(field),
            "{q}: {e}"
        );
    }
    let p: Value = get_public(&app, &shop(&format!("/products/{chinsuko}")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(p["allergens"], json!(["wheat"]));
    assert_eq!(p["tax_rate"], 8);
    assert_eq!(p["skus"][0]["price"], 500);
    assert_eq!(p["skus"][0]["available"], 5);
    assert!(p["producer"].get("email").is_none() && p["producer"].get("phone").is_none());
    assert_error(
        get_public(&app, &shop(&format!("/products/{hidden}"))).await,
        404,
        "not_found",
    )
    .await;
}
db_test!(
    shop_catalogue_shows_sellable_products,
    catalogue_shows_sellable_products_with_filters_sorts_and_cursors
);

async fn preview_prices_parcels_fees_and_tax_and_refuses_clearly(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op0) = app.user_with_token(Role::Operator).await;
    let (_, _, pt) = approved_producer(&app, &op0).await;
    let (_, ambient) = stocked_sku(&app, &op0, &pt, json!({}), 1080, 10).await;
    // Not configured yet: no seller disclosure, no orders.
    let body = cart(json!([{"sku_id": ambient, "qty": 1}]), "bank_transfer");
    assert_error(
        post_public(&app, &shop("/checkout/preview"), &body, None).await,
        409,
        "shop_not_configured",
    )
    .await;
    let op = open_shop(&app).await;
    let (_, chilled) = stocked_sku(
        &app,
        &op,
        &pt,
        json!({"title_ja": "島豆腐", "category_code": "processed", "temperature_class": "chilled"}),
        330,
        10,
    )
    .await;
    let (_, craft) = stocked_sku(
        &app,
        &op,
        &pt,
        json!({"title_ja": "ミンサー織コースター", "category_code": "crafts", "allergens": []}),
        2200,
        10,
    )
    .await;

    let body = cart(
        json!([{"sku_id": ambient, "qty": 2}, {"sku_id": chilled, "qty": 3}, {"sku_id": craft, "qty": 1}, {"sku_id": chilled, "qty": 1}]),
        "cash_on_delivery",
    );
    let r = post_public(&app, &shop("/checkout/preview"), &body, None).await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.expect("json");
    let parcels = p["parcels"].as_array().expect("parcels");
    assert_eq!(
        parcels.len(),
        2,
        "ambient and chilled never share a parcel: {p}"
    );
    assert_eq!(
        (
            parcels[0]["temperature_class"].clone(),
            parcels[0]["shipping_fee"].clone(),
            parcels[0]["cool_fee"].clone()
        ),
        (json!("ambient"), json!(1000), json!(0))
    );
    assert_eq!(
        (
            parcels[1]["temperature_class"].clone(),
            parcels[1]["shipping_fee"].clone(),
            parcels[1]["cool_fee"].clone()
        ),
        (json!("chilled"), json!(1200), json!(300))
    );
    assert_eq!(
        p["lines"].as_array().expect("lines").len(),
        3,
        "same SKU merged"
    );
    let t = &p["totals"];
    // 8 %: 2 × 1,080 + 4 × 330 = 3,480 → tax floor(3,480 × 8 / 108) = 257 (per line: 80+80+24×4 would differ).
    assert_eq!(
        (t["total8"].clone(), t["tax8"].clone()),
        (json!(3480), json!(257))
    );
    // 10 %: 2,200 + shipping 2,200 + cool 300 + one COD fee 330 (parcel 1 collects the
    // whole 8,510 yen) = 5,030 → 457.
    assert_eq!(
        (t["total10"].clone(), t["tax10"].clone()),
        (json!(5030), json!(457))
    );
    assert_eq!(t["grand_total"], 8510);
    assert_eq!(
        (
            parcels[0]["cod_fee"].clone(),
            parcels[0]["cod_amount"].clone(),
            parcels[0]["cod_tax"].clone()
        ),
        (json!(330), json!(8510), json!(257 + 457))
    );
    assert_eq!(
        (
            parcels[1]["cod_fee"].clone(),
            parcels[1]["cod_amount"].clone()
        ),
        (json!(0), json!(0))
    );
    let fc = &p["final_confirmation"];
    for k in [
        "quantity",
        "total",
        "payment",
        "delivery",
        "cancellation",
        "deadline",
    ] {
        assert!(!fc[k].as_str().unwrap_or_default().is_empty(), "{k}");
    }
    assert!(
        fc["total"].as_str().expect("total").contains("8510")
            || fc["total"].as_str().expect("total").contains("8,510")
    );
    // Remote-island surcharge by postal code.
    let mut kume = body.clone();
    kume["buyer"] = buyer("47", "901-3121", "久米島町字比嘉");
    let p: Value = post_public(&app, &shop("/checkout/preview"), &kume, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(p["totals"]["surcharge_total"], 1000, "500 per parcel: {p}");
    assert_eq!(p["parcels"][0]["shipping_fee"], 700, "Okinawa rate");

    // Field errors name the field.
    let mut bad = body.clone();
    bad["buyer"]["postal_code"] = json!("12-345");
    bad["buyer"]["email"] = json!("nope");
    bad["time_slot"] = json!("0000");
    let e = assert_error(
        post_public(&app, &shop("/checkout/preview"), &bad, None).await,
        422,
        "validation_failed",
    )
    .await;
    let f = e["error"]["details"]["fields"].to_string();
    for k in ["buyer.postal_code", "buyer.email", "time_slot"] {
        assert!(f.contains(k), "{k}: {f}");
    }
    let too_many = cart(json!([{"sku_id": ambient, "qty": 11}]), "bank_transfer");
    assert_error(
        post_public(&app, &shop("/checkout/preview"), &too_many, None).await,
        422,
        "validation_failed",
    )
    .await;
    let merged_over = cart(
        json!([{"sku_id": ambient, "qty": 6}, {"sku_id": ambient, "qty": 5}]),
        "bank_transfer",
    );
    assert_error(
        post_public(&app, &shop("/checkout/preview"), &merged_over, None).await,
        422,
        "over_limit",
    )
    .await;
    let card = cart(json!([{"sku_id": ambient, "qty": 1}]), "card");
    assert_error(
        post_public(&app, &shop("/checkout/preview"), &card, None).await,
        422,
        "payment_method_unavailable",
    )
    .await;

    // Quarantine: raw sweet potato from Ishigaki may not go to Tokyo, nor into Kumejima.
    let (potato_id, potato) = stocked_sku(&app, &op, &pt,
        json!({"title_ja": "紅いも（生）", "category_code": "vegetables", "quarantine_class": "raw_sweet_potato"}), 900, 5).await;
    let tokyo = cart(json!([{"sku_id": potato, "qty": 1}]), "bank_transfer");
    let e = assert_error(
        post_public(&app, &shop("/checkout/preview"), &tokyo, None).await,
        422,
        "quarantine_restricted",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "lines[0]");
    let mut to_kume = tokyo.clone();
    to_kume["buyer"] = buyer("47", "901-3121", "久米島町字比嘉");
    assert_error(
        post_public(&app, &shop("/checkout/preview"), &to_kume, None).await,
        422,
        "quarantine_restricted",
    )
    .await;
    let mut naha = tokyo.clone();
    naha["buyer"] = buyer("47", "900-0001", "那覇市港町");
    assert_eq!(
        post_public(&app, &shop("/checkout/preview"), &naha, None)
            .await
            .status(),
        200,
        "inside Okinawa is fine"
    );
    let r = app
        .put_as(
            &op,
            &format!("/api/v1/products/{potato_id}/quarantine-certificate"),
            &json!({"certificate": "沖植第123号"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        post_public(&app, &shop("/checkout/preview"), &tokyo, None)
            .await
            .status(),
        200,
        "steam-treated"
    );

    // Alcohol: no licence → refused; with the licence, age confirmation is required.
    let (_, awamori) = stocked_sku(
        &app,
        &op,
        &pt,
        json!({"title_ja": "泡盛 古酒", "category_code": "awamori", "alcohol": true, "allergens": []}),
        3300,
        5,
    )
    .await;
    let mut drink = cart(json!([{"sku_id": awamori, "qty": 1}]), "bank_transfer");
    assert_error(
        post_public(&app, &shop("/checkout/preview"), &drink, None).await,
        422,
        "alcohol_not_sold",
    )
    .await;
    let mut s = settings_body();
    s["liquor_licence"] = json!(true);
    assert_eq!(
        app.put_as(&op, "/api/v1/shop-settings", &s).await.status(),
        200
    );
    let e = assert_error(
        post_public(&app, &shop("/checkout/preview"), &drink, None).await,
        422,
        "age_confirmation_required",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "age_confirmed");
    drink["age_confirmed"] = json!(true);
    let p: Value = post_public(&app, &shop("/checkout/preview"), &drink, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            p["totals"]["total10"].clone(),
            p["totals"]["total8"].clone()
        ),
        (json!(4300), json!(0)),
        "alcohol at 10 %"
    );

    // A producer closed today cannot sell.
    let (pid, _, pt2) = approved_producer(&app, &op).await;
    let (_, shut) = stocked_sku(&app, &op, &pt2, json!({}), 500, 5).await;
    app.post_as(&pt2, "/api/v1/closures", &json!({"producer_id": pid, "closed_from": day(0), "closed_to": day(1), "reason": "フェリー欠航"})).await;
    let closed = cart(
        json!([{"sku_id": ambient, "qty": 1}, {"sku_id": shut, "qty": 1}]),
        "bank_transfer",
    );
    let e = assert_error(
        post_public(&app, &shop("/checkout/preview"), &closed, None).await,
        422,
        "producer_closed",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "lines[1]");
    let greedy = cart(json!([{"sku_id": potato, "qty": 6}]), "bank_transfer");
    assert_error(
        post_public(&app, &shop("/checkout/preview"), &greedy, None).await,
        409,
        "out_of_stock",
    )
    .await;
}
db_test!(
    checkout_preview_prices_and_refuses,
    preview_prices_parcels_fees_and_tax_and_refuses_clearly
);

async fn guest_orders_are_idempotent_encrypted_linked_and_cancellable(b: Backend) {
    let app = spawn_app(b).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (_, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 5).await;
    let body = cart(json!([{"sku_id": sku, "qty": 2}]), "bank_transfer");
    // The total must be the previewed one.
    let e = assert_error(
        post_public(&app, &shop("/orders"), &body, Some("k-0")).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e.to_string().contains("expected_total"));
    let mut stale = body.clone();
    stale["expected_total"] = json!(1);
    let e = assert_error(
        post_public(&app, &shop("/orders"), &stale, Some("k-0")).await,
        409,
        "price_changed",
    )
    .await;
    assert_eq!(e["error"]["details"]["grand_total"], 3160);
    assert_error(
        post_public(&app, &shop("/orders"), &stale, None).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 0);

    let o = order(&app, &body, "k-1").await;
    assert_eq!(
        (
            o["status"].clone(),
            o["payment_status"].clone(),
            o["fulfilment_status"].clone()
        ),
        (json!("open"), json!("pending"), json!("unfulfilled"))
    );
    assert_eq!(o["lines"][0]["allocations"][0]["qty"], 2);
    assert!(o["pay_by"].is_string());
    let id = o["id"].as_str().expect("id").to_string();
    // Same key and body → the same order; another body → refused.
    let mut again = body.clone();
    again["expected_total"] = o["totals"]["grand_total"].clone();
    let r = post_public(&app, &shop("/orders"), &again, Some("k-1")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json")["id"], id.as_str());
    let mut other = again.clone();
    other["lines"][0]["qty"] = json!(1);
    assert_error(
        post_public(&app, &shop("/orders"), &other, Some("k-1")).await,
        422,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 1);
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        2
    );
    assert_eq!(app.count(crate::inventory::LEDGER_MISMATCHES).await, 0);

    // Personal data is encrypted at rest.
    let raw: Vec<String> = {
        use sea_orm::EntityTrait;
        entity::shop_order::Entity::find()
            .all(app.db())
            .await
            .expect("orders")
            .into_iter()
            .filter_map(|o| o.buyer_data)
            .collect()
    };
    assert!(
        raw[0].starts_with("v1:")
            && !raw[0].contains("hanako")
            && !raw[0].contains(&hex::encode("山田"))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE payload LIKE '%hanako%'")
            .await,
        0,
        "no address in jobs"
    );

    // The confirmation email carries the bank details and the signed link.
    app.run_pending_jobs().await;
    let mail = app
        .emails()
        .into_iter()
        .find(|m| m.to.contains("hanako@example.jp"))
        .expect("confirmation");
    assert!(
        mail.subject.contains(o["number"].as_str().expect("number")),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("琉球銀行") && mail.text.contains("3,160"),
        "{}",
        mail.text
    );
    let link = o["link"].as_str().expect("link").to_string();
    assert!(mail.text.contains(&link));
    let token = link.split("?t=").nth(1).expect("token").to_string();
    let v: Value = get_public(&app, &shop(&format!("/orders/{id}?t={token}")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["buyer"]["name"], "山田 花子");
    assert_error(
        get_public(&app, &shop(&format!("/orders/{id}?t=00{}", &token[2..]))).await,
        404,
        "not_found",
    )
    .await;

    // Staff see it; producers do not see the order list.
    let v: Value = app
        .get_as(&op, &format!("/api/v1/orders/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["buyer"]["phone"], "090-1234-5678");
    let list: Value = app
        .get_as(&op, "/api/v1/orders?payment_status=pending&source=shop")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    assert_error(app.get_as(&pt, "/api/v1/orders").await, 403, "forbidden").await;
    assert_error(
        app.get_as(&op, "/api/v1/orders?status=lost").await,
        422,
        "validation_failed",
    )
    .await;
    assert_error(
        app.get_as(&op, "/api/v1/orders?from=9999-12-31").await,
        422,
        "validation_failed",
    )
    .await;

    // The buyer cancels before shipment: stock back, email, audit; a second cancel conflicts.
    let r = post_public(
        &app,
        &shop(&format!("/orders/{id}/cancel?t={token}")),
        &json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.expect("json")["status"],
        "cancelled"
    );
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        0
    );
    assert_error(
        post_public(
            &app,
            &shop(&format!("/orders/{id}/cancel?t={token}")),
            &json!({}),
            None,
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    app.run_pending_jobs().await;
    assert!(
        app.emails()
            .iter()
            .any(|m| m.subject.contains("キャンセル"))
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_event WHERE action IN ('order_placed', 'order_cancelled')"
        )
        .await,
        2
    );
    assert_eq!(app.count(crate::inventory::LEDGER_MISMATCHES).await, 0);

    // Paying: operators mark a transfer paid once; an unpaid order past its deadline expires.
    let paid = order(&app, &body, "k-2").await;
    let pid = paid["id"].as_str().expect("id");
    let r = app
        .post_as(&op, &format!("/api/v1/orders/{pid}/mark-paid"), &json!({}))
        .await;
    assert_eq!(
        r.json::<Value>().await.expect("json")["payment_status"],
        "paid"
    );
    let late = order(&app, &body, "k-3").await;
    let lid = late["id"].as_str().expect("id");
    backdate(
        &app,
        lid,
        entity::shop_order::Column::PayBy,
        chrono::Duration::minutes(1),
    )
    .await;
    assert_eq!(
        yuimaru::orders::service::expire_unpaid(&app.state)
            .await
            .expect("expire"),
        1
    );
    let v: Value = app
        .get_as(&op, &format!("/api/v1/orders/{lid}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "cancelled");
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        2,
        "only the paid order holds stock"
    );
    assert_error(
        app.post_as(&op, &format!("/api/v1/orders/{lid}/mark-paid"), &json!({}))
            .await,
        409,
        "invalid_transition",
    )
    .await;

    // Retention: personal data of long-cancelled orders is erased; the facts stay.
    backdate(
        &app,
        &id,
        entity::shop_order::Column::CancelledAt,
        chrono::Duration::days(400),
    )
    .await;
    assert_eq!(
        yuimaru::orders::service::purge_personal(&app.state)
            .await
            .expect("purge"),
        1
    );
    let v: Value = app
        .get_as(&op, &format!("/api/v1/orders/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            v["personal_data_purged"].clone(),
            v["buyer"].clone(),
            v["destination_prefecture"].clone()
        ),
        (json!(true), Value::Null, json!("13"))
    );

    // The page behind the emailed link shows the order and cancels it (CSRF-checked form).
    let o = order(&app, &body, "k-4").await;
    let link = o["link"].as_str().expect("link");
    let path = &link[link.find("/default/shop/orders/").expect("path")..];
    let c = client();
    let r = c.get(app.url(path)).send().await.expect("page");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(
        html.contains(o["number"].as_str().expect("number")) && html.contains("※"),
        "{html}"
    );
    assert!(html.contains("お支払い待ち"), "{html}");
    let csrf = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_string();
    let t = path.split("?t=").nth(1).expect("token").to_string();
    let oid = o["id"].as_str().expect("id");
    let action = format!("/default/shop/orders/{oid}/cancel");
    let r = c
        .post(app.url(&action))
        .form(&[("csrf_token", "forged"), ("t", t.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403, "forged CSRF token");
    let r = c
        .post(app.url(&action))
        .form(&[("csrf_token", csrf.as_str()), ("t", t.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let html = c
        .get(app.url(path))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("この注文はキャンセルされました"), "{html}");
    let r = c
        .post(app.url(&action))
        .form(&[("csrf_token", csrf.as_str()), ("t", t.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 409, "already cancelled");
    let r = c
        .get(app.url(&format!("/default/shop/orders/{oid}?t=bad")))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 404);
}
db_test!(
    guest_orders_idempotent_and_cancellable,
    guest_orders_are_idempotent_encrypted_linked_and_cancellable
);

async fn two_hundred_buyers_race_for_the_last_unit_across_instances(b: Backend) {
    let app = spawn_app(b).await;
    let second = spawn_second_instance(&app).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (_, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 2).await;
    let mut body = cart(json!([{"sku_id": sku, "qty": 1}]), "cash_on_delivery");
    let p: Value = post_public(&app, &shop("/checkout/preview"), &body, None)
        .await
        .json()
        .await
        .expect("json");
    body["expected_total"] = p["totals"]["grand_total"].clone();
    // One unit is taken first, so exactly one is left.
    assert_eq!(
        post_public(&app, &shop("/orders"), &body, Some("first"))
            .await
            .status(),
        201
    );

    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let url = if i % 2 == 0 {
            app.url(&shop("/orders"))
        } else {
            second.url(&shop("/orders"))
        };
        let (client, body) = (client.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("idempotency-key", format!("race-{i}"))
                .header("x-client-id", format!("buyer-{i}"))
                .json(&body)
                .send()
                .await
                .expect("order")
                .status()
                .as_u16()
        }));
    }
    let mut codes = std::collections::BTreeMap::new();
    for t in tasks {
        *codes.entry(t.await.expect("task")).or_insert(0) += 1;
    }
    assert_eq!(codes.get(&201), Some(&1), "{codes:?}");
    assert_eq!(codes.get(&409), Some(&199), "{codes:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 2);
    assert_eq!(app.count(crate::inventory::LEDGER_MISMATCHES).await, 0);

    // The same key 100 times at once over both instances → one order.
    let (_, sku2) = stocked_sku(&app, &op, &pt, json!({"title_ja": "もう一品"}), 500, 50).await;
    let mut body = cart(json!([{"sku_id": sku2, "qty": 1}]), "cash_on_delivery");
    let p: Value = post_public(&app, &shop("/checkout/preview"), &body, None)
        .await
        .json()
        .await
        .expect("json");
    body["expected_total"] = p["totals"]["grand_total"].clone();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let url = if i % 2 == 0 {
            app.url(&shop("/orders"))
        } else {
            second.url(&shop("/orders"))
        };
        let (client, body) = (client.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .header("idempotency-key", "same-key")
                .header("x-client-id", "one-buyer")
                .json(&body)
                .send()
                .await
                .expect("order");
            let status = r.status().as_u16();
            let v: Value = r.json().await.expect("json");
            (status, v["id"].as_str().map(str::to_string))
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (status, id) = t.await.expect("task");
        assert!(matches!(status, 200 | 201 | 409), "{status}");
        if let Some(id) = id {
            ids.insert(id);
        }
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 3);
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        3
    );
}
db_test!(
    two_hundred_buyers_race_for_one_unit,
    two_hundred_buyers_race_for_the_last_unit_across_instances
);

async fn concurrent_orders_share_lots_first_expiry_first_out(b: Backend) {
    // 40 buyers at once for 7 units in two lots: on SQLite their orders are written in shared
    // batches, where each order must see what the orders before it in the batch took.
    let app = spawn_app(b).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (_, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 3).await;
    let loc = location(&app, &op, "ambient").await;
    stock_class(&app, &op, &pt, &sku, 4, &day(300), &loc, "ambient").await;
    let mut body = cart(json!([{"sku_id": sku, "qty": 1}]), "cash_on_delivery");
    let p: Value = post_public(&app, &shop("/checkout/preview"), &body, None)
        .await
        .json()
        .await
        .expect("json");
    body["expected_total"] = p["totals"]["grand_total"].clone();
    let client = reqwest::Client::new();
    let race = |from: usize, to: usize| {
        let (client, body, url) = (client.clone(), body.clone(), app.url(&shop("/orders")));
        async move {
            let mut tasks = Vec::new();
            for i in from..to {
                let (client, body, url) = (client.clone(), body.clone(), url.clone());
                tasks.push(tokio::spawn(async move {
                    let r = client
                        .post(url)
                        .header("idempotency-key", format!("share-{i}"))
                        .header("x-client-id", format!("buyer-{i}"))
                        .json(&body)
                        .send()
                        .await
                        .expect("order");
                    let status = r.status().as_u16();
                    let v: Value = r.json().await.expect("json");
                    (status, v)
                }));
            }
            let (mut placed, mut refused) = (0, 0);
            for t in tasks {
                let (status, v) = t.await.expect("task");
                match status {
                    201 => {
                        let allocations = &v["lines"][0]["allocations"];
                        // Exactly its unit, from one lot.
                        assert_eq!(allocations.as_array().map(Vec::len), Some(1), "{v}");
                        assert_eq!(allocations[0]["qty"], 1, "{v}");
                        placed += 1;
                    }
                    409 => {
                        assert_eq!(v["error"]["code"], "out_of_stock", "{v}");
                        refused += 1;
                    }
                    other => panic!("unexpected {other}: {v}"),
                }
            }
            (placed, refused)
        }
    };
    // Five at once: the lot that expires first (3 units) goes first, then 2 of the later one.
    assert_eq!(race(0, 5).await, (5, 0));
    let lots = "SELECT COUNT(*) FROM stock_lot WHERE ";
    assert_eq!(
        app.count(&format!("{lots}on_hand = 3 AND reserved = 3"))
            .await,
        1
    );
    assert_eq!(
        app.count(&format!("{lots}on_hand = 4 AND reserved = 2"))
            .await,
        1
    );
    // 40 at once for the last 2 units.
    assert_eq!(race(5, 45).await, (2, 38));
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) FROM stock_lot")
            .await,
        7
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM reservation_line").await, 7);
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 7);
    assert_eq!(app.count(crate::inventory::LEDGER_MISMATCHES).await, 0);
}
db_test!(
    concurrent_orders_share_lots,
    concurrent_orders_share_lots_first_expiry_first_out
);

fn available(product: &Value) -> Option<i64> {
    product["skus"][0]["available"].as_i64()
}

async fn the_shop_cache_keeps_public_reads_for_its_time_and_no_longer(b: Backend) {
    // A read is reused within the time limit; a settings save through this instance shows at
    // once.
    let app = spawn_app_with(b, |s| s.shop.cache_ttl_ms = 60_000).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (pid, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 1).await;
    let before: Value = get_public(&app, &shop(&format!("/products/{pid}")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(available(&before), Some(1));
    order(
        &app,
        &cart(json!([{"sku_id": sku, "qty": 1}]), "cash_on_delivery"),
        "cache-1",
    )
    .await;
    let cached: Value = get_public(&app, &shop(&format!("/products/{pid}")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(available(&cached), Some(1), "read within the time limit");
    // Checkout never trusts the cached page: the unit is gone.
    let r = post_public(
        &app,
        &shop("/checkout/preview"),
        &cart(json!([{"sku_id": sku, "qty": 1}]), "cash_on_delivery"),
        None,
    )
    .await;
    assert_error(r, 409, "out_of_stock").await;
    let mut s = settings_body();
    s["seller"]["phone"] = json!("098-111-2222");
    assert_eq!(
        app.put_as(&op, "/api/v1/shop-settings", &s).await.status(),
        200
    );
    let legal: Value = get_public(&app, &shop("/legal"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(legal["phone"], "098-111-2222");
}

async fn a_cached_shop_read_is_refreshed_after_its_time_limit(b: Backend) {
    let short = spawn_app_with(b, |s| s.shop.cache_ttl_ms = 200).await;
    let op = open_shop(&short).await;
    let (_, _, pt) = approved_producer(&short, &op).await;
    let (pid, sku) = stocked_sku(&short, &op, &pt, json!({}), 1080, 1).await;
    let path = shop(&format!("/products/{pid}"));
    let first: Value = get_public(&short, &path).await.json().await.expect("json");
    assert_eq!(available(&first), Some(1));
    order(
        &short,
        &cart(json!([{"sku_id": sku, "qty": 1}]), "cash_on_delivery"),
        "cache-2",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let after: Value = get_public(&short, &path).await.json().await.expect("json");
    assert_eq!(available(&after), Some(0));
    assert_eq!(after["skus"][0]["sold_out"], true);
}

db_test!(
    shop_cache_time_limit,
    the_shop_cache_keeps_public_reads_for_its_time_and_no_longer
);
db_test!(
    shop_cache_expiry,
    a_cached_shop_read_is_refreshed_after_its_time_limit
);
