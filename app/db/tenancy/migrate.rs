//! The tenant migrator: every tenant schema brought to the latest [`TenantMigrator`] migration, one
//! owner transaction per tenant, bounded-parallel, continuing past failures, resumable.

use futures_util::StreamExt as _;
use migration::MigratorTrait as _;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, TransactionTrait,
};

use migration::TenantMigrator;

use crate::domain::tenant::TenantId;

/// The name of the newest tenant migration; `control.tenants.schema_version` holds it once applied.
pub fn latest_tenant_migration() -> String {
    TenantMigrator::migrations()
        .last()
        .map(|m| m.name().to_string())
        .unwrap_or_default()
}

/// Migrates one tenant inside `txn` (an owner transaction): advisory lock, search_path, `up`, grants.
pub(crate) async fn migrate_tenant_in(txn: &DatabaseTransaction, tenant: TenantId) -> Result<(), DbErr> {
    let schema = tenant.schema_name();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0)), set_config('search_path', $2, true)",
        [schema.clone().into(), format!("\"{schema}\"").into()],
    ))
    .await?;
    TenantMigrator::up(txn, None).await?;
    // Tables get their grants from the schema's default privileges (ts_owner creates them all), so a
    // migration's own REVOKE on an append-only table stands. This step only enforces the naming
    // convention — `audit_log` and `*_history` are append-only — and keeps seaql_migrations read-only.
    txn.execute_unprepared(&format!(
        r#"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{schema}";
           DO $$ DECLARE t text; BEGIN
               FOR t IN SELECT tablename FROM pg_tables
                        WHERE schemaname = '{schema}' AND (tablename = 'audit_log' OR tablename LIKE '%\_history')
               LOOP
                   EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.%I FROM %I', '{schema}', t, '{schema}');
               END LOOP;
           END $$;
           REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "{schema}".seaql_migrations FROM "{schema}";"#
    ))
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE control.tenants SET schema_version = $2, updated_at = now() WHERE id = $1",
        [tenant.as_uuid().into(), latest_tenant_migration().into()],
    ))
    .await?;
    Ok(())
}

/// Migrates one tenant in its own owner transaction.
pub async fn migrate_tenant(owner: &DatabaseConnection, tenant: TenantId) -> Result<(), DbErr> {
    let txn = owner.begin().await?;
    migrate_tenant_in(&txn, tenant).await?;
    txn.commit().await
}

/// The outcome of migrating every tenant.
#[derive(Debug, Default)]
pub struct MigrationReport {
    pub migrated: Vec<String>,
    pub failed: Vec<(String, String)>,
}

impl MigrationReport {
    pub fn all_succeeded(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Migrates every tenant, at most `parallel` at a time; a failing tenant is reported, not fatal.
pub async fn migrate_all_tenants(owner: &DatabaseConnection, parallel: usize) -> Result<MigrationReport, DbErr> {
    let rows = owner
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id, slug FROM control.tenants ORDER BY slug",
        ))
        .await?;
    let tenants = rows
        .iter()
        .map(|row| {
            Ok((
                TenantId::from_uuid(row.try_get("", "id")?),
                row.try_get::<String>("", "slug")?,
            ))
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    let results: Vec<(String, Result<(), DbErr>)> = futures_util::stream::iter(tenants)
        .map(|(tenant, slug)| async move { (slug, migrate_tenant(owner, tenant).await) })
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let mut report = MigrationReport::default();
    for (slug, result) in results {
        match result {
            Ok(()) => report.migrated.push(slug),
            Err(e) => {
                tracing::error!(tenant = %slug, error = %e, "tenant migration failed");
                report.failed.push((slug, e.to_string()));
            }
        }
    }
    report.migrated.sort();
    report.failed.sort();
    Ok(report)
}
