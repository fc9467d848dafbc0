//! The channels' vocabulary: kinds of channel, account and listing states, the settings
//! document of an account (rate limit, batch size, stock buffer, price rule, category map, what
//! is offered) with the defaults of each kind from DOMAIN-JP.md §5, the credentials each kind
//! needs, and the rules about prices, quantities and GTINs. Pure: no I/O.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The kinds of channel the application can speak to. The list is open: a later adapter adds
/// its kind here and its module under `adapters/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Rakuten Ichiba through RMS WEB SERVICE (ESA auth, Inventory/Item API 2.0).
    Rakuten,
    /// A Shopify store through the Admin GraphQL API.
    Shopify,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rakuten => "rakuten",
            Self::Shopify => "shopify",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rakuten" => Some(Self::Rakuten),
            "shopify" => Some(Self::Shopify),
            _ => None,
        }
    }

    /// The documented base URL of the kind's API (a real account's default).
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::Rakuten => "https://api.rms.rakuten.co.jp",
            Self::Shopify => "",
        }
    }

    /// The API version a new account uses when none is given (Shopify: the newest stable
    /// version; each is supported about 12 months).
    pub fn default_api_version(self) -> Option<&'static str> {
        match self {
            Self::Rakuten => None,
            Self::Shopify => Some("2026-10"),
        }
    }

    /// The limits DOMAIN-JP.md §5 documents: milliseconds between calls and entries per stock
    /// write (Rakuten bulk-upsert: 400 at about 1 request/second; Shopify
    /// `inventorySetQuantities`: 250 quantities, paced by the cost bucket on top).
    pub fn default_limits(self) -> (u32, u32) {
        match self {
            Self::Rakuten => (1000, 400),
            Self::Shopify => (500, 250),
        }
    }

    /// Credential fields the kind may also hold: Shopify's expiring offline tokens (an access
    /// token of one hour with a refresh token, refreshed with the app's client id and secret;
    /// `access_token_expires_at` is RFC 3339).
    pub fn optional_credential_fields(self) -> &'static [&'static str] {
        match self {
            Self::Rakuten => &[],
            Self::Shopify => &[
                "client_id",
                "client_secret",
                "refresh_token",
                "access_token_expires_at",
            ],
        }
    }

    /// The credential fields the kind needs.
    pub fn credential_fields(self) -> &'static [&'static str] {
        match self {
            Self::Rakuten => &["service_secret", "license_key"],
            Self::Shopify => &["access_token", "webhook_secret"],
        }
    }
}

/// A channel account's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Syncing.
    Active,
    /// Stopped by an operator (nothing is sent; changes are kept and sent on resume).
    Paused,
    /// The channel refused our credentials (401/403): stopped until they are replaced.
    AuthFailed,
}

impl State {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::AuthFailed => "auth_failed",
        }
    }

    /// Reads a stored name (unknown names read as paused: nothing is sent).
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "auth_failed" => Self::AuthFailed,
            _ => Self::Paused,
        }
    }
}

/// A listing's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingState {
    /// Waiting for its first push (or for the channel to accept it).
    Pending,
    /// On sale at the channel.
    Live,
    /// The channel refused the content (see `last_error`).
    Rejected,
    /// Not sellable now (closure, paused product, suspended producer, no stock left in date):
    /// its quantity at the channel is 0.
    Paused,
    /// Removed from the channel (product retired or no longer offered).
    Delisted,
}

impl ListingState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Live => "live",
            Self::Rejected => "rejected",
            Self::Paused => "paused",
            Self::Delisted => "delisted",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "live" => Self::Live,
            "rejected" => Self::Rejected,
            "paused" => Self::Paused,
            "delisted" => Self::Delisted,
            _ => return None,
        })
    }

    /// Every state, in the order the pages show them.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Live,
        Self::Rejected,
        Self::Paused,
        Self::Delisted,
    ];
}

/// How a channel price is rounded after the markup (always upwards, to whole yen at least).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// To the yen.
    #[default]
    Yen1,
    /// Up to the next 10 yen.
    Yen10,
    /// Up to the next 100 yen.
    Yen100,
}

/// How the channel price follows the shop price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PriceRule {
    /// Markup on the shop's tax-included price in basis points (-5000 … 20000; 1,000 = +10 %).
    pub markup_bp: i32,
    pub rounding: Rounding,
    /// A negative markup may price below the shop only when this is set.
    pub allow_below_shop: bool,
}

