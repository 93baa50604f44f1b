//! Migrations of one tenant's schema, applied per tenant by `truestock migrate`.

use sea_orm_migration::prelude::*;

mod m20261126_000001_create_settings_and_audit_log;
mod m20261126_000002_create_location_groups;
mod m20261126_000003_create_sync_state_and_first_mirrors;
mod m20261126_000004_create_remaining_mirrors;
mod m20261126_000005_create_mirror_history;
mod m20261126_000006_create_alerts;
mod m20261126_000007_add_product_unit_quantities;
mod m20261127_000008_create_stock_positions;
mod m20261127_000009_create_alert_rules;

/// The per-tenant migrator. Run with `search_path` set to the tenant's schema.
pub struct TenantMigrator;

#[async_trait::async_trait]
impl MigratorTrait for TenantMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_settings_and_audit_log::Migration),
            Box::new(m20261126_000002_create_location_groups::Migration),
            Box::new(m20261126_000003_create_sync_state_and_first_mirrors::Migration),
            Box::new(m20261126_000004_create_remaining_mirrors::Migration),
            Box::new(m20261126_000005_create_mirror_history::Migration),
            Box::new(m20261126_000006_create_alerts::Migration),
            Box::new(m20261126_000007_add_product_unit_quantities::Migration),
            Box::new(m20261127_000008_create_stock_positions::Migration),
            Box::new(m20261127_000009_create_alert_rules::Migration),
        ]
    }
}
