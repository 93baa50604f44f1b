//! The job queue's statements on `control.jobs` (DESIGN §5, RELIABILITY §2.2), run on the `ts_app`
//! pool — except [`insert`] and [`holds_lease`], which also run inside a tenant transaction, where the
//! row-level-security policy pins them to the tenant's own jobs.
//!
//! A lease is valid while its token matches and `locked_until` lies ahead of the *clock* (not the
//! transaction's start): every statement that acts for a lease checks both, so a worker that was paused
//! past its lease can neither heartbeat, complete, fail nor fence a side effect.
//!
//! Statements on one tenant's jobs (the sync page) filter by `tenant_id`; the worker's statements act
//! on any tenant's job by id and lease token, and the operator's (`truestock jobs`) on any job.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, Value};
use uuid::Uuid;

fn stmt(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// A job as stored.
#[derive(Debug, Clone, FromQueryResult)]
pub struct JobRow {
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub state: String,
    pub unique_key: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub lease_token: Option<Uuid>,
    pub last_error: Option<String>,
    pub errors: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, tenant_id, queue, kind, payload, state, unique_key, attempts, max_attempts, run_at, \
                       locked_by, locked_until, lease_token, last_error, errors, created_at, finished_at";

/// A job to insert.
#[derive(Debug, Clone)]
pub struct Insert<'a> {
    pub tenant_id: Option<Uuid>,
    pub queue: &'a str,
    pub kind: &'a str,
    pub payload: &'a serde_json::Value,
    pub unique_key: Option<&'a str>,
    pub schedule_key: Option<&'a str>,
    pub max_attempts: i32,
    pub run_at: Option<DateTime<Utc>>,
}

/// Inserts a job; `None` when a live job with the same unique key, or any job with the same schedule
/// key, exists already.
pub async fn insert(db: &impl ConnectionTrait, job: &Insert<'_>) -> Result<Option<i64>, DbErr> {
    #[derive(FromQueryResult)]
    struct Id {
        id: i64,
    }
    let row = Id::find_by_statement(stmt(
        "INSERT INTO control.jobs (tenant_id, queue, kind, payload, unique_key, schedule_key, max_attempts, run_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()))
         ON CONFLICT DO NOTHING
         RETURNING id",
        [
            job.tenant_id.into(),
            job.queue.into(),
            job.kind.into(),
            job.payload.clone().into(),
            job.unique_key.map(str::to_string).into(),
            job.schedule_key.map(str::to_string).into(),
            job.max_attempts.into(),
            job.run_at.into(),
        ],
    ))
    .one(db)
    .await?;
    Ok(row.map(|r| r.id))
}

/// Claims the next due job of `queues` for `worker`, leased for `lease_seconds`: one statement, `FOR
/// UPDATE SKIP LOCKED`, never a second running pull of the same tenant. `None` when nothing is due (or
/// when another worker won the race for a tenant's pull; the caller just polls again).
pub async fn claim(
    db: &impl ConnectionTrait,
    queues: &[&str],
    worker: &str,
    lease_seconds: f64,
) -> Result<Option<JobRow>, DbErr> {
    let result = JobRow::find_by_statement(stmt(
        &format!(
            "UPDATE control.jobs j
                SET state = 'running', attempts = j.attempts + 1, lease_token = gen_random_uuid(),
                    locked_by = $2, locked_until = clock_timestamp() + make_interval(secs => $3),
                    updated_at = now()
              WHERE j.id = (
                    SELECT c.id FROM control.jobs c
                     WHERE c.state = 'queued' AND c.run_at <= now()
                       AND c.queue = ANY (string_to_array($1, ','))
                       AND NOT (c.queue = 'pull' AND EXISTS (
                           SELECT 1 FROM control.jobs r
                            WHERE r.queue = 'pull' AND r.state = 'running' AND r.tenant_id = c.tenant_id))
                     ORDER BY c.run_at, c.id
                     LIMIT 1
                     FOR UPDATE SKIP LOCKED)
              RETURNING {COLUMNS}"
        ),
        [queues.join(",").into(), worker.into(), lease_seconds.into()],
    ))
    .one(db)
    .await;
    match result {
        Err(e) if is_unique_violation(&e, "jobs_one_running_pull") => Ok(None),
        other => other,
    }
}

/// Claims one particular queued job now (`truestock sync --wait` runs its own job in-process), under
/// the same rule as [`claim`]: never a second running pull of a tenant.
pub async fn claim_id(
    db: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    lease_seconds: f64,
) -> Result<Option<JobRow>, DbErr> {
    let result = JobRow::find_by_statement(stmt(
        &format!(
            "UPDATE control.jobs j
                SET state = 'running', attempts = j.attempts + 1, lease_token = gen_random_uuid(),
                    locked_by = $2, locked_until = clock_timestamp() + make_interval(secs => $3),
                    updated_at = now()
              WHERE j.id = $1 AND j.state = 'queued'
                AND NOT (j.queue = 'pull' AND EXISTS (
                    SELECT 1 FROM control.jobs r
                     WHERE r.queue = 'pull' AND r.state = 'running' AND r.tenant_id = j.tenant_id))
              RETURNING {COLUMNS}"
        ),
        [id.into(), worker.into(), lease_seconds.into()],
    ))
    .one(db)
    .await;
    match result {
        Err(e) if is_unique_violation(&e, "jobs_one_running_pull") => Ok(None),
        other => other,
    }
}

fn is_unique_violation(err: &DbErr, constraint: &str) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) if msg.contains(constraint))
}