impl PriceRule {
    /// The channel's tax-included price for a shop price of `shop_yen`.
    pub fn apply(&self, shop_yen: i64) -> i64 {
        let raw = shop_yen * (10_000 + i64::from(self.markup_bp));
        // Ceiling division: the markup never loses a yen to truncation.
        let mut yen = (raw + 9_999).div_euclid(10_000);
        let step = match self.rounding {
            Rounding::Yen1 => 1,
            Rounding::Yen10 => 10,
            Rounding::Yen100 => 100,
        };
        yen = (yen + step - 1).div_euclid(step) * step;
        if !self.allow_below_shop {
            yen = yen.max(shop_yen);
        }
        yen.max(1)
    }
}

/// Which products a channel offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum OfferMode {
    /// Every sellable product.
    #[default]
    All,
    /// Sellable products of the listed categories.
    Categories,
    /// The listed products (when sellable).
    Products,
}

/// What a channel offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Offer {
    pub mode: OfferMode,
    pub categories: Vec<String>,
    pub product_ids: Vec<Uuid>,
}

impl Offer {
    /// Whether a product of `category` with `product_id` is offered.
    pub fn includes(&self, product_id: Uuid, category: &str) -> bool {
        match self.mode {
            OfferMode::All => true,
            OfferMode::Categories => self.categories.iter().any(|c| c == category),
            OfferMode::Products => self.product_ids.contains(&product_id),
        }
    }
}

/// A channel account's settings document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelSettings {
    /// Milliseconds between two calls to the channel (its rate limit).
    pub call_interval_ms: u32,
    /// Entries per stock write.
    pub stock_batch: u32,
    /// Units held back from the channel (per SKU; a listing may override it).
    pub stock_buffer: i64,
    pub price: PriceRule,
    /// Our category code → the channel's category (Rakuten `genreId`, 6 digits).
    pub category_map: BTreeMap<String, String>,
    pub offer: Offer,
    /// Shopify: the location (GID) whose quantities we set.
    pub location_id: Option<String>,
    /// Seconds between two looks for new and changed orders (Rakuten: the only way orders
    /// arrive; Shopify: the reconciliation behind the webhooks).
    #[serde(default = "default_order_poll")]
    pub order_poll_seconds: u32,
}

fn default_order_poll() -> u32 {
    60
}

impl ChannelSettings {
    /// The defaults of `kind`.
    pub fn defaults(kind: Kind) -> Self {
        let (call_interval_ms, stock_batch) = kind.default_limits();
        Self {
            call_interval_ms,
            stock_batch,
            stock_buffer: 0,
            price: PriceRule::default(),
            category_map: BTreeMap::new(),
            offer: Offer::default(),
            location_id: None,
            order_poll_seconds: match kind {
                Kind::Rakuten => 60,
                Kind::Shopify => 300,
            },
        }
    }

    /// Every problem of these settings for `kind`, as (field, message).
    pub fn problems(&self, kind: Kind) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let (_, max_batch) = kind.default_limits();
        if !(100..=60_000).contains(&self.call_interval_ms) {
            out.push((
                "settings.call_interval_ms".into(),
                "must be 100-60000 milliseconds".into(),
            ));
        }
        if self.stock_batch == 0 || self.stock_batch > max_batch {
            out.push((
                "settings.stock_batch".into(),
                format!("must be 1-{max_batch} (the channel's own limit)"),
            ));
        }
        if !(1..=86_400).contains(&self.order_poll_seconds) {
            out.push((
                "settings.order_poll_seconds".into(),
                "must be 1-86400 seconds".into(),
            ));
        }
        if !(0..=100_000).contains(&self.stock_buffer) {
            out.push(("settings.stock_buffer".into(), "must be 0-100000".into()));
        }
        if !(-5_000..=20_000).contains(&self.price.markup_bp) {
            out.push((
                "settings.price.markup_bp".into(),
                "must be -5000 to 20000 basis points".into(),
            ));
        }
        if self.price.markup_bp < 0 && !self.price.allow_below_shop {
            out.push((
                "settings.price.markup_bp".into(),
                "a negative markup prices below the shop: set allow_below_shop".into(),
            ));
        }
        for (ours, theirs) in &self.category_map {
            let ok = match kind {
                Kind::Rakuten => theirs.len() == 6 && theirs.bytes().all(|b| b.is_ascii_digit()),
                Kind::Shopify => !theirs.trim().is_empty() && theirs.len() <= 255,
            };
            if !ok {
                out.push((
                    format!("settings.category_map.{ours}"),
                    match kind {
                        Kind::Rakuten => "must be a 6-digit Rakuten genreId".into(),
                        Kind::Shopify => "must be a product type of 1-255 characters".into(),
                    },
                ));
            }
        }
        if self.offer.mode == OfferMode::Categories && self.offer.categories.is_empty() {
            out.push((
                "settings.offer.categories".into(),
                "name at least one category".into(),
            ));
        }
        if self.offer.mode == OfferMode::Products && self.offer.product_ids.is_empty() {
            out.push((
                "settings.offer.product_ids".into(),
                "name at least one product".into(),
            ));
        }
        if kind == Kind::Shopify
            && !self
                .location_id
                .as_deref()
                .is_some_and(|l| l.starts_with("gid://shopify/Location/"))
        {
            out.push((
                "settings.location_id".into(),
                "must be the Shopify location GID (gid://shopify/Location/…)".into(),
            ));
        }
        out
    }
}

