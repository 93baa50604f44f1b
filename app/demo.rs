//! `truestock demo`: one command for a newcomer. Initialises its own database (`truestock_demo`),
//! migrates, creates the demo tenant with one user per role, prints the URL and logins, and serves in
//! dev mode. Idempotent; `--reset` starts over. Later issues add the simulated Odoo and its first sync.

use secrecy::ExposeSecret as _;

use crate::auth::password::{PasswordHasher, generate_password};
use crate::config::{ConfigError, Settings};
use crate::db::control;
use crate::db::tenancy::bootstrap;
use crate::domain::account::{EmailAddress, Role};
use crate::domain::tenant::TenantSlug;
use crate::jobs::worker::WorkerConfig;
use crate::operator::{self, OperatorError};
use crate::startup::{Application, StartupError};

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

/// `truestock demo [--reset]`
pub async fn run(reset: bool) -> Result<(), DemoError> {
    let settings = demo_settings()?;
    let logins = prepare(&settings, reset).await?;
    let app = Application::build(&settings, Some(WorkerConfig::new(&WorkerConfig::process_name()))).await?;
    println!();
    println!(
        "TrueStock demo is running at http://{}:{}/ (dev mode; Ctrl-C stops it)",
        settings.bind.ip(),
        app.port()
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
    app.run_until_stopped().await?;
    Ok(())
}

fn role_title(role: Role) -> &'static str {
    role.label()
}
