//! Request extractors: who is signed in ([`SignedIn`]) and, on tenant routes, which tenant and with
//! which roles and scope ([`Member`]). Both re-read the database on every request, so ending a session
//! or changing a membership takes effect at once. A tenant is resolved first and fails closed: an
//! invalid slug, an unknown tenant and a tenant the account does not belong to all answer 404.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::auth::csrf::Binding;
use crate::auth::session::IDLE_TIMEOUT_SECS;
use crate::db::control;
use crate::domain::account::{Role, RoleSet};
use crate::domain::tenant::{TenantId, TenantSlug};

use super::AppState;
use super::errors::AppError;

/// A signed-in account with a live session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_id: Uuid,
    pub account_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// The CSRF token bound to this session, for the page's forms.
    pub csrf_token: String,
}

impl SignedIn {
    pub fn actor(&self) -> crate::db::audit::Actor {
        crate::db::audit::Actor {
            account_id: Some(self.account_id),
            name: self.display_name.clone(),
            email: self.email.clone(),
        }
    }
}

pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("HX-Request")
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".into()))
}

async fn signed_in(req: HttpRequest) -> Result<SignedIn, AppError> {
    if let Some(user) = req.extensions().get::<SignedIn>() {
        return Ok(user.clone());
    }
    let state = state(&req)?;
    let sign_in = || AppError::SignInRequired {
        next: (req.method() == actix_web::http::Method::GET)
            .then(|| req.uri().path_and_query().map(|pq| pq.as_str().to_string()))
            .flatten(),
        htmx: is_htmx(&req),
    };
    let Some(session_id) = state.session_id_from_cookie(&req) else {
        return Err(sign_in());
    };
    let Some(session) = control::live_session(&state.db, session_id, IDLE_TIMEOUT_SECS).await? else {
        return Err(sign_in());
    };
    let user = SignedIn {
        session_id: session.session_id,
        account_id: session.account_id,
        email: session.email,
        display_name: session.display_name,
        csrf_token: state.csrf.token(&Binding::Session(session.session_id)),
    };
    req.extensions_mut().insert(user.clone());
    Ok(user)
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(signed_in(req.clone()))
    }
}

/// A signed-in member of the tenant named in the URL (`/t/{slug}/…`).
#[derive(Debug, Clone)]
pub struct Member {
    pub user: SignedIn,
    pub tenant: TenantId,
    pub slug: TenantSlug,
    pub tenant_name: String,
    pub membership_id: Uuid,
    pub roles: RoleSet,
    /// `None`: the whole tenant; otherwise the location groups this member may see.
    pub scope_group_ids: Option<Vec<Uuid>>,
}

impl Member {
    /// Refuses (403) unless the member holds `role`.
    /// Refuses members who hold none of `roles`.
    pub fn require(&self, roles: &[Role], why: &'static str) -> Result<(), AppError> {
        if roles.iter().any(|role| self.roles.contains(*role)) {
            Ok(())
        } else {
            Err(AppError::Forbidden(why))
        }
    }
}

async fn member(req: HttpRequest) -> Result<Member, AppError> {
    // The slug is validated before anything reaches SQL.
    let slug = req
        .match_info()
        .get("slug")
        .and_then(|s| TenantSlug::parse(s).ok())
        .ok_or(AppError::NotFound)?;
    let user = signed_in(req.clone()).await?;
    let state = state(&req)?;
    let access = control::member_access(&state.db, &slug, user.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let roles = RoleSet::parse(access.roles.iter().map(String::as_str))
        .map_err(|e| AppError::Internal(format!("membership {} has bad roles: {e}", access.membership_id)))?;
    tracing::Span::current().record("tenant", tracing::field::display(access.tenant_id));
    Ok(Member {
        user,
        tenant: TenantId::from_uuid(access.tenant_id),
        slug,
        tenant_name: access.name,
        membership_id: access.membership_id,
        roles,
        scope_group_ids: access.scope_group_ids,
    })
}

impl FromRequest for Member {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(member(req.clone()))
    }
}

/// The roles an [`Authorized`] extractor accepts (any of them), with the refusal shown to members who
/// hold none.
pub trait RequiredRole {
    const ROLES: &'static [Role];
    const REFUSAL: &'static str;
}

/// The tenant admin role: members, settings, the Odoo connection.
pub struct AdminRole;

impl RequiredRole for AdminRole {
    const ROLES: &'static [Role] = &[Role::Admin];
    const REFUSAL: &'static str = "Only tenant admins can do this.";
}

/// Who follows the sync: tenant admins and managers.
pub struct SyncRole;

impl RequiredRole for SyncRole {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Manager];
    const REFUSAL: &'static str = "Only tenant admins and managers can see the sync.";
}

/// A [`Member`] who holds `R`'s role; anyone else gets 403 before the handler runs. Handlers say what
/// they need in their signature: `admin: Authorized<AdminRole>`.
pub struct Authorized<R: RequiredRole> {
    pub member: Member,
    _role: std::marker::PhantomData<R>,
}

impl<R: RequiredRole> std::ops::Deref for Authorized<R> {
    type Target = Member;
    fn deref(&self) -> &Member {
        &self.member
    }
}

impl<R: RequiredRole + 'static> FromRequest for Authorized<R> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let member = member(req).await?;
            member.require(R::ROLES, R::REFUSAL)?;
            Ok(Self {
                member,
                _role: std::marker::PhantomData,
            })
        })
    }
}

/// Parses an `application/x-www-form-urlencoded` body (repeated keys become lists). Bad bytes or
/// shapes are a 400 with the parser's reason, never a 500.
pub fn parse_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_html_form::from_bytes(body).map_err(|e| {
        tracing::info!(error = %e, "unreadable form");
        AppError::BadRequest("The form could not be read. Reload the page and try again.".into())
    })
}
