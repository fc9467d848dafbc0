//! Per-aggregator shop settings: the shipping fee table (temperature class × destination
//! prefecture), remote-island surcharges, cool and cash-on-delivery fees, payment methods,
//! the liquor licence flag, per-order limits and the 特定商取引法 disclosure texts.
//! Stored as one validated JSON document per aggregator; the compiled defaults apply until an
//! operator saves them.
use crate::{
    audit::{self, AuditRecord},
    catalog::domain::TEMPERATURE_CLASSES,
    core,
    core::jp::{InvoiceRegistrationNumber, PostalCode},
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::shop_settings;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Payment methods a shop may offer.
pub const PAYMENT_METHODS: [&str; 3] = ["bank_transfer", "cash_on_delivery", "card"];
/// How consumption tax is rounded, once per rate per order (DESIGN.md §5).
pub const ROUNDING: [&str; 3] = ["floor", "ceil", "half_up"];

/// The seller named in the 特商法 disclosure (the aggregator).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Seller {
    pub name: String,
    pub responsible_person: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
}

/// One row of the shipping fee table: a temperature class to a prefecture (or to any
/// prefecture without a row of its own when `prefecture` is absent).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ShippingFee {
    pub temperature_class: String,
    /// JIS X 0401 code `01`–`47`; absent = every other prefecture.
    #[serde(default)]
    pub prefecture: Option<String>,
    pub fee_yen: i64,
}

/// A surcharge for destinations whose postal code starts with `postal_prefix` (e.g. remote
/// islands), added per parcel.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Surcharge {
    pub postal_prefix: String,
    pub fee_yen: i64,
    #[serde(default)]
    pub label: String,
}

/// Cool-service fees per parcel.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CoolFees {
    pub chilled: i64,
    pub frozen: i64,
}

impl Default for CoolFees {
    fn default() -> Self {
        Self {
            chilled: 330,
            frozen: 330,
        }
    }
}

/// An aggregator's shop settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ShopSettings {
    pub seller: Seller,
    /// The aggregator's qualified-invoice registration number (`T` + 13 digits).
    pub invoice_number: Option<String>,
    /// The aggregator holds a mail-order liquor licence (通信販売酒類小売業免許).
    pub liquor_licence: bool,
    pub payment_methods: Vec<String>,
    /// Days a bank-transfer order waits for payment before it is cancelled and stock released.
    pub bank_transfer_days: i64,
    /// Where to transfer (bank, branch, account), shown in the confirmation email.
    pub bank_transfer_instructions: String,
    /// Cash on delivery: which parcels collect and the fee tiers (DOMAIN-JP.md §4).
    pub cash_on_delivery: super::cod::CashOnDelivery,
    pub shipping_fees: Vec<ShippingFee>,
    pub cool_fees: CoolFees,
    pub remote_surcharges: Vec<Surcharge>,
    pub max_qty_per_line: i64,
    pub max_units_per_order: i64,
    pub max_order_yen: i64,
    pub tax_rounding: String,
    /// Business days from payment (or order, for cash on delivery) to dispatch.
    pub ships_within_days: i64,
    /// 特商法 texts.
    pub delivery_text: String,
    pub returns_text: String,
    pub cancellation_text: String,
    pub other_fees_text: String,
    /// Yamato B2 Cloud 請求先顧客コード (12 digits: customer code and 2-digit 枝番) printed on
    /// every label; the carrier export refuses without it.
    pub yamato_customer_code: String,
}

impl Default for ShopSettings {
    fn default() -> Self {
        let mut fees = Vec::new();
        for t in TEMPERATURE_CLASSES {
            fees.push(ShippingFee {
                temperature_class: t.into(),
                prefecture: None,
                fee_yen: 1_200,
            });
            fees.push(ShippingFee {
                temperature_class: t.into(),
                prefecture: Some("47".into()),
                fee_yen: 800,
            });
        }
        Self {
            seller: Seller::default(),
            invoice_number: None,
            liquor_licence: false,
            payment_methods: PAYMENT_METHODS.iter().map(|s| (*s).to_string()).collect(),
            bank_transfer_days: 7,
            bank_transfer_instructions: String::new(),
            cash_on_delivery: super::cod::CashOnDelivery::default(),
            shipping_fees: fees,
            cool_fees: CoolFees::default(),
            remote_surcharges: Vec::new(),
            max_qty_per_line: 20,
            max_units_per_order: 100,
            max_order_yen: 500_000,
            tax_rounding: "floor".into(),
            ships_within_days: 3,
            delivery_text: "ご入金確認後（代金引換はご注文後）3営業日以内に発送します。離島・天候（台風・欠航）により遅れる場合があります。".into(),
            returns_text: "食品のため、お客様都合の返品はお受けできません。商品の破損・誤配送の場合は到着後7日以内にご連絡ください。送料当店負担で返金または交換します。".into(),
            cancellation_text: "発送前であれば、ご注文確認メールのリンクからキャンセルできます。発送後のキャンセルはできません。".into(),
            other_fees_text: "銀行振込の振込手数料はお客様のご負担です。".into(),
            yamato_customer_code: String::new(),
        }
    }
}

