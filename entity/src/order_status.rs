//! The stored values of an order's statuses, source and payment method, and of a parcel's
//! status (strings in the database; the transitions live in the `orders` area).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
        pub enum $name {
            $($(#[$vdoc])* #[sea_orm(string_value = $value)] #[serde(rename = $value)] $variant),+
        }

        impl $name {
            /// The stored (and API) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value),+
                }
            }

            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The value named `s`, if any.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($value => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// The order as a whole.
    OrderStatus {
        Open = "open",
        Cancelled = "cancelled",
        Closed = "closed",
    }
}

stored_enum! {
    /// Money received for the order.
    PaymentStatus {
        Pending = "pending",
        Paid = "paid",
        /// Collected by the carrier on delivery.
        CashOnDelivery = "cash_on_delivery",
        Refunded = "refunded",
        PartiallyRefunded = "partially_refunded",
    }
}

stored_enum! {
    /// Where the goods are.
    FulfilmentStatus {
        Unfulfilled = "unfulfilled",
        Picking = "picking",
        Packed = "packed",
        Shipped = "shipped",
        Delivered = "delivered",
    }
}

stored_enum! {
    /// Where an order came from.
    OrderSource {
        /// The aggregator's own shared shop.
        Shop = "shop",
        /// A sales channel account (Rakuten, Shopify, …): `channel_id` names it.
        Channel = "channel",
    }
}

stored_enum! {
    /// How the buyer pays.
    PaymentMethod {
        BankTransfer = "bank_transfer",
        CashOnDelivery = "cash_on_delivery",
        Card = "card",
        /// Paid to the marketplace, which pays the aggregator out (Rakuten, Shopify).
        Marketplace = "marketplace",
    }
}

stored_enum! {
    /// One parcel's progress.
    ParcelStatus {
        Pending = "pending",
        Packed = "packed",
        Shipped = "shipped",
        Delivered = "delivered",
    }
}
