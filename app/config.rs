//! Typed settings from the `TRUESTOCK_*` environment variables, each documented in the README.
//!
//! Every error names the variable to fix. Secrets are kept as [`SecretString`] / [`SecretKey`] so that
//! they never reach a log line through `Debug`.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use url::Url;

/// A configuration problem, worded for the operator who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {reason}")]
    Invalid { var: &'static str, reason: String },
    #[error("{var} is required outside dev mode: {hint}")]
    Missing { var: &'static str, hint: &'static str },
    #[error("could not use the dev data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
}

/// 32 secret bytes (a key for AES-256-GCM or HMAC-SHA256).
pub struct SecretKey(SecretBox<[u8; 32]>);

impl SecretKey {
    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// Parses the base64 text of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = BASE64.decode(text.trim()).map_err(|_| "not valid base64".to_string())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("decodes to {} bytes, expected 32", b.len()))?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    pub fn generate() -> Self {
        Self(SecretBox::new(Box::new(rand::random())))
    }

    fn to_base64(&self) -> String {
        BASE64.encode(self.expose())
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        Self(SecretBox::new(Box::new(*self.expose())))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Argon2id cost. Production uses DESIGN §8's parameters; tests lower them to stay fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl PasswordCost {
    /// argon2id m=19456 KiB, t=2, p=1 (OWASP; DESIGN §8).
    pub const PRODUCTION: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
    /// Only for tests: the parameter test checks the production cost separately.
    pub const TEST: Self = Self {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };
}

/// All settings of the `truestock` binary.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `TRUESTOCK_DATABASE_URL`: the runtime role `ts_app` (serve, worker).
    pub database_url: SecretString,
    /// `TRUESTOCK_OWNER_DATABASE_URL`: the owner role `ts_owner` (migrate, tenant, user, demo).
    pub owner_database_url: SecretString,
    /// `TRUESTOCK_SUPERUSER_URL`: only for `db init`, `demo` and `bench`.
    pub superuser_url: SecretString,
    /// `TRUESTOCK_BIND`
    pub bind: SocketAddr,
    /// `TRUESTOCK_BASE_URL`: the public origin, used for links and the CSRF Origin check.
    pub base_url: Option<Url>,
    /// `TRUESTOCK_DEV`
    pub dev: bool,
    /// `TRUESTOCK_DATA_DIR`: where dev mode keeps its generated secrets.
    pub data_dir: PathBuf,
    /// `TRUESTOCK_MASTER_KEY`: encrypts stored Odoo API keys.
    pub master_key: Option<SecretKey>,
    /// `TRUESTOCK_PREVIOUS_MASTER_KEYS`: comma-separated earlier master keys, kept to open what they
    /// sealed until `truestock keys rotate` has resealed it.
    pub previous_master_keys: Vec<SecretKey>,
    /// `TRUESTOCK_JWT_SECRET`: signs session tokens and CSRF tokens.
    pub jwt_secret: Option<SecretKey>,
    /// `TRUESTOCK_SMTP_URL`: `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…:465`
    /// (TLS), or plain `smtp://host:25` (a relay on the same host). Unset: deliveries fail as if the
    /// server were down, and are retried for about a day.
    pub smtp_url: Option<SecretString>,
    /// `TRUESTOCK_MAIL_FROM`: the sender of every email, `Name <address>` (default
    /// `TrueStock <truestock@` the base URL's host `>`).
    pub mail_from: Option<String>,
    /// `TRUESTOCK_METRICS_BIND`: `/metrics` is served only there; unset means not served.
    pub metrics_bind: Option<SocketAddr>,
    /// `TRUESTOCK_TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges.
    pub trusted_proxies: Vec<IpNet>,
    /// `TRUESTOCK_ODOO_ALLOW_PRIVATE`
    pub odoo_allow_private: bool,
    /// `TRUESTOCK_SERVER_TIMING`: add a `Server-Timing` header (total and SQL time) to responses, for
    /// `bench stock` and for looking into slow pages; off by default.
    pub server_timing: bool,
    /// `TRUESTOCK_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `TRUESTOCK_HTTP_WORKERS`: actix worker threads (default: one per core).
    pub http_workers: Option<usize>,
    /// Not configurable from the environment: tests lower it.
    pub password_cost: PasswordCost,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://ts_app@127.0.0.1:5432/truestock";
