//! A product: the live (approved) content; pending edits of listed products are revisions.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub producer_id: Uuid,
    pub status: String,
    pub title_ja: String,
    pub title_en: Option<String>,
    pub description_ja: String,
    pub description_en: Option<String>,
    pub category_code: String,
    /// JSON array of brand / collection tags.
    pub tags: String,
    pub temperature_class: String,
    pub date_kind: String,
    pub shelf_life_days: i32,
    /// JSON array of allergen codes.
    pub allergens: String,
    pub ingredients: String,
    pub additives: String,
    pub net_content: String,
    pub storage: String,
    pub origin_municipality_code: Option<String>,
    /// JSON object of nutrition facts per declared basis.
    pub nutrition: String,
    pub tax_rate: i16,
    pub alcohol: bool,
    pub quarantine_class: String,
    pub hs_code: Option<String>,
    /// Plant-quarantine treatment or inspection certificate number (lets a restricted product
    /// leave Okinawa), recorded by operators.
    pub quarantine_certificate: Option<String>,
    /// JSON object: field → operator comment (set when rejected).
    pub review_comments: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    pub listed_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
