//! Bearer tokens handed out once — the Odoo webhook's URL, invite and password-reset links: 32 random
//! bytes in URL-safe base64. Only their SHA-256 (hex) is stored, so a copy of the database opens
//! nothing.

use base64::Engine as _;
use sha2::{Digest, Sha256};

pub fn generate() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What is stored of `token`.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_random_url_safe_and_hashed_to_hex() {
        let (a, b) = (super::generate(), super::generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(super::hash(&a).len(), 64);
        assert_eq!(super::hash(&a), super::hash(&a));
    }
}
