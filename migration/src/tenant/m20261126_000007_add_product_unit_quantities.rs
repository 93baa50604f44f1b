//! Quantities in the product's unit where Odoo does not give them on every version (DESIGN §5:
//! quantities normalised to the product unit, originals kept):
//! - `stock_move_line.quantity_done_product_uom`: the done quantity (`quantity_done`, in the line's unit)
//!   in the product's unit: Odoo's `quantity_product_uom` on 17+ once picked or done (0 before), and on
//!   16, which has no such field, `qty_done` converted with the units' factors and rounded half-up to the
//!   product unit's rounding.
//! - `stock_scrap.scrap_qty_product_uom`: `scrap_qty` (in the scrap's `product_uom_id`) converted the
//!   same way on every version.
//!
//! Both are null when the mirror does not know the unit or the product. Existing rows lack them, so
//! the cursors of both models are reset: the next pull re-reads them (within the history horizon) and
//! rewrites only the rows whose new column differs.
//!
//! New columns inherit the tables' grants; nothing to grant.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
            ALTER TABLE odoo_stock_move_line ADD COLUMN quantity_done_product_uom double precision;
            ALTER TABLE odoo_stock_scrap ADD COLUMN scrap_qty_product_uom double precision;
            DELETE FROM sync_cursors WHERE model IN ('stock.move.line', 'stock.scrap');
            "#,
        )
        .await
    }
}
