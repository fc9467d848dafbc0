//! Checkout: a cart and addresses priced into parcels with fees and tax (the preview, with the
//! six final-confirmation items of 特商法), and placing the order: idempotent per anonymous
//! client and Idempotency-Key, stock reserved first-expiry-first-out in the same transaction,
//! totals exactly as previewed or a conflict.
use super::{
    catalogue,
    error::Refusal,
    pricing::{self, PricedLine, Quote},
    settings::{self, ShopSettings},
};
use crate::core::invoice::{InvoiceRule, SellerStatus, rule_for};
use crate::{
    core::jp::{Phone, PostalCode},
    core::{self, secrets::hash_token},
    error::{ApiError, ApiResult},
    inventory::{reservations, rules::Rules},
    orders::{
        domain::{BuyerData, Contact, OrderSource, PaymentMethod, TIME_SLOTS},
        placement::{
            self, DraftLine, DraftParcel, Idempotency, OrderDraft, Placed, Totals, Written,
        },
    },
    state::AppState,
};
use chrono::Duration;
use entity::{aggregator, category, producer, product, sku};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

/// 久米島町 (sweet potatoes may not be brought in without treatment).
pub const KUMEJIMA: &str = "47361";

/// Minutes a card order waits for the provider's payment confirmation before it is cancelled.
pub const CARD_PAYMENT_MINUTES: i64 = 60;

/// One cart line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CartLine {
    pub sku_id: Uuid,
    pub qty: i64,
}

/// A checkout (preview or order).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub lines: Vec<CartLine>,
    pub buyer: Contact,
    /// Where to deliver when it is not the buyer (a gift).
    #[serde(default)]
    pub ship_to: Option<Contact>,
    /// Yamato time slot: 0812, 1416, 1618, 1820 or 1921.
    #[serde(default)]
    pub time_slot: Option<String>,
    /// bank_transfer, cash_on_delivery or card.
    pub payment_method: String,
    /// The buyer confirmed being 20 or older (required for alcohol).
    #[serde(default)]
    pub age_confirmed: bool,
    /// Placing an order: the grand total the buyer saw in the preview.
    #[serde(default)]
    pub expected_total: Option<i64>,
    /// ja (default) or en, for the emails.
    #[serde(default)]
    pub locale: Option<String>,
}

/// A checked checkout: the priced quote and what the order needs.
pub struct Checked {
    pub settings: std::sync::Arc<ShopSettings>,
    pub quote: Quote,
    pub buyer: BuyerData,
    pub payment_method: PaymentMethod,
    pub destination_municipality: Option<String>,
    pub pay_by: Option<chrono::DateTime<chrono::Utc>>,
    pub time_slot: Option<String>,
    /// What the order takes of each SKU (units, the days a lot must have left, the code).
    pub(crate) wants: BTreeMap<Uuid, reservations::Want>,
    /// Each producer's qualified-invoice rule for this sale, with its number.
    pub(crate) invoices: HashMap<Uuid, (InvoiceRule, Option<String>)>,
}

/// Field codes of contact problems a page explains in its own words.
pub const NOT_KATAKANA: &str = "not_katakana";
/// A name or address a carrier cannot print on the label.
pub const NOT_PRINTABLE: &str = "not_printable";

