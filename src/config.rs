//! The typed settings tree and its layered loading (see `config/default.toml`).
use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::PathBuf;

/// The development key for channel credentials (refused in production).
const DEFAULT_CHANNEL_KEY: &str = "dev-insecure-channel-key-change-me-0123456789";

const DEFAULT_TOML: &str = include_str!("../config/default.toml");
const DEVELOPMENT_TOML: &str = include_str!("../config/development.toml");
const TEST_TOML: &str = include_str!("../config/test.toml");
const PRODUCTION_TOML: &str = include_str!("../config/production.toml");

/// Which environment file is layered on top of the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    /// Reads `YUIMARU_ENV` (development when unset).
    ///
    /// # Errors
    /// An unknown name.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("YUIMARU_ENV").as_deref() {
            Err(_) | Ok("development") | Ok("dev") => Ok(Self::Development),
            Ok("test") => Ok(Self::Test),
            Ok("production") | Ok("prod") => Ok(Self::Production),
            Ok(other) => {
                anyhow::bail!("YUIMARU_ENV={other} is not one of development, test, production")
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    fn compiled(self) -> &'static str {
        match self {
            Self::Development => DEVELOPMENT_TOML,
            Self::Test => TEST_TOML,
            Self::Production => PRODUCTION_TOML,
        }
    }
}

/// All settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub jobs: JobSettings,
    pub mail: MailSettings,
    pub uploads: UploadSettings,
    pub inventory: InventorySettings,
    pub shop: ShopConfig,
    pub payments: PaymentSettings,
    pub channels: ChannelConfig,
    pub money: MoneySettings,
    /// Officer analytics: the privacy rules (defaults when the section is absent).
    #[serde(default)]
    pub analytics: AnalyticsSettings,
    pub log: LogSettings,
    /// Filled in by the loader, not from files.
    #[serde(skip, default = "default_env")]
    pub environment: Environment,
}

fn default_env() -> Environment {
    Environment::Development
}

/// HTTP server settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub base_url: String,
    pub workers: usize,
    pub body_limit_bytes: usize,
    pub secure_cookies: bool,
    pub default_aggregator: String,
    pub default_aggregator_name: String,
    pub shutdown_timeout_seconds: u64,
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub migrate_on_start: bool,
    pub max_connections: u32,
    pub sqlite_synchronous: SqliteSynchronous,
    pub sqlite_busy_timeout_ms: u64,
}

/// SQLite `synchronous` pragma values we allow.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Off,
    Normal,
    Full,
    Extra,
}

/// Authentication settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub session_ttl_hours: i64,
    pub reset_link_ttl_minutes: i64,
    pub invite_link_ttl_hours: i64,
    pub max_failures_per_account: u64,
    pub max_failures_per_ip: u64,
    pub failure_window_minutes: i64,
    pub min_password_length: usize,
    pub secret_key: SecretString,
}

/// Job runner settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    pub run_in_serve: bool,
    pub poll_interval_ms: u64,
    pub lease_seconds: i64,
    pub concurrency: usize,
    pub max_attempts: i32,
    pub backoff_base_seconds: u64,
    pub backoff_cap_seconds: u64,
    pub daily_hour_jst: u32,
    pub enable_probe: bool,
}

/// Mail settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransportKind,
    pub from: String,
    pub file_dir: PathBuf,
    pub message_id_domain: String,
    pub smtp: SmtpSettings,
}

/// Which mail transport to use.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    Smtp,
    File,
    Memory,
}

/// SMTP relay settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: String,
    pub password: SecretString,
    pub timeout_seconds: u64,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// Upload (photo) settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadSettings {
    pub dir: PathBuf,
    pub max_bytes: usize,
    pub max_images_per_product: u64,
    pub max_pixels: u64,
    pub max_dimension: u32,
}

/// Inventory settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySettings {
    pub min_remaining_days: i64,
    pub transit_days_okinawa: i64,
    pub transit_days_other: i64,
    pub hold_minutes: i64,
}

/// Shared-shop settings that are the same for every aggregator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopConfig {
    pub personal_data_retention_days: i64,
    pub cache_ttl_ms: u64,
}

/// Card payments through a Stripe-style payment provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    pub provider_url: String,
    pub api_key: SecretString,
    pub webhook_secret: SecretString,
    pub webhook_tolerance_seconds: i64,
    pub timeout_seconds: u64,
}

/// Money: how the ledger groups postings into settlement periods.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneySettings {
    /// Months per settlement period (1, 2, 3, 4, 6 or 12), counted from January.
    pub period_months: u32,
    /// The Japanese TrueType font statement PDFs embed (empty: the first IPAex / IPA Gothic
    /// found in the system's font folders).
    pub statement_font: String,
    /// What a loss the aggregator or a carrier bore credits the producer:
    /// `price_less_commission` (the default) or `price`.
    #[serde(default = "default_loss_credit")]
    pub loss_credit: String,
}

fn default_loss_credit() -> String {
    "price_less_commission".into()
}

/// Officer analytics: when a cell of an officer's report is suppressed (DOMAIN-JP §6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsSettings {
    /// A cell with fewer producers than this is suppressed.
    pub k: usize,
    /// A cell where one producer holds more than these basis points of the sales is
    /// suppressed (8,000 = 80 %).
    pub dominance_bp: i64,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        Self {
            k: 3,
            dominance_bp: 8_000,
        }
    }
}

