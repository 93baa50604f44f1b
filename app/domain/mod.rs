//! Pure types and rules (no actix, no sea-orm): values are parsed once at the edge and trusted after.

pub mod account;
pub mod alert;
pub mod stock;
pub mod tenant;
