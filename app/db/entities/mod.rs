//! sea-orm entities of tenant tables. They carry no schema name: they resolve only inside
//! `with_tenant`, whose search_path names the tenant's schema.

pub mod audit_log;
pub mod location_group;
pub mod settings;
