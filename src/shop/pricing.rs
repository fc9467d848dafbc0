//! Order arithmetic, pure: parcels per temperature class, fees, and consumption tax computed
//! once per rate for the whole order (DESIGN.md §5, DOMAIN-JP.md §1). Prices are tax-included
//! yen; fees belong to the 10 % sum.
use super::cod::{Collection, apportion};
use super::settings::ShopSettings;
use crate::catalog::domain::TEMPERATURE_CLASSES;
use uuid::Uuid;

/// One cart line with everything pricing needs (already checked against the catalogue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub producer_id: Uuid,
    pub title: String,
    pub sku_code: String,
    pub qty: i64,
    /// Tax-included unit price in yen.
    pub unit_price: i64,
    /// 8 or 10.
    pub tax_rate: i16,
    pub temperature_class: String,
}

impl PricedLine {
    /// qty × unit price.
    pub fn total(&self) -> i64 {
        self.qty * self.unit_price
    }
}

/// One parcel: a single temperature class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcelQuote {
    /// 1-based, in the order ambient, chilled, frozen.
    pub seq: i32,
    pub temperature_class: String,
    /// Indexes into the quote's lines.
    pub lines: Vec<usize>,
    pub goods: i64,
    pub shipping_fee: i64,
    pub cool_fee: i64,
    pub surcharge: i64,
    /// Cash-on-delivery fee of this parcel's slip (0 when it does not collect).
    pub cod_fee: i64,
    /// What this parcel's コレクト slip collects, tax included (0: prepaid).
    pub cod_amount: i64,
    /// The consumption tax in [`Self::cod_amount`] (the order's tax apportioned).
    pub cod_tax: i64,
}

impl ParcelQuote {
    /// What this parcel costs the buyer (goods and its fees).
    pub fn total(&self) -> i64 {
        self.goods + self.shipping_fee + self.cool_fee + self.surcharge + self.cod_fee
    }
}

/// A priced order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub lines: Vec<PricedLine>,
    pub parcels: Vec<ParcelQuote>,
    pub goods_total: i64,
    pub shipping_total: i64,
    pub cool_total: i64,
    pub surcharge_total: i64,
    pub cod_fee: i64,
    /// Tax-included sum at 8 % (reduced-rate goods).
    pub total8: i64,
    /// Tax-included sum at 10 % (standard-rate goods and every fee).
    pub total10: i64,
    pub tax8: i64,
    pub tax10: i64,
    pub grand_total: i64,
}

impl Quote {
    /// Shipping, cool, remote-island and cash-on-delivery fees (all at 10 %).
    pub fn fees(&self) -> i64 {
        self.shipping_total + self.cool_total + self.surcharge_total + self.cod_fee
    }
}

pub use crate::core::money::{grouped, included_tax, yen};

/// Prices `lines` for delivery to `prefecture` / `postal_code`: one parcel per temperature
/// class, fees from `settings`, tax once per rate; for cash on delivery the slips of
/// [`super::cod`] (their amounts add up to the grand total, their tax to the order's tax).
pub fn quote(
    lines: Vec<PricedLine>,
    settings: &ShopSettings,
    prefecture: &str,
    postal_code: &str,
    cash_on_delivery: bool,
) -> Quote {
    let surcharge = settings.surcharge(postal_code).map_or(0, |s| s.fee_yen);
    let mut parcels = Vec::new();
    for class in TEMPERATURE_CLASSES {
        let idx: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.temperature_class == class)
            .map(|(i, _)| i)
            .collect();
        if idx.is_empty() {
            continue;
        }
        parcels.push(ParcelQuote {
            seq: i32::try_from(parcels.len() + 1).unwrap_or(i32::MAX),
            temperature_class: class.into(),
            goods: idx.iter().map(|i| lines[*i].total()).sum(),
            lines: idx,
            shipping_fee: settings.shipping_fee(class, prefecture),
            cool_fee: settings.cool_fee(class),
            surcharge,
            cod_fee: 0,
            cod_amount: 0,
            cod_tax: 0,
        });
    }
    let cod = &settings.cash_on_delivery;
    if cash_on_delivery {
        match cod.collection {
            Collection::OneParcel => {
                let base: i64 = parcels.iter().map(ParcelQuote::total).sum();
                if let Some(first) = parcels.first_mut() {
                    first.cod_fee = cod.fee_for(base);
                }
            }
            Collection::EachParcel => {
                for p in &mut parcels {
                    p.cod_fee = cod.fee_for(p.total());
                }
            }
        }
    }
    let goods_total = lines.iter().map(PricedLine::total).sum();
    let shipping_total = parcels.iter().map(|p| p.shipping_fee).sum();
    let cool_total = parcels.iter().map(|p| p.cool_fee).sum();
    let surcharge_total = parcels.iter().map(|p| p.surcharge).sum();
    let cod_fee = parcels.iter().map(|p| p.cod_fee).sum();
    let goods8: i64 = lines
        .iter()
        .filter(|l| l.tax_rate == 8)
        .map(PricedLine::total)
        .sum();
    let total8 = goods8;
    let total10 = goods_total - goods8 + shipping_total + cool_total + surcharge_total + cod_fee;
    let tax8 = included_tax(total8, 8, &settings.tax_rounding);
    let tax10 = included_tax(total10, 10, &settings.tax_rounding);
    if cash_on_delivery {
        slips(&mut parcels, &lines, cod.collection, tax8, tax10);
    }
    Quote {
        tax8,
        tax10,
        grand_total: total8 + total10,
        lines,
        parcels,
        goods_total,
        shipping_total,
        cool_total,
        surcharge_total,
        cod_fee,
        total8,
        total10,
    }
}

