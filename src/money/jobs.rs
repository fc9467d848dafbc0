//! The money area's event subscribers: the ledger books what the order core tells it.
use super::booking;
use crate::{
    jobs::{Delivery, Job, JobError, Registry},
    orders::events::{
        OrderPaid, OrderRefunded, OrderReturned, OrderShipped, ParcelShipped, RefundDue,
    },
};
use serde::{Deserialize, Serialize};

/// Render the PDF of each statement of a closed period, keep it and email it to the producer
/// (`money.statement_pdfs`, enqueued by the close; a retry skips what was rendered).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatementPdfs {
    pub period_id: uuid::Uuid,
}

impl Job for StatementPdfs {
    const KIND: &'static str = "money.statement_pdfs";
}

/// The subscriber that books the order core's money events in the ledger.
pub const LEDGER: &str = "money.ledger";

/// Registers the subscribers.
pub fn register(reg: &mut Registry) {
    reg.job(|app, p: StatementPdfs, _| async move {
        match super::statements::render_period(&app, p.period_id).await {
            Ok(()) => Ok(()),
            Err(crate::error::ApiError::NotFound) => {
                Err(JobError::Reject("the period is gone".into()))
            }
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    });
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
    reg.subscribe(
        LEDGER,
        |app, d: Delivery<crate::inventory::events::StockReceived>| {
            super::hub_fees::on_received(app, d)
        },
    );
    reg.subscribe(
        LEDGER,
        |app, d: Delivery<crate::channels::events::ChannelFeeReported>| {
            super::channel_fees::on_reported(app, d)
        },
    );
    reg.subscribe_when(
        LEDGER,
        booking::books_payment,
        |app, d: Delivery<OrderPaid>| booking::on_paid(app, d),
    );
}
