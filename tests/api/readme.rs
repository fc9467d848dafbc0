//! The README's walkthrough, run as a newcomer would paste it: every ```bash block of the
//! Walkthrough section, in order, in one shell, against a fresh server (the release of this
//! build, on a fresh SQLite file). Each `curl -f` asserts its status; a `<placeholder>` left in
//! a command fails the test, so the walkthrough cannot drift from the code.
use std::{
    io::Write,
    net::TcpListener,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn walkthrough() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme.find("## Walkthrough").expect("walkthrough section");
    let end = readme[start..]
        .find("\n## Command line")
        .map(|i| start + i)
        .expect("end of the walkthrough");
    let section = &readme[start..end];
    let mut script = String::new();
    for block in section.split("```bash\n").skip(1) {
        let code = block.split("```").next().unwrap_or_default();
        script.push_str(code);
        script.push('\n');
    }
    script
}

#[test]
fn the_walkthrough_has_no_placeholders_left() {
    let script = walkthrough();
    assert!(script.lines().count() > 100, "the walkthrough is there");
    for (i, line) in script.lines().enumerate() {
        let code = line.split(" # ").next().unwrap_or_default();
        if code.trim_start().starts_with('#') {
            continue;
        }
        let has_placeholder = code.split('<').skip(1).any(|rest| {
            let name: String = rest.chars().take_while(|c| *c != '>').collect();
            rest.contains('>')
                && !name.is_empty()
                && name.len() < 40
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ' || c == '-')
        });
        assert!(
            !has_placeholder,
            "line {}: a placeholder is left: {line}",
            i + 1
        );
    }
}

#[test]
fn the_readme_walkthrough_runs_against_a_fresh_server() {
    let bin = env!("CARGO_BIN_EXE_yuimaru");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/tmp")
        .join(format!("readme-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(dir.join("bin")).expect("dirs");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let base = format!("http://127.0.0.1:{port}");
    // `cargo run --release -- ARGS` runs this build's binary; `cargo run --release` alone (start
    // the service) does nothing: the test has started it.
    let shim = dir.join("bin/cargo");
    std::fs::write(
        &shim,
        "#!/bin/sh\nshift 2\nif [ \"$1\" = \"--\" ]; then shift; exec \"$YUIMARU_BIN\" \"$@\"; fi\nexit 0\n",
    )
    .expect("shim");
    Command::new("chmod")
        .arg("755")
        .arg(&shim)
        .status()
        .expect("chmod");
    let env = [
        ("YUIMARU_ENV", "development".to_string()),
        (
            "YUIMARU__DATABASE__URL",
            format!("sqlite://{}/yuimaru.db?mode=rwc", dir.display()),
        ),
        ("YUIMARU__SERVER__PORT", port.to_string()),
        ("YUIMARU__SERVER__BASE_URL", base.clone()),
        (
            "YUIMARU__UPLOADS__DIR",
            dir.join("uploads").display().to_string(),
        ),
        (
            "YUIMARU__MAIL__FILE_DIR",
            dir.join("mail").display().to_string(),
        ),
        ("YUIMARU__LOG__FILTER", "warn".to_string()),
    ];
    let mut server = Command::new(bin)
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server");
    let started = Instant::now();
    while reqwest_ready(&base).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let script = format!("set -euo pipefail\n{}", walkthrough());
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .arg("-x")
        .current_dir(&dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("BASE", &base)
        .env("YUIMARU_BIN", bin)
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("script");
    let out = child.wait_with_output().expect("walkthrough");
    let _ = server.kill();
    let _ = server.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
    assert!(
        out.status.success(),
        "the walkthrough failed ({}):\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // A few answers the walkthrough promises.
    assert!(stdout.contains("\"role\":\"admin\""), "the token works");
    assert!(
        stdout.contains("\"status\":\"listed\""),
        "the product is listed"
    );
    assert!(
        stdout.contains("\"result\":\"paid\""),
        "the bank statement paid the order"
    );
    assert!(
        stdout.contains("\"fulfilment_status\":\"delivered\""),
        "delivered"
    );
    assert!(
        stdout.contains("\"refund_status\":\"owed\""),
        "the return's refund is owed"
    );
    assert!(dir.join("b2.csv").exists(), "the B2 file was written");
}

fn reqwest_ready(base: &str) -> Result<(), ()> {
    let out = Command::new("curl")
        .args(["-sf", &format!("{base}/health")])
        .output()
        .map_err(|_| ())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(())
    }
}
