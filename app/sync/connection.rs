//! A tenant's Odoo connection (DESIGN §5, §8): saving it — the URL rules, the API key sealed by the
//! vault, the key cleared when the address, database or login changes, a switch to another Odoo
//! database only after confirmation — testing it with answers in plain words, and opening the client
//! that pulls and write-backs use. Every change is written to the tenant's audit log in the same
//! transaction as the change. A confirmed switch to another Odoo database empties the mirror and cancels
//! the tenant's pulls in that transaction; refused credentials and expiring keys open alerts for the
//! tenant's admins (db::alerts), which a working connection resolves.

use chrono::NaiveDate;
use sea_orm::{DatabaseConnection, DbErr};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::auth::vault::{KeyRing, Sealed, VaultError};
use crate::db::alerts::{self, AlertKind};
use crate::db::audit::{self, Actor};
use crate::db::control::{self, OdooConnectionRow, OdooConnectionUpdate};
use crate::db::tenancy::{TenantTxn, with_control_then_tenant, with_tenant};
use crate::domain::tenant::TenantId;
use crate::odoo::reach::check_url;
use crate::odoo::{Client, OdooConfig, OdooError, Reach};

/// Odoo 19 API keys last at most three months; TrueStock warns this long before one expires.
pub const KEY_EXPIRY_WARNING_DAYS: i64 = 14;

/// The `credential_invalid` alert, in words a tenant admin can act on.
pub const CREDENTIAL_ALERT: &str = "Odoo refused TrueStock's login or API key, so syncing with Odoo has stopped. \
     Create a new API key for the TrueStock user in Odoo and enter it on the Odoo connection page.";

/// What a tenant admin or the operator enters.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    pub url: String,
    pub database: String,
    pub login: String,
    /// A new API key; `None` keeps the stored one (unless the address changes, which clears it).
    pub api_key: Option<SecretString>,
    /// When the key expires (Odoo 19 keys always do; Odoo shows it when the key is made).
    pub key_expires_on: Option<NaiveDate>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("{0}")]
    Invalid(String),
    #[error("no Odoo connection is set up for this tenant")]
    NotConfigured,
    #[error("no API key is stored: enter the API key of the Odoo user")]
    NoKey,
    #[error(
        "{new} is another Odoo database than the one this tenant's data comes from ({current}); \
         connecting to it replaces all synced data: confirm to go ahead"
    )]
    OtherDatabase { current: String, new: String },
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What happened to the stored key when settings were saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    Replaced,
    Kept,
    /// The address, database or login changed and no new key was given: the old key is gone.
    Cleared,
}

/// What saving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub key: KeyChange,
    /// The tenant's synced data was emptied (and its pulls cancelled) because it came from another Odoo
    /// database; the next pull is a first sync.
    pub mirror_reset: bool,
}

fn field(value: &str, what: &'static str) -> Result<String, ConnectionError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ConnectionError::Invalid(format!("the {what} is missing")));
    }
    if value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err(ConnectionError::Invalid(format!(
            "the {what} must be one line of at most 200 characters"
        )));
    }
    Ok(value.to_string())
}

/// Parses and checks an Odoo address as a person types it (`https://acme.odoo.com`).
pub fn parse_url(text: &str, reach: Reach) -> Result<Url, ConnectionError> {
    let text = text.trim();
    let url = Url::parse(text).map_err(|_| {
        ConnectionError::Invalid(format!(
            "{text:?} is not a web address; write it like https://acme.odoo.com"
        ))
    })?;
    check_url(&url, reach).map_err(|e| match e {
        OdooError::AddressRefused(why) => ConnectionError::Invalid(format!("this Odoo address is not allowed: {why}")),
        other => ConnectionError::Invalid(other.to_string()),
    })?;
    Ok(url)
}

/// Which Odoo database a connection points at: host (with port) and database name.
fn identity(url: &Url, database: &str) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}/{database}"),
        None => format!("{host}/{database}"),
    }
}

fn sealed_of(row: &OdooConnectionRow) -> Option<Sealed> {
    Some(Sealed {
        key_id: row.key_id.clone()?,
        nonce: row.key_nonce.clone()?,
        ciphertext: row.key_ciphertext.clone()?,
    })
}

