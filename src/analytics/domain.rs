//! The rollup's cells as pure functions: what one shipped parcel or one return batch adds to
//! the daily facts (DESIGN.md §4 `sales_daily`). A cell is a JST day × producer (with its
//! municipality and island as they were) × category × channel × domestic/overseas ×
//! destination prefecture; facts are additive, so the incremental rollup and a rebuild from
//! the orders add up the same contributions.
use chrono::NaiveDate;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Where a sale was made: the shop or a channel account.
pub const SHOP: &str = "shop";
pub const DOMESTIC: &str = "domestic";
pub const OVERSEAS: &str = "overseas";

/// One cell's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub day: NaiveDate,
    pub producer_id: Uuid,
    pub municipality_code: String,
    /// Empty when the producer is not on a listed island.
    pub island_code: String,
    pub category_code: String,
    /// `shop` or the channel account's id.
    pub channel: String,
    /// `domestic` or `overseas`.
    pub market: String,
    /// The destination's prefecture code (empty abroad).
    pub destination_prefecture: String,
}

/// What a cell adds up (yen, tax included unless `_excl`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub sales_incl: i64,
    pub sales_excl: i64,
    pub units: i64,
    pub lines: i64,
    pub returns_incl: i64,
    pub returns_units: i64,
    pub refunds: i64,
    /// Orders with a line in the cell (an order counts once per cell, at its first parcel).
    pub orders: i64,
}

impl Facts {
    pub fn add(&mut self, o: &Facts) {
        self.sales_incl += o.sales_incl;
        self.sales_excl += o.sales_excl;
        self.units += o.units;
        self.lines += o.lines;
        self.returns_incl += o.returns_incl;
        self.returns_units += o.returns_units;
        self.refunds += o.refunds;
        self.orders += o.orders;
    }

    pub fn is_zero(&self) -> bool {
        *self == Facts::default()
    }
}

/// `total` shared in proportion to `weights` (see [`crate::core::money::apportion`]).
pub fn apportion(total: i64, weights: &[i64]) -> Vec<i64> {
    crate::core::money::apportion(total, weights)
}

/// One line of an order as the rollup reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldLine {
    pub id: Uuid,
    pub parcel_seq: i32,
    pub producer_id: Uuid,
    pub category_code: String,
    pub tax_rate: i16,
    pub qty: i64,
    pub unit_price: i64,
    /// Tax included.
    pub amount: i64,
}

/// The order around the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldOrder {
    pub channel: String,
    pub market: String,
    pub destination_prefecture: String,
    /// The order's consumption tax per rate (8, 10) and the tax-included total it is in
    /// (goods and, at 10 %, the service fees).
    pub tax8: i64,
    pub total8: i64,
    pub tax10: i64,
    pub total10: i64,
    pub lines: Vec<SoldLine>,
}

/// Each line's share of the order's tax of its rate: the rate's tax apportioned over the
/// rate's lines and (at 10 %) the service fees, by amount; the fees' share is dropped.
pub fn line_tax(o: &SoldOrder) -> BTreeMap<Uuid, i64> {
    let mut out = BTreeMap::new();
    for (rate, tax, total) in [(8i16, o.tax8, o.total8), (10, o.tax10, o.total10)] {
        let lines: Vec<&SoldLine> = o.lines.iter().filter(|l| l.tax_rate == rate).collect();
        if lines.is_empty() {
            continue;
        }
        let goods: i64 = lines.iter().map(|l| l.amount).sum();
        let mut weights: Vec<i64> = lines.iter().map(|l| l.amount).collect();
        // What the rate's total holds besides these goods (the order's service fees).
        weights.push((total - goods).max(0));
        let shares = apportion(tax, &weights);
        for (l, t) in lines.iter().zip(shares) {
            out.insert(l.id, t);
        }
    }
    out
}

/// The cell of line `l` of `o` on `day`.
fn key_of(
    o: &SoldOrder,
    l: &SoldLine,
    day: NaiveDate,
    place: &dyn Fn(Uuid) -> (String, String),
) -> CellKey {
    let (municipality_code, island_code) = place(l.producer_id);
    CellKey {
        day,
        producer_id: l.producer_id,
        municipality_code,
        island_code,
        category_code: l.category_code.clone(),
        channel: o.channel.clone(),
        market: o.market.clone(),
        destination_prefecture: o.destination_prefecture.clone(),
    }
}

