//! Account emails (DESIGN §8): the invite, the password reset and the password-changed notice. They
//! belong to no tenant ([`Audience::Account`](super::outbox::Audience)): no tenant admin can list,
//! read or resend them, and their bodies are purged once sent. Their links carry single-use, expiring
//! tokens of which only the hash is stored; none of them signs anyone in.

use askama::Template;
use chrono::{DateTime, Utc};

use super::Mailer;
use super::outbox::{Email, OutboxError};

/// How long an invite's set-password link works.
pub const INVITE_LIFETIME: chrono::Duration = chrono::Duration::days(7);
/// How long a password-reset link works.
pub const RESET_LIFETIME: chrono::Duration = chrono::Duration::hours(1);

/// Where an invitee sets their first password.
pub fn invite_path(token: &str) -> String {
    format!("/account/invite/{token}")
}

/// Where a forgotten password is replaced.
pub fn reset_path(token: &str) -> String {
    format!("/account/reset/{token}")
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// An invitation to a tenant: with a set-password link for a new account, or a notice that access was
/// added for an existing one.
pub struct Invite {
    pub name: String,
    pub inviter: String,
    pub tenant: String,
    pub set_password_link: Option<String>,
    pub sign_in_link: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "emails/invite.txt")]
struct InviteText<'a> {
    m: &'a Invite,
}

#[derive(Template)]
#[template(path = "emails/invite.html")]
struct InviteHtml<'a> {
    m: &'a Invite,
    subject: &'a str,
}

/// The invite of `email` (`token`: the new account's set-password token; `None` for an existing
/// account, which only gains a membership).
pub fn invite(
    mailer: &Mailer,
    name: &str,
    email: &str,
    inviter: &str,
    tenant: &str,
    token: Option<&str>,
) -> Result<Email, OutboxError> {
    let m = Invite {
        name: name.to_string(),
        inviter: inviter.to_string(),
        tenant: tenant.to_string(),
        set_password_link: token.map(|t| mailer.link(&invite_path(t))),
        sign_in_link: mailer.link("/login"),
        expires: when(Utc::now() + INVITE_LIFETIME),
    };
    let subject = match token {
        Some(_) => format!("{inviter} invited you to {tenant} on TrueStock"),
        None => format!("You now have access to {tenant} on TrueStock"),
    };
    Email::build(
        name,
        email,
        "invite",
        subject.clone(),
        InviteText { m: &m }.render(),
        InviteHtml {
            m: &m,
            subject: &subject,
        }
        .render(),
    )
}

pub struct PasswordReset {
    pub name: String,
    pub email: String,
    pub link: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "emails/password_reset.txt")]
struct PasswordResetText<'a> {
    m: &'a PasswordReset,
}

#[derive(Template)]
#[template(path = "emails/password_reset.html")]
struct PasswordResetHtml<'a> {
    m: &'a PasswordReset,
    subject: &'a str,
}

pub fn password_reset(mailer: &Mailer, name: &str, email: &str, token: &str) -> Result<Email, OutboxError> {
    let m = PasswordReset {
        name: name.to_string(),
        email: email.to_string(),
        link: mailer.link(&reset_path(token)),
        expires: when(Utc::now() + RESET_LIFETIME),
    };
    let subject = "Reset your TrueStock password".to_string();
    Email::build(
        name,
        email,
        "password_reset",
        subject.clone(),
        PasswordResetText { m: &m }.render(),
        PasswordResetHtml {
            m: &m,
            subject: &subject,
        }
        .render(),
    )
}

pub struct PasswordChanged {
    pub name: String,
    pub email: String,
    pub when: String,
    pub reset_link: String,
}

#[derive(Template)]
#[template(path = "emails/password_changed.txt")]
struct PasswordChangedText<'a> {
    m: &'a PasswordChanged,
}

#[derive(Template)]
#[template(path = "emails/password_changed.html")]
struct PasswordChangedHtml<'a> {
    m: &'a PasswordChanged,
    subject: &'a str,
}

pub fn password_changed(mailer: &Mailer, name: &str, email: &str) -> Result<Email, OutboxError> {
    let m = PasswordChanged {
        name: name.to_string(),
        email: email.to_string(),
        when: when(Utc::now()),
        reset_link: mailer.link("/account/forgot"),
    };
    let subject = "Your TrueStock password was changed".to_string();
    Email::build(
        name,
        email,
        "password_changed",
        subject.clone(),
        PasswordChangedText { m: &m }.render(),
        PasswordChangedHtml {
            m: &m,
            subject: &subject,
        }
        .render(),
    )
}
