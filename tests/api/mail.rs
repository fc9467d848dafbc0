//! Mail through the SMTP transport to a real SMTP listener on loopback.
use crate::{db_test, helpers::*};
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};
use yuimaru::{
    config::{MailTransportKind, SmtpTls},
    http::actor::Role,
};

/// A minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
/// that stores each message's envelope and raw data.
#[derive(Clone, Default)]
pub struct SmtpListener {
    pub messages: Arc<Mutex<Vec<Received>>>,
    /// Answer the first N messages with a transient `451` after reading them.
    pub fail_first: Arc<Mutex<usize>>,
}

/// One received message: (MAIL FROM, RCPT TO list, raw data).
pub type Received = (String, Vec<String>, String);

impl SmtpListener {
    pub async fn start() -> (Self, u16) {
        Self::start_failing_first(0).await
    }

    pub async fn start_failing_first(n: usize) -> (Self, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let me = Self::default();
        *me.fail_first.lock().expect("lock") = n;
        let store = me.messages.clone();
        let failing = me.fail_first.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
                let failing = failing.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 test-smtp ready\r\n").await;
                    let (mut from, mut to, mut data, mut in_data) =
                        (String::new(), Vec::new(), String::new(), false);
                    while let Ok(Some(line)) = lines.next_line().await {
                        if in_data {
                            if line == "." {
                                in_data = false;
                                store.lock().expect("lock").push((
                                    from.clone(),
                                    to.clone(),
                                    data.clone(),
                                ));
                                data.clear();
                                to.clear();
                                let fail = {
                                    let mut f = failing.lock().expect("lock");
                                    let fail = *f > 0;
                                    *f = f.saturating_sub(1);
                                    fail
                                };
                                let reply: &[u8] = if fail {
                                    b"451 try again later\r\n"
                                } else {
                                    b"250 queued\r\n"
                                };
                                let _ = w.write_all(reply).await;
                            } else {
                                let l = line
                                    .strip_prefix('.')
                                    .filter(|_| line.starts_with(".."))
                                    .unwrap_or(&line);
                                data.push_str(l);
                                data.push_str("\r\n");
                            }
                            continue;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                        } else if upper.starts_with("HELO")
                            || upper.starts_with("NOOP")
                            || upper.starts_with("RSET")
                        {
                            b"250 ok\r\n"
                        } else if upper.starts_with("MAIL FROM:") {
                            from = line[10..].trim().to_string();
                            b"250 ok\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to.push(line[8..].trim().to_string());
                            b"250 ok\r\n"
                        } else if upper.starts_with("DATA") {
                            in_data = true;
                            b"354 end with .\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"502 not implemented\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        (me, port)
    }
}

async fn password_reset_mail_goes_through_smtp(b: Backend) {
    // The relay answers the first delivery with a transient 451: the job retries and the
    // second delivery carries the same Message-ID (at-least-once, deduplicable downstream).
    let (smtp, port) = SmtpListener::start_failing_first(1).await;
    let app = spawn_app_with(b, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.smtp.tls = SmtpTls::None;
    })
    .await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let r = app
        .post_as(
            "",
            "/api/v1/auth/password-reset",
            &json!({"email": user.email}),
        )
        .await;
    assert_eq!(r.status(), 202);
    // The request job, the mail job's failed attempt and its successful retry.
    assert_eq!(app.run_pending_jobs().await, 3);
    let msgs = smtp.messages.lock().expect("lock").clone();
    assert_eq!(msgs.len(), 2);
    let (from, to, data) = &msgs[1];
    assert!(from.contains("no-reply@yuimaru.invalid"), "{from}");
    assert_eq!(to, &vec![format!("<{}>", user.email)]);
    assert!(data.contains("Message-ID: <"), "{data}");
    assert!(data.contains("multipart/alternative"));
    assert!(data.contains("text/plain") && data.contains("text/html"));
    assert!(
        data.contains("Subject: =?utf-8?"),
        "Japanese subject is encoded: {data}"
    );
    let id_of = |d: &str| {
        d.lines()
            .find(|l| l.starts_with("Message-ID:"))
            .map(str::to_string)
    };
    assert_eq!(
        id_of(&msgs[0].2),
        id_of(&msgs[1].2),
        "same Message-ID on the retry"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE kind = 'mail.send' AND status = 'succeeded' AND attempts = 2").await,
        1
    );
    // The transient failure is recorded without the recipient's address.
    let errors = app
        .count(&format!(
            "SELECT COUNT(*) FROM job_attempt WHERE outcome = 'retry' AND error LIKE '%451%' AND error NOT LIKE '%{}%'",
            user.email
        ))
        .await;
    assert_eq!(errors, 1);
}
db_test!(
    mail_is_sent_through_smtp_to_a_real_listener_with_a_stable_message_id,
    password_reset_mail_goes_through_smtp
);

async fn undeliverable_addresses_dead_letter_at_once(b: Backend) {
    let (smtp, port) = SmtpListener::start().await;
    let app = spawn_app_with(b, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.smtp.tls = SmtpTls::None;
    })
    .await;
    let bad = yuimaru::jobs::NewJob::new(
        <yuimaru::jobs::builtin::MailPayload as yuimaru::jobs::Job>::KIND,
        json!({"to": "not an address", "locale": "ja",
               "message": {"template": "password_reset", "display_name": "x",
                           "link": "https://example.jp/x", "expires_minutes": 60}}),
    );
    yuimaru::jobs::enqueue(app.db(), bad)
        .await
        .expect("enqueue");
    assert_eq!(app.run_pending_jobs().await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE status = 'dead' AND attempts = 1")
            .await,
        1
    );
    assert!(smtp.messages.lock().expect("lock").is_empty());
}
db_test!(
    an_undeliverable_address_is_dead_lettered_at_once,
    undeliverable_addresses_dead_letter_at_once
);

