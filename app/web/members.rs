//! Tenant admin: list members, change their roles and scope, remove them. Only memberships are
//! touched here, never accounts (no password, email or disabling: that is the operator's CLI).

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use uuid::Uuid;

use crate::db::control::{self, MemberRow, MembershipError};
use crate::db::entities::location_group;
use crate::db::tenancy::{with_control_then_tenant, with_tenant};
use crate::db::{audit, location_groups};
use crate::domain::account::{Role, RoleSet};

use super::AppState;
use super::auth::render;
use super::errors::AppError;
use super::extractors::{AdminRole, Authorized, Member, parse_form};
use super::paths;
use super::shell::{Section, Shell};

/// A member as listed: names resolved for display.
pub struct MemberView {
    pub row: MemberRow,
    pub roles: String,
    pub scope: String,
    pub edit_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/members.html")]
pub struct MembersPage {
    pub shell: Shell,
    pub members: Vec<MemberView>,
}

fn scope_label(scope: &Option<Vec<Uuid>>, groups: &[location_group::Model]) -> String {
    match scope {
        None => "Whole tenant".into(),
        Some(ids) => {
            let names: Vec<&str> = ids
                .iter()
                .map(|id| {
                    groups
                        .iter()
                        .find(|g| g.id == *id)
                        .map_or("(removed group)", |g| g.name.as_str())
                })
                .collect();
            if names.is_empty() {
                "No location groups".into()
            } else {
                names.join(", ")
            }
        }
    }
}

fn role_labels(names: &[String]) -> String {
    RoleSet::parse(names.iter().map(String::as_str))
        .map(|r| r.to_string())
        .unwrap_or_else(|_| names.join(", "))
}

#[get("/t/{slug}/settings/members")]
async fn index(state: web::Data<AppState>, member: Authorized<AdminRole>) -> Result<MembersPage, AppError> {
    let rows = control::list_members(&state.db, member.tenant).await?;
    let groups = with_tenant(&state.db, member.tenant, async |tx| location_groups::list(tx).await).await?;
    let members = rows
        .into_iter()
        .map(|row| MemberView {
            roles: role_labels(&row.roles),
            scope: scope_label(&row.scope_group_ids, &groups),
            edit_href: paths::member_edit(member.slug.as_str(), row.membership_id),
            row,
        })
        .collect();
    Ok(MembersPage {
        shell: Shell::member(&member, Section::Members),
        members,
    })
}

/// One checkbox of the edit form.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/member_edit.html")]
pub struct MemberEditPage {
    pub shell: Shell,
    pub member: MemberRow,
    pub roles: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub whole_tenant: bool,
    pub action: String,
    pub remove_action: String,
    pub back: String,
    pub error: Option<String>,
}

async fn edit_page(
    state: &AppState,
    admin: &Member,
    target: MemberRow,
    chosen_roles: &[String],
    chosen_scope: &Option<Vec<Uuid>>,
    error: Option<String>,
) -> Result<MemberEditPage, AppError> {
    let groups = with_tenant(&state.db, admin.tenant, async |tx| location_groups::list(tx).await).await?;
    let slug = admin.slug.as_str();
    Ok(MemberEditPage {
        shell: Shell::member(admin, Section::Members),
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().into(),
                label: r.label().into(),
                checked: chosen_roles.iter().any(|c| c == r.as_str()),
            })
            .collect(),
        groups: groups
            .iter()
            .map(|g| Choice {
                value: g.id.to_string(),
                label: g.name.clone(),
                checked: chosen_scope.as_ref().is_some_and(|ids| ids.contains(&g.id)),
            })
            .collect(),
        whole_tenant: chosen_scope.is_none(),
        action: paths::member(slug, target.membership_id),
        remove_action: paths::member_remove(slug, target.membership_id),
        back: paths::members(slug),
        member: target,
        error,
    })
}

/// The member named in the URL, for an admin of this tenant; 404 for ids of other tenants.
async fn target_of(state: &AppState, admin: &Member, membership_id: &str) -> Result<MemberRow, AppError> {
    let membership_id = Uuid::parse_str(membership_id).map_err(|_| AppError::NotFound)?;
    control::find_member(&state.db, admin.tenant, membership_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The edit form again, with what was chosen and why it was refused (422).
async fn refuse(
    state: &AppState,
    admin: &Member,
    target: MemberRow,
    roles: &[String],
    scope: &Option<Vec<Uuid>>,
    why: String,
) -> Result<HttpResponse, AppError> {
    let page = edit_page(state, admin, target, roles, scope, Some(why)).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn back_to_members(admin: &Member) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, paths::members(admin.slug.as_str())))
        .finish()
}

