//! Request and response types of the catalogue API.
use super::{
    content::{FieldChange, Nutrition, ProductContent, TaxSuggestion, tax_suggestion},
    service::ProductDetail,
};
use chrono::{DateTime, Utc};
use entity::{category, sku};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A category.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    pub code: String,
    pub parent_code: Option<String>,
    pub name_ja: String,
    pub name_en: String,
    pub food: bool,
    pub alcohol: bool,
    pub tax: TaxSuggestion,
}

impl From<category::Model> for CategoryView {
    fn from(c: category::Model) -> Self {
        Self {
            tax: tax_suggestion(&c),
            code: c.code,
            parent_code: c.parent_code,
            name_ja: c.name_ja,
            name_en: c.name_en,
            food: c.food,
            alcohol: c.alcohol,
        }
    }
}

/// Categories.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryView>,
}

/// A new product (a draft). `tax_rate` defaults to the category's suggestion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    /// Staff only: whose product it is.
    pub producer_id: Option<Uuid>,
    #[schema(example = "紅いもタルト 6個入")]
    pub title_ja: String,
    pub title_en: Option<String>,
    pub description_ja: String,
    pub description_en: Option<String>,
    #[schema(example = "sweets")]
    pub category_code: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// ambient, chilled or frozen.
    pub temperature_class: String,
    /// best_before (default) or use_by.
    #[serde(default = "best_before")]
    pub date_kind: String,
    pub shelf_life_days: i32,
    #[serde(default)]
    pub allergens: Vec<String>,
    #[serde(default)]
    pub ingredients: String,
    #[serde(default)]
    pub additives: String,
    #[serde(default)]
    pub net_content: String,
    #[serde(default)]
    pub storage: String,
    pub origin_municipality_code: Option<String>,
    #[serde(default)]
    pub nutrition: Nutrition,
    pub tax_rate: Option<i16>,
    #[serde(default)]
    pub alcohol: bool,
    /// none (default), raw_sweet_potato, restricted_raw_plant, citrus_plant.
    #[serde(default = "none")]
    pub quarantine_class: String,
    pub hs_code: Option<String>,
}

fn best_before() -> String {
    "best_before".into()
}

fn none() -> String {
    "none".into()
}

impl CreateProductRequest {
    /// Into content, with the tax rate defaulting to `suggested`.
    pub fn into_content(self, suggested: i16) -> (Option<Uuid>, ProductContent) {
        (
            self.producer_id,
            ProductContent {
                title_ja: self.title_ja,
                title_en: self.title_en,
                description_ja: self.description_ja,
                description_en: self.description_en,
                category_code: self.category_code,
                tags: self.tags,
                temperature_class: self.temperature_class,
                date_kind: self.date_kind,
                shelf_life_days: self.shelf_life_days,
                allergens: self.allergens,
                ingredients: self.ingredients,
                additives: self.additives,
                net_content: self.net_content,
                storage: self.storage,
                origin_municipality_code: self.origin_municipality_code,
                nutrition: self.nutrition,
                tax_rate: self.tax_rate.unwrap_or(suggested),
                alcohol: self.alcohol,
                quarantine_class: self.quarantine_class,
                hs_code: self.hs_code,
            },
        )
    }
}

/// Changes to a product's content (any subset). Status, producer and tenant cannot be set.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatchRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_ja: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_ja: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shelf_life_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allergens: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingredients: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additives: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_municipality_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nutrition: Option<Nutrition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alcohol: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hs_code: Option<String>,
}

/// A SKU.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SkuView {
    pub id: Uuid,
    pub product_id: Uuid,
    pub code: String,
    pub name: String,
    pub jan: Option<String>,
    /// In-store code (02/20–29): never sent to marketplaces as a GTIN.
    pub jan_local_only: bool,
    /// Tax-included price in yen.
    pub price_yen: i64,
    pub weight_g: i32,
    pub low_stock_threshold: i32,
    pub active: bool,
}

impl From<sku::Model> for SkuView {
    fn from(s: sku::Model) -> Self {
        Self {
            id: s.id,
            product_id: s.product_id,
            code: s.code,
            name: s.name,
            jan: s.jan,
            jan_local_only: s.jan_local_only,
            price_yen: s.price_yen,
            weight_g: s.weight_g,
            low_stock_threshold: s.low_stock_threshold,
            active: s.active,
        }
    }
}

/// A product photo.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImageView {
    pub id: Uuid,
    /// Where the application serves it.
    pub url: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
}

