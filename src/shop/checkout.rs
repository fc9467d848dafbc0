//! Checkout: a cart and addresses priced into parcels with fees and tax (the preview, with the
//! six final-confirmation items of 特商法), and placing the order: idempotent per anonymous
//! client and Idempotency-Key, stock reserved first-expiry-first-out in the same transaction,
//! totals exactly as previewed or a conflict.
use super::{
    catalogue,
    pricing::{self, PricedLine, Quote},
    privacy,
    settings::{self, ShopSettings},
};
use crate::{
    core::{self, secrets::hash_token},
    error::{ApiError, ApiResult},
    inventory::reservations,
    jobs::queue,
    producers::domain::PostalCode,
    state::AppState,
};
use chrono::Duration;
use entity::{
    aggregator, category, municipality, order_line, parcel, product, reservation, shop_order, sku,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, QueryFilter,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::ToSchema;
use uuid::Uuid;

/// Yamato delivery time slots (DOMAIN-JP.md §4).
pub const TIME_SLOTS: [&str; 5] = ["0812", "1416", "1618", "1820", "1921"];
/// 久米島町 (sweet potatoes may not be brought in without treatment).
pub const KUMEJIMA: &str = "47361";

/// Minutes a card order waits for the provider's payment confirmation before it is cancelled.
pub const CARD_PAYMENT_MINUTES: i64 = 60;

/// Order statuses (DESIGN.md §4).
pub mod status {
    pub const OPEN: &str = "open";
    pub const CANCELLED: &str = "cancelled";
    pub const CLOSED: &str = "closed";
}
/// Payment statuses.
pub mod payment {
    pub const PENDING: &str = "pending";
    pub const PAID: &str = "paid";
    pub const CASH_ON_DELIVERY: &str = "cash_on_delivery";
    pub const REFUNDED: &str = "refunded";
    pub const PARTIALLY_REFUNDED: &str = "partially_refunded";
}
/// Fulfilment statuses.
pub mod fulfilment {
    pub const UNFULFILLED: &str = "unfulfilled";
    pub const PICKING: &str = "picking";
    pub const PACKED: &str = "packed";
    pub const SHIPPED: &str = "shipped";
    pub const DELIVERED: &str = "delivered";
}

/// A postal contact (buyer or ship-to). Personal data: stored encrypted, never logged.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub kana: String,
    /// Required for the buyer (confirmation email); optional for a gift's recipient.
    #[serde(default)]
    pub email: String,
    pub phone: String,
    pub postal_code: String,
    /// JIS X 0401 code `01`–`47`.
    pub prefecture: String,
    /// Municipality and district (e.g. 久米島町字比嘉).
    pub city: String,
    pub address1: String,
    #[serde(default)]
    pub address2: String,
}

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

/// What is stored encrypted on the order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BuyerData {
    pub buyer: Contact,
    pub ship_to: Option<Contact>,
    pub locale: String,
}

impl BuyerData {
    /// Where the parcels go.
    pub fn destination(&self) -> &Contact {
        self.ship_to.as_ref().unwrap_or(&self.buyer)
    }
}

/// A checked checkout: the priced quote and what the order needs.
pub struct Checked {
    pub settings: std::sync::Arc<ShopSettings>,
    pub quote: Quote,
    pub buyer: BuyerData,
    pub destination_municipality: Option<String>,
    pub pay_by: Option<chrono::DateTime<chrono::Utc>>,
    pub time_slot: Option<String>,
    /// What the order takes of each SKU (units, the days a lot must have left, the code).
    pub(crate) wants: BTreeMap<Uuid, reservations::Want>,
}