impl ShopSettings {
    /// Checks every field; errors name the field (`shipping_fees[2].prefecture`).
    ///
    /// # Errors
    /// 422 with every invalid field.
    pub fn validate(&mut self) -> ApiResult<()> {
        let mut errors: Vec<(String, String)> = Vec::new();
        self.check_texts(&mut errors);
        self.check_codes(&mut errors);
        self.check_payment_methods(&mut errors);
        self.check_limits(&mut errors);
        self.check_shipping_fees(&mut errors);
        self.check_surcharges(&mut errors);
        self.cash_on_delivery.check(&mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(errors))
        }
    }

    /// Trims the seller and 特商法 texts and checks they are present and not too long.
    fn check_texts(&mut self, errors: &mut Vec<(String, String)>) {
        let mut text =
            |name: &str, value: &mut String, max: usize| match crate::core::validate::text(
                value, max,
            ) {
                Ok(v) => *value = v,
                Err(m) => errors.push((name.into(), m)),
            };
        text("seller.name", &mut self.seller.name, 200);
        text(
            "seller.responsible_person",
            &mut self.seller.responsible_person,
            100,
        );
        text("seller.address", &mut self.seller.address, 300);
        text("seller.phone", &mut self.seller.phone, 20);
        text("seller.email", &mut self.seller.email, 254);
        text(
            "bank_transfer_instructions",
            &mut self.bank_transfer_instructions,
            1000,
        );
        text("delivery_text", &mut self.delivery_text, 2000);
        text("returns_text", &mut self.returns_text, 2000);
        text("cancellation_text", &mut self.cancellation_text, 2000);
        text("other_fees_text", &mut self.other_fees_text, 2000);
    }

    /// Checks and normalises the coded values: the seller's postal code, the Yamato customer
    /// code, the seller's email and phone, and the invoice registration number.
    fn check_codes(&mut self, errors: &mut Vec<(String, String)>) {
        if !self.seller.postal_code.is_empty() {
            match PostalCode::parse(&self.seller.postal_code) {
                Ok(p) => self.seller.postal_code = p.as_str().into(),
                Err(m) => errors.push(("seller.postal_code".into(), m.into())),
            }
        }
        let code = &self.yamato_customer_code;
        if !code.is_empty() && (code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit())) {
            errors.push((
                "yamato_customer_code".into(),
                "12 digits: the customer code and its 2-digit branch".into(),
            ));
        }
        if !self.seller.email.is_empty()
            && let Err(m) = crate::core::validate::email(&self.seller.email)
        {
            errors.push(("seller.email".into(), m.into()));
        }
        if !self.seller.phone.is_empty() {
            match crate::core::jp::Phone::parse(&self.seller.phone) {
                Ok(p) => self.seller.phone = p.as_str().into(),
                Err(m) => errors.push(("seller.phone".into(), m.into())),
            }
        }
        if let Some(n) = self.invoice_number.as_deref().filter(|n| !n.is_empty()) {
            match InvoiceRegistrationNumber::parse(n) {
                Ok(n) => self.invoice_number = Some(n.as_str().into()),
                Err(m) => errors.push(("invoice_number".into(), m.into())),
            }
        } else {
            self.invoice_number = None;
        }
    }

    /// Checks the payment methods are known and at least one, then sorts and dedupes them.
    fn check_payment_methods(&mut self, errors: &mut Vec<(String, String)>) {
        if self.payment_methods.is_empty()
            || self
                .payment_methods
                .iter()
                .any(|m| !PAYMENT_METHODS.contains(&m.as_str()))
        {
            errors.push((
                "payment_methods".into(),
                format!("one or more of {}", PAYMENT_METHODS.join(", ")),
            ));
        }
        self.payment_methods.sort();
        self.payment_methods.dedup();
    }

    /// Checks the ranges of the day counts, the fees, the per-order limits and tax rounding.
    fn check_limits(&self, errors: &mut Vec<(String, String)>) {
        let mut check = |name: &str, ok: bool, msg: &str| {
            if !ok {
                errors.push((name.into(), msg.into()));
            }
        };
        check(
            "bank_transfer_days",
            (1..=30).contains(&self.bank_transfer_days),
            "must be 1 to 30 days",
        );
        check(
            "ships_within_days",
            (0..=30).contains(&self.ships_within_days),
            "must be 0 to 30 days",
        );
        check(
            "cool_fees.chilled",
            is_fee_yen(self.cool_fees.chilled),
            "must be 0 to 1,000,000 yen",
        );
        check(
            "cool_fees.frozen",
            is_fee_yen(self.cool_fees.frozen),
            "must be 0 to 1,000,000 yen",
        );
        check(
            "max_qty_per_line",
            (1..=10_000).contains(&self.max_qty_per_line),
            "must be 1 to 10,000",
        );
        check(
            "max_units_per_order",
            (1..=100_000).contains(&self.max_units_per_order),
            "must be 1 to 100,000",
        );
        check(
            "max_order_yen",
            (1..=100_000_000).contains(&self.max_order_yen),
            "must be 1 to 100,000,000 yen",
        );
        check(
            "tax_rounding",
            ROUNDING.contains(&self.tax_rounding.as_str()),
            "must be floor, ceil or half_up",
        );
    }

    /// Checks every row of the shipping fee table, that no row repeats an earlier one, and that
    /// each temperature class has a default row (without a prefecture).
    fn check_shipping_fees(&self, errors: &mut Vec<(String, String)>) {
        if self.shipping_fees.len() > 500 {
            errors.push(("shipping_fees".into(), "at most 500 rows".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, f) in self.shipping_fees.iter().enumerate() {
            if !TEMPERATURE_CLASSES.contains(&f.temperature_class.as_str()) {
                errors.push((
                    format!("shipping_fees[{i}].temperature_class"),
                    "must be ambient, chilled or frozen".into(),
                ));
            }
            if let Some(p) = &f.prefecture
                && !is_prefecture(p)
            {
                errors.push((
                    format!("shipping_fees[{i}].prefecture"),
                    "must be a JIS X 0401 code 01-47".into(),
                ));
            }
            if !is_fee_yen(f.fee_yen) {
                errors.push((
                    format!("shipping_fees[{i}].fee_yen"),
                    "must be 0 to 1,000,000 yen".into(),
                ));
            }
            if !seen.insert((f.temperature_class.clone(), f.prefecture.clone())) {
                errors.push((
                    format!("shipping_fees[{i}]"),
                    "duplicates an earlier row".into(),
                ));
            }
        }
        for t in TEMPERATURE_CLASSES {
            if !seen.contains(&(t.to_string(), None)) {
                errors.push((
                    "shipping_fees".into(),
                    format!("needs a row for {t} without a prefecture (the default fee)"),
                ));
            }
        }
    }

    /// Checks the remote-island surcharges and normalises their postal prefixes (half-width
    /// digits, no hyphen).
    fn check_surcharges(&mut self, errors: &mut Vec<(String, String)>) {
        if self.remote_surcharges.len() > 200 {
            errors.push(("remote_surcharges".into(), "at most 200 rows".into()));
        }
        for (i, s) in self.remote_surcharges.iter_mut().enumerate() {
            let p = crate::core::jp::to_half_width_ascii(&s.postal_prefix);
            if p.is_empty() || p.len() > 8 || !p.chars().all(|c| c.is_ascii_digit() || c == '-') {
                errors.push((
                    format!("remote_surcharges[{i}].postal_prefix"),
                    "the start of a postal code, e.g. 907- or 9013".into(),
                ));
            }
            s.postal_prefix = p.replace('-', "");
            if !is_fee_yen(s.fee_yen) {
                errors.push((
                    format!("remote_surcharges[{i}].fee_yen"),
                    "must be 0 to 1,000,000 yen".into(),
                ));
            }
            if s.label.chars().count() > 100 {
                errors.push((
                    format!("remote_surcharges[{i}].label"),
                    "at most 100 characters".into(),
                ));
            }
        }
    }

    /// Seller fields the 特商法 disclosure still lacks (checkout refuses until they are set).
    pub fn missing_disclosure(&self) -> Vec<&'static str> {
        let s = &self.seller;
        [
            ("seller.name", &s.name),
            ("seller.responsible_person", &s.responsible_person),
            ("seller.address", &s.address),
            ("seller.phone", &s.phone),
        ]
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(k, _)| k)
        .collect()
    }

    /// The shipping fee of one parcel of `class` to `prefecture`.
    pub fn shipping_fee(&self, class: &str, prefecture: &str) -> i64 {
        let by_pref = self
            .shipping_fees
            .iter()
            .find(|f| f.temperature_class == class && f.prefecture.as_deref() == Some(prefecture));
        let default = self
            .shipping_fees
            .iter()
            .find(|f| f.temperature_class == class && f.prefecture.is_none());
        by_pref.or(default).map_or(0, |f| f.fee_yen)
    }

    /// The cool fee of one parcel of `class`.
    pub fn cool_fee(&self, class: &str) -> i64 {
        match class {
            "chilled" => self.cool_fees.chilled,
            "frozen" => self.cool_fees.frozen,
            _ => 0,
        }
    }

    /// The remote-island surcharge for a postal code (the longest matching prefix).
    pub fn surcharge(&self, postal_code: &str) -> Option<&Surcharge> {
        let digits: String = postal_code.chars().filter(char::is_ascii_digit).collect();
        self.remote_surcharges
            .iter()
            .filter(|s| digits.starts_with(&s.postal_prefix))
            .max_by_key(|s| s.postal_prefix.len())
    }
}

