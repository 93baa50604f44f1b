//! Tenant admin: list members, invite people, change their roles and scope, remove them. Only
//! memberships are touched here, never existing accounts (no password, email or disabling: that is
//! the operator's CLI). Inviting a new address creates its account, which has no usable password until
//! the invitee chooses one through the emailed single-use link; inviting an existing account only adds
//! the membership and tells the person.

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, get, post};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use uuid::Uuid;

use sea_orm::DbErr;

use crate::auth::password::generate_password;
use crate::auth::token;
use crate::db::control::{self, MemberRow, MembershipError, TokenPurpose};
use crate::db::entities::location_group;
use crate::db::tenancy::{with_control_then_tenant, with_tenant};
use crate::db::{audit, location_groups};
use crate::domain::account::{EmailAddress, Role, RoleSet};
use crate::email::account as account_emails;
use crate::email::outbox::{self, Audience, OutboxError};

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
    pub invite: InviteView,
}

/// The invite form, empty or as typed when refused.
pub struct InviteView {
    pub action: String,
    pub email: String,
    pub name: String,
    pub roles: Vec<Choice>,
    pub error: Option<String>,
    pub sent: bool,
}

impl InviteView {
    fn new(slug: &str, email: &str, name: &str, roles: &[String]) -> Self {
        Self {
            action: paths::member_invite(slug),
            email: email.into(),
            name: name.into(),
            roles: role_choices(roles),
            error: None,
            sent: false,
        }
    }
}

fn role_choices(chosen: &[String]) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: r.label().into(),
            checked: chosen.iter().any(|c| c == r.as_str()),
        })
        .collect()
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

#[derive(Deserialize)]
struct MembersQuery {
    invited: Option<String>,
}

/// After an invite, the page says it was sent (without repeating anything from the URL).

#[get("/t/{slug}/settings/members")]
async fn index(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    query: web::Query<MembersQuery>,
) -> Result<MembersPage, AppError> {
    let mut invite = InviteView::new(member.slug.as_str(), "", "", &["viewer".to_string()]);
    invite.sent = query.into_inner().invited.is_some();
    members_page(&state, &member, invite).await
}

async fn members_page(state: &AppState, member: &Member, invite: InviteView) -> Result<MembersPage, AppError> {
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
        shell: Shell::member(member, Section::Members),
        members,
        invite,
    })
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: Vec<String>,
}

#[post("/t/{slug}/settings/members/invite")]
async fn send_invite(
    state: web::Data<AppState>,
    member: Authorized<AdminRole>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form: InviteForm = parse_form(&body)?;
    let slug = member.slug.as_str();
    let name = form.name.trim();
    let refuse = async |why: String| {
        let mut view = InviteView::new(slug, &form.email, name, &form.role);
        view.error = Some(why);
        render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &members_page(&state, &member, view).await?,
        )
    };
    let email = match EmailAddress::parse(&form.email) {
        // What the mail server takes, too (lettre is stricter than the account rules).
        Ok(email) if email.as_str().parse::<lettre::Address>().is_ok() => email,
        Ok(_) => return refuse(format!("{} cannot receive email.", form.email.trim())).await,
        Err(e) => return refuse(e.to_string()).await,
    };
    let roles = match RoleSet::parse(form.role.iter().map(String::as_str)) {
        Ok(roles) => roles,
        Err(e) => return refuse(e.to_string()).await,
    };
    if name.chars().count() > 200 {
        return refuse("Keep the name under 200 characters.".into()).await;
    }
    let existing = control::find_account_by_email(&state.db, &email).await?;
    // A new account gets a random password nobody knows until the invitee sets their own; hashed here,
    // outside the transaction, because hashing takes a while.
    let placeholder_hash = match existing {
        Some(_) => None,
        None => Some(state.passwords.hash(&generate_password()).await?),
    };
    let inviter = member.user.display_name.clone();
    let tenant_name = member.tenant_name.clone();
    let details = serde_json::json!({ "roles": roles.names(), "new_account": existing.is_none() });
    let invited = with_control_then_tenant(
        &state.db,
        member.tenant,
        async |txn| -> Result<bool, InviteError> {
            let (account_id, display_name, token) = match (&existing, &placeholder_hash) {
                (Some(account), _) => (account.id, account.display_name.clone(), None),
                (None, Some(hash)) => {
                    let display_name = if name.is_empty() {
                        email.as_str().split('@').next().unwrap_or("there").to_string()
                    } else {
                        name.to_string()
                    };
                    let id = control::create_account(txn, &email, &display_name, hash)
                        .await
                        .map_err(|e| match e {
                            control::AccountError::Db(e) => InviteError::Db(e),
                            other => InviteError::Db(DbErr::Custom(other.to_string())),
                        })?;
                    let token = token::generate();
                    let expires_at = chrono::Utc::now() + account_emails::INVITE_LIFETIME;
                    control::create_account_token(txn, id, TokenPurpose::Invite, &token::hash(&token), expires_at)
                        .await?;
                    (id, display_name, Some(token))
                }
                (None, None) => unreachable!("a new account always has its placeholder hash"),
            };
            if control::add_membership(txn, member.tenant, account_id, &roles)
                .await?
                .is_none()
            {
                return Ok(false);
            }
            let email = account_emails::invite(
                &state.mailer,
                &display_name,
                email.as_str(),
                &inviter,
                &tenant_name,
                token.as_deref(),
            )?;
            outbox::enqueue(txn, &state.mailer, Audience::Account, &email).await?;
            Ok(true)
        },
        async |tx, added| {
            if added {
                audit::record(tx, &member.user.actor(), "member.invited", email.as_str(), details).await?;
            }
            Ok(added)
        },
    )
    .await;
    match invited {
        Ok(true) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{}?invited=1", paths::members(slug))))
            .finish()),
        Ok(false) => refuse(format!("{} is a member of this tenant already.", email.as_str())).await,
        Err(InviteError::Db(e)) => Err(e.into()),
        Err(InviteError::Email(e)) => Err(AppError::internal(e)),
    }
}

#[derive(Debug, thiserror::Error)]
enum InviteError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Email(#[from] OutboxError),
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
        roles: role_choices(chosen_roles),
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
    cfg.service(index)
        .service(send_invite)
        .service(edit_form)
        .service(update)
        .service(remove);
}
