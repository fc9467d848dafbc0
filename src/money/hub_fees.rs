//! Hub fees on a producer's stock, as its fee rules say (the aggregator's charges, 10 %, on the
//! statement with their tax like every charge):
//! - inbound handling (`inventory.received`): per shipment line the first time a receiving
//!   event counts it (`per_line`), or per unit taken into stock (`per_item`), on the JST day it
//!   was received; one posting per receiving event, so a replayed event books nothing twice;
//! - storage (at close): per lot-day, a day being a JST day of the period on which the lot
//!   held stock at its end or took units in (a lot received and emptied the same day counts
//!   one day). The rule that applies is picked per day (a rule change mid-period bills each
//!   day at its own rule; floor and cap apply per lot and rule); one posting per producer on
//!   the period's last day, in the close's transaction.
use super::{
    booking::{ancestry, claimed, freeze, rules_of},
    domain::{self, Charge, Legs, SaleContext, basis, fee_type},
    ledger::{self, Posted, Posting},
};
use crate::{
    error::{ApiError, ApiResult},
    inventory::events::StockReceived,
    jobs::{Delivery, JobError},
    state::AppState,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use entity::settlement_period;
use sea_orm::{ColumnTrait, Condition, DatabaseTransaction};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The transaction kind of hub fees.
pub const KIND: &str = "hub_fee";

/// Makes `subject` unique among `taken` (a second line of the same SKU and lot gets `#2`).
fn unique(taken: &mut Vec<String>, subject: String) -> String {
    let mut s = subject.clone();
    let mut n = 1;
    while taken.contains(&s) {
        n += 1;
        s = format!("{subject} #{n}");
    }
    taken.push(s.clone());
    s
}

/// The SKUs `ids` with each one's category and its ancestors (nearest first), as the rules
/// match them.
async fn skus_with_categories(
    txn: &DatabaseTransaction,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, (entity::sku::Model, Vec<String>)>> {
    let skus = crate::catalog::repo::skus_among(txn, ids).await?;
    let products: HashMap<Uuid, String> =
        crate::catalog::repo::products_among(txn, skus.iter().map(|s| s.product_id))
            .await?
            .into_iter()
            .map(|p| (p.id, p.category_code))
            .collect();
    let ancestry = ancestry(txn).await?;
    Ok(skus
        .into_iter()
        .map(|s| {
            let category = products.get(&s.product_id).cloned().unwrap_or_default();
            let chain = ancestry
                .get(&category)
                .cloned()
                .unwrap_or_else(|| vec![category]);
            (s.id, (s, chain))
        })
        .collect())
}

/// `inventory.received`: the inbound-handling fee on the event's lines.
///
/// # Errors
/// Retried on database failures.
pub async fn on_received(app: AppState, d: Delivery<StockReceived>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        let rules = rules_of(txn, e.aggregator_id).await?;
        if !rules
            .iter()
            .any(|r| r.fee_type == fee_type::INBOUND_HANDLING)
        {
            return Ok(true);
        }
        let skus = skus_with_categories(txn, e.lines.iter().map(|l| l.sku_id)).await?;
        let mut charges = Vec::new();
        let mut taken = Vec::new();
        for l in &e.lines {
            let Some((sku, categories)) = skus.get(&l.sku_id) else {
                continue;
            };
            let c = SaleContext {
                producer_id: e.producer_id,
                categories,
                channel_id: None,
                payment_method: "",
                unit_price: sku.price_yen,
                on: e.received_on,
            };
            let Some(rule) = domain::pick(&rules, fee_type::INBOUND_HANDLING, &c) else {
                continue;
            };
            let (amount, subject) = if rule.basis == basis::PER_LINE {
                if !l.first_count {
                    continue;
                }
                (rule.charge(0, 0), format!("{} {}", sku.code, l.lot_code))
            } else {
                if l.received <= 0 {
                    continue;
                }
                (
                    rule.charge(0, l.received),
                    format!("{} {} × {}", sku.code, l.lot_code, l.received),
                )
            };
            if amount <= 0 {
                continue;
            }
            charges.push(Charge {
                producer_id: e.producer_id,
                fee_type: fee_type::INBOUND_HANDLING.into(),
                subject_key: unique(&mut taken, subject),
                amount,
                rule: rule.clone(),
            });
        }
        book(
            &app,
            txn,
            e.aggregator_id,
            e.producer_id,
            format!("inbound:{}", e.receipt_id),
            e.received_on,
            "入庫料 / inbound handling".into(),
            &charges,
        )
        .await?;
        Ok(true)
    })
    .await
}

/// Posts `charges` of producer `pid` (payable → hub revenue) and freezes them with their
/// rules.
#[allow(clippy::too_many_arguments)]
async fn book(
    app: &AppState,
    txn: &DatabaseTransaction,
    agg: Uuid,
    pid: Uuid,
    source_ref: String,
    on: NaiveDate,
    memo: String,
    charges: &[Charge],
) -> ApiResult<()> {
    if charges.is_empty() {
        return Ok(());
    }
    let mut legs = Legs::default();
    for c in charges {
        domain::charge_legs(&mut legs, c, 1);
    }
    let posted = ledger::post(
        txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: agg,
            kind: KIND,
            source_ref,
            occurred_on: on,
            order_id: None,
            producer_id: Some(pid),
            memo,
            created_by: None,
            legs,
        },
    )
    .await?;
    if let Posted::Booked {
        transaction_id,
        period_id,
    } = posted
    {
        freeze(txn, agg, period_id, transaction_id, charges, 1).await?;
    }
    Ok(())
}

