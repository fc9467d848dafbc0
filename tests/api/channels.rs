//! Sales channels over HTTP against local fakes of Rakuten RMS and Shopify Admin GraphQL
//! (`fake_rakuten.rs`, `fake_shopify.rs`): accounts with sealed credentials, listings pushed
//! with their content, absolute stock sync through the outbox at each channel's rate, stale
//! compares re-read, injected failures converging, refused credentials stopping the channel
//! and emailing operators, and a full resync of 10,000 SKUs.
use crate::{
    db_test, fake_rakuten, fake_shopify,
    helpers::*,
    producers::approved_producer,
    shop::{cart, open_shop, order, stocked_sku},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) fn rakuten_body(base: &str) -> Value {
    json!({"kind": "rakuten", "name": "楽天市場店", "base_url": base,
        "credentials": {"service_secret": fake_rakuten::SERVICE_SECRET, "license_key": fake_rakuten::LICENSE_KEY},
        "credentials_expire_on": "2027-02-28",
        "settings": {"category_map": {"sweets": "100227"}, "stock_buffer": 2,
                     "price": {"markup_bp": 1000, "rounding": "yen10"}}})
}

pub(crate) fn shopify_body(base: &str) -> Value {
    json!({"kind": "shopify", "name": "Shopify 本店", "base_url": base,
        "credentials": {"access_token": fake_shopify::TOKEN, "webhook_secret": fake_shopify::WEBHOOK_SECRET},
        "settings": {"location_id": fake_shopify::LOCATION, "call_interval_ms": 100}})
}

