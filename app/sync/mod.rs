//! Keeping each tenant's mirror of its Odoo: the connection (settings, sealed key, tests), and — in
//! the slices to come — the pull, reconciliation and write-back jobs.

pub mod connection;
pub mod positions;
pub mod progress;
pub mod pull;
pub mod reconcile;
pub mod webhook;