fn contact(
    prefix: &str,
    c: &mut Contact,
    needs_email: bool,
    errors: &mut Vec<(String, String)>,
    codes: &mut Vec<(String, &'static str)>,
) {
    let mut text = |name: &str, v: &mut String, min: usize, max: usize| {
        if min == 0 && v.trim().is_empty() {
            v.clear();
            return;
        }
        match core::validate::text(v, max) {
            Ok(t) if t.chars().count() >= min => *v = t,
            Ok(_) => errors.push((format!("{prefix}.{name}"), "is required".into())),
            Err(m) => errors.push((format!("{prefix}.{name}"), m)),
        }
    };
    text("name", &mut c.name, 1, 100);
    text("city", &mut c.city, 1, 100);
    text("address1", &mut c.address1, 1, 200);
    text("address2", &mut c.address2, 0, 200);
    // What goes on the label must be printable there (JIS X 0208 after the safe
    // normalisations); the buyer's own spelling is kept for the receipt and emails.
    for (name, v) in [
        ("name", &c.name),
        ("city", &c.city),
        ("address1", &c.address1),
        ("address2", &c.address2),
    ] {
        if let Err(m) = core::label::label_text(v) {
            errors.push((format!("{prefix}.{name}"), m));
            codes.push((format!("{prefix}.{name}"), NOT_PRINTABLE));
        }
    }
    if !c.kana.trim().is_empty() {
        match core::jp::Kana::parse(&c.kana, 100) {
            Ok(k) => c.kana = k.as_str().to_string(),
            Err(m) => {
                errors.push((format!("{prefix}.kana"), m));
                codes.push((format!("{prefix}.kana"), NOT_KATAKANA));
            }
        }
    } else {
        c.kana.clear();
    }
    match Phone::parse(&c.phone) {
        Ok(p) => c.phone = p.as_str().into(),
        Err(m) => errors.push((format!("{prefix}.phone"), m.into())),
    }
    match PostalCode::parse(&c.postal_code) {
        Ok(p) => c.postal_code = p.as_str().into(),
        Err(m) => errors.push((format!("{prefix}.postal_code"), m.into())),
    }
    if !settings::is_prefecture(&c.prefecture) {
        errors.push((
            format!("{prefix}.prefecture"),
            "must be a JIS X 0401 code 01-47".into(),
        ));
    }
    if needs_email || !c.email.is_empty() {
        match core::validate::email(&c.email) {
            Ok(e) => c.email = e,
            Err(m) => errors.push((format!("{prefix}.email"), m.into())),
        }
    }
}

/// Why plant quarantine forbids sending a product of `class` grown in `origin_prefecture` to
/// the destination, if it does (DOMAIN-JP.md §3). A treatment/inspection certificate lifts it.
pub fn quarantine_refusal(
    class: &str,
    origin_prefecture: &str,
    destination_prefecture: &str,
    destination_municipality: Option<&str>,
    certified: bool,
) -> Option<&'static str> {
    if certified {
        return None;
    }
    let leaves_okinawa = origin_prefecture == "47" && destination_prefecture != "47";
    match class {
        "raw_sweet_potato" if leaves_okinawa => {
            Some("raw sweet potatoes may not leave Okinawa without steam treatment")
        }
        "raw_sweet_potato" if destination_municipality == Some(KUMEJIMA) => {
            Some("raw sweet potatoes may not be brought into Kumejima without treatment")
        }
        "restricted_raw_plant" if leaves_okinawa => {
            Some("this raw plant may not leave Okinawa without treatment")
        }
        "citrus_plant" if leaves_okinawa => {
            Some("citrus plants may not leave Okinawa without an inspection certificate")
        }
        _ => None,
    }
}

fn refusal(why: Refusal, message: impl Into<String>, details: serde_json::Value) -> ApiError {
    ApiError::Unprocessable {
        code: why.code(),
        message: message.into(),
        details,
    }
}

/// The JIS X 0402 code of the municipality an address names, when it is one we know
/// (the city field starts with its name).
async fn municipality_of(app: &AppState, c: &Contact) -> ApiResult<Option<String>> {
    let rows = app
        .part::<super::cache::ShopCache>()?
        .municipalities
        .get_or_load(c.prefecture.clone(), || {
            super::repo::municipalities_of(&app.db, &c.prefecture)
        })
        .await?;
    Ok(rows
        .iter()
        .filter(|m| !m.name_ja.is_empty() && c.city.starts_with(&m.name_ja))
        .max_by_key(|m| m.name_ja.len())
        .map(|m| m.code.clone()))
}

async fn categories(app: &AppState) -> ApiResult<std::sync::Arc<HashMap<String, category::Model>>> {
    app.part::<super::cache::ShopCache>()?
        .categories
        .get_or_load((), || async {
            Ok::<_, ApiError>(
                super::repo::all_categories(&app.db)
                    .await?
                    .into_iter()
                    .map(|c| (c.code.clone(), c))
                    .collect(),
            )
        })
        .await
}