pub(crate) async fn create(app: &TestApp, op: &str, body: &Value) -> Value {
    let r = app.post_as(op, "/api/v1/channels", body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("json")
}

pub(crate) fn manage(pid: &str) -> String {
    Uuid::parse_str(pid).expect("pid").simple().to_string()
}

pub(crate) async fn listing(app: &TestApp, op: &str, channel: &str, sku: &str) -> Value {
    let r = app
        .get_as(op, &format!("/api/v1/listings?channel_id={channel}"))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["sku_id"] == sku)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Runs due jobs until `done` holds (bounded: `rounds` rounds).
pub(crate) async fn run_until(
    app: &TestApp,
    rounds: usize,
    mut done: impl FnMut() -> bool,
) -> bool {
    for round in 0..rounds {
        let t = std::time::Instant::now();
        let n = app.run_pending_jobs().await;
        if std::env::var("CH_DEBUG").is_ok() {
            eprintln!("round {round}: {n} jobs in {:?}", t.elapsed());
        }
        if done() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    done()
}

pub(crate) fn quick(s: &mut yuimaru::config::Settings) {
    s.channels.timeout_ms = 500;
}

async fn accounts_are_checked_sealed_and_never_shown(b: Backend) {
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    // Every bad field at once, by name.
    let r = app
        .post_as(&op, "/api/v1/channels", &json!({"kind": "rakuten", "name": "", "base_url": "ftp://x",
            "credentials": {"license_key": "x", "token": "y"},
            "settings": {"stock_batch": 401, "category_map": {"sweets": "12"}, "price": {"markup_bp": -100}}}))
        .await;
    let e = assert_error(r, 422, "validation_failed").await;
    for f in [
        "name",
        "base_url",
        "credentials.service_secret",
        "credentials.token",
        "settings.stock_batch",
        "settings.category_map.sweets",
        "settings.price.markup_bp",
    ] {
        assert!(e["error"]["details"]["fields"][f].is_string(), "{f}: {e}");
    }
    let r = app
        .post_as(
            &op,
            "/api/v1/channels",
            &json!({"kind": "amazon", "name": "x", "credentials": {}}),
        )
        .await;
    let e = assert_error(r, 422, "validation_failed").await;
    assert!(e["error"]["details"]["fields"]["kind"].is_string());
    let r = app
        .post_as(
            &op,
            "/api/v1/channels",
            &json!({"kind": "shopify", "name": "s", "base_url": "https://x.myshopify.com",
            "api_version": "2026-13", "credentials": {"access_token": "t", "webhook_secret": "w"}}),
        )
        .await;
    let e = assert_error(r, 422, "validation_failed").await;
    assert!(e["error"]["details"]["fields"]["api_version"].is_string());
    assert!(e["error"]["details"]["fields"]["settings.location_id"].is_string());
    // Producers and officers may not manage channels.
    let (_, _, pt) = approved_producer(&app, &op).await;
    let r = app
        .post_as(
            &pt,
            "/api/v1/channels",
            &rakuten_body("http://127.0.0.1:9/es/2.0"),
        )
        .await;
    assert_error(r, 403, "forbidden").await;

    let c = create(&app, &op, &rakuten_body("http://127.0.0.1:9/es/2.0")).await;
    let id = c["id"].as_str().expect("id").to_string();
    assert_eq!(c["state"], "active");
    assert_eq!(c["credentials"]["key_id"], "k1");
    assert_eq!(c["settings"]["stock_batch"], 400);
    assert_eq!(c["settings"]["call_interval_ms"], 1000);
    assert_eq!(c["settings"]["stock_buffer"], 2);
    // Same name again: 422 naming it.
    let r = app
        .post_as(
            &op,
            "/api/v1/channels",
            &rakuten_body("http://127.0.0.1:9/es/2.0"),
        )
        .await;
    let e = assert_error(r, 422, "validation_failed").await;
    assert_eq!(e["error"]["details"]["codes"]["name"], "channel_name_taken");

    // Settings merge; pause / resume; a bad patch changes nothing.
    let r = app
        .patch_as(
            &op,
            &format!("/api/v1/channels/{id}"),
            &json!({"settings": {"stock_buffer": 5}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["settings"]["stock_buffer"], 5);
    assert_eq!(v["settings"]["category_map"]["sweets"], "100227");
    let r = app
        .patch_as(
            &op,
            &format!("/api/v1/channels/{id}"),
            &json!({"name": "新しい名前", "settings": {"stock_buffer": -1}}),
        )
        .await;
    assert_error(r, 422, "validation_failed").await;
    let v: Value = app
        .get_as(&op, &format!("/api/v1/channels/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["name"], "楽天市場店");
    let r = app
        .post_as(&op, &format!("/api/v1/channels/{id}/pause"), &json!({}))
        .await;
    assert_eq!(r.json::<Value>().await.expect("json")["state"], "paused");
    let r = app
        .post_as(&op, &format!("/api/v1/channels/{id}/resync"), &json!({}))
        .await;
    assert_error(r, 409, "channel_not_active").await;
    let r = app
        .post_as(&op, &format!("/api/v1/channels/{id}/resume"), &json!({}))
        .await;
    assert_eq!(r.json::<Value>().await.expect("json")["state"], "active");

    // The secrets are nowhere: not in any answer, the stored row, a job payload or the audit.
    let list = app
        .get_as(&op, "/api/v1/channels")
        .await
        .text()
        .await
        .expect("text");
    use base64::Engine;
    let esa = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        fake_rakuten::SERVICE_SECRET,
        fake_rakuten::LICENSE_KEY
    ));
    for secret in [
        fake_rakuten::SERVICE_SECRET,
        fake_rakuten::LICENSE_KEY,
        esa.as_str(),
    ] {
        assert!(!list.contains(secret));
        assert!(!c.to_string().contains(secret));
        let like = format!("%{secret}%");
        for table in [
            "SELECT COUNT(*) FROM channel WHERE credentials LIKE '{}' OR settings LIKE '{}'",
            "SELECT COUNT(*) FROM job WHERE payload LIKE '{}' OR COALESCE(last_error, '') LIKE '{}'",
            "SELECT COUNT(*) FROM audit_event WHERE details LIKE '{}' OR details LIKE '{}'",
        ] {
            assert_eq!(app.count(&table.replace("{}", &like)).await, 0, "{table}");
        }
    }

    // Rotation: a new key becomes current; rekey re-seals; the old key may then go.
    let mut cfg = app.state.settings.channels.clone();
    cfg.credential_keys.insert(
        "k2".into(),
        secrecy::SecretString::from("second-channel-key-0123456789abcdef".to_string()),
    );
    cfg.credential_key = "k2".into();
    let (moved, kept) = yuimaru::channels::service::rekey(app.db(), &cfg)
        .await
        .expect("rekey");
    assert_eq!((moved, kept), (1, 0));
    let row = entity::channel::Entity::find_by_id(Uuid::parse_str(&id).expect("id"))
        .one(app.db())
        .await
        .expect("q")
        .expect("row");
    assert_eq!(row.credentials_key_id, "k2");
    cfg.credential_keys.remove("k1");
    let opened = yuimaru::channels::vault::Credentials::open(&cfg, "k2", &row.credentials)
        .expect("opens with the new key");
    assert_eq!(opened.get("license_key"), fake_rakuten::LICENSE_KEY);
    assert_eq!(
        yuimaru::channels::service::rekey(app.db(), &cfg)
            .await
            .expect("again"),
        (0, 1)
    );
}
db_test!(
    channel_accounts_are_checked_sealed_and_never_shown,
    accounts_are_checked_sealed_and_never_shown
);

async fn stock_reaches_both_channels_as_absolute_quantities(b: Backend) {
    let rakuten = fake_rakuten::start();
    let shopify = fake_shopify::start();
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (pid, sku) = stocked_sku(&app, &op, &pt, json!({}), 1080, 10).await;
    let r_id = create(&app, &op, &rakuten_body(&rakuten.base_url())).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let s_id = create(&app, &op, &shopify_body(&shopify.url)).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let m = manage(&pid);
    let v = Uuid::parse_str(&sku).expect("sku").simple().to_string();
    // The listing is pushed with its content, then its stock: available 10 less the buffer 2.
    assert!(run_until(&app, 20, || rakuten.qty(&m, &v) == Some(8)).await);
    let item = rakuten
        .with(|s| s.items.get(&m).cloned())
        .expect("item pushed");
    assert_eq!(item["genreId"], "100227");
    assert_eq!(item["variants"][&v]["standardPrice"], "1190"); // 1,080 + 10 %, to 10 yen
    assert_eq!(item["variants"][&v]["articleNumber"]["exemptionReason"], 5);
    let l = listing(&app, &op, &s_id, &sku).await;
    assert_eq!(l["state"], "live", "{l}");
    let inv = l["external_variant_id"]
        .as_str()
        .expect("inventory item")
        .to_string();
    assert!(run_until(&app, 20, || shopify.level(&inv) == Some(10)).await);
    let rl = listing(&app, &op, &r_id, &sku).await;
    assert_eq!(
        (rl["state"].as_str(), rl["pushed_qty"].as_i64()),
        (Some("live"), Some(8))
    );

    // A shop order of 3: both channels get the new absolute quantity.
    order(
        &app,
        &cart(json!([{"sku_id": sku, "qty": 3}]), "bank_transfer"),
        "k-ch-1",
    )
    .await;
    assert!(
        run_until(&app, 20, || rakuten.qty(&m, &v) == Some(5)
            && shopify.level(&inv) == Some(7))
        .await
    );

    // Shopify sold one itself (its level moved): our next write is refused as stale, re-read
    // and written once from what is there.
    shopify.with(|s| s.levels.insert(inv.clone(), 6));
    let writes_before = shopify.with(|s| s.writes.len());
    order(
        &app,
        &cart(json!([{"sku_id": sku, "qty": 1}]), "bank_transfer"),
        "k-ch-2",
    )
    .await;
    assert!(
        run_until(&app, 20, || shopify.level(&inv) == Some(6)
            && rakuten.qty(&m, &v) == Some(4))
        .await
    );
    assert!(run_until(&app, 5, || shopify.with(|s| s.stale_answers) == 1).await);
    assert_eq!(shopify.with(|s| s.writes.len()), writes_before + 1);

    // A per-SKU buffer overrides the channel's.
    let r = app
        .put_as(
            &op,
            &format!("/api/v1/channels/{r_id}/listings/{sku}/buffer"),
            &json!({"buffer": 5}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(run_until(&app, 20, || rakuten.qty(&m, &v) == Some(1)).await);
    let r = app
        .put_as(
            &op,
            &format!("/api/v1/channels/{r_id}/listings/{sku}/buffer"),
            &json!({"buffer": -3}),
        )
        .await;
    let e = assert_error(r, 422, "validation_failed").await;
    assert!(e["error"]["details"]["fields"]["buffer"].is_string());

    // The producer pauses the product: the listings pause and the channels get 0; resumed,
    // the quantity comes back; retired, the items are delisted.
    let r = app
        .post_as(&pt, &format!("/api/v1/products/{pid}/pause"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let sweep = yuimaru::jobs::NewJob::new("channels.sweep", json!({}));
    yuimaru::jobs::enqueue(app.db(), sweep)
        .await
        .expect("sweep");
    assert!(
        run_until(&app, 20, || rakuten.qty(&m, &v) == Some(0)
            && shopify.level(&inv) == Some(0))
        .await
    );
    assert_eq!(listing(&app, &op, &r_id, &sku).await["state"], "paused");
    let r = app
        .post_as(&pt, &format!("/api/v1/products/{pid}/retire"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let sweep = yuimaru::jobs::NewJob::new("channels.sweep", json!({})).dedupe("sweep-2");
    yuimaru::jobs::enqueue(app.db(), sweep)
        .await
        .expect("sweep");
    assert!(run_until(&app, 20, || rakuten.with(|s| !s.items.contains_key(&m))).await);
    assert!(
        run_until(&app, 20, || shopify
            .with(|s| s.products.values().any(|p| p.2 == "ARCHIVED")))
        .await
    );
    assert_eq!(listing(&app, &op, &r_id, &sku).await["state"], "delisted");

    // What the fakes never saw: a relative write, a call faster than the limit, a write
    // without changeFromQuantity.
    assert_eq!(
        rakuten.with(|s| (s.relative_writes, s.rate_violations)),
        (0, 0)
    );
    assert_eq!(shopify.with(|s| s.missing_change_from), 0);
    assert!(rakuten.calls("bulk-upsert").iter().all(|s| *s == 204));
    // The producer sees where its products are.
    let mine: Value = app
        .get_as(&pt, "/api/v1/listings")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(2));
    // The channel page's numbers.
    let ch: Value = app
        .get_as(&op, &format!("/api/v1/channels/{r_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ch["sync"]["listings"]["delisted"], 1);
    assert_eq!(ch["sync"]["pending_marks"], 0);
    assert_eq!(ch["sync"]["calls_per_minute_limit"], 60);
    assert!(ch["sync"]["last_sync_at"].is_string());
}
db_test!(
    stock_reaches_both_channels_as_absolute_quantities,
    stock_reaches_both_channels_as_absolute_quantities
);

async fn failures_converge_and_refused_credentials_stop_the_channel(b: Backend) {
    let rakuten = fake_rakuten::start();
    let shopify = fake_shopify::start();
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let mut skus = Vec::new();
    for i in 0..4 {
        skus.push(stocked_sku(&app, &op, &pt, json!({}), 500 + i * 10, 10 + i).await);
    }
    rakuten.with(|s| s.fail_percent = 30);
    shopify.with(|s| s.fail_percent = 30);
    let r_id = create(&app, &op, &rakuten_body(&rakuten.base_url())).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let s_id = create(&app, &op, &shopify_body(&shopify.url)).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    for (n, (_, sku)) in skus.iter().enumerate() {
        order(
            &app,
            &cart(json!([{"sku_id": sku, "qty": 1}]), "bank_transfer"),
            &format!("k-f-{n}"),
        )
        .await;
    }
    let want = |i: usize| 10 + i as i64 - 1;
    let rakuten_ok = || {
        skus.iter().enumerate().all(|(i, (pid, sku))| {
            rakuten.qty(
                &manage(pid),
                &Uuid::parse_str(sku).expect("sku").simple().to_string(),
            ) == Some(want(i) - 2)
        })
    };
    assert!(run_until(&app, 120, rakuten_ok).await, "Rakuten converges");
    let mut invs = Vec::new();
    for (_, sku) in &skus {
        let l = listing(&app, &op, &s_id, sku).await;
        invs.push(l["external_variant_id"].as_str().unwrap_or("").to_string());
    }
    let shopify_ok = || {
        invs.iter()
            .enumerate()
            .all(|(i, inv)| shopify.level(inv) == Some(want(i)))
    };
    assert!(run_until(&app, 120, shopify_ok).await, "Shopify converges");
    // No duplicate listings or products; nothing applied twice.
    assert_eq!(rakuten.with(|s| s.items.len()), 4);
    assert_eq!(shopify.with(|s| s.products.len()), 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM listing").await, 8);
    assert_eq!(
        rakuten.with(|s| (s.relative_writes, s.rate_violations)),
        (0, 0)
    );
    assert!(rakuten.calls("").contains(&500), "failures were injected");

    // The license key expires: the channel stops, its job pauses, operators are emailed.
    rakuten.with(|s| {
        s.fail_percent = 0;
        s.expired = true;
    });
    shopify.with(|s| s.fail_percent = 0);
    let (_, sku0) = &skus[0];
    order(
        &app,
        &cart(json!([{"sku_id": sku0, "qty": 1}]), "bank_transfer"),
        "k-f-auth",
    )
    .await;
    assert!(
        run_until(&app, 20, || {
            rakuten.calls("bulk-upsert").last() == Some(&401)
        })
        .await
    );
    app.run_pending_jobs().await;
    let ch: Value = app
        .get_as(&op, &format!("/api/v1/channels/{r_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ch["state"], "auth_failed", "{ch}");
    assert!(
        ch["sync"]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("ES01-01")
    );
    assert!(
        app.count("SELECT COUNT(*) FROM job WHERE kind = 'channels.sync' AND status = 'paused'")
            .await
            >= 1
    );
    let mails = app.emails();
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("楽天市場店") && m.subject.contains("認証")),
        "{:?}",
        mails.iter().map(|m| m.subject.clone()).collect::<Vec<_>>()
    );
    let calls_before = rakuten.calls("").len();
    app.run_pending_jobs().await;
    assert_eq!(
        rakuten.calls("").len(),
        calls_before,
        "a stopped channel calls nothing"
    );
    let r = app
        .post_as(&op, &format!("/api/v1/channels/{r_id}/resume"), &json!({}))
        .await;
    assert_error(r, 409, "channel_not_active").await;
    // New credentials (the same values here; the fake accepts them again) resume it.
    rakuten.with(|s| s.expired = false);
    let r = app
        .patch_as(&op, &format!("/api/v1/channels/{r_id}"), &json!({"credentials": {
            "service_secret": fake_rakuten::SERVICE_SECRET, "license_key": fake_rakuten::LICENSE_KEY}}))
        .await;
    assert_eq!(r.json::<Value>().await.expect("json")["state"], "active");
    let (pid0, _) = &skus[0];
    let v0 = Uuid::parse_str(sku0).expect("sku").simple().to_string();
    assert!(
        run_until(&app, 20, || rakuten.qty(&manage(pid0), &v0)
            == Some(want(0) - 3))
        .await
    );
    // Nothing derived from the secrets was kept anywhere.
    use base64::Engine;
    let esa = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        fake_rakuten::SERVICE_SECRET,
        fake_rakuten::LICENSE_KEY
    ));
    for secret in [fake_rakuten::LICENSE_KEY, esa.as_str(), fake_shopify::TOKEN] {
        let like = format!("%{secret}%");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM job WHERE payload LIKE '{like}' OR COALESCE(last_error, '') LIKE '{like}'"
            ))
            .await,
            0
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM job_attempt WHERE COALESCE(error, '') LIKE '{like}'"
            ))
            .await,
            0
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM channel WHERE COALESCE(last_error, '') LIKE '{like}'"
            ))
            .await,
            0
        );
    }
}
db_test!(
    failures_converge_and_refused_credentials_stop_the_channel,
    failures_converge_and_refused_credentials_stop_the_channel
);

/// Copies of `template` under new ids (product, SKU and a lot of `qty_of(i)` units each), and a
/// live listing per SKU on `channel`, inserted directly: the shape a catalogue of `n` SKUs has.
pub(crate) async fn bulk_catalogue(
    app: &TestApp,
    channel: Uuid,
    template_sku: Uuid,
    n: usize,
    qty_of: impl Fn(usize) -> i64,
) -> Vec<(String, String, i64)> {
    let s = entity::sku::Entity::find_by_id(template_sku)
        .one(app.db())
        .await
        .expect("q")
        .expect("sku");
    let p = entity::product::Entity::find_by_id(s.product_id)
        .one(app.db())
        .await
        .expect("q")
        .expect("product");
    let lot = entity::stock_lot::Entity::find()
        .filter(entity::stock_lot::Column::SkuId.eq(s.id))
        .one(app.db())
        .await
        .expect("q")
        .expect("lot");
    let mut out = Vec::new();
    let (mut ps, mut ss, mut ls, mut lis) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let (pid, sid) = (Uuid::now_v7(), Uuid::now_v7());
        let mut pm = p.clone();
        pm.id = pid;
        pm.status = "listed".into();
        ps.push(pm.into_active_model().reset_all());
        let mut sm = s.clone();
        sm.id = sid;
        sm.product_id = pid;
        sm.code = format!("BULK-{i:05}");
        ss.push(sm.into_active_model().reset_all());
        let mut lm = lot.clone();
        lm.id = Uuid::now_v7();
        lm.sku_id = sid;
        lm.on_hand = qty_of(i);
        lm.reserved = 0;
        ls.push(lm.into_active_model().reset_all());
        let now = chrono::Utc::now();
        let (m, v) = (pid.simple().to_string(), sid.simple().to_string());
        lis.push(entity::listing::ActiveModel {
            id: Set(Uuid::now_v7()),
            aggregator_id: Set(s.aggregator_id),
            channel_id: Set(channel),
            sku_id: Set(sid),
            product_id: Set(pid),
            external_id: Set(Some(m.clone())),
            external_variant_id: Set(Some(v.clone())),
            state: Set("live".into()),
            action: Set(None),
            content_hash: Set(Some("pushed-before".into())),
            last_error: Set(None),
            buffer_override: Set(None),
            dirty_seq: Set(0),
            synced_seq: Set(0),
            pushed_qty: Set(None),
            synced_at: Set(None),
            resync: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        });
        out.push((m, v, qty_of(i)));
    }
    for c in ps.chunks(500) {
        entity::product::Entity::insert_many(c.to_vec())
            .exec_without_returning(app.db())
            .await
            .expect("products");
    }
    for c in ss.chunks(1000) {
        entity::sku::Entity::insert_many(c.to_vec())
            .exec_without_returning(app.db())
            .await
            .expect("skus");
    }
    for c in ls.chunks(1000) {
        entity::stock_lot::Entity::insert_many(c.to_vec())
            .exec_without_returning(app.db())
            .await
            .expect("lots");
    }
    for c in lis.chunks(1000) {
        entity::listing::Entity::insert_many(c.to_vec())
            .exec_without_returning(app.db())
            .await
            .expect("listings");
    }
    // The listings were pushed before: they carry the hash of their content.
    let c = entity::channel::Entity::find_by_id(channel)
        .one(app.db())
        .await
        .expect("q")
        .expect("channel");
    let settings = yuimaru::channels::service::settings_of(&c);
    let pids: Vec<Uuid> = lis
        .iter()
        .filter_map(|l| match &l.product_id {
            sea_orm::ActiveValue::Set(p) => Some(*p),
            _ => None,
        })
        .collect();
    let txn = yuimaru::db::begin_write(app.db()).await.expect("txn");
    for chunk in pids.chunks(500) {
        let items = yuimaru::channels::offer::contents(&txn, &c, &settings, chunk)
            .await
            .expect("contents");
        for (pid, item) in items {
            entity::listing::Entity::update_many()
                .col_expr(
                    entity::listing::Column::ContentHash,
                    sea_orm::sea_query::Expr::value(Some(item.hash())),
                )
                .filter(entity::listing::Column::ChannelId.eq(channel))
                .filter(entity::listing::Column::ProductId.eq(pid))
                .exec(&txn)
                .await
                .expect("hash");
        }
    }
    txn.commit().await.expect("commit");
    out
}

async fn full_resync_of_ten_thousand_skus_at_the_rate_limit(b: Backend) {
    let rakuten = fake_rakuten::start();
    let is_pg = matches!(b, Backend::Postgres(_));
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (tpl, sku) = stocked_sku(&app, &op, &pt, json!({}), 800, 5).await;
    // The template product is paused: only its 10,000 copies are offered.
    let r = app
        .post_as(&pt, &format!("/api/v1/products/{tpl}/pause"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let body = json!({"kind": "rakuten", "name": "楽天 大量", "base_url": rakuten.base_url(),
        "credentials": {"service_secret": fake_rakuten::SERVICE_SECRET, "license_key": fake_rakuten::LICENSE_KEY},
        "settings": {"category_map": {"sweets": "100227"}}});
    let id =
        Uuid::parse_str(create(&app, &op, &body).await["id"].as_str().expect("id")).expect("uuid");
    app.run_pending_jobs().await;
    let t0 = std::time::Instant::now();
    let rows = bulk_catalogue(&app, id, Uuid::parse_str(&sku).expect("sku"), 10_000, |i| {
        (i % 97) as i64
    })
    .await;
    let calls_before = rakuten.calls("bulk-upsert").len();
    if std::env::var("CH_DEBUG").is_ok() {
        eprintln!("catalogue of 10,000 in {:?}", t0.elapsed());
    }
    let t1 = std::time::Instant::now();
    let r = app
        .post_as(&op, &format!("/api/v1/channels/{id}/resync"), &json!({}))
        .await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["sync"]["resync"]["total"], 10_000);
    // On PostgreSQL two instances run the sync at once: the lease keeps one run per channel.
    if is_pg {
        let second = spawn_second_instance(&app).await;
        let (a, b) = tokio::join!(app.run_pending_jobs(), second.run_pending_jobs());
        assert!(a + b > 0);
    } else {
        app.run_pending_jobs().await;
    }
    if std::env::var("CH_DEBUG").is_ok() {
        eprintln!("resync in {:?}", t1.elapsed());
    }
    let upserts = rakuten.calls("bulk-upsert");
    assert_eq!(upserts.len() - calls_before, 25, "10,000 SKUs in 400s");
    assert!(upserts.iter().all(|s| *s == 204));
    assert_eq!(
        rakuten.with(|s| (s.rate_violations, s.relative_writes)),
        (0, 0)
    );
    let wrong = rows
        .iter()
        .filter(|(m, v, q)| rakuten.qty(m, v) != Some(*q))
        .count();
    assert_eq!(wrong, 0, "every quantity right");
    // Unknown to the fake's item table: Rakuten takes them silently (orphans), as documented.
    assert_eq!(rakuten.with(|s| s.orphans), 10_000);
    let ch: Value = app
        .get_as(&op, &format!("/api/v1/channels/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ch["sync"]["resync"]["done"], 10_000, "{}", ch["sync"]);
    assert_eq!(ch["sync"]["resync"]["left"], 0);
    assert!(ch["sync"]["resync"]["finished_at"].is_string());
}
db_test!(
    full_resync_of_ten_thousand_skus_at_the_rate_limit,
    full_resync_of_ten_thousand_skus_at_the_rate_limit
);

/// A `yuimaru worker` process on `app`'s database logging everything (JSON, debug) to `log`.
fn channel_worker(app: &TestApp, log: &std::path::Path) -> std::process::Child {
    let out = std::fs::File::create(log).expect("log file");
    let err = out.try_clone().expect("log file");
    std::process::Command::new(env!("CARGO_BIN_EXE_yuimaru"))
        .arg("worker")
        .env("YUIMARU_ENV", "test")
        .env("YUIMARU__DATABASE__URL", &app.db_url)
        .env("YUIMARU__JOBS__POLL_INTERVAL_MS", "50")
        .env("YUIMARU__JOBS__LEASE_SECONDS", "3")
        .env("YUIMARU__CHANNELS__LEASE_SECONDS", "3")
        .env("YUIMARU__CHANNELS__TIMEOUT_MS", "2000")
        .env("YUIMARU__MAIL__TRANSPORT", "memory")
        .env("YUIMARU__LOG__FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("worker starts")
}

async fn a_killed_worker_mid_sync_converges_within_the_rate_and_logs_no_secret(b: Backend) {
    let rakuten = fake_rakuten::start();
    let app = spawn_app_with(b, quick).await;
    let op = open_shop(&app).await;
    let (_, _, pt) = approved_producer(&app, &op).await;
    let (tpl, sku) = stocked_sku(&app, &op, &pt, json!({}), 800, 5).await;
    let r = app
        .post_as(&pt, &format!("/api/v1/products/{tpl}/pause"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let body = json!({"kind": "rakuten", "name": "楽天 再起動", "base_url": rakuten.base_url(),
        "credentials": {"service_secret": fake_rakuten::SERVICE_SECRET, "license_key": fake_rakuten::LICENSE_KEY},
        "settings": {"category_map": {"sweets": "100227"}, "stock_batch": 20}});
    let id =
        Uuid::parse_str(create(&app, &op, &body).await["id"].as_str().expect("id")).expect("uuid");
    app.run_pending_jobs().await;
    let rows = bulk_catalogue(&app, id, Uuid::parse_str(&sku).expect("sku"), 200, |i| {
        (i % 13) as i64 + 1
    })
    .await;
    let before = rakuten.calls("bulk-upsert").len();
    let r = app
        .post_as(&op, &format!("/api/v1/channels/{id}/resync"), &json!({}))
        .await;
    assert_eq!(r.status(), 202);
    // Two worker processes on the one database share the channel: one holds its lease.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("workers-{id}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let logs = [dir.join("w1.log"), dir.join("w2.log"), dir.join("w3.log")];
    let mut w1 = channel_worker(&app, &logs[0]);
    let mut w2 = channel_worker(&app, &logs[1]);
    let start = std::time::Instant::now();
    while rakuten.calls("bulk-upsert").len() < before + 3 && start.elapsed().as_secs() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        rakuten.calls("bulk-upsert").len() >= before + 3,
        "the sync started"
    );
    // Kill -9 both in the middle of the run; a new worker takes over after the lease.
    w1.kill().expect("kill -9");
    w2.kill().expect("kill -9");
    let _ = w1.wait();
    let _ = w2.wait();
    let written = rakuten.calls("bulk-upsert").len() - before;
    assert!(
        written < 10,
        "killed before the end ({written} of 10 calls)"
    );
    let mut w3 = channel_worker(&app, &logs[2]);
    let start = std::time::Instant::now();
    let wrong = |r: &fake_rakuten::FakeRakuten| {
        rows.iter()
            .filter(|(m, v, q)| r.qty(m, v) != Some(*q))
            .count()
    };
    while wrong(&rakuten) > 0 && start.elapsed().as_secs() < 90 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let _ = w3.kill();
    let _ = w3.wait();
    assert_eq!(wrong(&rakuten), 0, "every quantity right after the restart");
    assert_eq!(
        rakuten.with(|s| (s.rate_violations, s.relative_writes)),
        (0, 0),
        "never faster than 1 call/s, never a relative write, across three processes"
    );
    // No log line of any worker holds a credential or the ESA header built from them.
    use base64::Engine;
    let esa = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        fake_rakuten::SERVICE_SECRET,
        fake_rakuten::LICENSE_KEY
    ));
    let mut lines = 0;
    for log in &logs {
        let text = std::fs::read_to_string(log).expect("log");
        lines += text.lines().count();
        for secret in [
            fake_rakuten::SERVICE_SECRET,
            fake_rakuten::LICENSE_KEY,
            esa.as_str(),
        ] {
            assert!(!text.contains(secret), "{log:?} holds a secret");
        }
    }
    assert!(lines > 20, "the workers logged ({lines} lines)");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM job WHERE payload LIKE '%{}%' OR payload LIKE '%{esa}%'",
            fake_rakuten::LICENSE_KEY
        ))
        .await,
        0
    );
}
db_test!(
    a_killed_worker_mid_sync_converges_within_the_rate_and_logs_no_secret,
    a_killed_worker_mid_sync_converges_within_the_rate_and_logs_no_secret
);
