//! The database as the arbiter of "at most one": one pending bank-account change per producer,
//! one pending revision per product, one photo per position of a product. Partial unique
//! indexes work the same on SQLite and PostgreSQL.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 3] = [
    "CREATE UNIQUE INDEX ux_bank_change_pending ON producer_bank_change (producer_id) WHERE status = 'pending'",
    "CREATE UNIQUE INDEX ux_revision_pending ON product_revision (product_id) WHERE status = 'pending'",
    "CREATE UNIQUE INDEX ux_product_image_position ON product_image (product_id, position)",
];

const DOWN: [&str; 3] = [
    "DROP INDEX ux_product_image_position",
    "DROP INDEX ux_revision_pending",
    "DROP INDEX ux_bank_change_pending",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for sql in UP {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for sql in DOWN {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
