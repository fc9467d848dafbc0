use crate::{db_test, helpers::*};
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

async fn login_raw(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login")
}

async fn sessions_are_cookies_rotated_at_login_and_ended_by_logout(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let r1 = login_raw(&app, &user.email, &user.password).await;
    assert_eq!(r1.status(), 200);
    let c1 = set_cookie(&r1, "yuimaru_session").expect("session cookie");
    assert!(c1.contains("HttpOnly"), "{c1}");
    assert!(c1.contains("SameSite=Lax"), "{c1}");
    assert!(!c1.contains("Secure"), "test config serves plain HTTP");
    let v1 = cookie_value(&c1);

    // Logging in again while holding the old session replaces it (id rotated).
    let r2 = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .header("cookie", format!("yuimaru_session={v1}"))
        .json(&json!({ "email": user.email, "password": user.password }))
        .send()
        .await
        .expect("login");
    let v2 = cookie_value(&set_cookie(&r2, "yuimaru_session").expect("cookie"));
    assert_ne!(v1, v2);
    let me = |v: String| {
        reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("cookie", format!("yuimaru_session={v}"))
            .send()
    };
    assert_eq!(
        me(v1.clone()).await.expect("me").status(),
        401,
        "old session is gone"
    );
    let r = me(v2.clone()).await.expect("me");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["email"], user.email.as_str());
    let csrf = body["csrf_token"].as_str().expect("csrf").to_string();
    // The database stores only the hash of the cookie value.
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM session WHERE id = '{v2}'"))
            .await,
        0
    );

    // Unsafe cookie-authenticated calls need the CSRF header.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", format!("yuimaru_session={v2}"))
        .send()
        .await
        .expect("logout");
    assert_error(r, 403, "csrf_failed").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", format!("yuimaru_session={v2}"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);
    assert_eq!(
        me(v2).await.expect("me").status(),
        401,
        "logout ends the session server-side"
    );
}
db_test!(
    sessions_rotate_at_login_need_csrf_and_end_at_logout,
    sessions_are_cookies_rotated_at_login_and_ended_by_logout
);

async fn expired_sessions_stop_working(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Finance, Some("default")).await;
    let (client, _) = app.login(&user).await;
    assert_eq!(
        client
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me")
            .status(),
        200
    );
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    entity::session::Entity::update_many()
        .col_expr(
            entity::session::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(entity::session::Column::UserId.eq(user.id))
        .exec(app.db())
        .await
        .expect("expire");
    assert_eq!(
        client
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me")
            .status(),
        401
    );
}
db_test!(expired_sessions_are_refused, expired_sessions_stop_working);

async fn secure_cookies_are_marked_secure(b: Backend) {
    let app = spawn_app_with(b, |s| s.server.secure_cookies = true).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let r = login_raw(&app, &user.email, &user.password).await;
    let c = set_cookie(&r, "yuimaru_session").expect("cookie");
    assert!(c.contains("Secure"), "{c}");
}
db_test!(
    session_cookies_are_secure_outside_development,
    secure_cookies_are_marked_secure
);

async fn api_tokens_are_shown_once_hashed_and_revocable(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let token = app.token_for(&user).await;
    assert!(token.starts_with("ym_") && token.len() == 67);
    let r = app.get_as(&token, "/api/v1/me").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["role"], "operator");
    assert!(body["csrf_token"].is_null());

    // Listed without the secret; stored only as its hash.
    let list: Value = app
        .get_as(&token, "/api/v1/me/tokens")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert!(list["items"][0].get("token").is_none());
    assert!(!list.to_string().contains(&token[3..]));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM api_token WHERE token_hash = '{token}' OR prefix = '{token}'"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'token_created'")
            .await,
        1
    );

    // Revoke: the token stops working at once.
    let id = list["items"][0]["id"].as_str().expect("id").to_string();
    let r = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/me/tokens/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), 204);
    assert_error(
        app.get_as(&token, "/api/v1/me").await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'token_revoked'")
            .await,
        1
    );
}
db_test!(
    api_tokens_are_shown_once_stored_hashed_and_revocable,
    api_tokens_are_shown_once_hashed_and_revocable
);

