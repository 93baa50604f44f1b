//! Schema migrations, kept in two migrators that never mix:
//! - [`ControlMigrator`] for the shared `control` schema (tenants, accounts, sessions, jobs);
//! - [`TenantMigrator`] for each tenant's own `t_<hex>` schema.
//!
//! Both are run by `truestock migrate` inside one owner transaction whose `search_path` names the
//! target schema (see `app/db/tenancy.rs`), so the SQL here never qualifies table names.
//! Migrations are additive (expand/contract): never change a column type under a running server.
//! Append-only tables (`audit_log`, `*_history`) revoke UPDATE, DELETE and TRUNCATE from the tenant role
//! in the migration that creates them.

// Migrations are DDL: raw SQL is the clearest way to write them, and this crate is one of the three
// places where raw SQL is allowed (clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub use sea_orm_migration::prelude::*;

pub mod control;
pub mod tenant;

pub use control::ControlMigrator;
pub use tenant::TenantMigrator;

/// Runs a block of SQL statements (separated by `;`) in one round trip.
pub(crate) async fn run_sql(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await.map(|_| ())
}
