//! The analytics area's event subscribers: the rollup follows the order core.
use super::rollup;
use crate::{
    jobs::{Delivery, Registry},
    orders::events::{OrderReturned, ParcelShipped},
};

/// The subscriber that keeps the daily sales rollup.
pub const ROLLUP: &str = "analytics.rollup";

/// Registers the subscribers.
pub fn register(reg: &mut Registry) {
    reg.subscribe(ROLLUP, |app, d: Delivery<ParcelShipped>| {
        rollup::on_parcel_shipped(app, d)
    });
    reg.subscribe(ROLLUP, |app, d: Delivery<OrderReturned>| {
        rollup::on_returned(app, d)
    });
}
