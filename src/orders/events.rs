//! What the order core tells the rest of the application, as domain events recorded in the
//! transaction of the change ([`crate::jobs::events`]). Ids, amounts and codes only: never the
//! buyer's personal data.
use super::domain::{OrderSource, PaymentMethod, PaymentStatus};
use crate::jobs::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! order_event {
    ($name:ident, $kind:literal) => {
        impl Event for $name {
            const KIND: &'static str = $kind;
            fn aggregator_id(&self) -> Option<Uuid> {
                Some(self.aggregator_id)
            }
            fn subject_id(&self) -> Option<Uuid> {
                Some(self.order_id)
            }
        }
    };
}

/// An order was placed (from any source); its stock is reserved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub source: OrderSource,
    pub payment_method: PaymentMethod,
    pub grand_total: i64,
}
order_event!(OrderPlaced, "orders.placed");

/// An order's money arrived (bank transfer seen, card confirmed, cash collected).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderPaid {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    /// The payment status before: `pending` (paid in advance) or `cash_on_delivery`.
    pub was: PaymentStatus,
}
order_event!(OrderPaid, "orders.paid");

/// One parcel left the warehouse with its tracking number (a sale is booked per parcel).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParcelShipped {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub parcel_seq: i32,
}
order_event!(ParcelShipped, "orders.parcel_shipped");

/// The last parcel of an order left: the order is shipped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderShipped {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
}
order_event!(OrderShipped, "orders.shipped");

/// The order was delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderDelivered {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
}
order_event!(OrderDelivered, "orders.delivered");

/// The order was cancelled before it shipped; its stock is released. `refund` is what was
/// already paid and goes back (0 when nothing was paid).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderCancelled {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub payment_method: PaymentMethod,
    pub refund: i64,
    /// The refund's key (once per refund at the provider and in the books).
    pub refund_key: String,
}
order_event!(OrderCancelled, "orders.cancelled");

/// How a return's money goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundRoute {
    /// Nothing was paid: nothing to give back.
    None,
    /// Through the card provider (pending until it answers).
    Card,
    /// Owed to the buyer, paid back by bank transfer.
    Owed,
}

/// Units of shipped lines came back (restocked or disposed), with their refund.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderReturned {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub batch_id: Uuid,
    pub refund_total: i64,
    pub refund_tax8: i64,
    pub refund_tax10: i64,
    pub route: RefundRoute,
    /// The refund's key (once per refund at the provider and in the books).
    pub refund_key: String,
}
order_event!(OrderReturned, "orders.returned");

/// A refund was paid out by the card provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderRefunded {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub amount: i64,
    pub key: String,
    /// Paid back by bank transfer in a payout run (the money area booked it already), not by
    /// the card provider.
    #[serde(default)]
    pub via_payout: bool,
}
order_event!(OrderRefunded, "orders.refunded");

/// Money the buyer paid must go back (a paid order cancelled, returned goods, a payment that
/// arrived after the order was cancelled). It is recorded as owed on the order; a card payment
/// goes back through the provider (the payments area follows this event).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundDue {
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub payment_method: PaymentMethod,
    pub amount: i64,
    /// Once per refund at the provider and in the books.
    pub key: String,
    /// The return rows it settles, for a return.
    pub batch_id: Option<Uuid>,
}
order_event!(RefundDue, "orders.refund_due");
