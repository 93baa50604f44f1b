//! The start page and the tenant picker (the tenant overview is `web::overview`).

use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get};
use askama::Template;
use askama_web::WebTemplate;

use crate::db::control::{self, AccountTenant};

use super::AppState;
use super::errors::AppError;
use super::extractors::SignedIn;
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

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(root).service(picker);
}
