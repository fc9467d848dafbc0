//! One module per marketplace API behind one trait ([`Adapter`]), and [`Client`], the adapter
//! of a channel account. An adapter only speaks its API: it is handed what to write, paces
//! every call through the [`Pacer`] it is given (the channel's rate limit, kept in the
//! database), and classifies each failure as [`CallError`] for the sync to act on. It never
//! logs or returns a credential.
pub mod rakuten;
pub mod shopify;

use super::{domain::Kind, vault::Credentials};
use std::{future::Future, time::Duration};
use uuid::Uuid;

/// One absolute stock write.
#[derive(Debug, Clone)]
pub struct StockWrite {
    pub listing_id: Uuid,
    /// The item at the channel (Rakuten manageNumber).
    pub external_id: String,
    /// The variant at the channel (Rakuten variantId, Shopify inventory item GID).
    pub variant_id: String,
    /// The quantity to hold (absolute, never negative).
    pub quantity: i64,
    /// What we believe the channel holds now (the last quantity written), for APIs that
    /// compare before they write (Shopify `changeFromQuantity`).
    pub believed: Option<i64>,
}

/// How one write of a batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The channel holds the quantity.
    Written,
    /// The channel refused this entry, in its own words.
    Rejected(String),
    /// Not written because another entry of the call was refused: try again.
    NotWritten,
}

/// One variant of an item pushed to a channel.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VariantContent {
    #[serde(skip)]
    pub listing_id: Uuid,
    pub variant_id: String,
    pub sku_code: String,
    pub name: String,
    /// Tax-included price in the channel's currency (yen).
    pub price: i64,
    /// The JAN sent as GTIN (never an in-store code).
    pub gtin: Option<String>,
    pub weight_g: i32,
}

/// An item (our product) as a channel is given it; its hash decides whether it is pushed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemContent {
    pub manage_number: String,
    pub title: String,
    pub description: String,
    /// The channel's category (Rakuten genreId, Shopify product type).
    pub category: Option<String>,
    /// 8 or 10.
    pub tax_rate: i16,
    pub variants: Vec<VariantContent>,
}

impl ItemContent {
    /// SHA-256 of the content, hex.
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(
            serde_json::to_vec(self).unwrap_or_default().as_slice(),
        ))
    }
}

/// What the channel calls the pushed item and its variants.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub external_id: String,
    /// (listing id, the variant's id at the channel for stock writes).
    pub variants: Vec<(Uuid, String)>,
}

/// How a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Try again later (5xx, timeout, 429 / THROTTLED); `retry_after` when the channel said.
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// The channel refused the request as such (it will refuse it again), in its own words.
    Rejected(String),
    /// The channel refused our credentials (401/403): the account stops until replaced.
    Auth(String),
}

impl CallError {
    /// A transient failure without a hint of when to retry.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Self::Transient { message, .. } | Self::Rejected(message) | Self::Auth(message) => {
                message
            }
        }
    }
}

/// Waits for the channel's next call slot (the sync's rate limit, shared by every instance
/// through the database) and hears what a channel says about its own pace.
pub trait Pacer: Send + Sync {
    /// Returns when the next call may go out (and counts it).
    fn slot(&self) -> impl Future<Output = Result<(), CallError>> + Send;
    /// The channel asked for a pause of `wait` before the next call (Retry-After, an empty
    /// Shopify cost bucket).
    fn hold_off(&self, wait: Duration) -> impl Future<Output = ()> + Send;
}

/// An order as a channel tells it (normalised; buyer data is personal and never logged).
#[derive(Debug, Clone)]
pub struct RemoteOrder {
    /// The order's number at the channel (Rakuten orderNumber, Shopify order GID).
    pub external_id: String,
    pub status: RemoteStatus,
    /// The channel waits for the shop to confirm the order (Rakuten 100 注文確認待ち).
    pub needs_confirm: bool,
    pub buyer: crate::orders::domain::Contact,
    pub ship_to: Option<crate::orders::domain::Contact>,
    pub lines: Vec<RemoteLine>,
    /// Shipping charged by the channel (tax included, in the 10 % sum).
    pub shipping: i64,
    /// The order's total at the channel (goods and shipping, tax included).
    pub total: i64,
    /// The channel's consumption tax per rate: (8 or 10, tax in yen).
    pub tax: Vec<(i16, i64)>,
    pub currency: String,
    /// What the push-backs need (Rakuten basketIds): no personal data.
    pub remote_ref: serde_json::Value,
    /// Tracking numbers the channel already holds (a push is not repeated).
    pub tracking: Vec<String>,
    /// What the channel keeps of the order (its fees with their tax, yen) when its API says
    /// (Shopify's transaction fees); `None` when it does not (Rakuten bills monthly: its fee
    /// statement is imported as CSV).
    pub fee: Option<i64>,
}

