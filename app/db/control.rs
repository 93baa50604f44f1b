//! Control-plane queries (schema `control`), run on the `ts_app` pool or the owner pool, never inside
//! a tenant transaction (the tenant role may not read these tables).
//!
//! Written as bound SQL so that each statement shows its `tenant_id` filter where the table holds
//! tenant rows; a test reads this file to check that (tests/api/tenancy.rs).

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, TransactionSession as _, TransactionTrait, Value,
};
use uuid::Uuid;

use crate::domain::account::{EmailAddress, RoleSet};
use crate::domain::tenant::{TenantId, TenantSlug};

fn stmt(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

async fn all<T: FromQueryResult>(db: &impl ConnectionTrait, statement: Statement) -> Result<Vec<T>, DbErr> {
    T::find_by_statement(statement).all(db).await
}

async fn one<T: FromQueryResult>(db: &impl ConnectionTrait, statement: Statement) -> Result<Option<T>, DbErr> {
    T::find_by_statement(statement).one(db).await
}

fn is_unique_violation(err: &DbErr, constraint: &str) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) if msg.contains(constraint))
}

// ---------------------------------------------------------------------------------------------
// Tenants

#[derive(Debug, Clone, FromQueryResult)]
pub struct TenantRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub schema_version: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl TenantRow {
    pub fn tenant_id(&self) -> TenantId {
        TenantId::from_uuid(self.id)
    }
}

pub async fn list_tenants(db: &impl ConnectionTrait) -> Result<Vec<TenantRow>, DbErr> {
    all(
        db,
        stmt(
            "SELECT id, slug, name, schema_version, created_at FROM control.tenants ORDER BY slug",
            [],
        ),
    )
    .await
}

pub async fn find_tenant_by_slug(db: &impl ConnectionTrait, slug: &TenantSlug) -> Result<Option<TenantRow>, DbErr> {
    one(
        db,
        stmt(
            "SELECT id, slug, name, schema_version, created_at FROM control.tenants WHERE slug = $1",
            [slug.as_str().into()],
        ),
    )
    .await
}

pub async fn find_tenant(db: &impl ConnectionTrait, tenant: TenantId) -> Result<Option<TenantRow>, DbErr> {
    one(
        db,
        stmt(
            "SELECT id, slug, name, schema_version, created_at FROM control.tenants WHERE id = $1",
            [tenant.as_uuid().into()],
        ),
    )
    .await
}

/// Tenants whose schema is not at `latest` (for `/readyz`).
pub async fn count_tenants_behind(db: &impl ConnectionTrait, latest: &str) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = one(
        db,
        stmt(
            "SELECT count(*) AS n FROM control.tenants WHERE schema_version IS DISTINCT FROM $1",
            [latest.into()],
        ),
    )
    .await?;
    Ok(row.map_or(0, |c| c.n))
}

/// Whether every control migration is applied. Reads `control.seaql_migrations` in a transaction whose
/// search_path is `control`: on the empty-path pool sea-orm would report every migration pending.
pub async fn control_migrations_current(db: &sea_orm::DatabaseConnection) -> Result<bool, DbErr> {
    use migration::MigratorTrait as _;
    let txn = db.begin().await?;
    txn.execute_unprepared("SELECT set_config('search_path', 'control', true)")
        .await?;
    let pending = migration::ControlMigrator::get_pending_migrations_read_only(&txn).await?;
    txn.rollback().await?;
    Ok(pending.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Accounts

#[derive(Debug, Clone, FromQueryResult)]
pub struct AccountRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub disabled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("no account has this email")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub async fn find_account_by_email(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> Result<Option<AccountRow>, DbErr> {
    one(
        db,
        stmt(
            "SELECT id, email, display_name, password_hash, disabled_at FROM control.accounts WHERE lower(email) = $1",
            [email.as_str().into()],
        ),
    )
    .await
}

pub async fn find_account(db: &impl ConnectionTrait, account_id: Uuid) -> Result<Option<AccountRow>, DbErr> {
    one(
        db,
        stmt(
            "SELECT id, email, display_name, password_hash, disabled_at FROM control.accounts WHERE id = $1",
            [account_id.into()],
        ),
    )
    .await
}

pub async fn create_account(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    display_name: &str,
    password_hash: &str,
) -> Result<Uuid, AccountError> {
    let id = Uuid::now_v7();
    db.execute_raw(stmt(
        "INSERT INTO control.accounts (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4)",
        [
            id.into(),
            email.as_str().into(),
            display_name.into(),
            password_hash.into(),
        ],
    ))
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "accounts_email_key") {
            AccountError::EmailTaken
        } else {
            e.into()
        }
    })?;
    Ok(id)
}