pub const DEFAULT_OWNER_DATABASE_URL: &str = "postgres://ts_owner@127.0.0.1:5432/truestock";
pub const DEFAULT_SUPERUSER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

const KEY_HINT: &str = "32 random bytes, base64 (e.g. `openssl rand -base64 32`)";

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let dev = parse_flag(&get, "TRUESTOCK_DEV")?;
        let bind: SocketAddr = get("TRUESTOCK_BIND")
            .unwrap_or_else(|| DEFAULT_BIND.to_string())
            .parse()
            .map_err(|_| invalid("TRUESTOCK_BIND", "expected host:port such as 127.0.0.1:8080"))?;
        if dev && !bind.ip().is_loopback() {
            return Err(invalid(
                "TRUESTOCK_BIND",
                &format!("dev mode (TRUESTOCK_DEV=1) only binds a loopback address, not {bind}"),
            ));
        }
        let metrics_bind: Option<SocketAddr> = get("TRUESTOCK_METRICS_BIND")
            .map(|v| {
                v.parse()
                    .map_err(|_| invalid("TRUESTOCK_METRICS_BIND", "expected host:port"))
            })
            .transpose()?;
        if dev && metrics_bind.is_some_and(|addr| !addr.ip().is_loopback()) {
            return Err(invalid(
                "TRUESTOCK_METRICS_BIND",
                "dev mode (TRUESTOCK_DEV=1) only binds a loopback address",
            ));
        }
        let base_url = get("TRUESTOCK_BASE_URL")
            .map(|text| parse_base_url(&text, dev))
            .transpose()?;
        let data_dir = PathBuf::from(get("TRUESTOCK_DATA_DIR").unwrap_or_else(|| ".truestock".into()));
        let master_key = secret_key(&get, "TRUESTOCK_MASTER_KEY", dev, &data_dir, "master.key")?;
        let jwt_secret = secret_key(&get, "TRUESTOCK_JWT_SECRET", dev, &data_dir, "jwt.key")?;
        let url = |name: &str, default: &str| -> Result<SecretString, ConfigError> {
            let value = get(name).unwrap_or_else(|| default.to_string());
            check_postgres_url(name_static(name), &value)?;
            Ok(SecretString::from(value))
        };
        Ok(Self {
            database_url: url("TRUESTOCK_DATABASE_URL", DEFAULT_DATABASE_URL)?,
            owner_database_url: url("TRUESTOCK_OWNER_DATABASE_URL", DEFAULT_OWNER_DATABASE_URL)?,
            superuser_url: url("TRUESTOCK_SUPERUSER_URL", DEFAULT_SUPERUSER_URL)?,
            bind,
            base_url,
            dev,
            data_dir,
            master_key,
            previous_master_keys: get("TRUESTOCK_PREVIOUS_MASTER_KEYS")
                .map(|text| {
                    text.split(',')
                        .filter(|k| !k.trim().is_empty())
                        .map(|k| {
                            SecretKey::from_base64(k)
                                .map_err(|reason| invalid("TRUESTOCK_PREVIOUS_MASTER_KEYS", &reason))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default(),
            jwt_secret,
            smtp_url: get("TRUESTOCK_SMTP_URL").map(SecretString::from),
            mail_from: get("TRUESTOCK_MAIL_FROM"),
            metrics_bind,
            trusted_proxies: get("TRUESTOCK_TRUSTED_PROXIES")
                .map(|v| parse_proxies(&v))
                .transpose()?
                .unwrap_or_default(),
            server_timing: match get("TRUESTOCK_SERVER_TIMING") {
                Some(_) => parse_flag(&get, "TRUESTOCK_SERVER_TIMING")?,
                None => false,
            },
            odoo_allow_private: match get("TRUESTOCK_ODOO_ALLOW_PRIVATE") {
                Some(_) => parse_flag(&get, "TRUESTOCK_ODOO_ALLOW_PRIVATE")?,
                None => dev,
            },
            log_format: match get("TRUESTOCK_LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(invalid(
                        "TRUESTOCK_LOG_FORMAT",
                        &format!("expected text or json, not {other:?}"),
                    ));
                }
            },
            http_workers: get("TRUESTOCK_HTTP_WORKERS")
                .map(|v| match v.parse::<usize>() {
                    Ok(n) if (1..=256).contains(&n) => Ok(n),
                    _ => Err(invalid("TRUESTOCK_HTTP_WORKERS", "expected a number from 1 to 256")),
                })
                .transpose()?,
            password_cost: PasswordCost::PRODUCTION,
        })
    }

    /// Settings from the environment, but for the database `name` on the server of
    /// `TRUESTOCK_SUPERUSER_URL` (for `demo` and `bench`, which provision their own database): role URLs
    /// of `ts_app` and `ts_owner` (with `role_password`, if any), and `overrides` of other variables.
    pub fn for_own_database(
        name: &str,
        role_password: Option<&str>,
        overrides: &[(&str, &str)],
    ) -> Result<Self, ConfigError> {
        let superuser = std::env::var("TRUESTOCK_SUPERUSER_URL").unwrap_or_else(|_| DEFAULT_SUPERUSER_URL.into());
        let parsed = Url::parse(&superuser)
            .ok()
            .filter(|u| u.host_str().is_some())
            .ok_or_else(|| invalid("TRUESTOCK_SUPERUSER_URL", "expected postgres://user@host:port/database"))?;
        let host = parsed.host_str().unwrap_or("127.0.0.1").to_string();
        let port = parsed.port().unwrap_or(5432);
        let credentials = |role: &str| match role_password {
            Some(password) => format!("{role}:{password}"),
            None => role.to_string(),
        };
        let app_url = format!("postgres://{}@{host}:{port}/{name}", credentials("ts_app"));
        let owner_url = format!("postgres://{}@{host}:{port}/{name}", credentials("ts_owner"));
        Self::from_lookup(|var| match var {
            "TRUESTOCK_DATABASE_URL" => Some(app_url.clone()),
            "TRUESTOCK_OWNER_DATABASE_URL" => Some(owner_url.clone()),
            other => overrides
                .iter()
                .find(|(k, _)| *k == other)
                .map(|(_, v)| v.to_string())
                .or_else(|| std::env::var(other).ok()),
        })
    }

    /// The JWT secret, which `serve` and `worker` need.
    pub fn jwt_secret(&self) -> Result<&SecretKey, ConfigError> {
        self.jwt_secret.as_ref().ok_or(ConfigError::Missing {
            var: "TRUESTOCK_JWT_SECRET",
            hint: KEY_HINT,
        })
    }

    /// The master key, which `serve`, `worker` and `tenant connect` need.
    pub fn master_key(&self) -> Result<&SecretKey, ConfigError> {
        self.master_key.as_ref().ok_or(ConfigError::Missing {
            var: "TRUESTOCK_MASTER_KEY",
            hint: KEY_HINT,
        })
    }

    /// Which Odoo addresses may be reached (`TRUESTOCK_ODOO_ALLOW_PRIVATE`).
    pub fn odoo_reach(&self) -> crate::odoo::Reach {
        if self.odoo_allow_private {
            crate::odoo::Reach::Anywhere
        } else {
            crate::odoo::Reach::PublicOnly
        }
    }

    /// Where links in emails point: `TRUESTOCK_BASE_URL`, or else the address `bound` (where the server
    /// listens; dev mode only binds loopback).
    pub fn public_url(&self, bound: SocketAddr) -> Url {
        self.base_url
            .clone()
            .unwrap_or_else(|| Url::parse(&format!("http://{bound}")).expect("an address makes a URL"))
    }

    /// What emails are sent with: the sender, links to `public_url` (the base URL, or where the
    /// server listens when none is set), and the SMTP relay.
    pub fn mailer(&self, public_url: &Url) -> Result<crate::email::Mailer, ConfigError> {
        // A host name, not an IP address (which would make an odd sender and Message-ID domain).
        let host = public_url.domain().unwrap_or("localhost");
        let from = self
            .mail_from
            .clone()
            .unwrap_or_else(|| format!("TrueStock <truestock@{host}>"));
        let from = from.parse().map_err(|e| {
            invalid(
                "TRUESTOCK_MAIL_FROM",
                &format!("not an address like `Name <a@b.c>`: {e}"),
            )
        })?;
        let transport = self
            .smtp_url
            .as_ref()
            .map(|url| crate::email::Transport::from_url(url.expose_secret()))
            .transpose()
            .map_err(|e| invalid("TRUESTOCK_SMTP_URL", &e.to_string()))?;
        let signer = crate::auth::signed_link::LinkSigner::derive(self.jwt_secret()?);
        Ok(crate::email::Mailer::new(from, public_url.clone(), signer, transport))
    }

    /// The vault's keys: the master key seals, previous master keys still open.
    pub fn key_ring(&self) -> Result<crate::auth::vault::KeyRing, ConfigError> {
        Ok(crate::auth::vault::KeyRing::new(
            self.master_key()?,
            &self.previous_master_keys,
        ))
    }

    /// The database name in `TRUESTOCK_DATABASE_URL`.
    pub fn database_name(&self) -> String {
        Url::parse(self.database_url.expose_secret())
            .ok()
            .map(|u| u.path().trim_start_matches('/').to_string())
            .unwrap_or_default()
    }
}