/// The amount and tax of each collecting slip: one slip with the whole order, or each parcel
/// with its own total and its share of the order's tax of each rate (by its 8 % and 10 %
/// amounts, the remainder on the last).
fn slips(
    parcels: &mut [ParcelQuote],
    lines: &[PricedLine],
    collection: Collection,
    tax8: i64,
    tax10: i64,
) {
    match collection {
        Collection::OneParcel => {
            let total = parcels.iter().map(ParcelQuote::total).sum();
            if let Some(first) = parcels.first_mut() {
                first.cod_amount = total;
                first.cod_tax = tax8 + tax10;
            }
        }
        Collection::EachParcel => {
            let at8: Vec<i64> = parcels
                .iter()
                .map(|p| {
                    p.lines
                        .iter()
                        .filter_map(|i| lines.get(*i))
                        .filter(|l| l.tax_rate == 8)
                        .map(PricedLine::total)
                        .sum()
                })
                .collect();
            let at10: Vec<i64> = parcels
                .iter()
                .zip(&at8)
                .map(|(p, g8)| p.total() - g8)
                .collect();
            let shares8 = apportion(tax8, &at8);
            let shares10 = apportion(tax10, &at10);
            for ((p, t8), t10) in parcels.iter_mut().zip(shares8).zip(shares10) {
                p.cod_amount = p.total();
                p.cod_tax = t8 + t10;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(price: i64, qty: i64, rate: i16, class: &str) -> PricedLine {
        PricedLine {
            sku_id: Uuid::nil(),
            product_id: Uuid::nil(),
            producer_id: Uuid::nil(),
            title: String::new(),
            sku_code: String::new(),
            qty,
            unit_price: price,
            tax_rate: rate,
            temperature_class: class.into(),
        }
    }

    #[test]
    fn tax_is_rounded_once_per_rate_not_per_line() {
        // (unit prices at 8 %, expected order tax, what per-line floor rounding would give)
        let table: [(&[i64], i64, i64); 4] = [
            // 3 × ¥100: 300×8/108 = 22.2 → 22; per line 7+7+7 = 21.
            (&[100, 100, 100], 22, 21),
            // ¥150 + ¥150: 300 → 22; per line 11+11 = 22 (same here, a control row).
            (&[150, 150], 22, 22),
            // ¥13 × 5 lines: 65×8/108 = 4.8 → 4; per line 0 each.
            (&[13, 13, 13, 13, 13], 4, 0),
            // ¥1,080 + ¥540 + ¥199 × 2: 2,018 → 149.5 → 149; per line 80+40+14+14 = 148.
            (&[1_080, 540, 199, 199], 149, 148),
        ];
        let s = ShopSettings::default();
        for (prices, expected, per_line) in table {
            let lines: Vec<PricedLine> = prices.iter().map(|p| line(*p, 1, 8, "ambient")).collect();
            let by_line: i64 = prices.iter().map(|p| included_tax(*p, 8, "floor")).sum();
            assert_eq!(by_line, per_line, "{prices:?} per line");
            let q = quote(lines, &s, "13", "100-0001", false);
            assert_eq!(q.tax8, expected, "{prices:?}");
        }
    }

    #[test]
    fn fees_join_the_ten_percent_sum() {
        let s = ShopSettings::default();
        let q = quote(
            vec![line(1_080, 2, 8, "ambient"), line(2_200, 1, 10, "chilled")],
            &s,
            "13",
            "100-0001",
            true,
        );
        assert_eq!(q.parcels.len(), 2);
        assert_eq!(q.total8, 2_160);
        // 2,200 + shipping 1,200 × 2 + cool 330 + one COD fee (one parcel collects 7,090).
        assert_eq!(q.total10, 2_200 + 2_400 + 330 + 330);
        assert_eq!(q.tax8, 160);
        assert_eq!(q.tax10, included_tax(5_260, 10, "floor"));
        assert_eq!(
            q.grand_total,
            q.parcels.iter().map(ParcelQuote::total).sum::<i64>()
        );
    }

    /// Three parcels to Naha, one per temperature class (the case).
    fn naha(s: &ShopSettings) -> Quote {
        quote(
            vec![
                line(1_080, 3, 8, "ambient"),
                line(2_200, 1, 10, "ambient"),
                line(540, 4, 8, "chilled"),
                line(2_160, 2, 8, "frozen"),
            ],
            s,
            "47",
            "900-0001",
            true,
        )
    }

    #[test]
    fn one_parcel_collects_the_whole_order_with_one_fee() {
        let q = naha(&ShopSettings::default());
        // 14,980 yen collected on one slip: the ¥30,000 tier.
        let fees: Vec<i64> = q.parcels.iter().map(|p| p.cod_fee).collect();
        assert_eq!(fees, [440, 0, 0]);
        assert_eq!(q.cod_fee, 440);
        assert_eq!(q.parcels[0].cod_amount, q.grand_total);
        assert_eq!(q.parcels[0].cod_tax, q.tax8 + q.tax10);
        assert!(
            q.parcels[1..]
                .iter()
                .all(|p| p.cod_amount == 0 && p.cod_tax == 0)
        );
    }

    #[test]
    fn each_parcel_collects_its_own_total_and_share_of_the_tax() {
        let mut s = ShopSettings::default();
        s.cash_on_delivery.collection = Collection::EachParcel;
        let q = naha(&s);
        // Ambient 3,240 + 2,200 + 800 shipping = 6,240 → 330; chilled 2,160 + 800 + 330 cool
        // = 3,290 → 330; frozen 4,320 + 800 + 330 = 5,450 → 330.
        let fees: Vec<i64> = q.parcels.iter().map(|p| p.cod_fee).collect();
        assert_eq!(fees, [330, 330, 330]);
        let amounts: Vec<i64> = q.parcels.iter().map(|p| p.cod_amount).collect();
        assert_eq!(amounts, [6_570, 3_620, 5_780]);
        assert_eq!(amounts.iter().sum::<i64>(), q.grand_total);
        let taxes: i64 = q.parcels.iter().map(|p| p.cod_tax).sum();
        assert_eq!(taxes, q.tax8 + q.tax10, "the order's tax, apportioned");
        // 8 %: 9,720 → 720 over 3,240 / 2,160 / 4,320 = 240, 160, 320; 10 %: the rest.
        assert_eq!(q.tax8, 720);
        let tax10: Vec<i64> = q
            .parcels
            .iter()
            .zip([240, 160, 320])
            .map(|(p, t8)| p.cod_tax - t8)
            .collect();
        assert_eq!(tax10.iter().sum::<i64>(), q.tax10);
        assert!(tax10.iter().all(|t| *t >= 0), "{tax10:?}");
    }

    #[test]
    fn a_fee_tier_is_chosen_by_what_the_slip_collects() {
        let s = ShopSettings::default();
        // 9,000 + 800 shipping = 9,800; + 330 = 10,130 is over ¥10,000 → ¥440.
        let q = quote(
            vec![line(9_000, 1, 8, "ambient")],
            &s,
            "47",
            "900-0001",
            true,
        );
        assert_eq!(q.parcels[0].cod_fee, 440);
        assert_eq!(q.parcels[0].cod_amount, 10_240);
    }

    #[test]
    fn yen_is_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-3_160), "-3,160");
    }

    #[test]
    fn rounding_modes() {
        assert_eq!(included_tax(100, 8, "floor"), 7);
        assert_eq!(included_tax(100, 8, "ceil"), 8);
        assert_eq!(included_tax(100, 8, "half_up"), 7);
        assert_eq!(included_tax(110, 10, "ceil"), 10);
        assert_eq!(included_tax(1_000, 10, "half_up"), 91);
    }
}
