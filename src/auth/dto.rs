//! Request and response types of the auth and user API.
use crate::http::actor::{Actor, Role, Via};
use chrono::{DateTime, Utc};
use entity::{api_token, app_user};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Login with email and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin@example.jp")]
    pub email: String,
    pub password: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub aggregator_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub prefecture_code: Option<String>,
    pub locale: String,
    /// For cookie sessions: send it back as `X-CSRF-Token` on unsafe requests.
    pub csrf_token: Option<String>,
}

impl From<&Actor> for MeView {
    fn from(a: &Actor) -> Self {
        Self {
            id: a.user_id,
            email: a.email.clone(),
            display_name: a.display_name.clone(),
            role: a.role,
            aggregator_id: a.aggregator_id,
            producer_id: a.producer_id,
            prefecture_code: a.prefecture_code.clone(),
            locale: a.locale.clone(),
            csrf_token: match &a.via {
                Via::Session { csrf_token, .. } => Some(csrf_token.clone()),
                _ => None,
            },
        }
    }
}

/// Changes to the signed-in user's own profile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    pub display_name: Option<String>,
    /// ja or en
    pub locale: Option<String>,
}

/// Creates an API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What the token is for, e.g. "warehouse scanner".
    pub name: String,
    /// Lifetime in days (1–3650); no expiry when absent.
    pub expires_in_days: Option<i64>,
}

/// An API token (without its secret).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// First characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for TokenView {
    fn from(t: api_token::Model) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token: `token` is shown this once and never again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenView,
    pub token: String,
}

/// The caller's tokens.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

/// Starts a password reset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// Sets a new password with the emailed token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    pub token: String,
    pub new_password: String,
}

/// A user account as managers see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub aggregator_id: Option<Uuid>,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub producer_id: Option<Uuid>,
    pub prefecture_code: Option<String>,
    pub locale: String,
    pub active: bool,
    /// False until an invited user sets a password.
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<app_user::Model> for UserView {
    fn from(u: app_user::Model) -> Self {
        Self {
            id: u.id,
            aggregator_id: u.aggregator_id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            producer_id: u.producer_id,
            prefecture_code: u.prefecture_code,
            locale: u.locale,
            active: u.active,
            has_password: u.password_hash.is_some(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

/// Invites a user by email.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteUserRequest {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// ja (default) or en
    pub locale: Option<String>,
    /// Tenant; operators may omit it (their own). Required for operator/finance/producer.
    pub aggregator_id: Option<Uuid>,
    /// For producer accounts.
    pub producer_id: Option<Uuid>,
    /// For officers: JIS X 0401 prefecture code, e.g. "47".
    pub prefecture_code: Option<String>,
}

/// Changes to a user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub locale: Option<String>,
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Page size, 1–100.
    pub limit: Option<u64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}