/// Saves a tenant's connection settings.
pub async fn save(
    db: &DatabaseConnection,
    ring: &KeyRing,
    tenant: TenantId,
    settings: &ConnectionSettings,
    reach: Reach,
    confirm_other_database: bool,
    actor: &Actor,
) -> Result<Saved, ConnectionError> {
    let url = parse_url(&settings.url, reach)?;
    let database = field(&settings.database, "database name")?;
    let login = field(&settings.login, "login")?;
    let new_key = match &settings.api_key {
        Some(key) => Some(SecretString::from(field(key.expose_secret(), "API key")?)),
        None => None,
    };
    let existing = control::find_odoo_connection(db, tenant.as_uuid()).await?;
    let same_address = existing
        .as_ref()
        .is_some_and(|e| e.url == url.as_str() && e.database == database && e.login == login);
    let (sealed, key_change) = match (&new_key, existing.as_ref().and_then(sealed_of)) {
        (Some(key), _) => (Some(ring.seal_odoo_key(tenant, key)), KeyChange::Replaced),
        (None, Some(old)) if same_address => (Some(old), KeyChange::Kept),
        (None, Some(_)) => (None, KeyChange::Cleared),
        (None, None) => (None, KeyChange::Cleared),
    };
    let target = identity(&url, &database);
    let current = existing.as_ref().and_then(|e| e.mirror_of.clone());
    let mirror_reset = match &current {
        Some(current) if *current != target => {
            if !confirm_other_database {
                return Err(ConnectionError::OtherDatabase {
                    current: current.clone(),
                    new: target,
                });
            }
            true
        }
        _ => false,
    };
    let update = OdooConnectionUpdate {
        url: url.to_string(),
        database: database.clone(),
        login: login.clone(),
        sealed_key: sealed.map(|s| (s.key_id, s.nonce, s.ciphertext)),
        key_expires_on: settings.key_expires_on.or_else(|| {
            (key_change == KeyChange::Kept)
                .then(|| existing.as_ref()?.key_expires_on)
                .flatten()
        }),
        mirror_of: if mirror_reset { None } else { current },
    };
    let key_word = match key_change {
        KeyChange::Replaced => "replaced",
        KeyChange::Kept => "kept",
        KeyChange::Cleared => "cleared",
    };
    let details = json!({
        "url": update.url, "database": database, "login": login, "api_key": key_word,
        "key_expires_on": update.key_expires_on, "mirror_reset": mirror_reset,
    });
    with_control_then_tenant(
        db,
        tenant,
        async |txn| {
            control::save_odoo_connection(txn, tenant.as_uuid(), &update).await?;
            // A pull of the old database must not commit after the reset: its jobs are cancelled in
            // this transaction, and a running one stops at its next fence (db::jobs).
            if mirror_reset {
                crate::db::jobs::cancel_tenant_queue(txn, tenant.as_uuid(), crate::jobs::Queue::Pull.as_str()).await?;
            }
            Ok::<_, ConnectionError>(())
        },
        async |tx, ()| {
            audit::record(tx, actor, "odoo.connection.saved", &target, details).await?;
            let has_key = key_change != KeyChange::Cleared;
            review_key_expiry(tx, has_key, update.key_expires_on, chrono::Utc::now().date_naive()).await?;
            if mirror_reset {
                let reset = crate::db::mirror::reset(tx).await?;
                audit::record(
                    tx,
                    actor,
                    "odoo.mirror.reset",
                    &target,
                    json!({
                        "previous": existing.as_ref().and_then(|e| e.mirror_of.clone()),
                        "mirrored_rows": reset.mirrored_rows, "history_rows": reset.history_rows,
                        "cursors": reset.cursors,
                    }),
                )
                .await?;
            }
            Ok::<_, ConnectionError>(())
        },
    )
    .await?;
    Ok(Saved {
        key: key_change,
        mirror_reset,
    })
}

/// How often the schedule pulls a tenant and how far back its first sync reads (DESIGN §5; stored on
/// its connection, changed on the connection page and by `tenant connect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSettings {
    pub pull_every_minutes: u32,
    pub horizon_months: u32,
}

impl SyncSettings {
    /// The pull intervals a tenant may choose: a minute to a day.
    pub const PULL_EVERY_MINUTES: std::ops::RangeInclusive<u32> = 1..=1440;
    /// The history horizons a tenant may choose: a month to ten years.
    pub const HORIZON_MONTHS: std::ops::RangeInclusive<u32> = 1..=120;

