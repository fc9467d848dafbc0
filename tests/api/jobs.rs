use crate::{db_test, helpers::*};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use yuimaru::{
    auth::jobs::PasswordReset,
    http::actor::Role,
    jobs::{
        Job, NewJob,
        builtin::{MailPayload, ProbePayload},
        enqueue,
    },
};

fn probe(payload: Value) -> NewJob {
    NewJob::new(ProbePayload::KIND, payload)
}

async fn a_rolled_back_job_never_runs(b: Backend) {
    let app = spawn_app(b).await;
    let txn = app.db().begin().await.expect("txn");
    enqueue(&txn, probe(json!({}))).await.expect("enqueue");
    txn.rollback().await.expect("rollback");
    assert_eq!(app.run_pending_jobs().await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM job").await, 0);
    // Committed: runs once.
    let txn = app.db().begin().await.expect("txn");
    enqueue(&txn, probe(json!({}))).await.expect("enqueue");
    txn.commit().await.expect("commit");
    assert_eq!(app.run_pending_jobs().await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE status = 'succeeded'")
            .await,
        1
    );
}
db_test!(
    a_job_enqueued_in_a_rolled_back_transaction_never_runs,
    a_rolled_back_job_never_runs
);

async fn failing_jobs_retry_then_dead_letter_then_replay(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let agg = app.default_aggregator().await;
    let mut job = probe(json!({"fail": "retry", "fail_times": 3})).tenant(Some(agg));
    job.max_attempts = Some(3);
    let id = enqueue(app.db(), job).await.expect("enqueue").expect("id");
    // Backoff is zero in the test config, so the retries are due at once: three attempts.
    assert_eq!(app.run_pending_jobs().await, 3);
    assert_eq!(
        app.run_pending_jobs().await,
        0,
        "dead letters are not retried"
    );
    let j = entity::job::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("q")
        .expect("job");
    assert_eq!(j.status, "dead");
    assert_eq!(j.attempts, 3);
    assert!(
        j.last_error
            .as_deref()
            .is_some_and(|e| e.contains("transient"))
    );

    let dead: Value = app
        .get_as(&op, "/api/v1/jobs?status=dead")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(dead["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(dead["items"][0]["id"], id.to_string());
    assert!(
        dead["items"][0].get("payload").is_none(),
        "payloads may hold personal data"
    );
    let detail: Value = app
        .get_as(&op, &format!("/api/v1/jobs/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["attempt_log"].as_array().map(Vec::len), Some(3));
    assert!(
        detail["attempt_log"]
            .as_array()
            .expect("log")
            .iter()
            .all(|a| a["outcome"] != "succeeded")
    );

    // Replay: queued again, and this time it succeeds.
    let r = app
        .post_as(&op, &format!("/api/v1/jobs/{id}/replay"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["status"], "queued");
    assert_eq!(app.run_pending_jobs().await, 1);
    let j = entity::job::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("q")
        .expect("job");
    assert_eq!(j.status, "succeeded");
    // A succeeded job cannot be replayed.
    let r = app
        .post_as(&op, &format!("/api/v1/jobs/{id}/replay"), &json!({}))
        .await;
    assert_error(r, 409, "job_not_replayable").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'job_replayed'")
            .await,
        1
    );
}
db_test!(
    a_failing_job_retries_then_dead_letters_then_replays,
    failing_jobs_retry_then_dead_letter_then_replay
);

async fn rejected_and_paused_jobs_are_not_retried(b: Backend) {
    let app = spawn_app(b).await;
    let rejected = enqueue(app.db(), probe(json!({"fail": "reject"})))
        .await
        .expect("e")
        .expect("id");
    let paused = enqueue(app.db(), probe(json!({"fail": "pause"})))
        .await
        .expect("e")
        .expect("id");
    assert_eq!(app.run_pending_jobs().await, 2);
    assert_eq!(app.run_pending_jobs().await, 0);
    let r = entity::job::Entity::find_by_id(rejected)
        .one(app.db())
        .await
        .expect("q")
        .expect("job");
    assert_eq!((r.status.as_str(), r.attempts), ("dead", 1));
    let p = entity::job::Entity::find_by_id(paused)
        .one(app.db())
        .await
        .expect("q")
        .expect("job");
    assert_eq!((p.status.as_str(), p.attempts), ("paused", 1));
}
db_test!(
    rejected_jobs_dead_letter_at_once_and_auth_failures_pause,
    rejected_and_paused_jobs_are_not_retried
);

async fn jobs_are_tenant_scoped(b: Backend) {
    let app = spawn_app(b).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    app.post_as(
        &admin,
        "/api/v1/aggregators",
        &json!({"slug": "kume", "name": "久米島"}),
    )
    .await;
    let other = app.create_user(Role::Operator, Some("kume")).await;
    let other_token = app.token_for(&other).await;
    let agg = app.default_aggregator().await;
    let id = enqueue(app.db(), probe(json!({})).tenant(Some(agg)))
        .await
        .expect("e")
        .expect("id");
    assert_error(
        app.get_as(&other_token, &format!("/api/v1/jobs/{id}"))
            .await,
        404,
        "not_found",
    )
    .await;
    let list: Value = app
        .get_as(&other_token, "/api/v1/jobs")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    let (_, producer) = app.user_with_token(Role::Producer).await;
    assert_error(
        app.get_as(&producer, "/api/v1/jobs").await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.get_as(&admin, &format!("/api/v1/jobs/{id}"))
            .await
            .status(),
        200
    );
    let r = app.get_as(&admin, "/api/v1/jobs?status=exploded").await;
    assert_error(r, 422, "validation_failed").await;
}
db_test!(
    operators_see_only_their_tenants_jobs,
    jobs_are_tenant_scoped
);

async fn jobs_carry_the_enqueuing_request_id_and_dedupe(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    reqwest::Client::new()
        .post(app.url("/api/v1/auth/password-reset"))
        .header("x-request-id", "reset-req-42")
        .json(&json!({"email": user.email}))
        .send()
        .await
        .expect("reset");
    let first = entity::job::Entity::find()
        .one(app.db())
        .await
        .expect("q")
        .expect("job");
    assert_eq!(first.kind, PasswordReset::KIND);
    assert_eq!(first.request_id.as_deref(), Some("reset-req-42"));
    // The mail job written by that job inherits the request id.
    assert_eq!(app.run_pending_jobs().await, 2);
    let j = entity::job::Entity::find()
        .filter(entity::job::Column::Kind.eq(MailPayload::KIND))
        .one(app.db())
        .await
        .expect("q")
        .expect("job");
    assert_eq!(j.request_id.as_deref(), Some("reset-req-42"));
    assert!(
        j.dedupe_key
            .as_deref()
            .is_some_and(|k| k.ends_with(":password_reset"))
    );
    // Same (event, template) twice → one job.
    let again =
        NewJob::new(MailPayload::KIND, json!({})).dedupe(j.dedupe_key.clone().unwrap_or_default());
    assert_eq!(enqueue(app.db(), again).await.expect("enqueue"), None);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE kind = 'mail.send'")
            .await,
        1
    );
    // Succeeded jobs keep no payload (addresses, one-time links).
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE payload <> '{}'")
            .await,
        0
    );
}
db_test!(
    a_job_carries_its_request_id_and_one_job_exists_per_event_and_template,
    jobs_carry_the_enqueuing_request_id_and_dedupe
);

async fn daily_schedules_fire_once(b: Backend) {
    let app = spawn_app(b).await;
    let second = spawn_second_instance(&app).await;
    use sea_orm::sea_query::Expr;
    entity::job_schedule::Entity::update_many()
        .col_expr(
            entity::job_schedule::Column::NextRunAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(5)),
        )
        .filter(entity::job_schedule::Column::Name.eq("daily-purge"))
        .exec(app.db())
        .await
        .expect("due");
    let (a, b2) = tokio::join!(app.run_pending_jobs(), second.run_pending_jobs());
    assert_eq!(a + b2, 1, "exactly one purge job ran");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE kind = 'system.purge' AND status = 'succeeded'")
            .await,
        1
    );
    let s = entity::job_schedule::Entity::find()
        .filter(entity::job_schedule::Column::Name.eq("daily-purge"))
        .one(app.db())
        .await
        .expect("q")
        .expect("row");
    assert!(s.next_run_at > chrono::Utc::now());
    assert_eq!(app.run_pending_jobs().await, 0);
}
db_test!(
    a_due_daily_schedule_fires_exactly_once_across_runners,
    daily_schedules_fire_once
);

fn worker(app: &TestApp, lease_seconds: u32) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_yuimaru"))
        .arg("worker")
        .env("YUIMARU_ENV", "test")
        .env("YUIMARU__DATABASE__URL", &app.db_url)
        .env("YUIMARU__JOBS__LEASE_SECONDS", lease_seconds.to_string())
        .env("YUIMARU__JOBS__POLL_INTERVAL_MS", "20")
        .env("YUIMARU__JOBS__CONCURRENCY", "4")
        .env("YUIMARU__MAIL__TRANSPORT", "memory")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("worker starts")
}

