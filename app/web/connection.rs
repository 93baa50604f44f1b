//! The tenant admin's Odoo connection page: address, database, login and API key (never shown back),
//! the key's expiry, the last test with the rights survey, a new test on demand, and the secret
//! webhook URL (shown once, when made), the sync settings (pull interval, history horizon) and the open
//! alerts. Saving tests the connection at once.

use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::db::control;
use crate::sync::connection::{self, ConnectionError, ConnectionSettings, KeyChange, SyncSettings, TestOutcome};
use crate::sync::webhook;

use super::AppState;
use super::auth::render;
use super::errors::AppError;
use super::extractors::{AdminRole, Authorized, parse_form};
use super::paths;
use super::shell::{Section, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/odoo.html")]
pub struct OdooPage {
    pub shell: Shell,
    pub action: String,
    pub test_action: String,
    pub webhook_action: String,
    pub schedule_action: String,
    pub url: String,
    pub database: String,
    pub login: String,
    pub key_expires_on: String,
    pub has_key: bool,
    pub status: String,
    pub status_detail: String,
    pub findings: Vec<(String, String)>,
    pub error: Option<String>,
    pub notice: Option<String>,
    /// Asked when the new settings point at another Odoo database.
    pub confirm_reset: bool,
    /// A freshly made webhook URL, shown this once.
    pub webhook_url: Option<String>,
    pub has_webhook: bool,
    /// The sync settings as shown in their form (what was typed, when refused).
    pub pull_every_minutes: String,
    pub horizon_months: String,
    /// A refused sync settings form's reason.
    pub schedule_error: Option<String>,
    pub alerts: Vec<super::sync::AlertView>,
}

async fn page(state: &AppState, admin: &Authorized<AdminRole>) -> Result<OdooPage, AppError> {
    let slug = admin.slug.as_str();
    let row = control::find_odoo_connection(&state.db, admin.tenant.as_uuid()).await?;
    let findings = row
        .as_ref()
        .and_then(|r| r.test_report["findings"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or("ok").to_string(),
                f["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let sync = row.as_ref().map(SyncSettings::of).unwrap_or_default();
    Ok(OdooPage {
        shell: Shell::member(admin, Section::Odoo),
        action: paths::odoo_settings(slug),
        test_action: format!("{}/test", paths::odoo_settings(slug)),
        webhook_action: format!("{}/webhook", paths::odoo_settings(slug)),
        schedule_action: format!("{}/schedule", paths::odoo_settings(slug)),
        url: row.as_ref().map(|r| r.url.clone()).unwrap_or_default(),
        database: row.as_ref().map(|r| r.database.clone()).unwrap_or_default(),
        login: row.as_ref().map(|r| r.login.clone()).unwrap_or_default(),
        key_expires_on: row
            .as_ref()
            .and_then(|r| r.key_expires_on)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        has_key: row.as_ref().is_some_and(|r| r.key_id.is_some()),
        status: row
            .as_ref()
            .map(|r| r.status.clone())
            .unwrap_or_else(|| "not connected".into()),
        status_detail: row.as_ref().map(|r| r.status_detail.clone()).unwrap_or_default(),
        findings,
        error: None,
        notice: None,
        confirm_reset: false,
        webhook_url: None,
        has_webhook: control::has_webhook(&state.db, admin.tenant.as_uuid()).await?,
        pull_every_minutes: sync.pull_every_minutes.to_string(),
        horizon_months: sync.horizon_months.to_string(),
        schedule_error: None,
        alerts: super::sync::open_alerts(state, admin.tenant).await?,
    })
}

#[get("/t/{slug}/settings/odoo")]
async fn show(state: web::Data<AppState>, admin: Authorized<AdminRole>) -> Result<OdooPage, AppError> {
    page(&state, &admin).await
}

#[derive(Deserialize)]
struct OdooForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    database: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    key_expires_on: String,
    #[serde(default)]
    confirm_reset: Option<String>,
}

fn tested(outcome: &TestOutcome) -> String {
    let mut text = outcome.message.clone();
    for warning in &outcome.warnings {
        text.push(' ');
        text.push_str(warning);
    }
    text
}

#[post("/t/{slug}/settings/odoo")]
async fn save(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form: OdooForm = parse_form(&body)?;
    let refuse = async |why: String, confirm_reset: bool| -> Result<HttpResponse, AppError> {
        let mut again = page(&state, &admin).await?;
        again.url = form.url.clone();
        again.database = form.database.clone();
        again.login = form.login.clone();
        again.key_expires_on = form.key_expires_on.clone();
        again.error = Some(why);
        again.confirm_reset = confirm_reset;
        render(StatusCode::UNPROCESSABLE_ENTITY, &again)
    };
    let key_expires_on = match form.key_expires_on.trim() {
        "" => None,
        text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                return refuse(
                    "Give the key's expiry as a date (YYYY-MM-DD), or leave it empty.".into(),
                    false,
                )
                .await;
            }
        },
    };
    let settings = ConnectionSettings {
        url: form.url.clone(),
        database: form.database.clone(),
        login: form.login.clone(),
        api_key: (!form.api_key.trim().is_empty()).then(|| secrecy::SecretString::from(form.api_key.clone())),
        key_expires_on,
    };
    let actor = admin.user.actor();
    let confirmed = form.confirm_reset.is_some();
    let saved = match connection::save(
        &state.db,
        &state.key_ring,
        admin.tenant,
        &settings,
        state.odoo_reach,
        confirmed,
        &actor,
    )
    .await
    {
        Ok(saved) => saved,
        Err(ConnectionError::Db(e)) => return Err(e.into()),
        Err(error @ ConnectionError::OtherDatabase { .. }) => return refuse(error.to_string(), true).await,
        Err(error) => return refuse(error.to_string(), false).await,
    };
    let today = chrono::Utc::now().date_naive();
    let notice = match saved.key {
        KeyChange::Cleared => {
            "Saved. The address changed, so the stored API key was removed: enter the API key.".into()
        }
        _ => match connection::test(
            &state.db,
            &state.key_ring,
            admin.tenant,
            state.odoo_reach,
            &actor,
            today,
        )
        .await
        {
            Ok(outcome) => format!("Saved. {}", tested(&outcome)),
            Err(ConnectionError::Db(e)) => return Err(e.into()),
            Err(error) => format!("Saved, but it could not be tested: {error}"),
        },
    };
    let mut done = page(&state, &admin).await?;
    done.notice = Some(notice);
    render(StatusCode::OK, &done)
}

#[post("/t/{slug}/settings/odoo/test")]
async fn test(state: web::Data<AppState>, admin: Authorized<AdminRole>) -> Result<HttpResponse, AppError> {
    let today = chrono::Utc::now().date_naive();
    let notice = match connection::test(
        &state.db,
        &state.key_ring,
        admin.tenant,
        state.odoo_reach,
        &admin.user.actor(),
        today,
    )
    .await
    {
        Ok(outcome) => tested(&outcome),
        Err(ConnectionError::Db(e)) => return Err(e.into()),
        Err(error) => error.to_string(),
    };
    let mut done = page(&state, &admin).await?;
    done.notice = Some(notice);
    render(StatusCode::OK, &done)
}

#[derive(Deserialize)]
struct ScheduleForm {
    #[serde(default)]
    pull_every_minutes: String,
    #[serde(default)]
    horizon_months: String,
}

#[post("/t/{slug}/settings/odoo/schedule")]
async fn save_schedule(
    state: web::Data<AppState>,
    admin: Authorized<AdminRole>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form: ScheduleForm = parse_form(&body)?;
    let every = SyncSettings::PULL_EVERY_MINUTES;
    let horizon = SyncSettings::HORIZON_MONTHS;
    let parsed = match (
        form.pull_every_minutes.trim().parse::<u32>(),
        form.horizon_months.trim().parse::<u32>(),
    ) {
        (Ok(minutes), Ok(months)) => SyncSettings::new(minutes, months).map_err(|e| e.to_string()),
        _ => Err(format!(
            "Give the pull interval as whole minutes ({} to {}) and the history horizon as whole months ({} to {}).",
            every.start(),
            every.end(),
            horizon.start(),
            horizon.end()
        )),
    };
    let outcome = match parsed {
        Ok(settings) => {
            match connection::save_sync_settings(&state.db, admin.tenant, settings, &admin.user.actor()).await {
                Ok(()) => Ok(()),
                Err(ConnectionError::Db(e)) => return Err(e.into()),
                Err(error) => Err(error.to_string()),
            }
        }
        Err(why) => Err(why),
    };
    let mut done = page(&state, &admin).await?;
    match outcome {
        Ok(()) => {
            done.notice = Some("Sync settings saved.".into());
            render(StatusCode::OK, &done)
        }
        Err(why) => {
            done.pull_every_minutes = form.pull_every_minutes.clone();
            done.horizon_months = form.horizon_months.clone();
            done.schedule_error = Some(why);
            render(StatusCode::UNPROCESSABLE_ENTITY, &done)
        }
    }
}

#[post("/t/{slug}/settings/odoo/webhook")]
async fn rotate_webhook(state: web::Data<AppState>, admin: Authorized<AdminRole>) -> Result<HttpResponse, AppError> {
    let mut done = page(&state, &admin).await?;
    match webhook::rotate(&state.db, admin.tenant).await? {
        Some(token) => {
            let origin = state.origin.clone().unwrap_or_default();
            done.webhook_url = Some(format!("{origin}{}", webhook::path(&token)));
            done.has_webhook = true;
        }
        None => done.error = Some("Connect an Odoo first.".into()),
    }
    render(StatusCode::OK, &done)
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(show)
        .service(save)
        .service(test)
        .service(save_schedule)
        .service(rotate_webhook);
}
