//! Reservation throughput (issue #4): reservations per second for one hot SKU and spread over
//! 1,000 SKUs (100 producers × 10 SKUs × 3 lots), at 1 and 16 concurrent clients, through the
//! service (`inventory::reservations::reserve`, the code the API runs) and through the same SQL
//! statements sent directly with sqlx, on SQLite (shipped durability: WAL + synchronous=FULL)
//! and on PostgreSQL when `BENCH_PG_URL` is set (run `benches/reservations.sh` for both).
//! Not part of the test suite; numbers go in the README.
mod common;

use chrono::Duration as ChronoDuration;
use common::{measure, seed};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use uuid::Uuid;
use yuimaru::{
    config::{Environment, MailTransportKind, Settings},
    core,
    inventory::reservations::{self, ReserveLine, ReserveRequest},
    mail::Mailer,
};

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
        let data = Arc::new(seed(&db, 100, 10, 3).await?);
        let mailer = Mailer::from_settings(&settings)?;
        let state = Arc::new(yuimaru::startup::build_state(db.clone(), settings, mailer)?);
        let actor = Arc::new(common::operator(&data));
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
