//! JSON shapes of the shop and order API.
use super::{
    catalogue::ShopProduct, checkout::FinalConfirmation, pricing::Quote, settings::ShopSettings,
};
use crate::orders::dto::TotalsView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Filters, sort and page of the shop listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShopQuery {
    /// Substring of the title or description (Japanese as written; English case-insensitive).
    pub q: Option<String>,
    /// Island code (see `GET /api/v1/islands`).
    pub island: Option<String>,
    /// JIS X 0402 municipality code of the producer.
    pub municipality: Option<String>,
    /// Category code (a parent includes its children).
    pub category: Option<String>,
    /// Brand or collection tag.
    pub tag: Option<String>,
    /// ambient, chilled or frozen.
    pub temperature: Option<String>,
    pub producer_id: Option<Uuid>,
    /// Tax-included yen: at least one SKU priced within the range.
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    /// true: only products that can be bought now.
    pub in_stock: Option<bool>,
    /// new (default), price_asc or price_desc.
    pub sort: Option<String>,
    /// 1–100 (default 20).
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// A SKU in the shop.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopSkuView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// Tax-included yen.
    pub price: i64,
    pub jan: Option<String>,
    pub available: i64,
    pub sold_out: bool,
}

/// The producer as the shop presents it (no contact or bank data).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopProducerView {
    pub id: Uuid,
    pub name: String,
    pub municipality_code: String,
    pub island_code: Option<String>,
}

/// A product card of the listing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopProductSummary {
    pub id: Uuid,
    pub title: String,
    pub title_en: Option<String>,
    pub category_code: String,
    pub temperature_class: String,
    pub tax_rate: i16,
    /// Lowest tax-included price.
    pub price_from: i64,
    pub in_stock: bool,
    pub producer: ShopProducerView,
    pub image_url: Option<String>,
}

impl From<&ShopProduct> for ShopProductSummary {
    fn from(p: &ShopProduct) -> Self {
        Self {
            id: p.product.id,
            title: p.product.title_ja.clone(),
            title_en: p.product.title_en.clone(),
            category_code: p.product.category_code.clone(),
            temperature_class: p.product.temperature_class.clone(),
            tax_rate: p.product.tax_rate,
            price_from: p.price_from(),
            in_stock: p.in_stock(),
            producer: producer_view(p),
            image_url: p
                .image_ids
                .first()
                .map(|i| format!("/api/v1/product-images/{i}")),
        }
    }
}

fn producer_view(p: &ShopProduct) -> ShopProducerView {
    ShopProducerView {
        id: p.producer.id,
        name: p.producer.legal_name.clone(),
        municipality_code: p.producer.municipality_code.clone(),
        island_code: p.producer.island_code.clone(),
    }
}

/// One page of the listing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopProductList {
    pub items: Vec<ShopProductSummary>,
    pub next_cursor: Option<String>,
}

/// A product page: story, photos, full food label, allergens, tax-included prices.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopProductView {
    pub id: Uuid,
    pub title: String,
    pub title_en: Option<String>,
    /// The producer's story and the product description.
    pub description: String,
    pub description_en: Option<String>,
    pub category_code: String,
    pub category_name: Option<String>,
    pub tags: Vec<String>,
    pub temperature_class: String,
    /// best_before (賞味期限) or use_by (消費期限).
    pub date_kind: String,
    pub shelf_life_days: i32,
    pub allergens: Vec<String>,
    pub ingredients: String,
    pub additives: String,
    pub net_content: String,
    pub storage: String,
    pub origin_municipality_code: Option<String>,
    pub nutrition: serde_json::Value,
    /// 8 (reduced, food) or 10.
    pub tax_rate: i16,
    pub alcohol: bool,
    pub in_stock: bool,
    pub producer: ShopProducerView,
    pub image_urls: Vec<String>,
    pub skus: Vec<ShopSkuView>,
}

impl From<&ShopProduct> for ShopProductView {
    fn from(p: &ShopProduct) -> Self {
        let m = &p.product;
        Self {
            id: m.id,
            title: m.title_ja.clone(),
            title_en: m.title_en.clone(),
            description: m.description_ja.clone(),
            description_en: m.description_en.clone(),
            category_code: m.category_code.clone(),
            category_name: p.category.as_ref().map(|c| c.name_ja.clone()),
            tags: serde_json::from_str(&m.tags).unwrap_or_default(),
            temperature_class: m.temperature_class.clone(),
            date_kind: m.date_kind.clone(),
            shelf_life_days: m.shelf_life_days,
            allergens: serde_json::from_str(&m.allergens).unwrap_or_default(),
            ingredients: m.ingredients.clone(),
            additives: m.additives.clone(),
            net_content: m.net_content.clone(),
            storage: m.storage.clone(),
            origin_municipality_code: m.origin_municipality_code.clone(),
            nutrition: serde_json::from_str(&m.nutrition).unwrap_or(serde_json::Value::Null),
            tax_rate: m.tax_rate,
            alcohol: m.alcohol || p.category.as_ref().is_some_and(|c| c.alcohol),
            in_stock: p.in_stock(),
            producer: producer_view(p),
            image_urls: p
                .image_ids
                .iter()
                .map(|i| format!("/api/v1/product-images/{i}"))
                .collect(),
            skus: p
                .skus
                .iter()
                .map(|s| ShopSkuView {
                    id: s.sku.id,
                    code: s.sku.code.clone(),
                    name: s.sku.name.clone(),
                    price: s.sku.price_yen,
                    jan: s.sku.jan.clone().filter(|_| !s.sku.jan_local_only),
                    available: s.available,
                    sold_out: s.available <= 0,
                })
                .collect(),
        }
    }
}

