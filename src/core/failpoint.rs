//! Crash points for the crash tests: when the environment variable `YUIMARU_FAILPOINTS` lists
//! a point's name (comma-separated), reaching it writes `FAILPOINT <name>` to stderr and stops
//! the process there for good, so the test can kill it with SIGKILL at exactly that step and
//! check what a restart finds. Unset (always, outside those tests) a point costs one lookup
//! in an empty list.
use std::sync::OnceLock;

fn armed() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        std::env::var("YUIMARU_FAILPOINTS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(ToString::to_string)
            .collect()
    })
}

/// Stops here for good when `name` is armed (see the module).
pub fn hit(name: &str) {
    if armed().iter().any(|a| a == name) {
        eprintln!("FAILPOINT {name}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}
