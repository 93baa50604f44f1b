//! Tenant admin: the alert rules — what fires (low stock on priority SKUs, negative stock, sync
//! failures, refused or expiring Odoo keys), where, and to whom (members by role, accounts by name,
//! external addresses, which confirm through an emailed link first) — and the daily digest's hour.
//! Every change is audited; an external address's confirmation request commits with its rule.

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use uuid::Uuid;

use crate::db::control::{self, MemberRow};
use crate::db::entities::{alert_recipient, alert_rule, location_group};
use crate::db::tenancy::with_tenant;
use crate::db::{alert_rules, audit, location_groups};
use crate::domain::account::{EmailAddress, Role, RoleSet};
use crate::domain::alert::{RuleKind, parse_sku_list};
use crate::email::alerts::confirmation_email;
use crate::email::outbox::{self, Audience};

use super::AppState;
use super::auth::render;
use super::errors::AppError;
use super::extractors::{AdminRole, Authorized, Member, parse_form};
use super::members::Choice;
use super::paths;
use super::shell::{Section, Shell};

pub struct RuleView {
    pub name: String,
    pub kind: String,
    pub place: String,
    pub watches: String,
    pub roles: String,
    pub named: Vec<String>,
    pub enabled: bool,
    pub toggle_action: String,
    pub delete_action: String,
}

/// The new-rule form, empty or as typed when refused.
#[derive(Default)]
pub struct RuleForm {
    pub name: String,
    pub kind: String,
    pub group: String,
    pub skus: String,
    pub category: String,
    pub roles: Vec<String>,
    pub accounts: Vec<String>,
    pub externals: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/alerts.html")]
pub struct AlertRulesPage {
    pub shell: Shell,
    pub rules: Vec<RuleView>,
    pub form: RuleForm,
    pub kinds: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub roles: Vec<Choice>,
    pub accounts: Vec<Choice>,
    pub digest_hours: Vec<Choice>,
    pub time_zone: String,
    pub create_action: String,
    pub digest_action: String,
    pub error: Option<String>,
}

fn choices(options: impl IntoIterator<Item = (String, String)>, chosen: &[String]) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            checked: chosen.contains(&value),
            value,
            label,
        })
        .collect()
}

fn place(group_id: Option<Uuid>, groups: &[location_group::Model]) -> String {
    match group_id {
        None => "All locations".into(),
        Some(id) => groups
            .iter()
            .find(|g| g.id == id)
            .map_or_else(|| "(removed group)".into(), |g| g.name.clone()),
    }
}

fn rule_view(
    slug: &str,
    rule: &alert_rule::Model,
    named: &[alert_recipient::Model],
    groups: &[location_group::Model],
    categories: &[(i64, String)],
) -> RuleView {
    let kind = RuleKind::parse(&rule.kind);
    let mut watches = Vec::new();
    if let Some(ids) = rule.product_ids.as_ref().filter(|ids| !ids.is_empty()) {
        watches.push(format!("{} SKU{}", ids.len(), if ids.len() == 1 { "" } else { "s" }));
    }
    if let Some(id) = rule.category_id {
        let name = categories
            .iter()
            .find(|(c, _)| *c == id)
            .map_or("(removed category)", |(_, n)| n);
        watches.push(format!("category {name}"));
    }
    let roles = RoleSet::parse(rule.recipient_roles.iter().map(String::as_str))
        .map(|r| r.to_string())
        .unwrap_or_default();
    RuleView {
        name: rule.name.clone(),
        kind: kind.map_or_else(|| rule.kind.clone(), |k| k.label().to_string()),
        place: if kind.is_some_and(RuleKind::is_about_stock) {
            place(rule.group_id, groups)
        } else {
            "—".into()
        },
        watches: watches.join(", "),
        roles,
        named: named
            .iter()
            .filter(|n| n.rule_id == rule.id)
            .map(|n| match (n.account_id, n.confirmed_at) {
                (Some(_), _) => n.name.clone(),
                (None, Some(_)) => n.email.clone(),
                (None, None) => format!("{} (waiting for confirmation)", n.email),
            })
            .collect(),
        enabled: rule.enabled,
        toggle_action: paths::alert_rule_action(slug, rule.id, if rule.enabled { "disable" } else { "enable" }),
        delete_action: paths::alert_rule_action(slug, rule.id, "delete"),
    }
}

