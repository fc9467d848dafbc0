//! The money area's event subscribers: the ledger books what the order core tells it.
use super::booking;
use crate::{
    jobs::{Delivery, Registry},
    orders::events::{
        OrderPaid, OrderRefunded, OrderReturned, OrderShipped, ParcelShipped, RefundDue,
    },
};

/// The subscriber that books the order core's money events in the ledger.
pub const LEDGER: &str = "money.ledger";

/// Registers the subscribers.
pub fn register(reg: &mut Registry) {
    reg.subscribe(LEDGER, |app, d: Delivery<ParcelShipped>| {
        booking::on_parcel_shipped(app, d)
    });
    reg.subscribe(LEDGER, |app, d: Delivery<OrderShipped>| {
        booking::on_order_shipped(app, d)
    });
    reg.subscribe(LEDGER, |app, d: Delivery<OrderReturned>| {
        booking::on_returned(app, d)
    });
    reg.subscribe_when(
        LEDGER,
        booking::books_refund_due,
        |app, d: Delivery<RefundDue>| booking::on_refund_due(app, d),
    );
    reg.subscribe(LEDGER, |app, d: Delivery<OrderRefunded>| {
        booking::on_refunded(app, d)
    });
    reg.subscribe(
        LEDGER,
        |app, d: Delivery<crate::inventory::events::StockLost>| booking::on_stock_lost(app, d),
    );
    reg.subscribe_when(
        LEDGER,
        booking::books_payment,
        |app, d: Delivery<OrderPaid>| booking::on_paid(app, d),
    );
}