/// Validates a checkout and prices it.
///
/// # Errors
/// 422 naming fields, or with a code: `not_sellable`, `producer_closed`, `quarantine_restricted`,
/// `age_confirmation_required`, `alcohol_not_sold`, `over_limit`, `payment_method_unavailable`;
/// 409 `out_of_stock`, `shop_not_configured`.
#[tracing::instrument(skip_all)]
pub async fn check(
    app: &AppState,
    agg: &aggregator::Model,
    mut req: CheckoutRequest,
) -> ApiResult<Checked> {
    let settings = settings::cached(app, agg.id).await?;
    let missing = settings.missing_disclosure();
    if !missing.is_empty() {
        return Err(ApiError::Conflict {
            code: super::error::SHOP_NOT_CONFIGURED,
            message: "the shop's seller disclosure (特定商取引法) is incomplete; orders are not taken yet".into(),
            details: serde_json::json!({ "missing": missing }),
        });
    }
    let (method, locale) = validate_fields(&settings, &mut req)?;
    accept_payment(app, &settings, &req.payment_method, method)?;
    let demand = merged_demand(&settings, &req.lines)?;
    let dest = req.ship_to.clone().unwrap_or_else(|| req.buyer.clone());
    let destination_municipality = municipality_of(app, &dest).await?;
    let cart = load_cart(app, agg.id, demand.keys().copied().collect()).await?;
    let (lines, wants) = LineCheck {
        settings: &settings,
        cart: &cart,
        age_confirmed: req.age_confirmed,
        dest: &dest,
        destination_municipality: destination_municipality.as_deref(),
    }
    .priced_lines(&demand)?;
    let quote = price(&settings, lines, &dest, method)?;
    let pay_by = pay_by(&settings, method);
    let today = core::today_jst();
    let invoices = cart
        .producers
        .values()
        .map(|p| {
            let status = SellerStatus {
                invoice_number: p.invoice_number.as_deref(),
                tax_exempt: p.tax_exempt,
                notified_on: p.invoice_notified_on,
            };
            (
                p.id,
                rule_for(status, settings.invoice_number.as_deref(), today),
            )
        })
        .collect();
    Ok(Checked {
        settings,
        quote,
        buyer: BuyerData {
            buyer: req.buyer,
            ship_to: req.ship_to,
            locale: locale.into(),
        },
        payment_method: method,
        destination_municipality,
        pay_by,
        time_slot: req.time_slot,
        wants,
        invoices,
    })
}

/// Checks the request's fields (normalising the contacts), every field error at once; gives the
/// payment method and the email locale.
fn validate_fields(
    settings: &ShopSettings,
    req: &mut CheckoutRequest,
) -> ApiResult<(PaymentMethod, &'static str)> {
    let mut errors = Vec::new();
    if req.lines.is_empty() || req.lines.len() > 50 {
        errors.push(("lines".to_string(), "give 1 to 50 lines".to_string()));
    }
    for (i, l) in req.lines.iter().enumerate() {
        if !(1..=settings.max_qty_per_line).contains(&l.qty) {
            errors.push((
                format!("lines[{i}].qty"),
                format!("must be 1 to {}", settings.max_qty_per_line),
            ));
        }
    }
    let mut codes = Vec::new();
    contact("buyer", &mut req.buyer, true, &mut errors, &mut codes);
    if let Some(s) = req.ship_to.as_mut() {
        contact("ship_to", s, false, &mut errors, &mut codes);
    }
    if let Some(t) = &req.time_slot
        && !TIME_SLOTS.contains(&t.as_str())
    {
        errors.push((
            "time_slot".into(),
            "must be 0812, 1416, 1618, 1820 or 1921".into(),
        ));
    }
    // Marketplace payments belong to channel orders: a buyer cannot choose one.
    let method =
        PaymentMethod::parse(&req.payment_method).filter(|m| *m != PaymentMethod::Marketplace);
    if method.is_none() {
        errors.push((
            "payment_method".into(),
            "must be bank_transfer, cash_on_delivery or card".into(),
        ));
    }
    let locale = match req.locale.as_deref() {
        None | Some("ja") => "ja",
        Some("en") => "en",
        Some(_) => {
            errors.push(("locale".into(), "must be ja or en".into()));
            "ja"
        }
    };
    let Some(method) = method.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation {
            fields: errors,
            codes,
        });
    };
    Ok((method, locale))
}

/// Refuses a payment method the shop does not take (card also needs a configured provider).
fn accept_payment(
    app: &AppState,
    settings: &ShopSettings,
    requested: &str,
    method: PaymentMethod,
) -> ApiResult<()> {
    if !settings.payment_methods.iter().any(|m| m == requested)
        || (method == PaymentMethod::Card && app.settings.payments.provider_url.is_empty())
    {
        return Err(refusal(
            Refusal::PaymentMethodUnavailable,
            "this shop does not take that payment method",
            serde_json::json!({ "field": "payment_method", "accepted": settings.payment_methods }),
        ));
    }
    Ok(())
}

