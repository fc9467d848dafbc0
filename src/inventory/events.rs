//! What the inventory tells the rest of the application, as domain events recorded in the
//! transaction of the change ([`crate::jobs::events`]). Ids, counts and codes only.
use crate::jobs::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Units were lost from a lot (damage, loss, disposal) and someone bore the loss: the money
/// area credits the producer when the aggregator or a carrier bore it, and lists it on the
/// producer's statement either way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StockLost {
    pub aggregator_id: Uuid,
    pub adjustment_id: Uuid,
    pub lot_id: Uuid,
    pub sku_id: Uuid,
    pub producer_id: Uuid,
    /// Units lost (positive).
    pub qty: i64,
    /// `producer`, `aggregator` or `carrier`.
    pub bearer: String,
    /// The JST day it was recorded.
    pub lost_on: chrono::NaiveDate,
}

impl Event for StockLost {
    const KIND: &'static str = "inventory.stock_lost";
    fn aggregator_id(&self) -> Option<Uuid> {
        Some(self.aggregator_id)
    }
    fn subject_id(&self) -> Option<Uuid> {
        Some(self.lot_id)
    }
}

/// A receiving event counted a producer's goods in (`inventory.received`): the money area
/// charges the inbound-handling fee on its lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StockReceived {
    pub aggregator_id: Uuid,
    pub receipt_id: Uuid,
    pub shipment_id: Uuid,
    pub producer_id: Uuid,
    /// The JST day it was received.
    pub received_on: chrono::NaiveDate,
    pub lines: Vec<ReceivedLine>,
}

/// One shipment line of a receiving event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReceivedLine {
    pub line_id: Uuid,
    pub sku_id: Uuid,
    pub lot_code: String,
    /// Units taken into stock by this event.
    pub received: i64,
    /// Units counted by this event (received, damaged and refused).
    pub counted: i64,
    /// No earlier receiving event counted this line.
    pub first_count: bool,
}

impl Event for StockReceived {
    const KIND: &'static str = "inventory.received";
    fn aggregator_id(&self) -> Option<Uuid> {
        Some(self.aggregator_id)
    }
    fn subject_id(&self) -> Option<Uuid> {
        Some(self.receipt_id)
    }
}
