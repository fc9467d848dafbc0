//! JSON shapes of the payments API.
use serde::Serialize;
use utoipa::ToSchema;

/// What the webhook did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookResult {
    pub received: bool,
    /// The event was seen before and changed nothing.
    pub duplicate: bool,
    /// What happened: `paid`, `ignored`, `amount_mismatch`, `unknown_order`,
    /// `refund_owed` (paid after the order was cancelled), `failed`.
    pub outcome: String,
}

/// One row of a bank-statement import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankRow {
    /// 1-based line of the file.
    pub line: usize,
    pub amount: Option<i64>,
    /// `paid`, `already_paid` (look for a double payment), `amount_mismatch`, `no_match` or
    /// `error`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The result of a bank-statement import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankImport {
    pub paid: usize,
    pub unmatched: usize,
    pub rows: Vec<BankRow>,
}
