//! The editable content of a product, its validation, and field-by-field diffs (revisions).
use super::domain::{
    DATE_KINDS, QUARANTINE_CLASSES, TEMPERATURE_CLASSES, is_allergen, suggested_tax,
};
use crate::{core::validate, error::ApiError};
use entity::{category, product};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Nutrition facts as labelled (per `basis`, e.g. "100g" or "1個").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Nutrition {
    #[serde(default)]
    pub basis: String,
    pub energy_kcal: Option<f64>,
    pub protein_g: Option<f64>,
    pub fat_g: Option<f64>,
    pub carbohydrate_g: Option<f64>,
    /// 食塩相当量
    pub salt_g: Option<f64>,
}

/// Everything a producer edits about a product (the live row, or a pending revision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductContent {
    pub title_ja: String,
    pub title_en: Option<String>,
    pub description_ja: String,
    pub description_en: Option<String>,
    pub category_code: String,
    /// Regional brand / collection tags, e.g. "八重山ブランド".
    pub tags: Vec<String>,
    /// ambient, chilled or frozen.
    pub temperature_class: String,
    /// best_before (賞味期限) or use_by (消費期限).
    pub date_kind: String,
    pub shelf_life_days: i32,
    /// Allergen codes from the mandatory and recommended lists.
    pub allergens: Vec<String>,
    pub ingredients: String,
    pub additives: String,
    pub net_content: String,
    pub storage: String,
    pub origin_municipality_code: Option<String>,
    pub nutrition: Nutrition,
    /// 8 or 10.
    pub tax_rate: i16,
    pub alcohol: bool,
    /// none, raw_sweet_potato, restricted_raw_plant, citrus_plant.
    pub quarantine_class: String,
    pub hs_code: Option<String>,
}

impl ProductContent {
    /// The live content of a product row.
    pub fn from_model(p: &product::Model) -> Self {
        Self {
            title_ja: p.title_ja.clone(),
            title_en: p.title_en.clone(),
            description_ja: p.description_ja.clone(),
            description_en: p.description_en.clone(),
            category_code: p.category_code.clone(),
            tags: serde_json::from_str(&p.tags).unwrap_or_default(),
            temperature_class: p.temperature_class.clone(),
            date_kind: p.date_kind.clone(),
            shelf_life_days: p.shelf_life_days,
            allergens: serde_json::from_str(&p.allergens).unwrap_or_default(),
            ingredients: p.ingredients.clone(),
            additives: p.additives.clone(),
            net_content: p.net_content.clone(),
            storage: p.storage.clone(),
            origin_municipality_code: p.origin_municipality_code.clone(),
            nutrition: serde_json::from_str(&p.nutrition).unwrap_or_default(),
            tax_rate: p.tax_rate,
            alcohol: p.alcohol,
            quarantine_class: p.quarantine_class.clone(),
            hs_code: p.hs_code.clone(),
        }
    }

