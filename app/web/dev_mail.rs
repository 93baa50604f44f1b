//! The demo's mailbox (dev mode only): the emails the in-process SMTP sink received — invites,
//! resets, alerts — as their recipients would read them. Without the sink (any real deployment) every
//! path here is 404.

use std::sync::Arc;

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get};
use askama::Template;
use askama_web::WebTemplate;
use chrono::Utc;

use crate::email::sink::{Received, SmtpSink};

use super::AppState;
use super::errors::AppError;
use super::format::ago;
use super::shell::Shell;

pub struct MailView {
    pub number: usize,
    pub to: String,
    pub subject: String,
    pub received: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/dev/mailbox.html")]
pub struct MailboxPage {
    pub shell: Shell,
    pub messages: Vec<MailView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/dev/message.html")]
pub struct MessagePage {
    pub shell: Shell,
    pub number: usize,
    pub headers: Vec<(&'static str, String)>,
    pub text: String,
}

fn mailbox(state: &AppState) -> Result<&Arc<SmtpSink>, AppError> {
    state.dev_mailbox.as_ref().ok_or(AppError::NotFound)
}

/// Message `number` (1 = the first received).
fn message(state: &AppState, number: usize) -> Result<Received, AppError> {
    let messages = mailbox(state)?.messages();
    number
        .checked_sub(1)
        .and_then(|i| messages.get(i).cloned())
        .ok_or(AppError::NotFound)
}

#[get("/dev/mail")]
async fn index(state: web::Data<AppState>) -> Result<MailboxPage, AppError> {
    let now = Utc::now();
    let messages = mailbox(&state)?
        .messages()
        .iter()
        .enumerate()
        .rev()
        .map(|(i, m)| MailView {
            number: i + 1,
            to: m.to.join(", "),
            subject: m.subject(),
            received: ago(Some(m.received_at), now),
        })
        .collect();
    Ok(MailboxPage {
        shell: Shell::anonymous(),
        messages,
    })
}

#[get("/dev/mail/{number}")]
async fn show(state: web::Data<AppState>, path: web::Path<usize>) -> Result<MessagePage, AppError> {
    let number = path.into_inner();
    let m = message(&state, number)?;
    let header = |name: &str| m.header(name).unwrap_or_default();
    Ok(MessagePage {
        shell: Shell::anonymous(),
        number,
        headers: vec![
            ("From", header("From")),
            ("To", header("To")),
            ("Subject", m.subject()),
            ("Date", header("Date")),
            ("Message-ID", header("Message-ID")),
            ("List-Unsubscribe", header("List-Unsubscribe")),
        ],
        text: m.text_body(),
    })
}

/// The HTML part as the recipient's mail program shows it: inline styles, no scripts, nothing fetched.
#[get("/dev/mail/{number}/html")]
async fn html(state: web::Data<AppState>, path: web::Path<usize>) -> Result<HttpResponse, AppError> {
    let m = message(&state, path.into_inner())?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; form-action 'none'",
        ))
        .body(m.html_body()))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(index).service(show).service(html);
}