/// The absolute quantity a channel is given: what is available less the buffer, never below 0
/// (0 when the listing is not sellable).
pub fn channel_quantity(available: i64, buffer: i64, sellable: bool) -> i64 {
    if sellable {
        (available - buffer).max(0)
    } else {
        0
    }
}

/// The GTIN a channel may be sent for a SKU: its JAN unless it is an in-store code (02, 20–29),
/// which is never sent out.
pub fn gtin(jan: Option<&str>, local_only: bool) -> Option<&str> {
    match jan {
        Some(j) if !local_only && !is_in_store(j) => Some(j),
        _ => None,
    }
}

fn is_in_store(jan: &str) -> bool {
    jan.starts_with("02") || jan.starts_with('2')
}

/// A channel's stable id for a product (Rakuten manageNumber: up to 32 of a-z, 0-9, `-`, `_`).
pub fn manage_number(product_id: Uuid) -> String {
    product_id.simple().to_string()
}

/// A channel's stable id for a SKU (Rakuten variantId).
pub fn variant_id(sku_id: Uuid) -> String {
    sku_id.simple().to_string()
}

/// Whether `url` can be a channel's base URL (http or https, a host, no credentials in it).
pub fn base_url_ok(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.username().is_empty()
            && u.password().is_none()
            && u.query().is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_rounds_up_and_never_below_the_shop() {
        let r = PriceRule {
            markup_bp: 1000,
            rounding: Rounding::Yen10,
            allow_below_shop: false,
        };
        assert_eq!(r.apply(1_080), 1_190); // 1,188 → 1,190
        let r = PriceRule {
            markup_bp: 333,
            ..PriceRule::default()
        };
        assert_eq!(r.apply(1_000), 1_034); // 1,033.3 → 1,034
        let below = PriceRule {
            markup_bp: -1000,
            rounding: Rounding::Yen1,
            allow_below_shop: false,
        };
        assert_eq!(below.apply(1_000), 1_000);
        let allowed = PriceRule {
            allow_below_shop: true,
            ..below
        };
        assert_eq!(allowed.apply(1_000), 900);
    }

    #[test]
    fn quantities_are_absolute_and_never_negative() {
        assert_eq!(channel_quantity(10, 2, true), 8);
        assert_eq!(channel_quantity(1, 2, true), 0);
        assert_eq!(channel_quantity(10, 0, false), 0);
    }

    #[test]
    fn in_store_codes_are_never_sent_as_gtin() {
        assert_eq!(gtin(Some("4901234567894"), false), Some("4901234567894"));
        assert_eq!(gtin(Some("0212345678905"), false), None);
        assert_eq!(gtin(Some("2512345678901"), false), None);
        assert_eq!(gtin(Some("4901234567894"), true), None);
        assert_eq!(gtin(None, false), None);
    }

    #[test]
    fn settings_problems_name_fields() {
        let mut s = ChannelSettings::defaults(Kind::Rakuten);
        assert!(s.problems(Kind::Rakuten).is_empty());
        s.stock_batch = 401;
        s.category_map.insert("seafood".into(), "12345".into());
        let p = s.problems(Kind::Rakuten);
        assert!(p.iter().any(|(f, _)| f == "settings.stock_batch"));
        assert!(p.iter().any(|(f, _)| f == "settings.category_map.seafood"));
        let shop = ChannelSettings::defaults(Kind::Shopify);
        assert!(
            shop.problems(Kind::Shopify)
                .iter()
                .any(|(f, _)| f == "settings.location_id")
        );
    }

    #[test]
    fn base_urls_are_plain_http_or_https() {
        assert!(base_url_ok("https://api.rms.rakuten.co.jp"));
        assert!(base_url_ok("http://127.0.0.1:4000/"));
        assert!(!base_url_ok("ftp://x"));
        assert!(!base_url_ok("https://user:pw@x.example"));
        assert!(!base_url_ok("not a url"));
    }
}
