//! Consignment inventory: warehouse locations, inbound shipments (ASN) and their lines,
//! receipt events, stock lots with a balance row, the append-only stock movement ledger,
//! reservations and their lot allocations.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Location {
    Table,
    Id,
    AggregatorId,
    Code,
    Zone,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InboundShipment {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    Status,
    TemperatureClass,
    Transport,
    ShipDate,
    ExpectedArrival,
    Boxes,
    Notes,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InboundLine {
    Table,
    Id,
    AggregatorId,
    ShipmentId,
    SkuId,
    DeclaredQty,
    LotCode,
    BestBefore,
    ReceivedQty,
    DamagedQty,
    RefusedQty,
}

#[derive(DeriveIden)]
enum Receipt {
    Table,
    Id,
    AggregatorId,
    ShipmentId,
    IdempotencyKey,
    Notes,
    ReceivedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockLot {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    SkuId,
    LotCode,
    BestBefore,
    LocationId,
    OnHand,
    Reserved,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockMovement {
    Table,
    Id,
    AggregatorId,
    LotId,
    SkuId,
    Kind,
    OnHandDelta,
    ReservedDelta,
    CauseType,
    CauseId,
    ActorUserId,
    LossBearer,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reservation {
    Table,
    Id,
    AggregatorId,
    Status,
    ExpiresAt,
    DestinationPrefecture,
    Reference,
    IdempotencyKey,
    RequestHash,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReservationLine {
    Table,
    Id,
    AggregatorId,
    ReservationId,
    SkuId,
    LotId,
    Qty,
}

#[derive(DeriveIden)]
enum Sku {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Location::Table)
                .col(uuid(Location::Id).primary_key())
                .col(uuid(Location::AggregatorId))
                .col(string_len(Location::Code, 32))
                .col(string_len(Location::Zone, 16))
                .col(boolean(Location::Active))
                .col(timestamp_with_time_zone(Location::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_location_code")
                .table(Location::Table)
                .col(Location::AggregatorId)
                .col(Location::Code)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InboundShipment::Table)
                .col(uuid(InboundShipment::Id).primary_key())
                .col(uuid(InboundShipment::AggregatorId))
                .col(uuid(InboundShipment::ProducerId))
                .col(string_len(InboundShipment::Status, 24))
                .col(string_len(InboundShipment::TemperatureClass, 16))
                .col(string_len(InboundShipment::Transport, 16))
                .col(date_null(InboundShipment::ShipDate))
                .col(date_null(InboundShipment::ExpectedArrival))
                .col(integer(InboundShipment::Boxes))
                .col(text(InboundShipment::Notes))
                .col(uuid(InboundShipment::CreatedBy))
                .col(timestamp_with_time_zone(InboundShipment::CreatedAt))
                .col(timestamp_with_time_zone(InboundShipment::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_shipment_aggregator")
                .table(InboundShipment::Table)
                .col(InboundShipment::AggregatorId)
                .col(InboundShipment::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InboundLine::Table)
                .col(uuid(InboundLine::Id).primary_key())
                .col(uuid(InboundLine::AggregatorId))
                .col(uuid(InboundLine::ShipmentId))
                .col(uuid(InboundLine::SkuId))
                .col(big_integer(InboundLine::DeclaredQty))
                .col(string_len(InboundLine::LotCode, 64))
                .col(date(InboundLine::BestBefore))
                .col(big_integer(InboundLine::ReceivedQty))
                .col(big_integer(InboundLine::DamagedQty))
                .col(big_integer(InboundLine::RefusedQty))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_inbound_line_shipment")
                        .from(InboundLine::Table, InboundLine::ShipmentId)
                        .to(InboundShipment::Table, InboundShipment::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_inbound_line_sku")
                        .from(InboundLine::Table, InboundLine::SkuId)
                        .to(Sku::Table, Sku::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Receipt::Table)
                .col(uuid(Receipt::Id).primary_key())
                .col(uuid(Receipt::AggregatorId))
                .col(uuid(Receipt::ShipmentId))
                .col(string_len(Receipt::IdempotencyKey, 200))
                .col(text(Receipt::Notes))
                .col(uuid(Receipt::ReceivedBy))
                .col(timestamp_with_time_zone(Receipt::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_receipt_idempotency")
                .table(Receipt::Table)
                .col(Receipt::ShipmentId)
                .col(Receipt::IdempotencyKey)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockLot::Table)
                .col(uuid(StockLot::Id).primary_key())
                .col(uuid(StockLot::AggregatorId))
                .col(uuid(StockLot::ProducerId))
                .col(uuid(StockLot::SkuId))
                .col(string_len(StockLot::LotCode, 64))
                .col(date(StockLot::BestBefore))
                .col(uuid_null(StockLot::LocationId))
                .col(big_integer(StockLot::OnHand))
                .col(big_integer(StockLot::Reserved))
                .col(timestamp_with_time_zone(StockLot::CreatedAt))
                .check(Expr::col(StockLot::OnHand).gte(0))
                .check(Expr::col(StockLot::Reserved).gte(0))
                .check(Expr::col(StockLot::Reserved).lte(Expr::col(StockLot::OnHand)))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_stock_lot_sku")
                        .from(StockLot::Table, StockLot::SkuId)
                        .to(Sku::Table, Sku::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_stock_lot_sku_fefo")
                .table(StockLot::Table)
                .col(StockLot::SkuId)
                .col(StockLot::BestBefore)
                .col(StockLot::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockMovement::Table)
                .col(uuid(StockMovement::Id).primary_key())
                .col(uuid(StockMovement::AggregatorId))
                .col(uuid(StockMovement::LotId))
                .col(uuid(StockMovement::SkuId))
                .col(string_len(StockMovement::Kind, 24))
                .col(big_integer(StockMovement::OnHandDelta))
                .col(big_integer(StockMovement::ReservedDelta))
                .col(string_len(StockMovement::CauseType, 24))
                .col(uuid_null(StockMovement::CauseId))
                .col(uuid_null(StockMovement::ActorUserId))
                .col(string_len_null(StockMovement::LossBearer, 16))
                .col(text(StockMovement::Reason))
                .col(timestamp_with_time_zone(StockMovement::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_movement_lot")
                        .from(StockMovement::Table, StockMovement::LotId)
                        .to(StockLot::Table, StockLot::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_movement_lot")
                .table(StockMovement::Table)
                .col(StockMovement::LotId)
                .col(StockMovement::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_movement_cause")
                .table(StockMovement::Table)
                .col(StockMovement::CauseType)
                .col(StockMovement::CauseId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Reservation::Table)
                .col(uuid(Reservation::Id).primary_key())
                .col(uuid(Reservation::AggregatorId))
                .col(string_len(Reservation::Status, 16))
                .col(timestamp_with_time_zone_null(Reservation::ExpiresAt))
                .col(string_len_null(Reservation::DestinationPrefecture, 2))
                .col(string_len(Reservation::Reference, 200))
                .col(string_len_null(Reservation::IdempotencyKey, 200))
                .col(string_len_null(Reservation::RequestHash, 64))
                .col(uuid(Reservation::CreatedBy))
                .col(timestamp_with_time_zone(Reservation::CreatedAt))
                .col(timestamp_with_time_zone(Reservation::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_reservation_idempotency")
                .table(Reservation::Table)
                .col(Reservation::CreatedBy)
                .col(Reservation::IdempotencyKey)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ReservationLine::Table)
                .col(uuid(ReservationLine::Id).primary_key())
                .col(uuid(ReservationLine::AggregatorId))
                .col(uuid(ReservationLine::ReservationId))
                .col(uuid(ReservationLine::SkuId))
                .col(uuid(ReservationLine::LotId))
                .col(big_integer(ReservationLine::Qty))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_reservation_line")
                        .from(ReservationLine::Table, ReservationLine::ReservationId)
                        .to(Reservation::Table, Reservation::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_reservation_line_lot")
                .table(ReservationLine::Table)
                .col(ReservationLine::LotId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ReservationLine::Table.into_iden(),
            Reservation::Table.into_iden(),
            StockMovement::Table.into_iden(),
            StockLot::Table.into_iden(),
            Receipt::Table.into_iden(),
            InboundLine::Table.into_iden(),
            InboundShipment::Table.into_iden(),
            Location::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
