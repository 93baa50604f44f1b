//! The sync page (tenant admins and managers): the Odoo connection's state, each mirrored model's last
//! success and lag, the running pull's progress (the status part refreshes itself with htmx), recent
//! runs with their errors in words a person can act on, the open alerts, "sync now", and the tenant's
//! jobs with retry and cancel.

use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};

use crate::db::entities::{sync_cursor, sync_run};
use crate::db::mirror;
use crate::db::tenancy::with_tenant;
use crate::db::{alerts, control};
use crate::domain::tenant::TenantId;
use crate::jobs::{self, ChangeError};
use crate::sync::connection::SyncSettings;
use crate::sync::pull;

use super::AppState;
use super::errors::AppError;
use super::extractors::{Authorized, SyncRole};
use super::format::ago;
use super::paths;
use super::shell::{Section, Shell};

pub struct ModelView {
    pub model: String,
    pub rows: i64,
    pub last_success: String,
    /// More than two schedule periods without a success.
    pub lagging: bool,
}

pub struct RunView {
    pub kind: String,
    pub status: String,
    pub started: String,
    pub took: String,
    pub problems: Vec<String>,
}

pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: String,
    pub when: String,
    pub last_error: String,
    pub retry_action: Option<String>,
    pub cancel_action: Option<String>,
}

pub struct ConnectionView {
    pub url: String,
    pub status: String,
    pub message: String,
    pub tested: String,
    pub findings: Vec<(String, String)>,
}

/// An open alert as shown to tenant admins (the sync page and the Odoo connection page).
pub struct AlertView {
    pub kind: String,
    pub message: String,
    pub since: String,
}

/// The tenant's open alerts, oldest first.
pub(super) async fn open_alerts(state: &AppState, tenant: TenantId) -> Result<Vec<AlertView>, AppError> {
    let now = Utc::now();
    let open = with_tenant(&state.db, tenant, async |tx| alerts::open(tx).await).await?;
    Ok(open
        .into_iter()
        .map(|a| AlertView {
            kind: a.kind,
            message: a.message,
            since: ago(Some(a.created_at), now),
        })
        .collect())
}

pub struct SyncStatus {
    pub status_url: String,
    pub running: bool,
    pub rows_synced: i64,
    pub models: Vec<ModelView>,
    pub runs: Vec<RunView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/sync/index.html")]
pub struct SyncPage {
    pub shell: Shell,
    pub connection: Option<ConnectionView>,
    pub status: SyncStatus,
    pub sync_now_action: String,
    pub jobs: Vec<JobView>,
    pub notice: Option<String>,
    pub alerts: Vec<AlertView>,
}

fn run_view(run: &sync_run::Model, now: DateTime<Utc>) -> RunView {
    let mut problems: Vec<String> = run
        .models
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, report)| report["error"].as_str().map(str::to_string))
        .collect();
    problems.extend(run.error.clone());
    RunView {
        kind: run.kind.clone(),
        status: run.status.clone(),
        started: ago(Some(run.started_at), now),
        took: run
            .finished_at
            .map(|end| format!("{:.0} s", (end - run.started_at).num_milliseconds() as f64 / 1000.0))
            .unwrap_or_else(|| "running".into()),
        problems,
    }
}

async fn status(state: &AppState, member: &Authorized<SyncRole>) -> Result<SyncStatus, AppError> {
    let now = Utc::now();
    let (cursors, runs, rows_synced) = with_tenant(&state.db, member.tenant, async |tx| {
        use sea_orm::{EntityTrait, QueryOrder};
        let cursors = sync_cursor::Entity::find()
            .order_by_asc(sync_cursor::Column::Model)
            .all(tx)
            .await?;
        let runs = mirror::recent_runs(tx, 8).await?;
        let rows = mirror::rows_synced(tx).await?;
        Ok::<_, sea_orm::DbErr>((cursors, runs, rows))
    })
    .await?;
    let every = control::find_odoo_connection(&state.db, member.tenant.as_uuid())
        .await?
        .map(|row| SyncSettings::of(&row))
        .unwrap_or_default()
        .pull_every();
    let lag_limit = chrono::Duration::from_std(every * 2).unwrap_or_default();
    Ok(SyncStatus {
        status_url: paths::sync_status(member.slug.as_str()),
        running: runs.first().is_some_and(|r| r.finished_at.is_none()),
        rows_synced,
        models: cursors
            .iter()
            .map(|c| ModelView {
                model: c.model.clone(),
                rows: c.rows_synced,
                last_success: ago(c.last_success_at, now),
                lagging: c.last_success_at.is_none_or(|at| now - at > lag_limit),
            })
            .collect(),
        runs: runs.iter().map(|r| run_view(r, now)).collect(),
    })
}

