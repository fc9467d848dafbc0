//! The daily stock alerts: lots close to their date (clearance) or past it (disposal), and SKUs
//! whose available stock crossed below their threshold. Each producer is emailed once per event:
//! once per lot and kind, once per downward crossing of a threshold.
use super::repo;
use super::rules::MinDays;
use crate::catalog::repo as catalog_repo;
use crate::{
    auth::service::enqueue_mail, core, db, error::ApiResult, mail::messages::EmailMessage,
    state::AppState,
};
use entity::{app_user, sku, stock_lot};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a lot's date means for selling it.
pub fn flag(best_before: chrono::NaiveDate, min_remaining_days: i64) -> Option<&'static str> {
    let left = (best_before - core::today_jst()).num_days();
    if left < 0 {
        Some("disposal")
    } else if left < min_remaining_days {
        Some("clearance")
    } else {
        None
    }
}

/// The login of a producer (to email it), if it has one.
///
/// # Errors
/// Database failure.
pub(crate) async fn producer_user(
    db: &impl ConnectionTrait,
    producer_id: Uuid,
) -> ApiResult<Option<app_user::Model>> {
    Ok(crate::auth::repo::user_where(
        db,
        Condition::all().add(app_user::Column::ProducerId.eq(producer_id)),
    )
    .await?)
}

/// Runs the alerts; returns (lot emails, low-stock emails) enqueued.
///
/// # Errors
/// Database failure (the job retries).
#[tracing::instrument(skip_all)]
pub async fn run(app: &AppState) -> ApiResult<(usize, usize)> {
    let txn = db::begin_write(&app.db).await?;
    let horizon = MinDays::horizon(app, &txn).await?;
    let lots = repo::lots_where(
        &txn,
        Condition::all().add(stock_lot::Column::OnHand.gt(0)).add(
            stock_lot::Column::BestBefore.lt(core::today_jst() + chrono::Duration::days(horizon)),
        ),
        None,
    )
    .await?;
    let min_days = MinDays::load(app, &txn, &lots).await?;
    let mut lot_mails = 0;
    for lot in &lots {
        let Some(kind) = flag(lot.best_before, min_days.for_lot(lot)) else {
            continue;
        };
        let Some(user) = producer_user(&txn, lot.producer_id).await? else {
            continue;
        };
        let code = catalog_repo::sku(&txn, lot.sku_id)
            .await?
            .map(|s| s.code)
            .unwrap_or_default();
        // The key names the lot and the event: the same email is never sent twice.
        enqueue_mail(
            &txn,
            &user,
            &format!("{}-{kind}", lot.id),
            EmailMessage::LotDateAlert {
                display_name: user.display_name.clone(),
                sku_code: code,
                lot_code: lot.lot_code.clone(),
                best_before: lot.best_before.to_string(),
                on_hand: lot.on_hand,
                expired: kind == "disposal",
            },
        )
        .await?;
        lot_mails += 1;
    }
    // Low stock: available per SKU against its threshold.
    let mut available: BTreeMap<Uuid, i64> = BTreeMap::new();
    for lot in repo::lots_where(&txn, Condition::all(), None).await? {
        *available.entry(lot.sku_id).or_default() += lot.on_hand - lot.reserved;
    }
    let mut low_mails = 0;
    for s in catalog_repo::skus_where(
        &txn,
        Condition::all().add(sku::Column::LowStockThreshold.gt(0)),
    )
    .await?
    {
        let avail = available.get(&s.id).copied().unwrap_or(0);
        let below = avail < i64::from(s.low_stock_threshold);
        if below && !s.low_stock_flagged {
            catalog_repo::flag_low_stock(&txn, s.id, true).await?;
            if let Some(user) = producer_user(&txn, s.producer_id).await? {
                enqueue_mail(
                    &txn,
                    &user,
                    &format!("{}-low-{}", s.id, core::new_id()),
                    EmailMessage::LowStock {
                        display_name: user.display_name.clone(),
                        sku_code: s.code.clone(),
                        available: avail,
                        threshold: i64::from(s.low_stock_threshold),
                    },
                )
                .await?;
                low_mails += 1;
            }
        } else if !below && s.low_stock_flagged {
            // Back above the threshold: the next crossing is a new event.
            catalog_repo::flag_low_stock(&txn, s.id, false).await?;
        }
    }
    txn.commit().await?;
    Ok((lot_mails, low_mails))
}
