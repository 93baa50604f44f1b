//! Secrets at rest (DESIGN §8, RELIABILITY §4.6): a tenant's Odoo API key is sealed with AES-256-GCM
//! under the master key, with a random 96-bit nonce per sealing and the tenant's id in the associated
//! data — a sealed key copied into another tenant's row does not open. Each sealed value names the key
//! it was sealed with (a key id derived from the key), so that `truestock keys rotate` can reseal old
//! values under a new master key while the previous keys still open them.

use aes_gcm::aead::{Aead, Generate, Key, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::config::SecretKey;
use crate::domain::tenant::TenantId;

/// A sealed secret as stored: which key, the nonce, and the ciphertext with its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error(
        "the stored secret was sealed with master key {0}, which is not configured \
         (set it in TRUESTOCK_PREVIOUS_MASTER_KEYS, then run `truestock keys rotate`)"
    )]
    UnknownKey(String),
    #[error("the stored secret does not open: it was altered, or belongs to another tenant")]
    Tampered,
}

/// The master key that seals, and previous ones that still open.
pub struct KeyRing {
    current: (String, Aes256Gcm),
    previous: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "KeyRing {{ current: {}, previous: {previous:?} }}", self.current.0)
    }
}

/// A short public name of a key: the first 8 bytes of its SHA-256, in hex.
pub fn key_id(key: &SecretKey) -> String {
    let digest = Sha256::digest(key.expose());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn cipher(key: &SecretKey) -> (String, Aes256Gcm) {
    let key_bytes = Key::<Aes256Gcm>::from(*key.expose());
    (key_id(key), Aes256Gcm::new(&key_bytes))
}

/// What a sealed Odoo API key is bound to.
fn associated_data(tenant: TenantId) -> Vec<u8> {
    format!("odoo_api_key|v1|{}", tenant.as_uuid()).into_bytes()
}

impl KeyRing {
    pub fn new(current: &SecretKey, previous: &[SecretKey]) -> Self {
        Self {
            current: cipher(current),
            previous: previous.iter().map(cipher).collect(),
        }
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.0
    }

    /// Seals `tenant`'s Odoo API key under the current master key.
    pub fn seal_odoo_key(&self, tenant: TenantId, api_key: &SecretString) -> Sealed {
        let nonce = Nonce::generate();
        let aad = associated_data(tenant);
        let payload = Payload {
            msg: api_key.expose_secret().as_bytes(),
            aad: &aad,
        };
        let ciphertext = self
            .current
            .1
            .encrypt(&nonce, payload)
            .expect("AES-GCM seals any key shorter than 64 GiB");
        Sealed {
            key_id: self.current.0.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        }
    }

    /// Opens `tenant`'s sealed Odoo API key.
    pub fn open_odoo_key(&self, tenant: TenantId, sealed: &Sealed) -> Result<SecretString, VaultError> {
        let cipher = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|(id, _)| *id == sealed.key_id)
            .map(|(_, cipher)| cipher)
            .ok_or_else(|| VaultError::UnknownKey(sealed.key_id.clone()))?;
        let nonce = Nonce::try_from(sealed.nonce.as_slice()).map_err(|_| VaultError::Tampered)?;
        let aad = associated_data(tenant);
        let payload = Payload {
            msg: &sealed.ciphertext,
            aad: &aad,
        };
        let plain = cipher.decrypt(&nonce, payload).map_err(|_| VaultError::Tampered)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| VaultError::Tampered)
    }

    /// Reseals a value under the current key when it was sealed under a previous one (`None`: already
    /// current).
    pub fn reseal_odoo_key(&self, tenant: TenantId, sealed: &Sealed) -> Result<Option<Sealed>, VaultError> {
        if sealed.key_id == self.current.0 {
            return Ok(None);
        }
        let key = self.open_odoo_key(tenant, sealed)?;
        Ok(Some(self.seal_odoo_key(tenant, &key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_string())
    }

    #[test]
    fn a_sealed_key_opens_only_for_its_tenant_and_never_repeats_a_nonce() {
        let ring = KeyRing::new(&SecretKey::generate(), &[]);
        let (a, b) = (TenantId::new(), TenantId::new());
        let sealed = ring.seal_odoo_key(a, &secret("key-of-a"));
        assert_eq!(ring.open_odoo_key(a, &sealed).unwrap().expose_secret(), "key-of-a");
        assert_eq!(ring.open_odoo_key(b, &sealed).unwrap_err(), VaultError::Tampered);
        let again = ring.seal_odoo_key(a, &secret("key-of-a"));
        assert_ne!(sealed.nonce, again.nonce);
        assert_ne!(sealed.ciphertext, again.ciphertext);
        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert_eq!(ring.open_odoo_key(a, &flipped).unwrap_err(), VaultError::Tampered);
        assert!(!sealed.ciphertext.windows(8).any(|w| w == b"key-of-a"));
    }

    #[test]
    fn rotation_reseals_under_the_new_key_while_the_old_one_still_opens() {
        let (old, new) = (SecretKey::generate(), SecretKey::generate());
        let tenant = TenantId::new();
        let sealed = KeyRing::new(&old, &[]).seal_odoo_key(tenant, &secret("k"));
        let without_old = KeyRing::new(&new, &[]);
        assert!(matches!(
            without_old.open_odoo_key(tenant, &sealed),
            Err(VaultError::UnknownKey(_))
        ));
        let ring = KeyRing::new(&new, &[old]);
        let resealed = ring.reseal_odoo_key(tenant, &sealed).unwrap().expect("resealed");
        assert_eq!(resealed.key_id, key_id(&new));
        assert_eq!(
            without_old.open_odoo_key(tenant, &resealed).unwrap().expose_secret(),
            "k"
        );
        assert!(ring.reseal_odoo_key(tenant, &resealed).unwrap().is_none());
        assert!(!format!("{ring:?}").contains("Aes"));
    }
}
