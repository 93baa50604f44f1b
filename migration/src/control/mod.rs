//! Migrations of the shared `control` schema, applied in order.

use sea_orm_migration::prelude::*;

mod m20261126_000001_create_tenants_and_accounts;
mod m20261126_000002_create_sessions_and_login_throttle;
mod m20261126_000003_create_jobs;
mod m20261126_000004_create_platform_audit;
mod m20261126_000005_job_queue;
mod m20261126_000006_create_odoo_connections;
mod m20261126_000007_add_odoo_webhook_token;
mod m20261126_000008_add_sync_settings;
mod m20261127_000009_create_email_outbox;

/// The control-plane migrator. Run with `search_path = control`.
pub struct ControlMigrator;

#[async_trait::async_trait]
impl MigratorTrait for ControlMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_tenants_and_accounts::Migration),
            Box::new(m20261126_000002_create_sessions_and_login_throttle::Migration),
            Box::new(m20261126_000003_create_jobs::Migration),
            Box::new(m20261126_000004_create_platform_audit::Migration),
            Box::new(m20261126_000005_job_queue::Migration),
            Box::new(m20261126_000006_create_odoo_connections::Migration),
            Box::new(m20261126_000007_add_odoo_webhook_token::Migration),
            Box::new(m20261126_000008_add_sync_settings::Migration),
            Box::new(m20261127_000009_create_email_outbox::Migration),
        ]
    }
}
