//! The auth area's job kinds.
use crate::jobs::{Job, JobError, Registry};
use serde::{Deserialize, Serialize};

/// Handle a password-reset request: look up the account, write the link, enqueue the email
/// (`auth.password_reset`). The payload is dropped when the job succeeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordReset {
    pub email: String,
}

impl Job for PasswordReset {
    const KIND: &'static str = "auth.password_reset";
}

/// Registers the auth kinds.
pub fn register(reg: &mut Registry) {
    reg.job(|app, p: PasswordReset, _| async move {
        super::service::process_password_reset(&app, &p.email)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))
    });
}
