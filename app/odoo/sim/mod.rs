//! A simulated Odoo (16–19) that behaves like one over the wire (ODOO-API §8): `truestock odoo-sim`,
//! the demo, the tests and the benchmarks talk to it exactly as to a real Odoo.
//!
//! It serves JSON-RPC (`/jsonrpc`: `common`, `object`, `db.list`), XML-RPC (`/xmlrpc/2/*` with integer
//! faults, legacy `/xmlrpc/*` with string faults), `/web/webclient/version_info`,
//! `/web/session/authenticate` and, in 19 mode, `GET /web/version` and JSON-2, over an in-memory ORM
//! with per-version field sets and method signatures (bound as Python binds them), the domain language,
//! `active_test`, microsecond write dates returned to
//! the second, API keys (revocable, expiring), Odoo's login cooldown, and the stock behaviour write-back
//! needs (inventory mode and its `stock.inventory.conflict` answer, scraps, quants kept apart by lot,
//! package and owner), company-dependent costs, purchasing and picking models, access groups with their
//! external identifiers and `check_access_rights` / `has_access` per version, `/doc-bearer`, live mode
//! ([`live`]), fault injection ([`faults`]) and a disk cache of generated datasets, as a major or an Odoo
//! Online `saas~X.Y` build.

pub mod activity;
pub mod dataset;
pub mod faults;
mod http;
pub mod live;
pub mod orm;
pub mod products;
pub mod schema;
pub mod stock;
pub mod store;
pub mod xmlrpc;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{Duration, NaiveDateTime};
use serde_json::{Value, json};

pub use dataset::Dataset;
use store::{SimError, SimResult, Store};

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The major version whose fields and behaviour are served.
    pub version: u8,
    /// An Odoo Online build between majors (`saas~17.4` → `Some(4)` with version 17).
    pub saas_minor: Option<u8>,
    pub dataset: Dataset,
    pub seed: u64,
    pub database: String,
    pub login: String,
    pub api_key: String,
}

impl SimConfig {
    pub fn new(version: u8, dataset: Dataset) -> Self {
        Self {
            version,
            saas_minor: None,
            dataset,
            seed: 1,
            database: "north-retail".into(),
            login: "truestock-bot@north-retail.example".into(),
            api_key: secrecy::ExposeSecret::expose_secret(&crate::auth::password::generate_password()).to_string(),
        }
    }
}

#[derive(Debug, Clone)]
struct ApiKey {
    key: String,
    expires_at: Option<NaiveDateTime>,
    revoked: bool,
}

/// Odoo's login cooldown: after 10 failures within 60 s, refuse logins for 60 s.
#[derive(Debug, Default)]
struct Cooldown {
    failures: Vec<NaiveDateTime>,
}

const COOLDOWN_AFTER: usize = 10;
const COOLDOWN_SECS: i64 = 60;

/// A running simulated Odoo's state.
pub struct Simulator {
    pub config: SimConfig,
    /// Faults to inject (tests queue them; CLI flags set rates).
    pub faults: faults::Faults,
    /// Live mode's memory between ticks (shared by `--live` and the control API's `live_ticks`).
    pub live: Mutex<live::LiveState>,
    store: RwLock<Store>,
    keys: Mutex<Vec<ApiKey>>,
    cooldown: Mutex<Cooldown>,
}

impl Simulator {
    /// Builds the simulator and generates its dataset.
    pub fn new(config: SimConfig) -> Self {
        let mut store = Store::new(schema::Schema::for_version(config.version));
        dataset::generate(&mut store, config.dataset, config.seed, store::now(), &config.login);
        Self::from_store(config, store)
    }

    /// Like [`Simulator::new`], but reuses a dataset generated earlier and cached in `cache_dir` (dates
    /// moved forward so the data stays dated relative to now). A missing or unreadable cache is
    /// regenerated and written.
    pub fn cached(config: SimConfig, cache_dir: &std::path::Path) -> Self {
        let schema = || schema::Schema::for_version(config.version);
        let file = cache_dir.join(format!(
            "{}-odoo{}-seed{}-format{}-schema{:016x}.bin",
            config.dataset.name(),
            config.version,
            config.seed,
            dataset::FORMAT,
            schema().fingerprint()
        ));
        if let Ok(bytes) = std::fs::read(&file)
            && bytes.len() > 26
        {
            let generated_at = std::str::from_utf8(&bytes[..26]).ok().and_then(store::parse_datetime);
            if let Some(generated_at) = generated_at {
                let mut reader = &bytes[26..];
                match Store::load(schema(), &mut reader, generated_at, store::now()) {
                    Ok(mut store) => {
                        // The bot's login is part of the configuration, not of the data.
                        let mut login = serde_json::Map::new();
                        login.insert("login".into(), json!(config.login));
                        let _ = store.write_at("res.users", &[dataset::BOT_UID], &login, 1, store::now());
                        return Self::from_store(config, store);
                    }
                    Err(e) => {
                        tracing::warn!(cache = %file.display(), error = %e, "dataset cache unreadable; regenerating")
                    }
                }
            }
        }
        let started = store::now();
        let mut store = Store::new(schema());
        dataset::generate(&mut store, config.dataset, config.seed, started, &config.login);
        let mut bytes = started.format("%Y-%m-%d %H:%M:%S%.6f").to_string().into_bytes();
        if bytes.len() == 26 && store.save(&mut bytes).is_ok() {
            let written = std::fs::create_dir_all(cache_dir).and_then(|_| {
                // One partial file per process, so two simulators starting together cannot interleave.
                let partial = file.with_extension(format!("partial.{}", std::process::id()));
                std::fs::write(&partial, &bytes).and_then(|_| std::fs::rename(&partial, &file))
            });
            if let Err(e) = written {
                tracing::warn!(cache = %file.display(), error = %e, "could not cache the dataset");
            }
        }
        Self::from_store(config, store)
    }