/// The 特定商取引法 disclosure.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LegalDisclosure {
    pub seller_name: String,
    pub responsible_person: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub invoice_number: Option<String>,
    pub prices: String,
    pub shipping_fees: Vec<super::settings::ShippingFee>,
    pub cool_fees: super::settings::CoolFees,
    pub remote_surcharges: Vec<super::settings::Surcharge>,
    pub other_fees: String,
    pub payment_methods: Vec<String>,
    pub payment_timing: String,
    pub delivery: String,
    pub cancellation: String,
    pub returns: String,
    /// False until the seller's name, responsible person, address and phone are set.
    pub complete: bool,
}

impl From<&ShopSettings> for LegalDisclosure {
    fn from(s: &ShopSettings) -> Self {
        let mut timing = Vec::new();
        for m in &s.payment_methods {
            timing.push(match m.as_str() {
                "bank_transfer" => format!(
                    "銀行振込: 前払い（ご注文から{}日以内）",
                    s.bank_transfer_days
                ),
                "cash_on_delivery" => {
                    format!(
                        "代金引換: 商品お届け時（手数料 {}）",
                        s.cash_on_delivery.tiers_text()
                    )
                }
                _ => "クレジットカード: ご注文時".to_string(),
            });
        }
        Self {
            seller_name: s.seller.name.clone(),
            responsible_person: s.seller.responsible_person.clone(),
            postal_code: s.seller.postal_code.clone(),
            address: s.seller.address.clone(),
            phone: s.seller.phone.clone(),
            email: s.seller.email.clone(),
            invoice_number: s.invoice_number.clone(),
            prices: "表示価格はすべて消費税込みです（軽減税率8%の対象商品を含みます）。".into(),
            shipping_fees: s.shipping_fees.clone(),
            cool_fees: s.cool_fees.clone(),
            remote_surcharges: s.remote_surcharges.clone(),
            other_fees: s.other_fees_text.clone(),
            payment_methods: s.payment_methods.clone(),
            payment_timing: timing.join(" / "),
            delivery: s.delivery_text.clone(),
            cancellation: s.cancellation_text.clone(),
            returns: s.returns_text.clone(),
            complete: s.missing_disclosure().is_empty(),
        }
    }
}

/// A priced line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuoteLineView {
    pub sku_id: Uuid,
    pub sku_code: String,
    pub title: String,
    pub qty: i64,
    pub unit_price: i64,
    pub tax_rate: i16,
    pub line_total: i64,
    pub temperature_class: String,
    /// The parcel it travels in.
    pub parcel: i32,
}

/// A parcel of the preview or order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ParcelQuoteView {
    pub seq: i32,
    pub temperature_class: String,
    pub goods: i64,
    pub shipping_fee: i64,
    pub cool_fee: i64,
    pub surcharge: i64,
    /// The fee of this parcel's cash-on-delivery slip (0 when it does not collect).
    pub cod_fee: i64,
    /// What this parcel's cash-on-delivery slip collects, tax included (0: prepaid).
    pub cod_amount: i64,
    /// The consumption tax in `cod_amount` (the order's tax apportioned).
    pub cod_tax: i64,
}

/// The checkout preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    pub lines: Vec<QuoteLineView>,
    pub parcels: Vec<ParcelQuoteView>,
    pub totals: TotalsView,
    pub payment_method: String,
    pub pay_by: Option<DateTime<Utc>>,
    /// The six items of the final confirmation screen (特商法 12条の6).
    pub final_confirmation: FinalConfirmation,
}

impl PreviewView {
    /// From a quote.
    pub fn new(
        q: &Quote,
        method: &str,
        pay_by: Option<DateTime<Utc>>,
        fc: FinalConfirmation,
    ) -> Self {
        let mut parcel_of = vec![0; q.lines.len()];
        for p in &q.parcels {
            for i in &p.lines {
                parcel_of[*i] = p.seq;
            }
        }
        Self {
            lines: q
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| QuoteLineView {
                    sku_id: l.sku_id,
                    sku_code: l.sku_code.clone(),
                    title: l.title.clone(),
                    qty: l.qty,
                    unit_price: l.unit_price,
                    tax_rate: l.tax_rate,
                    line_total: l.total(),
                    temperature_class: l.temperature_class.clone(),
                    parcel: parcel_of[i],
                })
                .collect(),
            parcels: q
                .parcels
                .iter()
                .map(|p| ParcelQuoteView {
                    seq: p.seq,
                    temperature_class: p.temperature_class.clone(),
                    goods: p.goods,
                    shipping_fee: p.shipping_fee,
                    cool_fee: p.cool_fee,
                    surcharge: p.surcharge,
                    cod_fee: p.cod_fee,
                    cod_amount: p.cod_amount,
                    cod_tax: p.cod_tax,
                })
                .collect(),
            totals: TotalsView {
                goods_total: q.goods_total,
                shipping_total: q.shipping_total,
                cool_total: q.cool_total,
                surcharge_total: q.surcharge_total,
                cod_fee: q.cod_fee,
                total8: q.total8,
                tax8: q.tax8,
                total10: q.total10,
                tax10: q.tax10,
                grand_total: q.grand_total,
                currency: "JPY".into(),
            },
            payment_method: method.into(),
            pay_by,
            final_confirmation: fc,
        }
    }
}

/// A plant-quarantine certificate for a product (empty or absent removes it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateBody {
    pub certificate: Option<String>,
}