fn invalid(var: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        var,
        reason: reason.to_string(),
    }
}

/// The settings' variable names are all `'static`; this maps a borrowed name back to it for errors.
fn name_static(name: &str) -> &'static str {
    match name {
        "TRUESTOCK_DATABASE_URL" => "TRUESTOCK_DATABASE_URL",
        "TRUESTOCK_OWNER_DATABASE_URL" => "TRUESTOCK_OWNER_DATABASE_URL",
        _ => "TRUESTOCK_SUPERUSER_URL",
    }
}

fn parse_flag(get: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<bool, ConfigError> {
    match get(var).as_deref().map(str::trim) {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(other) => Err(invalid(var, &format!("expected 1 or 0, not {other:?}"))),
    }
}

fn parse_base_url(text: &str, dev: bool) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|_| {
        invalid(
            "TRUESTOCK_BASE_URL",
            "expected an absolute URL such as https://stock.example.com",
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if dev => {}
        _ => return Err(invalid("TRUESTOCK_BASE_URL", "must be https (http only in dev mode)")),
    }
    if url.host().is_none() || url.path() != "/" || url.query().is_some() {
        return Err(invalid("TRUESTOCK_BASE_URL", "must be an origin without path or query"));
    }
    Ok(url)
}

fn check_postgres_url(var: &'static str, value: &str) -> Result<(), ConfigError> {
    let url = Url::parse(value).map_err(|_| invalid(var, "expected postgres://user@host:port/database"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") || url.path().len() < 2 {
        return Err(invalid(var, "expected postgres://user@host:port/database"));
    }
    Ok(())
}

fn parse_proxies(text: &str) -> Result<Vec<IpNet>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    invalid(
                        "TRUESTOCK_TRUSTED_PROXIES",
                        &format!("{s:?} is not an address or CIDR range"),
                    )
                })
        })
        .collect()
}

