//! The management pages over HTTP with a signed-in browser session (cookies + CSRF).
use crate::{db_test, helpers::*, producers::approved_producer};
use reqwest::Client;
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_string()
}

/// GETs a page with a signed-in client; returns its HTML.
async fn page_html(c: &Client, app: &TestApp, path: &str) -> String {
    c.get(app.url(path))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}

/// Logs in through the login page; returns the client and the (rotated) CSRF token.
pub async fn page_login(app: &TestApp, email: &str, password: &str) -> (Client, String) {
    let c = client();
    let html = c
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("html");
    let csrf = csrf_of(&html);
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303);
    let html = c
        .get(app.url("/"))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("html");
    (c, csrf_of(&html))
}

async fn producers_manage_closures_and_bank_accounts_on_pages(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pid, user, _) = approved_producer(&app, &op).await;
    let (c, csrf) = page_login(&app, &user.email, &user.password).await;
    let html = c
        .get(app.url("/portal/profile"))
        .send()
        .await
        .expect("profile")
        .text()
        .await
        .expect("html");
    assert!(html.contains("比嘉農園"));
    assert!(!html.contains("id=\"closed-now\""));
    let today = (chrono::Utc::now() + chrono::Duration::hours(9))
        .date_naive()
        .to_string();
    let r = c
        .post(app.url("/portal/profile/closures"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("closed_from", today.as_str()),
            ("closed_to", today.as_str()),
            ("reason", "旧盆"),
        ])
        .send()
        .await
        .expect("closure");
    assert_eq!(r.status(), 303);
    let html = c
        .get(app.url("/portal/profile"))
        .send()
        .await
        .expect("profile")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"closed-now\""));
    // Bank change: the password is asked again; errors beside their fields.
    let bank = |pw: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("bank_kind", "bank".into()),
            ("bank_code", "0001".into()),
            ("branch_code", "001".into()),
            ("account_number", "7654321".into()),
            ("holder_kana", "ヒガ ユイ".into()),
            ("current_password", pw.into()),
        ]
    };
    let r = c
        .post(app.url("/portal/profile/bank-account"))
        .form(&bank("wrong-password"))
        .send()
        .await
        .expect("bank");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"current_password-error\"")
    );
    let r = c
        .post(app.url("/portal/profile/bank-account"))
        .form(&bank("ishigaki-mango-2026"))
        .send()
        .await
        .expect("bank");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"bank-pending\""));
    // The operator approves it on the producer list.
    let op_user = app.create_user(Role::Operator, Some("default")).await;
    let (oc, ocsrf) = page_login(&app, &op_user.email, &op_user.password).await;
    let html = oc
        .get(app.url("/operator/producers"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("html");
    assert!(html.contains(&format!("/operator/producers/{pid}/bank-approve")));
    let r = oc
        .post(app.url(&format!("/operator/producers/{pid}/bank-approve")))
        .form(&[("csrf_token", ocsrf.as_str())])
        .send()
        .await
        .expect("approve");
    assert_eq!(r.status(), 303);
    let v: Value = app
        .get_as(&op, &format!("/api/v1/producers/{pid}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["bank_account"]["bank_code"], "0001");
    // Suspend and reinstate on the list; the form without CSRF does nothing.
    let r = oc
        .post(app.url(&format!("/operator/producers/{pid}/suspend")))
        .form(&[("reason", "確認")])
        .send()
        .await
        .expect("x");
    assert_eq!(r.status(), 403);
    oc.post(app.url(&format!("/operator/producers/{pid}/suspend")))
        .form(&[("csrf_token", ocsrf.as_str()), ("reason", "表示の確認")])
        .send()
        .await
        .expect("suspend");
    let v: Value = app
        .get_as(&op, &format!("/api/v1/producers/{pid}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "suspended");
    oc.post(app.url(&format!("/operator/producers/{pid}/reinstate")))
        .form(&[("csrf_token", ocsrf.as_str())])
        .send()
        .await
        .expect("reinstate");
    let v: Value = app
        .get_as(&op, &format!("/api/v1/producers/{pid}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "approved");
    // Island-wide closure from the page.
    let r = oc
        .post(app.url("/operator/closures"))
        .form(&[
            ("csrf_token", ocsrf.as_str()),
            ("island_code", "ishigaki"),
            ("closed_from", today.as_str()),
            ("closed_to", today.as_str()),
            ("reason", "台風"),
        ])
        .send()
        .await
        .expect("island");
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM producer_closure WHERE island_code = 'ishigaki'")
            .await,
        1
    );
    // Producers cannot open the operator pages.
    assert_eq!(
        c.get(app.url("/operator/producers"))
            .send()
            .await
            .expect("x")
            .status(),
        403
    );
}
db_test!(
    producers_and_operators_manage_closures_bank_accounts_and_status_on_pages,
    producers_manage_closures_and_bank_accounts_on_pages
);

async fn operators_register_by_proxy_and_import_csv_on_pages(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let op_user = app.create_user(Role::Operator, Some("default")).await;
    let (c, csrf) = page_login(&app, &op_user.email, &op_user.password).await;
    let html = c
        .get(app.url("/operator/producers/new"))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("html");
    assert!(html.contains("consent_date"));
    assert!(!html.contains("name=\"password\""));
    let mut form = vec![
        ("csrf_token", csrf.clone()),
        ("legal_name", "おばあの畑".into()),
        ("legal_name_kana", "オバアノハタケ".into()),
        ("representative", "新垣 トミ".into()),
        ("municipality_code", "47361".into()),
        ("island_code", "kume".into()),
        ("postal_code", "901-3100".into()),
        ("address", "久米島町".into()),
        ("phone", "098-985-0000".into()),
        ("email", "tomi@example.jp".into()),
        ("tax_status", "exempt".into()),
        ("bank_kind", "japan_post".into()),
        ("jp_bank_symbol", "17010".into()),
        ("jp_bank_number", "12345671".into()),
        ("holder_kana", "アラカキ トミ".into()),
    ];
    let r = c
        .post(app.url("/operator/producers/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"consent_date-error\"")
    );
    form.push(("consent_date", "2026-11-20".into()));
    let r = c
        .post(app.url("/operator/producers/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM producer WHERE email = 'tomi@example.jp' AND registered_by IS NOT NULL").await, 1);

    // CSV import page: a bad row stops everything and the table names row and column.
    let (pid, _, _) = approved_producer(&app, &op).await;
    let csv = format!(
        "producer_id,title_ja,category_code,temperature_class,shelf_life_days,ingredients,net_content,storage,sku_code,price_yen,weight_g\n\
         {pid},もずく,processed,chilled,30,もずく,200g,要冷蔵,MZ-1,400,250\n\
         {pid},海ぶどう,processed,warm,7,海ぶどう,100g,常温,UB-1,800,120\n"
    );
    let upload = |partial: bool| {
        let mut f = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("items.csv"),
            );
        if partial {
            f = f.text("partial", "on");
        }
        c.post(app.url("/operator/import")).multipart(f).send()
    };
    let r = upload(false).await.expect("import");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"import-errors\""));
    assert!(
        html.contains("<td>3</td><td>temperature_class</td>"),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM product").await, 0);
    let r = upload(true).await.expect("import");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("id=\"import-done\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM product").await, 1);
    // A form that is not multipart is told so (415 with a message), not "too large".
    let r = c
        .post(app.url("/operator/import"))
        .form(&[("csrf_token", csrf.as_str()), ("file", "x")])
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), 415);
    let html = r.text().await.expect("html");
    assert!(html.contains("multipart/form-data"), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM product").await, 1);
}
db_test!(
    operators_register_by_proxy_and_import_csv_on_pages,
    operators_register_by_proxy_and_import_csv_on_pages
);

async fn products_are_paused_and_retired_from_their_page(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, user, pt) = approved_producer(&app, &op).await;
    let body = json!({"title_ja": "泡盛 30度", "description_ja": "古酒", "category_code": "awamori", "alcohol": true,
                      "temperature_class": "ambient", "shelf_life_days": 3650, "ingredients": "米こうじ", "net_content": "720ml", "storage": "常温"});
    let v: Value = app
        .post_as(&pt, "/api/v1/products", &body)
        .await
        .json()
        .await
        .expect("json");
    let id = v["id"].as_str().expect("id").to_string();
    app.post_as(
        &pt,
        &format!("/api/v1/products/{id}/skus"),
        &json!({"code": "AW-30", "price_yen": 2200, "weight_g": 1400}),
    )
    .await;
    app.post_as(&pt, &format!("/api/v1/products/{id}/submit"), &json!({}))
        .await;
    app.post_as(&op, &format!("/api/v1/products/{id}/approve"), &json!({}))
        .await;
    let (c, csrf) = page_login(&app, &user.email, &user.password).await;
    let html = page_html(&c, &app, &format!("/portal/products/{id}")).await;
    assert!(html.contains("id=\"product-pause\""));
    c.post(app.url(&format!("/portal/products/{id}/state/pause")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("pause");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product WHERE status = 'paused'")
            .await,
        1
    );
    c.post(app.url(&format!("/portal/products/{id}/state/retire")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("retire");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product WHERE status = 'retired'")
            .await,
        1
    );
}
db_test!(
    products_are_paused_and_retired_from_their_page,
    products_are_paused_and_retired_from_their_page
);

async fn the_product_page_edits_every_food_field(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, user, pt) = approved_producer(&app, &op).await;
    let (c, csrf) = page_login(&app, &user.email, &user.password).await;
    let mut form = vec![
        ("csrf_token", csrf.clone()),
        ("title_ja", "黒糖".to_string()),
        ("title_en", "Brown sugar".into()),
        ("description_ja", "波照間島の黒糖".into()),
        ("description_en", "Hateruma brown sugar".into()),
        ("tags", "八重山ブランド、島の黒糖".into()),
        ("category_code", "sweets".into()),
        ("temperature_class", "ambient".into()),
        ("date_kind", "best_before".into()),
        ("shelf_life_days", "365".into()),
        ("allergens", "soybean".into()),
        ("ingredients", "さとうきび".into()),
        ("net_content", "300g".into()),
        ("storage", "常温".into()),
        ("origin_municipality_code", "47381".into()),
        ("nutrition_basis", "100g".into()),
        ("energy_kcal", "abc".into()),
        ("tax_rate", "8".into()),
        ("quarantine_class", "none".into()),
    ];
    let r = c
        .post(app.url("/portal/products/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"nutrition-error\""), "bad number named");
    assert!(html.contains("value=\"Brown sugar\""), "input kept");
    for (k, v) in form.iter_mut() {
        if *k == "energy_kcal" {
            *v = "354".into();
        }
    }
    let r = c
        .post(app.url("/portal/products/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    let id = location.rsplit('/').next().unwrap_or_default().to_string();
    let v: Value = app
        .get_as(&pt, &format!("/api/v1/products/{id}"))
        .await
        .json()
        .await
        .expect("json");
    let content = &v["content"];
    assert_eq!(content["tags"], json!(["八重山ブランド", "島の黒糖"]));
    assert_eq!(content["nutrition"]["energy_kcal"], 354.0);
    assert_eq!(content["description_en"], "Hateruma brown sugar");
    assert_eq!(content["origin_municipality_code"], "47381");
    assert_eq!(content["allergens"], json!(["soybean"]));
}
db_test!(
    the_product_page_edits_every_food_field,
    the_product_page_edits_every_food_field
);

async fn shipments_are_declared_received_and_seen_on_pages(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (producer_id, user, pt) = approved_producer(&app, &op).await;
    let body = json!({"title_ja": "島らっきょう", "description_ja": "伊江島産", "category_code": "vegetables", "temperature_class": "chilled",
                      "shelf_life_days": 14, "ingredients": "島らっきょう", "net_content": "200g", "storage": "要冷蔵"});
    let p: Value = app
        .post_as(&pt, "/api/v1/products", &body)
        .await
        .json()
        .await
        .expect("json");
    let pid = p["id"].as_str().expect("id");
    let s: Value = app
        .post_as(
            &pt,
            &format!("/api/v1/products/{pid}/skus"),
            &json!({"code": "RK-200", "price_yen": 500, "weight_g": 220}),
        )
        .await
        .json()
        .await
        .expect("json");
    let sku = s["id"].as_str().expect("sku").to_string();
    let (c, csrf) = page_login(&app, &user.email, &user.password).await;
    let html = page_html(&c, &app, "/shipments").await;
    assert!(html.contains("RK-200"), "the producer's SKUs are offered");
    let bb = ((chrono::Utc::now() + chrono::Duration::hours(9)).date_naive()
        + chrono::Duration::days(14))
    .to_string();
    let mut form = vec![
        ("csrf_token", csrf.clone()),
        ("temperature_class", "chilled".into()),
        ("transport", "ferry".into()),
        ("boxes", "1".into()),
        ("sku_0", sku.clone()),
        ("qty_0", "".into()),
        ("lot_0", "RK1".into()),
        ("best_before_0", bb.clone()),
        ("ship_now", "on".into()),
    ];
    let r = c
        .post(app.url("/shipments"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("id=\"qty_0-error\""));
    form[5].1 = "30".into();
    let r = c
        .post(app.url("/shipments"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_shipment WHERE status = 'shipped'")
            .await,
        1
    );

    // The operator receives it on the page; a double-submitted form is recorded once.
    let loc: Value = app
        .post_as(
            &op,
            "/api/v1/locations",
            &json!({"code": "C-01", "zone": "chilled"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let loc_id = loc["id"].as_str().expect("loc").to_string();
    let op_user = app.create_user(Role::Operator, Some("default")).await;
    let (oc, ocsrf) = page_login(&app, &op_user.email, &op_user.password).await;
    let html = page_html(&oc, &app, "/shipments").await;
    let key = html
        .split("name=\"receipt_key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("key")
        .to_string();
    let line = html
        .split("name=\"received_")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("line")
        .to_string();
    let shipment = app.count("SELECT COUNT(*) FROM inbound_shipment").await;
    assert_eq!(shipment, 1);
    let sid = html
        .split("<div class=\"card\" id=\"shipment-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("sid")
        .to_string();
    let mut receive: Vec<(String, String)> = vec![
        ("csrf_token".into(), ocsrf.clone()),
        ("receipt_key".into(), key.clone()),
        (format!("received_{line}"), "28".into()),
        (format!("damaged_{line}"), "2".into()),
        (format!("location_{line}"), loc_id.clone()),
        ("notes".into(), "箱1つ角つぶれ".into()),
    ];
    // Damaged units need someone who bears them; the page asks at the line.
    let r = oc
        .post(app.url(&format!("/shipments/{sid}/receive")))
        .form(&receive)
        .send()
        .await
        .expect("receive");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains(&format!("id=\"line-{line}-error\""))
            && html.contains("負担する相手を選んでください"),
        "{html}"
    );
    receive.push((format!("damage_bearer_{line}"), "carrier".into()));
    // Vegetables here must keep 20 days: the 14-day lot is refused, the page says so at the line.
    let rule = |days: i32| json!({"kind": "min_days_category", "key": "vegetables", "days": days});
    assert_eq!(
        app.put_as(&op, "/api/v1/inventory-rules", &rule(20))
            .await
            .status(),
        200
    );
    let r = oc
        .post(app.url(&format!("/shipments/{sid}/receive")))
        .form(&receive)
        .send()
        .await
        .expect("receive");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains(&format!("id=\"line-{line}-error\""))
            && html.contains("販売基準を下回っています"),
        "{html}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM receipt").await,
        0,
        "nothing half-written"
    );
    assert_eq!(
        app.put_as(&op, "/api/v1/inventory-rules", &rule(7))
            .await
            .status(),
        200
    );
    for _ in 0..2 {
        let r = oc
            .post(app.url(&format!("/shipments/{sid}/receive")))
            .form(&receive)
            .send()
            .await
            .expect("receive");
        assert_eq!(r.status(), 303);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM receipt").await,
        1,
        "recorded once"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_shipment WHERE status = 'received'")
            .await,
        1
    );
    // A photo of the receiving event, from the page; a text file is refused at that event.
    let html = page_html(&oc, &app, "/shipments").await;
    let rid = html
        .split("id=\"receipt-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("receipt")
        .to_string();
    let photo = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", ocsrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("box.jpg"),
            );
        oc.post(app.url(&format!("/shipments/{sid}/receipts/{rid}/photos")))
            .multipart(form)
            .send()
    };
    let r = photo(b"not an image".to_vec()).await.expect("upload");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains(&format!("id=\"photo-{rid}-error\""))
    );
    let r = photo(crate::photos::jpeg_with_gps(64, 48))
        .await
        .expect("upload");
    assert_eq!(r.status(), 303);
    let html = page_html(&c, &app, "/shipments").await;
    assert!(
        html.contains("箱1つ角つぶれ"),
        "the receiving notes are shown"
    );
    assert!(
        html.contains("破損 2 (運送会社)"),
        "the event's counts and who bears the damage are shown"
    );
    let src = html
        .split("src=\"/api/v1/receipt-photos/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the producer sees the photo");
    let img = c
        .get(app.url(&format!("/api/v1/receipt-photos/{src}")))
        .send()
        .await
        .expect("img");
    assert_eq!(img.status(), 200, "served with the page session");
    // The operator closes the received shipment from the page (the producer has no button).
    assert!(!html.contains("close-shipment"));
    let ohtml = page_html(&oc, &app, "/shipments").await;
    assert!(ohtml.contains("class=\"close-shipment\""));
    let r = oc
        .post(app.url(&format!("/shipments/{sid}/close")))
        .form(&[("csrf_token", ocsrf.as_str())])
        .send()
        .await
        .expect("close");
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_shipment WHERE status = 'closed'")
            .await,
        1
    );
    // A bad date is refused at its field; an operator declares for the producer with only a
    // production date, and the date is derived from the 14-day shelf life.
    let on_behalf = |production: &str| {
        vec![
            ("csrf_token", ocsrf.clone()),
            ("producer_id", producer_id.clone()),
            ("temperature_class", "chilled".into()),
            ("transport", "air".into()),
            ("boxes", "2".into()),
            ("sku_0", sku.clone()),
            ("qty_0", "6".into()),
            ("lot_0", "RK2".into()),
            ("production_date_0", production.to_string()),
            ("notes", "代理登録".into()),
        ]
    };
    let r = oc
        .post(app.url("/shipments"))
        .form(&on_behalf("2026-13-40"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"production_date_0-error\"")
    );
    let r = oc
        .post(app.url("/shipments"))
        .form(&on_behalf("2026-11-01"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let list: Value = app
        .get_as(&pt, "/api/v1/inbound-shipments")
        .await
        .json()
        .await
        .expect("json");
    let newest = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["status"] == "draft")
        .expect("the producer sees the shipment declared for them");
    let detail: Value = app
        .get_as(
            &pt,
            &format!(
                "/api/v1/inbound-shipments/{}",
                newest["id"].as_str().expect("id")
            ),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["lines"][0]["best_before"], "2026-11-15");
    assert_eq!(detail["notes"], "代理登録");
    // Stock pages and the CSV export.
    let html = page_html(&c, &app, "/stock").await;
    assert!(
        html.contains("RK1") && html.contains("<td class=\"available\">28</td>"),
        "producer's stock"
    );
    let html = page_html(&oc, &app, "/stock?expiring_within_days=30").await;
    assert!(html.contains("RK1"));
    let csv = app
        .get_as(&op, "/api/v1/stock/export")
        .await
        .bytes()
        .await
        .expect("csv");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    assert!(
        std::str::from_utf8(&csv[3..])
            .unwrap_or("")
            .contains("RK-200,RK1")
    );
}
db_test!(
    shipments_are_declared_received_and_seen_on_pages,
    shipments_are_declared_received_and_seen_on_pages
);

/// The first `attr="…"` value after `after` in `html`.
fn attr_after(html: &str, after: &str) -> String {
    html.split(after)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("{after} not in page"))
        .to_string()
}

async fn warehouse_pages_cover_lots_holds_returns_rules_and_recall(b: Backend) {
    use crate::inventory::{day, location, sku_for, stock};
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (producer_id, user, pt) = approved_producer(&app, &op).await;
    let sku = sku_for(&app, &pt, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &sku, 10, &day(90), &loc).await;
    let op_user = app.create_user(Role::Operator, Some("default")).await;
    let (oc, csrf) = page_login(&app, &op_user.email, &op_user.password).await;
    let post = |path: String, form: Vec<(String, String)>| {
        let oc = &oc;
        let url = app.url(&path);
        async move { oc.post(url).form(&form).send().await.expect("post") }
    };
    let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        std::iter::once(("csrf_token".to_string(), csrf.clone()))
            .chain(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .collect()
    };

    // Filters name their field; the lot links to its history.
    let r = oc
        .get(app.url("/stock?expiring_within_days=soon&temperature_class=warm"))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"expiring_within_days-error\""), "{html}");
    let html = page_html(&oc, &app, "/stock?temperature_class=ambient").await;
    assert!(html.contains("id=\"sku-table\"") && html.contains("<td class=\"sku-available\">10"));
    let lot = attr_after(&html, "href=\"/stock/lots/");
    let html = page_html(&oc, &app, &format!("/stock/lots/{lot}")).await;
    assert!(html.contains("入荷") && html.contains("id=\"adjust-form\""));

    // Adjustments: errors at their field, then a damage charged to the producer.
    let adjust = format!("/stock/lots/{lot}/adjust");
    let r = post(
        adjust.clone(),
        form(&[
            ("kind", "damage"),
            ("qty_delta", "two"),
            ("reason", "箱つぶれ"),
        ]),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"qty_delta-error\"")
    );
    let r = post(
        adjust.clone(),
        form(&[
            ("kind", "damage"),
            ("qty_delta", "-2"),
            ("reason", "箱つぶれ"),
        ]),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"loss_bearer-error\"")
    );
    let r = post(
        adjust.clone(),
        form(&[
            ("kind", "damage"),
            ("qty_delta", "-2"),
            ("reason", "箱つぶれ"),
            ("loss_bearer", "producer"),
        ]),
    )
    .await;
    assert_eq!(r.status(), 303);
    let html = page_html(&oc, &app, &format!("/stock/lots/{lot}")).await;
    assert!(html.contains("<dd id=\"lot-on-hand\">8</dd>") && html.contains("破損"));
    // The producer sees the history, not the forms; another producer does not see the lot.
    let (pc, _) = page_login(&app, &user.email, &user.password).await;
    let r = pc
        .get(app.url(&format!("/stock/lots/{lot}")))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("箱つぶれ") && !html.contains("adjust-form"));
    assert_eq!(
        pc.get(app.url("/holds"))
            .send()
            .await
            .expect("page")
            .status(),
        403
    );
    let (_, other, _) = approved_producer(&app, &op).await;
    let (xc, _) = page_login(&app, &other.email, &other.password).await;
    assert_eq!(
        xc.get(app.url(&format!("/stock/lots/{lot}")))
            .send()
            .await
            .expect("page")
            .status(),
        404
    );

    // Holds: out of stock is said plainly; a double-submitted form holds once.
    let html = page_html(&oc, &app, "/holds").await;
    let key = attr_after(&html, "name=\"form_key\" value=\"");
    let r = post(
        "/holds".into(),
        form(&[
            ("form_key", "k-big"),
            ("sku_0", &sku),
            ("qty_0", "100"),
            ("reference", "電話注文"),
        ]),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("在庫が足りません"));
    for _ in 0..2 {
        let r = post(
            "/holds".into(),
            form(&[
                ("form_key", &key),
                ("sku_0", &sku),
                ("qty_0", "3"),
                ("reference", "電話注文 42"),
            ]),
        )
        .await;
        assert_eq!(r.status(), 303);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM reservation").await, 1);
    let html = page_html(&oc, &app, "/holds?status=held").await;
    let hold = attr_after(&html, "<div class=\"card\" id=\"hold-");
    assert!(html.contains("電話注文 42") && html.contains("取り置き中"));
    // Ship it; shipping twice is refused at that hold.
    assert_eq!(
        post(format!("/holds/{hold}/consume"), form(&[]))
            .await
            .status(),
        303
    );
    let r = post(format!("/holds/{hold}/consume"), form(&[])).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains(&format!("id=\"hold-{hold}-error\""))
    );
    // One unit comes back to stock; more than shipped is refused.
    let html = page_html(&oc, &app, "/holds?status=consumed").await;
    let rkey = attr_after(&html, "name=\"form_key\" value=\"");
    let ret = |qty: &str, key: &str| {
        form(&[
            ("form_key", key),
            (&format!("qty_{lot}"), qty),
            (&format!("disposition_{lot}"), "restock"),
            ("reason", "受取拒否"),
        ])
    };
    let r = post(format!("/holds/{hold}/returns"), ret("9", "r-big")).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("出荷した数より多くは返品できません")
    );
    assert_eq!(
        post(format!("/holds/{hold}/returns"), ret("1", &rkey))
            .await
            .status(),
        303
    );
    let html = page_html(&oc, &app, &format!("/stock/lots/{lot}")).await;
    assert!(
        html.contains("<dd id=\"lot-on-hand\">6</dd>"),
        "8 - 3 shipped + 1 back"
    );

    // Rules: a bad number names the field; a good one is listed and applies.
    let r = post(
        "/stock/rules".into(),
        form(&[
            ("kind", "min_days_category"),
            ("key", "processed"),
            ("days", "many"),
        ]),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("id=\"days-error\""));
    let r = post(
        "/stock/rules".into(),
        form(&[
            ("kind", "transit_days_prefecture"),
            ("key", "01"),
            ("days", "4"),
        ]),
    )
    .await;
    assert_eq!(r.status(), 303);
    let html = page_html(&oc, &app, "/stock/rules").await;
    assert!(
        html.contains("北海道") && html.contains("<td>4</td>"),
        "{html}"
    );

    // Recall: the producer's lots lead to the phone order.
    let r = oc
        .get(app.url(&format!(
            "/recall?producer_id={producer_id}&from=2020-01-01&to=2099-12-31"
        )))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("電話注文 42"));
    let r = oc
        .get(app.url(&format!("/recall?producer_id={producer_id}&from=someday")))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("id=\"from-error\""));
    assert_eq!(app.count(crate::inventory::LEDGER_MISMATCHES).await, 0);
}
db_test!(
    warehouse_pages_cover_lots_holds_returns_rules_and_recall,
    warehouse_pages_cover_lots_holds_returns_rules_and_recall
);
