//! Sync state and the first mirror tables (DESIGN §5). A cursor per Odoo model: the write-date second
//! the pull has reached and the last id read within it, with a hash of the field list (a new field
//! means a planned re-pull). A row per sync run with per-model counts, timings and errors. Mirror
//! tables are named `odoo_<model>`, keyed by Odoo's id, with Odoo's field names (many2ones as ids);
//! rows Odoo deleted are kept, marked `odoo_deleted_at`. No unique index Odoo does not enforce.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            CREATE TABLE sync_cursors (
                model           text PRIMARY KEY,
                fields_hash     text NOT NULL,
                bucket          timestamptz NOT NULL,
                last_id         bigint NOT NULL,
                rows_synced     bigint NOT NULL DEFAULT 0,
                last_success_at timestamptz,
                updated_at      timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE sync_runs (
                id          bigserial PRIMARY KEY,
                job_id      bigint,
                kind        text NOT NULL,
                status      text NOT NULL DEFAULT 'running'
                            CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
                started_at  timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                models      jsonb NOT NULL DEFAULT '{}',
                error       text
            );
            CREATE INDEX sync_runs_recent ON sync_runs (started_at DESC);

            CREATE TABLE odoo_res_company (
                odoo_id bigint PRIMARY KEY, name text, currency_id bigint, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_stock_warehouse (
                odoo_id bigint PRIMARY KEY, name text, code text, company_id bigint, view_location_id bigint,
                lot_stock_id bigint, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_stock_location (
                odoo_id bigint PRIMARY KEY, name text, complete_name text, usage text, location_id bigint,
                warehouse_id bigint, company_id bigint, scrap_location boolean NOT NULL, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_product_template (
                odoo_id bigint PRIMARY KEY, name text, default_code text, barcode text, categ_id bigint,
                uom_id bigint, uom_po_id bigint, uom_ids bigint[] NOT NULL, standard_price double precision NOT NULL,
                list_price double precision NOT NULL, is_storable boolean NOT NULL, tracking text,
                sale_ok boolean NOT NULL, purchase_ok boolean NOT NULL, company_id bigint, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE odoo_product_product (
                odoo_id bigint PRIMARY KEY, product_tmpl_id bigint, default_code text, barcode text,
                display_name text, standard_price double precision NOT NULL, company_id bigint, active boolean NOT NULL,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_product_product_template ON odoo_product_product (product_tmpl_id);
            CREATE TABLE odoo_stock_quant (
                odoo_id bigint PRIMARY KEY, product_id bigint, location_id bigint, lot_id bigint, package_id bigint,
                owner_id bigint, company_id bigint, warehouse_id bigint, quantity double precision NOT NULL,
                reserved_quantity double precision NOT NULL, in_date timestamptz,
                inventory_quantity double precision NOT NULL, inventory_quantity_set boolean NOT NULL,
                inventory_date date, user_id bigint,
                create_uid bigint, write_uid bigint, create_date timestamptz, write_date timestamptz,
                odoo_deleted_at timestamptz, synced_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX odoo_stock_quant_product_location ON odoo_stock_quant (product_id, location_id);
            "#,
        )
        .await
    }
}