/// Replaces a password hash and ends every session of the account except `keep` (the one that changed
/// it, if any). A rehash on sign-in passes `end_sessions = false`.
pub async fn set_password_hash<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    account_id: Uuid,
    password_hash: &str,
    end_sessions: bool,
    keep: Option<Uuid>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let changed_at = if end_sessions {
        "password_changed_at = now(),"
    } else {
        ""
    };
    txn.execute_raw(stmt(
        &format!("UPDATE control.accounts SET password_hash = $2, {changed_at} updated_at = now() WHERE id = $1"),
        [account_id.into(), password_hash.into()],
    ))
    .await?;
    if end_sessions {
        end_sessions_of_account(&txn, account_id, keep, "password_changed").await?;
        // A reset or invite link sent before the change must not set another password after it.
        txn.execute_raw(stmt(
            "UPDATE control.account_tokens SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
            [account_id.into()],
        ))
        .await?;
    }
    txn.commit().await
}

/// Disables an account and ends its sessions at once. Only the operator does this (CLI).
pub async fn disable_account<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    email: &EmailAddress,
) -> Result<Uuid, AccountError> {
    let txn = db.begin().await?;
    let account = find_account_by_email(&txn, email)
        .await?
        .ok_or(AccountError::NotFound)?;
    txn.execute_raw(stmt(
        "UPDATE control.accounts SET disabled_at = coalesce(disabled_at, now()), updated_at = now() WHERE id = $1",
        [account.id.into()],
    ))
    .await?;
    end_sessions_of_account(&txn, account.id, None, "account_disabled").await?;
    txn.commit().await?;
    Ok(account.id)
}

// ---------------------------------------------------------------------------------------------
// Memberships

/// Adds a membership, or adds `roles` to an existing one (roles are only taken away in the web UI,
/// which keeps the last admin).
pub async fn upsert_membership(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    account_id: Uuid,
    roles: &RoleSet,
) -> Result<Uuid, DbErr> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    let row: Option<Id> = one(
        db,
        stmt(
            "INSERT INTO control.memberships (id, tenant_id, account_id, roles) VALUES ($1, $2, $3, $4)
             ON CONFLICT ON CONSTRAINT memberships_tenant_account_key
             DO UPDATE SET roles = ARRAY(SELECT DISTINCT unnest(memberships.roles || EXCLUDED.roles) ORDER BY 1),
                           updated_at = now()
             RETURNING id",
            [
                Uuid::now_v7().into(),
                tenant.as_uuid().into(),
                account_id.into(),
                roles.names().into(),
            ],
        ),
    )
    .await?;
    row.map(|r| r.id)
        .ok_or_else(|| DbErr::Custom("upsert returned no row".into()))
}

/// Adds a membership of `account_id` to `tenant` (an invite); `None` when the account is a member
/// already (nothing changes then).
pub async fn add_membership(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    account_id: Uuid,
    roles: &RoleSet,
) -> Result<Option<Uuid>, DbErr> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    let row: Option<Id> = one(
        db,
        stmt(
            "INSERT INTO control.memberships (id, tenant_id, account_id, roles) VALUES ($1, $2, $3, $4)
             ON CONFLICT ON CONSTRAINT memberships_tenant_account_key DO NOTHING
             RETURNING id",
            [
                Uuid::now_v7().into(),
                tenant.as_uuid().into(),
                account_id.into(),
                roles.names().into(),
            ],
        ),
    )
    .await?;
    Ok(row.map(|r| r.id))
}

/// The tenants an account belongs to, for the tenant picker.
#[derive(Debug, Clone, FromQueryResult)]
pub struct AccountTenant {
    pub slug: String,
    pub name: String,
    pub roles: Vec<String>,
}

