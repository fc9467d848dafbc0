//! Who is acting: the `Actor` every service receives, roles, and deny-by-default checks.
use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the deployment: users, aggregators, settings, across tenants.
    Admin,
    /// Aggregator staff: reviews, warehouse, orders, channels.
    Operator,
    /// Aggregator staff: periods, payouts, bank files.
    Finance,
    /// A producer's own account, scoped to one producer.
    Producer,
    /// Prefectural or municipal officer, scoped to one prefecture, statistics only.
    Officer,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Finance => "finance",
            Self::Producer => "producer",
            Self::Officer => "officer",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "admin" => Self::Admin,
            "operator" => Self::Operator,
            "finance" => Self::Finance,
            "producer" => Self::Producer,
            "officer" => Self::Officer,
            _ => return None,
        })
    }

    /// Every role, for validation messages.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Operator,
        Role::Finance,
        Role::Producer,
        Role::Officer,
    ];
}

/// How the actor authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Session cookie; holds the session's id (hash) and CSRF token.
    Session {
        session_id: String,
        csrf_token: String,
    },
    /// Bearer API token.
    Token { token_id: Uuid },
    /// The command line (no HTTP request).
    Cli,
}

/// The authenticated user acting in a request, with its scope.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The tenant; `None` only for deployment-wide admins.
    pub aggregator_id: Option<Uuid>,
    /// Set for producer users.
    pub producer_id: Option<Uuid>,
    /// Set for officers (JIS X 0401 code).
    pub prefecture_code: Option<String>,
    pub locale: String,
    pub via: Via,
}

impl Actor {
    /// Allows only the given roles (403 otherwise).
    ///
    /// # Errors
    /// `forbidden` when the role is not listed.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Whether the actor may see rows of `aggregator_id` (admins: every tenant).
    pub fn in_tenant(&self, aggregator_id: Option<Uuid>) -> bool {
        match self.role {
            Role::Admin if self.aggregator_id.is_none() => true,
            _ => aggregator_id.is_some() && aggregator_id == self.aggregator_id,
        }
    }

    /// Whether this is a deployment-wide admin.
    pub fn is_global_admin(&self) -> bool {
        self.role == Role::Admin && self.aggregator_id.is_none()
    }
}
