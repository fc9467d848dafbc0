//! The analytics area's queries: the rollup table. Orders, products and producers are read
//! through their areas' repos.
use super::domain::{CellKey, Facts};
use crate::core;
use entity::sales_daily;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

/// Adds `facts` to cell `key` of aggregator `agg` (created when new), in one statement.
///
/// # Errors
/// Database failure.
pub async fn add(
    db: &impl ConnectionTrait,
    agg: Uuid,
    key: &CellKey,
    f: &Facts,
) -> Result<(), DbErr> {
    use sales_daily::Column as C;
    let row = sales_daily::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg),
        day: Set(key.day),
        producer_id: Set(key.producer_id),
        municipality_code: Set(key.municipality_code.clone()),
        island_code: Set(key.island_code.clone()),
        category_code: Set(key.category_code.clone()),
        channel: Set(key.channel.clone()),
        market: Set(key.market.clone()),
        destination_prefecture: Set(key.destination_prefecture.clone()),
        sales_incl: Set(f.sales_incl),
        sales_excl: Set(f.sales_excl),
        units: Set(f.units),
        lines: Set(f.lines),
        returns_incl: Set(f.returns_incl),
        returns_units: Set(f.returns_units),
        refunds: Set(f.refunds),
        orders: Set(f.orders),
        updated_at: Set(core::now()),
    };
    let sum = |c: C| {
        let name = match c {
            C::SalesIncl => "sales_incl",
            C::SalesExcl => "sales_excl",
            C::Units => "units",
            C::Lines => "lines",
            C::ReturnsIncl => "returns_incl",
            C::ReturnsUnits => "returns_units",
            C::Refunds => "refunds",
            _ => "orders",
        };
        (
            c,
            Expr::col((sales_daily::Entity, c)).add(Expr::cust(format!("excluded.{name}"))),
        )
    };
    let mut conflict = OnConflict::columns([
        C::AggregatorId,
        C::Day,
        C::ProducerId,
        C::MunicipalityCode,
        C::IslandCode,
        C::CategoryCode,
        C::Channel,
        C::Market,
        C::DestinationPrefecture,
    ]);
    for c in [
        C::SalesIncl,
        C::SalesExcl,
        C::Units,
        C::Lines,
        C::ReturnsIncl,
        C::ReturnsUnits,
        C::Refunds,
        C::Orders,
    ] {
        let (c, e) = sum(c);
        conflict.value(c, e);
    }
    conflict.update_column(C::UpdatedAt);
    sales_daily::Entity::insert(row)
        .on_conflict(conflict.to_owned())
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Every cell of aggregator `agg`, oldest day first.
///
/// # Errors
/// Database failure.
pub async fn cells(db: &impl ConnectionTrait, agg: Uuid) -> Result<Vec<sales_daily::Model>, DbErr> {
    sales_daily::Entity::find()
        .filter(sales_daily::Column::AggregatorId.eq(agg))
        .order_by_asc(sales_daily::Column::Day)
        .order_by_asc(sales_daily::Column::Id)
        .all(db)
        .await
}

/// Removes every cell of aggregator `agg` (before a rebuild writes them again).
///
/// # Errors
/// Database failure.
pub async fn clear(db: &impl ConnectionTrait, agg: Uuid) -> Result<u64, DbErr> {
    sales_daily::Entity::delete_many()
        .filter(sales_daily::Column::AggregatorId.eq(agg))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// The cells of producers in municipalities `codes` (every aggregator) with a day in
/// `from..until`.
///
/// # Errors
/// Database failure.
pub async fn cells_of_municipalities(
    db: &impl ConnectionTrait,
    codes: Vec<String>,
    from: chrono::NaiveDate,
    until: chrono::NaiveDate,
) -> Result<Vec<sales_daily::Model>, DbErr> {
    sales_daily::Entity::find()
        .filter(sales_daily::Column::MunicipalityCode.is_in(codes))
        .filter(sales_daily::Column::Day.gte(from))
        .filter(sales_daily::Column::Day.lt(until))
        .all(db)
        .await
}

/// The producers of municipalities `codes` with a sale before `day` (every aggregator).
///
/// # Errors
/// Database failure.
pub async fn producers_before(
    db: &impl ConnectionTrait,
    codes: Vec<String>,
    day: chrono::NaiveDate,
) -> Result<std::collections::BTreeSet<Uuid>, DbErr> {
    use sea_orm::QuerySelect;
    sales_daily::Entity::find()
        .select_only()
        .column(sales_daily::Column::ProducerId)
        .filter(sales_daily::Column::MunicipalityCode.is_in(codes))
        .filter(sales_daily::Column::Day.lt(day))
        .filter(sales_daily::Column::SalesIncl.gt(0))
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await
        .map(|v| v.into_iter().collect())
}