/// The units wanted per SKU (lines of the same SKU merged, keeping the first position for
/// messages), within the shop's units-per-order limit.
fn merged_demand(
    settings: &ShopSettings,
    lines: &[CartLine],
) -> ApiResult<BTreeMap<Uuid, (usize, i64)>> {
    let mut demand: BTreeMap<Uuid, (usize, i64)> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        demand.entry(l.sku_id).or_insert((i, 0)).1 += l.qty;
    }
    let units: i64 = demand.values().map(|(_, q)| q).sum();
    if units > settings.max_units_per_order {
        return Err(refusal(
            Refusal::OverLimit,
            format!("at most {} units per order", settings.max_units_per_order),
            serde_json::json!({ "field": "lines", "limit": settings.max_units_per_order }),
        ));
    }
    Ok(demand)
}

/// What the cart's lines are checked and priced from.
struct Cart {
    skus: HashMap<Uuid, sku::Model>,
    products: HashMap<Uuid, product::Model>,
    /// The open producers among the products' producers.
    producers: HashMap<Uuid, producer::Model>,
    categories: Arc<HashMap<String, category::Model>>,
    /// Sellable units per SKU.
    available: HashMap<Uuid, i64>,
    rules: Arc<Rules>,
}

/// Loads the cart's SKUs with their products (in one query), their open producers, the
/// categories, the sellable stock and the inventory rules.
async fn load_cart(app: &AppState, agg: Uuid, ids: Vec<Uuid>) -> ApiResult<Cart> {
    let mut skus: HashMap<Uuid, sku::Model> = HashMap::new();
    let mut products: HashMap<Uuid, product::Model> = HashMap::new();
    for (s, p) in super::repo::skus_with_products(&app.db, agg, ids).await? {
        if let Some(p) = p {
            products.insert(p.id, p);
        }
        skus.insert(s.id, s);
    }
    let producer_ids: Vec<Uuid> = products.values().map(|p| p.producer_id).collect();
    let producers = catalogue::open_producers_among(&app.db, agg, Some(&producer_ids)).await?;
    let categories = categories(app).await?;
    // Stock as the order will take it: unreserved units in lots with the category's minimum
    // days left (the days the destination adds are checked when the order takes its lots).
    let category_of_sku: HashMap<Uuid, String> = skus
        .values()
        .filter_map(|s| Some((s.id, products.get(&s.product_id)?.category_code.clone())))
        .collect();
    let available = catalogue::available(app, agg, category_of_sku).await?;
    let rules = catalogue::shop_rules(app, agg).await?;
    Ok(Cart {
        skus,
        products,
        producers,
        categories,
        available,
        rules,
    })
}

/// What every cart line is checked against: the shop, the loaded cart, the buyer's age
/// confirmation and the destination.
struct LineCheck<'a> {
    settings: &'a ShopSettings,
    cart: &'a Cart,
    age_confirmed: bool,
    dest: &'a Contact,
    destination_municipality: Option<&'a str>,
}

impl<'a> LineCheck<'a> {
    /// Checks every merged line in SKU order, the first failure refusing the checkout; gives
    /// the priced lines and what the order takes of each SKU.
    fn priced_lines(
        &self,
        demand: &BTreeMap<Uuid, (usize, i64)>,
    ) -> ApiResult<(Vec<PricedLine>, BTreeMap<Uuid, reservations::Want>)> {
        let mut wants = BTreeMap::new();
        let mut lines = Vec::new();
        for (sku_id, (i, qty)) in demand {
            let (s, p) = self.line(sku_id, *i, *qty)?;
            wants.insert(
                *sku_id,
                reservations::Want {
                    qty: *qty,
                    days: self
                        .cart
                        .rules
                        .required_days(Some(&p.category_code), Some(&self.dest.prefecture)),
                    code: s.code.clone(),
                },
            );
            lines.push(PricedLine {
                sku_id: *sku_id,
                product_id: p.id,
                producer_id: p.producer_id,
                title: if s.name.is_empty() || s.name == p.title_ja {
                    p.title_ja.clone()
                } else {
                    format!("{} {}", p.title_ja, s.name)
                },
                sku_code: s.code.clone(),
                qty: *qty,
                unit_price: s.price_yen,
                tax_rate: p.tax_rate,
                temperature_class: p.temperature_class.clone(),
            });
        }
        Ok((lines, wants))
    }

