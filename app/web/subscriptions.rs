//! What each person receives: a member's own alert subscriptions (at once, in the daily digest, or not
//! at all, per rule), and the two pages email links open without a sign-in — the one-click unsubscribe
//! (RFC 8058: its POST unsubscribes, its GET only asks) and the confirmation of an external address.
//! Both act only on what their signed token names.

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use uuid::Uuid;

use crate::db::control;
use crate::db::tenancy::with_tenant;
use crate::db::{alert_rules, location_groups};
use crate::domain::alert::{Delivery, Recipient, RuleKind};
use crate::email::alerts::{read_confirm, read_unsubscribe, receives};

use super::AppState;
use super::auth::anonymous_page;
use super::auth::render;
use super::errors::AppError;
use super::extractors::{Member, parse_form};
use super::members::Choice;
use super::paths;
use super::shell::{Section, Shell};

pub struct SubscriptionView {
    pub name: String,
    pub kind: String,
    pub action: String,
    pub deliveries: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/alerts/subscriptions.html")]
pub struct SubscriptionsPage {
    pub shell: Shell,
    pub email: String,
    pub rules: Vec<SubscriptionView>,
}

#[get("/t/{slug}/alerts")]
async fn index(state: web::Data<AppState>, member: Member) -> Result<SubscriptionsPage, AppError> {
    let me = control::find_member(&state.db, member.tenant, member.membership_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let recipient = Recipient::Account(me.account_id).to_string();
    let slug = member.slug.as_str();
    let rules = with_tenant(&state.db, member.tenant, async |tx| {
        let groups = location_groups::list(tx).await?;
        let named = alert_rules::recipients(tx).await?;
        let deliveries = alert_rules::deliveries(tx).await?;
        let rules = alert_rules::list(tx).await?;
        Ok::<_, AppError>(
            rules
                .into_iter()
                .filter(|r| r.enabled && receives(r, &me, &named, &groups))
                .map(|r| {
                    let chosen = deliveries.get(&(r.id, recipient.clone())).copied().unwrap_or_default();
                    SubscriptionView {
                        kind: RuleKind::parse(&r.kind).map_or("", RuleKind::label).to_string(),
                        action: format!("{}/{}", paths::subscriptions(slug), r.id),
                        deliveries: Delivery::ALL
                            .iter()
                            .map(|d| Choice {
                                value: d.as_str().into(),
                                label: d.label().into(),
                                checked: *d == chosen,
                            })
                            .collect(),
                        name: r.name,
                    }
                })
                .collect(),
        )
    })
    .await?;
    Ok(SubscriptionsPage {
        shell: Shell::member(&member, Section::Subscriptions),
        email: me.email,
        rules,
    })
}

#[derive(Deserialize)]
struct DeliveryForm {
    #[serde(default)]
    delivery: String,
}

#[post("/t/{slug}/alerts/{rule}")]
async fn choose(
    state: web::Data<AppState>,
    member: Member,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let rule_id = Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    let form: DeliveryForm = parse_form(&body)?;
    let delivery = Delivery::parse(&form.delivery)
        .ok_or_else(|| AppError::BadRequest("Choose at once, the daily digest, or not at all.".into()))?;
    let me = control::find_member(&state.db, member.tenant, member.membership_id)
        .await?
        .ok_or(AppError::NotFound)?;
    with_tenant(&state.db, member.tenant, async |tx| {
        let rule = alert_rules::find(tx, rule_id).await?.ok_or(AppError::NotFound)?;
        let groups = location_groups::list(tx).await?;
        let named = alert_rules::recipients(tx).await?;
        // Only a rule that reaches this member (404 otherwise, like any object not theirs).
        if !receives(&rule, &me, &named, &groups) {
            return Err(AppError::NotFound);
        }
        alert_rules::set_delivery(tx, rule_id, Recipient::Account(me.account_id), delivery).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, paths::subscriptions(member.slug.as_str())))
        .finish())
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/alerts/unsubscribe.html")]
pub struct UnsubscribePage {
    pub shell: Shell,
    /// The rules the link names (that still exist).
    pub rules: Vec<String>,
    pub done: bool,
}

/// The rule names a valid unsubscribe token names; 404 for a token we did not sign.
async fn unsubscribe_target(
    state: &AppState,
    token: &str,
) -> Result<(crate::domain::tenant::TenantId, Vec<Uuid>, Recipient, Vec<String>), AppError> {
    let (tenant, rule_ids, recipient) = read_unsubscribe(&state.mailer, token).ok_or(AppError::NotFound)?;
    // A link of a deleted tenant leads nowhere.
    control::find_tenant(&state.db, tenant)
        .await?
        .ok_or(AppError::NotFound)?;
    let names = with_tenant(&state.db, tenant, async |tx| {
        let rules = alert_rules::list(tx).await?;
        Ok::<_, AppError>(
            rules
                .into_iter()
                .filter(|r| rule_ids.contains(&r.id))
                .map(|r| r.name)
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    Ok((tenant, rule_ids, recipient, names))
}

/// The link in an alert email: asks, changes nothing (mail scanners follow links).
#[get("/unsubscribe/{token}")]
async fn unsubscribe_form(state: web::Data<AppState>, path: web::Path<String>) -> Result<UnsubscribePage, AppError> {
    let (_, _, _, rules) = unsubscribe_target(&state, &path).await?;
    Ok(UnsubscribePage {
        shell: Shell::anonymous(),
        rules,
        done: false,
    })
}

/// RFC 8058 one-click: the mail program POSTs `List-Unsubscribe=One-Click`; the confirm page's button
/// POSTs the same. Authenticated by the signed token alone (exempt from the CSRF check).
#[post("/unsubscribe/{token}")]
async fn unsubscribe(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (tenant, rule_ids, recipient, rules) = unsubscribe_target(&state, &path).await?;
    with_tenant(&state.db, tenant, async |tx| {
        for rule in alert_rules::list(tx).await?.iter().filter(|r| rule_ids.contains(&r.id)) {
            alert_rules::set_delivery(tx, rule.id, recipient, Delivery::Off).await?;
        }
        Ok::<_, AppError>(())
    })
    .await?;
    render(
        StatusCode::OK,
        &UnsubscribePage {
            shell: Shell::anonymous(),
            rules,
            done: true,
        },
    )
}

#[derive(Template)]
#[template(path = "pages/alerts/confirm.html")]
pub struct ConfirmPage {
    pub shell: Shell,
    pub email: String,
    pub rule: String,
    pub action: String,
    pub done: bool,
}

/// The recipient and rule a valid confirmation token names; 404 otherwise.
async fn confirm_target(state: &AppState, token: &str, confirming: bool) -> Result<(String, String), AppError> {
    let (tenant, recipient_id) = read_confirm(&state.mailer, token).ok_or(AppError::NotFound)?;
    control::find_tenant(&state.db, tenant)
        .await?
        .ok_or(AppError::NotFound)?;
    with_tenant(&state.db, tenant, async |tx| {
        let recipient = if confirming {
            alert_rules::confirm_recipient(tx, recipient_id).await?
        } else {
            alert_rules::recipients(tx)
                .await?
                .into_iter()
                .find(|r| r.id == recipient_id)
        };
        let recipient = recipient.ok_or(AppError::NotFound)?;
        let rule = alert_rules::find(tx, recipient.rule_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((recipient.email, rule.name))
    })
    .await
}

/// The confirmation page: asks on GET (link scanners must not confirm anyone), confirms on POST.
async fn confirm_page(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    confirming: bool,
) -> Result<HttpResponse, AppError> {
    let (email, rule) = confirm_target(state, token, confirming).await?;
    anonymous_page(state, req, StatusCode::OK, |shell| {
        ConfirmPage {
            shell,
            email,
            rule,
            action: req.path().to_string(),
            done: confirming,
        }
        .render()
    })
}

#[get("/alerts/confirm/{token}")]
async fn confirm_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    confirm_page(&state, &req, &path, false).await
}

#[post("/alerts/confirm/{token}")]
async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    confirm_page(&state, &req, &path, true).await
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(index)
        .service(choose)
        .service(unsubscribe_form)
        .service(unsubscribe)
        .service(confirm_form)
        .service(confirm);
}
