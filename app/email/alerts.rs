//! Alert emails (DESIGN §2.6): the tenant's alert rules are evaluated after each sync (and whenever an
//! admin alert opens or closes); a rule fires when its condition starts — a priority SKU turning low or
//! out, a product going below zero, a sync failure, Odoo refusing the key, the key about to expire —
//! and again only after the condition has cleared. Each recipient gets the alert at once, in the daily
//! digest at the tenant's digest hour (its time zone), or not at all, as they chose.
//!
//! Recipients are resolved from the memberships on the pool before the tenant transaction: members
//! holding one of the rule's roles, and accounts named on it, who may see the rule's place (a member
//! scoped to some location groups only hears about those); and external addresses named on it, once
//! confirmed. Every alert email carries a signed one-click unsubscribe link (RFC 8058).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use uuid::Uuid;

use super::Mailer;
use super::outbox::{self, Audience, Email, OutboxError};
use crate::db::control::{self, MemberRow, TenantRow};
use crate::db::entities::{alert_digest_item, alert_recipient, alert_rule, location_group};
use crate::db::tenancy::{TenantTxn, with_tenant};
use crate::db::{alert_rules, alerts, location_groups};
use crate::domain::alert::{Delivery, Recipient, RuleKind};
use crate::domain::tenant::TenantId;
use crate::jobs::{JobContext, JobError, NewJob, Queue};

pub const EVALUATE: &str = "alerts.evaluate";
pub const DIGEST: &str = "alerts.digest";

/// How many lines one alert lists (the link opens the rest).
const MAX_LINES: usize = 50;

/// Purpose of the signed unsubscribe links.
pub const UNSUBSCRIBE: &str = "unsubscribe";
/// Purpose of the signed links that confirm an external recipient.
pub const CONFIRM: &str = "confirm-recipient";

/// The evaluation of `tenant`'s rules. Not deduplicated: a request made while an evaluation runs
/// must not be lost (that one may have read the figures already). Evaluations of a tenant take turns
/// (see [`alert_rules::lock_evaluation`]), and one that finds nothing new sends nothing.
pub fn evaluate_job(tenant: TenantId) -> NewJob {
    NewJob::new(Queue::Email, EVALUATE).for_tenant(tenant)
}

/// Asks for an evaluation of the tenant's rules, in the caller's transaction (after a sync, or when an
/// admin alert opens or closes).
pub async fn evaluate_soon(tx: &TenantTxn) -> Result<(), DbErr> {
    crate::jobs::enqueue(tx, &evaluate_job(tx.tenant_id())).await?;
    Ok(())
}

/// The hourly digest check of `tenant`, in the window `key`.
pub fn digest_job(tenant: TenantId, key: &str) -> NewJob {
    NewJob::new(Queue::Email, DIGEST).for_tenant(tenant).scheduled(key)
}

/// Where an email's one-click unsubscribe points, for `recipient` and `rules` of `tenant`.
pub fn unsubscribe_path(mailer: &Mailer, tenant: TenantId, rules: &[Uuid], recipient: Recipient) -> String {
    let rules: Vec<String> = rules.iter().map(Uuid::to_string).collect();
    let payload = format!("{tenant}|{}|{recipient}", rules.join(","));
    format!("/unsubscribe/{}", mailer.signer().sign(UNSUBSCRIBE, &payload))
}

/// What an unsubscribe token names; `None` unless it was signed by us, for this purpose.
pub fn read_unsubscribe(mailer: &Mailer, token: &str) -> Option<(TenantId, Vec<Uuid>, Recipient)> {
    let payload = mailer.signer().verify(UNSUBSCRIBE, token)?;
    let mut parts = payload.splitn(3, '|');
    let tenant = TenantId::from_uuid(Uuid::parse_str(parts.next()?).ok()?);
    let rules: Option<Vec<Uuid>> = parts.next()?.split(',').map(|r| Uuid::parse_str(r).ok()).collect();
    let recipient = Recipient::parse(parts.next()?)?;
    Some((tenant, rules?, recipient))
}