const LAST_ADMIN: &str = "The tenant must keep at least one admin.";

#[get("/t/{slug}/settings/members/{membership_id}/edit")]
async fn edit_form(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
) -> Result<MemberEditPage, AppError> {
    let target = target_of(&state, &member, &path.1).await?;
    let (roles, scope) = (target.roles.clone(), target.scope_group_ids.clone());
    edit_page(&state, &member, target, &roles, &scope, None).await
}

#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    role: Vec<String>,
    /// `all`: the whole tenant; `groups`: only the checked `group` values.
    #[serde(default)]
    scope: String,
    #[serde(default)]
    group: Vec<String>,
}

#[post("/t/{slug}/settings/members/{membership_id}")]
async fn update(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let target = target_of(&state, &member, &path.1).await?;
    let form: MemberForm = parse_form(&body)?;
    let group_ids: Result<Vec<Uuid>, _> = form.group.iter().map(|g| Uuid::parse_str(g)).collect();
    let group_ids = group_ids.map(|mut ids| {
        ids.sort();
        ids.dedup();
        ids
    });
    // What to show again if the form is refused: exactly what was chosen, never a wider scope.
    let chosen_scope = Some(group_ids.clone().unwrap_or_default()).filter(|_| form.scope != "all");
    let scope = match (form.scope.as_str(), group_ids) {
        ("all", _) => Ok(None),
        ("groups", Ok(ids)) if !ids.is_empty() => Ok(Some(ids)),
        ("groups", Ok(_)) => Err("Choose at least one location group, or the whole tenant.".to_string()),
        ("groups", Err(_)) => Err("One of the chosen location groups is not valid.".to_string()),
        _ => Err("Choose the whole tenant or some location groups.".to_string()),
    };
    let roles = RoleSet::parse(form.role.iter().map(String::as_str)).map_err(|e| e.to_string());
    let (roles, scope) = match (roles, scope) {
        (Ok(roles), Ok(scope)) => (roles, scope),
        (Err(why), _) | (_, Err(why)) => {
            return refuse(&state, &member, target, &form.role, &chosen_scope, why).await;
        }
    };
    if let Some(ids) = &scope {
        let known = with_tenant(&state.db, member.tenant, async |tx| {
            location_groups::all_exist(tx, ids).await
        })
        .await?;
        if !known {
            let why = "One of the chosen location groups no longer exists.".to_string();
            return refuse(&state, &member, target, &form.role, &scope, why).await;
        }
    }
    let membership_id = target.membership_id;
    let details = serde_json::json!({
        "membership_id": membership_id,
        "account_id": target.account_id,
        "roles": { "before": target.roles, "after": roles.names() },
        "scope_group_ids": { "before": target.scope_group_ids, "after": scope },
    });
    // The change and its audit entry commit together.
    let changed = with_control_then_tenant(
        &state.db,
        member.tenant,
        async |control_txn| {
            control::update_member(control_txn, member.tenant, membership_id, &roles, scope.clone()).await
        },
        async |tx, ()| Ok(audit::record(tx, &member.user.actor(), "member.updated", &target.email, details).await?),
    )
    .await;
    match changed {
        Ok(()) => Ok(back_to_members(&member)),
        Err(MembershipError::NotFound) => Err(AppError::NotFound),
        Err(MembershipError::LastAdmin) => refuse(&state, &member, target, &form.role, &scope, LAST_ADMIN.into()).await,
        Err(MembershipError::Db(e)) => Err(e.into()),
    }
}

#[post("/t/{slug}/settings/members/{membership_id}/remove")]
async fn remove(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let target = target_of(&state, &member, &path.1).await?;
    let details = serde_json::json!({
        "membership_id": target.membership_id,
        "account_id": target.account_id,
        "roles": target.roles,
    });
    let removed = with_control_then_tenant(
        &state.db,
        member.tenant,
        async |control_txn| control::remove_member(control_txn, member.tenant, target.membership_id).await,
        async |tx, ()| Ok(audit::record(tx, &member.user.actor(), "member.removed", &target.email, details).await?),
    )
    .await;
    match removed {
        Ok(()) => Ok(back_to_members(&member)),
        Err(MembershipError::NotFound) => Err(AppError::NotFound),
        Err(MembershipError::LastAdmin) => {
            let (roles, scope) = (target.roles.clone(), target.scope_group_ids.clone());
            refuse(&state, &member, target, &roles, &scope, LAST_ADMIN.into()).await
        }
        Err(MembershipError::Db(e)) => Err(e.into()),
    }
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(index).service(edit_form).service(update).service(remove);
}
