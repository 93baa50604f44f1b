//! What can go wrong talking to Odoo, in classes the sync can act on (retry, stop, degrade a model).
//! Messages never include the API key or raw network error text meant for developers.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OdooError {
    /// Wrong login, password or API key (`AccessDenied`, HTTP 401, `login` returning false). Stop
    /// retrying: Odoo has a login cooldown.
    #[error("Odoo refused the credentials (login or API key)")]
    BadCredentials,
    /// The bot user may not read or write this model (`AccessError`, HTTP 403).
    #[error("Odoo denies access to {model}: {message}")]
    AccessDenied { model: String, message: String },
    /// A record that no longer exists (`MissingError`, HTTP 404 on a record).
    #[error("the Odoo record no longer exists: {0}")]
    RecordMissing(String),
    /// A business rule or constraint refused the change (`UserError`, `ValidationError`, HTTP 422).
    #[error("Odoo refused the change: {0}")]
    UserError(String),
    /// A lock or concurrent update (Odoo 19's `LockError` / 409, serialization failures): retry.
    #[error("Odoo was busy with a concurrent change; try again")]
    Concurrency,
    /// JSON-RPC code 100: the (web) session expired. Our calls are stateless: retry once.
    #[error("the Odoo session expired")]
    SessionExpired,
    /// Timeouts, refused or reset connections, HTTP 5xx from Odoo or its proxy: retry later.
    #[error("Odoo could not be reached: {0}")]
    Transport(String),
    /// The response was bigger than the configured cap.
    #[error("Odoo's response exceeded {limit} bytes")]
    ResponseTooLarge { limit: usize },
    /// The response could not be understood (not JSON, wrong shape, a field of the wrong type).
    #[error("Odoo's response could not be read: {0}")]
    Malformed(String),
    /// Anything else Odoo reported (unknown method, server error), with Odoo's class name.
    #[error("Odoo reported {name}: {message}")]
    Server { name: String, message: String },
    /// The URL or the address it resolves to is not allowed (DESIGN §8: https, public addresses).
    #[error("the Odoo address is not allowed: {0}")]
    AddressRefused(String),
    /// The server is not an Odoo version TrueStock supports.
    #[error("Odoo {0} is not supported (16 to 19 are)")]
    UnsupportedVersion(String),
}

impl OdooError {
    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            OdooError::Concurrency | OdooError::SessionExpired | OdooError::Transport(_)
        )
    }

    /// A suggested wait before retrying a transient error.
    pub fn retry_after(&self) -> Option<Duration> {
        self.is_transient().then(|| Duration::from_secs(1))
    }

    /// Classifies an Odoo exception by its class name (`data.name` in JSON-RPC, `name` in JSON-2).
    pub fn from_exception(name: &str, message: &str, model: Option<&str>) -> Self {
        let class = name.rsplit('.').next().unwrap_or(name);
        match class {
            "AccessDenied" => OdooError::BadCredentials,
            "AccessError" => OdooError::AccessDenied {
                model: model.unwrap_or("?").to_string(),
                message: message.to_string(),
            },
            "MissingError" => OdooError::RecordMissing(message.to_string()),
            "UserError" | "ValidationError" | "RedirectWarning" => OdooError::UserError(message.to_string()),
            "LockError"
            | "ConcurrencyError"
            | "SerializationFailure"
            | "TransactionRollbackError"
            | "DeadlockDetected"
            | "LockNotAvailable" => OdooError::Concurrency,
            "SessionExpiredException" => OdooError::SessionExpired,
            _ => OdooError::Server {
                name: name.to_string(),
                message: message.to_string(),
            },
        }
    }
}
