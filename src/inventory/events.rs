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