/// Whether `v` is an allowed fee: 0 to 1,000,000 yen.
fn is_fee_yen(v: i64) -> bool {
    (0..=1_000_000).contains(&v)
}

/// Whether `p` is a JIS X 0401 prefecture code.
pub fn is_prefecture(p: &str) -> bool {
    p.len() == 2 && p.parse::<u8>().is_ok_and(|n| (1..=47).contains(&n))
}

/// The settings of aggregator `agg` (the defaults when none were saved).
///
/// # Errors
/// Database failures, or a stored document that no longer reads.
#[tracing::instrument(skip_all)]
pub async fn load(db: &impl ConnectionTrait, agg: Uuid) -> ApiResult<ShopSettings> {
    match super::repo::settings(db, agg).await? {
        Some(row) => serde_json::from_str(&row.body)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored shop settings: {e}"))),
        None => Ok(ShopSettings::default()),
    }
}

/// The settings of aggregator `agg` through the shop cache (what checkout and the public
/// pages read; a save through this instance replaces the cached copy).
///
/// # Errors
/// As [`load`].
#[tracing::instrument(skip_all)]
pub async fn cached(app: &AppState, agg: Uuid) -> ApiResult<std::sync::Arc<ShopSettings>> {
    app.part::<super::cache::ShopCache>()?
        .settings
        .get_or_load(agg, || load(&app.db, agg))
        .await
}

