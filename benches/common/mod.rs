//! Shared by the benchmarks: a seeded dataset written straight through the entities, and a
//! fixed-duration closed-loop load driver.
#![allow(dead_code)]
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
use yuimaru::core;

/// What [`seed`] wrote.
pub struct Dataset {
    pub aggregator: Uuid,
    pub slug: String,
    pub user: Uuid,
    /// Ordered by producer: SKU `i` belongs to producer `i / skus_per_producer`.
    pub skus: Vec<Uuid>,
    pub products: Vec<Uuid>,
}

/// An aggregator with an operator and `producers` approved producers, each with
/// `skus_per_producer` listed ambient products of one SKU (500 yen, 8 %) and `lots` lots of
/// 1,000,000,000 units in a bin.
pub async fn seed(
    db: &DatabaseConnection,
    producers: usize,
    skus_per_producer: usize,
    lots: i64,
) -> anyhow::Result<Dataset> {
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
    let bin = location::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg.id),
        code: Set("A-01".into()),
        zone: Set("ambient".into()),
        active: Set(true),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let mut products = Vec::new();
    for p in 0..producers {
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
            invoice_notified_on: Set(None),
        }
        .insert(db)
        .await?;
        for k in 0..skus_per_producer {
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
            products.push(prod.id);
            for lot in 0..lots {
                stock_lot::ActiveModel {
                    id: Set(core::new_id()),
                    aggregator_id: Set(agg.id),
                    producer_id: Set(producer.id),
                    sku_id: Set(s.id),
                    lot_code: Set(format!("L{lot}")),
                    best_before: Set(core::today_jst() + ChronoDuration::days(60 + 30 * lot)),
                    location_id: Set(Some(bin.id)),
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
        slug: agg.slug,
        user: user.id,
        skus,
        products,
    })
}

/// Runs `clients` tasks for `secs`, each calling `op(i)` in a loop; returns successes per second.
pub async fn measure<F, Fut>(clients: usize, secs: f64, op: F) -> f64
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

/// The dataset's operator as an actor (service calls without HTTP).
#[allow(dead_code)]
pub fn operator(data: &Dataset) -> yuimaru::http::actor::Actor {
    use yuimaru::http::actor::{Actor, Role, Via};
    Actor {
        user_id: data.user,
        email: "bench@example.jp".into(),
        display_name: "bench".into(),
        role: Role::Operator,
        aggregator_id: Some(data.aggregator),
        producer_id: None,
        prefecture_code: None,
        locale: "ja".into(),
        via: Via::Cli,
    }
}
