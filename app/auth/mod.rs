//! Authentication and request protection: password hashing, session tokens, CSRF tokens, sign-in
//! throttling. Pure mechanisms; the web layer wires them to requests.

pub mod csrf;
pub mod password;
pub mod session;
pub mod throttle;