async fn wait_for(app: &TestApp, sql: &str, want: i64, limit: Duration) -> i64 {
    let start = Instant::now();
    loop {
        let n = app.count(sql).await;
        if n == want || start.elapsed() > limit {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn two_worker_processes_never_run_a_job_twice(b: Backend) {
    let app = spawn_app(b).await;
    const N: i64 = 300;
    for _ in 0..N {
        enqueue(app.db(), probe(json!({"sleep_ms": 20})))
            .await
            .expect("enqueue");
    }
    let mut w1 = worker(&app, 30);
    let mut w2 = worker(&app, 30);
    let done = wait_for(
        &app,
        "SELECT COUNT(*) FROM job_attempt WHERE outcome = 'succeeded'",
        N,
        Duration::from_secs(120),
    )
    .await;
    let _ = w1.kill();
    let _ = w2.kill();
    let _ = w1.wait();
    let _ = w2.wait();
    assert_eq!(done, N);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job_attempt").await,
        N,
        "one execution per job"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE attempts <> 1")
            .await,
        0
    );
    let runners = app
        .count("SELECT COUNT(DISTINCT runner) FROM job_attempt")
        .await;
    assert_eq!(runners, 2, "both processes took work");
}
db_test!(
    two_runner_processes_on_one_database_never_run_a_job_twice,
    two_worker_processes_never_run_a_job_twice
);

async fn a_killed_runners_job_is_retried_after_its_lease(b: Backend) {
    let app = spawn_app(b).await;
    let id = enqueue(
        app.db(),
        probe(json!({"sleep_ms": 60000, "sleep_attempts": 1})),
    )
    .await
    .expect("enqueue")
    .expect("id");
    let mut w1 = worker(&app, 2);
    let started = wait_for(
        &app,
        "SELECT COUNT(*) FROM job_attempt",
        1,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(started, 1);
    w1.kill().expect("kill -9");
    let _ = w1.wait();
    let killed_at = chrono::Utc::now();
    let lease = entity::job::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("q")
        .expect("job")
        .lease_until;
    let mut w2 = worker(&app, 2);
    let done = wait_for(
        &app,
        "SELECT COUNT(*) FROM job_attempt WHERE outcome = 'succeeded'",
        1,
        Duration::from_secs(30),
    )
    .await;
    let _ = w2.kill();
    let _ = w2.wait();
    assert_eq!(done, 1, "the job completed after the lease expired");
    let attempts = entity::job_attempt::Entity::find()
        .filter(entity::job_attempt::Column::JobId.eq(id))
        .all(app.db())
        .await
        .expect("attempts");
    assert_eq!(attempts.len(), 2);
    let second = attempts
        .iter()
        .find(|a| a.outcome.as_deref() == Some("succeeded"))
        .expect("second attempt");
    let first = attempts
        .iter()
        .find(|a| a.outcome.is_none())
        .expect("the killed attempt never finished");
    assert_ne!(first.runner, second.runner);
    assert!(second.started_at >= lease.expect("lease") - chrono::Duration::milliseconds(5));
    assert!(second.started_at >= killed_at - chrono::Duration::seconds(1));
}
db_test!(
    a_runner_killed_mid_job_leaves_it_to_be_retried_after_its_lease,
    a_killed_runners_job_is_retried_after_its_lease
);
