//! argon2id password hashing on a bounded blocking pool, with a dummy hash so that unknown accounts
//! cost the same time as known ones.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::config::PasswordCost;

/// Passwords shorter than this are refused (ASVS 6.2.1); long ones are allowed up to 128 characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password hashing pool is gone")]
    PoolClosed,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Hashes and verifies passwords, never more than `permits` at once (each hash holds ~19 MiB).
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new(cost: PasswordCost, max_concurrent: usize) -> Result<Self, PasswordError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| PasswordError::Hash(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let dummy_hash = argon
            .hash_password(b"not a real password: makes unknown accounts cost a verification")
            .map_err(|e| PasswordError::Hash(e.to_string()))?
            .to_string();
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC string (`$argon2id$v=19$m=…`).
    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let argon = self.argon();
        let password = password.clone();
        self.run(move || {
            argon
                .hash_password(password.expose_secret().as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| PasswordError::Hash(e.to_string()))
        })
        .await?
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is no account, so
    /// both cases take the same time. Returns whether it matched and whether the hash should be redone
    /// with the current parameters.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> Result<Verification, PasswordError> {
        let is_real = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_string();
        let password = password.clone();
        let current = self.params.clone();
        self.run(move || {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Verification {
                    matches: false,
                    needs_rehash: false,
                };
            };
            let matches = Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
                && is_real;
            let needs_rehash = matches
                && (parsed.algorithm.as_str() != "argon2id"
                    || Params::try_from(&parsed).map_or(true, |p| {
                        (p.m_cost(), p.t_cost(), p.p_cost()) != (current.m_cost(), current.t_cost(), current.p_cost())
                    }));
            Verification { matches, needs_rehash }
        })
        .await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, PasswordError> {
        let _permit = self.permits.acquire().await.map_err(|_| PasswordError::PoolClosed)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    pub needs_rehash: bool,
}

/// A generated password: 20 characters from an unambiguous alphabet (about 115 bits).
pub fn generate_password() -> SecretString {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let text: String = (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    SecretString::from(text)
}

/// Why a new password is refused, worded for the person typing it.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("Use at most {MAX_PASSWORD_CHARS} characters."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn production_cost_is_argon2id_m19456_t2_p1_and_old_hashes_get_rehashed() {
        let hasher = PasswordHasher::new(PasswordCost::PRODUCTION, 2).unwrap();
        let password = SecretString::from("correct horse battery staple");
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        let ok = hasher.verify(&password, Some(&hash)).await.unwrap();
        assert_eq!(
            ok,
            Verification {
                matches: true,
                needs_rehash: false
            }
        );

        let legacy = PasswordHasher::new(PasswordCost::TEST, 1)
            .unwrap()
            .hash(&password)
            .await
            .unwrap();
        let ok = hasher.verify(&password, Some(&legacy)).await.unwrap();
        assert_eq!(
            ok,
            Verification {
                matches: true,
                needs_rehash: true
            }
        );
    }

    #[tokio::test]
    async fn unknown_accounts_never_match_even_with_the_dummy_password() {
        let hasher = PasswordHasher::new(PasswordCost::TEST, 1).unwrap();
        let guess = SecretString::from("not a real password: makes unknown accounts cost a verification");
        assert!(!hasher.verify(&guess, None).await.unwrap().matches);
        assert!(!hasher.verify(&guess, Some("garbage")).await.unwrap().matches);
    }

    #[test]
    fn new_passwords_need_twelve_characters() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("twelve chars").is_ok());
        assert!(check_new_password(&"x".repeat(129)).is_err());
        assert_eq!(generate_password().expose_secret().len(), 20);
    }
}
