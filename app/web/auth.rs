//! Sign-in, sign-out and password change.
//!
//! Sign-in answers identically (status and body) for an unknown email, a disabled account and a wrong
//! password, and costs one argon2 verification in each case.

use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use chrono::Utc;
use sea_orm::TransactionTrait as _;
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::csrf::{self, Binding};
use crate::auth::password::check_new_password;
use crate::auth::session::ABSOLUTE_LIFETIME_SECS;
use crate::auth::throttle::locked_until_after_attempt;
use crate::db::control::{self, LoginClaim};
use crate::domain::account::EmailAddress;
use crate::email::account as account_emails;
use crate::email::outbox::{self, Audience};

use super::AppState;
use super::errors::AppError;
use super::extractors::{SignedIn, parse_form};
use super::paths;
use super::shell::{Section, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/login.html")]
pub struct LoginPage {
    pub shell: Shell,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// The pre-session value that binds the CSRF token of a form shown before sign-in (sign-in, forgotten
/// password, invite and reset links), minted if the browser has none (`true`: set its cookie).
fn pre_session(state: &AppState, req: &HttpRequest) -> (String, bool) {
    match req.cookie(state.cookies.pre_session) {
        Some(cookie) if !cookie.value().is_empty() && cookie.value().len() <= 64 => (cookie.value().to_string(), false),
        _ => (csrf::new_pre_session_value(), true),
    }
}

fn login_page(
    state: &AppState,
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    next: &str,
    error: Option<String>,
) -> HttpResponse {
    let next = paths::safe_next(next).unwrap_or_default().to_string();
    anonymous_page(state, req, status, |shell| LoginPage { shell, next, error }.render())
        .unwrap_or_else(|e| actix_web::ResponseError::error_response(&e))
}

/// Renders a page shown before sign-in, with its CSRF token bound to the browser's pre-session.
pub(super) fn anonymous_page(
    state: &AppState,
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    page: impl FnOnce(Shell) -> Result<String, askama::Error>,
) -> Result<HttpResponse, AppError> {
    let (value, fresh) = pre_session(state, req);
    let shell = Shell::with_csrf(state.csrf.token(&Binding::PreSession(value.clone())));
    let body = page(shell).map_err(AppError::internal)?;
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    if fresh {
        res.cookie(state.cookies.pre_session_cookie(value));
    }
    Ok(res.body(body))
}

#[get("/login")]
async fn login_form(state: web::Data<AppState>, req: HttpRequest, query: web::Query<LoginQuery>) -> HttpResponse {
    login_page(
        &state,
        &req,
        actix_web::http::StatusCode::OK,
        query.next.as_deref().unwrap_or_default(),
        None,
    )
}

const WRONG_CREDENTIALS: &str = "The email or password is incorrect.";

/// The throttle key of what was typed as an email: trimmed, lowercase, without control characters
/// (a NUL could not even be stored), at most 254 characters.
fn throttle_key(typed: &str) -> String {
    typed
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect()
}

/// Counts an attempt on `email_key` before its password is checked (see `control::claim_login_attempt`).
async fn claim(state: &AppState, email_key: &str) -> Result<LoginClaim, AppError> {
    let lock_after = |counts: &control::ThrottleState, now| {
        locked_until_after_attempt(
            counts.consecutive_failures,
            counts.failures_in_window,
            counts.window_started_at,
            now,
        )
    };
    Ok(control::claim_login_attempt(&state.db, email_key, lock_after).await?)
}

fn locked_message(until: chrono::DateTime<Utc>) -> String {
    let minutes = ((until - Utc::now()).num_seconds() + 59) / 60;
    format!(
        "Too many failed attempts for this email. Try again in {} minute(s).",
        minutes.max(1)
    )
}

#[post("/login")]
async fn login(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, AppError> {
    use actix_web::http::StatusCode;
    let form: LoginForm = parse_form(&body)?;
    let refuse = |status, message: String| Ok(login_page(&state, &req, status, &form.next, Some(message)));

    if let Some(ip) = state.client_ip(&req)
        && !state.login_limiter.check(ip)
    {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts from your network. Wait a minute and try again.".into(),
        );
    }
    // Throttling is keyed by what was typed, so unknown addresses are treated exactly like known ones.
    let email_key = throttle_key(&form.email);
    if let LoginClaim::Locked(until) = claim(&state, &email_key).await? {
        return refuse(StatusCode::TOO_MANY_REQUESTS, locked_message(until));
    }
    let account = match EmailAddress::parse(&form.email) {
        Ok(email) => control::find_account_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let password = SecretString::from(form.password.clone());
    let verification = state
        .passwords
        .verify(&password, account.as_ref().map(|a| a.password_hash.as_str()))
        .await?;
    let Some(mut account) = account.filter(|a| verification.matches && a.disabled_at.is_none()) else {
        return refuse(StatusCode::UNAUTHORIZED, WRONG_CREDENTIALS.into());
    };

    control::clear_login_failures(&state.db, &email_key).await?;
    if verification.needs_rehash {
        let hash = state.passwords.hash(&password).await?;
        control::set_password_hash(&state.db, account.id, &hash, false, None).await?;
        account.password_hash = hash;
    }
    // A new session id at every sign-in (no fixation); the browser's previous session ends.
    if let Some(previous) = state.session_id_from_cookie(&req) {
        control::end_session(&state.db, previous, "replaced_by_sign_in").await?;
    }
    let expires_at = Utc::now() + chrono::Duration::seconds(ABSOLUTE_LIFETIME_SECS);
    let ip = state.client_ip(&req).map(|ip| ip.to_string());
    // No session if the password changed (or the account was disabled) while this one was checked.
    let Some(session_id) =
        control::create_session(&state.db, account.id, &account.password_hash, expires_at, ip).await?
    else {
        return refuse(StatusCode::UNAUTHORIZED, WRONG_CREDENTIALS.into());
    };
    let tenants = control::tenants_of_account(&state.db, account.id).await?;
    let target = match (paths::safe_next(&form.next), tenants.as_slice()) {
        (Some(next), _) => next.to_string(),
        (None, [only]) => paths::tenant_home(&only.slug),
        (None, _) => paths::TENANT_PICKER.to_string(),
    };
    tracing::info!(account = %account.id, "signed in");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .cookie(state.cookies.session_cookie(state.tokens.issue(session_id, expires_at)))
        .cookie(state.cookies.removal(state.cookies.pre_session))
        .finish())
}

#[post("/logout")]
async fn logout(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    if let Some(session_id) = state.session_id_from_cookie(&req) {
        control::end_session(&state.db, session_id, "signed_out").await?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, paths::login(None)))
        .cookie(state.cookies.removal(state.cookies.session))
        .finish())
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/password.html")]
pub struct PasswordPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub done: bool,
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

#[get("/account/password")]
async fn password_form(user: SignedIn) -> PasswordPage {
    PasswordPage {
        shell: Shell::signed_in(&user, Section::Account),
        error: None,
        done: false,
    }
}

#[post("/account/password")]
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form: PasswordForm = parse_form(&body)?;
    let refuse = |message: &str| {
        let page = PasswordPage {
            shell: Shell::signed_in(&user, Section::Account),
            error: Some(message.into()),
            done: false,
        };
        render(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let account = control::find_account(&state.db, user.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Guessing the current password from a stolen session is throttled like sign-in.
    let email_key = throttle_key(&account.email);
    if let LoginClaim::Locked(until) = claim(&state, &email_key).await? {
        return refuse(&locked_message(until));
    }
    let current = SecretString::from(form.current_password);
    if !state
        .passwords
        .verify(&current, Some(&account.password_hash))
        .await?
        .matches
    {
        return refuse("The current password is incorrect.");
    }
    control::clear_login_failures(&state.db, &email_key).await?;
    if let Err(why) = check_new_password(&form.new_password) {
        return refuse(&why);
    }
    if form.new_password != form.confirm_password {
        return refuse("The new password and its confirmation differ.");
    }
    let hash = state.passwords.hash(&SecretString::from(form.new_password)).await?;
    // Every session ends, this one included; this browser continues on a fresh session. The notice to
    // the account's address commits with the change.
    let notice = account_emails::password_changed(&state.mailer, &account.display_name, &account.email)
        .map_err(AppError::internal)?;
    let txn = state.db.begin().await?;
    control::set_password_hash(&txn, user.account_id, &hash, true, None).await?;
    outbox::enqueue(&txn, &state.mailer, Audience::Account, &notice)
        .await
        .map_err(AppError::internal)?;
    txn.commit().await?;
    let expires_at = Utc::now() + chrono::Duration::seconds(ABSOLUTE_LIFETIME_SECS);
    let ip = state.client_ip(&req).map(|ip| ip.to_string());
    let session_id = control::create_session(&state.db, user.account_id, &hash, expires_at, ip)
        .await?
        .ok_or(AppError::SignInRequired {
            next: None,
            htmx: false,
        })?;
    let fresh = SignedIn {
        session_id,
        csrf_token: state.csrf.token(&Binding::Session(session_id)),
        ..user
    };
    let page = PasswordPage {
        shell: Shell::signed_in(&fresh, Section::Account),
        error: None,
        done: true,
    };
    let mut res = render(actix_web::http::StatusCode::OK, &page)?;
    res.add_cookie(&state.cookies.session_cookie(state.tokens.issue(session_id, expires_at)))
        .map_err(AppError::internal)?;
    Ok(res)
}

/// Renders a page with a status of the handler's choosing.
pub fn render(status: actix_web::http::StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let body = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(login_form)
        .service(login)
        .service(logout)
        .service(password_form)
        .service(change_password);
}
