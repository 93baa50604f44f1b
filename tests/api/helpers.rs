//! The test harness: [`TestApp::spawn`] gives each test its own database and server;
//! [`TestClient`] is a small browser (explicit cookie jar, no redirects followed).

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use truestock::auth::password::PasswordHasher;
use truestock::config::{PasswordCost, Settings};
use truestock::db::tenancy::bootstrap;
use truestock::domain::tenant::TenantId;
use truestock::operator;
use truestock::startup::Application;

pub const SUPERUSER_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn superuser_url() -> String {
    std::env::var("TRUESTOCK_SUPERUSER_URL").unwrap_or_else(|_| SUPERUSER_DEFAULT.into())
}

fn url_for(user: &str, database: &str) -> String {
    let mut url = url::Url::parse(&superuser_url()).expect("TRUESTOCK_SUPERUSER_URL is a URL");
    url.set_username(user).expect("URL takes a user");
    url.set_password(None).expect("URL takes no password");
    url.set_path(database);
    url.to_string()
}

/// The settings of the app on `database` (also what a test's child process uses to reach it).
pub fn settings_for(database: &str, dev: bool) -> Settings {
    let app_url = url_for("ts_app", database);
    let owner_url = url_for("ts_owner", database);
    let mut settings = Settings::from_lookup(|name| match name {
        "TRUESTOCK_DATABASE_URL" => Some(app_url.clone()),
        "TRUESTOCK_OWNER_DATABASE_URL" => Some(owner_url.clone()),
        "TRUESTOCK_SUPERUSER_URL" => Some(superuser_url()),
        "TRUESTOCK_BIND" => Some("127.0.0.1:0".into()),
        "TRUESTOCK_METRICS_BIND" => Some("127.0.0.1:0".into()),
        "TRUESTOCK_HTTP_WORKERS" => Some("1".into()),
        "TRUESTOCK_JWT_SECRET" => Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
        "TRUESTOCK_MASTER_KEY" => Some("HxweHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=".into()),
        "TRUESTOCK_TRUSTED_PROXIES" => Some("127.0.0.1".into()),
        "TRUESTOCK_DEV" => Some(if dev { "1" } else { "0" }.into()),
        "TRUESTOCK_DATA_DIR" => Some(
            std::env::temp_dir()
                .join("truestock-test-dev")
                .to_string_lossy()
                .into_owned(),
        ),
        _ => None,
    })
    .expect("test settings are valid");
    settings.password_cost = PasswordCost::TEST;
    settings
}

/// The template's name changes whenever a migration file or the bootstrap code changes, so a stale
/// template is never used.
fn template_name() -> String {
    let mut hasher = Sha256::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("migration/src"), root.join("app/db/tenancy")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("migration/src is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path)
            } else {
                files.push(path)
            }
        }
    }
    files.sort();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).expect("migration file is readable"));
    }
    let digest = hasher.finalize();
    format!(
        "ts_tpl_{}",
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>()
    )
}

async fn superuser_pool() -> DatabaseConnection {
    truestock::db::connect(&SecretString::from(superuser_url()), 2)
        .await
        .expect("TRUESTOCK_SUPERUSER_URL connects")
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// Builds the migrated template database once per build of the migrations (under a lock, so
/// concurrent test processes agree).
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let su = superuser_pool().await;
            su.execute_unprepared("SELECT pg_advisory_lock(727274)").await.unwrap();
            let exists = bootstrap::database_exists(&su, &name).await.unwrap();
            if !exists {
                let wip = format!("{name}_wip");
                let settings = settings_for(&wip, false);
                bootstrap::drop_database(&settings.superuser_url, &wip).await.unwrap();
                operator::init_database(&settings)
                    .await
                    .expect("db init of the template");
                let owner = operator::owner_pool(&settings, 2).await.unwrap();
                operator::migrate_all(&owner, 2)
                    .await
                    .expect("migrations of the template");
                owner.close().await.unwrap();
                su.execute_unprepared(&format!("ALTER DATABASE \"{wip}\" RENAME TO \"{name}\""))
                    .await
                    .unwrap();
                let built = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                su.execute_unprepared(&format!("COMMENT ON DATABASE \"{name}\" IS 'built {built}'"))
                    .await
                    .unwrap();
                // Older templates (other migration contents) are of no further use, unless they are
                // recent: another checkout's tests may be using them right now.
                let stale = su
                    .query_all_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT datname FROM pg_database d
                          WHERE datname LIKE 'ts\\_tpl\\_%' AND datname <> $1
                            AND coalesce(substring(shobj_description(d.oid, 'pg_database') FROM 'built ([0-9]+)')::bigint, 0)
                                < $2 - 6 * 3600",
                        [name.clone().into(), (built as i64).into()],
                    ))
                    .await
                    .unwrap();
                for row in stale {
                    let old: String = row.try_get("", "datname").unwrap();
                    let _ = su
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"))
                        .await;
                }
            }
            su.execute_unprepared("SELECT pg_advisory_unlock(727274)")
                .await
                .unwrap();
            su.close().await.unwrap();
            name
        })
        .await
}