fn contact(prefix: &str, c: &mut Contact, needs_email: bool, errors: &mut Vec<(String, String)>) {
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
    text("kana", &mut c.kana, 0, 100);
    text("city", &mut c.city, 1, 100);
    text("address1", &mut c.address1, 1, 200);
    text("address2", &mut c.address2, 0, 200);
    let phone = crate::producers::domain::to_half_width_ascii(&c.phone);
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !phone.chars().all(|ch| ch.is_ascii_digit() || ch == '-') || !(10..=11).contains(&digits) {
        errors.push((
            format!("{prefix}.phone"),
            "must be 10 or 11 digits, hyphens allowed".into(),
        ));
    } else {
        c.phone = phone;
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

fn refusal(code: &'static str, message: impl Into<String>, details: serde_json::Value) -> ApiError {
    ApiError::Unprocessable {
        code,
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
            municipality::Entity::find()
                .filter(municipality::Column::PrefectureCode.eq(c.prefecture.clone()))
                .all(&app.db)
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
                category::Entity::find()
                    .all(&app.db)
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
pub async fn check(
    app: &AppState,
    agg: &aggregator::Model,
    mut req: CheckoutRequest,
) -> ApiResult<Checked> {
    let settings = settings::cached(app, agg.id).await?;
    let missing = settings.missing_disclosure();
    if !missing.is_empty() {
        return Err(ApiError::Conflict {
            code: "shop_not_configured",
            message: "the shop's seller disclosure (特定商取引法) is incomplete; orders are not taken yet".into(),
            details: serde_json::json!({ "missing": missing }),
        });
    }
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
    contact("buyer", &mut req.buyer, true, &mut errors);
    if let Some(s) = req.ship_to.as_mut() {
        contact("ship_to", s, false, &mut errors);
    }
    if let Some(t) = &req.time_slot
        && !TIME_SLOTS.contains(&t.as_str())
    {
        errors.push((
            "time_slot".into(),
            "must be 0812, 1416, 1618, 1820 or 1921".into(),
        ));
    }
    if !super::settings::PAYMENT_METHODS.contains(&req.payment_method.as_str()) {
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
    if !errors.is_empty() {
        return Err(ApiError::Validation { fields: errors });
    }
    if !settings.payment_methods.contains(&req.payment_method)
        || (req.payment_method == "card" && app.settings.payments.provider_url.is_empty())
    {
        return Err(refusal(
            "payment_method_unavailable",
            "this shop does not take that payment method",
            serde_json::json!({ "field": "payment_method", "accepted": settings.payment_methods }),
        ));
    }

    // Merge lines of the same SKU, keeping the first position for messages.
    let mut demand: BTreeMap<Uuid, (usize, i64)> = BTreeMap::new();
    for (i, l) in req.lines.iter().enumerate() {
        demand.entry(l.sku_id).or_insert((i, 0)).1 += l.qty;
    }
    let units: i64 = demand.values().map(|(_, q)| q).sum();
    if units > settings.max_units_per_order {
        return Err(refusal(
            "over_limit",
            format!("at most {} units per order", settings.max_units_per_order),
            serde_json::json!({ "field": "lines", "limit": settings.max_units_per_order }),
        ));
    }
    let dest = req.ship_to.clone().unwrap_or_else(|| req.buyer.clone());
    let destination_municipality = municipality_of(app, &dest).await?;
    let ids: Vec<Uuid> = demand.keys().copied().collect();
    // The cart's SKUs with their products, in one query.
    let mut skus: HashMap<Uuid, sku::Model> = HashMap::new();
    let mut products: HashMap<Uuid, product::Model> = HashMap::new();
    let of_product = sku::Entity::belongs_to(product::Entity)
        .from(sku::Column::ProductId)
        .to(product::Column::Id)
        .into();
    for (s, p) in sku::Entity::find()
        .select_also(product::Entity)
        .join(JoinType::InnerJoin, of_product)
        .filter(sku::Column::Id.is_in(ids.clone()))
        .filter(sku::Column::AggregatorId.eq(agg.id))
        .all(&app.db)
        .await?
    {
        if let Some(p) = p {
            products.insert(p.id, p);
        }
        skus.insert(s.id, s);
    }
    let producer_ids: Vec<Uuid> = products.values().map(|p| p.producer_id).collect();
    let producers = catalogue::open_producers_among(&app.db, agg.id, Some(&producer_ids)).await?;
    let categories = categories(app).await?;
    // Stock as the order will take it: unreserved units in lots with the category's minimum
    // days left (the days the destination adds are checked when the order takes its lots).
    let category_of_sku: HashMap<Uuid, String> = skus
        .values()
        .filter_map(|s| Some((s.id, products.get(&s.product_id)?.category_code.clone())))
        .collect();
    let available = catalogue::available(app, agg.id, category_of_sku).await?;
    let rules = catalogue::shop_rules(app, agg.id).await?;
    let mut required_days = BTreeMap::new();
    let mut lines = Vec::new();
    for (sku_id, (i, qty)) in &demand {
        let at = format!("lines[{i}]");
        let (s, p) = match skus
            .get(sku_id)
            .and_then(|s| Some((s, products.get(&s.product_id)?)))
        {
            Some((s, p)) if s.active && p.status == "listed" => (s, p),
            _ => {
                return Err(refusal(
                    "not_sellable",
                    "this item is not for sale",
                    serde_json::json!({ "field": at, "sku_id": sku_id }),
                ));
            }
        };
        let Some(producer) = producers.get(&p.producer_id) else {
            return Err(refusal(
                "producer_closed",
                "this producer is closed at the moment (holiday, ferry or typhoon closure)",
                serde_json::json!({ "field": at, "sku_id": sku_id }),
            ));
        };
        if *qty > settings.max_qty_per_line {
            return Err(refusal(
                "over_limit",
                format!(
                    "at most {} of one item per order",
                    settings.max_qty_per_line
                ),
                serde_json::json!({ "field": at, "limit": settings.max_qty_per_line }),
            ));
        }
        let alcohol = p.alcohol || categories.get(&p.category_code).is_some_and(|c| c.alcohol);
        if alcohol && !settings.liquor_licence {
            return Err(refusal(
                "alcohol_not_sold",
                "this shop has no mail-order liquor licence; alcohol cannot be ordered",
                serde_json::json!({ "field": at, "sku_id": sku_id }),
            ));
        }
        if alcohol && !req.age_confirmed {
            return Err(refusal(
                "age_confirmation_required",
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
            &dest.prefecture,
            destination_municipality.as_deref(),
            p.quarantine_certificate.is_some(),
        ) {
            return Err(refusal(
                "quarantine_restricted",
                why,
                serde_json::json!({ "field": at, "sku_id": sku_id, "quarantine_class": p.quarantine_class }),
            ));
        }
        let have = available.get(sku_id).copied().unwrap_or(0);
        if *qty > have {
            return Err(ApiError::Conflict {
                code: "out_of_stock",
                message: format!("only {have} of {} available for {}", qty, s.code),
                details: serde_json::json!({ "field": at, "sku_id": sku_id, "requested": qty, "available": have }),
            });
        }
        required_days.insert(
            *sku_id,
            reservations::Want {
                qty: *qty,
                days: rules.required_days(Some(&p.category_code), Some(&dest.prefecture)),
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
    let quote = pricing::quote(
        lines,
        &settings,
        &dest.prefecture,
        &dest.postal_code,
        req.payment_method == "cash_on_delivery",
    );
    if quote.grand_total > settings.max_order_yen {
        return Err(refusal(
            "over_limit",
            format!("orders are limited to {} yen", settings.max_order_yen),
            serde_json::json!({ "field": "lines", "limit_yen": settings.max_order_yen }),
        ));
    }
    // Unpaid orders give their stock back: bank transfers after the configured days, card
    // payments never confirmed by the provider after an hour.
    let pay_by = match req.payment_method.as_str() {
        "bank_transfer" => Some(core::now() + Duration::days(settings.bank_transfer_days)),
        "card" => Some(core::now() + Duration::minutes(CARD_PAYMENT_MINUTES)),
        _ => None,
    };
    Ok(Checked {
        settings,
        quote,
        buyer: BuyerData {
            buyer: req.buyer,
            ship_to: req.ship_to,
            locale: locale.into(),
        },
        destination_municipality,
        pay_by,
        time_slot: req.time_slot,
        wants: required_days,
    })
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
pub fn final_confirmation(c: &Checked, method: &str) -> FinalConfirmation {
    let units: i64 = c.quote.lines.iter().map(|l| l.qty).sum();
    let s = &c.settings;
    let payment = match method {
        "bank_transfer" => format!(
            "銀行振込（前払い）: ご注文から{}日以内にお振込みください。入金確認後に発送します。",
            s.bank_transfer_days
        ),
        "cash_on_delivery" => format!(
            "代金引換: 商品お届け時に配達員へお支払いください（代引手数料 {} 円/個口）。",
            s.cod_fee_yen
        ),
        _ => "クレジットカード: ご注文確定時に決済します。".into(),
    };
    let deadline = match c.pay_by {
        Some(_) if method == "card" => format!(
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

/// An order number: 8 characters of Crockford base-32 (no I, L, O, U), unique per aggregator;
/// buyers quote it in bank transfers.
fn order_number() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % 32] as char)
        .collect()
}

/// A placed order (or the earlier one an identical retry gets back).
pub struct Placed {
    pub order: shop_order::Model,
    pub replayed: bool,
    /// What a new order wrote (a replay has none).
    pub written: Option<Written>,
}

/// The lines and parcels a new order wrote, and its buyer data.
pub struct Written {
    pub lines: Vec<order_line::Model>,
    pub parcels: Vec<parcel::Model>,
    pub buyer: BuyerData,
}

impl Placed {
    /// The order with its lines and parcels, and the buyer data (read back only for a replay).
    ///
    /// # Errors
    /// Database failures; stored buyer data that no longer decrypts.
    pub async fn detail(
        self,
        app: &AppState,
    ) -> ApiResult<(super::orders::OrderDetail, Option<BuyerData>)> {
        match self.written {
            Some(w) => Ok((
                super::orders::OrderDetail {
                    order: self.order,
                    lines: w.lines,
                    parcels: w.parcels,
                    returns: Vec::new(),
                },
                Some(w.buyer),
            )),
            None => {
                let d = super::orders::detail(&app.db, self.order).await?;
                let buyer = buyer_of(app, &d.order)?;
                Ok((d, buyer))
            }
        }
    }
}

/// Places an order. `client` names the anonymous caller (idempotency scope); `key` is the
/// Idempotency-Key.
///
/// # Errors
/// As [`check`]; 422 `expected_total` missing, a reused key with another body; 409
/// `price_changed`, `out_of_stock`, `idempotency_in_progress`.
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
    let client_key = privacy::client_key(&app.settings, client);
    let request_hash = hash_token(&serde_json::to_string(&req).unwrap_or_default());
    if let Some(existing) = find_by_key(app, agg.id, &client_key, key).await? {
        return replay(existing, &request_hash);
    }
    let Some(expected) = req.expected_total else {
        return Err(ApiError::field(
            "expected_total",
            "give the grand_total shown by the checkout preview",
        ));
    };
    let method = req.payment_method.clone();
    let c = check(app, agg, req).await?;
    if c.quote.grand_total != expected {
        return Err(ApiError::Conflict {
            code: "price_changed",
            message: format!(
                "the total is now {} yen, not {} yen: please review the order again",
                c.quote.grand_total, expected
            ),
            details: serde_json::json!({ "expected_total": expected, "grand_total": c.quote.grand_total }),
        });
    }
    let sealed = privacy::seal(
        &app.settings,
        &serde_json::to_vec(&c.buyer).map_err(|e| ApiError::Internal(e.into()))?,
    )
    .map_err(ApiError::Internal)?;
    let order = new_order(agg.id, &method, sealed, &client_key, key, &request_hash, &c);
    // Written with group commit: many orders share one transaction (and its disk flush) on
    // SQLite.
    match app.part::<OrdersWriter>()?.run(order).await {
        Ok(mut stored) => {
            // In the order [`super::orders::detail`] reads them back.
            stored.parcels.sort_by_key(|p| p.seq);
            stored
                .lines
                .sort_by(|a, b| (a.parcel_seq, &a.sku_code).cmp(&(b.parcel_seq, &b.sku_code)));
            Ok(Placed {
                order: stored.order,
                replayed: false,
                written: Some(Written {
                    lines: stored.lines,
                    parcels: stored.parcels,
                    buyer: c.buyer,
                }),
            })
        }
        // The key was taken meanwhile: answer as a retry would be answered.
        Err(ApiError::Conflict {
            code: KEY_TAKEN, ..
        }) => match find_by_key(app, agg.id, &client_key, key).await? {
            Some(existing) => replay(existing, &request_hash),
            None => Err(ApiError::conflict(
                "idempotency_in_progress",
                "an order with this Idempotency-Key is being placed",
            )),
        },
        Err(e) => Err(e),
    }
}

/// [`write_orders`]' answer when another order holds the Idempotency-Key (never sent out).
const KEY_TAKEN: &str = "idempotency_key_taken";

/// The writer of placed orders (group commit on SQLite, see [`crate::db::group_commit`]).
pub type OrdersWriter = crate::db::group_commit::GroupCommit<NewOrder, Stored, ApiError>;

/// An order ready to be written: checked, priced, buyer data sealed, its rows built (in the
/// request, so the jobs and the audit row carry its request id). Only the lots are chosen
/// when it is written.
pub struct NewOrder {
    order: shop_order::Model,
    reservation: reservation::Model,
    parcels: Vec<parcel::Model>,
    /// Without their lot allocations (chosen when written).
    lines: Vec<order_line::Model>,
    jobs: Vec<entity::job::ActiveModel>,
    audit: entity::audit_event::ActiveModel,
    wants: BTreeMap<Uuid, reservations::Want>,
}

/// What an order wrote: the order, its lines (with their lots) and parcels.
pub struct Stored {
    order: shop_order::Model,
    lines: Vec<order_line::Model>,
    parcels: Vec<parcel::Model>,
}

/// Builds the rows of a new order: the order, its reservation, parcels, lines, the
/// confirmation (and for cash on delivery the producers' sold notice) jobs and the audit row.
fn new_order(
    agg: Uuid,
    method: &str,
    sealed: String,
    client_key: &str,
    key: &str,
    request_hash: &str,
    c: &Checked,
) -> NewOrder {
    let q = &c.quote;
    let dest = c.buyer.destination();
    let now = core::now();
    let oid = core::new_id();
    let rid = core::new_id();
    let number = order_number();
    let order = shop_order::Model {
        id: oid,
        aggregator_id: agg,
        number: number.clone(),
        source: "shop".into(),
        channel_id: None,
        external_id: None,
        status: status::OPEN.into(),
        payment_status: if method == "cash_on_delivery" {
            payment::CASH_ON_DELIVERY.into()
        } else {
            payment::PENDING.into()
        },
        fulfilment_status: fulfilment::UNFULFILLED.into(),
        payment_method: method.to_string(),
        buyer_data: Some(sealed),
        personal_purged_at: None,
        destination_prefecture: dest.prefecture.clone(),
        destination_municipality: c.destination_municipality.clone(),
        time_slot: c.time_slot.clone(),
        delivery_date: None,
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
        currency: "JPY".into(),
        fx_rate_ppm: 1_000_000,
        destination_country: "JP".into(),
        refunded_total: 0,
        refund_owed: 0,
        reservation_id: Some(rid),
        client_key: client_key.to_string(),
        idempotency_key: Some(key.to_string()),
        request_hash: request_hash.to_string(),
        pay_by: c.pay_by,
        paid_at: None,
        payment_intent_id: None,
        cancelled_at: None,
        shipped_at: None,
        delivered_at: None,
        created_at: now,
        updated_at: now,
    };
    let reservation = reservation::Model {
        id: rid,
        aggregator_id: agg,
        status: reservations::status::HELD.into(),
        expires_at: None,
        destination_prefecture: Some(dest.prefecture.clone()),
        reference: format!("order {number}"),
        idempotency_key: None,
        request_hash: None,
        created_by: Uuid::nil(),
        created_at: now,
        updated_at: now,
    };
    let mut parcels = Vec::new();
    let mut lines = Vec::new();
    for p in &q.parcels {
        parcels.push(parcel::Model {
            id: core::new_id(),
            aggregator_id: agg,
            order_id: oid,
            seq: p.seq,
            temperature_class: p.temperature_class.clone(),
            carrier: "yamato".into(),
            time_slot: c.time_slot.clone(),
            delivery_date: None,
            shipping_fee: p.shipping_fee,
            cool_fee: p.cool_fee,
            surcharge: p.surcharge,
            tracking_number: None,
            status: "pending".into(),
            packed_at: None,
            shipped_at: None,
            delivered_at: None,
        });
        for i in &p.lines {
            let l = &q.lines[*i];
            lines.push(order_line::Model {
                id: core::new_id(),
                aggregator_id: agg,
                order_id: oid,
                producer_id: l.producer_id,
                product_id: l.product_id,
                sku_id: l.sku_id,
                title: l.title.chars().take(300).collect(),
                sku_code: l.sku_code.clone(),
                qty: l.qty,
                unit_price: l.unit_price,
                tax_rate: l.tax_rate,
                line_total: l.total(),
                temperature_class: l.temperature_class.clone(),
                parcel_seq: p.seq,
                allocations: String::new(),
                returned_qty: 0,
                created_at: now,
                producer_notified_at: None,
            });
        }
    }
    let confirmation = super::notify::CONFIRMATION;
    let mut jobs = vec![queue::new_row(super::notify::email_job(
        agg,
        oid,
        confirmation,
        confirmation,
    ))];
    if method == "cash_on_delivery" {
        // Cash on delivery is a firm order at once; other methods tell producers when paid.
        jobs.push(queue::new_row(super::sales::sold_job(agg, oid)));
    }
    let audit = crate::audit::row(crate::audit::AuditRecord {
        aggregator_id: Some(agg),
        actor_user_id: None,
        action: "order_placed",
        subject_type: "order",
        subject_id: Some(oid.to_string()),
        details: serde_json::json!({ "number": number, "source": "shop", "payment_method": method, "grand_total": q.grand_total }),
    });
    NewOrder {
        order,
        reservation,
        parcels,
        lines,
        jobs,
        audit,
        wants: c.wants.clone(),
    }
}

/// Writes `orders` in `txn` (the batch function of [`OrdersWriter`]): one read of the
/// Idempotency-Keys already taken (batches of more than one), one read of every candidate lot,
/// each order's lots planned first-expiry-first-out in turn (an order sees what the ones before
/// it took), then every row of every accepted order in one call on SQLite (see
/// [`crate::db::execute_all`]).
///
/// An order is answered 409 `out_of_stock`, or with a conflict coded [`KEY_TAKEN`] when
/// another order holds its Idempotency-Key; such an order writes nothing. The batch fails as a
/// whole when its writes fail or change other rows than planned (then it is rolled back; on
/// its own, an order's unique-key conflict is [`KEY_TAKEN`] and a balance update that did not
/// apply is `out_of_stock`).
pub fn write_orders<'a>(
    txn: &'a DatabaseTransaction,
    orders: &'a [NewOrder],
) -> crate::db::group_commit::BatchFuture<'a, Stored, ApiError> {
    Box::pin(write_batch(txn, orders))
}

async fn write_batch(
    txn: &DatabaseTransaction,
    orders: &[NewOrder],
) -> Result<Vec<ApiResult<Stored>>, ApiError> {
    let backend = txn.get_database_backend();
    // Alone, an order whose key is taken fails at its insert (answered as KEY_TAKEN); in a
    // batch that would fail the others too, so taken keys are looked up first.
    let mut held = if orders.len() > 1 {
        taken_keys(txn, orders).await?
    } else {
        std::collections::HashSet::new()
    };
    let lots =
        reservations::candidate_lots(txn, orders.iter().flat_map(|o| o.wants.keys().copied()))
            .await?;
    let mut taken: HashMap<Uuid, i64> = HashMap::new();
    let mut answers = Vec::with_capacity(orders.len());
    let (mut new_orders, mut new_reservations, mut parcels, mut lines, mut jobs, mut audits) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut allocations = Vec::new();
    for o in orders {
        let key = (
            o.order.aggregator_id,
            o.order.client_key.clone(),
            o.order.idempotency_key.clone(),
        );
        // Held by a stored order, or by an earlier order of this batch.
        if !held.insert(key) {
            answers.push(Err(ApiError::conflict(KEY_TAKEN, "key taken")));
            continue;
        }
        let plan = match reservations::plan_from(
            &lots,
            &taken,
            o.order.aggregator_id,
            o.reservation.id,
            &o.wants,
        ) {
            Ok(plan) => plan,
            Err(e) => {
                answers.push(Err(e));
                continue;
            }
        };
        for a in &plan {
            *taken.entry(a.lot_id).or_insert(0) += a.qty;
        }
        let mut order_lines = o.lines.clone();
        for l in &mut order_lines {
            let lots: Vec<serde_json::Value> = plan
                .iter()
                .filter(|a| a.sku_id == l.sku_id)
                .map(|a| serde_json::json!({ "lot_id": a.lot_id, "qty": a.qty }))
                .collect();
            l.allocations = serde_json::Value::Array(lots).to_string();
        }
        new_orders.push(shop_order::ActiveModel::from(o.order.clone()));
        new_reservations.push(reservation::ActiveModel::from(o.reservation.clone()));
        parcels.extend(o.parcels.iter().cloned().map(parcel::ActiveModel::from));
        lines.extend(
            order_lines
                .iter()
                .cloned()
                .map(order_line::ActiveModel::from),
        );
        jobs.extend(o.jobs.iter().cloned());
        audits.push(o.audit.clone());
        allocations.extend(plan);
        answers.push(Ok(Stored {
            order: o.order.clone(),
            lines: order_lines,
            parcels: o.parcels.clone(),
        }));
    }
    if new_orders.is_empty() {
        return Ok(answers);
    }
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    // Rows the statements change when every balance update took its units.
    let expected = count(
        new_orders.len()
            + new_reservations.len()
            + parcels.len()
            + lines.len()
            + jobs.len()
            + audits.len(),
    ) + reservations::plan_rows(&allocations);
    // The orders first: a taken Idempotency-Key fails there, before anything else is written.
    let mut stmts = crate::db::insert_rows(backend, new_orders);
    stmts.extend(crate::db::insert_rows(backend, new_reservations));
    stmts.extend(reservations::plan_statements(backend, None, &allocations));
    stmts.extend(crate::db::insert_rows(backend, parcels));
    stmts.extend(crate::db::insert_rows(backend, lines));
    stmts.extend(crate::db::insert_rows(backend, jobs));
    stmts.extend(crate::db::insert_rows(backend, audits));
    let changed =
        crate::db::execute_all(txn, stmts)
            .await
            .map_err(|e| match ApiError::from(e) {
                // Only the order row has unique keys a retry can collide on.
                ApiError::Conflict { .. } => ApiError::conflict(KEY_TAKEN, "key taken"),
                e => e,
            })?;
    if changed != expected {
        return Err(ApiError::conflict(
            "out_of_stock",
            "the stock changed while the order was placed: please try again",
        ));
    }
    Ok(answers)
}

/// The Idempotency-Keys of `orders` that stored orders already hold (per aggregator and client).
/// Per aggregator one index search: its clients × its keys (a superset of the pairs asked,
/// matched exactly by the caller).
async fn taken_keys(
    txn: &DatabaseTransaction,
    orders: &[NewOrder],
) -> Result<std::collections::HashSet<(Uuid, String, Option<String>)>, sea_orm::DbErr> {
    let mut per_aggregator: BTreeMap<Uuid, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for o in orders {
        if let Some(key) = o.order.idempotency_key.as_deref() {
            let (clients, keys) = per_aggregator.entry(o.order.aggregator_id).or_default();
            clients.insert(&o.order.client_key);
            keys.insert(key);
        }
    }
    let mut any = sea_orm::Condition::any();
    for (agg, (clients, keys)) in per_aggregator {
        any = any.add(
            sea_orm::Condition::all()
                .add(shop_order::Column::AggregatorId.eq(agg))
                .add(shop_order::Column::ClientKey.is_in(clients))
                .add(shop_order::Column::IdempotencyKey.is_in(keys)),
        );
    }
    let rows: Vec<(Uuid, String, Option<String>)> = shop_order::Entity::find()
        .select_only()
        .column(shop_order::Column::AggregatorId)
        .column(shop_order::Column::ClientKey)
        .column(shop_order::Column::IdempotencyKey)
        .filter(any)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn find_by_key(
    app: &AppState,
    agg: Uuid,
    client_key: &str,
    key: &str,
) -> ApiResult<Option<shop_order::Model>> {
    Ok(shop_order::Entity::find()
        .filter(shop_order::Column::AggregatorId.eq(agg))
        .filter(shop_order::Column::ClientKey.eq(client_key))
        .filter(shop_order::Column::IdempotencyKey.eq(key))
        .one(&app.db)
        .await?)
}

fn replay(existing: shop_order::Model, hash: &str) -> ApiResult<Placed> {
    if existing.request_hash != hash {
        return Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used with a different order".into(),
            details: serde_json::json!({}),
        });
    }
    Ok(Placed {
        order: existing,
        replayed: true,
        written: None,
    })
}

/// Reads the personal data of an order (None once purged).
///
/// # Errors
/// A record that no longer decrypts (wrong key).
pub fn buyer_of(app: &AppState, o: &shop_order::Model) -> ApiResult<Option<BuyerData>> {
    let Some(sealed) = &o.buyer_data else {
        return Ok(None);
    };
    let plain = privacy::open(&app.settings, sealed).map_err(ApiError::Internal)?;
    Ok(Some(
        serde_json::from_slice(&plain).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}
