//! Storage. [`tenancy`] is the only door to tenant data; [`control`], [`jobs`] and [`outbox`] hold the
//! control-plane queries;
//! the other modules are tenant query modules that take a [`TenantTxn`](tenancy::TenantTxn).

pub mod alert_rules;
pub mod alerts;
pub mod audit;
pub mod control;
pub mod entities;
pub mod history;
pub mod jobs;
pub mod location_groups;
pub mod mirror;
pub mod outbox;
pub mod stock;
pub mod stock_setup;
pub mod tenancy;

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use secrecy::{ExposeSecret, SecretString};

/// Opens a pool whose connections start with an empty `search_path`: a query that forgets its schema
/// fails instead of landing in `public` (TENANCY.md).
pub async fn connect(url: &SecretString, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.expose_secret().to_string());
    options
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(10))
        .max_lifetime(Duration::from_secs(30 * 60))
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(|o| o.options([("search_path", "")]));
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(|info| crate::telemetry::record_sql(info.elapsed));
    Ok(db)
}
