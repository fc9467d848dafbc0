//! The channels benchmark (issue #14): time from a stock change to every channel holding the
//! new quantity, with 1,000 SKUs changing at once, per channel, against the suite's fakes of
//! Rakuten RMS (429 for any call < 950 ms after the previous one, 400 entries per call) and
//! Shopify Admin GraphQL (cost bucket, `changeFromQuantity`), both on loopback in this process;
//! and the CPU the sync takes per 1,000 SKUs.
//!
//! The application is built as the binary builds it (SQLite file, shipped durability), with its
//! job runner on; the dataset is written directly (1,000 listed SKUs with stock, a live listing
//! per SKU on each channel, quantities already written once). Then one transaction moves the
//! stock of all 1,000 SKUs (a movement per lot, as an adjustment writes it) and the clock runs
//! until both fakes hold every new quantity. Prints per channel p50 / p99 / max of the SKUs'
//! latencies and the process CPU (user + system, from `/proc/self/stat`) used from the change
//! to the last write — an upper bound for the sync, since the fakes run in the same process.
//! Run: `cargo bench --bench channels` (release build; not run in CI).
mod common;

#[path = "../tests/api/fake_rakuten.rs"]
#[allow(dead_code)]
mod fake_rakuten;
#[path = "../tests/api/fake_shopify.rs"]
#[allow(dead_code)]
mod fake_shopify;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, ExprTrait, QueryFilter, TransactionTrait,
    sea_query::Expr,
};
use std::time::{Duration, Instant};
use uuid::Uuid;
use yuimaru::config::{Environment, Settings};

const SKUS: usize = 1_000;
const START_QTY: i64 = 500;