/// The JST days of `from..=to` on which a lot with `changes` (on-hand deltas and when, oldest
/// first) held stock at the day's end or took units in.
pub fn lot_days(
    changes: &[(i64, chrono::DateTime<Utc>)],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<NaiveDate> {
    let jst = |t: chrono::DateTime<Utc>| (t + Duration::hours(9)).date_naive();
    let mut balance: i64 = changes
        .iter()
        .filter(|(_, t)| jst(*t) < from)
        .map(|(d, _)| d)
        .sum();
    let mut out = Vec::new();
    let mut day = from;
    let mut i = changes.iter().position(|(_, t)| jst(*t) >= from);
    while day <= to {
        let mut took_in = false;
        while let Some(k) = i {
            let Some((delta, t)) = changes.get(k) else {
                i = None;
                break;
            };
            if jst(*t) != day {
                break;
            }
            balance += delta;
            took_in |= *delta > 0;
            i = Some(k + 1);
        }
        if balance > 0 || took_in {
            out.push(day);
        }
        day += Duration::days(1);
    }
    out
}

/// Per (SKU and lot code, rule id, rule version): the rule and the days counted.
type LotDays = BTreeMap<(String, Uuid, i32), (domain::Rule, i64)>;

/// Books the storage fees of period `p` (see the module), before its statements are built.
///
/// # Errors
/// Database failure.
pub async fn book_storage(
    app: &AppState,
    txn: &DatabaseTransaction,
    p: &settlement_period::Model,
) -> ApiResult<()> {
    let agg = p.aggregator_id;
    let rules = rules_of(txn, agg).await?;
    if !rules.iter().any(|r| r.fee_type == fee_type::STORAGE) {
        return Ok(());
    }
    // The period's end in UTC: midnight JST after its last day.
    let end_naive = (p.ends_on + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("period end")))?
        - Duration::hours(9);
    let until = Utc.from_utc_datetime(&end_naive);
    let mut by_lot: HashMap<Uuid, Vec<(i64, chrono::DateTime<Utc>)>> = HashMap::new();
    for (lot, delta, at) in crate::inventory::repo::on_hand_changes_until(txn, agg, until).await? {
        by_lot.entry(lot).or_default().push((delta, at));
    }
    if by_lot.is_empty() {
        return Ok(());
    }
    let lots = crate::inventory::repo::lots_where(
        txn,
        Condition::all().add(entity::stock_lot::Column::AggregatorId.eq(agg)),
        None,
    )
    .await?;
    let skus = skus_with_categories(txn, lots.iter().map(|l| l.sku_id)).await?;
    // Per producer, per (SKU and lot code, rule): the days counted (a lot in two bins adds up).
    let mut days: BTreeMap<Uuid, LotDays> = BTreeMap::new();
    for lot in &lots {
        let Some(changes) = by_lot.get(&lot.id) else {
            continue;
        };
        let Some((sku, categories)) = skus.get(&lot.sku_id) else {
            continue;
        };
        for day in lot_days(changes, p.starts_on, p.ends_on) {
            let c = SaleContext {
                producer_id: lot.producer_id,
                categories,
                channel_id: None,
                payment_method: "",
                unit_price: sku.price_yen,
                on: day,
            };
            if let Some(rule) = domain::pick(&rules, fee_type::STORAGE, &c) {
                let key = (
                    format!("{} {}", sku.code, lot.lot_code),
                    rule.id,
                    rule.version,
                );
                days.entry(lot.producer_id)
                    .or_default()
                    .entry(key)
                    .or_insert_with(|| (rule.clone(), 0))
                    .1 += 1;
            }
        }
    }
    for (pid, per_lot) in days {
        let mut taken = Vec::new();
        let charges: Vec<Charge> = per_lot
            .into_iter()
            .filter_map(|((subject, _, _), (rule, n))| {
                let amount = rule.charge(0, n);
                (amount > 0).then(|| Charge {
                    producer_id: pid,
                    fee_type: fee_type::STORAGE.into(),
                    subject_key: unique(&mut taken, format!("{subject}: {n} d")),
                    amount,
                    rule,
                })
            })
            .collect();
        book(
            app,
            txn,
            agg,
            pid,
            format!("storage:{}:{pid}", p.id),
            p.ends_on,
            format!("保管料 / storage {} – {}", p.starts_on, p.ends_on),
            &charges,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: u32, h: u32) -> chrono::DateTime<Utc> {
        // `h` is the JST hour.
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .single()
            .unwrap_or_default()
            - Duration::hours(9)
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    #[test]
    fn a_lot_counts_the_days_it_held_stock_or_took_units_in() {
        // In before the period, sold out on the 3rd; in again on the 5th and out the same day;
        // in on the 28th until after the end.
        let changes = vec![
            (10, at(1, 10) - Duration::days(5)),
            (-10, at(3, 15)),
            (4, at(5, 9)),
            (-4, at(5, 17)),
            (6, at(28, 23)),
        ];
        let got = lot_days(&changes, day(1), day(30));
        let mut want = vec![day(1), day(2), day(5)];
        want.extend((28..=30).map(day));
        assert_eq!(got, want);
        // A JST day boundary: 23:30 JST on the 2nd is still the 2nd.
        let late = vec![(1, at(2, 23) + Duration::minutes(30)), (-1, at(3, 1))];
        assert_eq!(lot_days(&late, day(1), day(30)), vec![day(2)]);
    }

    #[test]
    fn a_second_line_of_the_same_lot_gets_its_own_subject() {
        let mut taken = Vec::new();
        assert_eq!(unique(&mut taken, "A L1".into()), "A L1");
        assert_eq!(unique(&mut taken, "A L1".into()), "A L1 #2");
        assert_eq!(unique(&mut taken, "A L1".into()), "A L1 #3");
    }
}