fn tenant(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::Operator, Role::Admin])?;
    actor.aggregator_id.ok_or_else(ApiError::forbidden)
}

/// The caller's aggregator's settings (operators and admins).
///
/// # Errors
/// 403.
#[tracing::instrument(skip_all)]
pub async fn get(app: &AppState, actor: &Actor) -> ApiResult<ShopSettings> {
    load(&app.db, tenant(actor)?).await
}

/// Replaces the caller's aggregator's settings (operators and admins), audit-logged.
///
/// # Errors
/// 403; 422 naming each invalid field (nothing is saved then).
#[tracing::instrument(skip_all)]
pub async fn put(app: &AppState, actor: &Actor, mut s: ShopSettings) -> ApiResult<ShopSettings> {
    let agg = tenant(actor)?;
    s.validate()?;
    let body = serde_json::to_string(&s).map_err(|e| ApiError::Internal(e.into()))?;
    let txn = crate::db::begin_write(&app.db).await?;
    let am = shop_settings::ActiveModel {
        aggregator_id: Set(agg),
        body: Set(body),
        updated_by: Set(Some(actor.user_id)),
        updated_at: Set(core::now()),
    };
    super::repo::save_settings(&txn, agg, am).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "shop_settings_changed",
            subject_type: "shop_settings",
            subject_id: Some(agg.to_string()),
            details: serde_json::json!({
                "payment_methods": s.payment_methods,
                "liquor_licence": s.liquor_licence,
                "shipping_fee_rows": s.shipping_fees.len(),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    app.part::<super::cache::ShopCache>()?.settings.remove(&agg);
    Ok(s)
}

/// The order core's view of the seller (registered as [`crate::orders::seller::SellerSource`]):
/// read fresh, so a label or receipt shows what is saved now.
pub fn seller_profile(
    app: &AppState,
    agg: Uuid,
) -> futures_util::future::BoxFuture<
    '_,
    ApiResult<std::sync::Arc<crate::orders::seller::SellerProfile>>,
> {
    Box::pin(async move {
        let s = load(&app.db, agg).await?;
        Ok(std::sync::Arc::new(crate::orders::seller::SellerProfile {
            name: s.seller.name,
            responsible_person: s.seller.responsible_person,
            postal_code: s.seller.postal_code,
            address: s.seller.address,
            phone: s.seller.phone,
            email: s.seller.email,
            invoice_number: s.invoice_number,
            tax_rounding: s.tax_rounding,
            yamato_customer_code: s.yamato_customer_code,
            bank_transfer_instructions: s.bank_transfer_instructions,
            delivery_text: s.delivery_text,
            cancellation_text: s.cancellation_text,
        }))
    })
}
