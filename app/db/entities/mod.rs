//! sea-orm entities of tenant tables. They carry no schema name: they resolve only inside
//! `with_tenant`, whose search_path names the tenant's schema.

pub mod audit_log;
pub mod location_group;
pub mod odoo_product_product;
pub mod odoo_product_template;
pub mod odoo_res_company;
pub mod odoo_stock_location;
pub mod odoo_stock_quant;
pub mod odoo_stock_warehouse;
pub mod settings;
pub mod sync_cursor;
pub mod sync_run;
