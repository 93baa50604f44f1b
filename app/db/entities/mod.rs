//! sea-orm entities of tenant tables. They carry no schema name: they resolve only inside
//! `with_tenant`, whose search_path names the tenant's schema.

pub mod alert;
pub mod audit_log;
pub mod location_group;
pub mod odoo_product_category;
pub mod odoo_product_product;
pub mod odoo_product_product_cost;
pub mod odoo_product_product_cost_history;
pub mod odoo_product_product_history;
pub mod odoo_product_supplierinfo;
pub mod odoo_product_supplierinfo_history;
pub mod odoo_product_template;
pub mod odoo_product_template_history;
pub mod odoo_purchase_order;
pub mod odoo_purchase_order_line;
pub mod odoo_purchase_order_line_history;
pub mod odoo_res_company;
pub mod odoo_res_currency;
pub mod odoo_res_partner;
pub mod odoo_res_users;
pub mod odoo_stock_location;
pub mod odoo_stock_move;
pub mod odoo_stock_move_line;
pub mod odoo_stock_picking;
pub mod odoo_stock_picking_type;
pub mod odoo_stock_quant;
pub mod odoo_stock_quant_history;
pub mod odoo_stock_scrap;
pub mod odoo_stock_scrap_reason_tag;
pub mod odoo_stock_warehouse;
pub mod odoo_stock_warehouse_orderpoint;
pub mod odoo_stock_warehouse_orderpoint_history;
pub mod odoo_uom_uom;
pub mod settings;
pub mod sync_cursor;
pub mod sync_run;