/// A user created for a test, with the password to sign in.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub email: String,
    pub password: String,
}

/// A running server on its own database.
pub struct TestApp {
    pub address: String,
    pub metrics_address: String,
    pub database: String,
    pub settings: Settings,
    /// The server's own role, `ts_app`.
    pub app_db: DatabaseConnection,
    /// `ts_owner`, as the operator CLI uses it.
    pub owner_db: DatabaseConnection,
    /// A superuser connection into the test database, to arrange and inspect what the app may not.
    pub superuser_db: DatabaseConnection,
    pub hasher: PasswordHasher,
    /// The dev mailbox's SMTP sink ([`TestApp::spawn_with_mailbox`]).
    pub mailbox: Option<std::sync::Arc<truestock::email::sink::SmtpSink>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(false).await
    }

    /// `dev`: dev-mode cookies (no `__Host-`, no `Secure`).
    pub async fn spawn_with(dev: bool) -> Self {
        Self::spawn_inner(dev, None).await
    }

    /// A dev-mode app with the demo's mailbox: an SMTP sink shown at `/dev/mail`.
    pub async fn spawn_with_mailbox() -> Self {
        let sink = truestock::email::sink::SmtpSink::start().await.unwrap();
        Self::spawn_inner(true, Some(std::sync::Arc::new(sink))).await
    }

    async fn spawn_inner(dev: bool, mailbox: Option<std::sync::Arc<truestock::email::sink::SmtpSink>>) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let template = template().await;
        let database = format!("ts_test_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let su = superuser_pool().await;
        bootstrap::clone_database(&su, template, &database)
            .await
            .expect("clone the template");
        su.close().await.unwrap();
        let settings = settings_for(&database, dev);
        let app = Application::build_with_mailbox(&settings, None, mailbox.clone())
            .await
            .expect("the app starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = format!("http://127.0.0.1:{}", app.metrics_port().expect("metrics bound"));
        tokio::spawn(app.run_until_stopped());
        let app_db = truestock::db::connect(&settings.database_url, 2).await.unwrap();
        let owner_db = operator::owner_pool(&settings, 2).await.unwrap();
        let superuser_db = truestock::db::connect(&SecretString::from(url_for("postgres", &database)), 2)
            .await
            .unwrap();
        Self {
            address,
            metrics_address,
            database,
            hasher: PasswordHasher::new(PasswordCost::TEST, 2).unwrap(),
            settings,
            app_db,
            owner_db,
            superuser_db,
            mailbox,
        }
    }

    pub fn client(&self) -> TestClient {
        TestClient::new(&self.address, self.settings.dev)
    }

    pub async fn create_tenant(&self, slug: &str, name: &str) -> TenantId {
        operator::create_tenant(&self.owner_db, slug, name)
            .await
            .expect("tenant created")
    }

    pub async fn add_user(&self, email: &str, tenant_slug: &str, roles: &str) -> TestUser {
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        operator::add_user(
            &self.owner_db,
            &self.hasher,
            email,
            None,
            tenant_slug,
            roles,
            Some(SecretString::from(password.clone())),
        )
        .await
        .expect("user added");
        TestUser {
            email: email.into(),
            password,
        }
    }

    /// A client signed in as `user`.
    pub async fn signed_in(&self, user: &TestUser) -> TestClient {
        let client = self.client();
        let res = client.sign_in(&user.email, &user.password).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {} failed", user.email);
        client
    }

    /// One number read as the superuser (`SELECT … AS n`).
    pub async fn su_number(&self, sql: &str) -> i64 {
        let row = self
            .superuser_db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: no row"));
        row.try_get::<i64>("", "n").unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs SQL as the superuser in the test database.
    pub async fn su_exec(&self, sql: &str) {
        self.superuser_db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The `truestock` command on this test's database, with this test's master key (so it opens the
    /// keys the test sealed) and private Odoo addresses allowed (the simulator's). Run it from a
    /// multi-threaded test runtime, so that a simulator keeps answering while this thread waits.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_truestock"));
        command
            .args(args)
            .env("TRUESTOCK_DATABASE_URL", self.settings.database_url.expose_secret())
            .env(
                "TRUESTOCK_OWNER_DATABASE_URL",
                self.settings.owner_database_url.expose_secret(),
            )
            .env("TRUESTOCK_MASTER_KEY", "HxweHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=")
            .env("TRUESTOCK_JWT_SECRET", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .env("TRUESTOCK_ODOO_ALLOW_PRIVATE", "1")
            .env("RUST_LOG", "warn");
        command
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let database = self.database.clone();
        let superuser = self.settings.superuser_url.expose_secret().to_string();
        // Drop runs outside async; a helper thread with its own runtime does the async cleanup.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                if let Err(e) = bootstrap::drop_database(&SecretString::from(superuser), &database).await {
                    eprintln!("could not drop test database {database}: {e}");
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A minimal browser: keeps cookies itself (so `Secure` cookies work over plain HTTP in tests and
/// their attributes can be inspected) and never follows redirects.
pub struct TestClient {
    pub base: String,
    http: reqwest::Client,
    jar: Mutex<BTreeMap<String, String>>,
    session_cookie: &'static str,
    pre_session_cookie: &'static str,
}

impl TestClient {
    pub fn new(base: &str, dev: bool) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let policy = truestock::web::CookiePolicy::new(dev);
        Self {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: Mutex::new(BTreeMap::new()),
            session_cookie: policy.session,
            pre_session_cookie: policy.pre_session,
        }
    }

    fn cookie_header(&self) -> String {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&self, headers: &HeaderMap) {
        let mut jar = self.jar.lock().unwrap();
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") || value.is_empty() {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_string(), value.trim().to_string());
            }
        }
    }

    pub fn session_token(&self) -> Option<String> {
        self.jar.lock().unwrap().get(self.session_cookie).cloned()
    }

    pub fn set_session_token(&self, token: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(self.session_cookie.to_string(), token.to_string());
    }

    pub fn has_pre_session(&self) -> bool {
        self.jar.lock().unwrap().contains_key(self.pre_session_cookie)
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut builder = self.http.request(method, format!("{}{path}", self.base));
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            builder = builder.header(reqwest::header::COOKIE, cookies);
        }
        builder
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Response {
        let res = builder.send().await.expect("request sent");
        self.absorb(res.headers());
        res
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        (res.status(), res.text().await.unwrap())
    }

    /// POSTs a urlencoded form as a browser would (same-origin fetch metadata), `csrf_token` included.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)], csrf_token: &str) -> Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", csrf_token));
        let body = serde_html_form::to_string(&all).unwrap();
        self.send(
            self.request(reqwest::Method::POST, path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Sec-Fetch-Site", "same-origin")
                .body(body),
        )
        .await
    }

    /// The CSRF token of the page at `path` (from its first `csrf_token` field).
    pub async fn csrf_token(&self, path: &str) -> String {
        let (_, html) = self.get_html(path).await;
        csrf_from(&html).unwrap_or_else(|| panic!("no csrf token on {path}"))
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        let token = self.csrf_token("/login").await;
        self.post_form("/login", &[("email", email), ("password", password)], &token)
            .await
    }
}

pub fn csrf_from(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&selector)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_string)
}

/// The text of the elements matching `css` in `html`.
pub fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The API key of every simulated Odoo the tests connect to.
pub const SIM_KEY: &str = "sim-key-0123456789";

/// A simulated Odoo of `version` with `dataset`, over HTTP on a free port.
pub async fn start_simulator(
    version: u8,
    dataset: truestock::odoo::sim::Dataset,
) -> truestock::odoo::sim::RunningSimulator {
    use truestock::odoo::sim::{RunningSimulator, SimConfig, Simulator};
    let mut config = SimConfig::new(version, dataset);
    config.api_key = SIM_KEY.into();
    let simulator = tokio::task::spawn_blocking(move || Simulator::new(config))
        .await
        .unwrap();
    RunningSimulator::start(simulator, std::net::SocketAddr::from(([127, 0, 0, 1], 0))).unwrap()
}

/// The production job handlers, reaching any Odoo address; emails stay in the outbox.
pub fn production_registry(app: &TestApp) -> truestock::jobs::Registry {
    registry_with_mailer(app, mailer(app, None))
}

/// The production job handlers, with emails delivered by `mailer`.
pub fn registry_with_mailer(
    app: &TestApp,
    mailer: std::sync::Arc<truestock::email::Mailer>,
) -> truestock::jobs::Registry {
    let sync = std::sync::Arc::new(truestock::sync::pull::SyncDeps {
        ring: app.settings.key_ring().unwrap(),
        reach: truestock::odoo::Reach::Anywhere,
    });
    truestock::jobs::Registry::production(sync, mailer)
}

/// A mailer like the app's (links into the app under test), sending to `smtp_url` with a 2-second
/// timeout; without a URL, emails stay in the outbox.
pub fn mailer(app: &TestApp, smtp_url: Option<&str>) -> std::sync::Arc<truestock::email::Mailer> {
    use truestock::email::{Mailer, Transport};
    let transport = smtp_url.map(|url| Transport::with_timeout(url, std::time::Duration::from_secs(2)).unwrap());
    let from = "TrueStock <truestock@localhost>".parse().unwrap();
    let signer = truestock::auth::signed_link::LinkSigner::derive(app.settings.jwt_secret().unwrap());
    std::sync::Arc::new(Mailer::new(
        from,
        url::Url::parse(&app.address).unwrap(),
        signer,
        transport,
    ))
}

/// Connects `tenant` to `sim` (as an operator would, audited as "test").
pub async fn connect_to(app: &TestApp, tenant: TenantId, sim: &truestock::odoo::sim::RunningSimulator) {
    use truestock::sync::connection::{self, ConnectionSettings};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let settings = ConnectionSettings {
        url: sim.url.clone(),
        database: sim.simulator.config.database.clone(),
        login: sim.simulator.config.login.clone(),
        api_key: Some(SecretString::from(SIM_KEY.to_string())),
        key_expires_on: None,
    };
    let actor = truestock::db::audit::Actor {
        account_id: None,
        name: "test".into(),
        email: "test@test".into(),
    };
    let ring = app.settings.key_ring().unwrap();
    connection::save(
        &app.app_db,
        &ring,
        tenant,
        &settings,
        truestock::odoo::Reach::Anywhere,
        false,
        &actor,
    )
    .await
    .unwrap();
}

/// A pull of `tenant`, then the stock refresh it queues, both through the queue.
pub async fn pull_and_refresh(app: &TestApp, tenant: TenantId, registry: &truestock::jobs::Registry) {
    use truestock::jobs::{self, NewJob, Queue};
    let job = NewJob::new(Queue::Pull, truestock::sync::pull::KIND)
        .for_tenant(tenant)
        .unique("pull");
    jobs::enqueue(&app.app_db, &job).await.unwrap().expect("queued");
    let report = truestock::jobs::worker::drain(&app.app_db, registry, &[Queue::Pull])
        .await
        .unwrap();
    if (report.done, report.discarded, report.retrying) != (2, 0, 0) {
        let filter = truestock::db::jobs::Filter {
            tenant_id: Some(tenant.as_uuid()),
            ..Default::default()
        };
        let jobs = jobs::list(&app.app_db, &filter).await.unwrap();
        panic!("the pull and the refresh: {report:?}: {jobs:#?}");
    }
}

/// A test app whose tenant `acme` is connected to a simulated Odoo of `version` (retail-S), pulled
/// once and its stock positions refreshed.
pub async fn synced_tenant(
    version: u8,
) -> (
    TestApp,
    truestock::jobs::Registry,
    TenantId,
    truestock::odoo::sim::RunningSimulator,
) {
    let app = TestApp::spawn().await;
    let registry = production_registry(&app);
    let tenant = app.create_tenant("acme", "Acme").await;
    let sim = start_simulator(version, truestock::odoo::sim::Dataset::RetailS).await;
    connect_to(&app, tenant, &sim).await;
    pull_and_refresh(&app, tenant, &registry).await;
    (app, registry, tenant, sim)
}