/// Process CPU seconds (user + system) so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("yuimaru-bench-ch-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let mut settings = Settings::load(Environment::Test)?;
    settings.database.url = secrecy::SecretString::from(format!(
        "sqlite://{}?mode=rwc",
        dir.join("bench.db").display()
    ));
    settings.server.port = 0;
    // The runner starts once the dataset is written (below).
    settings.jobs.run_in_serve = false;
    settings.jobs.poll_interval_ms = 20;
    let app = yuimaru::startup::Application::build(settings).await?;
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let db = state.db.clone();
    let data = common::seed(&db, 10, SKUS / 10, 1).await?;
    entity::stock_lot::Entity::update_many()
        .col_expr(entity::stock_lot::Column::OnHand, Expr::value(START_QTY))
        .filter(entity::stock_lot::Column::AggregatorId.eq(data.aggregator))
        .exec(&db)
        .await?;

    let rakuten = fake_rakuten::start();
    let shopify = fake_shopify::start();
    let actor = common::operator(&data);
    let input = |v: serde_json::Value| -> anyhow::Result<yuimaru::channels::dto::ChannelInput> {
        Ok(serde_json::from_value(v)?)
    };
    // Orders are not looked for during the run (an hour between looks): stock only.
    let r = yuimaru::channels::service::create(
        &state,
        &actor,
        input(serde_json::json!({"kind": "rakuten", "name": "楽天", "base_url": rakuten.base_url(),
            "credentials": {"service_secret": fake_rakuten::SERVICE_SECRET, "license_key": fake_rakuten::LICENSE_KEY},
            "settings": {"order_poll_seconds": 3600}}))?,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.describe()))?;
    let s = yuimaru::channels::service::create(
        &state,
        &actor,
        input(serde_json::json!({"kind": "shopify", "name": "Shopify", "base_url": shopify.url,
            "credentials": {"access_token": fake_shopify::TOKEN, "webhook_secret": fake_shopify::WEBHOOK_SECRET},
            "settings": {"location_id": fake_shopify::LOCATION, "order_poll_seconds": 3600}}))?,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.describe()))?;

    // Live listings, as if pushed before, holding the starting quantity on both channels.
    let skus = entity::sku::Entity::find()
        .filter(entity::sku::Column::AggregatorId.eq(data.aggregator))
        .all(&db)
        .await?;
    let now = chrono::Utc::now();
    let mut rows = Vec::new();
    let mut keys = Vec::new();
    for (i, sku) in skus.iter().enumerate() {
        let (m, v) = (
            sku.product_id.simple().to_string(),
            sku.id.simple().to_string(),
        );
        let inv = format!("gid://shopify/InventoryItem/{}", 900_000 + i);
        rakuten.with(|st| st.stock.insert((m.clone(), v.clone()), START_QTY));
        shopify.with(|st| st.levels.insert(inv.clone(), START_QTY));
        for (channel, ext, var) in [(r.id, m.clone(), v.clone()), (s.id, m.clone(), inv.clone())] {
            rows.push(entity::listing::ActiveModel {
                id: Set(Uuid::now_v7()),
                aggregator_id: Set(data.aggregator),
                channel_id: Set(channel),
                sku_id: Set(sku.id),
                product_id: Set(sku.product_id),
                external_id: Set(Some(ext)),
                external_variant_id: Set(Some(var)),
                state: Set("live".into()),
                action: Set(None),
                content_hash: Set(Some("bench".into())),
                last_error: Set(None),
                buffer_override: Set(None),
                dirty_seq: Set(0),
                synced_seq: Set(0),
                pushed_qty: Set(Some(START_QTY)),
                synced_at: Set(Some(now)),
                resync: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
        keys.push((m, v, inv));
    }
    for c in rows.chunks(500) {
        entity::listing::Entity::insert_many(c.to_vec())
            .exec_without_returning(&db)
            .await?;
    }
    // Their content as pushed: the hash the listing refresh compares (nothing to push again).
    let products: Vec<Uuid> = skus.iter().map(|s| s.product_id).collect();
    for c in [&r, &s] {
        let settings = yuimaru::channels::service::settings_of(c);
        for chunk in products.chunks(500) {
            let items = yuimaru::channels::offer::contents(&db, c, &settings, chunk)
                .await
                .map_err(|e| anyhow::anyhow!(e.describe()))?;
            for (pid, item) in items {
                entity::listing::Entity::update_many()
                    .col_expr(
                        entity::listing::Column::ContentHash,
                        Expr::value(Some(item.hash())),
                    )
                    .filter(entity::listing::Column::ChannelId.eq(c.id))
                    .filter(entity::listing::Column::ProductId.eq(pid))
                    .exec(&db)
                    .await?;
            }
        }
    }
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(yuimaru::jobs::runner::run(state.clone(), stop_rx));
    // The listing refresh on creation re-hashes content and pushes items once: let it settle
    // (items are pushed at the channel's pace), then measure only the stock change.
    let settle = Instant::now();
    loop {
        let waiting = entity::listing::Entity::find()
            .filter(entity::listing::Column::Action.is_not_null())
            .all(&db)
            .await?
            .len();
        let jobs = entity::job::Entity::find()
            .filter(entity::job::Column::Kind.starts_with("channels."))
            .filter(entity::job::Column::Status.is_in(["queued", "running"]))
            .all(&db)
            .await?
            .len();
        if waiting == 0 && jobs == 0 {
            break;
        }
        if settle.elapsed() > Duration::from_secs(3_600) {
            anyhow::bail!("the channels did not settle");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("settled in {:?}", settle.elapsed());
    let pushes = rakuten.calls("items/").len();

    // One transaction takes one unit of every SKU (an adjustment per lot, in the ledger).
    let lots = entity::stock_lot::Entity::find()
        .filter(entity::stock_lot::Column::AggregatorId.eq(data.aggregator))
        .all(&db)
        .await?;
    let rakuten_calls_before = rakuten.calls("bulk-upsert").len();
    let shopify_calls_before = shopify.with(|st| st.calls.len());
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let txn = db.begin().await?;
    entity::stock_lot::Entity::update_many()
        .col_expr(
            entity::stock_lot::Column::OnHand,
            Expr::col(entity::stock_lot::Column::OnHand).sub(1),
        )
        .filter(entity::stock_lot::Column::AggregatorId.eq(data.aggregator))
        .exec(&txn)
        .await?;
    let moves: Vec<entity::stock_movement::ActiveModel> = lots
        .iter()
        .map(|l| entity::stock_movement::ActiveModel {
            id: Set(Uuid::now_v7()),
            aggregator_id: Set(data.aggregator),
            lot_id: Set(l.id),
            sku_id: Set(l.sku_id),
            kind: Set("adjustment".into()),
            on_hand_delta: Set(-1),
            reserved_delta: Set(0),
            cause_type: Set("adjustment".into()),
            cause_id: Set(None),
            actor_user_id: Set(Some(data.user)),
            loss_bearer: Set(Some("aggregator".into())),
            reason: Set("benchmark".into()),
            created_at: Set(chrono::Utc::now()),
        })
        .collect();
    for c in moves.chunks(500) {
        entity::stock_movement::Entity::insert_many(c.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    let want = START_QTY - 1;
    let mut rak: Vec<Option<Duration>> = vec![None; keys.len()];
    let mut sho: Vec<Option<Duration>> = vec![None; keys.len()];
    while (rak.iter().any(Option::is_none) || sho.iter().any(Option::is_none))
        && t0.elapsed() < Duration::from_secs(300)
    {
        let at = t0.elapsed();
        for (i, (m, v, inv)) in keys.iter().enumerate() {
            if rak[i].is_none() && rakuten.qty(m, v) == Some(want) {
                rak[i] = Some(at);
            }
            if sho[i].is_none() && shopify.level(inv) == Some(want) {
                sho[i] = Some(at);
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu = cpu_seconds() - cpu0;
    let wall = t0.elapsed();
    let shopify_calls = shopify.with(|st| st.calls.len()) - shopify_calls_before;
    for (name, lat, calls) in [
        (
            "rakuten",
            &rak,
            rakuten.calls("bulk-upsert").len() - rakuten_calls_before,
        ),
        ("shopify", &sho, shopify_calls),
    ] {
        let mut got: Vec<Duration> = lat.iter().flatten().copied().collect();
        got.sort();
        println!(
            "{name}: {} of {} SKUs hold the new quantity; p50 {:.2} s, p99 {:.2} s, max {:.2} s ({calls} calls)",
            got.len(),
            keys.len(),
            pct(&got, 0.50).as_secs_f64(),
            pct(&got, 0.99).as_secs_f64(),
            got.last().copied().unwrap_or_default().as_secs_f64(),
        );
    }
    println!(
        "rate: rakuten 429s {} (violations of 1 call/s), shopify THROTTLED {}; item pushes before the change {pushes}",
        rakuten.with(|st| st.rate_violations),
        shopify.with(|st| st.throttled)
    );
    println!(
        "cpu: {cpu:.2} s over {:.2} s for {} SKUs on 2 channels ({:.2} s per 1,000 SKUs per channel, fakes included)",
        wall.as_secs_f64(),
        keys.len(),
        cpu / 2.0 * 1000.0 / keys.len() as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
