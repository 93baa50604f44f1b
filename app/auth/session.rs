//! Session tokens: an HS256 JWT that carries only a session id. The session row in `control.sessions`
//! is the authority (checked on every request); the token only proves we issued that id.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::SecretKey;

/// Idle timeout (sliding) and absolute lifetime of a session (DESIGN §8).
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
pub const ABSOLUTE_LIFETIME_SECS: i64 = 12 * 60 * 60;

const AUDIENCE: &str = "truestock-web";
const ISSUER: &str = "truestock";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sid: Uuid,
    aud: String,
    iss: String,
    iat: i64,
    exp: i64,
}

/// Signs and checks session tokens with the `TRUESTOCK_JWT_SECRET`.
#[derive(Clone)]
pub struct SessionTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl SessionTokens {
    pub fn new(secret: &SecretKey) -> Self {
        // Pinned to HS256: a token naming any other algorithm (or none) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            validation,
        }
    }

    /// A token for `session_id`, valid until the session's absolute expiry.
    pub fn issue(&self, session_id: Uuid, expires_at: DateTime<Utc>) -> String {
        let claims = Claims {
            sid: session_id,
            aud: AUDIENCE.into(),
            iss: ISSUER.into(),
            iat: Utc::now().timestamp(),
            exp: expires_at.timestamp(),
        };
        // Encoding an HMAC over serde-serialisable claims cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// The session id in a valid token; `None` for anything forged, expired, or malformed.
    pub fn verify(&self, token: &str) -> Option<Uuid> {
        if token.len() > 4096 {
            return None;
        }
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims.sid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    fn tokens() -> SessionTokens {
        SessionTokens::new(&SecretKey::generate())
    }

    #[test]
    fn a_token_round_trips_to_its_session_id() {
        let t = tokens();
        let sid = Uuid::new_v4();
        assert_eq!(
            t.verify(&t.issue(sid, Utc::now() + chrono::Duration::hours(1))),
            Some(sid)
        );
    }

    #[test]
    fn forged_tokens_are_refused() {
        let t = tokens();
        let sid = Uuid::new_v4();
        let good = t.issue(sid, Utc::now() + chrono::Duration::hours(1));
        // signed with another key
        assert_eq!(tokens().verify(&good), None);
        // expired
        assert_eq!(t.verify(&t.issue(sid, Utc::now() - chrono::Duration::seconds(5))), None);
        // alg none
        let claims = B64.encode(format!(
            r#"{{"sid":"{sid}","aud":"{AUDIENCE}","iss":"{ISSUER}","iat":0,"exp":{}}}"#,
            Utc::now().timestamp() + 3600
        ));
        let none = format!("{}.{claims}.", B64.encode(r#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(t.verify(&none), None);
        // tampered payload, original signature
        let parts: Vec<&str> = good.split('.').collect();
        let other = B64.encode(format!(
            r#"{{"sid":"{}","aud":"{AUDIENCE}","iss":"{ISSUER}","iat":0,"exp":{}}}"#,
            Uuid::new_v4(),
            Utc::now().timestamp() + 3600
        ));
        assert_eq!(t.verify(&format!("{}.{other}.{}", parts[0], parts[2])), None);
        assert_eq!(t.verify("garbage"), None);
    }
}
