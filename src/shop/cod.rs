//! Cash on delivery (宅急便コレクト, DOMAIN-JP.md §4): each parcel that collects is its own slip
//! with its own amount and 内消費税額等. A shop collects either on one parcel for the whole
//! order (the others prepaid, one fee) or on each parcel; the fee is tiered by the amount a slip
//! collects, and one slip collects at most ¥300,000. The slip's tax is the order's tax of each
//! rate apportioned to it, never recomputed per slip. Pure: the preview, the order, the receipt
//! and the B2 file all read what [`super::pricing::quote`] computed with these rules.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What one コレクト slip may collect, fee and tax included (the carrier's limit).
pub const SLIP_MAX_YEN: i64 = 300_000;

/// Which parcels of a cash-on-delivery order collect.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    /// Parcel 1 collects the whole order (one fee); the others are prepaid (発払い).
    #[default]
    OneParcel,
    /// Every parcel collects its own goods and fees (a fee per parcel).
    EachParcel,
}

/// One fee tier: slips collecting up to `up_to_yen` (fee included) pay `fee_yen`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FeeTier {
    pub up_to_yen: i64,
    pub fee_yen: i64,
}

/// A shop's cash-on-delivery rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CashOnDelivery {
    pub collection: Collection,
    /// Ascending by `up_to_yen`; the last limit (at most ¥300,000) is what a slip may collect.
    pub fee_tiers: Vec<FeeTier>,
}

impl Default for CashOnDelivery {
    /// Yamato's published tiers: ¥330 up to ¥10,000, ¥440 up to ¥30,000, ¥660 up to
    /// ¥100,000, ¥1,100 up to ¥300,000; one parcel collects.
    fn default() -> Self {
        let tier = |up_to_yen, fee_yen| FeeTier { up_to_yen, fee_yen };
        Self {
            collection: Collection::OneParcel,
            fee_tiers: vec![
                tier(10_000, 330),
                tier(30_000, 440),
                tier(100_000, 660),
                tier(300_000, 1_100),
            ],
        }
    }
}

impl CashOnDelivery {
    /// What one slip may collect.
    pub fn slip_limit(&self) -> i64 {
        self.fee_tiers
            .last()
            .map_or(0, |t| t.up_to_yen)
            .min(SLIP_MAX_YEN)
    }

    /// The fee of a slip that collects `base` plus the fee itself: the first tier whose limit
    /// holds both. Over the last tier the last fee (the slip is then over [`Self::slip_limit`]
    /// and checkout refuses it).
    pub fn fee_for(&self, base: i64) -> i64 {
        self.fee_tiers
            .iter()
            .find(|t| base + t.fee_yen <= t.up_to_yen.min(SLIP_MAX_YEN))
            .or(self.fee_tiers.last())
            .map_or(0, |t| t.fee_yen)
    }

    /// The tiers for the 特商法 page (`1万円まで 330 円、3万円まで 440 円…`).
    pub fn tiers_text(&self) -> String {
        let tiers: Vec<String> = self
            .fee_tiers
            .iter()
            .map(|t| {
                format!(
                    "{} 円まで {} 円",
                    crate::core::money::grouped(t.up_to_yen),
                    crate::core::money::grouped(t.fee_yen)
                )
            })
            .collect();
        let how = match self.collection {
            Collection::OneParcel => "複数の個口でもお支払いは 1 回",
            Collection::EachParcel => "個口ごとにお支払い",
        };
        format!("{}（{how}）", tiers.join("、"))
    }

    /// Checks the tiers (at least one, ascending limits up to ¥300,000, fees 0–¥100,000).
    pub fn check(&self, errors: &mut Vec<(String, String)>) {
        if self.fee_tiers.is_empty() || self.fee_tiers.len() > 20 {
            errors.push((
                "cash_on_delivery.fee_tiers".into(),
                "give 1 to 20 tiers".into(),
            ));
        }
        let mut previous = 0;
        for (i, t) in self.fee_tiers.iter().enumerate() {
            if !(1..=SLIP_MAX_YEN).contains(&t.up_to_yen) || t.up_to_yen <= previous {
                errors.push((
                    format!("cash_on_delivery.fee_tiers[{i}].up_to_yen"),
                    "must rise from tier to tier, up to 300,000 yen (what one slip collects)"
                        .into(),
                ));
            }
            if !(0..=100_000).contains(&t.fee_yen) || t.fee_yen >= t.up_to_yen {
                errors.push((
                    format!("cash_on_delivery.fee_tiers[{i}].fee_yen"),
                    "must be 0 to 100,000 yen and below the tier's limit".into(),
                ));
            }
            previous = t.up_to_yen;
        }
    }
}

/// `total` split over `weights` in proportion, rounded down, the remainder on the last share
/// with a weight (so the shares add up to `total` exactly and a parcel without 8 % goods never
/// carries 8 % tax).
pub fn apportion(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i64 = weights.iter().sum();
    let mut shares: Vec<i64> = weights
        .iter()
        .map(|w| {
            if sum == 0 {
                0
            } else {
                i64::try_from(i128::from(total) * i128::from(*w) / i128::from(sum)).unwrap_or(0)
            }
        })
        .collect();
    let given: i64 = shares.iter().sum();
    let at = weights
        .iter()
        .rposition(|w| *w != 0)
        .or_else(|| weights.len().checked_sub(1));
    if let Some(share) = at.and_then(|i| shares.get_mut(i)) {
        *share += total - given;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_tier_holds_the_amount_with_its_fee() {
        let c = CashOnDelivery::default();
        for (base, fee) in [
            (1, 330),
            (9_670, 330),
            // 9,671 + 330 = 10,001: over the first tier.
            (9_671, 440),
            (29_560, 440),
            (29_561, 660),
            (99_340, 660),
            (99_341, 1_100),
            (298_900, 1_100),
        ] {
            assert_eq!(c.fee_for(base), fee, "{base}");
        }
        assert_eq!(c.slip_limit(), 300_000);
        assert!(
            298_901 + c.fee_for(298_901) > c.slip_limit(),
            "over the cap"
        );
    }

    #[test]
    fn shares_add_up_with_the_remainder_last() {
        assert_eq!(apportion(100, &[1, 1, 1]), vec![33, 33, 34]);
        assert_eq!(apportion(257, &[2_160, 1_320, 0]), vec![159, 98, 0]);
        assert_eq!(apportion(0, &[5, 5]), vec![0, 0]);
        assert_eq!(apportion(10, &[0, 0]), vec![0, 10]);
        assert_eq!(apportion(7, &[]), Vec::<i64>::new());
    }

    #[test]
    fn tiers_are_checked() {
        let mut c = CashOnDelivery::default();
        c.fee_tiers[1].up_to_yen = 5_000;
        c.fee_tiers[3].up_to_yen = 500_000;
        c.fee_tiers[0].fee_yen = -1;
        let mut errors = Vec::new();
        c.check(&mut errors);
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "cash_on_delivery.fee_tiers[0].fee_yen",
                "cash_on_delivery.fee_tiers[1].up_to_yen",
                "cash_on_delivery.fee_tiers[3].up_to_yen"
            ]
        );
    }
}
