//! Odoo: the client TrueStock uses to talk to each tenant's Odoo (16–19), and the simulator that
//! stands in for Odoo in the demo, the tests and the benchmarks. This module knows nothing of
//! TrueStock's storage.

pub mod client;
pub mod domain;
pub mod error;
pub mod reach;
pub mod records;
pub mod sim;
pub mod survey;
pub mod value;
pub mod version;
pub mod writeback;

pub use client::{Aggregate, Client, OdooConfig, SearchOptions};
pub use domain::{Domain, Op};
pub use error::OdooError;
pub use reach::Reach;
pub use version::OdooVersion;
