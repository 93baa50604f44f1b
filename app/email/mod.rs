//! Email (DESIGN §2.6, §8; RELIABILITY §3). A message is rendered once — text and HTML from the askama
//! templates in `templates/emails/` — and written to the outbox in the transaction of the change that
//! causes it ([`outbox::enqueue`]); the `email.deliver` job ([`delivery`]) hands the stored bytes to
//! the SMTP relay, so every retry sends the same message with the same `Message-ID`.
//!
//! - [`account`]: invites, password resets and password-changed notices; they carry no tenant.
//! - [`sink`]: an in-process SMTP server for the demo, the tests and the outbox benchmark.

pub mod account;
pub mod alerts;
pub mod delivery;
pub mod outbox;
pub mod sink;

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{Address, AsyncTransport as _, Tokio1Executor};
use url::Url;

use crate::auth::signed_link::LinkSigner;
use uuid::Uuid;

/// What every email is made and sent with: the sender, where links point, the signer of links that
/// act without a sign-in, and the SMTP relay.
pub struct Mailer {
    from: Mailbox,
    public_url: Url,
    signer: LinkSigner,
    transport: Option<Transport>,
}

impl Mailer {
    pub fn new(from: Mailbox, public_url: Url, signer: LinkSigner, transport: Option<Transport>) -> Self {
        Self {
            from,
            public_url,
            signer,
            transport,
        }
    }

    pub fn signer(&self) -> &LinkSigner {
        &self.signer
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// `path` (with its query) as an absolute link into the app.
    pub fn link(&self, path: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    /// The `Message-ID` of an outbox message: derived from its id, so a duplicate is recognisable.
    pub fn message_id(&self, outbox_id: Uuid) -> String {
        format!("<outbox-{outbox_id}@{}>", self.from.email.domain())
    }

    pub fn transport(&self) -> Option<&Transport> {
        self.transport.as_ref()
    }
}

/// The SMTP relay of `TRUESTOCK_SMTP_URL` (lettre). One connection per message: lettre's async
/// transport times out only the connect, so every send runs under our own timeout, and a send cut
/// short must not leave a half-used connection in a pool for the next message.
pub struct Transport {
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    timeout: Duration,
}

/// A delivery attempt that did not end with the server taking the message.
#[derive(Debug, thiserror::Error)]
pub enum SendFailure {
    /// 5xx (other than a refused relay login) or a malformed address: trying again cannot help.
    #[error("{message}")]
    Permanent { code: Option<i32>, message: String },
    /// 4xx, a timeout, a dropped connection, a TLS or DNS failure: try again later.
    #[error("{message}")]
    Transient { code: Option<i32>, message: String },
}

impl SendFailure {
    pub fn code(&self) -> Option<i32> {
        match self {
            SendFailure::Permanent { code, .. } | SendFailure::Transient { code, .. } => *code,
        }
    }
}

impl Transport {
    /// RELIABILITY §3: lettre's 60 s default is too patient for a queue worker.
    pub const TIMEOUT: Duration = Duration::from_secs(20);

    pub fn from_url(url: &str) -> Result<Self, lettre::transport::smtp::Error> {
        Self::with_timeout(url, Self::TIMEOUT)
    }

    /// For tests of a stalling server, which should not wait 20 s.
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self, lettre::transport::smtp::Error> {
        Ok(Self {
            smtp: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                .timeout(Some(timeout))
                .build(),
            timeout,
        })
    }

    /// Sends `message` (complete RFC 5322 bytes) from `from` to `to`; the server's code on success.
    pub async fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<i32, SendFailure> {
        let address = |text: &str| {
            text.parse::<Address>().map_err(|e| SendFailure::Permanent {
                code: None,
                message: format!("the address {text:?} is not valid: {e}"),
            })
        };
        let envelope = lettre::address::Envelope::new(Some(address(from)?), vec![address(to)?]).map_err(|e| {
            SendFailure::Permanent {
                code: None,
                message: e.to_string(),
            }
        })?;
        let sent = tokio::time::timeout(self.timeout, self.smtp.send_raw(&envelope, message)).await;
        let Ok(sent) = sent else {
            return Err(SendFailure::Transient {
                code: None,
                message: format!(
                    "the SMTP server did not answer within {} s (timed out)",
                    self.timeout.as_secs()
                ),
            });
        };
        match sent {
            Ok(response) => Ok(response.code().to_string().parse().unwrap_or(250)),
            Err(e) => {
                let code = e.status().and_then(|c| c.to_string().parse().ok());
                let message = e.to_string();
                // A 5xx refuses this message for good — except the relay refusing *our* login
                // (530, 534, 535, 538), which an operator fixes and which must not fail every email.
                let our_login = matches!(code, Some(530 | 534 | 535 | 538));
                if e.is_permanent() && !our_login {
                    Err(SendFailure::Permanent { code, message })
                } else {
                    Err(SendFailure::Transient { code, message })
                }
            }
        }
    }
}
