//! The platform operator's commands (`db init`, `migrate`, `tenant`, `user`) as library functions,
//! so the CLI, `demo` and the tests share one implementation.

use sea_orm::{DatabaseConnection, TransactionTrait};
use secrecy::SecretString;
use uuid::Uuid;

use crate::auth::password::{PasswordHasher, check_new_password, generate_password};
use crate::config::Settings;
use crate::db::control::{self, AccountError};
use crate::db::tenancy::bootstrap::{self, InitError, InitPlan};
use crate::db::tenancy::migrate::{self, MigrationReport};
use crate::db::tenancy::{self, CreateTenantError};
use crate::db::{self};
use crate::domain::account::{EmailAddress, InvalidRoleSet, RoleSet};
use crate::domain::tenant::{InvalidSlug, TenantId, TenantSlug};

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error(transparent)]
    Init(#[from] InitError),
    #[error("could not connect with TRUESTOCK_OWNER_DATABASE_URL: {0} (has `truestock db init` run?)")]
    OwnerConnect(sea_orm::DbErr),
    #[error("TRUESTOCK_OWNER_DATABASE_URL must connect as ts_owner, not {0:?}")]
    NotOwner(String),
    #[error("could not connect with TRUESTOCK_DATABASE_URL: {0} (has `truestock db init` run?)")]
    AppConnect(sea_orm::DbErr),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Slug(#[from] InvalidSlug),
    #[error(transparent)]
    Tenant(#[from] CreateTenantError),
    #[error("no tenant has the slug {0:?} (see `truestock tenant list`)")]
    UnknownTenant(String),
    #[error(transparent)]
    Email(#[from] crate::domain::account::InvalidEmail),
    #[error(transparent)]
    Roles(#[from] InvalidRoleSet),
    #[error("{0}")]
    Account(#[from] AccountError),
    #[error("the password is not acceptable: {0}")]
    WeakPassword(String),
    #[error("a tenant name is 1 to 200 characters")]
    BadTenantName,
    #[error(transparent)]
    Password(#[from] crate::auth::password::PasswordError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Connection(#[from] crate::sync::connection::ConnectionError),
    #[error("the tenant has no Odoo connection yet (see `truestock tenant connect`)")]
    NotConnected,
    #[error("the pull succeeded but the stock refresh after it did not (job {0}: see `truestock jobs list`)")]
    StockRefresh(i64),
    #[error("could not read {path}: {source}")]
    SecretFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// `db init`: roles, database, grants, `ext` schema. Returns the database name.
pub async fn init_database(settings: &Settings) -> Result<String, OperatorError> {
    Ok(bootstrap::init_database(InitPlan {
        superuser_url: &settings.superuser_url,
        database_url: &settings.database_url,
        owner_database_url: &settings.owner_database_url,
    })
    .await?)
}

/// Opens the owner pool (`TRUESTOCK_OWNER_DATABASE_URL`). It must really be `ts_owner`: tenant
/// grants come from default privileges for objects that `ts_owner` creates.
pub async fn owner_pool(settings: &Settings, max_connections: u32) -> Result<DatabaseConnection, OperatorError> {
    let pool = db::connect(&settings.owner_database_url, max_connections)
        .await
        .map_err(OperatorError::OwnerConnect)?;
    let role = control::connected_role(&pool).await?;
    if role.name != "ts_owner" {
        return Err(OperatorError::NotOwner(role.name));
    }
    Ok(pool)
}

/// Opens the runtime pool (`TRUESTOCK_DATABASE_URL`, role `ts_app`): account commands need no more.
pub async fn app_pool(settings: &Settings, max_connections: u32) -> Result<DatabaseConnection, OperatorError> {
    db::connect(&settings.database_url, max_connections)
        .await
        .map_err(OperatorError::AppConnect)
}

/// `migrate`: the control schema, then every tenant (at most `parallel` at once).
pub async fn migrate_all(owner: &DatabaseConnection, parallel: usize) -> Result<MigrationReport, OperatorError> {
    bootstrap::migrate_control(owner).await?;
    Ok(migrate::migrate_all_tenants(owner, parallel).await?)
}

pub async fn create_tenant(owner: &DatabaseConnection, slug: &str, name: &str) -> Result<TenantId, OperatorError> {
    let slug = TenantSlug::parse(slug)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(OperatorError::BadTenantName);
    }
    let tenant = tenancy::create_tenant(owner, &slug, name).await?;
    control::record_platform_event(
        owner,
        "operator",
        "tenant.created",
        Some(tenant),
        None,
        serde_json::json!({ "slug": slug.as_str() }),
    )
    .await?;
    Ok(tenant)
}

/// What `user add` did.
#[derive(Debug)]
pub struct AddedUser {
    pub account_id: Uuid,
    /// Set when a new account got a generated password, to be shown once.
    pub generated_password: Option<SecretString>,
    pub created_account: bool,
}

/// `user add`: creates the account if the email is new (with `password`, or a generated one), and
/// adds the roles to its membership of `tenant_slug`, all in one transaction. An existing account's
/// password is never touched.
pub async fn add_user(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    email: &str,
    display_name: Option<&str>,
    tenant_slug: &str,
    roles: &str,
    password: Option<SecretString>,
) -> Result<AddedUser, OperatorError> {
    let email = EmailAddress::parse(email)?;
    let roles = RoleSet::parse(roles.split(','))?;
    let slug = TenantSlug::parse(tenant_slug)?;
    if let Some(p) = &password {
        check_new_password(secrecy::ExposeSecret::expose_secret(p)).map_err(OperatorError::WeakPassword)?;
    }
    let txn = db.begin().await?;
    let tenant = control::find_tenant_by_slug(&txn, &slug)
        .await?
        .ok_or_else(|| OperatorError::UnknownTenant(slug.to_string()))?;
    let (account_id, generated_password, created_account) = match control::find_account_by_email(&txn, &email).await? {
        Some(account) => (account.id, None, false),
        None => {
            let generated = password.is_none().then(generate_password);
            let chosen = password.or_else(|| generated.clone()).unwrap_or_else(generate_password);
            let hash = hasher.hash(&chosen).await?;
            let name = display_name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or(email.as_str()));
            let id = control::create_account(&txn, &email, name, &hash).await?;
            (id, generated, true)
        }
    };
    control::upsert_membership(&txn, tenant.tenant_id(), account_id, &roles).await?;
    control::record_platform_event(
        &txn,
        "operator",
        "membership.added",
        Some(tenant.tenant_id()),
        Some(account_id),
        serde_json::json!({ "roles": roles.names(), "created_account": created_account }),
    )
    .await?;
    txn.commit().await?;
    Ok(AddedUser {
        account_id,
        generated_password,
        created_account,
    })
}

/// `user disable`: the account can no longer sign in and its sessions end at once.
pub async fn disable_user(owner: &DatabaseConnection, email: &str) -> Result<Uuid, OperatorError> {
    let email = EmailAddress::parse(email)?;
    let account_id = control::disable_account(owner, &email).await?;
    control::record_platform_event(
        owner,
        "operator",
        "account.disabled",
        None,
        Some(account_id),
        serde_json::json!({}),
    )
    .await?;
    Ok(account_id)
}

/// `worker`: job workers only, until `shutdown` resolves.
pub async fn run_worker(
    settings: &Settings,
    config: crate::jobs::worker::WorkerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), OperatorError> {
    let db = app_pool(settings, config.pool_size()).await?;
    let sync = std::sync::Arc::new(crate::sync::pull::SyncDeps {
        ring: settings.key_ring()?,
        reach: settings.odoo_reach(),
    });
    let mailer = std::sync::Arc::new(settings.mailer(&settings.public_url(settings.bind))?);
    crate::jobs::worker::Worker::new(db, crate::jobs::Registry::production(sync, mailer), config)
        .run(shutdown)
        .await;
    Ok(())
}

/// `jobs list`: the newest jobs first, of one tenant when a slug is given.
pub async fn list_jobs(
    db: &DatabaseConnection,
    tenant: Option<&str>,
    state: Option<String>,
    limit: u64,
) -> Result<Vec<crate::jobs::JobRow>, OperatorError> {
    let tenant_id = match tenant {
        Some(slug) => {
            let parsed = TenantSlug::parse(slug)?;
            let row = control::find_tenant_by_slug(db, &parsed)
                .await?
                .ok_or_else(|| OperatorError::UnknownTenant(slug.to_string()))?;
            Some(row.id)
        }
        None => None,
    };
    let filter = crate::jobs::Filter {
        tenant_id,
        state,
        limit,
    };
    Ok(crate::jobs::list(db, &filter).await?)
}

/// Reads a secret from a file (`-`: standard input), trimmed; the text is never echoed.
pub fn read_secret_file(path: &std::path::Path) -> Result<SecretString, OperatorError> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| OperatorError::SecretFile {
            path: path.to_path_buf(),
            source: e,
        })?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| OperatorError::SecretFile {
            path: path.to_path_buf(),
            source: e,
        })?
    };
    Ok(SecretString::from(text.trim().to_string()))
}

/// `tenant connect`: saves the connection, then tests it (recorded in the tenant's audit log as the
/// operator's doing).
pub async fn connect_tenant(
    settings: &Settings,
    slug: &str,
    input: &crate::sync::connection::ConnectionSettings,
    confirm_reset: bool,
    sync: SyncChange,
) -> Result<
    (
        crate::sync::connection::Saved,
        crate::sync::connection::TestOutcome,
        crate::sync::connection::SyncSettings,
    ),
    OperatorError,
> {
    use crate::sync::connection;
    let db = app_pool(settings, 2).await?;
    let parsed = TenantSlug::parse(slug)?;
    let tenant = control::find_tenant_by_slug(&db, &parsed)
        .await?
        .ok_or_else(|| OperatorError::UnknownTenant(slug.to_string()))?
        .tenant_id();
    let ring = settings.key_ring()?;
    let reach = settings.odoo_reach();
    let actor = crate::db::audit::Actor {
        account_id: None,
        name: "platform operator".into(),
        email: "cli".into(),
    };
    let saved = connection::save(&db, &ring, tenant, input, reach, confirm_reset, &actor).await?;
    let held = control::find_odoo_connection(&db, tenant.as_uuid())
        .await?
        .map(|row| connection::SyncSettings::of(&row))
        .unwrap_or_default();
    let wanted = connection::SyncSettings::new(
        sync.pull_every_minutes.unwrap_or(held.pull_every_minutes),
        sync.horizon_months.unwrap_or(held.horizon_months),
    )?;
    if wanted != held {
        connection::save_sync_settings(&db, tenant, wanted, &actor).await?;
    }
    let today = chrono::Utc::now().date_naive();
    let outcome = connection::test(&db, &ring, tenant, reach, &actor, today).await?;
    Ok((saved, outcome, wanted))
}

/// Sync settings given to `tenant connect`; `None` keeps what is set.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncChange {
    pub pull_every_minutes: Option<u32>,
    pub horizon_months: Option<u32>,
}

