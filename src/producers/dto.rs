//! Request and response types of the producer API.
use super::service::{BankInput, RegistrationInput};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{producer, producer_bank_change, producer_closure};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A bank account as entered: a bank (`kind: "bank"`) or Japan Post Bank (`kind: "japan_post"`,
/// 記号・番号, converted to branch and account number).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankRequest {
    /// `bank` (default) or `japan_post`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    #[schema(example = "0187")]
    pub bank_code: String,
    #[serde(default)]
    #[schema(example = "101")]
    pub branch_code: String,
    /// `ordinary` (default), `current` or `savings`.
    #[serde(default)]
    pub account_type: String,
    #[serde(default)]
    #[schema(example = "1234567")]
    pub account_number: String,
    /// Japan Post Bank 記号 (5 digits).
    #[serde(default)]
    pub jp_symbol: String,
    /// Japan Post Bank 番号 (up to 8 digits).
    #[serde(default)]
    pub jp_number: String,
    /// Account holder as the bank has it; full-width kana is converted to half-width.
    #[schema(example = "ﾋｶﾞ ﾕｲ")]
    pub holder_kana: String,
}

impl From<BankRequest> for BankInput {
    fn from(b: BankRequest) -> Self {
        Self {
            kind: b.kind,
            bank_code: b.bank_code,
            branch_code: b.branch_code,
            account_type: b.account_type,
            account_number: b.account_number,
            jp_symbol: b.jp_symbol,
            jp_number: b.jp_number,
            holder_kana: b.holder_kana,
        }
    }
}

/// A producer's registration (self-registration needs `password` and `consent: true`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    #[schema(example = "比嘉農園")]
    pub legal_name: String,
    #[schema(example = "ヒガノウエン")]
    pub legal_name_kana: String,
    #[schema(example = "比嘉 ゆい")]
    pub representative: String,
    /// JIS X 0402, e.g. "47207" (石垣市).
    pub municipality_code: String,
    /// e.g. "ishigaki".
    pub island_code: Option<String>,
    /// 7 digits; NNN-NNNN and full-width digits accepted.
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    /// `T` + 13 digits (check digit verified); omit when `tax_exempt`.
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub tax_exempt: bool,
    pub bank: BankRequest,
    /// Agreement to the terms (must be true).
    #[serde(default)]
    pub consent: bool,
    /// ja (default) or en.
    pub locale: Option<String>,
    /// Self-registration only.
    pub password: Option<String>,
    /// Proxy registration only: the date the producer agreed.
    pub consent_date: Option<NaiveDate>,
}

impl RegistrationRequest {
    /// Into the service input.
    pub fn into_input(self) -> (RegistrationInput, Option<NaiveDate>) {
        (
            RegistrationInput {
                legal_name: self.legal_name,
                legal_name_kana: self.legal_name_kana,
                representative: self.representative,
                municipality_code: self.municipality_code,
                island_code: self.island_code,
                postal_code: self.postal_code,
                address: self.address,
                phone: self.phone,
                email: self.email,
                invoice_number: self.invoice_number,
                tax_exempt: self.tax_exempt,
                bank: self.bank.into(),
                consent: self.consent,
                locale: self.locale,
                password: self.password,
            },
            self.consent_date,
        )
    }
}

/// A closure.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClosureView {
    pub id: Uuid,
    pub producer_id: Option<Uuid>,
    pub island_code: Option<String>,
    pub closed_from: NaiveDate,
    pub closed_to: NaiveDate,
    pub reason: String,
}

impl From<producer_closure::Model> for ClosureView {
    fn from(c: producer_closure::Model) -> Self {
        Self {
            id: c.id,
            producer_id: c.producer_id,
            island_code: c.island_code,
            closed_from: c.closed_from,
            closed_to: c.closed_to,
            reason: c.reason,
        }
    }
}

/// A payout bank account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BankView {
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub holder_kana: String,
}

