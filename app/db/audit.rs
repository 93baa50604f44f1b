//! The tenant's audit log: append and read.

use sea_orm::{ActiveValue::Set, DbErr, EntityTrait, NotSet, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::entities::audit_log;
use super::tenancy::TenantTxn;

/// Who did something, snapshotted into the tenant's records (never a foreign key into control).
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: Option<Uuid>,
    pub name: String,
    pub email: String,
}

pub async fn record(
    tx: &TenantTxn,
    actor: &Actor,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> Result<(), DbErr> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: NotSet,
        occurred_at: NotSet,
        actor_account_id: Set(actor.account_id),
        actor_name: Set(actor.name.clone()),
        actor_email: Set(actor.email.clone()),
        action: Set(action.to_string()),
        subject: Set(subject.to_string()),
        details: Set(details),
    })
    .exec_without_returning(tx)
    .await
    .map(|_| ())
}

pub async fn recent(tx: &TenantTxn, limit: u64) -> Result<Vec<audit_log::Model>, DbErr> {
    audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(tx)
        .await
}
