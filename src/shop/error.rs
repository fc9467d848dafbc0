//! The shop's refusals of a checkout, each with its stable code (defined here once). They are
//! 422 with `details.field` naming the line or field concerned (the cart page shows them there).
/// Why checkout refused a cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The shop does not take this payment method (or cards are not configured).
    PaymentMethodUnavailable,
    /// Over a per-line, per-order units or per-order yen limit.
    OverLimit,
    /// A cash-on-delivery slip would collect more than one slip may (¥300,000).
    CodOverLimit,
    /// The item is not for sale (not listed, inactive, another shop's).
    NotSellable,
    /// The producer is closed (holiday, ferry or typhoon closure).
    ProducerClosed,
    /// Alcohol without the shop's mail-order liquor licence.
    AlcoholNotSold,
    /// Alcohol without the buyer's 20+ confirmation.
    AgeConfirmationRequired,
    /// Plant quarantine forbids this origin → destination without a certificate.
    QuarantineRestricted,
}

impl Refusal {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::PaymentMethodUnavailable => "payment_method_unavailable",
            Self::OverLimit => "over_limit",
            Self::CodOverLimit => "cod_over_limit",
            Self::NotSellable => "not_sellable",
            Self::ProducerClosed => "producer_closed",
            Self::AlcoholNotSold => "alcohol_not_sold",
            Self::AgeConfirmationRequired => "age_confirmation_required",
            Self::QuarantineRestricted => "quarantine_restricted",
        }
    }
}

/// 409 `shop_not_configured`: the seller disclosure (特商法) is incomplete.
pub const SHOP_NOT_CONFIGURED: &str = "shop_not_configured";
/// 409 `price_changed`: the total is no longer the previewed one.
pub const PRICE_CHANGED: &str = "price_changed";