    /// Checks both values against their ranges, with the reason in words a person can act on.
    pub fn new(pull_every_minutes: u32, horizon_months: u32) -> Result<Self, ConnectionError> {
        let (every, horizon) = (Self::PULL_EVERY_MINUTES, Self::HORIZON_MONTHS);
        if !every.contains(&pull_every_minutes) {
            return Err(ConnectionError::Invalid(format!(
                "the pull interval must be {} to {} minutes",
                every.start(),
                every.end()
            )));
        }
        if !horizon.contains(&horizon_months) {
            return Err(ConnectionError::Invalid(format!(
                "the history horizon must be {} to {} months",
                horizon.start(),
                horizon.end()
            )));
        }
        Ok(Self {
            pull_every_minutes,
            horizon_months,
        })
    }

    /// What a stored connection holds (the database's checks keep it in range).
    pub fn of(row: &OdooConnectionRow) -> Self {
        Self {
            pull_every_minutes: u32::try_from(row.pull_every_minutes).unwrap_or(Self::default().pull_every_minutes),
            horizon_months: u32::try_from(row.horizon_months).unwrap_or(Self::default().horizon_months),
        }
    }

    /// The schedule's period of this tenant's pulls.
    pub fn pull_every(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.pull_every_minutes) * 60)
    }
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            pull_every_minutes: u32::try_from(crate::sync::pull::EVERY.as_secs() / 60).unwrap_or(5),
            horizon_months: crate::sync::pull::HORIZON_MONTHS,
        }
    }
}

/// Saves a tenant's sync settings, with an entry in its audit log; the tenant must have a connection.
pub async fn save_sync_settings(
    db: &DatabaseConnection,
    tenant: TenantId,
    settings: SyncSettings,
    actor: &Actor,
) -> Result<(), ConnectionError> {
    let (every, horizon) = (settings.pull_every_minutes, settings.horizon_months);
    with_control_then_tenant(
        db,
        tenant,
        async |txn| {
            // Both fit an i32: `SyncSettings::new` keeps them in range.
            let saved = control::set_sync_settings(
                txn,
                tenant.as_uuid(),
                i32::try_from(every).unwrap_or(i32::MAX),
                i32::try_from(horizon).unwrap_or(i32::MAX),
            )
            .await?;
            if saved {
                Ok(())
            } else {
                Err(ConnectionError::NotConfigured)
            }
        },
        async |tx, ()| {
            let details = json!({"pull_every_minutes": every, "horizon_months": horizon});
            audit::record(tx, actor, "odoo.sync_settings.saved", "sync", details).await?;
            Ok(())
        },
    )
    .await
}