/// Where an external recipient confirms their address.
pub fn confirm_path(mailer: &Mailer, tenant: TenantId, recipient_id: Uuid) -> String {
    let token = mailer.signer().sign(CONFIRM, &format!("{tenant}|{recipient_id}"));
    format!("/alerts/confirm/{token}")
}

pub fn read_confirm(mailer: &Mailer, token: &str) -> Option<(TenantId, Uuid)> {
    let payload = mailer.signer().verify(CONFIRM, token)?;
    let (tenant, recipient) = payload.split_once('|')?;
    Some((
        TenantId::from_uuid(Uuid::parse_str(tenant).ok()?),
        Uuid::parse_str(recipient).ok()?,
    ))
}

/// Someone an alert goes to.
#[derive(Debug, Clone)]
struct To {
    key: Recipient,
    email: String,
    name: String,
}

/// What fired: one line per subject.
#[derive(Debug, Clone)]
struct Finding {
    subject: String,
    line: String,
}

/// One alert as told: headline, lines, and the view that shows it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub headline: String,
    pub lines: Vec<String>,
    pub more: usize,
    pub link: String,
}

#[derive(Template)]
#[template(path = "emails/alert.txt")]
struct AlertText<'a> {
    tenant: &'a str,
    rule: &'a str,
    notices: &'a [Notice],
    manage_link: Option<String>,
    unsubscribe_link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/alert.html")]
struct AlertHtml<'a> {
    subject: &'a str,
    tenant: &'a str,
    rule: &'a str,
    notices: &'a [Notice],
    manage_link: Option<String>,
    unsubscribe_link: &'a str,
}

/// The email of `notices` (one alert, or a digest's) to `to`.
fn alert_email(
    mailer: &Mailer,
    tenant: &TenantRow,
    rules: &[(Uuid, String)],
    notices: &[Notice],
    subject: String,
    to: &To,
) -> Result<Email, OutboxError> {
    let rule_ids: Vec<Uuid> = rules.iter().map(|(id, _)| *id).collect();
    let rule_names: Vec<&str> = rules.iter().map(|(_, name)| name.as_str()).collect();
    let rule = rule_names.join(", ");
    let unsubscribe = mailer.link(&unsubscribe_path(mailer, tenant.tenant_id(), &rule_ids, to.key));
    let manage_link =
        matches!(to.key, Recipient::Account(_)).then(|| mailer.link(&format!("/t/{}/alerts", tenant.slug)));
    let text = AlertText {
        tenant: &tenant.name,
        rule: &rule,
        notices,
        manage_link: manage_link.clone(),
        unsubscribe_link: &unsubscribe,
    }
    .render();
    let html = AlertHtml {
        subject: &subject,
        tenant: &tenant.name,
        rule: &rule,
        notices,
        manage_link,
        unsubscribe_link: &unsubscribe,
    }
    .render();
    let mut email = Email::build(&to.name, &to.email, "alert", subject, text, html)?;
    email.unsubscribe = Some(unsubscribe);
    Ok(email)
}

#[derive(Template)]
#[template(path = "emails/confirm_recipient.txt")]
struct ConfirmText<'a> {
    admin: &'a str,
    tenant: &'a str,
    rule: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/confirm_recipient.html")]
struct ConfirmHtml<'a> {
    subject: &'a str,
    admin: &'a str,
    tenant: &'a str,
    rule: &'a str,
    link: &'a str,
}

/// The email that asks an external address to confirm before it receives `rule`'s alerts.
pub fn confirmation_email(
    mailer: &Mailer,
    tenant: TenantId,
    tenant_name: &str,
    admin: &str,
    rule: &str,
    recipient: &alert_recipient::Model,
) -> Result<Email, OutboxError> {
    let link = mailer.link(&confirm_path(mailer, tenant, recipient.id));
    let subject = format!("Confirm that you want TrueStock alerts from {tenant_name}");
    let text = ConfirmText {
        admin,
        tenant: tenant_name,
        rule,
        link: &link,
    }
    .render();
    let html = ConfirmHtml {
        subject: &subject,
        admin,
        tenant: tenant_name,
        rule,
        link: &link,
    }
    .render();
    Email::build(
        &recipient.name,
        &recipient.email,
        "confirm_recipient",
        subject,
        text,
        html,
    )
}

