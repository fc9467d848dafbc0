//! Order arithmetic, pure: parcels per temperature class, fees, and consumption tax computed
//! once per rate for the whole order (DESIGN.md §5, DOMAIN-JP.md §1). Prices are tax-included
//! yen; fees belong to the 10 % sum.
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
    /// Cash-on-delivery fee collected with this parcel (0 for other methods).
    pub cod_fee: i64,
}

impl ParcelQuote {
    /// What this parcel costs the buyer (goods and its fees); the amount collected on delivery
    /// for cash on delivery.
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
/// class, fees from `settings`, tax once per rate.
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
            cod_fee: if cash_on_delivery {
                settings.cod_fee_yen
            } else {
                0
            },
        });
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
    Quote {
        tax8: included_tax(total8, 8, &settings.tax_rounding),
        tax10: included_tax(total10, 10, &settings.tax_rounding),
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
        // 2,200 + shipping 1,200 × 2 + cool 330 + COD 330 × 2.
        assert_eq!(q.total10, 2_200 + 2_400 + 330 + 660);
        assert_eq!(q.tax8, 160);
        assert_eq!(q.tax10, included_tax(5_590, 10, "floor"));
        assert_eq!(
            q.grand_total,
            q.parcels.iter().map(ParcelQuote::total).sum::<i64>()
        );
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