pub async fn tenants_of_account(db: &impl ConnectionTrait, account_id: Uuid) -> Result<Vec<AccountTenant>, DbErr> {
    all(
        db,
        stmt(
            "SELECT t.slug, t.name, m.roles FROM control.memberships m JOIN control.tenants t ON t.id = m.tenant_id
             WHERE m.account_id = $1 ORDER BY t.name, t.slug",
            [account_id.into()],
        ),
    )
    .await
}

/// A tenant as seen by one of its members: the membership's roles and scope, read on every request.
#[derive(Debug, Clone, FromQueryResult)]
pub struct MemberAccess {
    pub tenant_id: Uuid,
    pub slug: String,
    pub name: String,
    pub membership_id: Uuid,
    pub roles: Vec<String>,
    pub scope_group_ids: Option<Vec<Uuid>>,
}

/// The tenant named `slug` if `account_id` is a member of it; `None` otherwise (the caller answers 404
/// either way, so a non-member cannot tell which tenants exist).
pub async fn member_access(
    db: &impl ConnectionTrait,
    slug: &TenantSlug,
    account_id: Uuid,
) -> Result<Option<MemberAccess>, DbErr> {
    one(
        db,
        stmt(
            "SELECT t.id AS tenant_id, t.slug, t.name, m.id AS membership_id, m.roles, m.scope_group_ids
             FROM control.tenants t JOIN control.memberships m ON m.tenant_id = t.id
             WHERE t.slug = $1 AND m.account_id = $2",
            [slug.as_str().into(), account_id.into()],
        ),
    )
    .await
}