async fn another_users_token_cannot_be_revoked(b: Backend) {
    let app = spawn_app(b).await;
    let (_, a) = app.user_with_token(Role::Operator).await;
    let (_, bt) = app.user_with_token(Role::Operator).await;
    let list: Value = app
        .get_as(&a, "/api/v1/me/tokens")
        .await
        .json()
        .await
        .expect("json");
    let id = list["items"][0]["id"].as_str().expect("id").to_string();
    let r = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/me/tokens/{id}")))
        .bearer_auth(&bt)
        .send()
        .await
        .expect("revoke");
    assert_error(r, 404, "not_found").await;
    assert_eq!(app.get_as(&a, "/api/v1/me").await.status(), 200);
}
db_test!(
    a_user_cannot_revoke_someone_elses_token,
    another_users_token_cannot_be_revoked
);

async fn failed_logins_are_audited_and_rate_limited_per_account(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    for _ in 0..5 {
        let r = login_raw(&app, &user.email, "wrong-password-1").await;
        assert_error(r, 401, "invalid_credentials").await;
    }
    // Even the right password is refused now, on any instance.
    let other = spawn_second_instance(&app).await;
    let r = login_raw(&other, &user.email, &user.password).await;
    assert!(r.headers().get("retry-after").is_some());
    assert_error(r, 429, "too_many_requests").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'login_failed'")
            .await,
        5
    );
    // Unknown accounts answer exactly like wrong passwords.
    let r = login_raw(&app, "nobody@example.jp", "whatever-123").await;
    assert_error(r, 401, "invalid_credentials").await;
}
db_test!(
    failed_logins_are_audited_and_limited_per_account_across_instances,
    failed_logins_are_audited_and_rate_limited_per_account
);

async fn failed_logins_are_rate_limited_per_address(b: Backend) {
    let app = spawn_app_with(b, |s| s.auth.max_failures_per_ip = 3).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    for i in 0..3 {
        let r = login_raw(&app, &format!("someone{i}@example.jp"), "nope-nope-nope").await;
        assert_error(r, 401, "invalid_credentials").await;
    }
    let r = login_raw(&app, &user.email, &user.password).await;
    assert_error(r, 429, "too_many_requests").await;
}
db_test!(
    failed_logins_are_limited_per_client_address,
    failed_logins_are_rate_limited_per_address
);

async fn successful_logins_are_audited(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    app.login(&user).await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'login' AND subject_id = '{}'",
            user.id
        ))
        .await,
        1
    );
}
db_test!(
    logins_are_written_to_the_audit_log,
    successful_logins_are_audited
);

async fn password_reset_by_single_use_expiring_link(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let old_token = app.token_for(&user).await;
    let (old_session, _) = app.login(&user).await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({ "email": user.email.to_uppercase() }))
        .send()
        .await
        .expect("reset");
    assert_eq!(r.status(), 202);
    // Unknown accounts get the same answer and no email.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({ "email": "nobody@example.jp" }))
        .send()
        .await
        .expect("reset");
    assert_eq!(r.status(), 202);
    assert!(app.emails().is_empty(), "mail is only sent by jobs");
    // Two request jobs (known and unknown address) and one mail job.
    assert_eq!(app.run_pending_jobs().await, 3);
    let mails = app.emails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, user.email);
    assert!(
        mails[0].subject.contains("パスワード"),
        "Japanese by default"
    );
    let link = mails[0]
        .text
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .expect("link")
        .trim()
        .to_string();
    let token = link.rsplit('/').next().expect("token").to_string();

    let confirm = |pw: &'static str, token: String| {
        reqwest::Client::new()
            .post(app.url("/api/v1/auth/password-reset/confirm"))
            .json(&json!({ "token": token, "new_password": pw }))
            .send()
    };
    let body = assert_error(
        confirm("short", token.clone()).await.expect("r"),
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["details"]["fields"]["new_password"].is_string());
    assert_eq!(
        confirm("a-brand-new-password", token.clone())
            .await
            .expect("r")
            .status(),
        204
    );
    // Single use.
    let body = assert_error(
        confirm("another-new-password", token).await.expect("r"),
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["details"]["fields"]["token"].is_string());
    // Old password fails, new works, old sessions ended.
    assert_eq!(
        login_raw(&app, &user.email, &user.password).await.status(),
        401
    );
    assert_eq!(
        login_raw(&app, &user.email, "a-brand-new-password")
            .await
            .status(),
        200
    );
    assert_eq!(
        old_session
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me")
            .status(),
        401
    );
    // And API tokens are revoked.
    assert_error(
        app.get_as(&old_token, "/api/v1/me").await,
        401,
        "unauthenticated",
    )
    .await;
}
db_test!(
    password_reset_works_once_through_the_emailed_link,
    password_reset_by_single_use_expiring_link
);

