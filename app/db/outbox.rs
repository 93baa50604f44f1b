//! The email outbox's statements on `control.email_outbox` (RELIABILITY §3). [`insert`] runs on the
//! pool (account emails) or inside `with_tenant` (a tenant's alerts), where the row-level-security
//! policy pins the row to the tenant; delivery and the admins' list run on the `ts_app` pool, and every
//! statement about a tenant's emails filters by its `tenant_id` and the `alert` category.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, Value};
use uuid::Uuid;

fn stmt(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// A rendered message to store.
#[derive(Debug)]
pub struct NewMessage<'a> {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub category: &'a str,
    pub template: &'a str,
    pub sender: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub message_id: &'a str,
    pub message: &'a [u8],
}

pub async fn insert(db: &impl ConnectionTrait, m: &NewMessage<'_>) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "INSERT INTO control.email_outbox
             (id, tenant_id, category, template, sender, recipient, subject, message_id, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            m.id.into(),
            m.tenant_id.into(),
            m.category.into(),
            m.template.into(),
            m.sender.into(),
            m.recipient.into(),
            m.subject.into(),
            m.message_id.into(),
            m.message.to_vec().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// What delivery needs of a message.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Pending {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub category: String,
    pub sender: String,
    pub recipient: String,
    pub state: String,
    pub message: Option<Vec<u8>>,
}

pub async fn find_pending(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Pending>, DbErr> {
    let row = db
        .query_one_raw(stmt(
            "SELECT id, tenant_id, category, sender, recipient, state, message FROM control.email_outbox WHERE id = $1",
            [id.into()],
        ))
        .await?;
    row.map(|r| Pending::from_query_result(&r, "")).transpose()
}

/// An attempt that did not deliver but may be tried again.
pub async fn record_attempt(db: &impl ConnectionTrait, id: Uuid, code: Option<i32>, error: &str) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "UPDATE control.email_outbox SET attempts = attempts + 1, last_smtp_code = $2, last_error = $3
         WHERE id = $1 AND state = 'queued'",
        [id.into(), code.into(), error.into()],
    ))
    .await?;
    Ok(())
}

/// The server took the message. Account emails lose their body here (DESIGN §8).
pub async fn mark_sent(db: &impl ConnectionTrait, id: Uuid, code: i32) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "UPDATE control.email_outbox
         SET state = 'sent', sent_at = now(), attempts = attempts + 1, last_smtp_code = $2, last_error = NULL,
             message = CASE WHEN category = 'account' THEN NULL ELSE message END
         WHERE id = $1 AND state = 'queued'",
        [id.into(), code.into()],
    ))
    .await?;
    Ok(())
}

/// The server refused the message for good, or every attempt failed. An account email loses its body
/// (its link must not outlive the attempt to deliver it).
pub async fn mark_failed(db: &impl ConnectionTrait, id: Uuid, code: Option<i32>, error: &str) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "UPDATE control.email_outbox
         SET state = 'failed', failed_at = now(), attempts = attempts + 1, last_smtp_code = $2, last_error = $3,
             message = CASE WHEN category = 'account' THEN NULL ELSE message END
         WHERE id = $1 AND state = 'queued'",
        [id.into(), code.into(), error.into()],
    ))
    .await?;
    Ok(())
}

/// A tenant's alert email, as its admins see it (never the body).
#[derive(Debug, Clone, FromQueryResult)]
pub struct Summary {
    pub id: Uuid,
    pub template: String,
    pub recipient: String,
    pub subject: String,
    pub state: String,
    pub attempts: i32,
    pub last_smtp_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

/// The tenant's alert emails, newest first; `only_failed` narrows to those that need attention.
pub async fn list_for_tenant(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    only_failed: bool,
    limit: u64,
) -> Result<Vec<Summary>, DbErr> {
    let rows = db
        .query_all_raw(stmt(
            "SELECT id, template, recipient, subject, state, attempts, last_smtp_code, last_error,
                    created_at, sent_at, failed_at
             FROM control.email_outbox
             WHERE tenant_id = $1 AND category = 'alert' AND (NOT $2 OR state = 'failed')
             ORDER BY created_at DESC, id DESC
             LIMIT $3",
            [tenant_id.into(), only_failed.into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter().map(|r| Summary::from_query_result(r, "")).collect()
}

/// How many of the tenant's alert emails failed for good (for the admins' warning).
pub async fn count_failed(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(stmt(
            "SELECT count(*) AS n FROM control.email_outbox
             WHERE tenant_id = $1 AND category = 'alert' AND state = 'failed'",
            [tenant_id.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

/// Puts a failed alert email of `tenant_id` back in the queue; false when there is no such failed
/// email (another tenant's, an account email, or one not failed).
pub async fn requeue_failed(db: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let done = db
        .execute_raw(stmt(
            "UPDATE control.email_outbox SET state = 'queued', failed_at = NULL
             WHERE id = $1 AND tenant_id = $2 AND category = 'alert' AND state = 'failed'",
            [id.into(), tenant_id.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks failed the queued messages whose delivery job is gone — discarded after a worker died on its
/// last attempt, or cancelled — so that none waits unseen; returns how many.
pub async fn fail_orphaned(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let done = db
        .execute_raw(stmt(
            "UPDATE control.email_outbox o
             SET state = 'failed', failed_at = now(),
                 last_error = coalesce(last_error || '; ', '') || 'delivery stopped without an answer',
                 message = CASE WHEN o.category = 'account' THEN NULL ELSE o.message END
             WHERE o.state = 'queued' AND o.created_at < now() - interval '10 minutes'
               AND NOT EXISTS (SELECT 1 FROM control.jobs j
                               WHERE j.kind = 'email.deliver' AND j.state IN ('queued', 'running')
                                 AND j.payload ->> 'outbox_id' = o.id::text)",
            [],
        ))
        .await?;
    Ok(done.rows_affected())
}

/// Retention: sent messages older than `before` go (the hourly maintenance job).
pub async fn purge_sent_before(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let done = db
        .execute_raw(stmt(
            "DELETE FROM control.email_outbox WHERE state = 'sent' AND sent_at < $1",
            [before.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}
