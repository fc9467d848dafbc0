//! The order's vocabulary: its three independent statuses (DESIGN.md §4) and the transitions
//! between them, its source and payment method, the buyer's contacts, and the rules about
//! them that every source of orders shares. Pure: no I/O.
pub use entity::order_status::{
    FulfilmentStatus, OrderSource, OrderStatus, ParcelStatus, PaymentMethod, PaymentStatus,
};
use entity::shop_order;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Yamato delivery time slots (DOMAIN-JP.md §4).
pub const TIME_SLOTS: [&str; 5] = ["0812", "1416", "1618", "1820", "1921"];

/// Fulfilment states from which an order can still be cancelled (nothing has left).
pub const CANCELLABLE: [FulfilmentStatus; 3] = [
    FulfilmentStatus::Unfulfilled,
    FulfilmentStatus::Picking,
    FulfilmentStatus::Packed,
];

/// Payment states of an order that may be marked paid (by staff, the bank statement or the
/// card provider's webhook).
pub const PAYABLE: [PaymentStatus; 2] = [PaymentStatus::Pending, PaymentStatus::CashOnDelivery];

/// Payment states in which money was received (a receipt is a paid receipt, not a quote).
pub const MONEY_RECEIVED: [PaymentStatus; 3] = [
    PaymentStatus::Paid,
    PaymentStatus::Refunded,
    PaymentStatus::PartiallyRefunded,
];

/// Whether the order can be cancelled (open, nothing shipped).
pub fn cancellable(o: &shop_order::Model) -> bool {
    o.status == OrderStatus::Open && CANCELLABLE.contains(&o.fulfilment_status)
}

/// Whether an open order still waits for its money (its payment deadline applies).
pub fn awaiting_payment(o: &shop_order::Model) -> bool {
    o.status == OrderStatus::Open && o.payment_status == PaymentStatus::Pending
}

/// The payment status of a newly placed order: cash on delivery is a firm order at once;
/// the others wait for the money.
pub fn initial_payment(method: PaymentMethod) -> PaymentStatus {
    match method {
        PaymentMethod::CashOnDelivery => PaymentStatus::CashOnDelivery,
        PaymentMethod::BankTransfer | PaymentMethod::Card => PaymentStatus::Pending,
        // The marketplace took the money before it passed the order on.
        PaymentMethod::Marketplace => PaymentStatus::Paid,
    }
}

/// Whether producers hear of the sale when the order is placed (cash on delivery) rather than
/// when it is paid.
pub fn firm_when_placed(method: PaymentMethod) -> bool {
    matches!(
        method,
        PaymentMethod::CashOnDelivery | PaymentMethod::Marketplace
    )
}

/// The payment status after `refunded` of `grand_total` went back.
pub fn after_refund(refunded: i64, grand_total: i64) -> PaymentStatus {
    if refunded >= grand_total {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    }
}

/// Shipping, cool, surcharge and cash-on-delivery fees of an order (all in the 10 % sum).
pub fn order_fees(o: &shop_order::Model) -> i64 {
    o.shipping_total + o.cool_total + o.surcharge_total + o.cod_fee
}

/// Why staff must look at an order (stored on it as a JSON list; not a status: the order keeps
/// its three statuses). `code` is stable ([`attention`]), `detail` says what in words.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Attention {
    pub code: String,
    pub detail: String,
}

/// The attention codes.
pub mod attention {
    /// A channel order arrived for stock already gone: nothing is reserved, it cannot be
    /// picked; staff cancel it on the channel (or receive stock and re-place it).
    pub const OVERSOLD: &str = "oversold";
    /// The buyer's name is one the shop would refuse (romaji, emoji): kept as the channel
    /// sent it, to be checked before the label is printed.
    pub const BUYER_NAME: &str = "buyer_name";
}

/// The attention list of an order (empty when none, or unreadable).
pub fn attention_of(o: &shop_order::Model) -> Vec<Attention> {
    attention_of_text(o.attention.as_deref())
}

/// The attention list of its stored form.
pub fn attention_of_text(text: Option<&str>) -> Vec<Attention> {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// The stored form of `list` (None when empty).
pub fn attention_text(list: &[Attention]) -> Option<String> {
    (!list.is_empty()).then(|| serde_json::to_string(list).unwrap_or_default())
}

/// Whether `o` is flagged `code`.
pub fn has_attention(o: &shop_order::Model, code: &str) -> bool {
    attention_of(o).iter().any(|a| a.code == code)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refunds_move_the_payment_status() {
        assert_eq!(after_refund(500, 1000), PaymentStatus::PartiallyRefunded);
        assert_eq!(after_refund(1000, 1000), PaymentStatus::Refunded);
        assert_eq!(
            initial_payment(PaymentMethod::CashOnDelivery),
            PaymentStatus::CashOnDelivery
        );
        assert_eq!(initial_payment(PaymentMethod::Card), PaymentStatus::Pending);
    }

    #[test]
    fn stored_names_round_trip() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(*s));
        }
        for s in FulfilmentStatus::ALL {
            assert_eq!(FulfilmentStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(OrderStatus::parse("nope"), None);
    }
}