fn job_error(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

/// The `alerts.evaluate` job.
pub async fn evaluate(ctx: JobContext, mailer: Arc<Mailer>) -> Result<(), JobError> {
    let tenant = ctx
        .tenant
        .ok_or_else(|| JobError::Fatal("an alert evaluation must name its tenant".into()))?;
    let Some(row) = control::find_tenant(&ctx.db, tenant).await? else {
        return Ok(());
    };
    let members = control::list_members(&ctx.db, tenant).await?;
    let fired = with_tenant(&ctx.db, tenant, async |tx| {
        ctx.lease.fence(tx).await?;
        evaluate_rules(tx, &mailer, &row, &members).await
    })
    .await?;
    tracing::info!(%tenant, fired, "evaluated alert rules");
    Ok(())
}

/// Evaluates every enabled rule; returns how many fired.
async fn evaluate_rules(
    tx: &TenantTxn,
    mailer: &Mailer,
    tenant: &TenantRow,
    members: &[MemberRow],
) -> Result<usize, JobError> {
    // One evaluation at a time per tenant: a second waits here, then sees the conditions the first
    // recorded, so nothing fires twice.
    alert_rules::lock_evaluation(tx).await?;
    let groups = location_groups::list(tx).await?;
    let open: HashMap<String, String> = alerts::open(tx)
        .await?
        .into_iter()
        .map(|a| (a.kind, a.message))
        .collect();
    let deliveries = alert_rules::deliveries(tx).await?;
    let named = alert_rules::recipients(tx).await?;
    let mut fired = 0;
    for rule in alert_rules::list(tx).await?.into_iter().filter(|r| r.enabled) {
        let Some(kind) = RuleKind::parse(&rule.kind) else {
            continue;
        };
        let (findings, link) = read_condition(tx, tenant, &rule, kind, &open).await?;
        let held = alert_rules::held(tx, rule.id).await?;
        let current: HashSet<&str> = findings.iter().map(|f| f.subject.as_str()).collect();
        let cleared: Vec<String> = held.iter().filter(|s| !current.contains(s.as_str())).cloned().collect();
        alert_rules::clear_conditions(tx, rule.id, &cleared).await?;
        let new: Vec<&Finding> = findings.iter().filter(|f| !held.contains(&f.subject)).collect();
        if new.is_empty() {
            continue;
        }
        let subjects: Vec<String> = new.iter().map(|f| f.subject.clone()).collect();
        alert_rules::start_conditions(tx, rule.id, &subjects).await?;
        fired += 1;
        let notice = Notice {
            headline: headline(kind, new.len(), place(&rule, &groups)),
            lines: new.iter().take(MAX_LINES).map(|f| f.line.clone()).collect(),
            more: new.len().saturating_sub(MAX_LINES),
            link: mailer.link(&link),
        };
        for to in recipients_of(&rule, members, &named, &groups) {
            let delivery = deliveries
                .get(&(rule.id, to.key.to_string()))
                .copied()
                .unwrap_or_default();
            match delivery {
                Delivery::Immediate => {
                    let subject = format!("[{}] {}", tenant.name, notice.headline);
                    let rules = [(rule.id, rule.name.clone())];
                    match alert_email(mailer, tenant, &rules, std::slice::from_ref(&notice), subject, &to) {
                        Ok(email) => {
                            outbox::enqueue(tx, mailer, Audience::Tenant(tenant.tenant_id()), &email)
                                .await
                                .map_err(job_error)?;
                        }
                        // One unusable address must not hold back everyone else's alerts.
                        Err(e) => tracing::warn!(rule = %rule.id, error = %e, "an alert email could not be built"),
                    }
                }
                Delivery::Digest => {
                    alert_rules::add_digest_item(
                        tx,
                        alert_digest_item::ActiveModel {
                            rule_id: sea_orm::Set(rule.id),
                            recipient: sea_orm::Set(to.key.to_string()),
                            email: sea_orm::Set(to.email.clone()),
                            name: sea_orm::Set(to.name.clone()),
                            headline: sea_orm::Set(notice.headline.clone()),
                            lines: sea_orm::Set(serde_json::json!({"lines": notice.lines, "more": notice.more})),
                            link: sea_orm::Set(notice.link.clone()),
                            ..Default::default()
                        },
                    )
                    .await?;
                }
                Delivery::Off => {}
            }
        }
    }
    Ok(fired)
}

fn place(rule: &alert_rule::Model, groups: &[location_group::Model]) -> String {
    match rule.group_id {
        None => "all locations".into(),
        Some(id) => groups
            .iter()
            .find(|g| g.id == id)
            .map_or_else(|| "a removed location group".into(), |g| g.name.clone()),
    }
}

fn headline(kind: RuleKind, count: usize, place: String) -> String {
    let plural = |one: &str, many: &str| {
        if count == 1 {
            one.to_string()
        } else {
            format!("{count} {many}")
        }
    };
    match kind {
        RuleKind::LowStock => format!(
            "{} low or out of stock in {place}",
            plural("A priority SKU is", "priority SKUs are")
        ),
        RuleKind::NegativeStock => format!("{} below zero in {place}", plural("A product is", "products are")),
        RuleKind::SyncFailing => "Syncs with Odoo are failing".into(),
        RuleKind::CredentialInvalid => "Odoo refuses TrueStock's API key: the sync has stopped".into(),
        RuleKind::KeyExpiring => "The Odoo API key expires soon".into(),
    }
}

/// A product as people know it: Odoo's display name (`[SKU] name`), else its SKU.
fn product_label(sku: &Option<String>, name: &Option<String>, id: i64) -> String {
    name.clone()
        .or_else(|| sku.clone())
        .unwrap_or_else(|| format!("product {id}"))
}

/// What holds now for `rule`, and the path of the view that shows it.
async fn read_condition(
    tx: &TenantTxn,
    tenant: &TenantRow,
    rule: &alert_rule::Model,
    kind: RuleKind,
    open: &HashMap<String, String>,
) -> Result<(Vec<Finding>, String), DbErr> {
    let at = match rule.group_id {
        Some(group) => format!("group:{group}"),
        None => "total".into(),
    };
    let stock = |query: &str| format!("/t/{}/stock?at={at}&{query}", tenant.slug);
    Ok(match kind {
        RuleKind::LowStock => {
            let products = rule.product_ids.clone().unwrap_or_default();
            let rows = alert_rules::low_stock(tx, rule.group_id, &products, rule.category_id).await?;
            let statuses: HashSet<&str> = rows.iter().map(|r| r.status.as_str()).collect();
            let query = match statuses.len() {
                1 => format!("status={}", rows[0].status),
                _ => "sort=cover&dir=asc".into(),
            };
            let findings = rows
                .iter()
                .map(|r| Finding {
                    subject: format!("product:{}", r.product_id),
                    line: format!(
                        "{}: {} — {} available{}",
                        product_label(&r.sku, &r.name, r.product_id),
                        r.status,
                        crate::web::format::quantity(r.available),
                        r.cover_days
                            .map(|d| format!(", {d:.1} days of cover"))
                            .unwrap_or_default()
                    ),
                })
                .collect();
            (findings, stock(&query))
        }
        RuleKind::NegativeStock => {
            let rows = alert_rules::negative_stock(tx, rule.group_id).await?;
            let findings = rows
                .iter()
                .map(|r| Finding {
                    subject: format!("product:{}", r.product_id),
                    line: format!(
                        "{}: {} at {}",
                        product_label(&r.sku, &r.name, r.product_id),
                        crate::web::format::quantity(r.on_hand),
                        r.locations.clone().unwrap_or_default()
                    ),
                })
                .collect();
            (findings, stock("by=location&status=negative"))
        }
        RuleKind::SyncFailing | RuleKind::CredentialInvalid | RuleKind::KeyExpiring => {
            let findings = open
                .get(kind.as_str())
                .map(|message| Finding {
                    subject: format!("alert:{}", kind.as_str()),
                    line: message.clone(),
                })
                .into_iter()
                .collect();
            (findings, format!("/t/{}/sync", tenant.slug))
        }
    })
}

/// Whether `member` may hear about `rule`'s place: stock rules reach a member scoped to some location
/// groups only when the rule's group lies within their scope (never for "all locations").
pub fn sees_place(rule: &alert_rule::Model, member: &MemberRow, groups: &[location_group::Model]) -> bool {
    let about_stock = RuleKind::parse(&rule.kind).is_none_or(RuleKind::is_about_stock);
    match (&member.scope_group_ids, about_stock) {
        (None, _) | (_, false) => true,
        (Some(scope), true) => rule
            .group_id
            .is_some_and(|g| location_groups::with_groups_below(groups, scope.iter().copied()).contains(&g)),
    }
}

/// Whether `member` receives `rule` (by role or by name), whatever they chose to do with it.
pub fn receives(
    rule: &alert_rule::Model,
    member: &MemberRow,
    named: &[alert_recipient::Model],
    groups: &[location_group::Model],
) -> bool {
    member.disabled_at.is_none()
        && sees_place(rule, member, groups)
        && (member.roles.iter().any(|r| rule.recipient_roles.contains(r))
            || named
                .iter()
                .any(|n| n.rule_id == rule.id && n.account_id == Some(member.account_id)))
}

/// Who receives `rule`: members with one of its roles and accounts named on it (if they may see its
/// place), and confirmed external addresses; each address once.
fn recipients_of(
    rule: &alert_rule::Model,
    members: &[MemberRow],
    named: &[alert_recipient::Model],
    groups: &[location_group::Model],
) -> Vec<To> {
    let accounts = members.iter().filter(|m| receives(rule, m, named, groups)).map(|m| To {
        key: Recipient::Account(m.account_id),
        email: m.email.clone(),
        name: m.display_name.clone(),
    });
    let externals = named
        .iter()
        .filter(|r| r.rule_id == rule.id && r.account_id.is_none() && r.confirmed_at.is_some())
        .map(|r| To {
            key: Recipient::External(r.id),
            email: r.email.clone(),
            name: r.name.clone(),
        });
    let mut found: Vec<To> = Vec::new();
    for to in accounts.chain(externals) {
        if !found.iter().any(|t| t.email.eq_ignore_ascii_case(&to.email)) {
            found.push(to);
        }
    }
    found
}

/// The `alerts.digest` job (hourly per tenant): at the tenant's digest hour in its time zone — or for
/// items waiting more than a day, whenever it runs — each recipient gets one email with what is
/// waiting for them.
pub async fn send_digests(ctx: JobContext, mailer: Arc<Mailer>) -> Result<(), JobError> {
    let tenant = ctx
        .tenant
        .ok_or_else(|| JobError::Fatal("a digest must name its tenant".into()))?;
    let Some(row) = control::find_tenant(&ctx.db, tenant).await? else {
        return Ok(());
    };
    let now = Utc::now();
    let members = control::list_members(&ctx.db, tenant).await?;
    let sent = with_tenant(&ctx.db, tenant, async |tx| {
        ctx.lease.fence(tx).await?;
        send_digests_in(tx, &mailer, &row, &members, now).await
    })
    .await?;
    tracing::info!(%tenant, sent, "sent alert digests");
    Ok(())
}

/// Whether the digest is due at `now`: the tenant's local hour is its digest hour, or an item has
/// waited more than a day (a missed hour).
pub fn digest_due(time_zone: &str, digest_hour: i16, oldest: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    use chrono::Timelike as _;
    let zone: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    let local_hour = now.with_timezone(&zone).hour();
    local_hour == u32::try_from(digest_hour).unwrap_or(0) || now - oldest > chrono::Duration::hours(24)
}

async fn send_digests_in(
    tx: &TenantTxn,
    mailer: &Mailer,
    tenant: &TenantRow,
    members: &[MemberRow],
    now: DateTime<Utc>,
) -> Result<usize, JobError> {
    let items = alert_rules::pending_digest_items(tx).await?;
    let Some(oldest) = items.iter().map(|i| i.created_at).min() else {
        return Ok(0);
    };
    let (time_zone, hour) = alert_rules::digest_schedule(tx).await?;
    if !digest_due(&time_zone, hour, oldest, now) {
        return Ok(0);
    }
    let rules: HashMap<Uuid, alert_rule::Model> = alert_rules::list(tx).await?.into_iter().map(|r| (r.id, r)).collect();
    let deliveries = alert_rules::deliveries(tx).await?;
    let named = alert_rules::recipients(tx).await?;
    let groups = location_groups::list(tx).await?;
    // Who may still receive an item: its rule is on, and the recipient still receives the rule (a
    // member removed, disabled, re-scoped or without the role since, or an external address removed,
    // gets nothing) and has not turned it off.
    let still_wanted = |item: &alert_digest_item::Model| {
        let Some(rule) = rules.get(&item.rule_id).filter(|r| r.enabled) else {
            return false;
        };
        if deliveries.get(&(item.rule_id, item.recipient.clone())) == Some(&Delivery::Off) {
            return false;
        }
        match Recipient::parse(&item.recipient) {
            Some(Recipient::Account(account)) => members
                .iter()
                .find(|m| m.account_id == account)
                .is_some_and(|m| receives(rule, m, &named, &groups)),
            Some(Recipient::External(id)) => named
                .iter()
                .any(|n| n.id == id && n.rule_id == rule.id && n.confirmed_at.is_some()),
            None => false,
        }
    };
    let mut by_recipient: Vec<(String, Vec<&alert_digest_item::Model>)> = Vec::new();
    for item in &items {
        match by_recipient.iter_mut().find(|(key, _)| *key == item.recipient) {
            Some((_, list)) => list.push(item),
            None => by_recipient.push((item.recipient.clone(), vec![item])),
        }
    }
    let mut sent = 0;
    for (key, list) in by_recipient {
        let Some(recipient) = Recipient::parse(&key) else {
            continue;
        };
        let wanted: Vec<&&alert_digest_item::Model> = list.iter().filter(|i| still_wanted(i)).collect();
        if let Some(first) = wanted.first() {
            let notices: Vec<Notice> = wanted
                .iter()
                .map(|i| Notice {
                    headline: format!(
                        "{}: {}",
                        rules.get(&i.rule_id).map_or("", |r| r.name.as_str()),
                        i.headline
                    ),
                    lines: i.lines["lines"]
                        .as_array()
                        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                        .unwrap_or_default(),
                    more: i.lines["more"].as_u64().unwrap_or(0) as usize,
                    link: i.link.clone(),
                })
                .collect();
            let mut rule_list: Vec<(Uuid, String)> = Vec::new();
            for item in &wanted {
                if !rule_list.iter().any(|(id, _)| *id == item.rule_id) {
                    let name = rules.get(&item.rule_id).map(|r| r.name.clone()).unwrap_or_default();
                    rule_list.push((item.rule_id, name));
                }
            }
            let count = notices.len();
            let subject = format!(
                "[{}] Daily digest: {count} alert{}",
                tenant.name,
                if count == 1 { "" } else { "s" }
            );
            let to = To {
                key: recipient,
                email: first.email.clone(),
                name: first.name.clone(),
            };
            match alert_email(mailer, tenant, &rule_list, &notices, subject, &to) {
                Ok(email) => {
                    outbox::enqueue(tx, mailer, Audience::Tenant(tenant.tenant_id()), &email)
                        .await
                        .map_err(job_error)?;
                    sent += 1;
                }
                // One unusable address must not hold back everyone else's digest.
                Err(e) => tracing::warn!(error = %e, "a digest email could not be built"),
            }
        }
        let ids: Vec<i64> = list.iter().map(|i| i.id).collect();
        alert_rules::mark_digest_items_sent(tx, &ids).await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_due_at_the_local_hour_or_after_a_day() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
        let oldest = at("2026-11-27T01:00:00Z");
        // 07:00 in Paris is 06:00 UTC in winter.
        assert!(digest_due("Europe/Paris", 7, oldest, at("2026-11-27T06:30:00Z")));
        assert!(!digest_due("Europe/Paris", 7, oldest, at("2026-11-27T07:30:00Z")));
        assert!(
            digest_due("Europe/Paris", 7, oldest, at("2026-11-28T02:00:00Z")),
            "waited over a day"
        );
        assert!(
            digest_due("Not/AZone", 7, oldest, at("2026-11-27T07:10:00Z")),
            "UTC when unknown"
        );
    }
}