/// What `truestock sync` did.
#[derive(Debug)]
pub enum SyncOutcome {
    /// Queued for the workers.
    Queued { job: i64 },
    /// An equivalent pull is queued or running already.
    AlreadyQueued,
    /// Run here (`--wait`): how it ended, and the run's per-model report.
    Ran {
        attempt: crate::jobs::worker::Attempt,
        run: Option<crate::db::entities::sync_run::Model>,
    },
}

/// `sync <slug> [--full] [--wait]`: enqueues the tenant's pull; with `wait`, runs it here through the
/// same job code (no worker needed).
pub async fn sync_tenant(
    settings: &Settings,
    slug: &str,
    full: bool,
    wait: bool,
) -> Result<SyncOutcome, OperatorError> {
    // The pull's lanes, the job's heartbeat and the progress bar.
    let db = app_pool(settings, crate::sync::pull::LANES + 2).await?;
    let parsed = TenantSlug::parse(slug)?;
    let tenant = control::find_tenant_by_slug(&db, &parsed)
        .await?
        .ok_or_else(|| OperatorError::UnknownTenant(slug.to_string()))?
        .tenant_id();
    let job = crate::sync::pull::job(tenant).payload(serde_json::json!({"full": full}));
    let Some(id) = crate::jobs::enqueue(&db, &job).await? else {
        return Ok(SyncOutcome::AlreadyQueued);
    };
    if !wait {
        return Ok(SyncOutcome::Queued { job: id });
    }
    let sync = std::sync::Arc::new(crate::sync::pull::SyncDeps {
        ring: settings.key_ring()?,
        reach: settings.odoo_reach(),
    });
    let estimate = match crate::sync::connection::open_client(&db, &sync.ring, tenant, sync.reach).await {
        Ok(Ok(client)) => crate::sync::progress::estimate(&client).await,
        // The pull itself reports what is wrong with the connection.
        _ => 0,
    };
    let mailer = std::sync::Arc::new(settings.mailer(&settings.public_url(settings.bind))?);
    let registry = crate::jobs::Registry::production(sync, mailer);
    let ran = crate::jobs::worker::run_now(&db, &registry, id);
    let label = format!("Pull of {slug}");
    let Some(attempt) = crate::sync::progress::follow(&db, tenant, &label, estimate, ran).await? else {
        return Ok(SyncOutcome::Queued { job: id });
    };
    if attempt == crate::jobs::worker::Attempt::Done {
        // The stock refresh the pull queued runs here too (through the queue, so never beside another
        // refresh or pull of the tenant), and the figures are current when the command returns. A
        // worker that claimed it first runs it instead.
        let queued = crate::jobs::Filter {
            tenant_id: Some(tenant.as_uuid()),
            state: Some("queued".into()),
            limit: 50,
        };
        let refresh = crate::jobs::list(&db, &queued)
            .await?
            .into_iter()
            .find(|job| job.kind == crate::sync::positions::KIND);
        if let Some(job) = refresh
            && let Some(ended) = crate::jobs::worker::run_now(&db, &registry, job.id).await?
            && ended != crate::jobs::worker::Attempt::Done
        {
            return Err(OperatorError::StockRefresh(job.id));
        }
    }
    let run = tenancy::with_tenant(&db, tenant, async |tx| crate::db::mirror::recent_runs(tx, 1).await)
        .await?
        .into_iter()
        .next();
    Ok(SyncOutcome::Ran { attempt, run })
}

/// `tenant webhook <slug>`: a new secret webhook URL (the previous one stops working).
pub async fn rotate_webhook(settings: &Settings, slug: &str) -> Result<String, OperatorError> {
    let db = app_pool(settings, 2).await?;
    let parsed = TenantSlug::parse(slug)?;
    let tenant = control::find_tenant_by_slug(&db, &parsed)
        .await?
        .ok_or_else(|| OperatorError::UnknownTenant(slug.to_string()))?
        .tenant_id();
    let token = crate::sync::webhook::rotate(&db, tenant)
        .await?
        .ok_or(OperatorError::NotConnected)?;
    let base = match &settings.base_url {
        Some(url) => url.as_str().trim_end_matches('/').to_string(),
        None => format!("http://{}", settings.bind),
    };
    Ok(format!("{base}{}", crate::sync::webhook::path(&token)))
}
