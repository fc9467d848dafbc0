//! Products over HTTP: drafts, SKUs, the review workflow, revisions, validation, scope, search.
use crate::{db_test, helpers::*, producers::approved_producer};
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

fn tart() -> Value {
    json!({
        "title_ja": "紅いもタルト 6個入",
        "title_en": "Purple sweet potato tarts (6)",
        "description_ja": "読谷村産の紅いもを使ったタルトです。",
        "category_code": "sweets",
        "tags": ["八重山ブランド"],
        "temperature_class": "ambient",
        "shelf_life_days": 30,
        "allergens": ["wheat", "egg", "milk"],
        "ingredients": "紅いも（沖縄県産）、小麦粉、砂糖、バター、卵",
        "net_content": "6個",
        "storage": "直射日光・高温多湿を避けて保存",
        "origin_municipality_code": "47324",
        "nutrition": {"basis": "1個", "energy_kcal": 120.5, "salt_g": 0.1},
        "hs_code": "1905.90"
    })
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let r = app.post_as(token, "/api/v1/products", body).await;
    assert_eq!(r.status(), 201, "create product");
    r.json().await.expect("json")
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.post_as(token, path, &body).await
}

async fn a_product_goes_from_draft_to_listed(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (producer_id, _, pt) = approved_producer(&app, &op).await;
    let p = create(&app, &pt, &tart()).await;
    let id = p["id"].as_str().expect("id").to_string();
    assert_eq!(p["status"], "draft");
    assert_eq!(
        p["content"]["tax_rate"], 8,
        "food suggests the reduced rate"
    );
    assert_eq!(p["tax_suggestion"]["rate"], 8);
    assert!(
        p["tax_suggestion"]["reason_ja"]
            .as_str()
            .is_some_and(|r| r.contains("軽減税率"))
    );
    assert_eq!(p["content"]["hs_code"], "190590");
    assert_eq!(p["sellable"], false);

    assert_error(
        post(
            &app,
            &pt,
            &format!("/api/v1/products/{id}/submit"),
            json!({}),
        )
        .await,
        409,
        "no_active_sku",
    )
    .await;
    let e = assert_error(
        post(
            &app,
            &pt,
            &format!("/api/v1/products/{id}/skus"),
            json!({"code": "TART-6", "price_yen": 1296, "weight_g": 300, "jan": "4901234567895"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]["jan"].is_string(),
        "wrong check digit"
    );
    let r = post(
        &app,
        &pt,
        &format!("/api/v1/products/{id}/skus"),
        json!({"code": "TART-6", "price_yen": 1296, "weight_g": 300, "jan": "2000000000015"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let sku: Value = r.json().await.expect("json");
    assert_eq!(sku["jan_local_only"], true, "in-store code");
    let e = assert_error(
        post(
            &app,
            &pt,
            &format!("/api/v1/products/{id}/skus"),
            json!({"code": "TART-6", "price_yen": 1, "weight_g": 1}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        e["error"]["details"]["fields"]["code"].is_string(),
        "taken code"
    );

    let v: Value = post(
        &app,
        &pt,
        &format!("/api/v1/products/{id}/submit"),
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["status"], "submitted");
    assert_error(
        app.patch_as(
            &pt,
            &format!("/api/v1/products/{id}"),
            &json!({"title_ja": "x"}),
        )
        .await,
        409,
        "product_under_review",
    )
    .await;
    assert_error(
        post(
            &app,
            &pt,
            &format!("/api/v1/products/{id}/approve"),
            json!({}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let e = assert_error(
        post(
            &app,
            &op,
            &format!("/api/v1/products/{id}/reject"),
            json!({}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["comments"].is_string());
    let v: Value = post(
        &app,
        &op,
        &format!("/api/v1/products/{id}/reject"),
        json!({"comments": {"storage": "開封後の保存方法も書いてください"}}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["status"], "rejected");
    let seen: Value = app
        .get_as(&pt, &format!("/api/v1/products/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        seen["review_comments"]["storage"],
        "開封後の保存方法も書いてください"
    );
    // Rejected products are edited in place, then resubmitted.
    let v: Value = app
        .patch_as(
            &pt,
            &format!("/api/v1/products/{id}"),
            &json!({"storage": "直射日光を避け、開封後はお早めに"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["content"]["storage"], "直射日光を避け、開封後はお早めに");
    assert!(v["pending_revision"].is_null());
    post(
        &app,
        &pt,
        &format!("/api/v1/products/{id}/submit"),
        json!({}),
    )
    .await;
    let v: Value = post(
        &app,
        &op,
        &format!("/api/v1/products/{id}/approve"),
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["status"], "listed");
    assert_eq!(v["sellable"], true);

    // Suspended producer → not sellable; reinstated → sellable; closed today → not sellable.
    post(
        &app,
        &op,
        &format!("/api/v1/producers/{producer_id}/suspend"),
        json!({"reason": "確認中"}),
    )
    .await;
    let v: Value = app
        .get_as(&op, &format!("/api/v1/products/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["sellable"], false);
    post(
        &app,
        &op,
        &format!("/api/v1/producers/{producer_id}/reinstate"),
        json!({}),
    )
    .await;
    let v: Value = app
        .get_as(&op, &format!("/api/v1/products/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["sellable"], true);
    let today = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    post(&app, &pt, "/api/v1/closures", json!({"producer_id": producer_id, "closed_from": today, "closed_to": today, "reason": "旧盆"})).await;
    let v: Value = app
        .get_as(&op, &format!("/api/v1/products/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["sellable"].clone(), v["producer_closed"].clone()),
        (json!(false), json!(true))
    );

    // Pause, resume, retire.
    assert_eq!(
        post(
            &app,
            &pt,
            &format!("/api/v1/products/{id}/pause"),
            json!({})
        )
        .await
        .status(),
        200
    );
    assert_error(
        post(
            &app,
            &pt,
            &format!("/api/v1/products/{id}/pause"),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    assert_eq!(
        post(
            &app,
            &pt,
            &format!("/api/v1/products/{id}/resume"),
            json!({})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        post(
            &app,
            &op,
            &format!("/api/v1/products/{id}/retire"),
            json!({})
        )
        .await
        .status(),
        200
    );
    assert_error(
        app.patch_as(
            &pt,
            &format!("/api/v1/products/{id}"),
            &json!({"title_ja": "x"}),
        )
        .await,
        409,
        "product_retired",
    )
    .await;

    app.run_pending_jobs().await;
    let subjects: Vec<String> = app
        .emails()
        .into_iter()
        .filter(|m| m.subject.contains("紅いもタルト"))
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        subjects.len(),
        7,
        "submitted, rejected, submitted, listed, paused, listed, retired: {subjects:?}"
    );
    assert!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'product_status_changed'")
            .await
            >= 7
    );
}
db_test!(
    a_product_goes_from_draft_through_review_to_listed_and_is_sellable_only_when_it_should,
    a_product_goes_from_draft_to_listed
);

async fn editing_a_listed_product_creates_a_revision(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let id = create(&app, &pt, &tart()).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    post(
        &app,
        &pt,
        &format!("/api/v1/products/{id}/skus"),
        json!({"code": "T6", "price_yen": 1296, "weight_g": 300}),
    )
    .await;
    post(
        &app,
        &pt,
        &format!("/api/v1/products/{id}/submit"),
        json!({}),
    )
    .await;
    post(
        &app,
        &op,
        &format!("/api/v1/products/{id}/approve"),
        json!({}),
    )
    .await;

    let v: Value = app
        .patch_as(
            &pt,
            &format!("/api/v1/products/{id}"),
            &json!({"title_ja": "紅いもタルト 10個入", "shelf_life_days": 45}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "listed");
    assert_eq!(
        v["content"]["title_ja"], "紅いもタルト 6個入",
        "the live version is unchanged"
    );
    let changes: Vec<&str> = v["pending_revision"]["changes"]
        .as_array()
        .expect("diff")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(changes, vec!["shelf_life_days", "title_ja"]);
    let queue: Value = app
        .get_as(&op, "/api/v1/product-revisions")
        .await
        .json()
        .await
        .expect("json");
    let rev = queue["items"][0]["id"]
        .as_str()
        .expect("revision")
        .to_string();
    let e = assert_error(
        post(
            &app,
            &op,
            &format!("/api/v1/product-revisions/{rev}/reject"),
            json!({}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["comments"].is_string());
    assert_error(
        post(
            &app,
            &pt,
            &format!("/api/v1/product-revisions/{rev}/approve"),
            json!({}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let v: Value = post(
        &app,
        &op,
        &format!("/api/v1/product-revisions/{rev}/approve"),
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["content"]["title_ja"], "紅いもタルト 10個入");
    assert_eq!(v["content"]["shelf_life_days"], 45);
    assert!(v["pending_revision"].is_null());
    assert_error(
        post(
            &app,
            &op,
            &format!("/api/v1/product-revisions/{rev}/approve"),
            json!({}),
        )
        .await,
        409,
        "revision_not_pending",
    )
    .await;
}
db_test!(
    editing_a_listed_product_creates_a_revision_that_goes_live_only_when_approved,
    editing_a_listed_product_creates_a_revision
);

async fn product_fields_are_validated(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"category_code": "awamori"}), "alcohol"),
        (
            json!({"category_code": "awamori", "alcohol": true, "tax_rate": 8}),
            "tax_rate",
        ),
        (
            json!({"category_code": "crafts", "tax_rate": 8}),
            "tax_rate",
        ),
        (json!({"category_code": "nothing"}), "category_code"),
        (json!({"allergens": ["wheat", "unicorn"]}), "allergens"),
        (json!({"temperature_class": "warm"}), "temperature_class"),
        (json!({"date_kind": "someday"}), "date_kind"),
        (json!({"shelf_life_days": 0}), "shelf_life_days"),
        (json!({"ingredients": ""}), "ingredients"),
        (json!({"title_ja": ""}), "title_ja"),
        (json!({"quarantine_class": "maybe"}), "quarantine_class"),
        (json!({"hs_code": "12"}), "hs_code"),
        (
            json!({"origin_municipality_code": "99999"}),
            "origin_municipality_code",
        ),
        (json!({"status": "listed"}), "status"),
        (json!({"producer_id": "not-a-uuid"}), "producer_id"),
    ];
    for (change, field) in cases {
        let mut body = tart();
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let e = assert_error(
            app.post_as(&pt, "/api/v1/products", &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            e["error"]["details"]["fields"][field].is_string(),
            "{change}: {e}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product").await,
        0,
        "nothing stored"
    );
    // Alcohol at 10% is fine; non-food defaults to 10%.
    let mut awamori = tart();
    awamori["category_code"] = json!("awamori");
    awamori["alcohol"] = json!(true);
    let v = create(&app, &pt, &awamori).await;
    assert_eq!(v["content"]["tax_rate"], 10);
    let mut craft = tart();
    craft["category_code"] = json!("crafts");
    let v = create(&app, &pt, &craft).await;
    assert_eq!(v["content"]["tax_rate"], 10);
    // PATCH refuses status and unknown fields too.
    let id = v["id"].as_str().expect("id");
    let e = assert_error(
        app.patch_as(
            &pt,
            &format!("/api/v1/products/{id}"),
            &json!({"status": "listed"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["status"].is_string());
    let e = assert_error(
        app.patch_as(
            &pt,
            &format!("/api/v1/products/{id}"),
            &json!({"tax_rate": 8}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["tax_rate"].is_string());
    let cats: Value = reqwest::get(app.url("/api/v1/categories"))
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    assert!(
        cats["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["code"] == "awamori" && c["tax"]["rate"] == 10)
    );
}
db_test!(
    product_food_data_tax_and_categories_are_validated,
    product_fields_are_validated
);

async fn products_are_scoped_and_searchable(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (a_id, _, a) = approved_producer(&app, &op).await;
    let (_, _, bt) = approved_producer(&app, &op).await;
    let mine = create(&app, &a, &tart()).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut other = tart();
    other["title_ja"] = json!("黒糖ちんすこう");
    other["description_ja"] = json!("波照間島の黒糖");
    other["tags"] = json!(["島の黒糖"]);
    let theirs = create(&app, &bt, &other).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_error(
        app.get_as(&a, &format!("/api/v1/products/{theirs}")).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.patch_as(
            &a,
            &format!("/api/v1/products/{theirs}"),
            &json!({"title_ja": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.post_as(
            &a,
            &format!("/api/v1/products/{theirs}/skus"),
            &json!({"code": "X", "price_yen": 1, "weight_g": 1}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let list: Value = app
        .get_as(&a, "/api/v1/products")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let (_, officer) = app.user_with_token(Role::Officer).await;
    assert_error(
        app.get_as(&officer, "/api/v1/products").await,
        403,
        "forbidden",
    )
    .await;
    // Staff search: Japanese substrings, parent categories, tags, producers.
    let count = |q: String| {
        let app = &app;
        let op = op.clone();
        async move {
            let v: Value = app
                .get_as(&op, &format!("/api/v1/products?{q}"))
                .await
                .json()
                .await
                .expect("json");
            v["items"].as_array().map(Vec::len).unwrap_or(99)
        }
    };
    assert_eq!(
        count(format!("q={}", urlencode("紅いも"))).await,
        1,
        "紅いも in 紅いもタルト"
    );
    assert_eq!(count(format!("q={}", urlencode("黒糖"))).await, 1);
    assert_eq!(
        count("category_code=food".into()).await,
        2,
        "parent includes sweets"
    );
    assert_eq!(count(format!("tag={}", urlencode("島の黒糖"))).await, 1);
    assert_eq!(count(format!("producer_id={a_id}")).await, 1);
    assert_eq!(count("island_code=ishigaki".into()).await, 2);
    assert_eq!(count("island_code=yonaguni".into()).await, 0);
    assert_eq!(count("status=draft".into()).await, 2);
    let _ = mine;
}
db_test!(
    producers_see_only_their_products_and_staff_search_in_japanese,
    products_are_scoped_and_searchable
);

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
