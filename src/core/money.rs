//! Money: exact integer amounts in a currency's minor unit (yen has none), the consumption tax
//! contained in a tax-included sum (rounded once, by a named rule), and the formats pages and
//! emails show. Never floats (DESIGN.md §5).
use serde::{Deserialize, Serialize};

/// A currency we sell in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    /// Japanese yen: no minor unit.
    #[serde(rename = "JPY")]
    Jpy,
    /// Singapore dollar: cents.
    #[serde(rename = "SGD")]
    Sgd,
}

impl Currency {
    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Jpy => "JPY",
            Self::Sgd => "SGD",
        }
    }

    /// The currency of an ISO 4217 code we know.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "JPY" => Some(Self::Jpy),
            "SGD" => Some(Self::Sgd),
            _ => None,
        }
    }

    /// Digits after the decimal point.
    pub fn minor_digits(self) -> u32 {
        match self {
            Self::Jpy => 0,
            Self::Sgd => 2,
        }
    }
}

/// An amount in minor units of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// `minor` yen.
    pub fn yen(minor: i64) -> Self {
        Self {
            minor,
            currency: Currency::Jpy,
        }
    }

    /// The amount in yen at `fx_rate_ppm` (yen per one unit of the currency, in parts per
    /// million), rounded half up — the one place a foreign amount becomes yen.
    pub fn to_yen(self, fx_rate_ppm: i64) -> i64 {
        let scale = 10i128.pow(self.currency.minor_digits()) * 1_000_000;
        let num = i128::from(self.minor) * i128::from(fx_rate_ppm);
        let rounded = if num >= 0 {
            (2 * num + scale) / (2 * scale)
        } else {
            -((-2 * num + scale) / (2 * scale))
        };
        i64::try_from(rounded).unwrap_or(i64::MAX)
    }
}

/// How consumption tax is rounded, once per rate per invoice (DESIGN.md §5; a setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rounding {
    #[default]
    Floor,
    Ceil,
    HalfUp,
}

impl Rounding {
    /// The settings' names.
    pub const NAMES: [&'static str; 3] = ["floor", "ceil", "half_up"];

    /// The rule a settings value names (floor for anything else, which settings validation
    /// refuses before it is stored).
    pub fn named(s: &str) -> Self {
        match s {
            "ceil" => Self::Ceil,
            "half_up" => Self::HalfUp,
            _ => Self::Floor,
        }
    }

    /// `num / den` rounded by this rule (non-negative operands).
    pub fn divide(self, num: i128, den: i128) -> i128 {
        match self {
            Self::Floor => num / den,
            Self::Ceil => (num + den - 1) / den,
            Self::HalfUp => (2 * num + den) / (2 * den),
        }
    }
}

/// The consumption tax contained in a tax-included `sum` at `rate` %, rounded by `rounding`
/// (`floor`, `ceil` or `half_up`). Amounts are never negative here.
pub fn included_tax(sum: i64, rate: i64, rounding: &str) -> i64 {
    let t = Rounding::named(rounding)
        .divide(i128::from(sum) * i128::from(rate), i128::from(100 + rate));
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// Yen with thousands separators, e.g. `12,345` (prices on pages and in emails).
pub fn grouped(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// An amount for a page: `1,080 円`.
pub fn yen(v: i64) -> String {
    format!("{} 円", grouped(v))
}

/// `total` shared between `weights` in proportion (each share rounded down, the remainder one
/// yen each to the largest weights first, ties by order), so the shares always sum to `total`
/// (a zero total weight gives everything to the first).
pub fn apportion(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum == 0 {
        let mut out = vec![0; weights.len()];
        out[0] = total;
        return out;
    }
    let mut out: Vec<i64> = weights
        .iter()
        .map(|w| i64::try_from(i128::from(total) * i128::from((*w).max(0)) / sum).unwrap_or(0))
        .collect();
    let mut left = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|i| (std::cmp::Reverse(weights[*i]), *i));
    let mut k = 0;
    while left > 0 {
        out[order[k % order.len()]] += 1;
        left -= 1;
        k += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_is_rounded_by_the_named_rule() {
        // 1,080 yen at 8 % holds 80 yen; 1,000 yen at 8 % holds 74.07…
        assert_eq!(included_tax(1080, 8, "floor"), 80);
        assert_eq!(included_tax(1000, 8, "floor"), 74);
        assert_eq!(included_tax(1000, 8, "ceil"), 75);
        assert_eq!(included_tax(1000, 8, "half_up"), 74);
        assert_eq!(included_tax(1003, 10, "half_up"), 91);
    }

    #[test]
    fn amounts_are_grouped_in_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(grouped(-1000), "-1,000");
        assert_eq!(yen(3592), "3,592 円");
    }

    #[test]
    fn foreign_amounts_become_yen_once_half_up() {
        // S$12.34 at 112.345678 yen per S$ = 1,386.345… yen.
        let m = Money {
            minor: 1234,
            currency: Currency::Sgd,
        };
        assert_eq!(m.to_yen(112_345_678), 1386);
        assert_eq!(Money::yen(500).to_yen(1_000_000), 500);
    }
}