const LEASE_HELD: &str = "id = $1 AND lease_token = $2 AND state = 'running' AND locked_until > clock_timestamp()";

/// Extends a lease; false when it is lost (expired, rescued, cancelled).
pub async fn heartbeat(db: &impl ConnectionTrait, id: i64, token: Uuid, lease_seconds: f64) -> Result<bool, DbErr> {
    let done = db
        .execute_raw(stmt(
            &format!(
                "UPDATE control.jobs SET locked_until = clock_timestamp() + make_interval(secs => $3)
                  WHERE {LEASE_HELD}"
            ),
            [id.into(), token.into(), lease_seconds.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the lease is still held, locking the job's row until the transaction ends so that nobody
/// can take the job over before the caller's side effect commits (the fence of a side effect). A
/// share lock: it blocks every update of the row (rescue, completion, heartbeat) as an exclusive one
/// would, but lets one job's concurrent transactions (a pull's lanes) fence and commit side by side.
pub async fn holds_lease(db: &impl ConnectionTrait, id: i64, token: Uuid) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(stmt(
            &format!("SELECT id FROM control.jobs WHERE {LEASE_HELD} FOR SHARE"),
            [id.into(), token.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// Marks a job done; false when the lease was lost (the job is someone else's now).
pub async fn complete(db: &impl ConnectionTrait, id: i64, token: Uuid) -> Result<bool, DbErr> {
    let done = db
        .execute_raw(stmt(
            &format!(
                "UPDATE control.jobs
                    SET state = 'done', finished_at = now(), updated_at = now(),
                        lease_token = NULL, locked_until = NULL
                  WHERE {LEASE_HELD}"
            ),
            [id.into(), token.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: queued again at `retry_at` while attempts remain, otherwise (or when
/// `retry_at` is `None`) discarded and kept for inspection. False when the lease was lost.
pub async fn fail(
    db: &impl ConnectionTrait,
    id: i64,
    token: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let done = db
        .execute_raw(stmt(
            &format!(
                "UPDATE control.jobs
                    SET state = CASE WHEN $4::timestamptz IS NOT NULL AND attempts < max_attempts
                                     THEN 'queued' ELSE 'discarded' END,
                        run_at = COALESCE($4, run_at),
                        finished_at = CASE WHEN $4::timestamptz IS NOT NULL AND attempts < max_attempts
                                           THEN NULL ELSE now() END,
                        last_error = $3,
                        errors = errors || jsonb_build_array(jsonb_build_object(
                            'attempt', attempts, 'at', now(), 'worker', locked_by, 'error', $3::text)),
                        lease_token = NULL, locked_until = NULL, updated_at = now()
                  WHERE {LEASE_HELD}"
            ),
            [id.into(), token.into(), error.into(), retry_at.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a job back without counting the attempt (a worker shutting down before it finished).
pub async fn release(db: &impl ConnectionTrait, id: i64, token: Uuid) -> Result<bool, DbErr> {
    let done = db
        .execute_raw(stmt(
            &format!(
                "UPDATE control.jobs
                    SET state = 'queued', attempts = greatest(attempts - 1, 0), run_at = now(),
                        lease_token = NULL, locked_until = NULL, locked_by = NULL, updated_at = now()
                  WHERE {LEASE_HELD}"
            ),
            [id.into(), token.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Jobs whose lease expired (their worker died or stalled): queued again at once, or discarded when
/// they used their last attempt. Returns how many of each.
pub async fn rescue_expired(db: &impl ConnectionTrait) -> Result<(u64, u64), DbErr> {
    #[derive(FromQueryResult)]
    struct Rescued {
        state: String,
    }
    let rows = Rescued::find_by_statement(stmt(
        "UPDATE control.jobs
            SET state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'discarded' END,
                finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END,
                run_at = now(),
                last_error = 'the worker stopped before finishing (its lease expired)',
                errors = errors || jsonb_build_array(jsonb_build_object(
                    'attempt', attempts, 'at', now(), 'worker', locked_by,
                    'error', 'the worker stopped before finishing (its lease expired)')),
                lease_token = NULL, locked_until = NULL, updated_at = now()
          WHERE state = 'running' AND locked_until <= clock_timestamp()
          RETURNING state",
        [],
    ))
    .all(db)
    .await?;
    let queued = rows.iter().filter(|r| r.state == "queued").count() as u64;
    Ok((queued, rows.len() as u64 - queued))
}

/// Deletes finished jobs past their retention: done ones after `done_for`, discarded and cancelled ones
/// after `failed_for` (kept longer, for inspection).
pub async fn prune(
    db: &impl ConnectionTrait,
    done_for: std::time::Duration,
    failed_for: std::time::Duration,
) -> Result<u64, DbErr> {
    let done = db
        .execute_raw(stmt(
            "DELETE FROM control.jobs
              WHERE (state = 'done' AND finished_at < now() - make_interval(secs => $1))
                 OR (state IN ('discarded', 'cancelled') AND finished_at < now() - make_interval(secs => $2))",
            [done_for.as_secs_f64().into(), failed_for.as_secs_f64().into()],
        ))
        .await?;
    Ok(done.rows_affected())
}

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tenant_id: Option<Uuid>,
    pub state: Option<String>,
    pub limit: u64,
}

/// The newest jobs first (the operator's view when `tenant_id` is `None`).
pub async fn list(db: &impl ConnectionTrait, filter: &Filter) -> Result<Vec<JobRow>, DbErr> {
    JobRow::find_by_statement(stmt(
        &format!(
            "SELECT {COLUMNS} FROM control.jobs
              WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR state = $2)
              ORDER BY id DESC LIMIT $3"
        ),
        [
            filter.tenant_id.into(),
            filter.state.clone().into(),
            (filter.limit.clamp(1, 1_000) as i64).into(),
        ],
    ))
    .all(db)
    .await
}

/// One job, of `tenant_id` when given (another tenant's job is not found).
pub async fn get(db: &impl ConnectionTrait, id: i64, tenant_id: Option<Uuid>) -> Result<Option<JobRow>, DbErr> {
    JobRow::find_by_statement(stmt(
        &format!("SELECT {COLUMNS} FROM control.jobs WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"),
        [id.into(), tenant_id.into()],
    ))
    .one(db)
    .await
}

/// Why a retry or cancel changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no such job")]
    NotFound,
    #[error("the job is {0}; only {1} jobs can be")]
    WrongState(String, &'static str),
    #[error("an equivalent job is already queued or running")]
    Duplicate,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Queues a discarded or cancelled job again, with a fresh set of attempts.
pub async fn retry(db: &impl ConnectionTrait, id: i64, tenant_id: Option<Uuid>) -> Result<(), ChangeError> {
    let done = db
        .execute_raw(stmt(
            "UPDATE control.jobs
                SET state = 'queued', attempts = 0, run_at = now(), finished_at = NULL, updated_at = now()
              WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) AND state IN ('discarded', 'cancelled')",
            [id.into(), tenant_id.into()],
        ))
        .await
        .map_err(|e| {
            if is_unique_violation(&e, "jobs_unique_key") {
                ChangeError::Duplicate
            } else {
                e.into()
            }
        })?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    match get(db, id, tenant_id).await? {
        None => Err(ChangeError::NotFound),
        Some(job) => Err(ChangeError::WrongState(job.state, "discarded or cancelled")),
    }
}

/// Cancels a queued or running job. A running job's worker loses its lease: it stops at its next
/// heartbeat or fence, and its completion is refused.
pub async fn cancel(db: &impl ConnectionTrait, id: i64, tenant_id: Option<Uuid>) -> Result<(), ChangeError> {
    let done = db
        .execute_raw(stmt(
            "UPDATE control.jobs
                SET state = 'cancelled', finished_at = now(), updated_at = now(),
                    lease_token = NULL, locked_until = NULL
              WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) AND state IN ('queued', 'running')",
            [id.into(), tenant_id.into()],
        ))
        .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    match get(db, id, tenant_id).await? {
        None => Err(ChangeError::NotFound),
        Some(job) => Err(ChangeError::WrongState(job.state, "queued or running")),
    }
}

/// Cancels every queued or running job of one tenant's `queue` (as `cancel` does one: a running job
/// loses its lease and stops at its next heartbeat or fence); returns how many. Inside a transaction,
/// this waits for a side effect that is being committed under one of those leases, and a later fence
/// waits for this transaction, so nothing commits under a cancelled lease once it has committed.
pub async fn cancel_tenant_queue(db: &impl ConnectionTrait, tenant_id: Uuid, queue: &str) -> Result<u64, DbErr> {
    let done = db
        .execute_raw(stmt(
            "UPDATE control.jobs
                SET state = 'cancelled', finished_at = now(), updated_at = now(),
                    lease_token = NULL, locked_until = NULL
              WHERE tenant_id = $1 AND queue = $2 AND state IN ('queued', 'running')",
            [tenant_id.into(), queue.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}