async fn page(
    state: &AppState,
    member: &Member,
    form: RuleForm,
    error: Option<String>,
) -> Result<AlertRulesPage, AppError> {
    let slug = member.slug.as_str();
    let members = control::list_members(&state.db, member.tenant).await?;
    let (rules, named, groups, categories, (time_zone, digest_hour)) =
        with_tenant(&state.db, member.tenant, async |tx| {
            Ok::<_, AppError>((
                alert_rules::list(tx).await?,
                alert_rules::recipients(tx).await?,
                location_groups::list(tx).await?,
                alert_rules::categories(tx).await?,
                alert_rules::digest_schedule(tx).await?,
            ))
        })
        .await?;
    Ok(AlertRulesPage {
        shell: Shell::member(member, Section::Alerts),
        rules: rules
            .iter()
            .map(|r| rule_view(slug, r, &named, &groups, &categories))
            .collect(),
        kinds: choices(
            RuleKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), k.label().to_string())),
            std::slice::from_ref(&form.kind),
        ),
        groups: choices(
            groups.iter().map(|g| (g.id.to_string(), g.name.clone())),
            std::slice::from_ref(&form.group),
        ),
        categories: choices(
            categories.iter().map(|(id, name)| (id.to_string(), name.clone())),
            std::slice::from_ref(&form.category),
        ),
        roles: choices(
            Role::ALL
                .iter()
                .map(|r| (r.as_str().to_string(), r.label().to_string())),
            &form.roles,
        ),
        accounts: choices(
            members
                .iter()
                .filter(|m| m.disabled_at.is_none())
                .map(|m| (m.account_id.to_string(), format!("{} ({})", m.display_name, m.email))),
            &form.accounts,
        ),
        digest_hours: choices(
            (0..24).map(|h| (h.to_string(), format!("{h:02}:00"))),
            &[digest_hour.to_string()],
        ),
        time_zone,
        create_action: paths::alert_rules(slug),
        digest_action: format!("{}/digest", paths::alert_rules(slug)),
        form,
        error,
    })
}

#[get("/t/{slug}/settings/alerts")]
async fn index(state: web::Data<AppState>, member: Authorized<AdminRole>) -> Result<AlertRulesPage, AppError> {
    let form = RuleForm {
        kind: RuleKind::LowStock.as_str().into(),
        roles: vec![Role::Manager.as_str().into()],
        ..RuleForm::default()
    };
    page(&state, &member, form, None).await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    skus: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    role: Vec<String>,
    #[serde(default)]
    account: Vec<String>,
    #[serde(default)]
    externals: String,
}

/// `Name <address>` or a bare address, one per line.
fn parse_external(line: &str) -> Result<(String, String), String> {
    let (name, address) = match (line.find('<'), line.rfind('>')) {
        (Some(open), Some(close)) if open < close => (line[..open].trim(), &line[open + 1..close]),
        _ => ("", line),
    };
    let email = EmailAddress::parse(address.trim())
        .ok()
        .filter(|e| e.as_str().parse::<lettre::Address>().is_ok())
        .ok_or_else(|| format!("{line:?} is not an email address."))?;
    let name = if name.is_empty() { email.as_str() } else { name };
    Ok((email.as_str().to_string(), name.to_string()))
}