/// A key from its variable, or in dev mode a generated one kept under the data directory.
fn secret_key(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    dev: bool,
    data_dir: &Path,
    file_name: &str,
) -> Result<Option<SecretKey>, ConfigError> {
    if let Some(text) = get(var) {
        return SecretKey::from_base64(&text)
            .map(Some)
            .map_err(|reason| invalid(var, &reason));
    }
    if !dev {
        return Ok(None);
    }
    dev_secret(data_dir, file_name, var).map(Some)
}

/// A 32-byte secret kept in the dev data directory: read if present, generated (and logged) if not.
pub fn dev_secret(data_dir: &Path, file_name: &str, purpose: &str) -> Result<SecretKey, ConfigError> {
    let path = data_dir.join(file_name);
    let io_err = |source| ConfigError::DataDir {
        path: path.clone(),
        source,
    };
    if let Ok(text) = std::fs::read_to_string(&path) {
        return SecretKey::from_base64(&text).map_err(|reason| ConfigError::DataDir {
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, reason),
        });
    }
    std::fs::create_dir_all(data_dir).map_err(io_err)?;
    let key = SecretKey::generate();
    write_private_file(&path, &key.to_base64()).map_err(io_err)?;
    tracing::warn!(
        purpose,
        path = %path.display(),
        "dev mode: generated a secret and stored it in the data directory (set {purpose} outside dev mode)"
    );
    Ok(key)
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn dev_mode_refuses_a_public_bind_address() {
        let dir = std::env::temp_dir().join(format!("ts-cfg-{}", uuid::Uuid::new_v4()));
        let err = settings(&[
            ("TRUESTOCK_DEV", "1"),
            ("TRUESTOCK_BIND", "0.0.0.0:8080"),
            ("TRUESTOCK_DATA_DIR", dir.to_str().unwrap()),
        ])
        .unwrap_err();
        assert!(err.to_string().starts_with("TRUESTOCK_BIND:"), "{err}");
    }

    #[test]
    fn secrets_are_required_outside_dev_mode_and_must_be_32_bytes() {
        let s = settings(&[]).unwrap();
        let err = s.jwt_secret().unwrap_err().to_string();
        assert!(err.contains("TRUESTOCK_JWT_SECRET"), "{err}");
        let err = settings(&[("TRUESTOCK_MASTER_KEY", "c2hvcnQ=")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("TRUESTOCK_MASTER_KEY") && err.contains("5 bytes"), "{err}");
    }

    #[test]
    fn dev_mode_keeps_metrics_on_loopback_too() {
        let dir = std::env::temp_dir().join(format!("ts-cfg-{}", uuid::Uuid::new_v4()));
        let err = settings(&[
            ("TRUESTOCK_DEV", "1"),
            ("TRUESTOCK_METRICS_BIND", "0.0.0.0:9464"),
            ("TRUESTOCK_DATA_DIR", dir.to_str().unwrap()),
        ])
        .unwrap_err();
        assert!(err.to_string().starts_with("TRUESTOCK_METRICS_BIND:"), "{err}");
    }

    #[test]
    fn flags_accept_only_one_and_zero() {
        let err = settings(&[("TRUESTOCK_DEV", "yes")]).unwrap_err().to_string();
        assert!(err.contains("TRUESTOCK_DEV"), "{err}");
    }

    #[test]
    fn dev_mode_generates_secrets_once_and_reuses_them() {
        let dir = std::env::temp_dir().join(format!("ts-cfg-{}", uuid::Uuid::new_v4()));
        let vars = [("TRUESTOCK_DEV", "1"), ("TRUESTOCK_DATA_DIR", dir.to_str().unwrap())];
        let first = settings(&vars).unwrap();
        let second = settings(&vars).unwrap();
        assert_eq!(
            first.jwt_secret().unwrap().expose(),
            second.jwt_secret().unwrap().expose()
        );
        assert_ne!(
            first.jwt_secret().unwrap().expose(),
            first.master_key().unwrap().expose()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn trusted_proxies_accept_addresses_and_ranges() {
        let s = settings(&[("TRUESTOCK_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]).unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        assert!(settings(&[("TRUESTOCK_TRUSTED_PROXIES", "nope")]).is_err());
    }
}
