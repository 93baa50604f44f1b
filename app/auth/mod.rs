//! Authentication and request protection: password hashing, session tokens, CSRF tokens, sign-in
//! throttling, and the vault that seals secrets at rest. Pure mechanisms; the web layer and the jobs wire
//! them to requests and storage.

pub mod csrf;
pub mod password;
pub mod session;
pub mod signed_link;
pub mod throttle;
pub mod token;
pub mod vault;