/// Opens the `key_expiring` alert when the stored key expires within [`KEY_EXPIRY_WARNING_DAYS`] of
/// `today` (or has expired), and resolves it otherwise (a new key, a later expiry, no key); returns
/// whether the alert is open.
pub async fn review_key_expiry(
    tx: &TenantTxn,
    has_key: bool,
    expires_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<bool, DbErr> {
    let expiring = expires_on.filter(|expiry| has_key && (*expiry - today).num_days() <= KEY_EXPIRY_WARNING_DAYS);
    let Some(expiry) = expiring else {
        if alerts::resolve(tx, AlertKind::KeyExpiring).await? {
            crate::email::alerts::evaluate_soon(tx).await?;
        }
        return Ok(false);
    };
    let message = if expiry < today {
        format!(
            "The Odoo API key expired on {expiry}, so syncing with Odoo stops. Create a new API key for the \
             TrueStock user in Odoo and enter it, with its expiry date, on the Odoo connection page."
        )
    } else {
        format!(
            "The Odoo API key expires on {expiry}. Before then, create a new API key for the TrueStock user \
             in Odoo and enter it, with its expiry date, on the Odoo connection page; otherwise syncing stops."
        )
    };
    if alerts::record(tx, AlertKind::KeyExpiring, &message, json!({"expires_on": expiry})).await? {
        crate::email::alerts::evaluate_soon(tx).await?;
    }
    Ok(true)
}

/// The hourly review of every connected tenant's key expiry (the maintenance job); returns how many
/// tenants have a `key_expiring` alert open.
pub async fn review_key_expiries(db: &DatabaseConnection, today: NaiveDate) -> Result<usize, DbErr> {
    let mut open = 0;
    for row in control::list_odoo_connections(db).await? {
        let tenant = TenantId::from_uuid(row.tenant_id);
        let has_key = row.key_id.is_some();
        if with_tenant(db, tenant, async |tx| {
            review_key_expiry(tx, has_key, row.key_expires_on, today).await
        })
        .await?
        {
            open += 1;
        }
    }
    Ok(open)
}

/// Records that Odoo refused the stored credentials during `stopped_by` (a pull): the connection's
/// status (which keeps the schedule away from the tenant) and the `credential_invalid` alert, together.
pub async fn refused_credentials(
    db: &DatabaseConnection,
    tenant: TenantId,
    message: &str,
    stopped_by: &str,
) -> Result<(), DbErr> {
    with_control_then_tenant(
        db,
        tenant,
        async |txn| {
            control::record_odoo_test(
                txn,
                tenant.as_uuid(),
                "credential_invalid",
                message,
                None,
                &json!({"stopped_by": stopped_by}),
            )
            .await
        },
        async |tx, ()| {
            alerts::record(
                tx,
                AlertKind::CredentialInvalid,
                CREDENTIAL_ALERT,
                json!({"found_by": stopped_by}),
            )
            .await?;
            crate::email::alerts::evaluate_soon(tx).await
        },
    )
    .await
}

/// An Odoo client for the tenant's stored connection.
pub async fn open_client(
    db: &DatabaseConnection,
    ring: &KeyRing,
    tenant: TenantId,
    reach: Reach,
) -> Result<Result<Client, OdooError>, ConnectionError> {
    let row = control::find_odoo_connection(db, tenant.as_uuid())
        .await?
        .ok_or(ConnectionError::NotConfigured)?;
    let sealed = sealed_of(&row).ok_or(ConnectionError::NoKey)?;
    let api_key = ring.open_odoo_key(tenant, &sealed)?;
    let url = Url::parse(&row.url).map_err(|_| ConnectionError::Invalid("the stored address is broken".into()))?;
    let mut config = OdooConfig::new(url, &row.database, &row.login, api_key);
    config.reach = reach;
    Ok(Client::connect(config).await)
}

/// A connection test's outcome, in the words shown to the tenant admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// `ok`, `unreachable`, `refused`, `credential_invalid` or `failed`.
    pub status: &'static str,
    pub message: String,
    pub version: Option<String>,
    /// Warnings that do not stop the connection (e.g. a key about to expire).
    pub warnings: Vec<String>,
    /// What TrueStock may read and change in Odoo, and who else can change stock there (plain words,
    /// from [`crate::odoo::survey`]); each with its severity (`ok`, `warning`, `problem`).
    pub findings: Vec<(String, String)>,
}

/// Plain words for why a connection failed: never the raw network error.
pub fn explain(error: &OdooError, url: &str) -> (&'static str, String) {
    match error {
        OdooError::BadCredentials => (
            "credential_invalid",
            "Odoo refused the login or the API key. Check the login, create a new API key for the \
             TrueStock user in Odoo, and enter it here."
                .into(),
        ),
        OdooError::AddressRefused(why) => ("refused", format!("This Odoo address is not allowed: {why}.")),
        OdooError::Transport(_) | OdooError::Concurrency | OdooError::SessionExpired => (
            "unreachable",
            format!("TrueStock could not reach Odoo at {url}. Check the address, and that Odoo is online."),
        ),
        OdooError::ResponseTooLarge { .. } | OdooError::Malformed(_) => (
            "failed",
            format!("The server at {url} does not answer like Odoo. Check the address."),
        ),
        OdooError::UnsupportedVersion(version) => (
            "failed",
            format!("This Odoo is version {version}; TrueStock works with Odoo 16 to 19."),
        ),
        OdooError::AccessDenied { model, .. } => (
            "failed",
            format!("The Odoo user may not read {model}. Give it the access rights listed in TrueStock's setup guide."),
        ),
        OdooError::RecordMissing(_) | OdooError::UserError(_) | OdooError::Server { .. } => (
            "failed",
            "Odoo answered with an error TrueStock did not expect. Try again later; if it persists, \
             check the database name."
                .into(),
        ),
    }
}