/// What the parcel `seq` of `o` that left on `day` adds, per cell; `place` gives a producer's
/// municipality and island.
pub fn parcel_facts(
    o: &SoldOrder,
    seq: i32,
    day: NaiveDate,
    place: &dyn Fn(Uuid) -> (String, String),
) -> BTreeMap<CellKey, Facts> {
    let tax = line_tax(o);
    let mut out: BTreeMap<CellKey, Facts> = BTreeMap::new();
    for l in o.lines.iter().filter(|l| l.parcel_seq == seq) {
        let key = key_of(o, l, day, place);
        // The order counts in a cell at its first parcel with a line of that producer and
        // category.
        let first = !o.lines.iter().any(|m| {
            m.parcel_seq < seq
                && m.producer_id == l.producer_id
                && m.category_code == l.category_code
        });
        let seen = out.contains_key(&key);
        let f = out.entry(key).or_default();
        f.sales_incl += l.amount;
        f.sales_excl += l.amount - tax.get(&l.id).copied().unwrap_or(0);
        f.units += l.qty;
        f.lines += 1;
        if first && !seen {
            f.orders += 1;
        }
    }
    out
}

/// What returning `qty` of line `l` with `refund` yen refunded on `day` adds.
pub fn return_facts(
    o: &SoldOrder,
    l: &SoldLine,
    qty: i64,
    refund: i64,
    day: NaiveDate,
    place: &dyn Fn(Uuid) -> (String, String),
) -> (CellKey, Facts) {
    (
        key_of(o, l, day, place),
        Facts {
            returns_incl: l.unit_price * qty,
            returns_units: qty,
            refunds: refund,
            ..Facts::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: u128, seq: i32, producer: u128, rate: i16, amount: i64) -> SoldLine {
        SoldLine {
            id: Uuid::from_u128(n),
            parcel_seq: seq,
            producer_id: Uuid::from_u128(producer),
            category_code: "sweets".into(),
            tax_rate: rate,
            qty: 1,
            unit_price: amount,
            amount,
        }
    }

    #[test]
    fn tax_goes_to_the_lines_of_its_rate_and_the_fees_keep_their_share() {
        let o = SoldOrder {
            channel: SHOP.into(),
            market: DOMESTIC.into(),
            destination_prefecture: "13".into(),
            tax8: 160,
            total8: 2_160,
            tax10: 200,
            total10: 2_200,
            lines: vec![
                line(1, 1, 1, 8, 1_080),
                line(2, 1, 2, 8, 1_080),
                line(3, 2, 1, 10, 1_100),
            ],
        };
        let t = line_tax(&o);
        assert_eq!(t[&Uuid::from_u128(1)] + t[&Uuid::from_u128(2)], 160);
        // 1,100 of 2,200 at 10 %: half the tax; the fees keep the rest.
        assert_eq!(t[&Uuid::from_u128(3)], 100);
    }

    #[test]
    fn an_order_counts_once_per_cell_at_its_first_parcel() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default();
        let o = SoldOrder {
            channel: SHOP.into(),
            market: DOMESTIC.into(),
            destination_prefecture: "13".into(),
            tax8: 0,
            total8: 0,
            tax10: 0,
            total10: 0,
            lines: vec![
                line(1, 1, 1, 8, 100),
                line(2, 1, 1, 8, 100),
                line(3, 2, 1, 8, 100),
                line(4, 2, 2, 8, 100),
            ],
        };
        let place = |_| ("473618".to_string(), String::new());
        let first = parcel_facts(&o, 1, day, &place);
        let second = parcel_facts(&o, 2, day, &place);
        let orders = |m: &BTreeMap<CellKey, Facts>, p: u128| -> i64 {
            m.iter()
                .filter(|(k, _)| k.producer_id == Uuid::from_u128(p))
                .map(|(_, f)| f.orders)
                .sum()
        };
        assert_eq!(orders(&first, 1), 1);
        assert_eq!(orders(&second, 1), 0, "producer 1 was counted at parcel 1");
        assert_eq!(orders(&second, 2), 1);
        assert_eq!(first.values().map(|f| f.lines).sum::<i64>(), 2);
    }
}