/// A member of a tenant, as the tenant admin sees them.
#[derive(Debug, Clone, FromQueryResult)]
pub struct MemberRow {
    pub membership_id: Uuid,
    pub account_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub scope_group_ids: Option<Vec<Uuid>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

const MEMBER_COLUMNS: &str = "m.id AS membership_id, a.id AS account_id, a.email, a.display_name, m.roles, \
                              m.scope_group_ids, a.disabled_at";

pub async fn list_members(db: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<MemberRow>, DbErr> {
    all(
        db,
        stmt(
            &format!(
                "SELECT {MEMBER_COLUMNS} FROM control.memberships m JOIN control.accounts a ON a.id = m.account_id
                 WHERE m.tenant_id = $1 ORDER BY lower(a.display_name), a.email"
            ),
            [tenant.as_uuid().into()],
        ),
    )
    .await
}

pub async fn find_member(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    membership_id: Uuid,
) -> Result<Option<MemberRow>, DbErr> {
    one(
        db,
        stmt(
            &format!(
                "SELECT {MEMBER_COLUMNS} FROM control.memberships m JOIN control.accounts a ON a.id = m.account_id
                 WHERE m.tenant_id = $1 AND m.id = $2"
            ),
            [tenant.as_uuid().into(), membership_id.into()],
        ),
    )
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("no such member")]
    NotFound,
    #[error("the tenant must keep at least one admin")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Changes a member's roles and scope. Refuses to leave the tenant without an admin.
pub async fn update_member<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: TenantId,
    membership_id: Uuid,
    roles: &RoleSet,
    scope_group_ids: Option<Vec<Uuid>>,
) -> Result<(), MembershipError> {
    let txn = db.begin().await?;
    let remains_admin = roles.contains(crate::domain::account::Role::Admin);
    guard_last_admin(&txn, tenant, membership_id, remains_admin).await?;
    txn.execute_raw(stmt(
        "UPDATE control.memberships SET roles = $3, scope_group_ids = $4, updated_at = now()
         WHERE tenant_id = $1 AND id = $2",
        [
            tenant.as_uuid().into(),
            membership_id.into(),
            roles.names().into(),
            Value::Array(
                sea_orm::sea_query::ArrayType::Uuid,
                scope_group_ids.map(|ids| Box::new(ids.into_iter().map(Value::from).collect())),
            ),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a membership (never the account). Refuses to remove the last admin.
pub async fn remove_member<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: TenantId,
    membership_id: Uuid,
) -> Result<(), MembershipError> {
    let txn = db.begin().await?;
    guard_last_admin(&txn, tenant, membership_id, false).await?;
    txn.execute_raw(stmt(
        "DELETE FROM control.memberships WHERE tenant_id = $1 AND id = $2",
        [tenant.as_uuid().into(), membership_id.into()],
    ))
    .await?;
    // Sessions are per account, not per tenant: the removed member keeps their other tenants and loses
    // this one on the very next request, because access is read from the membership every time.
    txn.commit().await?;
    Ok(())
}

/// Locks the tenant's memberships and fails if `membership_id` is missing, or is the last admin and
/// would stop being one.
async fn guard_last_admin(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    membership_id: Uuid,
    remains_admin: bool,
) -> Result<(), MembershipError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        is_admin: bool,
    }
    let rows: Vec<Row> = all(
        txn,
        stmt(
            "SELECT m.id, 'admin' = ANY (m.roles) AND a.disabled_at IS NULL AS is_admin
             FROM control.memberships m JOIN control.accounts a ON a.id = m.account_id
             WHERE m.tenant_id = $1 FOR UPDATE OF m",
            [tenant.as_uuid().into()],
        ),
    )
    .await?;
    let target = rows
        .iter()
        .find(|r| r.id == membership_id)
        .ok_or(MembershipError::NotFound)?;
    let other_admins = rows.iter().filter(|r| r.is_admin && r.id != membership_id).count();
    if target.is_admin && !remains_admin && other_admins == 0 {
        return Err(MembershipError::LastAdmin);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Account tokens: the single-use, expiring links of invites and password resets (stored hashed)

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Set the first password of an invited account.
    Invite,
    /// Replace a forgotten password.
    Reset,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Invite => "invite",
            TokenPurpose::Reset => "reset",
        }
    }
}

pub async fn create_account_token(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    purpose: TokenPurpose,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "INSERT INTO control.account_tokens (token_hash, account_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
        [
            token_hash.into(),
            account_id.into(),
            purpose.as_str().into(),
            expires_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Whether `account_id` was sent a token of `purpose` within the last `seconds` (a reset asked for
/// again and again must not flood the inbox).
pub async fn recent_account_token(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    purpose: TokenPurpose,
    seconds: i64,
) -> Result<bool, DbErr> {
    #[derive(FromQueryResult)]
    struct Found {
        found: bool,
    }
    let row: Option<Found> = one(
        db,
        stmt(
            "SELECT EXISTS (SELECT 1 FROM control.account_tokens
                            WHERE account_id = $1 AND purpose = $2
                              AND created_at > now() - make_interval(secs => $3)) AS found",
            [account_id.into(), purpose.as_str().into(), (seconds as f64).into()],
        ),
    )
    .await?;
    Ok(row.is_some_and(|r| r.found))
}

/// The enabled account a live (unused, unexpired) token of `purpose` belongs to.
pub async fn account_of_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
    purpose: TokenPurpose,
) -> Result<Option<AccountRow>, DbErr> {
    one(
        db,
        stmt(
            "SELECT a.id, a.email, a.display_name, a.password_hash, a.disabled_at
             FROM control.account_tokens t JOIN control.accounts a ON a.id = t.account_id
             WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now()
               AND a.disabled_at IS NULL",
            [token_hash.into(), purpose.as_str().into()],
        ),
    )
    .await
}

/// Uses up a live token and sets the account's password: every other token of the account stops
/// working and every session ends. `None` when the token is not live (used, expired, unknown, or the
/// account disabled) — then nothing changes.
pub async fn set_password_with_token<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    token_hash: &str,
    purpose: TokenPurpose,
    password_hash: &str,
) -> Result<Option<AccountRow>, DbErr> {
    let txn = db.begin().await?;
    #[derive(FromQueryResult)]
    struct Used {
        account_id: Uuid,
    }
    let used: Option<Used> = one(
        &txn,
        stmt(
            "UPDATE control.account_tokens t SET used_at = now()
             FROM control.accounts a
             WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now()
               AND a.id = t.account_id AND a.disabled_at IS NULL
             RETURNING t.account_id",
            [token_hash.into(), purpose.as_str().into()],
        ),
    )
    .await?;
    let Some(Used { account_id }) = used else {
        return Ok(None);
    };
    txn.execute_raw(stmt(
        "UPDATE control.account_tokens SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
        [account_id.into()],
    ))
    .await?;
    txn.execute_raw(stmt(
        "UPDATE control.accounts SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1",
        [account_id.into(), password_hash.into()],
    ))
    .await?;
    end_sessions_of_account(&txn, account_id, None, "password_changed").await?;
    let account = find_account(&txn, account_id).await?;
    txn.commit().await?;
    Ok(account)
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// The signed-in person behind a live session.
#[derive(Debug, Clone, FromQueryResult)]
pub struct SessionAccount {
    pub session_id: Uuid,
    pub account_id: Uuid,
    pub email: String,
    pub display_name: String,
    needs_touch: bool,
}

/// Starts a session for `account_id`, but only if its password hash is still `verified_hash` and the
/// account is enabled: a sign-in that raced a password change or a disable gets no session (`None`).
pub async fn create_session(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    verified_hash: &str,
    expires_at: DateTime<Utc>,
    client_ip: Option<String>,
) -> Result<Option<Uuid>, DbErr> {
    // Random, not time-ordered: a session id must not be guessable.
    let id = Uuid::new_v4();
    let inserted = db
        .execute_raw(stmt(
            "INSERT INTO control.sessions (id, account_id, expires_at, client_ip)
             SELECT $1, a.id, $3, $4 FROM control.accounts a
             WHERE a.id = $2 AND a.password_hash = $5 AND a.disabled_at IS NULL",
            [
                id.into(),
                account_id.into(),
                expires_at.into(),
                client_ip.into(),
                verified_hash.into(),
            ],
        ))
        .await?;
    Ok((inserted.rows_affected() == 1).then_some(id))
}

/// The live session `session_id`, or `None` if it ended, expired (absolute or idle) or its account is
/// disabled. Slides the idle timeout, writing at most once a minute per session.
pub async fn live_session(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    idle_timeout_secs: i64,
) -> Result<Option<SessionAccount>, DbErr> {
    let found: Option<SessionAccount> = one(
        db,
        stmt(
            "SELECT s.id AS session_id, a.id AS account_id, a.email, a.display_name,
                    s.last_seen_at < now() - interval '60 seconds' AS needs_touch
             FROM control.sessions s JOIN control.accounts a ON a.id = s.account_id
             WHERE s.id = $1 AND s.ended_at IS NULL AND a.disabled_at IS NULL
               AND s.expires_at > now()
               AND s.last_seen_at > now() - make_interval(secs => $2)",
            [session_id.into(), (idle_timeout_secs as f64).into()],
        ),
    )
    .await?;
    if let Some(session) = &found
        && session.needs_touch
    {
        db.execute_raw(stmt(
            "UPDATE control.sessions SET last_seen_at = now() WHERE id = $1 AND ended_at IS NULL",
            [session_id.into()],
        ))
        .await?;
    }
    Ok(found)
}

pub async fn end_session(db: &impl ConnectionTrait, session_id: Uuid, reason: &str) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "UPDATE control.sessions SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL",
        [session_id.into(), reason.into()],
    ))
    .await
    .map(|_| ())
}

