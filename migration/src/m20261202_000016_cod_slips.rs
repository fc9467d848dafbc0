//! Cash on delivery per slip (DOMAIN-JP.md §4): each parcel records its コレクト slip — the fee,
//! the amount it collects and the consumption tax in it — fixed when the order is placed, so the
//! order, the receipt and the B2 file read one set of numbers.
//!
//! Orders placed before collected their whole amount with parcel 1 (what the B2 export did), so
//! parcel 1 of each cash-on-delivery order gets the order's grand total, its tax and its fee.
//! Saved shop settings move from the flat `cod_fee_yen` to `cash_on_delivery`: the published
//! tiers when the fee was the default ¥330, otherwise that fee as one tier up to ¥300,000 (the
//! shop keeps charging what it charged); one parcel collects, as before.
use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, prelude::Uuid},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Parcel {
    Table,
    CodFee,
    CodAmount,
    CodTax,
}

#[derive(DeriveIden)]
enum ShopSettings {
    Table,
    AggregatorId,
    Body,
}

/// The saved settings document with `cod_fee_yen` replaced by `cash_on_delivery`.
fn rewritten(body: &str) -> Option<String> {
    let mut doc: serde_json::Value = serde_json::from_str(body).ok()?;
    let obj = doc.as_object_mut()?;
    let old = obj.remove("cod_fee_yen")?;
    let fee = old.as_i64().unwrap_or(330);
    let tiers = if fee == 330 {
        serde_json::json!([
            {"up_to_yen": 10000, "fee_yen": 330},
            {"up_to_yen": 30000, "fee_yen": 440},
            {"up_to_yen": 100000, "fee_yen": 660},
            {"up_to_yen": 300000, "fee_yen": 1100}
        ])
    } else {
        serde_json::json!([{"up_to_yen": 300000, "fee_yen": fee}])
    };
    obj.entry("cash_on_delivery")
        .or_insert(serde_json::json!({"collection": "one_parcel", "fee_tiers": tiers}));
    serde_json::to_string(&doc).ok()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for c in [Parcel::CodFee, Parcel::CodAmount, Parcel::CodTax] {
            m.alter_table(
                Table::alter()
                    .table(Parcel::Table)
                    .add_column(big_integer(c).default(0))
                    .to_owned(),
            )
            .await?;
        }
        m.get_connection()
            .execute_unprepared(
                "UPDATE parcel SET \
                   cod_amount = (SELECT o.grand_total FROM shop_order o WHERE o.id = parcel.order_id), \
                   cod_tax = (SELECT o.tax8 + o.tax10 FROM shop_order o WHERE o.id = parcel.order_id), \
                   cod_fee = (SELECT o.cod_fee FROM shop_order o WHERE o.id = parcel.order_id) \
                 WHERE seq = 1 AND order_id IN \
                   (SELECT id FROM shop_order WHERE payment_method = 'cash_on_delivery')",
            )
            .await?;
        let db = m.get_connection();
        let select = Query::select()
            .columns([ShopSettings::AggregatorId, ShopSettings::Body])
            .from(ShopSettings::Table)
            .to_owned();
        let rows = db.query_all(&select).await?;
        for row in rows {
            let id: Uuid = row.try_get("", "aggregator_id")?;
            let body: String = row.try_get("", "body")?;
            if let Some(new) = rewritten(&body) {
                let update = Query::update()
                    .table(ShopSettings::Table)
                    .value(ShopSettings::Body, new)
                    .and_where(Expr::col(ShopSettings::AggregatorId).eq(id))
                    .to_owned();
                m.exec_stmt(update).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [Parcel::CodFee, Parcel::CodAmount, Parcel::CodTax] {
            m.alter_table(
                Table::alter()
                    .table(Parcel::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::rewritten;

    #[test]
    fn saved_settings_keep_their_fee() {
        let new = rewritten(r#"{"cod_fee_yen": 440, "max_qty_per_line": 10}"#).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&new).unwrap_or_default();
        assert!(v.get("cod_fee_yen").is_none());
        assert_eq!(v["cash_on_delivery"]["fee_tiers"][0]["fee_yen"], 440);
        assert_eq!(v["cash_on_delivery"]["collection"], "one_parcel");
        assert_eq!(v["max_qty_per_line"], 10);
        let new = rewritten(r#"{"cod_fee_yen": 330}"#).unwrap_or_default();
        assert!(new.contains("1100"), "{new}");
        assert_eq!(
            rewritten(r#"{"max_qty_per_line": 10}"#),
            None,
            "already new"
        );
    }
}
