//! Integration tests: one binary, each test with its own database cloned from a migrated template
//! and dropped afterwards (with its tenant roles). The server under test connects as `ts_app`.

// Tests deliberately run raw SQL as other roles to prove what the database refuses.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod alerts;
mod auth;
mod browser;
mod connection;
mod email;
mod helpers;
mod jobs;
mod members;
mod odoo;
mod odoo_clients;
mod odoo_wire;
mod stock;
mod sync;
mod tenancy;
mod web;
