//! Writing messages to the outbox. [`enqueue`] renders the message to its final bytes — headers,
//! `Message-ID`, both parts — and stores it with its delivery job, in the caller's transaction: what
//! is rolled back is never sent, and every retry sends exactly these bytes.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait as _};
use uuid::Uuid;

use super::Mailer;
use super::delivery;
use crate::db::outbox as store;
use crate::domain::tenant::TenantId;

/// Who an email belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Invites, resets, notices: no tenant; never listed to tenant admins; the body is purged once sent.
    Account,
    /// A tenant's alert: its admins see it (without the body) and can retry it.
    Tenant(TenantId),
}

/// A rendered email, before it gets its id.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: Mailbox,
    /// Which template made it (`invite`, `low_stock`, …), for the lists.
    pub template: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The signed one-click unsubscribe link (RFC 8058), for alerts.
    pub unsubscribe: Option<String>,
}

impl Email {
    /// An email to `name <email>` from its two renderings (a template error or an address the mail
    /// server would refuse is an [`OutboxError::Build`]); without an unsubscribe link.
    pub fn build(
        name: &str,
        email: &str,
        template: &'static str,
        subject: String,
        text: askama::Result<String>,
        html: askama::Result<String>,
    ) -> Result<Self, OutboxError> {
        let render = |e: askama::Error| OutboxError::Build(e.to_string());
        let address = email
            .parse()
            .map_err(|e| OutboxError::Build(format!("{email:?} is not an address: {e}")))?;
        Ok(Email {
            to: Mailbox::new(Some(name.to_string()), address),
            template,
            subject,
            text: text.map_err(render)?,
            html: html.map_err(render)?,
            unsubscribe: None,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("the email could not be built: {0}")]
    Build(String),
}

/// The message's bytes as they will be sent.
fn render(mailer: &Mailer, id: Uuid, email: &Email) -> Result<Vec<u8>, OutboxError> {
    let build = |e: &dyn std::fmt::Display| OutboxError::Build(e.to_string());
    let mut message = lettre::Message::builder()
        .from(mailer.from().clone())
        .to(email.to.clone())
        .subject(email.subject.clone())
        .message_id(Some(mailer.message_id(id)))
        .date_now()
        .header(lettre::message::header::MIME_VERSION_1_0);
    if let Some(link) = &email.unsubscribe {
        let header = |name: &str, value: String| {
            HeaderName::new_from_ascii(name.to_string())
                .map(|name| HeaderValue::new(name, value))
                .map_err(|e| build(&e))
        };
        message = message
            .raw_header(header("List-Unsubscribe", format!("<{link}>"))?)
            .raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into())?);
    }
    let message = message
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| build(&e))?;
    Ok(message.formatted())
}

/// Stores `email` and its delivery job in the caller's transaction (on the pool for account emails,
/// inside `with_tenant` for a tenant's alerts); returns the outbox id.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    audience: Audience,
    email: &Email,
) -> Result<Uuid, OutboxError> {
    let id = Uuid::now_v7();
    let message = render(mailer, id, email)?;
    let (tenant, category) = match audience {
        Audience::Account => (None, "account"),
        Audience::Tenant(tenant) => (Some(tenant), "alert"),
    };
    store::insert(
        db,
        &store::NewMessage {
            id,
            tenant_id: tenant.map(|t| t.as_uuid()),
            category,
            template: email.template,
            sender: mailer.from().email.as_ref(),
            recipient: email.to.email.as_ref(),
            subject: &email.subject,
            message_id: &mailer.message_id(id),
            message: &message,
        },
    )
    .await?;
    crate::jobs::enqueue(db, &delivery::job(id, tenant)).await?;
    Ok(id)
}

/// Queues a failed alert email of `tenant` again (an admin's retry); false when it is not one.
pub async fn retry_failed(db: &sea_orm::DatabaseConnection, tenant: TenantId, id: Uuid) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    if !store::requeue_failed(&txn, tenant.as_uuid(), id).await? {
        return Ok(false);
    }
    crate::jobs::enqueue(&txn, &delivery::job(id, Some(tenant))).await?;
    txn.commit().await?;
    Ok(true)
}