    /// Field-by-field differences from `other` (for the revision review page).
    pub fn diff(&self, other: &Self) -> Vec<FieldChange> {
        let a = serde_json::to_value(self).unwrap_or_default();
        let b = serde_json::to_value(other).unwrap_or_default();
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
            return Vec::new();
        };
        a.iter()
            .filter_map(|(k, v)| {
                let w = b.get(k).cloned().unwrap_or_default();
                (v != &w).then(|| FieldChange {
                    field: k.clone(),
                    from: v.clone(),
                    to: w,
                })
            })
            .collect()
    }

    /// Normalises and checks the content against its category. Returns every problem.
    pub fn check(
        &mut self,
        cat: Option<&category::Model>,
        origin_known: bool,
    ) -> Result<(), ApiError> {
        let mut errors: Vec<(String, String)> = Vec::new();
        let mut text = |field: &str, v: &mut String, max: usize, required: bool| {
            let t = v.trim().to_string();
            if t.is_empty() {
                if required {
                    errors.push((field.into(), "is required".into()));
                }
                *v = t;
                return;
            }
            match validate::text(&t, max) {
                Ok(t) => *v = t,
                Err(m) => errors.push((field.into(), m)),
            }
        };
        let food = cat.is_some_and(|c| c.food || c.alcohol);
        text("title_ja", &mut self.title_ja, 200, true);
        text("description_ja", &mut self.description_ja, 5000, true);
        text("ingredients", &mut self.ingredients, 2000, food);
        text("additives", &mut self.additives, 1000, false);
        text("net_content", &mut self.net_content, 100, food);
        text("storage", &mut self.storage, 500, food);
        for (field, v, max) in [
            ("title_en", &mut self.title_en, 200usize),
            ("description_en", &mut self.description_en, 5000),
        ] {
            if let Some(s) = v {
                let t = s.trim().to_string();
                if t.is_empty() {
                    *v = None;
                } else if let Err(m) = validate::text(&t, max) {
                    errors.push((field.into(), m));
                } else {
                    *v = Some(t);
                }
            }
        }
        match cat {
            None => errors.push((
                "category_code".into(),
                "pick a category from the list".into(),
            )),
            Some(c) => {
                if c.alcohol && !self.alcohol {
                    errors.push((
                        "alcohol".into(),
                        "products in this category are alcohol".into(),
                    ));
                }
                if self.alcohol && self.tax_rate != 10 {
                    errors.push((
                        "tax_rate".into(),
                        "alcohol is taxed at 10% (never the reduced 8%)".into(),
                    ));
                } else if self.tax_rate == 8 && !c.food {
                    errors.push((
                        "tax_rate".into(),
                        "the reduced 8% applies to food and drink only".into(),
                    ));
                }
            }
        }
        if self.tax_rate != 8 && self.tax_rate != 10 {
            errors.push(("tax_rate".into(), "must be 8 or 10".into()));
        }
        if !TEMPERATURE_CLASSES.contains(&self.temperature_class.as_str()) {
            errors.push((
                "temperature_class".into(),
                "must be ambient, chilled or frozen".into(),
            ));
        }
        if !DATE_KINDS.contains(&self.date_kind.as_str()) {
            errors.push(("date_kind".into(), "must be best_before or use_by".into()));
        }
        if !(1..=3650).contains(&self.shelf_life_days) {
            errors.push((
                "shelf_life_days".into(),
                "must be between 1 and 3650 days".into(),
            ));
        }
        if let Some(bad) = self.allergens.iter().find(|a| !is_allergen(a)) {
            errors.push(("allergens".into(), format!("unknown allergen {bad}")));
        }
        self.allergens.sort();
        self.allergens.dedup();
        if !QUARANTINE_CLASSES.contains(&self.quarantine_class.as_str()) {
            errors.push((
                "quarantine_class".into(),
                format!("must be one of {}", QUARANTINE_CLASSES.join(", ")),
            ));
        }
        if let Some(hs) = &self.hs_code {
            let digits: String = hs.chars().filter(|c| *c != '.').collect();
            if !(6..=10).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                errors.push(("hs_code".into(), "must be 6 to 10 digits".into()));
            } else {
                self.hs_code = Some(digits);
            }
        }
        if self.origin_municipality_code.is_some() && !origin_known {
            errors.push((
                "origin_municipality_code".into(),
                "pick a municipality from the list".into(),
            ));
        }
        if self.tags.len() > 10
            || self
                .tags
                .iter()
                .any(|t| t.trim().is_empty() || t.chars().count() > 40)
        {
            errors.push(("tags".into(), "at most 10 tags of 1-40 characters".into()));
        }
        let n = &self.nutrition;
        if [
            n.energy_kcal,
            n.protein_g,
            n.fat_g,
            n.carbohydrate_g,
            n.salt_g,
        ]
        .iter()
        .flatten()
        .any(|v| !v.is_finite() || *v < 0.0 || *v > 100_000.0)
        {
            errors.push((
                "nutrition".into(),
                "values must be between 0 and 100000".into(),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(errors))
        }
    }
}

/// One changed field between the live content and a revision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(value_type = Object)]
    pub from: serde_json::Value,
    #[schema(value_type = Object)]
    pub to: serde_json::Value,
}

/// The tax rate a category suggests, with the reason in ja and en.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaxSuggestion {
    pub rate: i16,
    pub reason_ja: String,
    pub reason_en: String,
}

/// The rate a product of `code` gets when none is given: the category's suggestion, 10 % for
/// an unknown category (its check then names the category).
pub fn default_tax_rate(categories: &[category::Model], code: &str) -> i16 {
    categories
        .iter()
        .find(|c| c.code == code)
        .map_or(10, |c| tax_suggestion(c).rate)
}

/// The suggestion for a category.
pub fn tax_suggestion(cat: &category::Model) -> TaxSuggestion {
    let (rate, ja, en) = suggested_tax(cat.food, cat.alcohol);
    TaxSuggestion {
        rate,
        reason_ja: ja.into(),
        reason_en: en.into(),
    }
}
