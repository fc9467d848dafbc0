//! The shop benchmark's Rust half (issue #5), driven by `benches/shop.sh`:
//! - `BENCH_MODE=seed`: writes the fixed dataset (100 producers × 20 listed SKUs with stock, shop
//!   settings) into `BENCH_DB_URL` and prints what the load script needs (slug, SKU ids in
//!   producer order, one product id) as `key=value` lines.
//! - `BENCH_MODE=raw`: the raw database's rate for the order statements — the Idempotency-Key
//!   lookup and the write transaction the order placement runs (order, reservation, for each of
//!   3 lines the first-expiry lot, its conditional balance update, movement and allocation,
//!   parcel, order lines, two job rows, audit) — sent directly, at 16 and 64 concurrent clients
//!   for `BENCH_SECONDS`, with the shipped durability (SQLite WAL + synchronous=FULL; PostgreSQL
//!   fsync=on). Prints `raw <clients> <orders/s>`.
mod common;

use chrono::Duration as ChronoDuration;
use common::{measure, seed};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, Statement};
use std::sync::Arc;
use uuid::Uuid;
use yuimaru::{
    config::{Environment, Settings},
    core,
    shop::settings::{Seller, ShopSettings},
};

const PRODUCERS: usize = 100;
const PER_PRODUCER: usize = 20;

async fn connect() -> anyhow::Result<DatabaseConnection> {
    let mut settings = Settings::load(Environment::Test)?;
    settings.database.url = secrecy::SecretString::from(std::env::var("BENCH_DB_URL")?);
    settings.database.max_connections = 70;
    let db = yuimaru::db::connect(&settings.database).await?;
    yuimaru::db::migrate(&db).await?;
    Ok(db)
}

async fn seed_shop(db: &DatabaseConnection) -> anyhow::Result<common::Dataset> {
    let data = seed(db, PRODUCERS, PER_PRODUCER, 1).await?;
    let s = ShopSettings {
        seller: Seller {
            name: "ベンチ商事".into(),
            responsible_person: "代表".into(),
            postal_code: "900-0001".into(),
            address: "沖縄県那覇市港町1-1".into(),
            phone: "098-000-0000".into(),
            email: "bench@example.jp".into(),
        },
        payment_methods: vec!["bank_transfer".into(), "cash_on_delivery".into()],
        max_units_per_order: 1000,
        ..ShopSettings::default()
    };
    entity::shop_settings::ActiveModel {
        aggregator_id: Set(data.aggregator),
        body: Set(serde_json::to_string(&s)?),
        updated_by: Set(None),
        updated_at: Set(core::now()),
    }
    .insert(db)
    .await?;
    Ok(data)
}