impl From<entity::product_image::Model> for ImageView {
    fn from(i: entity::product_image::Model) -> Self {
        Self {
            url: format!("/api/v1/product-images/{}", i.id),
            id: i.id,
            content_type: i.content_type,
            width: i.width,
            height: i.height,
        }
    }
}

/// A pending edit of a listed product.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevisionView {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub proposed: ProductContent,
    /// What differs from the live version.
    pub changes: Vec<FieldChange>,
}

/// A product.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductView {
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub producer_id: Uuid,
    /// draft, submitted, listed, rejected, paused, retired
    pub status: String,
    /// The live content.
    pub content: ProductContent,
    /// Per-field reviewer comments from the last rejection.
    pub review_comments: BTreeMap<String, String>,
    pub tax_suggestion: Option<TaxSuggestion>,
    pub category_name_ja: Option<String>,
    pub category_name_en: Option<String>,
    /// Listed, producer approved and not closed (stock is checked from the inventory issue on).
    pub sellable: bool,
    /// The producer (or its island) is closed today.
    pub producer_closed: bool,
    pub skus: Vec<SkuView>,
    pub images: Vec<ImageView>,
    pub pending_revision: Option<RevisionView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub listed_at: Option<DateTime<Utc>>,
}

impl From<ProductDetail> for ProductView {
    fn from(d: ProductDetail) -> Self {
        let p = d.product;
        Self {
            content: ProductContent::from_model(&p),
            review_comments: serde_json::from_str(&p.review_comments).unwrap_or_default(),
            tax_suggestion: d.category.as_ref().map(tax_suggestion),
            category_name_ja: d.category.as_ref().map(|c| c.name_ja.clone()),
            category_name_en: d.category.as_ref().map(|c| c.name_en.clone()),
            sellable: d.sellable,
            producer_closed: d.producer_closed,
            skus: d.skus.into_iter().map(SkuView::from).collect(),
            images: d.images.into_iter().map(ImageView::from).collect(),
            pending_revision: d
                .pending_revision
                .map(|(r, proposed, changes)| RevisionView {
                    id: r.id,
                    created_at: r.created_at,
                    proposed,
                    changes,
                }),
            id: p.id,
            aggregator_id: p.aggregator_id,
            producer_id: p.producer_id,
            status: p.status,
            created_at: p.created_at,
            updated_at: p.updated_at,
            submitted_at: p.submitted_at,
            listed_at: p.listed_at,
        }
    }
}

/// A product in lists.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductSummary {
    pub id: Uuid,
    pub producer_id: Uuid,
    pub status: String,
    pub title_ja: String,
    pub title_en: Option<String>,
    pub category_code: String,
    pub temperature_class: String,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::product::Model> for ProductSummary {
    fn from(p: entity::product::Model) -> Self {
        Self {
            id: p.id,
            producer_id: p.producer_id,
            status: p.status,
            title_ja: p.title_ja,
            title_en: p.title_en,
            category_code: p.category_code,
            temperature_class: p.temperature_class,
            updated_at: p.updated_at,
        }
    }
}

/// A page of products.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    pub next_cursor: Option<String>,
}

/// Filters of the product list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductQuery {
    pub status: Option<String>,
    pub producer_id: Option<Uuid>,
    /// A parent category includes its children.
    pub category_code: Option<String>,
    pub island_code: Option<String>,
    /// Brand / collection tag.
    pub tag: Option<String>,
    /// Search text: substring of the titles or the Japanese description.
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Reviewer comments per field (required to reject).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    #[serde(default)]
    pub comments: BTreeMap<String, String>,
}

/// A pending revision in the review queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevisionSummary {
    pub id: Uuid,
    pub product_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// The revision review queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevisionList {
    pub items: Vec<RevisionSummary>,
}

/// A new SKU.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSkuRequest {
    #[schema(example = "BENIIMO-TART-6")]
    pub code: String,
    /// Defaults to the product title.
    pub name: Option<String>,
    /// GTIN-13 or GTIN-8 (check digit verified).
    pub jan: Option<String>,
    /// Tax-included price in yen.
    pub price_yen: i64,
    pub weight_g: i32,
    pub low_stock_threshold: Option<i32>,
}

/// Changes to a SKU.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSkuRequest {
    pub code: Option<String>,
    pub name: Option<String>,
    /// Empty string removes it.
    pub jan: Option<String>,
    pub price_yen: Option<i64>,
    pub weight_g: Option<i32>,
    pub low_stock_threshold: Option<i32>,
    pub active: Option<bool>,
}
