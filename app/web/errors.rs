//! The crate-wide web error: each variant maps once to a status and a message a person can act on.
//! Internals are logged with their cause chain, never shown. For htmx requests the [`htmx_toasts`]
//! middleware turns an error page into a toast fragment swapped into `#toasts`.
//!
//! [`htmx_toasts`]: super::middleware::htmx_toasts

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::shell::Shell;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("CSRF check failed")]
    CsrfRefused,
    #[error("sign-in required")]
    SignInRequired { next: Option<String>, htmx: bool },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The message shown to a person, kept on error responses so htmx requests can get it as a toast.
#[derive(Debug, Clone)]
pub struct ErrorMessage(pub String);

impl AppError {
    /// Logs `err` with its cause chain and hides it behind a generic 500.
    pub fn internal(err: impl std::error::Error) -> Self {
        // The chain is logged here and kept only inside the error value: the page says nothing of it.
        let mut chain = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(error = %chain, "unexpected error");
        Self::Internal(chain)
    }

    fn title_and_message(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => (
                "Not found",
                "There is nothing here, or you do not have access to it.".into(),
            ),
            AppError::Forbidden(why) => ("Not allowed", (*why).to_string()),
            AppError::CsrfRefused => (
                "Request refused",
                "This form has expired or did not come from TrueStock. Reload the page and try again.".into(),
            ),
            AppError::SignInRequired { .. } => ("Sign-in required", "Please sign in again.".into()),
            AppError::BadRequest(why) => ("Bad request", why.clone()),
            AppError::PayloadTooLarge => ("Too large", "The submitted data is too large.".into()),
            AppError::TooManyRequests(why) => ("Too many requests", why.clone()),
            AppError::Unavailable(why) => ("Unavailable", why.clone()),
            AppError::Internal(_) => (
                "Something went wrong",
                "Something went wrong on our side. It has been logged; please try again in a moment.".into(),
            ),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::internal(err)
    }
}

impl From<crate::auth::password::PasswordError> for AppError {
    fn from(err: crate::auth::password::PasswordError) -> Self {
        AppError::internal(err)
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
pub struct ErrorPage {
    pub shell: Shell,
    pub status: u16,
    pub title: String,
    pub message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::CsrfRefused => StatusCode::FORBIDDEN,
            AppError::SignInRequired { htmx: true, .. } => StatusCode::UNAUTHORIZED,
            AppError::SignInRequired { htmx: false, .. } => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::SignInRequired { next, htmx } = self {
            let location = super::paths::login(next.as_deref());
            let mut res = HttpResponse::build(self.status_code());
            if *htmx {
                res.insert_header(("HX-Redirect", location));
            } else {
                res.insert_header((header::LOCATION, location));
            }
            // The browser's session cookie names a session that is over: forget it (both modes' names;
            // a browser ignores the one that does not apply).
            for policy in [super::CookiePolicy::new(false), super::CookiePolicy::new(true)] {
                res.cookie(policy.removal(policy.session));
            }
            return res.finish();
        }
        let status = self.status_code();
        let (title, message) = self.title_and_message();
        let page = ErrorPage {
            shell: Shell::anonymous(),
            status: status.as_u16(),
            title: title.into(),
            message: message.clone(),
        };
        let body = page.render().unwrap_or_else(|_| message.clone());
        let mut res = HttpResponse::build(status)
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ))
            .body(body);
        res.extensions_mut().insert(ErrorMessage(message));
        res
    }
}
