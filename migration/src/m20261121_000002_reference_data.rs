//! Reference data shipped in the repository (no download at run time): the 47 prefectures
//! (JIS X 0401), Okinawa's 41 municipalities (JIS X 0402, without check digit) and the
//! inhabited islands producers ship from. CSV files under `migration/data/`.
use sea_orm_migration::{prelude::*, schema::*};

const PREFECTURES: &str = include_str!("../data/prefectures.csv");
const MUNICIPALITIES: &str = include_str!("../data/municipalities.csv");
const ISLANDS: &str = include_str!("../data/islands.csv");

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Prefecture {
    Table,
    Code,
    NameJa,
    NameEn,
}

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Code,
    PrefectureCode,
    NameJa,
    NameKana,
    NameEn,
}

#[derive(DeriveIden)]
enum Island {
    Table,
    Code,
    NameJa,
    NameEn,
    MunicipalityCode,
    PrefectureCode,
    GroupJa,
    GroupEn,
}

/// Rows of a small CSV without quoted fields (the shipped files have none), header skipped.
fn rows(csv: &str) -> impl Iterator<Item = Vec<&str>> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::trim).collect())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Prefecture::Table)
                .col(string_len(Prefecture::Code, 2).primary_key())
                .col(string(Prefecture::NameJa))
                .col(string(Prefecture::NameEn))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Municipality::Table)
                .col(string_len(Municipality::Code, 5).primary_key())
                .col(string_len(Municipality::PrefectureCode, 2))
                .col(string(Municipality::NameJa))
                .col(string(Municipality::NameKana))
                .col(string(Municipality::NameEn))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_municipality_prefecture")
                        .from(Municipality::Table, Municipality::PrefectureCode)
                        .to(Prefecture::Table, Prefecture::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Island::Table)
                .col(string_len(Island::Code, 32).primary_key())
                .col(string(Island::NameJa))
                .col(string(Island::NameEn))
                .col(string_len_null(Island::MunicipalityCode, 5))
                .col(string_len(Island::PrefectureCode, 2))
                .col(string(Island::GroupJa))
                .col(string(Island::GroupEn))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_island_municipality")
                        .from(Island::Table, Island::MunicipalityCode)
                        .to(Municipality::Table, Municipality::Code),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_island_prefecture")
                        .from(Island::Table, Island::PrefectureCode)
                        .to(Prefecture::Table, Prefecture::Code),
                )
                .to_owned(),
        )
        .await?;

        let mut q = Query::insert()
            .into_table(Prefecture::Table)
            .columns([Prefecture::Code, Prefecture::NameJa, Prefecture::NameEn])
            .to_owned();
        for r in rows(PREFECTURES) {
            q.values_panic([r[0].into(), r[1].into(), r[2].into()]);
        }
        m.exec_stmt(q).await?;

        let mut q = Query::insert()
            .into_table(Municipality::Table)
            .columns([
                Municipality::Code,
                Municipality::PrefectureCode,
                Municipality::NameJa,
                Municipality::NameKana,
                Municipality::NameEn,
            ])
            .to_owned();
        for r in rows(MUNICIPALITIES) {
            q.values_panic([
                r[0].into(),
                r[1].into(),
                r[2].into(),
                r[3].into(),
                r[4].into(),
            ]);
        }
        m.exec_stmt(q).await?;

        let mut q = Query::insert()
            .into_table(Island::Table)
            .columns([
                Island::Code,
                Island::NameJa,
                Island::NameEn,
                Island::MunicipalityCode,
                Island::PrefectureCode,
                Island::GroupJa,
                Island::GroupEn,
            ])
            .to_owned();
        for r in rows(ISLANDS) {
            let muni: Option<&str> = (!r[3].is_empty()).then_some(r[3]);
            q.values_panic([
                r[0].into(),
                r[1].into(),
                r[2].into(),
                muni.into(),
                r[4].into(),
                r[5].into(),
                r[6].into(),
            ]);
        }
        m.exec_stmt(q).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Island::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Municipality::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Prefecture::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_is_complete_and_well_formed() {
        let prefs: Vec<_> = rows(PREFECTURES).collect();
        assert_eq!(prefs.len(), 47);
        assert!(
            prefs
                .iter()
                .enumerate()
                .all(|(i, r)| r[0] == format!("{:02}", i + 1))
        );
        let munis: Vec<_> = rows(MUNICIPALITIES).collect();
        assert_eq!(
            munis.len(),
            41,
            "Okinawa has 41 municipalities (11 cities, 11 towns, 19 villages)"
        );
        assert!(
            munis
                .iter()
                .all(|r| r.len() == 5 && r[0].len() == 5 && r[0].starts_with("47"))
        );
        let codes: std::collections::HashSet<_> = munis.iter().map(|r| r[0]).collect();
        assert_eq!(codes.len(), 41);
        for r in rows(ISLANDS) {
            assert_eq!(r.len(), 7);
            assert!(
                r[3].is_empty() || codes.contains(r[3]),
                "island {} has a known municipality",
                r[0]
            );
        }
    }
}
