//! Which qualified-invoice rule a consignment sale falls under (DOMAIN-JP §1): the producer is
//! the seller and the aggregator its agent, so a qualified invoice (適格請求書 / 適格簡易請求書)
//! for the goods is either
//! - 媒介者交付特例 (`intermediary`): issued under the aggregator's own registration number —
//!   only when both are registered and the producer notified the aggregator of its
//!   registration beforehand (the aggregator then gives the producer a copy: the statement);
//! - 代理交付 (`agent`): issued by the aggregator under the producer's name and number, when
//!   the producer is registered but the special rule does not apply;
//! - none: the producer is exempt (免税事業者) or has no number — its goods are never listed
//!   under a registration number, and a B2B invoice lists them separately.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The rule of one sale (stored on the order line when the order is placed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceRule {
    Intermediary,
    Agent,
    None,
}

impl InvoiceRule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intermediary => "intermediary",
            Self::Agent => "agent",
            Self::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "intermediary" => Some(Self::Intermediary),
            "agent" => Some(Self::Agent),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// What the rule needs to know of the producer.
#[derive(Debug, Clone, Copy)]
pub struct SellerStatus<'a> {
    /// Its registration number (`T` + 13 digits), when it has one.
    pub invoice_number: Option<&'a str>,
    pub tax_exempt: bool,
    /// The day it notified the aggregator of its registration.
    pub notified_on: Option<NaiveDate>,
}

/// The rule of a sale made `on` for a producer in `producer`'s state, by an aggregator with
/// registration number `aggregator_number`; with the producer's number when it has one.
pub fn rule_for(
    producer: SellerStatus<'_>,
    aggregator_number: Option<&str>,
    on: NaiveDate,
) -> (InvoiceRule, Option<String>) {
    let number = producer
        .invoice_number
        .filter(|n| !n.is_empty() && !producer.tax_exempt);
    let Some(number) = number else {
        return (InvoiceRule::None, None);
    };
    let aggregator_registered = aggregator_number.is_some_and(|n| !n.is_empty());
    let notified = producer.notified_on.is_some_and(|d| d <= on);
    let rule = if aggregator_registered && notified {
        InvoiceRule::Intermediary
    } else {
        InvoiceRule::Agent
    };
    (rule, Some(number.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default()
    }

    #[test]
    fn the_special_rule_needs_both_registered_and_the_notice() {
        let registered = SellerStatus {
            invoice_number: Some("T1234567890123"),
            tax_exempt: false,
            notified_on: Some(day(1)),
        };
        let ours = Some("T9876543210987");
        assert_eq!(
            rule_for(registered, ours, day(1)).0,
            InvoiceRule::Intermediary
        );
        // Notified only after the sale, or the aggregator unregistered: the producer's own.
        assert_eq!(
            rule_for(
                registered,
                ours,
                NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default()
            )
            .0,
            InvoiceRule::Agent
        );
        assert_eq!(rule_for(registered, None, day(1)).0, InvoiceRule::Agent);
        let silent = SellerStatus {
            notified_on: None,
            ..registered
        };
        assert_eq!(
            rule_for(silent, ours, day(5)),
            (InvoiceRule::Agent, Some("T1234567890123".into()))
        );
        // Exempt: never under a number, whatever is stored.
        let exempt = SellerStatus {
            tax_exempt: true,
            ..registered
        };
        assert_eq!(rule_for(exempt, ours, day(5)), (InvoiceRule::None, None));
        let none = SellerStatus {
            invoice_number: None,
            tax_exempt: false,
            notified_on: None,
        };
        assert_eq!(rule_for(none, ours, day(5)).0, InvoiceRule::None);
    }
}