/// Tests the stored connection, records the outcome, and binds the tenant to this Odoo database on the
/// first success.
pub async fn test(
    db: &DatabaseConnection,
    ring: &KeyRing,
    tenant: TenantId,
    reach: Reach,
    actor: &Actor,
    today: NaiveDate,
) -> Result<TestOutcome, ConnectionError> {
    let row = control::find_odoo_connection(db, tenant.as_uuid())
        .await?
        .ok_or(ConnectionError::NotConfigured)?;
    let outcome = match open_client(db, ring, tenant, reach).await? {
        Ok(client) => {
            let version = client.version().text.clone();
            let mut warnings = Vec::new();
            match row.key_expires_on {
                Some(expiry) if (expiry - today).num_days() < 0 => {
                    warnings.push(format!("The API key expired on {expiry}; create a new one in Odoo."))
                }
                Some(expiry) if (expiry - today).num_days() <= KEY_EXPIRY_WARNING_DAYS => warnings.push(format!(
                    "The API key expires on {expiry}: create a new one in Odoo and enter it here before then."
                )),
                None if client.version().major >= 19 => warnings.push(
                    "Odoo 19 API keys expire: enter the key's expiry date so TrueStock can remind you in time.".into(),
                ),
                _ => {}
            }
            let findings = match crate::odoo::survey::survey(&client).await {
                Ok(survey) => survey
                    .findings()
                    .into_iter()
                    .map(|f| {
                        let severity = match f.severity {
                            crate::odoo::survey::Severity::Ok => "ok",
                            crate::odoo::survey::Severity::Warning => "warning",
                            crate::odoo::survey::Severity::Problem => "problem",
                        };
                        (severity.to_string(), f.text)
                    })
                    .collect(),
                Err(error) => {
                    tracing::info!(tenant = %tenant, %error, "Odoo rights survey failed");
                    vec![(
                        "warning".to_string(),
                        "TrueStock could not check the Odoo user's rights; try the test again later.".to_string(),
                    )]
                }
            };
            TestOutcome {
                status: "ok",
                message: format!("Connected to Odoo {version} as {}.", row.login),
                version: Some(version),
                warnings,
                findings,
            }
        }
        Err(error) => {
            tracing::info!(tenant = %tenant, error = %error, "Odoo connection test failed");
            let (status, message) = explain(&error, &row.url);
            TestOutcome {
                status,
                message,
                version: None,
                warnings: Vec::new(),
                findings: Vec::new(),
            }
        }
    };
    let findings: Vec<Value> = outcome
        .findings
        .iter()
        .map(|(severity, text)| json!({"severity": severity, "text": text}))
        .collect();
    let report = json!({"warnings": outcome.warnings, "findings": findings});
    let target = identity(
        &Url::parse(&row.url).map_err(|_| ConnectionError::Invalid("the stored address is broken".into()))?,
        &row.database,
    );
    let bind = outcome.status == "ok" && row.mirror_of.is_none();
    let details = json!({"status": outcome.status, "message": outcome.message});
    with_control_then_tenant(
        db,
        tenant,
        async |txn| {
            control::record_odoo_test(
                txn,
                tenant.as_uuid(),
                outcome.status,
                &outcome.message,
                outcome.version.as_deref(),
                &report,
            )
            .await?;
            if bind {
                control::bind_odoo_mirror(txn, tenant.as_uuid(), &target).await?;
            }
            Ok::<_, ConnectionError>(())
        },
        async |tx, ()| {
            audit::record(tx, actor, "odoo.connection.tested", &target, details).await?;
            match outcome.status {
                "credential_invalid" => {
                    alerts::record(
                        tx,
                        AlertKind::CredentialInvalid,
                        CREDENTIAL_ALERT,
                        json!({"found_by": "test"}),
                    )
                    .await?;
                }
                "ok" => {
                    alerts::resolve(tx, AlertKind::CredentialInvalid).await?;
                }
                _ => {}
            }
            crate::email::alerts::evaluate_soon(tx).await?;
            Ok(())
        },
    )
    .await?;
    Ok(outcome)
}

/// What `keys rotate` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    pub resealed: usize,
    pub current: usize,
    /// Tenants whose key could not be opened, with the reason.
    pub failed: Vec<(TenantId, String)>,
}

/// Reseals every stored key under the current master key (`truestock keys rotate`).
pub async fn rotate_keys(db: &DatabaseConnection, ring: &KeyRing) -> Result<RotationReport, DbErr> {
    let mut report = RotationReport::default();
    for row in control::list_odoo_connections(db).await? {
        let tenant = TenantId::from_uuid(row.tenant_id);
        let Some(sealed) = sealed_of(&row) else { continue };
        match ring.reseal_odoo_key(tenant, &sealed) {
            Ok(None) => report.current += 1,
            Ok(Some(new)) => {
                if control::reseal_odoo_key(
                    db,
                    row.tenant_id,
                    &sealed.key_id,
                    (new.key_id, new.nonce, new.ciphertext),
                )
                .await?
                {
                    report.resealed += 1;
                }
            }
            Err(e) => report.failed.push((tenant, e.to_string())),
        }
    }
    Ok(report)
}
