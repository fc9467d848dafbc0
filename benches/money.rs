//! The money benchmark (issue #15): closing a settlement period for 1,000 producers with
//! 100,000 sale lines (statements written, the charges' tax booked once per producer), and the
//! ledger's posting rate (balanced sale postings with their payables, one write transaction
//! each, as the booking of shipped parcels does).
//!
//! The dataset is written directly: 1,000 approved producers (`common::seed`), a past period
//! holding 100 sale lines per producer with their commission charge, and per producer one
//! balanced transaction carrying the payable the lines add up to. The close then runs through
//! the service exactly as `POST /api/v1/periods/{id}/close` runs it.
//! Run: `cargo bench --bench money` (SQLite file); with `YUIMARU_BENCH_PG_URL=postgres://…` the
//! same on PostgreSQL (an empty database). Not run in CI.
mod common;

use chrono::NaiveDate;
use sea_orm::{ActiveValue::Set, EntityTrait};
use std::time::Instant;
use uuid::Uuid;
use yuimaru::{
    config::{Environment, Settings},
    money::{
        domain::{AccountRef, Legs, account},
        ledger::{self, Posting},
    },
};

const PRODUCERS: usize = 1_000;
const LINES_PER_PRODUCER: usize = 100;
const POSTINGS: usize = 2_000;