async fn end_sessions_of_account(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "UPDATE control.sessions SET ended_at = now(), end_reason = $3
         WHERE account_id = $1 AND ended_at IS NULL AND id IS DISTINCT FROM $2",
        [account_id.into(), keep.into(), reason.into()],
    ))
    .await
    .map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Sign-in throttle (per typed email, known or not)

#[derive(Debug, Clone, FromQueryResult)]
pub struct ThrottleState {
    pub window_started_at: DateTime<Utc>,
    pub failures_in_window: i32,
    pub consecutive_failures: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// The verdict on a sign-in attempt, taken before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginClaim {
    /// Go ahead and verify; the attempt is already counted as a failure until it succeeds.
    Allowed,
    /// Refused without verifying, until then.
    Locked(DateTime<Utc>),
}

/// Counts an attempt on `email_key` *before* its password is verified, atomically (the row is locked),
/// so concurrent attempts cannot all slip past the throttle. `lock_after` says, from the new counts and
/// the database's clock, until when further attempts wait. A success calls [`clear_login_failures`].
pub async fn claim_login_attempt<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    email_key: &str,
    lock_after: impl Fn(&ThrottleState, DateTime<Utc>) -> Option<DateTime<Utc>>,
) -> Result<LoginClaim, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        window_started_at: DateTime<Utc>,
        failures_in_window: i32,
        consecutive_failures: i32,
        locked_until: Option<DateTime<Utc>>,
        db_now: DateTime<Utc>,
    }
    let txn = db.begin().await?;
    txn.execute_raw(stmt(
        "INSERT INTO control.login_throttle (email_key, window_started_at, failures_in_window, consecutive_failures)
         VALUES ($1, now(), 0, 0) ON CONFLICT (email_key) DO NOTHING",
        [email_key.into()],
    ))
    .await?;
    let row: Row = one(
        &txn,
        stmt(
            "SELECT window_started_at, failures_in_window, consecutive_failures, locked_until, now() AS db_now
             FROM control.login_throttle WHERE email_key = $1 FOR UPDATE",
            [email_key.into()],
        ),
    )
    .await?
    .ok_or_else(|| DbErr::Custom("login_throttle row vanished".into()))?;
    if let Some(until) = row.locked_until.filter(|until| *until > row.db_now) {
        txn.rollback().await?;
        return Ok(LoginClaim::Locked(until));
    }
    let new_window = row.window_started_at < row.db_now - chrono::Duration::hours(1);
    let mut state = ThrottleState {
        window_started_at: if new_window { row.db_now } else { row.window_started_at },
        failures_in_window: if new_window { 1 } else { row.failures_in_window + 1 },
        consecutive_failures: row.consecutive_failures + 1,
        locked_until: None,
    };
    state.locked_until = lock_after(&state, row.db_now);
    txn.execute_raw(stmt(
        "UPDATE control.login_throttle
         SET window_started_at = $2, failures_in_window = $3, consecutive_failures = $4, locked_until = $5
         WHERE email_key = $1",
        [
            email_key.into(),
            state.window_started_at.into(),
            state.failures_in_window.into(),
            state.consecutive_failures.into(),
            state.locked_until.into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok(LoginClaim::Allowed)
}

/// Forgets the failures of `email_key` after a successful sign-in, and prunes rows of addresses that
/// have been quiet for a day (anything typed gets a row, so the table must not grow for ever).
pub async fn clear_login_failures(db: &impl ConnectionTrait, email_key: &str) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "DELETE FROM control.login_throttle
         WHERE email_key = $1
            OR (window_started_at < now() - interval '1 day' AND coalesce(locked_until, '-infinity') < now())",
        [email_key.into()],
    ))
    .await
    .map(|_| ())
}

