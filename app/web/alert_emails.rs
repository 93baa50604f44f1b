//! Tenant admin: the tenant's alert emails and how their delivery went — queued, sent, or failed with
//! the server's answer — and a retry for a failed one. Account emails (invites, resets) belong to no
//! tenant and never appear here; neither does any email's body.

use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use crate::db::outbox;
use crate::email::outbox::retry_failed;

use super::AppState;
use super::errors::AppError;
use super::extractors::{AdminRole, Authorized};
use super::format::ago;
use super::paths;
use super::shell::{Section, Shell};

/// How many emails the page lists.
const SHOWN: u64 = 200;

pub struct EmailView {
    pub recipient: String,
    pub subject: String,
    pub template: String,
    pub state: String,
    pub attempts: i32,
    pub queued: String,
    pub outcome: String,
    pub retry_action: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/emails.html")]
pub struct EmailsPage {
    pub shell: Shell,
    pub emails: Vec<EmailView>,
    pub failed: i64,
    pub only_failed: bool,
    pub all_href: String,
    pub failed_href: String,
}

#[derive(Deserialize)]
struct EmailsQuery {
    #[serde(default)]
    state: Option<String>,
}

fn outcome(row: &outbox::Summary, now: chrono::DateTime<Utc>) -> String {
    let answer = match (row.last_smtp_code, &row.last_error) {
        (Some(code), Some(error)) => format!("{code}: {error}"),
        (None, Some(error)) => error.clone(),
        (Some(code), None) => code.to_string(),
        (None, None) => String::new(),
    };
    match row.state.as_str() {
        "sent" => format!("sent {}", ago(row.sent_at, now)),
        "failed" => format!("failed {}; {answer}", ago(row.failed_at, now)),
        _ if answer.is_empty() => "waiting for delivery".into(),
        _ => format!("retrying; last answer {answer}"),
    }
}

#[get("/t/{slug}/settings/emails")]
async fn index(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    query: web::Query<EmailsQuery>,
) -> Result<EmailsPage, AppError> {
    let only_failed = match query.state.as_deref() {
        None | Some("") | Some("all") => false,
        Some("failed") => true,
        Some(other) => return Err(AppError::BadRequest(format!("No email state is called {other:?}."))),
    };
    let tenant = member.tenant.as_uuid();
    let rows = outbox::list_for_tenant(&state.db, tenant, only_failed, SHOWN).await?;
    let failed = outbox::count_failed(&state.db, tenant).await?;
    let slug = member.slug.as_str();
    let now = Utc::now();
    Ok(EmailsPage {
        shell: Shell::member(&member, Section::Emails),
        emails: rows
            .iter()
            .map(|row| EmailView {
                recipient: row.recipient.clone(),
                subject: row.subject.clone(),
                template: row.template.replace('_', " "),
                state: row.state.clone(),
                attempts: row.attempts,
                queued: ago(Some(row.created_at), now),
                outcome: outcome(row, now),
                retry_action: (row.state == "failed").then(|| paths::email_retry(slug, row.id)),
            })
            .collect(),
        failed,
        only_failed,
        all_href: paths::emails(slug),
        failed_href: format!("{}?state=failed", paths::emails(slug)),
    })
}

#[post("/t/{slug}/settings/emails/{id}/retry")]
async fn retry(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    // Only a failed alert email of this tenant: another tenant's, or an account email, is not found.
    if !retry_failed(&state.db, member.tenant, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, paths::emails(member.slug.as_str())))
        .finish())
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(index).service(retry);
}