/// Sales channels: the keys that seal channel credentials and the stock sync's timing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// The id (in `credential_keys`) of the key new credentials are sealed with.
    pub credential_key: String,
    /// Every key that may have sealed stored credentials, by id (old ones stay until
    /// `yuimaru channels rekey` has moved everything to the current key).
    pub credential_keys: std::collections::BTreeMap<String, SecretString>,
    /// How often a runner reads the stock ledger for changes, in milliseconds.
    pub follow_interval_ms: u64,
    /// How often a runner looks for channels whose look for orders is due (each channel's
    /// `order_poll_seconds` says how often that is), in milliseconds.
    pub order_tick_ms: u64,
    /// How far back each read looks again, in seconds (a transaction that wrote a movement
    /// may commit after a later one; its change is still seen within this window).
    pub lookback_seconds: i64,
    /// How long one sync run holds its channel, in seconds (renewed while it runs).
    pub lease_seconds: i64,
    /// Seconds before a call to a channel gives up.
    pub timeout_ms: u64,
    /// Days before a credential expiry on which operators are emailed (and on the day).
    pub expiry_alert_days: Vec<i64>,
}

impl ChannelConfig {
    /// The current key's id and secret.
    ///
    /// # Errors
    /// The current key is not configured.
    pub fn current_key(&self) -> anyhow::Result<(&str, &SecretString)> {
        self.credential_keys
            .get(&self.credential_key)
            .map(|k| (self.credential_key.as_str(), k))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "channels.credential_key {} is not in channels.credential_keys",
                    self.credential_key
                )
            })
    }
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

const DEFAULT_SECRET: &str = "dev-insecure-change-me-0123456789abcdef";

impl Settings {
    /// Loads the layered settings for `env`.
    ///
    /// # Errors
    /// Unreadable or invalid configuration, unknown keys, or an unsafe production setup.
    pub fn load(env: Environment) -> anyhow::Result<Self> {
        let dir = std::env::var_os("YUIMARU_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        let mut fig = Figment::new()
            .merge(Toml::string(DEFAULT_TOML))
            .merge(Toml::file(dir.join("default.toml")))
            .merge(Toml::string(env.compiled()))
            .merge(Toml::file(dir.join(format!("{}.toml", env.name()))))
            .merge(Env::prefixed("YUIMARU__").split("__"));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            fig = fig.merge(("database.url", url));
        }
        let mut settings: Settings = fig.extract()?;
        settings.environment = env;
        settings.derive_base_url();
        settings.validate()?;
        Ok(settings)
    }

    /// Outside production, emailed links follow the address the server listens on when only the
    /// host or port was changed (a base URL set explicitly is kept).
    fn derive_base_url(&mut self) {
        let default = "http://127.0.0.1:8080";
        let s = &mut self.server;
        let moved = s.port != 8080 || s.host != "127.0.0.1";
        if self.environment != Environment::Production
            && s.base_url == default
            && moved
            && s.port != 0
        {
            s.base_url = format!("http://{}:{}", s.host, s.port);
        }
    }

    /// Refuses configurations that must not run (checked at start).
    ///
    /// # Errors
    /// A description of what is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.environment == Environment::Production {
            if self.auth.secret_key.expose_secret() == DEFAULT_SECRET {
                anyhow::bail!("auth.secret_key still has its default value in production");
            }
            if self.mail.transport != MailTransportKind::Smtp {
                anyhow::bail!("production requires mail.transport = \"smtp\"");
            }
            if !self.server.secure_cookies {
                anyhow::bail!("production requires server.secure_cookies = true");
            }
        }
        if self.auth.secret_key.expose_secret().len() < 32 {
            anyhow::bail!("auth.secret_key must be at least 32 characters");
        }
        if !["price_less_commission", "price"].contains(&self.money.loss_credit.as_str()) {
            anyhow::bail!("money.loss_credit must be price_less_commission or price");
        }
        if ![1, 2, 3, 4, 6, 12].contains(&self.money.period_months) {
            anyhow::bail!("money.period_months must be 1, 2, 3, 4, 6 or 12");
        }
        if self.jobs.daily_hour_jst > 23 {
            anyhow::bail!("jobs.daily_hour_jst must be 0-23");
        }
        let (_, key) = self.channels.current_key()?;
        if key.expose_secret().len() < 32 {
            anyhow::bail!(
                "channels.credential_keys.{} must be at least 32 characters",
                self.channels.credential_key
            );
        }
        if self.environment == Environment::Production && key.expose_secret() == DEFAULT_CHANNEL_KEY
        {
            anyhow::bail!("the channel credential key still has its default value in production");
        }
        Ok(())
    }

    /// Whether the database URL points at PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.database.url.expose_secret().starts_with("postgres")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emailed_links_follow_a_changed_port_outside_production() {
        let mut s = Settings::load(Environment::Development).unwrap_or_else(|e| panic!("{e}"));
        s.server.port = 9090;
        s.derive_base_url();
        assert_eq!(s.server.base_url, "http://127.0.0.1:9090");
        // An explicit base URL is kept.
        s.server.base_url = "https://shop.example".into();
        s.server.port = 9191;
        s.derive_base_url();
        assert_eq!(s.server.base_url, "https://shop.example");
        // Production never guesses.
        s.server.base_url = "http://127.0.0.1:8080".into();
        s.environment = Environment::Production;
        s.derive_base_url();
        assert_eq!(s.server.base_url, "http://127.0.0.1:8080");
    }
}
