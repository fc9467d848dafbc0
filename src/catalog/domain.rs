//! Catalogue facts parsed at the boundary: JAN / GTIN codes (DOMAIN-JP.md §3).

/// A JAN / GTIN-13 or GTIN-8 with a verified check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jan {
    code: String,
}

impl Jan {
    /// Parses 13 or 8 digits (full-width digits, spaces and hyphens are tolerated).
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code: String = crate::core::jp::to_half_width_ascii(raw)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if !(code.len() == 13 || code.len() == 8) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 13 or 8 digits");
        }
        let (body, check) = code.split_at(code.len() - 1);
        if check_digit(body) != check.bytes().next().map(|b| b - b'0') {
            return Err("check digit does not match: please check the code");
        }
        Ok(Self { code })
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// In-store codes (GTIN-13 prefixes 02 and 20–29) are local: never sent out as a GTIN.
    pub fn is_local_only(&self) -> bool {
        self.code.len() == 13 && (self.code.starts_with("02") || self.code.starts_with('2'))
    }
}

/// The GS1 check digit of `body` (weights 3,1,3,1… from the right): `(10 − sum mod 10) mod 10`.
pub fn check_digit(body: &str) -> Option<u8> {
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_the_published_vectors() {
        assert_eq!(check_digit("629104150021"), Some(3));
        assert_eq!(check_digit("123456789012"), Some(8));
        assert_eq!(check_digit("490123456789"), Some(4));
        assert_eq!(check_digit("12a"), None);
    }

    #[test]
    fn jans_are_verified() {
        assert!(Jan::parse("6291041500213").is_ok());
        assert!(Jan::parse("1234567890128").is_ok());
        assert!(Jan::parse("６２９１０４１５００２１３").is_ok());
        assert!(Jan::parse("6291041500214").is_err());
        assert!(Jan::parse("629104150021").is_err());
        assert!(Jan::parse("abcdefghijklm").is_err());
        // GTIN-8: 9638507 → check 4 (weights 3,1,3,1,3,1,3 from the right).
        assert!(Jan::parse("96385074").is_ok());
        assert!(Jan::parse("96385075").is_err());
    }

    #[test]
    fn in_store_codes_are_local_only() {
        let local = format!("200000000001{}", check_digit("200000000001").unwrap_or(0));
        assert!(
            Jan::parse(&local)
                .map(|j| j.is_local_only())
                .unwrap_or(false)
        );
        let local02 = format!("020000000001{}", check_digit("020000000001").unwrap_or(0));
        assert!(
            Jan::parse(&local02)
                .map(|j| j.is_local_only())
                .unwrap_or(false)
        );
        assert_eq!(
            Jan::parse("4901234567894").map(|j| j.is_local_only()),
            Ok(false)
        );
    }
}

/// Allergens whose labelling is mandatory (特定原材料), by code with ja/en names.
pub const MANDATORY_ALLERGENS: &[(&str, &str, &str)] = &[
    ("shrimp", "えび", "shrimp"),
    ("crab", "かに", "crab"),
    ("walnut", "くるみ", "walnut"),
    ("wheat", "小麦", "wheat"),
    ("buckwheat", "そば", "buckwheat"),
    ("egg", "卵", "egg"),
    ("milk", "乳", "milk"),
    ("peanut", "落花生", "peanut"),
];

/// Allergens whose labelling is recommended (特定原材料に準ずるもの).
pub const RECOMMENDED_ALLERGENS: &[(&str, &str, &str)] = &[
    ("almond", "アーモンド", "almond"),
    ("abalone", "あわび", "abalone"),
    ("squid", "いか", "squid"),
    ("salmon_roe", "いくら", "salmon roe"),
    ("orange", "オレンジ", "orange"),
    ("cashew", "カシューナッツ", "cashew nut"),
    ("kiwi", "キウイフルーツ", "kiwi fruit"),
    ("beef", "牛肉", "beef"),
    ("sesame", "ごま", "sesame"),
    ("salmon", "さけ", "salmon"),
    ("mackerel", "さば", "mackerel"),
    ("soybean", "大豆", "soybean"),
    ("chicken", "鶏肉", "chicken"),
    ("banana", "バナナ", "banana"),
    ("pork", "豚肉", "pork"),
    ("macadamia", "マカダミアナッツ", "macadamia nut"),
    ("peach", "もも", "peach"),
    ("yam", "やまいも", "yam"),
    ("apple", "りんご", "apple"),
    ("gelatin", "ゼラチン", "gelatin"),
    ("matsutake", "まつたけ", "matsutake"),
];

/// Whether `code` is a known allergen.
pub fn is_allergen(code: &str) -> bool {
    MANDATORY_ALLERGENS
        .iter()
        .chain(RECOMMENDED_ALLERGENS)
        .any(|(c, _, _)| *c == code)
}

/// Temperature classes (DOMAIN-JP §3); items of different classes never share a parcel.
pub const TEMPERATURE_CLASSES: [&str; 3] = ["ambient", "chilled", "frozen"];
/// 賞味期限 (best-before: quality) or 消費期限 (use-by: safety).
pub const DATE_KINDS: [&str; 2] = ["best_before", "use_by"];
/// Plant-quarantine classes (DOMAIN-JP §3): checkout checks origin → destination.
pub const QUARANTINE_CLASSES: [&str; 4] = [
    "none",
    // Raw sweet potato (紅いも etc.): not moved out of Okinawa untreated, nor into Kumejima.
    "raw_sweet_potato",
    // Other restricted raw plants (e.g. 空心菜): not moved out of Okinawa untreated.
    "restricted_raw_plant",
    // Citrus plants: need inspection.
    "citrus_plant",
];

/// The consumption-tax rate a category suggests, and why (DOMAIN-JP §1).
pub fn suggested_tax(food: bool, alcohol: bool) -> (i16, &'static str, &'static str) {
    if alcohol {
        (
            10,
            "酒類は標準税率 10%（軽減税率の対象外）",
            "Alcohol is taxed at the standard 10% (not reduced)",
        )
    } else if food {
        (
            8,
            "飲食料品は軽減税率 8%",
            "Food and drink are taxed at the reduced 8%",
        )
    } else {
        (
            10,
            "食品以外は標準税率 10%",
            "Non-food goods are taxed at the standard 10%",
        )
    }
}

#[cfg(test)]
mod food_tests {
    use super::*;

    #[test]
    fn allergen_lists_hold_the_mandatory_eight() {
        assert_eq!(MANDATORY_ALLERGENS.len(), 8);
        for c in [
            "shrimp",
            "crab",
            "walnut",
            "wheat",
            "buckwheat",
            "egg",
            "milk",
            "peanut",
            "soybean",
        ] {
            assert!(is_allergen(c), "{c}");
        }
        assert!(!is_allergen("gluten-ish"));
    }

    #[test]
    fn tax_suggestions_follow_the_reduced_rate_rules() {
        assert_eq!(suggested_tax(true, false).0, 8);
        assert_eq!(suggested_tax(false, true).0, 10);
        assert_eq!(suggested_tax(true, true).0, 10, "alcohol is never reduced");
        assert_eq!(suggested_tax(false, false).0, 10);
    }
}