/// Retention of sign-in state (the platform maintenance job): sessions that ended or expired more than
/// `keep` ago, and throttle rows of addresses quiet for a day and not locked.
pub async fn prune_sign_in_state(db: &impl ConnectionTrait, keep: std::time::Duration) -> Result<u64, DbErr> {
    let sessions = db
        .execute_raw(stmt(
            "DELETE FROM control.sessions
             WHERE coalesce(ended_at, expires_at) < now() - make_interval(secs => $1)",
            [keep.as_secs_f64().into()],
        ))
        .await?;
    let throttle = db
        .execute_raw(stmt(
            "DELETE FROM control.login_throttle
             WHERE window_started_at < now() - interval '1 day' AND coalesce(locked_until, '-infinity') < now()",
            [],
        ))
        .await?;
    Ok(sessions.rows_affected() + throttle.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Platform audit

pub async fn record_platform_event(
    db: &impl ConnectionTrait,
    actor: &str,
    action: &str,
    tenant: Option<TenantId>,
    account_id: Option<Uuid>,
    details: serde_json::Value,
) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "INSERT INTO control.platform_audit (actor, action, tenant_id, account_id, details) VALUES ($1, $2, $3, $4, $5)",
        [actor.into(), action.into(), tenant.map(|t| t.as_uuid()).into(), account_id.into(), details.into()],
    ))
    .await
    .map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Startup checks

