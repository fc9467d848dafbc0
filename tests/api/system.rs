use crate::{db_test, helpers::*};

async fn health_and_ready_answer(b: Backend) {
    let app = spawn_app(b).await;
    let r = reqwest::get(app.url("/health")).await.expect("health");
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("x-request-id").is_some());
    let r = reqwest::get(app.url("/ready")).await.expect("ready");
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["status"], "ready");
}
db_test!(
    health_and_ready_answer_with_request_ids,
    health_and_ready_answer
);

async fn ready_reports_unavailable_when_the_database_is_gone(b: Backend) {
    let app = spawn_app(b).await;
    app.db().clone().close().await.ok();
    let r = reqwest::get(app.url("/ready")).await.expect("ready");
    assert_eq!(r.status(), 503);
    // /health does not touch the database.
    let r = reqwest::get(app.url("/health")).await.expect("health");
    assert_eq!(r.status(), 200);
}
db_test!(
    ready_is_503_when_the_database_does_not_answer,
    ready_reports_unavailable_when_the_database_is_gone
);

async fn sane_incoming_request_ids_are_kept_and_insane_ones_replaced(b: Backend) {
    let app = spawn_app(b).await;
    let c = reqwest::Client::new();
    let r = c
        .get(app.url("/api/v1/me"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .expect("req");
    assert_eq!(r.headers()["x-request-id"], "trace-abc-123");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["request_id"], "trace-abc-123");
    let r = c
        .get(app.url("/health"))
        .header("x-request-id", "<script>")
        .send()
        .await
        .expect("req");
    let id = r.headers()["x-request-id"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert_ne!(id, "<script>");
    assert!(uuid::Uuid::parse_str(&id).is_ok());
}
db_test!(
    request_ids_come_from_a_sane_header_or_are_new_uuids,
    sane_incoming_request_ids_are_kept_and_insane_ones_replaced
);

async fn a_fresh_database_gets_the_default_aggregator_once(b: Backend) {
    let app = spawn_app(b).await;
    let second = spawn_second_instance(&app).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM aggregator").await, 1);
    let _ = second;
    let (_, token) = app.user_with_token(yuimaru::http::actor::Role::Admin).await;
    let r = app.get_as(&token, "/api/v1/aggregators").await;
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["items"][0]["slug"], "default");
}
db_test!(
    a_fresh_database_gets_one_default_aggregator,
    a_fresh_database_gets_the_default_aggregator_once
);

async fn the_migrate_command_reports_applies_and_rolls_back(b: Backend) {
    let url = fresh_database(&b).await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_yuimaru"))
            .args(args)
            .env("YUIMARU_ENV", "test")
            .env("YUIMARU__DATABASE__URL", &url)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(run(&["migrate", "status"]).contains("pending  m20261121_000001_foundation"));
    assert!(run(&["migrate", "up"]).contains("applied"));
    assert!(run(&["migrate", "status"]).contains("applied  m20261121_000001_foundation"));
    let created = run(&[
        "aggregator",
        "create",
        "--slug",
        "yaeyama",
        "--name",
        "八重山",
    ]);
    assert!(created.contains("created aggregator yaeyama"), "{created}");
    // The CLI refuses a bad slug with a message, not a panic.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yuimaru"))
        .args(["aggregator", "create", "--slug", "API", "--name", "x"])
        .env("YUIMARU_ENV", "test")
        .env("YUIMARU__DATABASE__URL", &url)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("slug"));
    assert!(run(&["migrate", "down"]).contains("rolled back 1"));
    let status = run(&["migrate", "status"]);
    let pending: Vec<&str> = status
        .lines()
        .filter(|l| l.starts_with("pending"))
        .collect();
    assert_eq!(
        pending.len(),
        1,
        "only the last migration was rolled back: {status}"
    );
    assert_eq!(status.lines().last(), pending.first().copied(), "{status}");
    assert!(
        status.contains("applied  m20261121_000001_foundation"),
        "{status}"
    );
}
db_test!(
    the_migrate_command_reports_applies_and_rolls_back_migrations,
    the_migrate_command_reports_applies_and_rolls_back
);
