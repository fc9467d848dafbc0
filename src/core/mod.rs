//! Shared kernel without I/O: ids, secrets, pagination cursors, validation helpers.
pub mod cache;
pub mod csv;
pub mod failpoint;
pub mod invoice;
pub mod jp;
pub mod label;
pub mod locale;
pub mod money;
pub mod pagination;
pub mod sealed;
pub mod secrets;
pub mod validate;

/// The current instant, truncated to microseconds so it survives a PostgreSQL round trip
/// unchanged and compares the same on both databases.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}

/// Today's date in Asia/Tokyo (UTC+9, no daylight saving): the business calendar.
pub fn today_jst() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive()
}

/// A UTC time as Japan Standard Time wall-clock text (`2026-11-21 09:30:00`), for exports.
pub fn jst_text(t: chrono::DateTime<chrono::Utc>) -> String {
    (t + chrono::Duration::hours(9))
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A new time-ordered primary key.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
