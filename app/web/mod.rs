//! The web layer: turns HTTP into domain values, calls `db`, picks a template. One module per screen
//! area, each ending with `routes`.

pub mod account_links;
pub mod alert_emails;
pub mod alert_rules;
pub mod assets;
pub mod auth;
pub mod connection;
pub mod dev_mail;
pub mod errors;
pub mod export;
pub mod extractors;
pub mod format;
pub mod health;
pub mod hooks;
pub mod members;
pub mod metrics;
pub mod middleware;
pub mod overview;
pub mod paths;
pub mod product;
pub mod shell;
pub mod stock;
pub mod stock_settings;
pub mod subscriptions;
pub mod sync;
pub mod tenants;

use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::web::{self, ServiceConfig};
use ipnet::IpNet;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::auth::csrf::CsrfKey;
use crate::auth::password::PasswordHasher;
use crate::auth::session::{ABSOLUTE_LIFETIME_SECS, SessionTokens};
use crate::auth::throttle::IpLimiter;

/// The largest request body accepted (forms are small; larger bodies answer 413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler shares. Built once by `startup`.
pub struct AppState {
    pub db: DatabaseConnection,
    pub tokens: SessionTokens,
    pub csrf: CsrfKey,
    pub passwords: PasswordHasher,
    pub login_limiter: IpLimiter,
    pub cookies: CookiePolicy,
    pub trusted_proxies: Vec<IpNet>,
    /// `scheme://host[:port]` of `TRUESTOCK_BASE_URL`, which browsers send as `Origin` (CSRF check);
    /// without it the request's own `Host` is the reference.
    pub origin: Option<String>,
    pub metrics: Arc<metrics::Metrics>,
    pub webhook_limiter: hooks::WebhookLimiter,
    /// Seals and opens tenants' Odoo API keys.
    pub key_ring: Arc<crate::auth::vault::KeyRing>,
    /// Which Odoo addresses may be reached (`TRUESTOCK_ODOO_ALLOW_PRIVATE`).
    pub odoo_reach: crate::odoo::Reach,
    /// Makes emails (links, sender) for the outbox.
    pub mailer: Arc<crate::email::Mailer>,
    /// The demo's in-process SMTP sink, readable at `/dev/mail` (dev mode only).
    pub dev_mailbox: Option<Arc<crate::email::sink::SmtpSink>>,
    /// `TRUESTOCK_SERVER_TIMING`
    pub server_timing: bool,
}

/// Cookie names and attributes: `__Host-` and `Secure` normally; dev mode over plain HTTP drops both.
#[derive(Debug, Clone)]
pub struct CookiePolicy {
    pub session: &'static str,
    pub pre_session: &'static str,
    pub secure: bool,
}

impl CookiePolicy {
    pub fn new(dev: bool) -> Self {
        if dev {
            Self {
                session: "truestock_dev",
                pre_session: "truestock_dev_csrf",
                secure: false,
            }
        } else {
            Self {
                session: "__Host-truestock",
                pre_session: "__Host-truestock-csrf",
                secure: true,
            }
        }
    }

    fn build(&self, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
            .finish()
    }

    pub fn session_cookie(&self, token: String) -> Cookie<'static> {
        self.build(self.session, token, ABSOLUTE_LIFETIME_SECS)
    }

    pub fn pre_session_cookie(&self, value: String) -> Cookie<'static> {
        self.build(self.pre_session, value, 2 * 60 * 60)
    }

    /// A cookie that tells the browser to forget `name`.
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        self.build(name, String::new(), 0)
    }
}

impl AppState {
    /// The session id in the request's session cookie, if its token is genuine (no database check).
    pub fn session_id_from_cookie(&self, req: &HttpRequest) -> Option<Uuid> {
        req.cookie(self.cookies.session)
            .and_then(|c| self.tokens.verify(c.value()))
    }

    pub fn client_ip(&self, req: &HttpRequest) -> Option<std::net::IpAddr> {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("X-Forwarded-For")
            .filter_map(|v| v.to_str().ok())
            .collect();
        crate::auth::throttle::client_ip(req.peer_addr().map(|a| a.ip()), &forwarded, &self.trusted_proxies)
    }
}

/// All routes of the web app.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.configure(health::routes)
        .configure(assets::routes)
        .configure(auth::routes)
        .configure(account_links::routes)
        .configure(tenants::routes)
        .configure(overview::routes)
        .configure(members::routes)
        .configure(alert_emails::routes)
        .configure(alert_rules::routes)
        .configure(subscriptions::routes)
        .configure(dev_mail::routes)
        .configure(stock::routes)
        .configure(product::routes)
        .configure(export::routes)
        .configure(stock_settings::routes)
        .configure(sync::routes)
        .configure(hooks::routes)
        .configure(connection::routes);
}

/// Unknown paths: the 404 page, with every header the middleware adds.
pub async fn not_found() -> Result<actix_web::HttpResponse, errors::AppError> {
    Err(errors::AppError::NotFound)
}

pub fn default_service() -> actix_web::Route {
    web::to(not_found)
}
