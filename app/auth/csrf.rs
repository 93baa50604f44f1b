//! CSRF synchronizer tokens: an HMAC of what the request is bound to (its session id, or before
//! sign-in a random pre-session cookie), keyed from `TRUESTOCK_JWT_SECRET`. Forms carry it as
//! `csrf_token`, htmx requests as the `X-CSRF-Token` header (set on `<body hx-headers>`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::SecretKey;

pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "X-CSRF-Token";

/// What a token is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    Session(uuid::Uuid),
    PreSession(String),
}

#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    /// Derives a key of its own so that a CSRF token can never double as anything else.
    pub fn derive(secret: &SecretKey) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose()).expect("HMAC takes any key length");
        mac.update(b"truestock csrf v1");
        Self(mac.finalize().into_bytes().into())
    }

    pub fn token(&self, binding: &Binding) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        match binding {
            Binding::Session(id) => {
                mac.update(b"session:");
                mac.update(id.as_bytes());
            }
            Binding::PreSession(value) => {
                mac.update(b"pre-session:");
                mac.update(value.as_bytes());
            }
        }
        B64.encode(mac.finalize().into_bytes())
    }

    pub fn verify(&self, binding: &Binding, presented: &str) -> bool {
        let expected = self.token(binding);
        expected.len() == presented.len() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// A fresh random pre-session value (the cookie that binds the sign-in form's token).
pub fn new_pre_session_value() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_to_one_session() {
        let key = CsrfKey::derive(&SecretKey::generate());
        let a = Binding::Session(uuid::Uuid::new_v4());
        let b = Binding::Session(uuid::Uuid::new_v4());
        let token = key.token(&a);
        assert!(key.verify(&a, &token));
        assert!(!key.verify(&b, &token));
        assert!(!key.verify(&a, ""));
        assert!(!key.verify(&Binding::PreSession("x".into()), &token));
    }
}
