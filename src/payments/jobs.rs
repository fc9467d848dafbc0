//! The payments area's event subscribers.
use crate::{
    jobs::{Delivery, Registry},
    orders::{domain::PaymentMethod, events::RefundDue},
};

/// The subscriber that pays card refunds back through the provider.
pub const CARD_REFUND: &str = "payments.card_refund";

/// Registers the subscribers.
pub fn register(reg: &mut Registry) {
    reg.subscribe_when(
        CARD_REFUND,
        |e: &RefundDue| e.payment_method == PaymentMethod::Card && e.amount > 0,
        |app, d: Delivery<RefundDue>| async move { super::refunds::refund(&app, &d.event).await },
    );
}