#[derive(Debug, Clone, FromQueryResult)]
pub struct ConnectedRole {
    pub name: String,
    pub is_superuser: bool,
    pub bypasses_rls: bool,
    pub inherits: bool,
}

/// The role a pool connects as: `serve` refuses to run as anything but `ts_app`.
pub async fn connected_role(db: &impl ConnectionTrait) -> Result<ConnectedRole, DbErr> {
    let role: Option<ConnectedRole> = one(
        db,
        stmt(
            "SELECT rolname AS name, rolsuper AS is_superuser, rolbypassrls AS bypasses_rls, rolinherit AS inherits
             FROM pg_catalog.pg_roles WHERE rolname = current_user",
            [],
        ),
    )
    .await?;
    role.ok_or_else(|| DbErr::Custom("current_user has no pg_roles row".into()))
}

// ---------------------------------------------------------------------------------------------
// Odoo connections

/// A tenant's Odoo connection as stored; the API key stays sealed (see `auth::vault`).
#[derive(Debug, Clone, FromQueryResult)]
pub struct OdooConnectionRow {
    pub tenant_id: Uuid,
    pub url: String,
    pub database: String,
    pub login: String,
    pub key_id: Option<String>,
    pub key_nonce: Option<Vec<u8>>,
    pub key_ciphertext: Option<Vec<u8>>,
    pub key_expires_on: Option<chrono::NaiveDate>,
    pub status: String,
    pub status_detail: String,
    pub odoo_version: Option<String>,
    pub tested_at: Option<DateTime<Utc>>,
    pub test_report: serde_json::Value,
    pub mirror_of: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// How often the schedule pulls this tenant, in minutes.
    pub pull_every_minutes: i32,
    /// How far back a first sync reads documents, in months.
    pub horizon_months: i32,
}

const CONNECTION_COLUMNS: &str = "tenant_id, url, database, login, key_id, key_nonce, key_ciphertext, key_expires_on, \
                                  status, status_detail, odoo_version, tested_at, test_report, mirror_of, updated_at, \
                                  pull_every_minutes, horizon_months";