async fn expired_reset_links_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    app.post_as(
        "",
        "/api/v1/auth/password-reset",
        &json!({ "email": user.email }),
    )
    .await;
    app.run_pending_jobs().await;
    let text = app.emails()[0].text.clone();
    let token = text
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .and_then(|l| l.trim().rsplit('/').next())
        .expect("token")
        .to_string();
    use sea_orm::{EntityTrait, sea_query::Expr};
    entity::one_time_link::Entity::update_many()
        .col_expr(
            entity::one_time_link::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(app.db())
        .await
        .expect("expire");
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({ "token": token, "new_password": "a-brand-new-password" }))
        .send()
        .await
        .expect("r");
    assert_error(r, 422, "validation_failed").await;
    assert_eq!(
        login_raw(&app, &user.email, &user.password).await.status(),
        200
    );
}
db_test!(
    expired_password_reset_links_are_refused,
    expired_reset_links_are_refused
);

async fn a_reset_link_used_concurrently_on_two_instances_works_once(b: Backend) {
    let app = spawn_app(b).await;
    let other = spawn_second_instance(&app).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    app.post_as(
        "",
        "/api/v1/auth/password-reset",
        &json!({ "email": user.email }),
    )
    .await;
    app.run_pending_jobs().await;
    let text = app.emails()[0].text.clone();
    let token = text
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .and_then(|l| l.trim().rsplit('/').next())
        .expect("token")
        .to_string();
    let mut handles = Vec::new();
    for i in 0..10 {
        let url = if i % 2 == 0 {
            app.url("")
        } else {
            other.url("")
        };
        let token = token.clone();
        handles.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{url}/api/v1/auth/password-reset/confirm"))
                .json(
                    &json!({ "token": token, "new_password": format!("concurrent-password-{i}") }),
                )
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap_or(0));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        9,
        "{statuses:?}"
    );
}
db_test!(
    a_reset_link_used_concurrently_on_two_instances_works_exactly_once,
    a_reset_link_used_concurrently_on_two_instances_works_once
);

async fn login_emails_are_case_insensitive(b: Backend) {
    let app = spawn_app(b).await;
    let user = UserBuilder::new(Role::Finance)
        .aggregator("default")
        .email("Uehara.Kana@Example.JP")
        .password("sata-andagi-42")
        .insert(&app)
        .await;
    let r = login_raw(&app, " uehara.kana@example.jp ", &user.password).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["email"], "uehara.kana@example.jp");
}
db_test!(
    login_emails_are_trimmed_and_case_insensitive,
    login_emails_are_case_insensitive
);

async fn percent_encoded_paths_do_not_dodge_csrf(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let (c, _) = app.login(&user).await;
    // Routed like /api/v1/auth/logout, but written so that a raw-path test would miss it.
    let r = c
        .post(app.url("/%61pi/v1/auth/logout"))
        .send()
        .await
        .expect("post");
    assert_error(r, 403, "csrf_failed").await;
    assert_eq!(
        c.get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me")
            .status(),
        200
    );
}
db_test!(
    a_percent_encoded_api_path_still_needs_the_csrf_header,
    percent_encoded_paths_do_not_dodge_csrf
);

async fn parallel_guesses_do_not_exceed_the_account_limit(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let mut handles = Vec::new();
    for i in 0..40 {
        let url = app.url("/api/v1/auth/login");
        let email = user.email.clone();
        handles.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .json(&json!({"email": email, "password": format!("guess-number-{i}")}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap_or(0));
    }
    let verified = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(verified + limited, 40, "{statuses:?}");
    assert!(
        verified <= 5,
        "at most 5 guesses were checked, got {verified}"
    );
}
db_test!(
    parallel_password_guesses_never_exceed_the_per_account_limit,
    parallel_guesses_do_not_exceed_the_account_limit
);
