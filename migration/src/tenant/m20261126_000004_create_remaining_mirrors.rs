//! The other mirror tables (DESIGN §5): every model of `app/odoo/records.rs` not mirrored by 000003.
//! Named `odoo_<model>`, keyed by Odoo's id, with Odoo's field names (many2ones as bigint ids, x2manys as
//! bigint[]), the audit columns, `odoo_deleted_at` and `synced_at` as in 000003.
//!
//! Where a field differs between versions, one column holds the version-neutral value (ODOO-API §3.4):
//! - `stock_move.quantity_done`: the done quantity in the move's unit (16's `quantity_done`; 17+'s
//!   `quantity` once picked or done, since before that it is reserved), 0 on cancelled moves; the raw
//!   17+ `quantity` and `picked` are kept beside it. `quantity_done_product_uom` and
//!   `quantity_remaining_product_uom` are in the product's unit, as is Odoo's `product_qty` (the demand;
//!   `product_uom_qty` is the demand in the move's unit).
//! - `stock_move_line.quantity_done`: the same in the line's unit (16's `qty_done`, kept raw too);
//!   `quantity_product_uom` is Odoo's 17+ quantity in the product's unit (null on 16).
//! - `purchase_order_line.product_uom_id`: the line's unit (≤18 `product_uom`, 19 `product_uom_id`);
//!   `product_qty` is in that unit and `product_uom_qty` in the product's (both Odoo's);
//!   `qty_received_product_uom` converts `qty_received` with their ratio.
//! - `stock_scrap.move_ids`: the scrap's moves on every version (16's `move_id` is kept raw too).
//!
//! Indexes serve the sync (open documents) and the stock screens (moves by product, location and date;
//! lines by order); none is unique beyond Odoo's id, since Odoo enforces nothing else.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE odoo_product_category (
                odoo_id bigint PRIMARY KEY, name text, complete_name text, parent_id bigint,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_uom_uom (
                odoo_id bigint PRIMARY KEY, name text, category_id bigint, factor double precision NOT NULL,
                factor_inv double precision NOT NULL, rounding double precision NOT NULL, uom_type text,
                relative_factor double precision NOT NULL, relative_uom_id bigint, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_res_currency (
                odoo_id bigint PRIMARY KEY, name text, symbol text, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_res_partner (
                odoo_id bigint PRIMARY KEY, name text, is_company boolean NOT NULL, parent_id bigint, ref text,
                company_id bigint, supplier_rank bigint NOT NULL, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_res_users (
                odoo_id bigint PRIMARY KEY, name text, login text, partner_id bigint, company_id bigint,
                active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_stock_picking_type (
                odoo_id bigint PRIMARY KEY, name text, code text, warehouse_id bigint,
                default_location_src_id bigint, default_location_dest_id bigint, company_id bigint,
                active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE odoo_stock_picking (
                odoo_id bigint PRIMARY KEY, name text, origin text, partner_id bigint, picking_type_id bigint,
                picking_type_code text, location_id bigint, location_dest_id bigint, scheduled_date timestamptz,
                date_done timestamptz, state text, return_id bigint, backorder_id bigint, purchase_id bigint,
                sale_id bigint, pos_order_id bigint, company_id bigint,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            -- The pull re-reads open pickings on every run.
            CREATE INDEX odoo_stock_picking_open ON odoo_stock_picking (odoo_id)
                WHERE state NOT IN ('done', 'cancel');
            CREATE INDEX odoo_stock_picking_purchase ON odoo_stock_picking (purchase_id)
                WHERE purchase_id IS NOT NULL;

            CREATE TABLE odoo_stock_move (
                odoo_id bigint PRIMARY KEY, name text, reference text, product_id bigint, product_uom bigint,
                product_uom_qty double precision NOT NULL, product_qty double precision NOT NULL,
                quantity_done double precision NOT NULL, quantity double precision NOT NULL, picked boolean NOT NULL,
                quantity_done_product_uom double precision NOT NULL,
                quantity_remaining_product_uom double precision NOT NULL,
                state text, date timestamptz, location_id bigint, location_dest_id bigint, location_final_id bigint,
                picking_id bigint, picking_type_id bigint, partner_id bigint, origin text, company_id bigint,
                price_unit double precision NOT NULL, is_inventory boolean NOT NULL, inventory_name text,
                scrapped boolean NOT NULL, scrap_id bigint, is_scrap boolean NOT NULL,
                origin_returned_move_id bigint, purchase_line_id bigint,
                move_orig_ids bigint[] NOT NULL, move_dest_ids bigint[] NOT NULL, returned_move_ids bigint[] NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_stock_move_product_date ON odoo_stock_move (product_id, date);
            CREATE INDEX odoo_stock_move_from_date ON odoo_stock_move (location_id, date);
            CREATE INDEX odoo_stock_move_to_date ON odoo_stock_move (location_dest_id, date);
            CREATE INDEX odoo_stock_move_picking ON odoo_stock_move (picking_id) WHERE picking_id IS NOT NULL;
            CREATE INDEX odoo_stock_move_purchase_line ON odoo_stock_move (purchase_line_id)
                WHERE purchase_line_id IS NOT NULL;

            CREATE TABLE odoo_stock_move_line (
                odoo_id bigint PRIMARY KEY, move_id bigint, picking_id bigint, product_id bigint,
                product_uom_id bigint, lot_id bigint, owner_id bigint, location_id bigint, location_dest_id bigint,
                date timestamptz, state text, reference text, is_inventory boolean NOT NULL,
                quantity_done double precision NOT NULL, qty_done double precision NOT NULL,
                quantity double precision NOT NULL, picked boolean NOT NULL, quantity_product_uom double precision,
                lot_name text, package_id bigint, result_package_id bigint, company_id bigint,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_stock_move_line_move ON odoo_stock_move_line (move_id);
            CREATE INDEX odoo_stock_move_line_product_date ON odoo_stock_move_line (product_id, date);

            CREATE TABLE odoo_stock_scrap_reason_tag (
                odoo_id bigint PRIMARY KEY, name text, sequence bigint NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_stock_scrap (
                odoo_id bigint PRIMARY KEY, name text, product_id bigint, product_uom_id bigint, lot_id bigint,
                owner_id bigint, company_id bigint, origin text, location_id bigint, scrap_location_id bigint,
                scrap_qty double precision NOT NULL, state text, date_done timestamptz, move_id bigint,
                move_ids bigint[] NOT NULL, scrap_reason_tag_ids bigint[] NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_stock_scrap_product_date ON odoo_stock_scrap (product_id, date_done);

            CREATE TABLE odoo_purchase_order (
                odoo_id bigint PRIMARY KEY, name text, partner_id bigint, origin text, company_id bigint,
                currency_id bigint, user_id bigint, date_order timestamptz, date_approve timestamptz,
                date_planned timestamptz, effective_date timestamptz, state text, locked boolean NOT NULL,
                receipt_status text, amount_total double precision NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_purchase_order_partner_date ON odoo_purchase_order (partner_id, date_order);
            -- The pull re-reads confirmed orders not fully received on every run.
            CREATE INDEX odoo_purchase_order_open ON odoo_purchase_order (odoo_id)
                WHERE state IN ('purchase', 'done') AND (receipt_status IS NULL OR receipt_status <> 'full');
            CREATE TABLE odoo_purchase_order_line (
                odoo_id bigint PRIMARY KEY, order_id bigint, product_id bigint, name text,
                product_qty double precision NOT NULL, product_uom_qty double precision NOT NULL,
                product_uom_id bigint, qty_received double precision NOT NULL,
                qty_received_product_uom double precision NOT NULL, price_unit double precision NOT NULL,
                discount double precision NOT NULL, date_planned timestamptz, display_type text, partner_id bigint,
                currency_id bigint, company_id bigint,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_purchase_order_line_order ON odoo_purchase_order_line (order_id);
            CREATE INDEX odoo_purchase_order_line_product ON odoo_purchase_order_line (product_id);

            CREATE TABLE odoo_product_supplierinfo (
                odoo_id bigint PRIMARY KEY, partner_id bigint, product_tmpl_id bigint, product_id bigint,
                product_code text, sequence bigint NOT NULL, min_qty double precision NOT NULL,
                price double precision NOT NULL, currency_id bigint, delay bigint NOT NULL, date_start date,
                date_end date, product_uom_id bigint, company_id bigint,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_product_supplierinfo_template ON odoo_product_supplierinfo (product_tmpl_id);
            CREATE INDEX odoo_product_supplierinfo_partner ON odoo_product_supplierinfo (partner_id);

            CREATE TABLE odoo_stock_warehouse_orderpoint (
                odoo_id bigint PRIMARY KEY, name text, trigger text, warehouse_id bigint, location_id bigint,
                product_id bigint, product_min_qty double precision NOT NULL,
                product_max_qty double precision NOT NULL, qty_multiple double precision NOT NULL,
                replenishment_uom_id bigint, company_id bigint, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_stock_warehouse_orderpoint_product_location
                ON odoo_stock_warehouse_orderpoint (product_id, location_id);
            "#,
        )
        .await
    }
}
