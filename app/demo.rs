//! `truestock demo`: one command for a newcomer. Initialises its own database (`truestock_demo`),
//! migrates, creates the demo tenant with one user per role, starts a simulated Odoo 17 with retail-M
//! in live mode in this process, connects the demo tenant to it, serves in dev mode with job workers,
//! shows the first full sync's progress, and keeps syncing. Idempotent; `--reset` starts over.

use secrecy::ExposeSecret as _;

use crate::auth::password::{PasswordHasher, generate_password};
use crate::config::{ConfigError, Settings};
use crate::db::audit::Actor;
use crate::db::control;
use crate::db::mirror;
use crate::db::tenancy::bootstrap;
use crate::db::tenancy::with_tenant;
use crate::domain::account::{EmailAddress, Role};
use crate::domain::tenant::TenantId;
use crate::domain::tenant::TenantSlug;
use crate::jobs::worker::WorkerConfig;
use crate::odoo::Reach;
use crate::odoo::sim::{Dataset, RunningSimulator, SimConfig, Simulator, live};
use crate::operator::{self, OperatorError};
use crate::startup::{Application, StartupError};
use crate::sync::connection::{self, ConnectionSettings};
use std::net::SocketAddr;

pub const DEMO_DATABASE: &str = "truestock_demo";
pub const DEMO_TENANT: &str = "demo";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Operator(#[from] OperatorError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("the server stopped: {0}")]
    Serve(#[from] std::io::Error),
    #[error("the demo's Odoo connection: {0}")]
    Connection(#[from] crate::sync::connection::ConnectionError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// The demo's settings: dev mode, for the demo database on the superuser URL's server.
pub fn demo_settings() -> Result<Settings, DemoError> {
    let data_dir = Settings::from_env()?.data_dir;
    // The demo's roles get a password of their own (kept in the data directory), so the demo also works
    // on servers that ask for passwords on TCP; `db init` sets it from the role URLs.
    let password = {
        use base64::Engine as _;
        let key = crate::config::dev_secret(&data_dir, "demo-db.key", "the demo's database password")?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.expose())
    };
    Ok(Settings::for_own_database(
        DEMO_DATABASE,
        Some(&password),
        &[("TRUESTOCK_DEV", "1")],
    )?)
}

/// One login printed by the demo.
pub struct DemoLogin {
    pub role: Role,
    pub email: String,
    pub password: String,
}

/// Prepares the demo database and tenant; returns the logins (passwords are new on every run).
pub async fn prepare(settings: &Settings, reset: bool) -> Result<Vec<DemoLogin>, DemoError> {
    if reset {
        bootstrap::drop_database(&settings.superuser_url, DEMO_DATABASE)
            .await
            .map_err(OperatorError::from)?;
        tracing::info!("demo: dropped the demo database (--reset)");
    }
    operator::init_database(settings).await?;
    let owner = operator::owner_pool(settings, 4).await?;
    let report = operator::migrate_all(&owner, 4).await?;
    if let Some((slug, error)) = report.failed.first() {
        return Err(OperatorError::Db(sea_orm::DbErr::Custom(format!(
            "tenant {slug} failed to migrate: {error}"
        )))
        .into());
    }
    let slug = TenantSlug::parse(DEMO_TENANT).map_err(OperatorError::from)?;
    if control::find_tenant_by_slug(&owner, &slug)
        .await
        .map_err(OperatorError::from)?
        .is_none()
    {
        operator::create_tenant(&owner, DEMO_TENANT, "Demo Retail").await?;
    }
    let hasher = PasswordHasher::new(settings.password_cost, 2).map_err(OperatorError::from)?;
    let mut logins = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@demo.truestock.test", role.as_str());
        let password = generate_password();
        let parsed = EmailAddress::parse(&email).map_err(OperatorError::from)?;
        if let Some(account) = control::find_account_by_email(&owner, &parsed)
            .await
            .map_err(OperatorError::from)?
        {
            let hash = hasher.hash(&password).await.map_err(OperatorError::from)?;
            control::set_password_hash(&owner, account.id, &hash, true, None)
                .await
                .map_err(OperatorError::from)?;
        }
        let name = format!("Demo {}", role.label());
        operator::add_user(
            &owner,
            &hasher,
            &email,
            Some(&name),
            DEMO_TENANT,
            role.as_str(),
            Some(password.clone()),
        )
        .await?;
        logins.push(DemoLogin {
            role,
            email,
            password: password.expose_secret().to_string(),
        });
    }
    owner.close().await.map_err(OperatorError::from)?;
    Ok(logins)
}

/// Starts the demo's simulated Odoo (retail-M, cached in the data directory) in live mode and connects
/// the demo tenant to it; returns the running simulator and the tenant.
async fn start_odoo(settings: &Settings) -> Result<(RunningSimulator, TenantId), DemoError> {
    let cache = settings.data_dir.join("odoo-sim");
    println!("Starting a simulated Odoo 17 with the retail-M dataset (generated once, then cached)…");
    let simulator =
        tokio::task::spawn_blocking(move || Simulator::cached(SimConfig::new(17, Dataset::RetailM), &cache))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    let running = RunningSimulator::start(simulator, SocketAddr::from(([127, 0, 0, 1], 0)))?;
    live::spawn(running.simulator.clone(), std::time::Duration::from_secs(2), 1);
    let db = operator::app_pool(settings, 2).await?;
    let slug = TenantSlug::parse(DEMO_TENANT).map_err(OperatorError::from)?;
    let tenant = control::find_tenant_by_slug(&db, &slug)
        .await
        .map_err(OperatorError::from)?
        .ok_or_else(|| OperatorError::UnknownTenant(DEMO_TENANT.into()))?
        .tenant_id();
    let config = &running.simulator.config;
    let input = ConnectionSettings {
        url: running.url.clone(),
        database: config.database.clone(),
        login: config.login.clone(),
        api_key: Some(secrecy::SecretString::from(config.api_key.clone())),
        key_expires_on: None,
    };
    let actor = Actor {
        account_id: None,
        name: "truestock demo".into(),
        email: "demo".into(),
    };
    let ring = settings.key_ring()?;
    // Each run serves the dataset afresh on a new port: the demo confirms the switch (and so the reset
    // of the mirror, whose rows came from the previous run's simulator) itself.
    connection::save(&db, &ring, tenant, &input, Reach::Anywhere, true, &actor).await?;
    connection::test(
        &db,
        &ring,
        tenant,
        Reach::Anywhere,
        &actor,
        chrono::Utc::now().date_naive(),
    )
    .await?;
    seed_alert_rules(&db, tenant).await?;
    Ok((running, tenant))
}

/// Gives a new demo tenant two alert rules, so that its mailbox (`/dev/mail`) shows alerts after the
/// first sync: negative stock anywhere (to managers) and a refused Odoo key (to admins).
async fn seed_alert_rules(db: &sea_orm::DatabaseConnection, tenant: TenantId) -> Result<(), DemoError> {
    use crate::db::alert_rules::{self, NewRule};
    use crate::domain::alert::RuleKind;
    let rule = |name: &str, kind: RuleKind, role: Role| NewRule {
        name: name.into(),
        kind: kind.as_str(),
        product_ids: None,
        category_id: None,
        group_id: None,
        roles: vec![role.as_str().into()],
        created_by_name: "truestock demo".into(),
        accounts: vec![],
        externals: vec![],
    };
    with_tenant(db, tenant, async |tx| {
        if alert_rules::list(tx).await?.is_empty() {
            alert_rules::create(tx, &rule("Negative stock", RuleKind::NegativeStock, Role::Manager)).await?;
            alert_rules::create(tx, &rule("Odoo key refused", RuleKind::CredentialInvalid, Role::Admin)).await?;
        }
        Ok::<_, sea_orm::DbErr>(())
    })
    .await?;
    Ok(())
}

/// Shows the progress of this run's first sync until it finished, with the bar `truestock sync --wait`
/// shows. Every run's simulated Odoo is another database to TrueStock (a new port, its data generated
/// anew), so the confirmed switch has emptied the mirror and the sync is a full first sync.
async fn show_first_sync(settings: &Settings, tenant: TenantId) -> Result<(), DemoError> {
    let db = operator::app_pool(settings, 2).await?;
    let ring = settings.key_ring()?;
    let estimate = match connection::open_client(&db, &ring, tenant, Reach::Anywhere).await? {
        Ok(client) => crate::sync::progress::estimate(&client).await,
        Err(_) => 0,
    };
    let started = std::time::Instant::now();
    let before = with_tenant(&db, tenant, async |tx| mirror::recent_runs(tx, 1).await)
        .await?
        .first()
        .map_or(0, |r| r.id);
    let finished = async {
        loop {
            let runs = with_tenant(&db, tenant, async |tx| mirror::recent_runs(tx, 1).await).await?;
            if runs.first().is_some_and(|r| r.id > before && r.finished_at.is_some()) {
                return Ok::<_, sea_orm::DbErr>(());
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    };
    crate::sync::progress::follow(&db, tenant, "First sync", estimate, finished).await?;
    eprintln!(
        "First sync: done in {:.0} s; the demo keeps syncing every 5 minutes.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `truestock demo [--reset]`
pub async fn run(reset: bool) -> Result<(), DemoError> {
    let mut settings = demo_settings()?;
    let logins = prepare(&settings, reset).await?;
    let (odoo, tenant) = start_odoo(&settings).await?;
    // The demo's mail goes to an in-process SMTP sink, read at /dev/mail.
    let mailbox = std::sync::Arc::new(crate::email::sink::SmtpSink::start().await?);
    settings.smtp_url = Some(mailbox.url().into());
    let workers = Some(WorkerConfig::new(&WorkerConfig::process_name()));
    let app = Application::build_with_mailbox(&settings, workers, Some(mailbox)).await?;
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());
    show_first_sync(&settings, tenant).await?;
    let config = &odoo.simulator.config;
    println!();
    println!("The simulated Odoo (live: sales, receipts, returns, scraps, counts keep happening):");
    println!("url: {}", odoo.url);
    println!("database: {}", config.database);
    println!("login: {}", config.login);
    println!("api key: {}", config.api_key);
    println!();
    println!(
        "TrueStock demo is running at http://{}:{port}/ (dev mode; Ctrl-C stops it)",
        settings.bind.ip(),
    );
    println!(
        "The demo's emails (invites, resets, alerts) arrive at http://{}:{port}/dev/mail",
        settings.bind.ip()
    );
    println!("Sign in with any of these (passwords are new on every run):");
    for login in &logins {
        println!(
            "  {:<13} {:<32} password: {}",
            role_title(login.role),
            login.email,
            login.password
        );
    }
    println!();
    server.await.map_err(|e| std::io::Error::other(e.to_string()))??;
    Ok(())
}

fn role_title(role: Role) -> &'static str {
    role.label()
}