/// The order statements of a 3-line, one-parcel order, sent directly.
async fn raw_order(db: &DatabaseConnection, agg: Uuid, skus: [Uuid; 3]) -> bool {
    let backend = db.get_database_backend();
    let p = |sql: &str| yuimaru::db::sql_for(backend, sql);
    let run = async {
        let key = core::secrets::random_token();
        db.query_one_raw(Statement::from_sql_and_values(
            backend,
            p("SELECT id FROM shop_order WHERE aggregator_id = $1 AND client_key = $2 AND idempotency_key = $3"),
            [agg.into(), "raw".into(), key.clone().into()],
        ))
        .await?;
        let txn = yuimaru::db::begin_write(db).await?;
        let now = core::now();
        let (oid, rid) = (core::new_id(), core::new_id());
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            p("INSERT INTO shop_order (id, aggregator_id, number, source, status, payment_status, fulfilment_status, payment_method, buyer_data, destination_prefecture, time_slot, goods_total, shipping_total, cool_total, surcharge_total, cod_fee, total8, total10, tax8, tax10, grand_total, currency, refunded_total, refund_owed, reservation_id, client_key, idempotency_key, request_hash, created_at, updated_at) VALUES ($1, $2, $3, 'shop', 'open', 'cash_on_delivery', 'unfulfilled', 'cash_on_delivery', $4, '13', '1416', 1500, 1200, 0, 0, 330, 1500, 1530, 111, 139, 3030, 'JPY', 0, 0, $5, 'raw', $6, $7, $8, $8)"),
            [oid.into(), agg.into(), key[..8].to_uppercase().into(), "v1:sealed".repeat(20).into(), rid.into(), key.clone().into(), key.clone().into(), now.into()],
        ))
        .await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            p("INSERT INTO reservation (id, aggregator_id, status, expires_at, destination_prefecture, reference, idempotency_key, request_hash, created_by, created_at, updated_at) VALUES ($1, $2, 'held', NULL, '13', 'raw', NULL, NULL, $3, $4, $4)"),
            [rid.into(), agg.into(), Uuid::nil().into(), now.into()],
        ))
        .await?;
        let min_date = core::today_jst() + ChronoDuration::days(10);
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            p("INSERT INTO parcel (id, aggregator_id, order_id, seq, temperature_class, carrier, time_slot, shipping_fee, cool_fee, surcharge, status) VALUES ($1, $2, $3, 1, 'ambient', 'yamato', '1416', 1200, 0, 0, 'pending')"),
            [core::new_id().into(), agg.into(), oid.into()],
        ))
        .await?;
        for sku in skus {
            let row = txn
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    p("SELECT id, producer_id FROM stock_lot WHERE sku_id = $1 AND aggregator_id = $2 AND best_before >= $3 AND on_hand > reserved ORDER BY best_before, id LIMIT 1"),
                    [sku.into(), agg.into(), min_date.into()],
                ))
                .await?;
            let Some(row) = row else {
                return Ok::<bool, sea_orm::DbErr>(false);
            };
            let lot: Uuid = row.try_get("", "id")?;
            let producer: Uuid = row.try_get("", "producer_id")?;
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
                p("INSERT INTO stock_movement (id, aggregator_id, lot_id, sku_id, kind, on_hand_delta, reserved_delta, cause_type, cause_id, actor_user_id, loss_bearer, reason, created_at) VALUES ($1, $2, $3, $4, 'reservation', 0, 1, 'reservation', $5, NULL, NULL, '', $6)"),
                [core::new_id().into(), agg.into(), lot.into(), sku.into(), rid.into(), now.into()],
            ))
            .await?;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                p("INSERT INTO reservation_line (id, aggregator_id, reservation_id, sku_id, lot_id, qty, returned_qty) VALUES ($1, $2, $3, $4, $5, 1, 0)"),
                [core::new_id().into(), agg.into(), rid.into(), sku.into(), lot.into()],
            ))
            .await?;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                p("INSERT INTO order_line (id, aggregator_id, order_id, producer_id, product_id, sku_id, title, sku_code, qty, unit_price, tax_rate, line_total, temperature_class, parcel_seq, allocations, returned_qty, created_at) VALUES ($1, $2, $3, $4, $5, $6, '商品', 'SKU', 1, 500, 8, 500, 'ambient', 1, $7, 0, $8)"),
                [core::new_id().into(), agg.into(), oid.into(), producer.into(), sku.into(), sku.into(), format!("[{{\"lot_id\":\"{lot}\",\"qty\":1}}]").into(), now.into()],
            ))
            .await?;
        }
        for (kind, dedupe) in [
            ("shop.order_email", "order-mail"),
            ("shop.sold_notice", "sold"),
        ] {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                p("INSERT INTO job (id, kind, payload, status, attempts, max_attempts, run_at, dedupe_key, aggregator_id, created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, 8, $4, $5, $6, $4, $4)"),
                [core::new_id().into(), kind.into(), format!("{{\"order_id\":\"{oid}\",\"event\":\"confirmation\"}}").into(), now.into(), format!("{dedupe}:{oid}").into(), agg.into()],
            ))
            .await?;
        }
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            p("INSERT INTO audit_event (id, aggregator_id, actor_user_id, action, subject_type, subject_id, details, request_id, created_at) VALUES ($1, $2, NULL, 'order_placed', 'order', $3, $4, NULL, $5)"),
            [core::new_id().into(), agg.into(), oid.to_string().into(), "{\"source\":\"shop\",\"grand_total\":3030}".into(), now.into()],
        ))
        .await?;
        txn.commit().await?;
        Ok(true)
    };
    match run.await {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("raw order failed: {e}");
            false
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::var("BENCH_MODE").unwrap_or_else(|_| "raw".into());
    let db = connect().await?;
    let data = Arc::new(seed_shop(&db).await?);
    if mode == "seed" {
        println!("slug={}", data.slug);
        println!("product={}", data.products[data.products.len() / 2]);
        println!(
            "skus={}",
            data.skus
                .iter()
                .map(Uuid::to_string)
                .collect::<Vec<_>>()
                .join(",")
        );
        return Ok(());
    }
    let secs: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    for clients in [16usize, 64] {
        let (db2, d2) = (db.clone(), data.clone());
        let rate = measure(clients, secs, move |i| {
            let (db2, d2) = (db2.clone(), d2.clone());
            async move {
                let i = i as usize;
                let sku = |p: usize| d2.skus[(p % PRODUCERS) * PER_PRODUCER + i % PER_PRODUCER];
                raw_order(&db2, d2.aggregator, [sku(i), sku(i + 33), sku(i + 66)]).await
            }
        })
        .await;
        println!("raw {clients} {rate:.0}");
    }
    Ok(())
}