/// An order's state at its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteStatus {
    Open,
    Shipped,
    Cancelled,
}

impl RemoteStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Shipped => "shipped",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One line of a channel order.
#[derive(Debug, Clone)]
pub struct RemoteLine {
    /// The variant at the channel (Rakuten variantId, Shopify inventory item GID).
    pub variant_id: String,
    /// The seller's SKU code the channel holds (Rakuten merchantDefinedSkuId, Shopify sku).
    pub sku_code: String,
    pub title: String,
    pub qty: i64,
    /// Tax-included unit price at the channel.
    pub unit_price: i64,
    /// 8 or 10, as the channel charged it.
    pub tax_rate: i16,
}

/// Why we cancel an order at its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// The stock was gone (Rakuten 8 欠品, Shopify INVENTORY).
    OutOfStock,
    /// Any other reason on the shop's side (Rakuten 10 その他, Shopify OTHER).
    Other,
}

impl CancelReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OutOfStock => "out_of_stock",
            Self::Other => "other",
        }
    }

    /// Reads a stored name (`other` for anything else).
    pub fn parse(s: &str) -> Self {
        if s == "out_of_stock" {
            Self::OutOfStock
        } else {
            Self::Other
        }
    }
}

/// The parcels of a shipped order as a channel is told them.
#[derive(Debug, Clone)]
pub struct Shipment {
    /// Yamato tracking numbers (12 digits), one per parcel.
    pub tracking: Vec<String>,
    /// The day the parcels left (JST).
    pub shipped_on: chrono::NaiveDate,
}

/// What every marketplace adapter does.
pub trait Adapter {
    /// Writes absolute quantities (at most the channel's batch size); one outcome per write,
    /// in order.
    fn set_stock<P: Pacer>(
        &self,
        pacer: &P,
        writes: &[StockWrite],
    ) -> impl Future<Output = Result<Vec<WriteOutcome>, CallError>> + Send;

    /// Creates or replaces an item with its variants.
    fn upsert_item<P: Pacer>(
        &self,
        pacer: &P,
        item: &ItemContent,
    ) -> impl Future<Output = Result<Pushed, CallError>> + Send;

    /// Removes an item from sale at the channel.
    fn delist_item<P: Pacer>(
        &self,
        pacer: &P,
        external_id: &str,
    ) -> impl Future<Output = Result<(), CallError>> + Send;

    /// The numbers of the orders placed or changed from `since` to `until`.
    fn changed_orders<P: Pacer>(
        &self,
        pacer: &P,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = Result<Vec<String>, CallError>> + Send;

    /// The orders numbered `ids` (at most [`ORDERS_PER_READ`]); unknown ones are left out.
    fn get_orders<P: Pacer>(
        &self,
        pacer: &P,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<RemoteOrder>, CallError>> + Send;

    /// Tells the channel the shop has seen the orders (Rakuten confirmOrder; a no-op where
    /// the channel has no such step).
    fn confirm_orders<P: Pacer>(
        &self,
        pacer: &P,
        ids: &[String],
    ) -> impl Future<Output = Result<(), CallError>> + Send;

    /// Cancels an order at the channel for `reason` (the stock is ours to write: the channel
    /// is told not to restore its own).
    fn cancel_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        reason: CancelReason,
    ) -> impl Future<Output = Result<(), CallError>> + Send;

    /// Tells the channel the order left with these tracking numbers.
    fn ship_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        shipment: &Shipment,
    ) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// Orders read per call (Rakuten getOrder: at most 100 numbers).
pub const ORDERS_PER_READ: usize = 100;

/// The adapter of one channel account.
pub enum Client {
    Rakuten(rakuten::Rakuten),
    Shopify(shopify::Shopify),
}

impl Client {
    /// The adapter for an account of `kind` at `base_url` with `creds`.
    pub fn new(
        http: reqwest::Client,
        kind: Kind,
        base_url: &str,
        api_version: Option<&str>,
        location_id: Option<&str>,
        creds: Credentials,
    ) -> Self {
        match kind {
            Kind::Rakuten => Self::Rakuten(rakuten::Rakuten::new(http, base_url, creds)),
            Kind::Shopify => Self::Shopify(shopify::Shopify::new(
                http,
                base_url,
                api_version
                    .or(Kind::Shopify.default_api_version())
                    .unwrap_or("2026-10"),
                location_id.unwrap_or_default(),
                creds,
            )),
        }
    }
}

impl Adapter for Client {
    async fn set_stock<P: Pacer>(
        &self,
        pacer: &P,
        writes: &[StockWrite],
    ) -> Result<Vec<WriteOutcome>, CallError> {
        match self {
            Self::Rakuten(c) => c.set_stock(pacer, writes).await,
            Self::Shopify(c) => c.set_stock(pacer, writes).await,
        }
    }