/// A producer as its owner and the aggregator's staff see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProducerView {
    pub id: Uuid,
    pub aggregator_id: Uuid,
    /// pending, approved, rejected, suspended
    pub status: String,
    pub status_reason: Option<String>,
    pub legal_name: String,
    pub legal_name_kana: String,
    pub representative: String,
    pub municipality_code: String,
    pub island_code: Option<String>,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub email_confirmed: bool,
    pub invoice_number: Option<String>,
    pub tax_exempt: bool,
    /// When it notified the aggregator of its registration (媒介者交付特例 needs the notice).
    pub invoice_notified_on: Option<chrono::NaiveDate>,
    pub bank_account: BankView,
    pub locale: String,
    pub consent_at: DateTime<Utc>,
    /// Set when an operator registered the producer on their behalf.
    pub registered_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<producer::Model> for ProducerView {
    fn from(p: producer::Model) -> Self {
        Self {
            id: p.id,
            aggregator_id: p.aggregator_id,
            status: p.status,
            status_reason: p.status_reason,
            legal_name: p.legal_name,
            legal_name_kana: p.legal_name_kana,
            representative: p.representative,
            municipality_code: p.municipality_code,
            island_code: p.island_code,
            postal_code: p.postal_code,
            address: p.address,
            phone: p.phone,
            email: p.email,
            email_confirmed: p.email_confirmed_at.is_some(),
            invoice_number: p.invoice_number,
            tax_exempt: p.tax_exempt,
            invoice_notified_on: p.invoice_notified_on,
            bank_account: BankView {
                bank_code: p.bank_code,
                branch_code: p.branch_code,
                account_type: p.account_type,
                account_number: p.account_number,
                holder_kana: p.account_holder_kana,
            },
            locale: p.locale,
            consent_at: p.consent_at,
            registered_by: p.registered_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A producer with its closures and whether it is closed today.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProducerDetail {
    #[serde(flatten)]
    pub producer: ProducerView,
    /// A closure of the producer or its island covers today (Asia/Tokyo).
    pub closed_now: bool,
    /// Closures that have not ended yet.
    pub closures: Vec<ClosureView>,
    /// A bank-account change waiting for an operator.
    pub pending_bank_change: Option<BankView>,
}

/// A page of producers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProducerPage {
    pub items: Vec<ProducerView>,
    pub next_cursor: Option<String>,
}

/// Filters of the producer list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProducerQuery {
    pub status: Option<String>,
    pub island_code: Option<String>,
    pub municipality_code: Option<String>,
    /// Substring of the name, kana or representative (Japanese substrings match).
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Profile changes (status, tenant, bank account and consent cannot be set here).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatchRequest {
    pub legal_name_kana: Option<String>,
    pub representative: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// Empty string clears it.
    pub island_code: Option<String>,
    pub invoice_number: Option<String>,
    pub tax_exempt: Option<bool>,
    /// The day the producer notified the aggregator of its registration number (staff may
    /// record an earlier notice; a producer saving a new number sets it to today).
    pub invoice_notified_on: Option<chrono::NaiveDate>,
    pub locale: Option<String>,
}

/// A reason for reject / suspend.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// Required for reject and suspend; sent to the producer.
    pub reason: Option<String>,
}

/// A bank-account change request (needs the current password).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankChangeRequest {
    pub current_password: String,
    pub bank: BankRequest,
}

/// A pending bank-account change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BankChangeView {
    pub id: Uuid,
    pub status: String,
    pub requested_at: DateTime<Utc>,
    pub bank_account: BankView,
}

impl From<producer_bank_change::Model> for BankChangeView {
    fn from(c: producer_bank_change::Model) -> Self {
        Self {
            id: c.id,
            status: c.status,
            requested_at: c.requested_at,
            bank_account: BankView {
                bank_code: c.bank_code,
                branch_code: c.branch_code,
                account_type: c.account_type,
                account_number: c.account_number,
                holder_kana: c.account_holder_kana,
            },
        }
    }
}

/// A new closure: exactly one of `producer_id` or `island_code`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureRequest {
    pub producer_id: Option<Uuid>,
    /// Island-wide closure (operators), e.g. a ferry suspension.
    pub island_code: Option<String>,
    pub closed_from: NaiveDate,
    pub closed_to: NaiveDate,
    #[schema(example = "台風による船便欠航")]
    pub reason: String,
}

/// Closures.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClosureList {
    pub items: Vec<ClosureView>,
}

/// Confirms an email address with the emailed token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmEmailRequest {
    pub token: String,
}
