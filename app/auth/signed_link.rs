//! Signed links: a payload and its HMAC, keyed from `TRUESTOCK_JWT_SECRET` (a key of its own per
//! purpose), so that an email link can act without a sign-in — and only on what it names. Used by the
//! one-click unsubscribe (RFC 8058) and the confirmation of an external alert recipient.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::SecretKey;

#[derive(Clone)]
pub struct LinkSigner([u8; 32]);

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

impl LinkSigner {
    pub fn derive(secret: &SecretKey) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose()).expect("HMAC takes any key length");
        mac.update(b"truestock signed links v1");
        Self(mac.finalize().into_bytes().into())
    }

    fn mac(&self, purpose: &str, payload: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    /// `payload` and its signature for `purpose`, URL-safe.
    pub fn sign(&self, purpose: &str, payload: &str) -> String {
        format!(
            "{}.{}",
            B64.encode(payload.as_bytes()),
            B64.encode(self.mac(purpose, payload.as_bytes()))
        )
    }

    /// The payload of a token signed for `purpose`; `None` for anything else.
    pub fn verify(&self, purpose: &str, token: &str) -> Option<String> {
        let (payload, signature) = token.split_once('.')?;
        let payload = B64.decode(payload).ok()?;
        let signature = B64.decode(signature).ok()?;
        let expected = self.mac(purpose, &payload);
        if expected.len() == signature.len() && bool::from(expected.ct_eq(&signature)) {
            String::from_utf8(payload).ok()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_unchanged_and_for_its_purpose() {
        let signer =
            LinkSigner::derive(&SecretKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap());
        let token = signer.sign("unsubscribe", "t|r|account:1");
        assert_eq!(signer.verify("unsubscribe", &token).as_deref(), Some("t|r|account:1"));
        assert_eq!(signer.verify("confirm", &token), None);
        let forged = format!("{}.{}", B64.encode("t|r|account:2"), token.split_once('.').unwrap().1);
        assert_eq!(signer.verify("unsubscribe", &forged), None);
        assert_eq!(signer.verify("unsubscribe", "garbage"), None);
        assert_eq!(signer.verify("unsubscribe", "a.b.c"), None);
    }
}