#[post("/t/{slug}/settings/alerts")]
async fn create(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let input: CreateForm = parse_form(&body)?;
    let form = RuleForm {
        name: input.name.trim().to_string(),
        kind: input.kind.clone(),
        group: input.group.clone(),
        skus: input.skus.clone(),
        category: input.category.clone(),
        roles: input.role.clone(),
        accounts: input.account.clone(),
        externals: input.externals.clone(),
    };
    let members = control::list_members(&state.db, member.tenant).await?;
    let checked = check(&state, &member, &input, &members).await?;
    let rule = match checked {
        Ok(rule) => rule,
        Err(why) => {
            let page = page(&state, &member, form, Some(why)).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let actor = member.user.actor();
    let tenant = member.tenant;
    let details = serde_json::json!({
        "kind": rule.kind, "group_id": rule.group_id, "product_ids": rule.product_ids,
        "category_id": rule.category_id, "roles": rule.roles,
        "accounts": rule.accounts.iter().map(|(id, _, _)| id).collect::<Vec<_>>(),
        "externals": rule.externals.iter().map(|(email, _)| email).collect::<Vec<_>>(),
    });
    with_tenant(&state.db, tenant, async |tx| {
        let (_, externals) = alert_rules::create(tx, &rule).await?;
        for recipient in &externals {
            let email = confirmation_email(
                &state.mailer,
                tenant,
                &member.tenant_name,
                &actor.name,
                &rule.name,
                recipient,
            )
            .map_err(AppError::internal)?;
            outbox::enqueue(tx, &state.mailer, Audience::Tenant(tenant), &email)
                .await
                .map_err(AppError::internal)?;
        }
        audit::record(tx, &actor, "alert_rule.created", &rule.name, details).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(back(&member))
}

/// The form checked against the tenant's data: a rule to create, or why not (in words for the admin).
async fn check(
    state: &AppState,
    member: &Member,
    input: &CreateForm,
    members: &[MemberRow],
) -> Result<Result<alert_rules::NewRule, String>, AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Ok(Err("Give the rule a name (at most 200 characters).".into()));
    }
    let Some(kind) = RuleKind::parse(&input.kind) else {
        return Ok(Err("Choose what the rule watches.".into()));
    };
    let roles = match input
        .role
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(roles) => roles.iter().map(|r| r.as_str().to_string()).collect::<Vec<_>>(),
        Err(e) => return Ok(Err(e.to_string())),
    };
    let mut accounts = Vec::new();
    for id in &input.account {
        let found = Uuid::parse_str(id)
            .ok()
            .and_then(|id| members.iter().find(|m| m.account_id == id && m.disabled_at.is_none()));
        match found {
            Some(m) => accounts.push((m.account_id, m.email.clone(), m.display_name.clone())),
            None => {
                return Ok(Err(
                    "One of the chosen people is no longer a member of this tenant.".into()
                ));
            }
        }
    }
    let mut externals = Vec::new();
    for line in input.externals.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match parse_external(line) {
            Ok(external) => externals.push(external),
            Err(why) => return Ok(Err(why)),
        }
    }
    if roles.is_empty() && accounts.is_empty() && externals.is_empty() {
        return Ok(Err(
            "Choose who receives the alerts: a role, a person or an address.".into()
        ));
    }
    let group_id = match input.group.as_str() {
        "" => None,
        text if kind.is_about_stock() => match Uuid::parse_str(text) {
            Ok(id) => Some(id),
            Err(_) => return Ok(Err("The chosen location group is not valid.".into())),
        },
        _ => None,
    };
    let skus = parse_sku_list(&input.skus);
    let category_id = match input.category.as_str() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return Ok(Err("The chosen category is not valid.".into())),
        },
    };
    let (products, problem) = with_tenant(&state.db, member.tenant, async |tx| {
        if let Some(id) = group_id
            && !location_groups::all_exist(tx, &[id]).await?
        {
            return Ok::<_, AppError>((None, Some("The chosen location group no longer exists.".to_string())));
        }
        if let Some(id) = category_id
            && !alert_rules::category_exists(tx, id).await?
        {
            return Ok((None, Some("The chosen category no longer exists.".to_string())));
        }
        if kind != RuleKind::LowStock || skus.is_empty() {
            return Ok((None, None));
        }
        let found = alert_rules::products_by_sku(tx, &skus).await?;
        let unknown: Vec<&str> = skus
            .iter()
            .filter(|s| !found.contains_key(*s))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Ok((None, Some(format!("No product has the SKU {}.", unknown.join(", ")))));
        }
        Ok((Some(skus.iter().map(|s| found[s]).collect::<Vec<i64>>()), None))
    })
    .await?;
    if let Some(why) = problem {
        return Ok(Err(why));
    }
    if kind == RuleKind::LowStock && products.is_none() && category_id.is_none() {
        return Ok(Err("List the priority SKUs, or choose their category.".into()));
    }
    Ok(Ok(alert_rules::NewRule {
        name: name.to_string(),
        kind: kind.as_str(),
        product_ids: products,
        category_id: category_id.filter(|_| kind == RuleKind::LowStock),
        group_id,
        roles,
        created_by_name: member.user.display_name.clone(),
        accounts,
        externals,
    }))
}

fn back(member: &Member) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, paths::alert_rules(member.slug.as_str())))
        .finish()
}

#[post("/t/{slug}/settings/alerts/{id}/{action}")]
async fn change(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (_, id, action) = path.into_inner();
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let actor = member.user.actor();
    with_tenant(&state.db, member.tenant, async |tx| {
        let rule = alert_rules::find(tx, id).await?.ok_or(AppError::NotFound)?;
        match action.as_str() {
            "enable" => alert_rules::set_enabled(tx, id, true).await?,
            "disable" => alert_rules::set_enabled(tx, id, false).await?,
            "delete" => alert_rules::delete(tx, id).await?,
            _ => return Err(AppError::NotFound),
        };
        let details = serde_json::json!({ "rule_id": id });
        audit::record(tx, &actor, &format!("alert_rule.{action}d"), &rule.name, details).await?;
        Ok(())
    })
    .await?;
    Ok(back(&member))
}

#[derive(Deserialize)]
struct DigestForm {
    #[serde(default)]
    hour: String,
}

#[post("/t/{slug}/settings/alerts/digest")]
async fn set_digest_hour(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form: DigestForm = parse_form(&body)?;
    let hour = form
        .hour
        .parse::<i16>()
        .ok()
        .filter(|h| (0..24).contains(h))
        .ok_or_else(|| AppError::BadRequest("Choose an hour from 00:00 to 23:00.".into()))?;
    let actor = member.user.actor();
    with_tenant(&state.db, member.tenant, async |tx| {
        alert_rules::set_digest_hour(tx, hour).await?;
        audit::record(
            tx,
            &actor,
            "alert_digest.hour_set",
            "settings",
            serde_json::json!({ "hour": hour }),
        )
        .await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(back(&member))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(index)
        .service(create)
        .service(set_digest_hour)
        .service(change);
}
