//! sea-orm entities, one module per table. Behaviour lives in the application's domain areas.
pub mod aggregator;
pub mod api_token;
pub mod app_user;
pub mod audit_event;
pub mod island;
pub mod job;
pub mod job_attempt;
pub mod job_schedule;
pub mod login_attempt;
pub mod municipality;
pub mod one_time_link;
pub mod prefecture;
pub mod producer;
pub mod producer_bank_change;
pub mod producer_closure;
pub mod session;