    async fn upsert_item<P: Pacer>(
        &self,
        pacer: &P,
        item: &ItemContent,
    ) -> Result<Pushed, CallError> {
        match self {
            Self::Rakuten(c) => c.upsert_item(pacer, item).await,
            Self::Shopify(c) => c.upsert_item(pacer, item).await,
        }
    }

    async fn delist_item<P: Pacer>(&self, pacer: &P, external_id: &str) -> Result<(), CallError> {
        match self {
            Self::Rakuten(c) => c.delist_item(pacer, external_id).await,
            Self::Shopify(c) => c.delist_item(pacer, external_id).await,
        }
    }

    async fn changed_orders<P: Pacer>(
        &self,
        pacer: &P,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, CallError> {
        match self {
            Self::Rakuten(c) => c.changed_orders(pacer, since, until).await,
            Self::Shopify(c) => c.changed_orders(pacer, since, until).await,
        }
    }

    async fn get_orders<P: Pacer>(
        &self,
        pacer: &P,
        ids: &[String],
    ) -> Result<Vec<RemoteOrder>, CallError> {
        match self {
            Self::Rakuten(c) => c.get_orders(pacer, ids).await,
            Self::Shopify(c) => c.get_orders(pacer, ids).await,
        }
    }

    async fn confirm_orders<P: Pacer>(&self, pacer: &P, ids: &[String]) -> Result<(), CallError> {
        match self {
            Self::Rakuten(c) => c.confirm_orders(pacer, ids).await,
            Self::Shopify(c) => c.confirm_orders(pacer, ids).await,
        }
    }

    async fn cancel_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        reason: CancelReason,
    ) -> Result<(), CallError> {
        match self {
            Self::Rakuten(c) => c.cancel_order(pacer, order, reason).await,
            Self::Shopify(c) => c.cancel_order(pacer, order, reason).await,
        }
    }

    async fn ship_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        shipment: &Shipment,
    ) -> Result<(), CallError> {
        match self {
            Self::Rakuten(c) => c.ship_order(pacer, order, shipment).await,
            Self::Shopify(c) => c.ship_order(pacer, order, shipment).await,
        }
    }
}

/// A money amount of a channel's answer: a JSON number or a decimal string (`"1200"`,
/// `"1200.00"`), in whole yen (rounded).
pub fn amount(v: Option<&serde_json::Value>) -> i64 {
    match v {
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .unwrap_or_else(|| n.as_f64().unwrap_or(0.0).round() as i64),
        Some(serde_json::Value::String(s)) => {
            s.trim().parse::<f64>().map_or(0, |f| f.round() as i64)
        }
        _ => 0,
    }
}

/// A tax rate of a channel's answer (`0.08`, `"0.1"`, `8`, `10`) as 8 or 10.
pub fn tax_rate(v: Option<&serde_json::Value>) -> i16 {
    let f = match v {
        Some(serde_json::Value::Number(n)) => n.as_f64().unwrap_or(0.1),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().unwrap_or(0.1),
        _ => 0.1,
    };
    let pct = if f < 1.0 { f * 100.0 } else { f };
    if (pct - 8.0).abs() < 0.5 { 8 } else { 10 }
}

/// Classifies a transport failure: every one may be retried (the writes are absolute, so a
/// write that landed before its answer was lost is harmless to repeat).
pub fn transport_error(e: &reqwest::Error) -> CallError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    CallError::transient(format!("{what}: {}", without_url(e)))
}

/// A reqwest error's text without its URL (which may carry a shop name, never a secret, but
/// keeps messages short).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "");
    }
    s
}

/// The `Retry-After` seconds of a response, when given.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_millis((s.min(3600.0) * 1000.0) as u64))
}

/// `code message` of one error object of a channel's answer (Rakuten `errors[]`, Shopify
/// `userErrors[]`), in the channel's own words.
pub fn code_message(e: &serde_json::Value) -> String {
    let field = |k: &str| e.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
    format!("{} {}", field("code"), field("message"))
        .trim()
        .to_string()
}

/// At most `n` characters of a channel's answer (kept as its own words for operators).
pub fn clip(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}
