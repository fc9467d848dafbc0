//! The order core's job kinds, schedules and event subscribers: the buyer's emails and the
//! producers' sold notices follow the order events; unpaid orders expire; buyer data is purged.
use super::{
    domain::{self, PaymentStatus},
    events::{
        OrderCancelled, OrderPaid, OrderPlaced, OrderRefunded, OrderReturned, OrderShipped,
        RefundRoute,
    },
    notify,
};
use crate::jobs::{Delivery, Every, Job, JobError, Registry};
use serde::{Deserialize, Serialize};

/// Cancel bank-transfer and card orders left unpaid past their deadline
/// (`orders.expire_unpaid`, every 5 minutes).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExpireUnpaid {}

impl Job for ExpireUnpaid {
    const KIND: &'static str = "orders.expire_unpaid";
}

/// Erase buyer personal data of orders past the retention period (`orders.purge_personal`,
/// daily).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgePersonal {}

impl Job for PurgePersonal {
    const KIND: &'static str = "orders.purge_personal";
}

/// The daily "sold" digest for producers who chose it (`orders.sold_digest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SoldDigest {}

impl Job for SoldDigest {
    const KIND: &'static str = "orders.sold_digest";
}

/// The subscriber that emails buyers.
pub const BUYER_EMAIL: &str = "orders.buyer_email";
/// The subscriber that tells producers what they sold.
pub const SOLD_NOTICE: &str = "orders.sold_notice";

fn key<E>(d: &Delivery<E>) -> String {
    format!("event:{}:{}", d.event_id, d.subscriber)
}

/// Registers the kinds, schedules and subscribers.
pub fn register(reg: &mut Registry) {
    reg.job(|app, _: ExpireUnpaid, _| async move {
        super::service::expire_unpaid(&app)
            .await
            .map(|_| ())
            .map_err(JobError::from)
    });
    reg.job(|app, _: PurgePersonal, _| async move {
        super::service::purge_personal(&app)
            .await
            .map(|_| ())
            .map_err(JobError::from)
    });
    reg.job(|app, _: SoldDigest, job| async move {
        let key = job.dedupe_key.clone().unwrap_or_else(|| job.id.to_string());
        super::sales::digest(&app, &key).await
    });
    reg.schedule::<ExpireUnpaid>("expire-unpaid-orders-5min", Every::FiveMinutes);
    reg.schedule::<PurgePersonal>("daily-purge-buyer-data", Every::Day);
    reg.schedule::<SoldDigest>("daily-sold-digest", Every::Day);

    reg.subscribe(BUYER_EMAIL, |app, d: Delivery<OrderPlaced>| async move {
        notify::send(&app, d.event.order_id, notify::CONFIRMATION, &key(&d)).await
    });
    reg.subscribe(BUYER_EMAIL, |app, d: Delivery<OrderCancelled>| async move {
        notify::send(&app, d.event.order_id, notify::CANCELLED, &key(&d)).await
    });
    reg.subscribe(BUYER_EMAIL, |app, d: Delivery<OrderShipped>| async move {
        notify::send(&app, d.event.order_id, notify::SHIPPED, &key(&d)).await
    });
    reg.subscribe(BUYER_EMAIL, |app, d: Delivery<OrderRefunded>| async move {
        notify::send(&app, d.event.order_id, notify::REFUNDED, &key(&d)).await
    });
    // A refund owed (bank transfer, cash on delivery) is told at once; a card refund when the
    // provider has paid it (OrderRefunded).
    reg.subscribe_when(
        BUYER_EMAIL,
        |e: &OrderReturned| e.route == RefundRoute::Owed && e.refund_total > 0,
        |app, d: Delivery<OrderReturned>| async move {
            notify::send(&app, d.event.order_id, notify::REFUNDED, &key(&d)).await
        },
    );
    // Producers hear of a sale once it is paid (cash on delivery: when placed).
    reg.subscribe_when(
        SOLD_NOTICE,
        |e: &OrderPlaced| domain::firm_when_placed(e.payment_method),
        |app, d: Delivery<OrderPlaced>| async move {
            super::sales::per_order(&app, d.event.order_id, &key(&d)).await
        },
    );
    reg.subscribe_when(
        SOLD_NOTICE,
        |e: &OrderPaid| e.was == PaymentStatus::Pending,
        |app, d: Delivery<OrderPaid>| async move {
            super::sales::per_order(&app, d.event.order_id, &key(&d)).await
        },
    );
}
