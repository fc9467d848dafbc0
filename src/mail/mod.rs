//! Email: the transport chosen by config (SMTP / .eml files / in-memory recording) and typed,
//! bilingual messages. Mail is only ever sent from the `mail.send` job (see `jobs`), so it is
//! at-least-once with a stable Message-ID per (event, template).
pub mod messages;

use crate::config::{MailSettings, MailTransportKind, Settings, SmtpTls};
use anyhow::Context;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Attachment, Mailbox, MultiPart, header::ContentType},
    transport::smtp::authentication::Credentials,
};
use secrecy::ExposeSecret;
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

/// Why a send failed, by what should happen next.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MailError {
    /// Try again later (connection refused, timeout, 4xx).
    #[error("transient mail failure: {0}")]
    Transient(String),
    /// Will never succeed as is (bad address, 5xx rejection).
    #[error("permanent mail failure: {0}")]
    Permanent(String),
    /// The relay refused our credentials: needs an operator.
    #[error("mail relay refused authentication: {0}")]
    Auth(String),
}

/// Classifies an SMTP error by its reply code; the server's text is dropped because it often
/// repeats the recipient's address.
fn classify_smtp(e: lettre::transport::smtp::Error) -> MailError {
    let code = e.status().map(|c| c.to_string());
    let label = code.clone().unwrap_or_else(|| "no reply code".into());
    match code.as_deref() {
        Some("530") | Some("534") | Some("535") | Some("538") => {
            MailError::Auth(format!("SMTP {label}"))
        }
        _ if e.is_permanent() => MailError::Permanent(format!("SMTP {label}")),
        _ if e.is_timeout() => MailError::Transient("SMTP timeout".into()),
        _ => MailError::Transient(format!("SMTP {label}")),
    }
}

/// A message as recorded by the in-memory transport.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<FileAttachment>,
}

/// A file sent with an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A rendered email ready to send.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Stable across retries: derived from the job's (event, template) key.
    pub message_id: String,
    pub attachments: Vec<FileAttachment>,
}

/// The configured transport.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Arc<MailSettings>),
    File(AsyncFileTransport<Tokio1Executor>, Arc<MailSettings>),
    Memory(Arc<Mutex<Vec<SentEmail>>>, Arc<MailSettings>),
}

impl Mailer {
    /// Builds the transport named in `settings.mail.transport`.
    ///
    /// # Errors
    /// Bad SMTP settings or an unwritable mail directory.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let m = Arc::new(settings.mail.clone());
        Ok(match m.transport {
            MailTransportKind::Memory => Self::Memory(Arc::new(Mutex::new(Vec::new())), m),
            MailTransportKind::File => {
                std::fs::create_dir_all(&m.file_dir)
                    .with_context(|| format!("creating {}", m.file_dir.display()))?;
                Self::File(AsyncFileTransport::new(&m.file_dir), m)
            }
            MailTransportKind::Smtp => {
                let s = &m.smtp;
                let mut b = match s.tls {
                    SmtpTls::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
                    }
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)?,
                }
                .port(s.port)
                .timeout(Some(Duration::from_secs(s.timeout_seconds)));
                if !s.username.is_empty() {
                    b = b.credentials(Credentials::new(
                        s.username.clone(),
                        s.password.expose_secret().to_string(),
                    ));
                }
                Self::Smtp(b.build(), m)
            }
        })
    }

    fn settings(&self) -> &MailSettings {
        match self {
            Self::Smtp(_, m) | Self::File(_, m) | Self::Memory(_, m) => m,
        }
    }

    /// The Message-ID for a dedupe key (stable: the same key always gives the same id).
    pub fn message_id_for(&self, key: &str) -> String {
        let h = crate::core::secrets::hash_token(key);
        format!("<{}@{}>", &h[..32], self.settings().message_id_domain)
    }

    /// Sends one message.
    ///
    /// # Errors
    /// Classified failures; their text never contains the recipient's address.
    #[tracing::instrument(skip_all, fields(adapter = "mail"))]
    pub async fn send(&self, email: OutgoingEmail) -> Result<(), MailError> {
        if let Self::Memory(store, _) = self {
            let mut v = store
                .lock()
                .map_err(|_| MailError::Transient("mail store poisoned".into()))?;
            v.push(SentEmail {
                to: email.to,
                subject: email.subject,
                message_id: email.message_id,
                text: email.text,
                html: email.html,
                attachments: email.attachments,
            });
            return Ok(());
        }
        let from: Mailbox = self
            .settings()
            .from
            .parse()
            .map_err(|_| MailError::Permanent("mail.from is not a valid address".into()))?;
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| MailError::Permanent("the recipient address is not valid".into()))?;
        let body = MultiPart::alternative_plain_html(email.text, email.html);
        let body = if email.attachments.is_empty() {
            body
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in email.attachments {
                let kind = ContentType::parse(&a.content_type).map_err(|_| {
                    MailError::Permanent("an attachment's content type is not valid".into())
                })?;
                mixed = mixed.singlepart(Attachment::new(a.filename).body(a.bytes, kind));
            }
            mixed
        };
        let msg = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject)
            .message_id(Some(email.message_id))
            .multipart(body)
            .map_err(|_| MailError::Permanent("the message could not be built".into()))?;
        match self {
            Self::Smtp(t, _) => t.send(msg).await.map(|_| ()).map_err(classify_smtp),
            Self::File(t, _) => t
                .send(msg)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Transient(format!("writing .eml failed: {e}"))),
            Self::Memory(..) => Ok(()),
        }
    }

    /// Messages recorded by the in-memory transport (empty for the others).
    pub fn recorded(&self) -> Vec<SentEmail> {
        match self {
            Self::Memory(store, _) => store.lock().map(|v| v.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}
