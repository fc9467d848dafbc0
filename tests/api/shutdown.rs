//! Graceful shutdown of the real binary: SIGTERM lets the in-flight job finish.
use crate::{db_test, helpers::*};
use serde_json::json;
use std::time::{Duration, Instant};
use yuimaru::jobs::{Job, NewJob, builtin::ProbePayload, enqueue};

async fn sigterm_lets_the_running_job_finish(b: Backend) {
    let app = spawn_app(b).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_yuimaru"))
        .arg("serve")
        .env("YUIMARU_ENV", "test")
        .env("YUIMARU__DATABASE__URL", &app.db_url)
        .env("YUIMARU__SERVER__PORT", port.to_string())
        .env("YUIMARU__JOBS__RUN_IN_SERVE", "true")
        .env("YUIMARU__JOBS__POLL_INTERVAL_MS", "20")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while reqwest::get(format!("{base}/health")).await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = enqueue(
        app.db(),
        NewJob::new(ProbePayload::KIND, json!({"sleep_ms": 1500})),
    )
    .await
    .expect("enqueue")
    .expect("id");
    while app.count("SELECT COUNT(*) FROM job_attempt").await == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "job was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let stopped = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "server did not stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "clean exit: {status:?}");
    use sea_orm::EntityTrait;
    let job = entity::job::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("q")
        .expect("job");
    assert_eq!(
        job.status, "succeeded",
        "the in-flight job finished before exit"
    );
    assert!(
        reqwest::get(format!("{base}/health")).await.is_err(),
        "no longer serving"
    );
}
db_test!(
    sigterm_stops_serving_and_lets_the_running_job_finish,
    sigterm_lets_the_running_job_finish
);
