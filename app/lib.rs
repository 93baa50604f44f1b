//! TrueStock: inventory governance for retailers that run Odoo. See README.md for a code tour.

/// Passwords, session tokens, CSRF tokens, sign-in throttling.
pub mod auth;
/// `truestock bench`: rerunnable benchmarks.
pub mod bench;
/// Typed settings from the `TRUESTOCK_*` environment variables.
pub mod config;
/// Storage: the tenancy door (`with_tenant`), control-plane queries, tenant query modules.
pub mod db;
/// `truestock demo`.
pub mod demo;
/// Pure types and rules: tenant ids and slugs, emails, roles (no actix, no sea-orm).
pub mod domain;
/// Email: the outbox, SMTP delivery, account emails, the in-process SMTP sink.
pub mod email;
/// Background jobs: the Postgres queue, workers, the schedule.
pub mod jobs;
/// Odoo: the client (JSON-RPC, JSON-2) and the simulator.
pub mod odoo;
/// The platform operator's commands, shared by the CLI, `demo` and tests.
pub mod operator;
/// Builds and binds the actix application.
pub mod startup;
/// Each tenant's Odoo connection and mirror: settings, tests, pulls.
pub mod sync;
/// Logging setup.
pub mod telemetry;
/// HTTP handlers, extractors, middleware, errors, page shell.
pub mod web;
