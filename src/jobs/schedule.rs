//! Daily jobs: a `job_schedule` row per recurring job; any runner may fire a due schedule, and
//! a conditional update makes sure only one does.
use super::repo;
use super::{
    NewJob, enqueue,
    registry::{Every, Registry},
};
use crate::{config::Settings, core, db, state::AppState};
use chrono::{DateTime, Duration, Utc};
use entity::job_schedule;
use sea_orm::{ActiveValue::Set, DatabaseConnection};

/// When a schedule firing `every` is next due after `after`.
pub fn next_for(every: Every, after: DateTime<Utc>, hour_jst: u32) -> DateTime<Utc> {
    match every {
        Every::FiveMinutes => after + Duration::minutes(5),
        Every::Day => next_daily(after, hour_jst),
    }
}

/// The next instant at `hour_jst`:00 Asia/Tokyo (UTC+9, no daylight saving) strictly after `after`.
pub fn next_daily(after: DateTime<Utc>, hour_jst: u32) -> DateTime<Utc> {
    let utc_hour = (hour_jst.min(23) + 15) % 24;
    let mut candidate = after
        .date_naive()
        .and_hms_opt(utc_hour, 0, 0)
        .map(|n| n.and_utc())
        .unwrap_or(after)
        - Duration::days(1);
    while candidate <= after {
        candidate += Duration::days(1);
    }
    candidate
}

/// Inserts missing schedule rows.
///
/// # Errors
/// Database failure.
pub async fn ensure_schedules(
    db: &DatabaseConnection,
    settings: &Settings,
    registry: &Registry,
) -> anyhow::Result<()> {
    for s in registry.schedules() {
        let (name, kind) = (s.name, s.kind);
        if repo::schedule(db, name).await?.is_none() {
            let row = job_schedule::ActiveModel {
                name: Set(name.to_string()),
                kind: Set(kind.to_string()),
                next_run_at: Set(next_for(s.every, core::now(), settings.jobs.daily_hour_jst)),
                last_run_at: Set(None),
            };
            repo::insert_schedule(db, row).await?;
        }
    }
    Ok(())
}

/// Fires every due schedule once: advances it and enqueues its job in one transaction.
///
/// # Errors
/// Database failure.
pub async fn tick(state: &AppState) -> anyhow::Result<()> {
    let now = core::now();
    let registry = state.part::<Registry>()?;
    let due = repo::due_schedules(&state.db, now).await?;
    for s in due {
        // A schedule row no area registers any more is left alone.
        let Some((every, kind)) = registry
            .schedules()
            .iter()
            .find(|r| r.name == s.name)
            .map(|r| (r.every, r.kind))
        else {
            continue;
        };
        let txn = db::begin_write(&state.db).await?;
        let next = next_for(every, now, state.settings.jobs.daily_hour_jst);
        if repo::advance_schedule(&txn, &s.name, s.next_run_at, next, now).await? {
            enqueue(
                &txn,
                NewJob::new(kind, serde_json::json!({})).dedupe(format!(
                    "schedule:{}:{}",
                    s.name,
                    s.next_run_at.timestamp()
                )),
            )
            .await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn next_daily_is_the_next_3am_in_tokyo() {
        // 2026-11-21 05:40 UTC = 14:40 JST → next 03:00 JST is 2026-11-22 03:00 JST = 11-21 18:00 UTC.
        let after = Utc.with_ymd_and_hms(2026, 11, 21, 5, 40, 0).single();
        let next = after.map(|a| next_daily(a, 3));
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 21, 18, 0, 0).single());
        // Exactly at the hour → the next day.
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 18, 0, 0).single();
        assert_eq!(
            at.map(|a| next_daily(a, 3)),
            Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).single()
        );
    }
}
