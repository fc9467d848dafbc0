//! The shop and order core's job kinds and schedules.
use crate::jobs::{Every, Job, JobError, Registry};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Cancel bank-transfer and card orders left unpaid past their deadline
/// (`shop.expire_unpaid`, every 5 minutes).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExpireUnpaid {}

impl Job for ExpireUnpaid {
    const KIND: &'static str = "shop.expire_unpaid";
}

/// Erase buyer personal data of orders past the retention period (`shop.purge_personal`, daily).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgePersonal {}

impl Job for PurgePersonal {
    const KIND: &'static str = "shop.purge_personal";
}

/// Email the buyer about an order event (`shop.order_email`). The payload names only the
/// order and the event; the address is read from the encrypted order when sending.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderEmail {
    pub order_id: Uuid,
    pub event: String,
}

impl Job for OrderEmail {
    const KIND: &'static str = "shop.order_email";
}

/// Email each producer of an order who wants a "sold" email per order (`shop.sold_notice`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SoldNotice {
    pub order_id: Uuid,
}

impl Job for SoldNotice {
    const KIND: &'static str = "shop.sold_notice";
}

/// The daily "sold" digest for producers who chose it (`shop.sold_digest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SoldDigest {}

impl Job for SoldDigest {
    const KIND: &'static str = "shop.sold_digest";
}

/// Registers the kinds and schedules.
pub fn register(reg: &mut Registry) {
    reg.job(|app, _: ExpireUnpaid, _| async move {
        super::orders::expire_unpaid(&app)
            .await
            .map(|_| ())
            .map_err(JobError::from)
    });
    reg.job(|app, _: PurgePersonal, _| async move {
        super::orders::purge_personal(&app)
            .await
            .map(|_| ())
            .map_err(JobError::from)
    });
    reg.job(|app, p: OrderEmail, job| async move { super::notify::send(&app, p, &job).await });
    reg.job(
        |app, p: SoldNotice, job| async move { super::sales::per_order_job(&app, p, &job).await },
    );
    reg.job(|app, _: SoldDigest, job| async move { super::sales::digest_job(&app, &job).await });
    reg.schedule::<ExpireUnpaid>("expire-unpaid-orders-5min", Every::FiveMinutes);
    reg.schedule::<PurgePersonal>("daily-purge-buyer-data", Every::Day);
    reg.schedule::<SoldDigest>("daily-sold-digest", Every::Day);
}
