//! The one door to tenant data.
//!
//! Every tenant schema `t_<hex>` has a NOLOGIN role of the same name. [`with_tenant`] opens a
//! transaction on the shared `ts_app` pool and, in a single statement, sets the transaction-local
//! `search_path` to that schema (then `ext`) and switches to that role. Queries of tenant tables only
//! resolve inside it; another tenant's schema is denied even when named explicitly; the settings reset at
//! commit or rollback, so pooled connections come back clean. Query functions take a [`TenantTxn`],
//! never a pool. See TENANCY.md for the verified recipe.
//!
//! Raw SQL is allowed here, in `db::control` and in `migration` only (clippy.toml): this module builds
//! role and schema names, which come only from [`TenantId::schema_name`].

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod bootstrap;
pub mod migrate;

use std::future::Future;
use std::pin::Pin;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
    TransactionTrait,
};

use crate::domain::tenant::{TenantId, TenantSlug, is_schema_name};

/// A transaction switched to one tenant's schema and role. Only [`with_tenant`] makes one.
pub struct TenantTxn {
    inner: DatabaseTransaction,
    tenant: TenantId,
}

impl TenantTxn {
    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for TenantTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner.query_all_raw(stmt).await
    }
}

/// Runs `work` in a transaction of `tenant`: commits if it returns `Ok`, rolls back otherwise (also
/// when the future is dropped or panics).
pub async fn with_tenant<T, E, F>(db: &DatabaseConnection, tenant: TenantId, work: F) -> Result<T, E>
where
    F: for<'t> AsyncFnOnce(&'t TenantTxn) -> Result<T, E>,
    E: From<DbErr>,
{
    let txn = begin_tenant(db, tenant).await?;
    let outcome = work(&txn).await;
    finish(txn, outcome).await
}

/// The boxed-future form of [`with_tenant`], for generic callers (job dispatch) that must name a
/// `Send` future: `AsyncFnOnce` futures cannot be bounded `Send` on stable Rust.
pub async fn with_tenant_boxed<T, E, F>(db: &DatabaseConnection, tenant: TenantId, work: F) -> Result<T, E>
where
    F: for<'t> FnOnce(&'t TenantTxn) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 't>> + Send,
    E: From<DbErr>,
{
    let txn = begin_tenant(db, tenant).await?;
    let outcome = work(&txn).await;
    finish(txn, outcome).await
}

/// [`with_tenant`] for reads that span many statements and must see one state of the data (an
/// export read in batches): a read-only, repeatable-read transaction.
pub async fn with_tenant_snapshot<T, E, F>(db: &DatabaseConnection, tenant: TenantId, work: F) -> Result<T, E>
where
    F: for<'t> AsyncFnOnce(&'t TenantTxn) -> Result<T, E>,
    E: From<DbErr>,
{
    use sea_orm::{AccessMode, IsolationLevel};
    let inner = db
        .begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
        .await?;
    switch_to_tenant(&inner, tenant).await?;
    let txn = TenantTxn { inner, tenant };
    let outcome = work(&txn).await;
    finish(txn, outcome).await
}

/// Runs `control_work` on the control schema (as `ts_app`), then switches the *same* transaction to
/// `tenant` for `tenant_work`: both commit or neither. For changes recorded on both sides, such as a
/// membership change (control) and its entry in the tenant's audit log. There is no way back from the
/// tenant role to `ts_app` inside the transaction.
pub async fn with_control_then_tenant<A, T, E, C, F>(
    db: &DatabaseConnection,
    tenant: TenantId,
    control_work: C,
    tenant_work: F,
) -> Result<T, E>
where
    C: for<'c> AsyncFnOnce(&'c DatabaseTransaction) -> Result<A, E>,
    F: for<'t> AsyncFnOnce(&'t TenantTxn, A) -> Result<T, E>,
    E: From<DbErr>,
{
    let inner = db.begin().await?;
    let control_result = match control_work(&inner).await {
        Ok(value) => value,
        Err(error) => {
            let _ = inner.rollback().await;
            return Err(error);
        }
    };
    switch_to_tenant(&inner, tenant).await?;
    let txn = TenantTxn { inner, tenant };
    let outcome = tenant_work(&txn, control_result).await;
    finish(txn, outcome).await
}