async fn run(url: String, label: &str) -> anyhow::Result<()> {
    let mut settings = Settings::load(Environment::Test)?;
    settings.database.url = secrecy::SecretString::from(url);
    settings.server.port = 0;
    settings.jobs.run_in_serve = false;
    let app = yuimaru::startup::Application::build(settings).await?;
    let state = app.state().clone();
    let db = state.db.clone();
    let data = common::seed(&db, PRODUCERS, 1, 1).await?;
    let agg = data.aggregator;
    let producers: Vec<Uuid> = entity::producer::Entity::find()
        .all(&db)
        .await?
        .into_iter()
        .filter(|p| p.aggregator_id == agg)
        .map(|p| p.id)
        .collect();
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
    let period = ledger::period_for(&db, agg, day(10, 15), 1).await?;
    let now = yuimaru::core::now();
    let seeded = Instant::now();
    let order = Uuid::now_v7();
    for chunk in producers.chunks(50) {
        let mut txs = Vec::new();
        let mut entries = Vec::new();
        let mut sales = Vec::new();
        let mut charges = Vec::new();
        for pid in chunk {
            let tx = Uuid::now_v7();
            let goods: i64 = (0..LINES_PER_PRODUCER as i64).map(|i| 500 + i).sum();
            let commission: i64 = (0..LINES_PER_PRODUCER as i64).map(|i| (500 + i) / 5).sum();
            txs.push(entity::ledger_transaction::ActiveModel {
                id: Set(tx),
                aggregator_id: Set(agg),
                period_id: Set(period.id),
                kind: Set("sale".into()),
                source_ref: Set(format!("bench:{pid}")),
                occurred_on: Set(day(10, 15)),
                order_id: Set(Some(order)),
                producer_id: Set(Some(*pid)),
                reverses_id: Set(None),
                memo: Set(String::new()),
                created_by: Set(None),
                created_at: Set(now),
            });
            for (code, subject, debit, credit) in [
                (account::SETTLEMENT_CARD, String::new(), goods, 0),
                (
                    account::PRODUCER_PAYABLE,
                    pid.to_string(),
                    commission,
                    goods,
                ),
                ("revenue.commission", String::new(), 0, commission),
            ] {
                let a = yuimaru::money::repo::account(
                    &db,
                    agg,
                    code,
                    &subject,
                    AccountRef::new(code, "").kind(),
                    now,
                )
                .await?;
                let mut push = |d: i64, c: i64| {
                    entries.push(entity::ledger_entry::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        aggregator_id: Set(agg),
                        transaction_id: Set(tx),
                        account_id: Set(a.id),
                        period_id: Set(period.id),
                        producer_id: Set(Some(*pid)),
                        debit: Set(d),
                        credit: Set(c),
                    })
                };
                if debit > 0 {
                    push(debit, 0);
                }
                if credit > 0 {
                    push(0, credit);
                }
            }
            for i in 0..LINES_PER_PRODUCER as i64 {
                let line = Uuid::now_v7();
                sales.push(entity::sale_line::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    aggregator_id: Set(agg),
                    order_id: Set(order),
                    order_line_id: Set(line),
                    parcel_seq: Set(1),
                    producer_id: Set(*pid),
                    source: Set("shop".into()),
                    channel_id: Set(None),
                    payment_method: Set("card".into()),
                    category_code: Set("sweets".into()),
                    sold_on: Set(day(10, 15)),
                    period_id: Set(period.id),
                    transaction_id: Set(tx),
                    title: Set("黒糖".into()),
                    sku_code: Set("B".into()),
                    qty: Set(1),
                    unit_price: Set(500 + i),
                    tax_rate: Set(if i % 3 == 0 { 10 } else { 8 }),
                    amount: Set(500 + i),
                    created_at: Set(now),
                });
                charges.push(entity::fee_charge::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    aggregator_id: Set(agg),
                    producer_id: Set(*pid),
                    period_id: Set(period.id),
                    transaction_id: Set(tx),
                    fee_type: Set("commission".into()),
                    subject_key: Set(line.to_string()),
                    amount: Set((500 + i) / 5),
                    tax_rate: Set(10),
                    rule_id: Set(Uuid::nil()),
                    rule_version: Set(1),
                    rule_snapshot: Set("{}".into()),
                    fund_id: Set(None),
                    bearer: Set(None),
                    created_at: Set(now),
                });
            }
        }
        entity::ledger_transaction::Entity::insert_many(txs)
            .exec_without_returning(&db)
            .await?;
        for c in entries.chunks(500) {
            entity::ledger_entry::Entity::insert_many(c.to_vec())
                .exec_without_returning(&db)
                .await?;
        }
        for c in sales.chunks(500) {
            entity::sale_line::Entity::insert_many(c.to_vec())
                .exec_without_returning(&db)
                .await?;
        }
        for c in charges.chunks(500) {
            entity::fee_charge::Entity::insert_many(c.to_vec())
                .exec_without_returning(&db)
                .await?;
        }
    }
    println!(
        "[{label}] seeded {PRODUCERS} producers × {LINES_PER_PRODUCER} sale lines in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    // The balances the postings would have kept.
    let sums = yuimaru::money::repo::sums_per_account(&db, agg, None).await?;
    for a in yuimaru::money::repo::accounts(&db, agg).await? {
        if let Some(s) = sums.iter().find(|s| s.account_id == a.id) {
            yuimaru::money::repo::add_to_balance(&db, a.id, s.debit - s.credit - a.balance).await?;
        }
    }

    let finance = yuimaru::http::actor::Actor {
        role: yuimaru::http::actor::Role::Finance,
        ..common::operator(&data)
    };
    let t = Instant::now();
    let closed = yuimaru::money::statements::close(&state, &finance, period.id)
        .await
        .map_err(|e| anyhow::anyhow!(e.describe()))?;
    let close = t.elapsed().as_secs_f64();
    println!(
        "[{label}] close: {} statements over {} sale lines in {close:.2} s (payables {} yen)",
        closed.statements,
        PRODUCERS * LINES_PER_PRODUCER,
        closed.payable_total
    );

    // PDF rendering, per statement (100 sale lines and 100 charges: two A4 pages or more).
    let statements = yuimaru::money::statements::list(&state, &finance, Some(period.id))
        .await
        .map_err(|e| anyhow::anyhow!(e.describe()))?;
    let t = Instant::now();
    let n = statements.len().min(20);
    let mut bytes = 0;
    for st in statements.iter().take(n) {
        bytes += yuimaru::money::statements::pdf(&state, &finance, st.id)
            .await
            .map_err(|e| anyhow::anyhow!(e.describe()))?
            .len();
    }
    if n > 0 {
        println!(
            "[{label}] PDF: {:.0} ms per statement ({} KiB each on average, font subset embedded)",
            t.elapsed().as_secs_f64() * 1000.0 / n as f64,
            bytes / n / 1024
        );
    }

    // Payout run for the 1,000 producers: prepare (one user), approve (another, with the
    // password), export the Zengin file; then the bank's result file of 1,000 lines.
    let approver = Uuid::now_v7();
    let hash = yuimaru::auth::password::hash("bench-approver-pw".into()).await?;
    entity::app_user::Entity::insert(entity::app_user::ActiveModel {
        id: Set(approver),
        aggregator_id: Set(Some(agg)),
        email: Set(format!("approver-{}@example.jp", approver.simple())),
        display_name: Set("approver".into()),
        role: Set("finance".into()),
        producer_id: Set(None),
        prefecture_code: Set(None),
        locale: Set("ja".into()),
        password_hash: Set(Some(hash)),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&db)
    .await?;
    let second = yuimaru::http::actor::Actor {
        user_id: approver,
        ..finance.clone()
    };
    let profile: yuimaru::money::dto::BankProfileInput = serde_json::from_value(
        serde_json::json!({
            "requester_code": "1234567890", "requester_name": "ﾕｲﾏﾙ", "bank_code": "0188",
            "branch_code": "101", "account_type": "ordinary", "account_number": "1234567",
            "result": {"encoding": "utf-8", "has_header": false, "code_column": 1, "status_column": 2}
        }),
    )?;
    let e = |e: yuimaru::error::ApiError| anyhow::anyhow!(e.describe());
    yuimaru::money::payouts::set_profile(&state, &finance, profile)
        .await
        .map_err(e)?;
    let transfer = yuimaru::money::zengin::transfer_day(
        yuimaru::core::today_jst() + chrono::Duration::days(3),
    )
    .unwrap_or_default();
    let t = Instant::now();
    let prepared = yuimaru::money::payouts::prepare(
        &state,
        &finance,
        yuimaru::money::dto::PrepareInput {
            period_id: period.id,
            transfer_date: transfer,
        },
    )
    .await
    .map_err(e)?;
    let prepare = t.elapsed().as_secs_f64();
    let t = Instant::now();
    yuimaru::money::payouts::approve(
        &state,
        &second,
        prepared.run.id,
        yuimaru::money::dto::ApproveInput {
            password: "bench-approver-pw".into(),
        },
    )
    .await
    .map_err(e)?;
    let approve = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (_, file) = yuimaru::money::payouts::export(&state, &second, prepared.run.id)
        .await
        .map_err(e)?;
    let export = t.elapsed().as_secs_f64();
    println!(
        "[{label}] payout run: {} payouts ({} yen) prepared in {prepare:.2} s, approved in \
         {approve:.2} s (the password hash is most of it), exported in {export:.2} s \
         ({} bytes); total {:.2} s",
        prepared.payouts.len(),
        prepared.run.total,
        file.len(),
        prepare + approve + export
    );
    let results: String = prepared
        .payouts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{},{}\r\n",
                p.customer_code,
                if i % 50 == 0 { 9 } else { 0 }
            )
        })
        .collect();
    let t = Instant::now();
    let imported = yuimaru::money::payouts::import_results(
        &state,
        &finance,
        prepared.run.id,
        results.as_bytes(),
    )
    .await
    .map_err(e)?;
    println!(
        "[{label}] bank results: {} lines ({} paid, {} failed back to the payable) in {:.2} s",
        prepared.payouts.len(),
        imported.paid,
        imported.failed,
        t.elapsed().as_secs_f64()
    );

    // Posting rate: balanced sales of two producers' goods with a commission each, first alone,
    // then while 16 clients reserve stock through the reservation service as order placement
    // does (the write load of the shop's orders on the same database).
    let post_all = |tag: &'static str| {
        let db = db.clone();
        let producers = producers.clone();
        async move {
            let t = Instant::now();
            for i in 0..POSTINGS {
                let (a, b) = (producers[i % PRODUCERS], producers[(i + 1) % PRODUCERS]);
                let mut legs = Legs::default();
                legs.debit(AccountRef::new(account::SETTLEMENT_CARD, ""), 3_000, None);
                legs.credit(AccountRef::payable(a), 2_000, Some(a));
                legs.credit(AccountRef::payable(b), 1_000, Some(b));
                legs.debit(AccountRef::payable(a), 400, Some(a));
                legs.debit(AccountRef::payable(b), 200, Some(b));
                legs.credit(AccountRef::new("revenue.commission", ""), 600, None);
                let txn = yuimaru::db::begin_write(&db).await?;
                ledger::post(
                    &txn,
                    1,
                    Posting {
                        aggregator_id: agg,
                        kind: "sale",
                        source_ref: format!("bench-post:{tag}:{i}"),
                        occurred_on: day(12, 1),
                        order_id: None,
                        producer_id: None,
                        memo: String::new(),
                        created_by: None,
                        legs,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!(e.describe()))?;
                txn.commit().await?;
            }
            Ok::<f64, anyhow::Error>(t.elapsed().as_secs_f64())
        }
    };
    let alone = post_all("alone").await?;
    let rate = POSTINGS as f64 / alone;
    println!("[{label}] posting: {POSTINGS} sale postings at {rate:.0} per second (one client)");
    // Under load: 16 clients reserving stock, paced to 100 reservations a second in all (a
    // busy shop day's orders) and then as fast as they can (the machine saturated).
    for (pace, what) in [(Some(100u64), "paced to 100/s"), (None, "unpaced")] {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reserved = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let actor = std::sync::Arc::new(common::operator(&data));
        let skus = std::sync::Arc::new(data.skus.clone());
        let mut load = Vec::new();
        for c in 0..16usize {
            let (st, ac, sk, stop, n) = (
                state.clone(),
                actor.clone(),
                skus.clone(),
                stop.clone(),
                reserved.clone(),
            );
            load.push(tokio::spawn(async move {
                let mut tick = pace.map(|per_sec| {
                    tokio::time::interval(std::time::Duration::from_micros(
                        16 * 1_000_000 / per_sec,
                    ))
                });
                let mut i = c;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(t) = tick.as_mut() {
                        t.tick().await;
                    }
                    let req = yuimaru::inventory::reservations::ReserveRequest {
                        lines: vec![yuimaru::inventory::reservations::ReserveLine {
                            sku_id: sk[(i * 7919) % sk.len()],
                            qty: 1,
                        }],
                        destination_prefecture: None,
                        reference: "bench".into(),
                        expires_in_minutes: None,
                    };
                    if yuimaru::inventory::reservations::reserve(&st, &ac, req, None)
                        .await
                        .is_ok()
                    {
                        n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    i += 16;
                }
            }));
        }
        let tag: &'static str = if pace.is_some() { "paced" } else { "unpaced" };
        let loaded = post_all(tag).await?;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for h in load {
            let _ = h.await;
        }
        let rate = POSTINGS as f64 / loaded;
        let orders = reserved.load(std::sync::atomic::Ordering::Relaxed) as f64 / loaded;
        println!(
            "[{label}] posting under load ({what}): {POSTINGS} sale postings at {rate:.0} per \
             second while 16 clients reserved stock at {orders:.0} per second"
        );
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("yuimaru-bench-money-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    run(
        format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
        "SQLite",
    )
    .await?;
    if let Ok(url) = std::env::var("YUIMARU_BENCH_PG_URL") {
        run(url, "PostgreSQL").await?;
    }
    Ok(())
}
