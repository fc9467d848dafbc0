//! Mail through the SMTP transport to a real SMTP listener on loopback.
use crate::{db_test, helpers::*};
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};
use yuimaru::{
    auth::actor::Role,
    config::{MailTransportKind, SmtpTls},
};

/// A minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
/// that stores each message's envelope and raw data.
#[derive(Clone, Default)]
pub struct SmtpListener {
    pub messages: Arc<Mutex<Vec<Received>>>,
}

/// One received message: (MAIL FROM, RCPT TO list, raw data).
pub type Received = (String, Vec<String>, String);

impl SmtpListener {
    pub async fn start() -> (Self, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let me = Self::default();
        let store = me.messages.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
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
                                let _ = w.write_all(b"250 queued\r\n").await;
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
    let (smtp, port) = SmtpListener::start().await;
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
    assert_eq!(app.run_pending_jobs().await, 1);
    let msgs = smtp.messages.lock().expect("lock").clone();
    assert_eq!(msgs.len(), 1);
    let (from, to, data) = &msgs[0];
    assert!(from.contains("no-reply@yuimaru.invalid"), "{from}");
    assert_eq!(to, &vec![format!("<{}>", user.email)]);
    assert!(data.contains("Message-ID: <"), "{data}");
    assert!(data.contains("multipart/alternative"));
    assert!(data.contains("text/plain") && data.contains("text/html"));
    assert!(
        data.contains("Subject: =?utf-8?"),
        "Japanese subject is encoded: {data}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE status = 'succeeded'")
            .await,
        1
    );

    // At-least-once: a resend of the same job carries the same Message-ID.
    let message_id = data
        .lines()
        .find(|l| l.starts_with("Message-ID:"))
        .expect("id")
        .to_string();
    use sea_orm::{EntityTrait, sea_query::Expr};
    entity::job::Entity::update_many()
        .col_expr(entity::job::Column::Status, Expr::value("dead"))
        .exec(app.db())
        .await
        .expect("mark dead");
    let (_, op) = app.user_with_token(Role::Admin).await;
    let id = app.count("SELECT COUNT(*) FROM job").await;
    assert_eq!(id, 1);
    let jobs: serde_json::Value = app
        .get_as(&op, "/api/v1/jobs?kind=mail.send")
        .await
        .json()
        .await
        .expect("json");
    let job_id = jobs["items"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(
        app.post_as(&op, &format!("/api/v1/jobs/{job_id}/replay"), &json!({}))
            .await
            .status(),
        200
    );
    app.run_pending_jobs().await;
    let msgs = smtp.messages.lock().expect("lock").clone();
    assert_eq!(msgs.len(), 2);
    assert!(
        msgs[1].2.lines().any(|l| l == message_id),
        "same Message-ID on resend"
    );
}
db_test!(
    mail_is_sent_through_smtp_to_a_real_listener_with_a_stable_message_id,
    password_reset_mail_goes_through_smtp
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
    assert_eq!(app.run_pending_jobs().await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM job WHERE status = 'queued' AND attempts = 1 AND last_error IS NOT NULL").await, 1);
}
db_test!(
    an_unreachable_smtp_server_leaves_the_mail_job_queued_for_retry,
    smtp_failures_are_retried
);
