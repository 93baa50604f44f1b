//! Tenant query module of the admins' alerts (`alerts`): recorded when something needs a person,
//! resolved when it no longer does. One alert per kind is open at a time (a partial unique index), so
//! recording an alert that is already open changes nothing — not even its message.

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::entities::alert;
use super::tenancy::TenantTxn;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// Odoo refused the login or API key: the tenant's sync has stopped.
    CredentialInvalid,
    /// The Odoo API key expires soon (or has expired).
    KeyExpiring,
    /// Syncs keep failing.
    SyncFailing,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::CredentialInvalid => "credential_invalid",
            AlertKind::KeyExpiring => "key_expiring",
            AlertKind::SyncFailing => "sync_failing",
        }
    }
}

/// Opens an alert of `kind` unless one is open already; true when this call opened it.
pub async fn record(tx: &TenantTxn, kind: AlertKind, message: &str, details: serde_json::Value) -> Result<bool, DbErr> {
    let row = alert::ActiveModel {
        kind: Set(kind.as_str().to_string()),
        message: Set(message.to_string()),
        details: Set(details),
        created_at: Set(Utc::now()),
        resolved_at: Set(None),
        ..Default::default()
    };
    // No conflict target: the only unique index besides the key is the partial one on open kinds.
    let inserted = alert::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(tx)
        .await?;
    Ok(inserted == 1)
}

/// Resolves the open alert of `kind`, if any; true when there was one.
pub async fn resolve(tx: &TenantTxn, kind: AlertKind) -> Result<bool, DbErr> {
    let done = alert::Entity::update_many()
        .col_expr(alert::Column::ResolvedAt, Expr::value(Utc::now()))
        .filter(alert::Column::Kind.eq(kind.as_str()))
        .filter(alert::Column::ResolvedAt.is_null())
        .exec(tx)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Whether an alert of `kind` is open.
pub async fn is_open(tx: &TenantTxn, kind: AlertKind) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    let open = alert::Entity::find()
        .filter(alert::Column::Kind.eq(kind.as_str()))
        .filter(alert::Column::ResolvedAt.is_null())
        .count(tx)
        .await?;
    Ok(open > 0)
}

/// The open alerts, oldest first.
pub async fn open(tx: &TenantTxn) -> Result<Vec<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::ResolvedAt.is_null())
        .order_by_asc(alert::Column::CreatedAt)
        .all(tx)
        .await
}