async fn smtp_failures_are_retried(b: Backend) {
    // Nothing listens on this port: the send fails and the job is retried, not lost.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let app = spawn_app_with(b, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.smtp.tls = SmtpTls::None;
        s.mail.smtp.timeout_seconds = 2;
        s.jobs.backoff_base_seconds = 60;
        s.jobs.backoff_cap_seconds = 60;
    })
    .await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    app.post_as(
        "",
        "/api/v1/auth/password-reset",
        &json!({"email": user.email}),
    )
    .await;
    assert_eq!(app.run_pending_jobs().await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE kind = 'mail.send' AND status = 'queued' AND attempts = 1 AND last_error IS NOT NULL").await,
        1
    );
}
db_test!(
    an_unreachable_smtp_server_leaves_the_mail_job_queued_for_retry,
    smtp_failures_are_retried
);

async fn the_file_transport_writes_eml_files(b: Backend) {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mail-{}", uuid::Uuid::now_v7().simple()));
    let d = dir.clone();
    let app = spawn_app_with(b, move |s| {
        s.mail.transport = MailTransportKind::File;
        s.mail.file_dir = d;
    })
    .await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    app.post_as(
        "",
        "/api/v1/auth/password-reset",
        &json!({"email": user.email}),
    )
    .await;
    assert_eq!(app.run_pending_jobs().await, 2);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].path()).expect("eml");
    assert!(eml.contains(&format!("To: {}", user.email)), "{eml}");
    assert!(eml.contains("Message-ID: <"));
    let _ = std::fs::remove_dir_all(&dir);
}
db_test!(
    the_file_transport_writes_one_eml_per_message,
    the_file_transport_writes_eml_files
);

/// A mail job carrying a file from the blob store (the statement PDF at close) sends it as a
/// MIME attachment through the relay; a file gone from the store dead-letters the job rather
/// than sending the mail without it.
async fn attachments_go_through_smtp(b: Backend) {
    let (smtp, port) = SmtpListener::start().await;
    let app = spawn_app_with(b, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.smtp.tls = SmtpTls::None;
    })
    .await;
    // A PDF starts with a binary comment line: the part must go as base64.
    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\nstatement".to_vec();
    app.state
        .storage
        .put("statements/test/one.pdf", pdf.clone())
        .await
        .expect("put");
    let message = |n: &str| yuimaru::mail::messages::EmailMessage::StatementReady {
        display_name: "比嘉".into(),
        number: n.into(),
        period: "2026-10".into(),
        net_payable: 957,
        link: "http://127.0.0.1/portal/payouts".into(),
    };
    let attach = |key: &str| {
        vec![yuimaru::jobs::builtin::StoredAttachment {
            blob_key: key.into(),
            filename: "statement-202610-0001.pdf".into(),
            content_type: "application/pdf".into(),
        }]
    };
    for (event, key) in [
        ("att-1", "statements/test/one.pdf"),
        ("att-2", "statements/test/gone.pdf"),
    ] {
        yuimaru::jobs::builtin::enqueue_mail_with(
            app.db(),
            "higa@example.jp",
            yuimaru::core::locale::Locale::Ja,
            None,
            event,
            message(event),
            attach(key),
        )
        .await
        .expect("enqueue");
    }
    app.run_pending_jobs().await;
    let msgs = smtp.messages.lock().expect("lock").clone();
    assert_eq!(msgs.len(), 1, "the mail whose file is gone is not sent");
    let data = &msgs[0].2;
    assert!(data.contains("multipart/mixed"), "{data}");
    assert!(data.contains("Content-Type: application/pdf"), "{data}");
    assert!(
        data.contains("Content-Disposition: attachment; filename=\"statement-202610-0001.pdf\""),
        "{data}"
    );
    use base64::Engine;
    assert!(
        data.contains(&base64::engine::general_purpose::STANDARD.encode(&pdf)),
        "the file's bytes, base64: {data}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE kind = 'mail.send' AND status = 'dead'")
            .await,
        1
    );
}
db_test!(attachments_go_through_smtp, attachments_go_through_smtp);