    /// Checks one merged line (sellable, producer open, per-line limit, alcohol licence, age,
    /// plant quarantine, stock) and gives its SKU and product.
    fn line(
        &self,
        sku_id: &Uuid,
        i: usize,
        qty: i64,
    ) -> ApiResult<(&'a sku::Model, &'a product::Model)> {
        let (settings, cart) = (self.settings, self.cart);
        let at = format!("lines[{i}]");
        let (s, p) = match cart
            .skus
            .get(sku_id)
            .and_then(|s| Some((s, cart.products.get(&s.product_id)?)))
        {
            Some((s, p)) if s.active && p.status == "listed" => (s, p),
            _ => {
                return Err(refusal(
                    Refusal::NotSellable,
                    "this item is not for sale",
                    serde_json::json!({ "field": at, "sku_id": sku_id }),
                ));
            }
        };
        let Some(producer) = cart.producers.get(&p.producer_id) else {
            return Err(refusal(
                Refusal::ProducerClosed,
                "this producer is closed at the moment (holiday, ferry or typhoon closure)",
                serde_json::json!({ "field": at, "sku_id": sku_id }),
            ));
        };
        if qty > settings.max_qty_per_line {
            return Err(refusal(
                Refusal::OverLimit,
                format!(
                    "at most {} of one item per order",
                    settings.max_qty_per_line
                ),
                serde_json::json!({ "field": at, "limit": settings.max_qty_per_line }),
            ));
        }
        let alcohol = p.alcohol
            || cart
                .categories
                .get(&p.category_code)
                .is_some_and(|c| c.alcohol);
        if alcohol && !settings.liquor_licence {
            return Err(refusal(
                Refusal::AlcoholNotSold,
                "this shop has no mail-order liquor licence; alcohol cannot be ordered",
                serde_json::json!({ "field": at, "sku_id": sku_id }),
            ));
        }
        if alcohol && !self.age_confirmed {
            return Err(refusal(
                Refusal::AgeConfirmationRequired,
                "alcohol is sold only to buyers aged 20 or over: confirm your age",
                serde_json::json!({ "field": "age_confirmed", "sku_id": sku_id }),
            ));
        }
        let origin = p
            .origin_municipality_code
            .as_deref()
            .unwrap_or(&producer.municipality_code);
        if let Some(why) = quarantine_refusal(
            &p.quarantine_class,
            origin.get(..2).unwrap_or_default(),
            &self.dest.prefecture,
            self.destination_municipality,
            p.quarantine_certificate.is_some(),
        ) {
            return Err(refusal(
                Refusal::QuarantineRestricted,
                why,
                serde_json::json!({ "field": at, "sku_id": sku_id, "quarantine_class": p.quarantine_class }),
            ));
        }
        let have = cart.available.get(sku_id).copied().unwrap_or(0);
        if qty > have {
            return Err(ApiError::Conflict {
                code: "out_of_stock",
                message: format!("only {have} of {} available for {}", qty, s.code),
                details: serde_json::json!({ "field": at, "sku_id": sku_id, "requested": qty, "available": have }),
            });
        }
        Ok((s, p))
    }
}

/// Prices the lines for the destination and payment method, within the shop's order limit.
fn price(
    settings: &ShopSettings,
    lines: Vec<PricedLine>,
    dest: &Contact,
    method: PaymentMethod,
) -> ApiResult<Quote> {
    let quote = pricing::quote(
        lines,
        settings,
        &dest.prefecture,
        &dest.postal_code,
        method == PaymentMethod::CashOnDelivery,
    );
    if quote.grand_total > settings.max_order_yen {
        return Err(refusal(
            Refusal::OverLimit,
            format!("orders are limited to {} yen", settings.max_order_yen),
            serde_json::json!({ "field": "lines", "limit_yen": settings.max_order_yen }),
        ));
    }
    let limit = settings.cash_on_delivery.slip_limit();
    if let Some(p) = quote.parcels.iter().find(|p| p.cod_amount > limit) {
        return Err(refusal(
            Refusal::CodOverLimit,
            format!(
                "cash on delivery collects at most {limit} yen per parcel; parcel {} would collect {} yen: choose another payment method",
                p.seq, p.cod_amount
            ),
            serde_json::json!({ "field": "payment_method", "limit_yen": limit, "parcel": p.seq, "amount": p.cod_amount }),
        ));
    }
    Ok(quote)
}

