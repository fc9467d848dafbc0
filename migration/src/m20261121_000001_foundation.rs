//! Foundation tables: tenants, accounts, sessions, tokens, audit, login attempts, one-time
//! links, the job queue (transactional outbox) and its schedules.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Aggregator {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    AggregatorId,
    Email,
    DisplayName,
    Role,
    ProducerId,
    PrefectureCode,
    Locale,
    PasswordHash,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    UserId,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Prefix,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    AggregatorId,
    ActorUserId,
    Action,
    SubjectType,
    SubjectId,
    Details,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoginAttempt {
    Table,
    Id,
    AccountKey,
    IpKey,
    Succeeded,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OneTimeLink {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
    AggregatorId,
    Kind,
    Payload,
    DedupeKey,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseUntil,
    LockedBy,
    LastError,
    RequestId,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum JobAttempt {
    Table,
    Id,
    JobId,
    Attempt,
    Runner,
    StartedAt,
    FinishedAt,
    Outcome,
    Error,
}

#[derive(DeriveIden)]
enum JobSchedule {
    Table,
    Name,
    Kind,
    NextRunAt,
    LastRunAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Aggregator::Table)
                .col(uuid(Aggregator::Id).primary_key())
                .col(string_len(Aggregator::Slug, 64))
                .col(string(Aggregator::Name))
                .col(timestamp_with_time_zone(Aggregator::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_aggregator_slug")
                .table(Aggregator::Table)
                .col(Aggregator::Slug)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AppUser::Table)
                .col(uuid(AppUser::Id).primary_key())
                .col(uuid_null(AppUser::AggregatorId))
                .col(string(AppUser::Email))
                .col(string(AppUser::DisplayName))
                .col(string_len(AppUser::Role, 16))
                .col(uuid_null(AppUser::ProducerId))
                .col(string_len_null(AppUser::PrefectureCode, 2))
                .col(string_len(AppUser::Locale, 8))
                .col(string_null(AppUser::PasswordHash))
                .col(boolean(AppUser::Active))
                .col(timestamp_with_time_zone(AppUser::CreatedAt))
                .col(timestamp_with_time_zone(AppUser::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_app_user_aggregator")
                        .from(AppUser::Table, AppUser::AggregatorId)
                        .to(Aggregator::Table, Aggregator::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_app_user_email")
                .table(AppUser::Table)
                .col(AppUser::Email)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_app_user_aggregator")
                .table(AppUser::Table)
                .col(AppUser::AggregatorId)
                .col(AppUser::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Session::Table)
                .col(string_len(Session::Id, 64).primary_key())
                .col(uuid(Session::UserId))
                .col(string_len(Session::CsrfToken, 64))
                .col(timestamp_with_time_zone(Session::CreatedAt))
                .col(timestamp_with_time_zone(Session::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_session_user")
                        .from(Session::Table, Session::UserId)
                        .to(AppUser::Table, AppUser::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_session_user")
                .table(Session::Table)
                .col(Session::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiToken::Table)
                .col(uuid(ApiToken::Id).primary_key())
                .col(uuid(ApiToken::UserId))
                .col(string(ApiToken::Name))
                .col(string_len(ApiToken::TokenHash, 64))
                .col(string_len(ApiToken::Prefix, 16))
                .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiToken::ExpiresAt))
                .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_api_token_user")
                        .from(ApiToken::Table, ApiToken::UserId)
                        .to(AppUser::Table, AppUser::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_api_token_hash")
                .table(ApiToken::Table)
                .col(ApiToken::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_api_token_user")
                .table(ApiToken::Table)
                .col(ApiToken::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditEvent::Table)
                .col(uuid(AuditEvent::Id).primary_key())
                .col(uuid_null(AuditEvent::AggregatorId))
                .col(uuid_null(AuditEvent::ActorUserId))
                .col(string_len(AuditEvent::Action, 64))
                .col(string_len(AuditEvent::SubjectType, 32))
                .col(string_len_null(AuditEvent::SubjectId, 64))
                .col(text(AuditEvent::Details))
                .col(string_len_null(AuditEvent::RequestId, 64))
                .col(timestamp_with_time_zone(AuditEvent::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_event_aggregator")
                .table(AuditEvent::Table)
                .col(AuditEvent::AggregatorId)
                .col(AuditEvent::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LoginAttempt::Table)
                .col(uuid(LoginAttempt::Id).primary_key())
                .col(string_len(LoginAttempt::AccountKey, 64))
                .col(string_len(LoginAttempt::IpKey, 64))
                .col(boolean(LoginAttempt::Succeeded))
                .col(timestamp_with_time_zone(LoginAttempt::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_attempt_account")
                .table(LoginAttempt::Table)
                .col(LoginAttempt::AccountKey)
                .col(LoginAttempt::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_attempt_ip")
                .table(LoginAttempt::Table)
                .col(LoginAttempt::IpKey)
                .col(LoginAttempt::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OneTimeLink::Table)
                .col(uuid(OneTimeLink::Id).primary_key())
                .col(uuid(OneTimeLink::UserId))
                .col(string_len(OneTimeLink::Purpose, 16))
                .col(string_len(OneTimeLink::TokenHash, 64))
                .col(timestamp_with_time_zone(OneTimeLink::ExpiresAt))
                .col(timestamp_with_time_zone_null(OneTimeLink::UsedAt))
                .col(timestamp_with_time_zone(OneTimeLink::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_one_time_link_user")
                        .from(OneTimeLink::Table, OneTimeLink::UserId)
                        .to(AppUser::Table, AppUser::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_one_time_link_hash")
                .table(OneTimeLink::Table)
                .col(OneTimeLink::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Job::Table)
                .col(uuid(Job::Id).primary_key())
                .col(uuid_null(Job::AggregatorId))
                .col(string_len(Job::Kind, 64))
                .col(text(Job::Payload))
                .col(string_len_null(Job::DedupeKey, 200))
                .col(string_len(Job::Status, 16))
                .col(integer(Job::Attempts))
                .col(integer(Job::MaxAttempts))
                .col(timestamp_with_time_zone(Job::RunAt))
                .col(timestamp_with_time_zone_null(Job::LeaseUntil))
                .col(string_len_null(Job::LockedBy, 64))
                .col(text_null(Job::LastError))
                .col(string_len_null(Job::RequestId, 64))
                .col(timestamp_with_time_zone(Job::CreatedAt))
                .col(timestamp_with_time_zone(Job::UpdatedAt))
                .col(timestamp_with_time_zone_null(Job::FinishedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_job_dedupe_key")
                .table(Job::Table)
                .col(Job::DedupeKey)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_job_claim")
                .table(Job::Table)
                .col(Job::Status)
                .col(Job::RunAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobAttempt::Table)
                .col(uuid(JobAttempt::Id).primary_key())
                .col(uuid(JobAttempt::JobId))
                .col(integer(JobAttempt::Attempt))
                .col(string_len(JobAttempt::Runner, 64))
                .col(timestamp_with_time_zone(JobAttempt::StartedAt))
                .col(timestamp_with_time_zone_null(JobAttempt::FinishedAt))
                .col(string_len_null(JobAttempt::Outcome, 16))
                .col(text_null(JobAttempt::Error))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_job_attempt_job")
                        .from(JobAttempt::Table, JobAttempt::JobId)
                        .to(Job::Table, Job::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_job_attempt_job")
                .table(JobAttempt::Table)
                .col(JobAttempt::JobId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobSchedule::Table)
                .col(string_len(JobSchedule::Name, 64).primary_key())
                .col(string_len(JobSchedule::Kind, 64))
                .col(timestamp_with_time_zone(JobSchedule::NextRunAt))
                .col(timestamp_with_time_zone_null(JobSchedule::LastRunAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            JobSchedule::Table.into_iden(),
            JobAttempt::Table.into_iden(),
            Job::Table.into_iden(),
            OneTimeLink::Table.into_iden(),
            LoginAttempt::Table.into_iden(),
            AuditEvent::Table.into_iden(),
            ApiToken::Table.into_iden(),
            Session::Table.into_iden(),
            AppUser::Table.into_iden(),
            Aggregator::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
