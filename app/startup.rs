//! Builds the actix application. Binds its listeners first, so tests can ask for port 0 and read the
//! port back.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::auth::csrf::CsrfKey;
use crate::auth::password::PasswordHasher;
use crate::auth::session::SessionTokens;
use crate::auth::throttle::IpLimiter;
use crate::config::{ConfigError, Settings};
use crate::db;
use crate::jobs::Registry;
use crate::jobs::worker::{Worker, WorkerConfig};
use crate::web::errors::AppError;
use crate::web::metrics::{self, Metrics};
use crate::web::middleware::{csrf_guard, htmx_toasts, observe, security_headers};
use crate::web::{self as site, AppState, CookiePolicy, MAX_BODY_BYTES};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("could not connect with TRUESTOCK_DATABASE_URL: {0}")]
    Database(sea_orm::DbErr),
    #[error(
        "TRUESTOCK_DATABASE_URL must connect as ts_app, the unprivileged NOINHERIT runtime role (run `truestock db init`); \
         it connects as {0:?}"
    )]
    WrongRole(String),
    #[error("could not listen on {what} {addr}: {source}")]
    Bind {
        what: &'static str,
        addr: String,
        source: std::io::Error,
    },
    #[error("password hashing could not start: {0}")]
    Passwords(#[from] crate::auth::password::PasswordError),
}

/// A bound, not yet running, server (and its metrics server and job workers when configured).
pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    metrics_server: Option<Server>,
    worker: Option<Worker>,
}

impl Application {
    /// Binds the server; with `job_workers`, job workers run in this process too (on their own pool, so
    /// that long jobs never take the connections web requests need).
    pub async fn build(settings: &Settings, job_workers: Option<WorkerConfig>) -> Result<Self, StartupError> {
        Self::build_with_mailbox(settings, job_workers, None).await
    }

    /// [`build`](Self::build), with the demo's in-process SMTP sink shown at `/dev/mail` (dev mode only).
    pub async fn build_with_mailbox(
        settings: &Settings,
        job_workers: Option<WorkerConfig>,
        dev_mailbox: Option<Arc<crate::email::sink::SmtpSink>>,
    ) -> Result<Self, StartupError> {
        let dev_mailbox = dev_mailbox.filter(|_| settings.dev);
        let db = db::connect(&settings.database_url, 16)
            .await
            .map_err(StartupError::Database)?;
        let role = db::control::connected_role(&db).await.map_err(StartupError::Database)?;
        // NOINHERIT is what keeps the bare pool from reading every tenant schema (TENANCY.md §2).
        if role.name != "ts_app" || role.is_superuser || role.bypasses_rls || role.inherits {
            return Err(StartupError::WrongRole(role.name));
        }
        let jwt_secret = settings.jwt_secret()?;
        // `serve` must not start without the master key: tenants' Odoo keys are sealed with it.
        let key_ring = Arc::new(settings.key_ring()?);
        let listener = TcpListener::bind(settings.bind).map_err(|source| StartupError::Bind {
            what: "TRUESTOCK_BIND",
            addr: settings.bind.to_string(),
            source,
        })?;
        let local = listener.local_addr().map_err(|source| StartupError::Bind {
            what: "TRUESTOCK_BIND",
            addr: settings.bind.to_string(),
            source,
        })?;
        let origin = settings.base_url.as_ref().map(|url| url.origin().ascii_serialization());
        let mailer = Arc::new(settings.mailer(&settings.public_url(local))?);
        if mailer.transport().is_none() {
            tracing::warn!("TRUESTOCK_SMTP_URL is not set: email deliveries fail and are retried for about a day");
        }
        if settings.base_url.is_none() && !settings.dev {
            tracing::warn!(
                "TRUESTOCK_BASE_URL is not set: links in emails point to the address this server listens on"
            );
        }
        let metrics = Arc::new(Metrics::default());
        let workers = settings
            .http_workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let state = web::Data::new(AppState {
            db,
            tokens: SessionTokens::new(jwt_secret),
            csrf: CsrfKey::derive(jwt_secret),
            passwords: PasswordHasher::new(settings.password_cost, workers.max(2))?,
            login_limiter: IpLimiter::default(),
            cookies: CookiePolicy::new(settings.dev),
            trusted_proxies: settings.trusted_proxies.clone(),
            origin,
            metrics: metrics.clone(),
            webhook_limiter: Default::default(),
            key_ring,
            odoo_reach: settings.odoo_reach(),
            server_timing: settings.server_timing,
            mailer: mailer.clone(),
            dev_mailbox: dev_mailbox.clone(),
        });
        let server =
            HttpServer::new(move || {
                App::new()
                    .app_data(state.clone())
                    .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                    .app_data(web::QueryConfig::default().error_handler(|err, _| {
                        AppError::BadRequest(format!("The address has a bad query: {err}")).into()
                    }))
                    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
                    .wrap(from_fn(csrf_guard))
                    .wrap(from_fn(htmx_toasts))
                    .wrap(from_fn(security_headers))
                    .wrap(from_fn(observe))
                    .configure(site::routes)
                    .default_service(site::default_service())
            })
            .workers(workers)
            .shutdown_timeout(10)
            .listen(listener)
            .map_err(|source| StartupError::Bind {
                what: "TRUESTOCK_BIND",
                addr: local.to_string(),
                source,
            })?
            .run();

        let (metrics_server, metrics_port) = match settings.metrics_bind {
            Some(addr) => {
                let bind_err = |source| StartupError::Bind {
                    what: "TRUESTOCK_METRICS_BIND",
                    addr: addr.to_string(),
                    source,
                };
                let listener = TcpListener::bind(addr).map_err(bind_err)?;
                let port = listener.local_addr().map_err(bind_err)?.port();
                let data = web::Data::new(metrics);
                let server = HttpServer::new(move || App::new().app_data(data.clone()).service(metrics::metrics))
                    .workers(1)
                    .listen(listener)
                    .map_err(bind_err)?
                    .run();
                (Some(server), Some(port))
            }
            None => (None, None),
        };
        let worker = match job_workers {
            Some(config) => {
                let pool = db::connect(&settings.database_url, config.pool_size())
                    .await
                    .map_err(StartupError::Database)?;
                let sync = Arc::new(crate::sync::pull::SyncDeps {
                    ring: settings.key_ring()?,
                    reach: settings.odoo_reach(),
                });
                Some(Worker::new(pool, Registry::production(sync, mailer), config))
            }
            None => None,
        };
        tracing::info!(address = %local, metrics = ?metrics_port, dev = settings.dev, "TrueStock is listening");
        Ok(Self {
            port: local.port(),
            metrics_port,
            server,
            metrics_server,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until SIGINT/SIGTERM (actix handles both and drains connections), then stops the job
    /// workers gracefully.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop_workers, stopped) = tokio::sync::oneshot::channel::<()>();
        let workers = self.worker.map(|worker| {
            tokio::spawn(worker.run(async move {
                let _ = stopped.await;
            }))
        });
        let result = match self.metrics_server {
            Some(metrics) => {
                let metrics_handle = metrics.handle();
                let result = tokio::select! {
                    r = self.server => r,
                    r = metrics => r,
                };
                metrics_handle.stop(true).await;
                result
            }
            None => self.server.await,
        };
        let _ = stop_workers.send(());
        if let Some(workers) = workers {
            let _ = workers.await;
        }
        result
    }
}

/// Resolves on SIGINT or SIGTERM (for processes without actix's own signal handling).
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
