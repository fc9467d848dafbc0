//! What the channels area tells the rest of the application, as domain events recorded in
//! the transaction of the change ([`crate::jobs::events`]). Ids and amounts only.
use crate::jobs::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A channel said what it keeps of one of our orders (its fees, tax included, in yen): the
/// money area replaces the fee rule's estimate with it through a correcting entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelFeeReported {
    pub aggregator_id: Uuid,
    pub channel_id: Uuid,
    pub order_id: Uuid,
    /// The order's whole fee as the channel reports it now (not a difference).
    pub fee: i64,
    /// `adapter` (the channel's API) or `csv` (a fee statement finance imported).
    pub source: String,
}

impl Event for ChannelFeeReported {
    const KIND: &'static str = "channels.fee_reported";
    fn aggregator_id(&self) -> Option<Uuid> {
        Some(self.aggregator_id)
    }
    fn subject_id(&self) -> Option<Uuid> {
        Some(self.order_id)
    }
}
