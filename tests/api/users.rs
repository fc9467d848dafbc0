use crate::{db_test, helpers::*};
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

async fn invited_users_set_their_password_through_the_emailed_link(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let r = app
        .post_as(
            &op,
            "/api/v1/users",
            &json!({"email": "Kana@Example.JP", "display_name": "比嘉 かな", "role": "producer", "locale": "en"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let u: Value = r.json().await.expect("json");
    assert_eq!(u["email"], "kana@example.jp");
    assert_eq!(u["has_password"], false);
    assert_eq!(
        u["aggregator_id"],
        app.default_aggregator().await.to_string()
    );
    // Same email again.
    let r = app
        .post_as(
            &op,
            "/api/v1/users",
            &json!({"email": "kana@example.jp", "display_name": "x", "role": "producer"}),
        )
        .await;
    assert_error(r, 409, "email_taken").await;

    assert_eq!(app.run_pending_jobs().await, 1);
    let mail = app.emails().pop().expect("invitation");
    assert_eq!(mail.to, "kana@example.jp");
    assert!(
        mail.subject.contains("invited"),
        "English for an en user: {}",
        mail.subject
    );
    assert!(mail.html.contains("<a href="));
    let token = mail
        .text
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .and_then(|l| l.trim().rsplit('/').next())
        .expect("token")
        .to_string();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({"token": token, "new_password": "island-jam-2026"}))
        .send()
        .await
        .expect("confirm");
    assert_eq!(r.status(), 204);
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "kana@example.jp", "password": "island-jam-2026"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'user_invited'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'invitation_accepted'")
            .await,
        1
    );
}
db_test!(
    invited_users_set_a_password_through_the_emailed_link,
    invited_users_set_their_password_through_the_emailed_link
);

async fn operators_are_confined_to_their_tenant_and_grants(b: Backend) {
    let app = spawn_app(b).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let r = app
        .post_as(
            &admin,
            "/api/v1/aggregators",
            &json!({"slug": "miyako", "name": "宮古島物産"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (_, op) = app.user_with_token(Role::Operator).await;
    let other_op = app.create_user(Role::Operator, Some("miyako")).await;

    // Operators cannot grant admin or officer.
    for role in ["admin", "officer"] {
        let r = app
            .post_as(&op, "/api/v1/users", &json!({"email": format!("{role}@example.jp"), "display_name": "x", "role": role, "prefecture_code": "47"}))
            .await;
        assert_error(r, 403, "forbidden").await;
    }
    // Another tenant's user does not exist for them.
    assert_error(
        app.get_as(&op, &format!("/api/v1/users/{}", other_op.id))
            .await,
        404,
        "not_found",
    )
    .await;
    let r = app
        .post_as(
            &op,
            &format!("/api/v1/users/{}/deactivate", other_op.id),
            &json!({}),
        )
        .await;
    assert_error(r, 404, "not_found").await;
    // And the list shows only their own tenant.
    let list: Value = app
        .get_as(&op, "/api/v1/users")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["email"] != other_op.email.as_str())
    );
    // Producers, officers and finance cannot manage users at all.
    for role in [Role::Producer, Role::Officer, Role::Finance] {
        let (_, t) = app.user_with_token(role).await;
        assert_error(app.get_as(&t, "/api/v1/users").await, 403, "forbidden").await;
        assert_error(
            app.post_as(
                &t,
                "/api/v1/aggregators",
                &json!({"slug": "x1", "name": "x"}),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
    }
}
db_test!(
    operators_only_manage_their_own_tenant_and_roles,
    operators_are_confined_to_their_tenant_and_grants
);

async fn role_changes_are_audited_and_end_sessions(b: Backend) {
    let app = spawn_app(b).await;
    let (admin_user, admin) = app.user_with_token(Role::Admin).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let (session, _) = app.login(&user).await;
    let r = app
        .patch_as(
            &admin,
            &format!("/api/v1/users/{}", user.id),
            &json!({"role": "finance"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["role"], "finance");
    assert_eq!(
        session
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me")
            .status(),
        401
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'role_changed' AND details LIKE '%\"from\":\"operator\"%' AND details LIKE '%\"to\":\"finance\"%'").await,
        1
    );
    // Officers need a prefecture; a bad one is named.
    let r = app
        .patch_as(
            &admin,
            &format!("/api/v1/users/{}", user.id),
            &json!({"role": "officer"}),
        )
        .await;
    let body = assert_error(r, 422, "validation_failed").await;
    assert!(body["error"]["details"]["fields"]["prefecture_code"].is_string());
    // Nobody changes their own role.
    let r = app
        .patch_as(
            &admin,
            &format!("/api/v1/users/{}", admin_user.id),
            &json!({"role": "operator"}),
        )
        .await;
    assert_error(r, 409, "cannot_change_own_role").await;
}
db_test!(
    role_changes_are_audited_and_end_the_users_sessions,
    role_changes_are_audited_and_end_sessions
);

async fn deactivation_ends_sessions_and_tokens(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let user = app.create_user(Role::Producer, Some("default")).await;
    let token = app.token_for(&user).await;
    let (session, _) = app.login(&user).await;
    let r = app
        .post_as(
            &op,
            &format!("/api/v1/users/{}/deactivate", user.id),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_error(
        app.get_as(&token, "/api/v1/me").await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        session
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me")
            .status(),
        401
    );
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .expect("login");
    assert_error(r, 401, "invalid_credentials").await;
    // Reactivated: can log in again, old token stays revoked.
    let r = app
        .post_as(
            &op,
            &format!("/api/v1/users/{}/reactivate", user.id),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.login(&user).await;
    assert_error(
        app.get_as(&token, "/api/v1/me").await,
        401,
        "unauthenticated",
    )
    .await;
}
db_test!(
    deactivating_a_user_ends_their_sessions_and_tokens,
    deactivation_ends_sessions_and_tokens
);