/// When an unpaid order gives its stock back: bank transfers after the configured days, card
/// payments never confirmed by the provider after an hour.
fn pay_by(settings: &ShopSettings, method: PaymentMethod) -> Option<chrono::DateTime<chrono::Utc>> {
    match method {
        PaymentMethod::BankTransfer => {
            Some(core::now() + Duration::days(settings.bank_transfer_days))
        }
        PaymentMethod::Card => Some(core::now() + Duration::minutes(CARD_PAYMENT_MINUTES)),
        PaymentMethod::CashOnDelivery | PaymentMethod::Marketplace => None,
    }
}

/// The six items 特商法 requires on the final confirmation screen (since 2022-06).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FinalConfirmation {
    pub quantity: String,
    pub total: String,
    pub payment: String,
    pub delivery: String,
    pub cancellation: String,
    pub deadline: String,
}

/// The final-confirmation texts for a checked checkout (Japanese, the shop's language).
pub fn final_confirmation(c: &Checked) -> FinalConfirmation {
    let units: i64 = c.quote.lines.iter().map(|l| l.qty).sum();
    let s = &c.settings;
    let payment = match c.payment_method {
        PaymentMethod::BankTransfer => format!(
            "銀行振込（前払い）: ご注文から{}日以内にお振込みください。入金確認後に発送します。",
            s.bank_transfer_days
        ),
        PaymentMethod::CashOnDelivery => {
            let slips = c.quote.parcels.iter().filter(|p| p.cod_amount > 0).count();
            let how = if slips > 1 {
                format!("{slips} 個口それぞれのお届け時にお支払い")
            } else {
                "お届け時に 1 回でお支払い".into()
            };
            format!(
                "代金引換: 商品お届け時に配達員へお支払いください（{how}、代引手数料 計 {} 円）。",
                core::money::grouped(c.quote.cod_fee)
            )
        }
        PaymentMethod::Card => "クレジットカード: ご注文確定時に決済します。".into(),
        // Never chosen at checkout (refused when read).
        PaymentMethod::Marketplace => String::new(),
    };
    let deadline = match c.pay_by {
        Some(_) if c.payment_method == PaymentMethod::Card => format!(
            "カード決済の期限: ご注文から{CARD_PAYMENT_MINUTES}分（期限内に決済が完了しないご注文は自動的にキャンセルされます）"
        ),
        Some(t) => format!(
            "お振込み期限: {}（期限を過ぎたご注文は自動的にキャンセルされます）",
            (t + Duration::hours(9)).format("%Y-%m-%d")
        ),
        None => "お申込みの期限はありません。".into(),
    };
    FinalConfirmation {
        quantity: format!("{} 点（{} 商品）", units, c.quote.lines.len()),
        total: format!(
            "合計 {} 円（税込。うち消費税 8%対象 {} 円・10%対象 {} 円、送料・手数料 {} 円を含む）",
            c.quote.grand_total,
            c.quote.tax8,
            c.quote.tax10,
            c.quote.fees()
        ),
        payment,
        delivery: format!(
            "{}（発送目安: {}営業日以内）",
            s.delivery_text, s.ships_within_days
        ),
        cancellation: format!("{} 返品: {}", s.cancellation_text, s.returns_text),
        deadline,
    }
}

