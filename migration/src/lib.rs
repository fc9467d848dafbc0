//! Database migrations for yuimaru. Run by the application at start-up (`yuimaru migrate up`)
//! or standalone (`cargo run -p migration -- up` is not provided; use the main binary).
pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261121_000002_reference_data;
mod m20261121_000003_producers;
mod m20261121_000004_catalog;
mod m20261121_000005_product_images;
mod m20261121_000006_pending_uniques;
mod m20261121_000007_inventory;
mod m20261121_000008_stock_alerts;
mod m20261121_000009_inventory_rules;
mod m20261121_000010_returns;
mod m20261121_000011_receipt_photos;
mod m20261121_000012_receipt_lines;
mod m20261121_000013_shop;
mod m20261121_000014_fulfilment;
mod m20261202_000015_orders_events;
mod m20261202_000016_cod_slips;
mod m20261203_000017_channels;
mod m20261203_000018_channel_orders;
mod m20261206_000019_money;
mod m20261206_000020_invoice_rules;
mod m20261206_000021_statements;
mod m20261207_000022_payouts;
mod m20261207_000023_refund_payouts;
mod m20261207_000024_stock_losses;
mod m20261208_000025_money_documents;
mod m20261208_000026_sales_daily;

/// All migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_reference_data::Migration),
            Box::new(m20261121_000003_producers::Migration),
            Box::new(m20261121_000004_catalog::Migration),
            Box::new(m20261121_000005_product_images::Migration),
            Box::new(m20261121_000006_pending_uniques::Migration),
            Box::new(m20261121_000007_inventory::Migration),
            Box::new(m20261121_000008_stock_alerts::Migration),
            Box::new(m20261121_000009_inventory_rules::Migration),
            Box::new(m20261121_000010_returns::Migration),
            Box::new(m20261121_000011_receipt_photos::Migration),
            Box::new(m20261121_000012_receipt_lines::Migration),
            Box::new(m20261121_000013_shop::Migration),
            Box::new(m20261121_000014_fulfilment::Migration),
            Box::new(m20261202_000015_orders_events::Migration),
            Box::new(m20261202_000016_cod_slips::Migration),
            Box::new(m20261203_000017_channels::Migration),
            Box::new(m20261203_000018_channel_orders::Migration),
            Box::new(m20261206_000019_money::Migration),
            Box::new(m20261206_000020_invoice_rules::Migration),
            Box::new(m20261206_000021_statements::Migration),
            Box::new(m20261207_000022_payouts::Migration),
            Box::new(m20261207_000023_refund_payouts::Migration),
            Box::new(m20261207_000024_stock_losses::Migration),
            Box::new(m20261208_000025_money_documents::Migration),
            Box::new(m20261208_000026_sales_daily::Migration),
        ]
    }
}