pub async fn find_odoo_connection(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Option<OdooConnectionRow>, DbErr> {
    one(
        db,
        stmt(
            &format!("SELECT {CONNECTION_COLUMNS} FROM control.odoo_connections WHERE tenant_id = $1"),
            [tenant_id.into()],
        ),
    )
    .await
}

/// Every connection (for `truestock keys rotate` and the scheduler).
pub async fn list_odoo_connections(db: &impl ConnectionTrait) -> Result<Vec<OdooConnectionRow>, DbErr> {
    all(
        db,
        stmt(
            &format!("SELECT {CONNECTION_COLUMNS} FROM control.odoo_connections ORDER BY tenant_id"),
            [],
        ),
    )
    .await
}

/// What a tenant admin (or the operator) sets.
#[derive(Debug, Clone)]
pub struct OdooConnectionUpdate {
    pub url: String,
    pub database: String,
    pub login: String,
    /// `(key id, nonce, ciphertext)`, or `None` to clear the key.
    pub sealed_key: Option<(String, Vec<u8>, Vec<u8>)>,
    pub key_expires_on: Option<chrono::NaiveDate>,
    pub mirror_of: Option<String>,
}

/// Creates or replaces a tenant's connection; the last test's outcome is forgotten (`untested`).
pub async fn save_odoo_connection(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    update: &OdooConnectionUpdate,
) -> Result<(), DbErr> {
    let (key_id, nonce, ciphertext) = match &update.sealed_key {
        Some((id, nonce, ciphertext)) => (Some(id.clone()), Some(nonce.clone()), Some(ciphertext.clone())),
        None => (None, None, None),
    };
    db.execute_raw(stmt(
        "INSERT INTO control.odoo_connections
             (tenant_id, url, database, login, key_id, key_nonce, key_ciphertext, key_expires_on, mirror_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id) DO UPDATE SET
             url = EXCLUDED.url, database = EXCLUDED.database, login = EXCLUDED.login,
             key_id = EXCLUDED.key_id, key_nonce = EXCLUDED.key_nonce, key_ciphertext = EXCLUDED.key_ciphertext,
             key_expires_on = EXCLUDED.key_expires_on, mirror_of = EXCLUDED.mirror_of,
             status = 'untested', status_detail = '', test_report = '{}', tested_at = NULL, updated_at = now()",
        [
            tenant_id.into(),
            update.url.clone().into(),
            update.database.clone().into(),
            update.login.clone().into(),
            key_id.into(),
            nonce.into(),
            ciphertext.into(),
            update.key_expires_on.into(),
            update.mirror_of.clone().into(),
        ],
    ))
    .await
    .map(|_| ())
}

/// Replaces a sealed key by the same key sealed under another master key (`keys rotate`), only if it
/// is still the one read (`old_key_id`).
pub async fn reseal_odoo_key(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    old_key_id: &str,
    sealed: (String, Vec<u8>, Vec<u8>),
) -> Result<bool, DbErr> {
    let done = db
        .execute_raw(stmt(
            "UPDATE control.odoo_connections SET key_id = $3, key_nonce = $4, key_ciphertext = $5
              WHERE tenant_id = $1 AND key_id = $2",
            [
                tenant_id.into(),
                old_key_id.into(),
                sealed.0.into(),
                sealed.1.into(),
                sealed.2.into(),
            ],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a connection test's outcome.
pub async fn record_odoo_test(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    status: &str,
    detail: &str,
    version: Option<&str>,
    report: &serde_json::Value,
) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "UPDATE control.odoo_connections
            SET status = $2, status_detail = $3, odoo_version = COALESCE($4, odoo_version),
                test_report = $5, tested_at = now()
          WHERE tenant_id = $1",
        [
            tenant_id.into(),
            status.into(),
            detail.into(),
            version.map(str::to_string).into(),
            report.clone().into(),
        ],
    ))
    .await
    .map(|_| ())
}

/// Binds a tenant to the Odoo database its synced data comes from (first successful connection).
pub async fn bind_odoo_mirror(db: &impl ConnectionTrait, tenant_id: Uuid, identity: &str) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        "UPDATE control.odoo_connections SET mirror_of = $2 WHERE tenant_id = $1 AND mirror_of IS NULL",
        [tenant_id.into(), identity.into()],
    ))
    .await
    .map(|_| ())
}

/// Sets a tenant's pull interval and history horizon; false when the tenant has no Odoo connection.
pub async fn set_sync_settings(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    pull_every_minutes: i32,
    horizon_months: i32,
) -> Result<bool, DbErr> {
    let done = db
        .execute_raw(stmt(
            "UPDATE control.odoo_connections SET pull_every_minutes = $2, horizon_months = $3, updated_at = now()
              WHERE tenant_id = $1",
            [tenant_id.into(), pull_every_minutes.into(), horizon_months.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a tenant's webhook token (its hash); false when the tenant has no Odoo connection.
pub async fn set_webhook_token_hash(db: &impl ConnectionTrait, tenant_id: Uuid, hash: &str) -> Result<bool, DbErr> {
    let done = db
        .execute_raw(stmt(
            "UPDATE control.odoo_connections SET webhook_token_hash = $2, webhook_rotated_at = now()
              WHERE tenant_id = $1",
            [tenant_id.into(), hash.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The tenant whose webhook token has this hash (the token itself is the credential; the tenant is
/// found by it, then filtered by it — no tenant id comes from the request).
pub async fn tenant_of_webhook(db: &impl ConnectionTrait, hash: &str) -> Result<Option<Uuid>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        tenant_id: Uuid,
    }
    Ok(one::<Row>(
        db,
        stmt(
            "SELECT tenant_id FROM control.odoo_connections WHERE webhook_token_hash = $1 AND key_id IS NOT NULL",
            [hash.into()],
        ),
    )
    .await?
    .map(|r| r.tenant_id))
}

/// Whether the tenant has a webhook URL.
pub async fn has_webhook(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<bool, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        present: bool,
    }
    Ok(one::<Row>(
        db,
        stmt(
            "SELECT webhook_token_hash IS NOT NULL AS present FROM control.odoo_connections WHERE tenant_id = $1",
            [tenant_id.into()],
        ),
    )
    .await?
    .is_some_and(|r| r.present))
}