    fn from_store(config: SimConfig, store: Store) -> Self {
        let keys = vec![ApiKey {
            key: config.api_key.clone(),
            expires_at: None,
            revoked: false,
        }];
        Self {
            config,
            faults: faults::Faults::default(),
            live: Mutex::new(live::LiveState::default()),
            store: RwLock::new(store),
            keys: Mutex::new(keys),
            cooldown: Mutex::new(Cooldown::default()),
        }
    }

    pub fn version(&self) -> u8 {
        self.config.version
    }

    /// Runs `f` with read access to the records (tests inspect the simulated Odoo with it).
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.store.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `f` with write access to the records.
    pub fn with_store_mut<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.store.write().unwrap_or_else(|p| p.into_inner()))
    }

    /// Revokes an API key (the next call with it is refused).
    pub fn revoke_key(&self, key: &str) {
        for k in self
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter_mut()
            .filter(|k| k.key == key)
        {
            k.revoked = true;
        }
    }

    /// Adds an API key that expires in `days` (Odoo 19 keys last at most three months).
    pub fn add_key(&self, key: &str, expires_in_days: Option<i64>) {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).push(ApiKey {
            key: key.to_string(),
            expires_at: expires_in_days.map(|d| store::now() + Duration::days(d)),
            revoked: false,
        });
    }

    pub(crate) fn key_is_valid(&self, secret: &str) -> bool {
        let now = store::now();
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|k| k.key == secret && !k.revoked && k.expires_at.is_none_or(|at| at > now))
    }

    /// `common.login` / `authenticate`: the uid, or `None` for bad credentials (and during cooldown).
    fn login(&self, database: &str, login: &str, secret: &str) -> Option<i64> {
        let now = store::now();
        let mut cooldown = self.cooldown.lock().unwrap_or_else(|p| p.into_inner());
        cooldown
            .failures
            .retain(|t| *t > now - Duration::seconds(COOLDOWN_SECS));
        if cooldown.failures.len() >= COOLDOWN_AFTER {
            return None;
        }
        if database == self.config.database && login == self.config.login && self.key_is_valid(secret) {
            Some(dataset::BOT_UID)
        } else {
            cooldown.failures.push(now);
            None
        }
    }

    /// Checks `execute_kw` credentials: `AccessDenied` unless they are the bot's and valid.
    fn check(&self, database: &str, uid: i64, secret: &str) -> SimResult<i64> {
        if database == self.config.database && uid == dataset::BOT_UID && self.key_is_valid(secret) {
            Ok(uid)
        } else {
            Err(SimError::access_denied())
        }
    }

    /// The version as Odoo writes it: `17.0`, or `saas~17.4` for an Odoo Online build.
    pub fn version_text(&self) -> String {
        match self.config.saas_minor {
            Some(minor) => format!("saas~{}.{minor}", self.config.version),
            None => format!("{}.0", self.config.version),
        }
    }

    /// `common.version` (element 0 of `server_version_info` is a string on `saas~` builds).
    pub fn version_info(&self) -> Value {
        let v = self.config.version;
        let info = match self.config.saas_minor {
            Some(minor) => json!([format!("saas~{v}"), minor, 0, "final", 0, ""]),
            None => json!([v, 0, 0, "final", 0, ""]),
        };
        json!({
            "server_version": self.version_text(),
            "server_version_info": info,
            "server_serie": self.version_text(),
            "protocol_version": 1,
        })
    }

    /// `/web/webclient/version_info`: as `common.version` up to 18; from 18.1 without
    /// `protocol_version` (ODOO-API §1.1).
    pub fn webclient_version_info(&self) -> Value {
        let mut info = self.version_info();
        let from_18_1 = self.config.version >= 19 || (self.config.version == 18 && self.config.saas_minor.is_some());
        if from_18_1 && let Value::Object(map) = &mut info {
            map.remove("protocol_version");
        }
        info
    }

    /// One ORM call, under the store's lock (shared for queries).
    pub(crate) fn execute_call(&self, call: orm::Call<'_>) -> SimResult<Option<Value>> {
        // A denied model refuses every call, except the questions about access, which say no.
        let denied = self.faults.is_denied(call.model);
        if denied && !orm::is_access_check(call.method) {
            return Err(SimError::access(call.model));
        }
        // A slow page holds its worker, as a real Odoo's does.
        if call.method == "search_read" {
            let delay = self.faults.page_delay();
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
        }
        orm::execute_locked(&self.store, call, !denied)
    }

    /// One ORM call through the `object` service.
    fn execute(
        &self,
        model: &str,
        method: &str,
        args: &[Value],
        kwargs: &serde_json::Map<String, Value>,
        uid: i64,
    ) -> SimResult<Option<Value>> {
        let (ids, rest) = orm::split_ids(method, args, self.version())?;
        self.execute_call(orm::Call {
            model,
            method,
            ids,
            positional: &rest,
            named: kwargs,
            uid,
            transport: orm::Transport::Rpc,
        })
    }
}

/// A simulator listening on a port.
pub struct RunningSimulator {
    pub url: String,
    pub simulator: Arc<Simulator>,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningSimulator {
    /// Starts serving `simulator` on `bind` (port 0 picks a free port).
    pub fn start(simulator: Simulator, bind: SocketAddr) -> std::io::Result<Self> {
        let simulator = Arc::new(simulator);
        let (server, port) = http::server(simulator.clone(), bind)?;
        let handle = server.handle();
        let task = tokio::spawn(server);
        Ok(Self {
            url: format!("http://{}:{port}", bind.ip()),
            simulator,
            handle,
            task,
        })
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