/// Commits on `Ok`, rolls back on `Err`. A failed rollback means a broken connection, which the pool
/// discards, so its error is dropped in favour of the work's own.
async fn finish<T, E: From<DbErr>>(txn: TenantTxn, outcome: Result<T, E>) -> Result<T, E> {
    match outcome {
        Ok(value) => {
            let started = std::time::Instant::now();
            let committed = txn.inner.commit().await;
            crate::telemetry::record_sql(started.elapsed());
            committed?;
            Ok(value)
        }
        Err(error) => {
            let _ = txn.inner.rollback().await;
            Err(error)
        }
    }
}

async fn begin_tenant(db: &DatabaseConnection, tenant: TenantId) -> Result<TenantTxn, DbErr> {
    let started = std::time::Instant::now();
    let inner = db.begin().await;
    crate::telemetry::record_sql(started.elapsed());
    let inner = inner?;
    switch_to_tenant(&inner, tenant).await?;
    Ok(TenantTxn { inner, tenant })
}

/// Sets the transaction-local search_path and role of `tenant`, in one round trip. Both reset at
/// COMMIT/ROLLBACK.
async fn switch_to_tenant(txn: &DatabaseTransaction, tenant: TenantId) -> Result<(), DbErr> {
    let role = tenant.schema_name();
    // Defence in depth: the name is built from a uuid, so this cannot fail today.
    if !is_schema_name(&role) {
        return Err(DbErr::Custom("invalid tenant schema name".into()));
    }
    let search_path = format!("\"{role}\", ext");
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('search_path', $1, true), set_config('role', $2, true)",
        [search_path.into(), role.into()],
    ))
    .await
    .map(|_| ())
}

/// Why a tenant could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateTenantError {
    #[error("a tenant with the slug {0:?} already exists")]
    SlugTaken(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Creates a tenant on the owner pool, in one transaction: its `control.tenants` row, its role, its
/// schema and its migrated tables. A failure leaves nothing behind (CREATE ROLE is transactional).
pub async fn create_tenant(
    owner: &DatabaseConnection,
    slug: &TenantSlug,
    name: &str,
) -> Result<TenantId, CreateTenantError> {
    let tenant = TenantId::new();
    let schema = tenant.schema_name();
    let txn = owner.begin().await?;
    let inserted = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO control.tenants (id, slug, name) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING",
            [tenant.as_uuid().into(), slug.as_str().into(), name.into()],
        ))
        .await?;
    if inserted.rows_affected() == 0 {
        return Err(CreateTenantError::SlugTaken(slug.to_string()));
    }
    txn.execute_unprepared(&format!(
        r#"CREATE ROLE "{schema}" NOLOGIN IN ROLE ts_tenant;
           GRANT "{schema}" TO ts_app;
           CREATE SCHEMA "{schema}" AUTHORIZATION ts_owner;
           GRANT USAGE ON SCHEMA "{schema}" TO "{schema}";
           ALTER DEFAULT PRIVILEGES FOR ROLE ts_owner IN SCHEMA "{schema}"
               GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{schema}";
           ALTER DEFAULT PRIVILEGES FOR ROLE ts_owner IN SCHEMA "{schema}"
               GRANT USAGE, SELECT ON SEQUENCES TO "{schema}";"#
    ))
    .await?;
    migrate::migrate_tenant_in(&txn, tenant).await?;
    txn.commit().await?;
    Ok(tenant)
}

/// Drops a tenant's schema, role and control rows (used by tests and `demo --reset`).
pub async fn drop_tenant(owner: &DatabaseConnection, tenant: TenantId) -> Result<(), DbErr> {
    let schema = tenant.schema_name();
    let txn = owner.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM control.tenants WHERE id = $1",
        [tenant.as_uuid().into()],
    ))
    .await?;
    txn.execute_unprepared(&format!(
        r#"DROP SCHEMA IF EXISTS "{schema}" CASCADE; DROP ROLE IF EXISTS "{schema}";"#
    ))
    .await?;
    txn.commit().await
}
