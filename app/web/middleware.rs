//! Middleware, outermost first: [`observe`] (request span, metrics), [`security_headers`] (on every
//! response, errors and static files included), [`htmx_toasts`] (errors as toast fragments for htmx
//! requests) and [`csrf_guard`] (every non-GET request).
//!
//! None of them returns `Err`: a refusal is turned into a response right here, so the outer
//! middleware still sees it and adds its headers.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, HttpResponse, ResponseError as _, web};
use askama::Template;
use tracing::Instrument as _;

use crate::auth::csrf::{self, Binding};

use super::AppState;
use super::errors::{AppError, ErrorMessage};

/// Paths that take non-GET requests without a CSRF token because they authenticate otherwise
/// (DESIGN §8): the Odoo webhook (a secret per-tenant URL) and the RFC 8058 one-click unsubscribe (a
/// signed token naming the recipient and the rules).
const CSRF_EXEMPT_PREFIXES: &[&str] = &["/hooks/odoo/", "/unsubscribe/"];

/// Wraps each request in a tracing span with a request id, and records its metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!(
        "request",
        id = %&request_id[..12],
        method = %req.method(),
        path = %req.path(),
        tenant = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
    let server_timing = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.server_timing);
    let method = req.method().to_string();
    let started = Instant::now();
    let (res, sql) = crate::telemetry::with_sql_time(next.call(req).instrument(span.clone())).await;
    let mut res = res?;
    if server_timing {
        // Total and SQL time, in milliseconds (`bench stock` reads them).
        let value = format!(
            "app;dur={:.3}, db;dur={:.3}",
            started.elapsed().as_secs_f64() * 1000.0,
            sql.as_secs_f64() * 1000.0
        );
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            res.headers_mut()
                .insert(header::HeaderName::from_static("server-timing"), value);
        }
    }
    let status = res.status().as_u16();
    span.record("status", status);
    if let Some(metrics) = metrics {
        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
        metrics.observe_request(&method, &route, status, started.elapsed());
    }
    let _enter = span.enter();
    if status >= 500 {
        tracing::error!(elapsed_ms = started.elapsed().as_millis() as u64, "request failed");
    } else {
        tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "request done");
    }
    Ok(res.map_into_boxed_body())
}

/// DESIGN §8's headers on every response. Pages are `no-store` unless a handler chose otherwise
/// (static files are cacheable).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let hsts = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.cookies.secure);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let fixed: [(&str, &str); 7] = [
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    for (name, value) in fixed {
        // A handler may set a stricter policy of its own (the dev mailbox's email view does).
        if name == "content-security-policy" && headers.contains_key(name) {
            continue;
        }
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.append(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(res.map_into_boxed_body())
}

#[derive(Template)]
#[template(path = "partials/_toast.html")]
struct ToastPartial<'a> {
    message: &'a str,
}

/// For htmx requests, replaces an error page by a toast fragment appended to `#toasts`.
pub async fn htmx_toasts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let htmx = req.headers().contains_key("HX-Request");
    let res = next.call(req).await?.map_into_boxed_body();
    if !htmx || res.status().as_u16() < 400 {
        return Ok(res);
    }
    let Some(ErrorMessage(message)) = res.response().extensions().get::<ErrorMessage>().cloned() else {
        return Ok(res);
    };
    let status = res.status();
    let body = ToastPartial { message: &message }
        .render()
        .unwrap_or_else(|_| message.clone());
    let toast = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header(("HX-Retarget", "#toasts"))
        .insert_header(("HX-Reswap", "beforeend"))
        // A refused request's URL (a bad filter) does not go into the browser's history.
        .insert_header(("HX-Push-Url", "false"))
        .body(body);
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, toast))
}

/// Refuses (403) a state-changing request that is cross-site or lacks the token bound to its session
/// (or, before sign-in, to its pre-session cookie).
pub async fn csrf_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || CSRF_EXEMPT_PREFIXES.iter().any(|p| req.path().starts_with(p)) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_length.is_some_and(|len| len > super::MAX_BODY_BYTES) {
        let (http_req, _) = req.into_parts();
        return Ok(ServiceResponse::new(
            http_req,
            AppError::PayloadTooLarge.error_response(),
        ));
    }
    match csrf_verdict(&mut req).await {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(refusal) => {
            let error = match refusal {
                Refusal::TooLarge => AppError::PayloadTooLarge,
                Refusal::Csrf(reason) => {
                    tracing::info!(reason, "CSRF check refused a request");
                    AppError::CsrfRefused
                }
            };
            let (http_req, _) = req.into_parts();
            Ok(ServiceResponse::new(http_req, error.error_response()))
        }
    }
}

enum Refusal {
    Csrf(&'static str),
    TooLarge,
}

/// Whether `origin` (the `Origin` header) is this site: `TRUESTOCK_BASE_URL`'s origin when set,
/// otherwise the host the browser addressed (`Host`), whatever the scheme a proxy terminated.
fn same_origin(origin: &str, state: &AppState, host: Option<&str>) -> bool {
    match &state.origin {
        Some(expected) => origin == expected,
        None => host.is_some_and(|host| {
            origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                == Some(host)
        }),
    }
}

async fn csrf_verdict(req: &mut ServiceRequest) -> Result<(), Refusal> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or(Refusal::Csrf("no state"))?;
    let header_text = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    // Fetch metadata first, with Origin as the fallback for browsers that do not send it.
    match header_text("Sec-Fetch-Site").as_deref() {
        Some("same-origin") | Some("none") => {}
        Some(_) => return Err(Refusal::Csrf("cross-site Sec-Fetch-Site")),
        None => {
            if let Some(origin) = header_text("Origin")
                && !same_origin(&origin, &state, header_text("Host").as_deref())
            {
                return Err(Refusal::Csrf("foreign Origin"));
            }
        }
    }
    // A token may be bound to the session or, before sign-in, to the pre-session cookie. Both are
    // accepted: a browser whose session ended server-side still holds a signed session cookie, and
    // must still be able to sign in again with the form it was given.
    let mut bindings = Vec::with_capacity(2);
    if let Some(session_id) = state.session_id_from_cookie(req.request()) {
        bindings.push(Binding::Session(session_id));
    }
    if let Some(cookie) = req.cookie(state.cookies.pre_session) {
        bindings.push(Binding::PreSession(cookie.value().to_string()));
    }
    if bindings.is_empty() {
        return Err(Refusal::Csrf("no session or pre-session cookie"));
    }
    let presented = match header_text(csrf::HEADER) {
        Some(token) => token,
        None => form_token(req).await?.ok_or(Refusal::Csrf("no token"))?,
    };
    if bindings.iter().any(|binding| state.csrf.verify(binding, &presented)) {
        Ok(())
    } else {
        Err(Refusal::Csrf("wrong token"))
    }
}

/// Reads `csrf_token` from a urlencoded body and puts the body back for the handler.
async fn form_token(req: &mut ServiceRequest) -> Result<Option<String>, Refusal> {
    let is_form = req.content_type() == "application/x-www-form-urlencoded";
    if !is_form {
        return Ok(None);
    }
    // The only way to fail here is a body over the PayloadConfig limit (chunked, so not caught above).
    let body = req.extract::<web::Bytes>().await.map_err(|_| Refusal::TooLarge)?;
    let token = url::form_urlencoded::parse(&body)
        .find(|(key, _)| key == csrf::FORM_FIELD)
        .map(|(_, value)| value.into_owned());
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(token)
}
