//! Reservation throughput (issue #4): reservations per second for one hot SKU and spread over
//! 1,000 SKUs (100 producers × 10 SKUs × 3 lots), at 1 and 16 concurrent clients, through the
//! service (`inventory::reservations::reserve`, the code the API runs) and through the same SQL
//! statements sent directly with sqlx, on SQLite (shipped durability: WAL + synchronous=FULL)
//! and on PostgreSQL when `BENCH_PG_URL` is set (run `benches/reservations.sh` for both).
//! Not part of the test suite; numbers go in the README.
use chrono::Duration as ChronoDuration;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use uuid::Uuid;
use yuimaru::{
    auth::actor::{Actor, Role, Via},
    config::{Environment, MailTransportKind, Settings},
    core,
    inventory::reservations::{self, ReserveLine, ReserveRequest},
    mail::Mailer,
    startup::AppState,
};

struct Dataset {
    aggregator: Uuid,
    user: Uuid,
    skus: Vec<Uuid>,
}

async fn seed(db: &DatabaseConnection) -> anyhow::Result<Dataset> {
    use entity::*;
    let now = core::now();
    let agg = aggregator::ActiveModel {
        id: Set(core::new_id()),
        slug: Set(format!(
            "bench{}",
            &Uuid::now_v7().simple().to_string()[20..]
        )),
        name: Set("bench".into()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let user = app_user::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(Some(agg.id)),
        email: Set(format!("bench-{}@example.jp", Uuid::now_v7().simple())),
        display_name: Set("bench".into()),
        role: Set("operator".into()),
        producer_id: Set(None),
        prefecture_code: Set(None),
        locale: Set("ja".into()),
        password_hash: Set(None),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let mut skus = Vec::new();
    for p in 0..100 {
        let producer = producer::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(agg.id),
            status: Set("approved".into()),
            status_reason: Set(None),
            legal_name: Set(format!("生産者{p}")),
            legal_name_kana: Set("ｾｲｻﾝｼｬ".into()),
            representative: Set("代表".into()),
            municipality_code: Set("47207".into()),
            island_code: Set(Some("ishigaki".into())),
            postal_code: Set("907-0004".into()),
            address: Set("石垣市".into()),
            phone: Set("0980-00-0000".into()),
            email: Set(format!("p{p}-{}@example.jp", Uuid::now_v7().simple())),
            invoice_number: Set(None),
            tax_exempt: Set(true),
            bank_code: Set("0187".into()),
            branch_code: Set("101".into()),
            account_type: Set("ordinary".into()),
            account_number: Set("1234567".into()),
            account_holder_kana: Set("ｾｲｻﾝｼｬ".into()),
            locale: Set("ja".into()),
            consent_at: Set(now),
            registered_by: Set(None),
            email_confirmed_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            sold_notice: Set("per_order".into()),
        }
        .insert(db)
        .await?;
        for k in 0..10 {
            let prod = product::ActiveModel {
                id: Set(core::new_id()),
                aggregator_id: Set(agg.id),
                producer_id: Set(producer.id),
                status: Set("listed".into()),
                title_ja: Set(format!("商品{p}-{k}")),
                title_en: Set(None),
                description_ja: Set("bench".into()),
                description_en: Set(None),
                category_code: Set("processed".into()),
                tags: Set("[]".into()),
                temperature_class: Set("ambient".into()),
                date_kind: Set("best_before".into()),
                shelf_life_days: Set(365),
                allergens: Set("[]".into()),
                ingredients: Set("x".into()),
                additives: Set(String::new()),
                net_content: Set("1".into()),
                storage: Set("x".into()),
                origin_municipality_code: Set(None),
                nutrition: Set("{}".into()),
                tax_rate: Set(8),
                alcohol: Set(false),
                quarantine_class: Set("none".into()),
                hs_code: Set(None),
                quarantine_certificate: Set(None),
                review_comments: Set("{}".into()),
                created_at: Set(now),
                updated_at: Set(now),
                submitted_at: Set(None),
                listed_at: Set(Some(now)),
            }
            .insert(db)
            .await?;
            let s = sku::ActiveModel {
                id: Set(core::new_id()),
                aggregator_id: Set(agg.id),
                producer_id: Set(producer.id),
                product_id: Set(prod.id),
                code: Set(format!(
                    "B{p}-{k}-{}",
                    &Uuid::now_v7().simple().to_string()[24..]
                )),
                name: Set("x".into()),
                jan: Set(None),
                jan_local_only: Set(false),
                price_yen: Set(500),
                weight_g: Set(100),
                low_stock_threshold: Set(0),
                active: Set(true),
                low_stock_flagged: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            for lot in 0..3 {
                stock_lot::ActiveModel {
                    id: Set(core::new_id()),
                    aggregator_id: Set(agg.id),
                    producer_id: Set(producer.id),
                    sku_id: Set(s.id),
                    lot_code: Set(format!("L{lot}")),
                    best_before: Set(core::today_jst() + ChronoDuration::days(60 + 30 * lot)),
                    location_id: Set(None),
                    on_hand: Set(1_000_000_000),
                    reserved: Set(0),
                    created_at: Set(now),
                }
                .insert(db)
                .await?;
            }
            skus.push(s.id);
        }
    }
    Ok(Dataset {
        aggregator: agg.id,
        user: user.id,
        skus,
    })
}

/// Runs `clients` tasks for `secs`, each calling `op(i)` in a loop; returns successes per second.
async fn measure<F, Fut>(clients: usize, secs: f64, op: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let ok = Arc::new(AtomicU64::new(0));
    let seq = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (op, ok, seq) = (op.clone(), ok.clone(), seq.clone());
        handles.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let i = seq.fetch_add(1, Ordering::Relaxed);
                if op(i).await {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    ok.load(Ordering::Relaxed) as f64 / secs
}

/// The same statements the service runs for a one-line, one-lot reservation, sent directly.
async fn raw_reserve(db: &DatabaseConnection, agg: Uuid, user: Uuid, sku: Uuid) -> bool {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let p = |sql: &str| yuimaru::db::sql_for(backend, sql);
    let run = async {
        let txn = yuimaru::db::begin_write(db).await?;
        let now = core::now();
        let rid = core::new_id();
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            p("INSERT INTO reservation (id, aggregator_id, status, expires_at, destination_prefecture, reference, idempotency_key, request_hash, created_by, created_at, updated_at) VALUES ($1, $2, 'held', $3, NULL, 'raw', NULL, NULL, $4, $5, $5)"),
            [rid.into(), agg.into(), (now + ChronoDuration::hours(1)).into(), user.into(), now.into()],
        ))
        .await?;
        let min_date = core::today_jst() + ChronoDuration::days(7);
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                p("SELECT id FROM stock_lot WHERE sku_id = $1 AND aggregator_id = $2 AND best_before >= $3 AND on_hand > reserved ORDER BY best_before, id LIMIT 1"),
                [sku.into(), agg.into(), min_date.into()],
            ))
            .await?;
        let Some(row) = row else {
            return Ok::<bool, sea_orm::DbErr>(false);
        };
        let lot: Uuid = row.try_get("", "id")?;
        let n = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                p("UPDATE stock_lot SET on_hand = on_hand + 0, reserved = reserved + 1 WHERE id = $1 AND reserved + 1 <= on_hand"),
                [lot.into()],
            ))
            .await?
            .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            p("INSERT INTO stock_movement (id, aggregator_id, lot_id, sku_id, kind, on_hand_delta, reserved_delta, cause_type, cause_id, actor_user_id, loss_bearer, reason, created_at) VALUES ($1, $2, $3, $4, 'reservation', 0, 1, 'reservation', $5, $6, NULL, '', $7)"),
            [core::new_id().into(), agg.into(), lot.into(), sku.into(), rid.into(), user.into(), now.into()],
        ))
        .await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            p("INSERT INTO reservation_line (id, aggregator_id, reservation_id, sku_id, lot_id, qty) VALUES ($1, $2, $3, $4, $5, 1)"),
            [core::new_id().into(), agg.into(), rid.into(), sku.into(), lot.into()],
        ))
        .await?;
        txn.commit().await?;
        Ok(true)
    };
    run.await.unwrap_or(false)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let secs: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let dir = std::env::temp_dir().join(format!("yuimaru-bench-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let mut targets = vec![(
        "SQLite (WAL, synchronous=FULL)",
        format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
    )];
    if let Ok(pg) = std::env::var("BENCH_PG_URL") {
        targets.push(("PostgreSQL (fsync=on)", pg));
    }
    println!(
        "| database | SKUs | clients | service reservations/s | raw SQL reservations/s | service / raw |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, url) in targets {
        let mut settings = Settings::load(Environment::Test)?;
        settings.database.url = secrecy::SecretString::from(url);
        settings.database.max_connections = 32;
        settings.mail.transport = MailTransportKind::Memory;
        settings.uploads.dir = dir.join("uploads");
        let db = yuimaru::db::connect(&settings.database).await?;
        yuimaru::db::migrate(&db).await?;
        let data = Arc::new(seed(&db).await?);
        let mailer = Mailer::from_settings(&settings)?;
        let state = Arc::new(AppState::new(db.clone(), settings, mailer)?);
        let actor = Arc::new(Actor {
            user_id: data.user,
            email: "bench@example.jp".into(),
            display_name: "bench".into(),
            role: Role::Operator,
            aggregator_id: Some(data.aggregator),
            producer_id: None,
            prefecture_code: None,
            locale: "ja".into(),
            via: Via::Cli,
        });
        for (label, spread) in [("1 (hot)", false), ("1,000", true)] {
            for clients in [1usize, 16] {
                let (st, ac, d) = (state.clone(), actor.clone(), data.clone());
                let service = measure(clients, secs, move |i| {
                    let (st, ac, d) = (st.clone(), ac.clone(), d.clone());
                    async move {
                        let sku = if spread {
                            d.skus[(i as usize * 7919) % d.skus.len()]
                        } else {
                            d.skus[0]
                        };
                        let req = ReserveRequest {
                            lines: vec![ReserveLine {
                                sku_id: sku,
                                qty: 1,
                            }],
                            destination_prefecture: None,
                            reference: "bench".into(),
                            expires_in_minutes: None,
                        };
                        reservations::reserve(&st, &ac, req, None).await.is_ok()
                    }
                })
                .await;
                let (db2, d2) = (db.clone(), data.clone());
                let raw = measure(clients, secs, move |i| {
                    let (db2, d2) = (db2.clone(), d2.clone());
                    async move {
                        let sku = if spread {
                            d2.skus[(i as usize * 7919) % d2.skus.len()]
                        } else {
                            d2.skus[0]
                        };
                        raw_reserve(&db2, d2.aggregator, d2.user, sku).await
                    }
                })
                .await;
                println!(
                    "| {name} | {label} | {clients} | {service:.0} | {raw:.0} | {:.0} % |",
                    if raw > 0.0 {
                        100.0 * service / raw
                    } else {
                        0.0
                    }
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
