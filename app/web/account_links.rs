//! The pages that account emails link to, reached without signing in: asking for a password-reset
//! link, and choosing a password through an invite's or a reset's single-use, expiring link. None of
//! them signs anyone in (DESIGN §8): after choosing a password, the person signs in as usual.
//!
//! Asking for a reset answers the same whether or not an account has the address (no enumeration),
//! is limited per client address like sign-in, and sends an account at most one link every two
//! minutes.

use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;
use chrono::Utc;
use sea_orm::TransactionTrait as _;
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::password::check_new_password;
use crate::auth::token;
use crate::db::control::{self, TokenPurpose};
use crate::domain::account::EmailAddress;
use crate::email::account as account_emails;
use crate::email::outbox::{self, Audience};

use super::AppState;
use super::auth::anonymous_page;
use super::errors::AppError;
use super::extractors::parse_form;
use super::shell::Shell;

#[derive(Template)]
#[template(path = "pages/auth/forgot.html")]
pub struct ForgotPage {
    pub shell: Shell,
    pub sent: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/auth/choose_password.html")]
pub struct ChoosePasswordPage {
    pub shell: Shell,
    pub title: &'static str,
    /// `None`: the link is used up, expired or unknown.
    pub email: Option<String>,
    pub action: String,
    pub error: Option<String>,
    pub done: bool,
}

#[get("/account/forgot")]
async fn forgot_form(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    anonymous_page(&state, &req, StatusCode::OK, |shell| {
        ForgotPage {
            shell,
            sent: false,
            error: None,
        }
        .render()
    })
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

#[post("/account/forgot")]
async fn forgot(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let form: ForgotForm = parse_form(&body)?;
    if let Some(ip) = state.client_ip(&req)
        && !state.login_limiter.check(ip)
    {
        return Err(AppError::TooManyRequests(
            "Too many attempts from this address; wait a minute.".into(),
        ));
    }
    let Ok(email) = EmailAddress::parse(&form.email) else {
        return anonymous_page(&state, &req, StatusCode::UNPROCESSABLE_ENTITY, |shell| {
            ForgotPage {
                shell,
                sent: false,
                error: Some("Type the email address of your account.".into()),
            }
            .render()
        });
    };
    if let Some(account) = control::find_account_by_email(&state.db, &email).await?
        && account.disabled_at.is_none()
        && !control::recent_account_token(&state.db, account.id, TokenPurpose::Reset, RESET_COOLDOWN_SECS).await?
    {
        let token = token::generate();
        let expires_at = Utc::now() + account_emails::RESET_LIFETIME;
        let message = account_emails::password_reset(&state.mailer, &account.display_name, &account.email, &token)
            .map_err(AppError::internal)?;
        let txn = state.db.begin().await?;
        control::create_account_token(&txn, account.id, TokenPurpose::Reset, &token::hash(&token), expires_at).await?;
        outbox::enqueue(&txn, &state.mailer, Audience::Account, &message)
            .await
            .map_err(AppError::internal)?;
        txn.commit().await?;
    }
    // The same answer whether or not the address has an account.
    anonymous_page(&state, &req, StatusCode::OK, |shell| {
        ForgotPage {
            shell,
            sent: true,
            error: None,
        }
        .render()
    })
}

/// A second reset link within this many seconds is not sent (the first is on its way).
const RESET_COOLDOWN_SECS: i64 = 120;

fn purpose_of(kind: &str) -> Option<(TokenPurpose, &'static str)> {
    match kind {
        "invite" => Some((TokenPurpose::Invite, "Choose your password")),
        "reset" => Some((TokenPurpose::Reset, "Choose a new password")),
        _ => None,
    }
}

#[get("/account/{kind}/{token}")]
async fn choose_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (kind, token) = path.into_inner();
    let (purpose, title) = purpose_of(&kind).ok_or(AppError::NotFound)?;
    let account = control::account_of_token(&state.db, &token::hash(&token), purpose).await?;
    let status = if account.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    anonymous_page(&state, &req, status, |shell| {
        ChoosePasswordPage {
            shell,
            title,
            email: account.map(|a| a.email),
            action: req.path().to_string(),
            error: None,
            done: false,
        }
        .render()
    })
}

#[derive(Deserialize)]
struct ChooseForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

#[post("/account/{kind}/{token}")]
async fn choose(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (kind, token) = path.into_inner();
    let (purpose, title) = purpose_of(&kind).ok_or(AppError::NotFound)?;
    let token_hash = token::hash(&token);
    let form: ChooseForm = parse_form(&body)?;
    let page = |status, email: Option<String>, error: Option<String>, done: bool| {
        anonymous_page(&state, &req, status, |shell| {
            ChoosePasswordPage {
                shell,
                title,
                email,
                action: req.path().to_string(),
                error,
                done,
            }
            .render()
        })
    };
    let Some(account) = control::account_of_token(&state.db, &token_hash, purpose).await? else {
        return page(StatusCode::GONE, None, None, false);
    };
    let refusal = check_new_password(&form.new_password).err().or_else(|| {
        (form.new_password != form.confirm_password).then(|| "The password and its repetition differ.".to_string())
    });
    if let Some(why) = refusal {
        return page(StatusCode::UNPROCESSABLE_ENTITY, Some(account.email), Some(why), false);
    }
    let hash = state.passwords.hash(&SecretString::from(form.new_password)).await?;
    // The token is used up, the password set and the notice queued together; a second submission of
    // the same link finds the token used and changes nothing.
    let txn = state.db.begin().await?;
    let Some(account) = control::set_password_with_token(&txn, &token_hash, purpose, &hash).await? else {
        txn.rollback().await?;
        return page(StatusCode::GONE, None, None, false);
    };
    if purpose == TokenPurpose::Reset {
        let notice = account_emails::password_changed(&state.mailer, &account.display_name, &account.email)
            .map_err(AppError::internal)?;
        outbox::enqueue(&txn, &state.mailer, Audience::Account, &notice)
            .await
            .map_err(AppError::internal)?;
    }
    txn.commit().await?;
    page(StatusCode::OK, Some(account.email), None, true)
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(forgot_form)
        .service(forgot)
        .service(choose_form)
        .service(choose);
}
