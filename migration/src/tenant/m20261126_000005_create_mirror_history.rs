//! History of what Odoo overwrites (DESIGN §5), kept from the first sync, append-only: the pull appends
//! a row in the page's transaction when a mirrored row is first seen or differs from the mirror's
//! previous row in what the history keeps (app/db/history.rs says what each keeps). Each row carries
//! Odoo's `write_uid`/`write_date` of the change and `recorded_at`, the pull that saw it.
//!
//! Product cost is company-dependent in Odoo, so it gets its own mirror, `odoo_product_product_cost`
//! (one row per product and company, read with that company in context), whose history is the cost per
//! company over time.
//!
//! The tenant role may only INSERT and SELECT the `*_history` tables (TENANCY.md).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE odoo_product_product_cost (
                odoo_id bigint NOT NULL, company_id bigint NOT NULL, standard_price double precision NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (odoo_id, company_id)
            );

            CREATE TABLE odoo_product_product_cost_history (
                id bigserial PRIMARY KEY, odoo_id bigint NOT NULL, company_id bigint NOT NULL,
                standard_price double precision NOT NULL,
                write_uid bigint, write_date timestamptz, recorded_at timestamptz NOT NULL
            );
            CREATE INDEX odoo_product_product_cost_history_product
                ON odoo_product_product_cost_history (odoo_id, company_id, recorded_at);

            CREATE TABLE odoo_product_template_history (
                id bigserial PRIMARY KEY, odoo_id bigint NOT NULL, name text, default_code text, barcode text,
                categ_id bigint, uom_id bigint,
                write_uid bigint, write_date timestamptz, recorded_at timestamptz NOT NULL
            );
            CREATE INDEX odoo_product_template_history_template
                ON odoo_product_template_history (odoo_id, recorded_at);

            CREATE TABLE odoo_product_product_history (
                id bigserial PRIMARY KEY, odoo_id bigint NOT NULL, product_tmpl_id bigint, default_code text,
                barcode text,
                write_uid bigint, write_date timestamptz, recorded_at timestamptz NOT NULL
            );
            CREATE INDEX odoo_product_product_history_product ON odoo_product_product_history (odoo_id, recorded_at);

            CREATE TABLE odoo_product_supplierinfo_history (
                id bigserial PRIMARY KEY, odoo_id bigint NOT NULL, partner_id bigint, product_tmpl_id bigint,
                product_id bigint, company_id bigint, currency_id bigint, price double precision NOT NULL,
                min_qty double precision NOT NULL, delay bigint NOT NULL, date_start date, date_end date,
                write_uid bigint, write_date timestamptz, recorded_at timestamptz NOT NULL
            );
            CREATE INDEX odoo_product_supplierinfo_history_supplierinfo
                ON odoo_product_supplierinfo_history (odoo_id, recorded_at);
            CREATE INDEX odoo_product_supplierinfo_history_template
                ON odoo_product_supplierinfo_history (product_tmpl_id, recorded_at);

            CREATE TABLE odoo_purchase_order_line_history (
                id bigserial PRIMARY KEY, odoo_id bigint NOT NULL, order_id bigint, product_id bigint,
                partner_id bigint, date_planned timestamptz,
                write_uid bigint, write_date timestamptz, recorded_at timestamptz NOT NULL
            );
            CREATE INDEX odoo_purchase_order_line_history_line
                ON odoo_purchase_order_line_history (odoo_id, recorded_at);

            CREATE TABLE odoo_stock_quant_history (
                id bigserial PRIMARY KEY, odoo_id bigint NOT NULL, product_id bigint, location_id bigint,
                lot_id bigint, package_id bigint, owner_id bigint, company_id bigint,
                quantity double precision NOT NULL, inventory_quantity double precision NOT NULL,
                inventory_quantity_set boolean NOT NULL, inventory_date date, user_id bigint,
                write_uid bigint, write_date timestamptz, recorded_at timestamptz NOT NULL
            );
            CREATE INDEX odoo_stock_quant_history_quant ON odoo_stock_quant_history (odoo_id, recorded_at);
            CREATE INDEX odoo_stock_quant_history_product_location
                ON odoo_stock_quant_history (product_id, location_id, recorded_at);

            CREATE TABLE odoo_stock_warehouse_orderpoint_history (
                id bigserial PRIMARY KEY, odoo_id bigint NOT NULL, product_id bigint, location_id bigint,
                warehouse_id bigint, company_id bigint, product_min_qty double precision NOT NULL,
                product_max_qty double precision NOT NULL,
                write_uid bigint, write_date timestamptz, recorded_at timestamptz NOT NULL
            );
            CREATE INDEX odoo_stock_warehouse_orderpoint_history_orderpoint
                ON odoo_stock_warehouse_orderpoint_history (odoo_id, recorded_at);

            -- Append-only: the tenant role is named like its schema (see app/db/tenancy).
            DO $$ DECLARE t text; BEGIN
                FOREACH t IN ARRAY ARRAY[
                    'odoo_product_product_cost_history', 'odoo_product_template_history',
                    'odoo_product_product_history', 'odoo_product_supplierinfo_history',
                    'odoo_purchase_order_line_history', 'odoo_stock_quant_history',
                    'odoo_stock_warehouse_orderpoint_history'
                ] LOOP
                    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM %I', t, current_schema());
                END LOOP;
            END $$;
            "#,
        )
        .await
    }
}
