//! The card payment provider's HTTP API (Stripe-style): payment intents and refunds, form-
//! encoded, bearer-authenticated, each call with an Idempotency-Key so a retried call never
//! charges or refunds twice.
use crate::config::PaymentSettings;
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::sync::OnceLock;
use std::time::Duration;

/// A payment intent as the provider returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct Intent {
    pub id: String,
    /// Handed to the buyer's browser to confirm the card with the provider's script.
    pub client_secret: String,
    pub status: String,
    pub amount: i64,
}

/// A refund as the provider returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    pub id: String,
    pub status: String,
    pub amount: i64,
}

/// Why a provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Cards are not configured (no provider URL).
    #[error("card payments are not configured")]
    NotConfigured,
    /// Network trouble, a timeout, 429 or 5xx: worth retrying with the same key.
    #[error("payment provider unavailable: {0}")]
    Transient(String),
    /// The provider refused the request (4xx): retrying will not help.
    #[error("payment provider refused: {0}")]
    Refused(String),
    /// Our API key was refused (401/403): an operator must fix the configuration.
    #[error("payment provider refused our credentials: {0}")]
    Credentials(String),
}

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

/// A client of the configured provider.
pub struct Provider<'a> {
    settings: &'a PaymentSettings,
}

impl<'a> Provider<'a> {
    /// The provider of `settings`.
    ///
    /// # Errors
    /// [`ProviderError::NotConfigured`] without a provider URL.
    pub fn new(settings: &'a PaymentSettings) -> Result<Self, ProviderError> {
        if settings.provider_url.is_empty() {
            return Err(ProviderError::NotConfigured);
        }
        Ok(Self { settings })
    }

    async fn post<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        key: &str,
        form: &[(&str, String)],
    ) -> Result<T, ProviderError> {
        let url = format!("{}{path}", self.settings.provider_url.trim_end_matches('/'));
        let resp = http()
            .post(&url)
            .timeout(Duration::from_secs(self.settings.timeout_seconds.max(1)))
            .bearer_auth(self.settings.api_key.expose_secret())
            .header("idempotency-key", key)
            .form(form)
            .send()
            .await
            .map_err(|e| ProviderError::Transient(e.without_url().to_string()))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| ProviderError::Transient(e.without_url().to_string()))?;
        let message = || {
            serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| format!("HTTP {status}"))
        };
        match status.as_u16() {
            200..=299 => serde_json::from_str(&body)
                .map_err(|e| ProviderError::Transient(format!("unreadable answer: {e}"))),
            401 | 403 => Err(ProviderError::Credentials(message())),
            409 | 429 | 500..=599 => Err(ProviderError::Transient(message())),
            _ => Err(ProviderError::Refused(message())),
        }
    }

    /// Creates (or, with the same key, finds again) the payment intent of an order.
    ///
    /// # Errors
    /// [`ProviderError`].
    #[tracing::instrument(skip_all, fields(adapter = "payment_provider", order.id = %order_id))]
    pub async fn create_intent(
        &self,
        amount: i64,
        order_id: uuid::Uuid,
        order_number: &str,
    ) -> Result<Intent, ProviderError> {
        self.post(
            "/v1/payment_intents",
            &format!("intent-{order_id}"),
            &[
                ("amount", amount.to_string()),
                ("currency", "jpy".into()),
                ("metadata[order_id]", order_id.to_string()),
                ("metadata[order_number]", order_number.into()),
                ("automatic_payment_methods[enabled]", "true".into()),
            ],
        )
        .await
    }

    /// Refunds `amount` of a captured intent; `key` makes a retried refund a no-op.
    ///
    /// # Errors
    /// [`ProviderError`].
    #[tracing::instrument(skip_all, fields(adapter = "payment_provider"))]
    pub async fn refund(
        &self,
        intent: &str,
        amount: i64,
        key: &str,
    ) -> Result<Refund, ProviderError> {
        self.post(
            "/v1/refunds",
            key,
            &[
                ("payment_intent", intent.into()),
                ("amount", amount.to_string()),
            ],
        )
        .await
    }
}