/// Places a shop order. `client` names the anonymous caller (idempotency scope); `key` is the
/// Idempotency-Key.
///
/// # Errors
/// As [`check`]; 422 `expected_total` missing, a reused key with another body; 409
/// `price_changed`, `out_of_stock`, `idempotency_in_progress`.
#[tracing::instrument(skip_all)]
pub async fn place(
    app: &AppState,
    agg: &aggregator::Model,
    client: &str,
    key: &str,
    req: CheckoutRequest,
) -> ApiResult<Placed> {
    if key.is_empty() || key.len() > 200 || key.chars().any(char::is_control) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "is required: 1-200 printable characters, one per order attempt",
        ));
    }
    let client_key = client_key(app, client);
    let request_hash = hash_token(&serde_json::to_string(&req).unwrap_or_default());
    if let Some(existing) = placement::find_by_key(app, agg.id, &client_key, key).await? {
        return placement::replay(existing, &request_hash);
    }
    let expected = req.expected_total;
    let checked = check(app, agg, req).await;
    let Some(expected) = expected else {
        // Named together with the request's other field errors.
        let missing = (
            "expected_total".to_string(),
            "give the grand_total shown by the checkout preview".to_string(),
        );
        return Err(match checked {
            Err(ApiError::Validation { mut fields, codes }) => {
                fields.push(missing);
                ApiError::Validation { fields, codes }
            }
            _ => ApiError::invalid(vec![missing]),
        });
    };
    let c = checked?;
    if c.quote.grand_total != expected {
        return Err(ApiError::Conflict {
            code: super::error::PRICE_CHANGED,
            message: format!(
                "the total is now {} yen, not {} yen: please review the order again",
                c.quote.grand_total, expected
            ),
            details: serde_json::json!({ "expected_total": expected, "grand_total": c.quote.grand_total }),
        });
    }
    let buyer = c.buyer.clone();
    let order = placement::prepare(
        app,
        draft(
            agg.id,
            c,
            Idempotency {
                client_key: client_key.clone(),
                key: key.to_string(),
                request_hash: request_hash.clone(),
            },
        ),
    )?;
    match placement::write(app, order).await {
        Ok(stored) => Ok(Placed {
            order: stored.order,
            replayed: false,
            written: Some(Written {
                lines: stored.lines,
                parcels: stored.parcels,
                buyer,
            }),
        }),
        // The key was taken meanwhile: answer as a retry would be answered.
        Err(ApiError::Conflict {
            code: placement::KEY_TAKEN,
            ..
        }) => match placement::find_by_key(app, agg.id, &client_key, key).await? {
            Some(existing) => placement::replay(existing, &request_hash),
            None => Err(crate::orders::error::OrderError::IdempotencyInProgress.into()),
        },
        Err(e) => Err(e),
    }
}

/// The order core's draft of a checked checkout.
fn draft(agg: Uuid, c: Checked, idempotency: Idempotency) -> OrderDraft {
    let q = &c.quote;
    let parcels = q
        .parcels
        .iter()
        .map(|p| DraftParcel {
            seq: p.seq,
            temperature_class: p.temperature_class.clone(),
            shipping_fee: p.shipping_fee,
            cool_fee: p.cool_fee,
            surcharge: p.surcharge,
            cod_fee: p.cod_fee,
            cod_amount: p.cod_amount,
            cod_tax: p.cod_tax,
            lines: p
                .lines
                .iter()
                .map(|i| {
                    let l = &q.lines[*i];
                    let (invoice_rule, seller_invoice_number) = c
                        .invoices
                        .get(&l.producer_id)
                        .cloned()
                        .unwrap_or((InvoiceRule::None, None));
                    DraftLine {
                        producer_id: l.producer_id,
                        product_id: l.product_id,
                        sku_id: l.sku_id,
                        title: l.title.clone(),
                        sku_code: l.sku_code.clone(),
                        qty: l.qty,
                        unit_price: l.unit_price,
                        tax_rate: l.tax_rate,
                        temperature_class: l.temperature_class.clone(),
                        invoice_rule,
                        seller_invoice_number,
                    }
                })
                .collect(),
        })
        .collect();
    OrderDraft {
        aggregator_id: agg,
        source: OrderSource::Shop,
        channel_id: None,
        external_id: None,
        payment_method: c.payment_method,
        destination_municipality: c.destination_municipality,
        destination_country: "JP".into(),
        time_slot: c.time_slot,
        totals: Totals {
            goods_total: q.goods_total,
            shipping_total: q.shipping_total,
            cool_total: q.cool_total,
            surcharge_total: q.surcharge_total,
            cod_fee: q.cod_fee,
            total8: q.total8,
            total10: q.total10,
            tax8: q.tax8,
            tax10: q.tax10,
            grand_total: q.grand_total,
        },
        currency: "JPY".into(),
        fx_rate_ppm: 1_000_000,
        parcels,
        wants: c.wants,
        idempotency,
        pay_by: c.pay_by,
        buyer: c.buyer,
        attention: None,
    }
}

/// A keyed hash naming an anonymous client (the idempotency scope of guest orders) without
/// storing it.
fn client_key(app: &AppState, client: &str) -> String {
    crate::core::secrets::keyed_hash(app.settings.auth.secret_key.expose_secret(), client)
}
