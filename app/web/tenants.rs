//! The tenant picker and the tenant overview.

use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get};
use askama::Template;
use askama_web::WebTemplate;

use crate::db::control::{self, AccountTenant};
use crate::db::entities::audit_log;
use crate::db::{audit, entities, location_groups, tenancy::with_tenant};
use crate::domain::account::Role;

use super::AppState;
use super::errors::AppError;
use super::extractors::{Member, SignedIn};
use super::paths;
use super::shell::{Section, Shell};

#[get("/")]
async fn root(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let target = if state.session_id_from_cookie(&req).is_some() {
        paths::TENANT_PICKER.to_string()
    } else {
        paths::login(None)
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish()
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/tenants/picker.html")]
pub struct PickerPage {
    pub shell: Shell,
    pub tenants: Vec<AccountTenant>,
}

impl PickerPage {
    fn href(&self, tenant: &AccountTenant) -> String {
        paths::tenant_home(&tenant.slug)
    }
}

#[get("/tenants")]
async fn picker(state: web::Data<AppState>, user: SignedIn) -> Result<PickerPage, AppError> {
    let tenants = control::tenants_of_account(&state.db, user.account_id).await?;
    Ok(PickerPage {
        shell: Shell::signed_in(&user, Section::None),
        tenants,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/tenants/overview.html")]
pub struct OverviewPage {
    pub shell: Shell,
    pub tenant_name: String,
    pub roles: String,
    pub scoped: bool,
    pub settings: entities::settings::Model,
    pub location_group_count: usize,
    /// Only admins see the audit trail.
    pub recent_activity: Option<Vec<audit_log::Model>>,
}

#[get("/t/{slug}")]
async fn overview(state: web::Data<AppState>, member: Member) -> Result<OverviewPage, AppError> {
    let is_admin = member.roles.contains(Role::Admin);
    let (settings, groups, activity) = with_tenant(&state.db, member.tenant, async |tx| {
        use sea_orm::EntityTrait as _;
        let settings = entities::settings::Entity::find_by_id(1_i16).one(tx).await?;
        let groups = location_groups::list(tx).await?;
        let activity = if is_admin {
            Some(audit::recent(tx, 10).await?)
        } else {
            None
        };
        Ok::<_, AppError>((settings, groups, activity))
    })
    .await?;
    let settings = settings.ok_or_else(|| AppError::Internal("tenant settings row missing".into()))?;
    Ok(OverviewPage {
        shell: Shell::member(&member, Section::Overview),
        tenant_name: member.tenant_name.clone(),
        roles: member.roles.to_string(),
        scoped: member.scope_group_ids.is_some(),
        settings,
        location_group_count: groups.len(),
        recent_activity: activity,
    })
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(root).service(picker).service(overview);
}