#[get("/t/{slug}/sync")]
async fn index(
    state: web::Data<AppState>,
    member: Authorized<SyncRole>,
    query: web::Query<NoticeQuery>,
) -> Result<SyncPage, AppError> {
    let notice = NOTICES
        .iter()
        .find(|(code, _)| query.notice.as_deref() == Some(*code))
        .map(|(_, text)| text.to_string());
    let now = Utc::now();
    let slug = member.slug.as_str().to_string();
    let connection = control::find_odoo_connection(&state.db, member.tenant.as_uuid())
        .await?
        .map(|c| ConnectionView {
            url: c.url.clone(),
            status: c.status.clone(),
            message: c.status_detail.clone(),
            tested: ago(c.tested_at, now),
            findings: c.test_report["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    (
                        f["severity"].as_str().unwrap_or("ok").to_string(),
                        f["text"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        });
    let filter = jobs::Filter {
        tenant_id: Some(member.tenant.as_uuid()),
        state: None,
        limit: 20,
    };
    let jobs = jobs::list(&state.db, &filter)
        .await?
        .into_iter()
        .map(|job| JobView {
            retry_action: matches!(job.state.as_str(), "discarded" | "cancelled")
                .then(|| paths::sync_job(&slug, job.id, "retry")),
            cancel_action: matches!(job.state.as_str(), "queued" | "running")
                .then(|| paths::sync_job(&slug, job.id, "cancel")),
            id: job.id,
            kind: job.kind,
            attempts: format!("{} of {}", job.attempts, job.max_attempts),
            when: match job.state.as_str() {
                "queued" if job.run_at > now => format!("in {} s", (job.run_at - now).num_seconds()),
                _ => ago(job.finished_at.or(Some(job.created_at)), now),
            },
            state: job.state,
            last_error: job.last_error.unwrap_or_default(),
        })
        .collect();
    Ok(SyncPage {
        status: status(&state, &member).await?,
        shell: Shell::member(&member, Section::Sync),
        connection,
        sync_now_action: paths::sync_now(&slug),
        jobs,
        notice,
        alerts: open_alerts(&state, member.tenant).await?,
    })
}

/// The part of the page that refreshes itself while a pull runs.
#[derive(Template, WebTemplate)]
#[template(path = "pages/sync/status_part.html")]
pub struct SyncStatusPart {
    pub status: SyncStatus,
}

#[get("/t/{slug}/sync/status")]
async fn status_part(state: web::Data<AppState>, member: Authorized<SyncRole>) -> Result<SyncStatusPart, AppError> {
    Ok(SyncStatusPart {
        status: status(&state, &member).await?,
    })
}

/// What the page says after an action; the URL carries only a fixed code, never text.
const NOTICES: [(&str, &str); 4] = [
    ("queued", "A sync has been queued."),
    ("already", "A sync is already queued or running."),
    ("retried", "The job is queued again."),
    ("cancelled", "The job is cancelled."),
];

#[derive(serde::Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

fn back_to_sync(slug: &str, notice: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{}?notice={notice}", paths::sync(slug))))
        .finish()
}

#[post("/t/{slug}/sync/now")]
async fn sync_now(state: web::Data<AppState>, member: Authorized<SyncRole>) -> Result<HttpResponse, AppError> {
    let job = pull::job(member.tenant);
    let notice = match jobs::enqueue(&state.db, &job).await? {
        Some(_) => "queued",
        None => "already",
    };
    Ok(back_to_sync(member.slug.as_str(), notice))
}

#[post("/t/{slug}/sync/jobs/{id}/{action}")]
async fn steer_job(
    state: web::Data<AppState>,
    member: Authorized<SyncRole>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = path.1.parse().map_err(|_| AppError::NotFound)?;
    let outcome = match path.2.as_str() {
        "retry" => jobs::retry(&state.db, id, Some(member.tenant)).await,
        "cancel" => jobs::cancel(&state.db, id, Some(member.tenant)).await,
        _ => return Err(AppError::NotFound),
    };
    match outcome {
        Ok(()) => Ok(back_to_sync(
            member.slug.as_str(),
            if path.2 == "retry" { "retried" } else { "cancelled" },
        )),
        Err(ChangeError::NotFound) => Err(AppError::NotFound),
        Err(error @ (ChangeError::WrongState(..) | ChangeError::Duplicate)) => {
            Err(AppError::BadRequest(format!("Job {id}: {error}.")))
        }
        Err(ChangeError::Db(e)) => Err(e.into()),
    }
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(index)
        .service(status_part)
        .service(sync_now)
        .service(steer_job);
}
