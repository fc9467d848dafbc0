//! Money (issue 15, first part): fee rules per aggregator (versioned, audit-logged),
//! community funds, and the double-entry ledger the order core's events book into — a sale
//! when its parcel ships (the producer is the seller: the goods and their consumption tax go
//! into its payable; the aggregator's charges come out of it), the tax in the order's service
//! fees, returns, refunds and bank transfers — with settlement periods, the trial balance and
//! the transactions for finance. Source-agnostic: shop and channel orders book alike.
pub mod booking;
pub mod channel_fees;
pub mod corrections;
pub mod domain;
pub mod dto;
pub mod error;
pub mod fee_rules;
pub mod handlers;
pub mod hub_fees;
pub mod jobs;
pub mod ledger;
pub mod payouts;
pub mod pdf;
pub mod remittances;
pub mod repo;
pub mod reports;
pub mod statements;
pub mod zengin;

use crate::{area::Area, http::route::RouteSpec, route};

/// The money API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/fee-rules", handlers::list_fee_rules),
        route!(POST, "/api/v1/fee-rules", handlers::create_fee_rule),
        route!(GET, "/api/v1/fee-rules/{id}", handlers::get_fee_rule),
        route!(PUT, "/api/v1/fee-rules/{id}", handlers::revise_fee_rule),
        route!(
            POST,
            "/api/v1/fee-rules/{id}/retire",
            handlers::retire_fee_rule
        ),
        route!(GET, "/api/v1/community-funds", handlers::list_funds),
        route!(POST, "/api/v1/community-funds", handlers::create_fund),
        route!(
            GET,
            "/api/v1/community-funds/{id}/statement",
            handlers::fund_statement
        ),
        route!(GET, "/api/v1/ledger/trial-balance", handlers::trial_balance),
        route!(
            GET,
            "/api/v1/ledger/transactions",
            handlers::list_transactions
        ),
        route!(
            GET,
            "/api/v1/ledger/transactions/{id}",
            handlers::get_transaction
        ),
        route!(POST, "/api/v1/ledger/adjustments", handlers::correct),
        route!(
            POST,
            "/api/v1/ledger/transactions/{id}/reverse",
            handlers::reverse
        ),
        route!(GET, "/api/v1/periods", handlers::list_periods),
        route!(POST, "/api/v1/periods/{id}/close", handlers::close_period),
        route!(GET, "/api/v1/statements", handlers::list_statements),
        route!(GET, "/api/v1/statements/{id}", handlers::get_statement),
        route!(GET, "/api/v1/statements/{id}/csv", handlers::statement_csv),
        route!(GET, "/api/v1/statements/{id}/pdf", handlers::statement_pdf),
        route!(GET, "/api/v1/bank-profile", handlers::get_bank_profile),
        route!(PUT, "/api/v1/bank-profile", handlers::put_bank_profile),
        route!(GET, "/api/v1/payout-holds", handlers::list_holds),
        route!(POST, "/api/v1/payout-holds", handlers::create_hold),
        route!(
            POST,
            "/api/v1/payout-holds/{id}/release",
            handlers::release_hold
        ),
        route!(GET, "/api/v1/payout-runs", handlers::list_runs),
        route!(POST, "/api/v1/payout-runs", handlers::prepare_run),
        route!(GET, "/api/v1/payout-runs/{id}", handlers::get_run),
        route!(
            POST,
            "/api/v1/payout-runs/{id}/approve",
            handlers::approve_run
        ),
        route!(
            POST,
            "/api/v1/payout-runs/{id}/cancel",
            handlers::cancel_run
        ),
        route!(
            POST,
            "/api/v1/payout-runs/{id}/zengin",
            handlers::export_zengin
        ),
        route!(
            POST,
            "/api/v1/payout-runs/{id}/results",
            handlers::import_results
        ),
        route!(GET, "/api/v1/payouts", handlers::list_payouts),
        route!(GET, "/api/v1/cod-remittances", handlers::cod_balances),
        route!(POST, "/api/v1/cod-remittances", handlers::record_remittance),
        route!(
            POST,
            "/api/v1/channel-fees/{channel_id}/import",
            handlers::import_channel_fees
        ),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list_fee_rules,
    handlers::create_fee_rule,
    handlers::get_fee_rule,
    handlers::revise_fee_rule,
    handlers::retire_fee_rule,
    handlers::list_funds,
    handlers::create_fund,
    handlers::trial_balance,
    handlers::list_transactions,
    handlers::get_transaction,
    handlers::list_periods,
    handlers::close_period,
    handlers::list_statements,
    handlers::get_statement,
    handlers::statement_csv,
    handlers::statement_pdf,
    handlers::get_bank_profile,
    handlers::put_bank_profile,
    handlers::list_holds,
    handlers::create_hold,
    handlers::release_hold,
    handlers::list_runs,
    handlers::prepare_run,
    handlers::get_run,
    handlers::approve_run,
    handlers::cancel_run,
    handlers::export_zengin,
    handlers::import_results,
    handlers::list_payouts,
    handlers::fund_statement,
    handlers::cod_balances,
    handlers::record_remittance,
    handlers::import_channel_fees,
    handlers::correct,
    handlers::reverse,
))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        jobs: jobs::register,
        ..Area::new("money")
    }
}
