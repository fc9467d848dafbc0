//! The money area's rule failures, each with its stable code (defined here once).
use crate::error::ApiError;

/// Why the money area refused a request.
#[derive(Debug, thiserror::Error)]
pub enum MoneyError {
    /// 409 `rule_superseded`: only a rule's newest version can be changed or retired.
    #[error("this version was replaced by version {newer}; change the newest one")]
    RuleSuperseded { newer: i32 },
    /// 409 `rule_ended`: the rule no longer applies from that day on.
    #[error("the rule already ends on {ended}")]
    RuleEnded { ended: chrono::NaiveDate },
}

impl MoneyError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RuleSuperseded { .. } => "rule_superseded",
            Self::RuleEnded { .. } => "rule_ended",
        }
    }
}

impl From<MoneyError> for ApiError {
    fn from(e: MoneyError) -> Self {
        let details = match &e {
            MoneyError::RuleSuperseded { newer } => serde_json::json!({ "newer_version": newer }),
            MoneyError::RuleEnded { ended } => serde_json::json!({ "ended": ended.to_string() }),
        };
        ApiError::Conflict {
            code: e.code(),
            message: e.to_string(),
            details,
        }
    }
}
