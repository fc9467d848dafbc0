//! Group commit at its real boundary (a SQLite file, a PostgreSQL server): a batch that fails
//! as a whole is written again one input at a time, so only the bad input fails.
use crate::{db_test, helpers::*};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};
use yuimaru::db::group_commit::{BatchFuture, GroupCommit};

/// Inserts every value in one call; a value already stored fails the whole batch. "slow"
/// holds the writer for a while, so the inputs sent meanwhile form one batch.
fn insert_all<'a>(
    txn: &'a DatabaseTransaction,
    values: &'a [String],
) -> BatchFuture<'a, String, DbErr> {
    Box::pin(async move {
        if values.iter().any(|v| v == "slow") {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        let backend = txn.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => "INSERT INTO gc_probe (v) VALUES ($1)",
            _ => "INSERT INTO gc_probe (v) VALUES (?)",
        };
        let stmts = values
            .iter()
            .map(|v| Statement::from_sql_and_values(backend, sql, [v.clone().into()]))
            .collect();
        yuimaru::db::execute_all(txn, stmts).await?;
        Ok(values.iter().map(|v| Ok(v.clone())).collect())
    })
}

async fn a_failed_batch_is_written_again_one_input_at_a_time(b: Backend) {
    let app = spawn_app(b).await;
    app.db()
        .execute_unprepared("CREATE TABLE gc_probe (v VARCHAR(40) PRIMARY KEY)")
        .await
        .expect("table");
    let gc = GroupCommit::new(app.db().clone(), &app.state.settings.database, insert_all);
    let slow = {
        let gc = gc.clone();
        tokio::spawn(async move { gc.run("slow".to_string()).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut tasks = Vec::new();
    for v in (0..20)
        .map(|i| format!("v{i}"))
        .chain(["dup".into(), "dup".into()])
    {
        let gc = gc.clone();
        tasks.push(tokio::spawn(async move { gc.run(v).await }));
    }
    assert_eq!(slow.await.expect("task").expect("slow written"), "slow");
    let mut failed = 0;
    for t in tasks {
        if t.await.expect("task").is_err() {
            failed += 1;
        }
    }
    // The second "dup" fails; everything else is stored.
    assert_eq!(failed, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM gc_probe").await, 22);
}
db_test!(
    failed_batch_one_by_one,
    a_failed_batch_is_written_again_one_input_at_a_time
);
