//! What each history of the mirror keeps (DESIGN §5): for each `*_history` table, the values that add an
//! entry when they change, and the context recorded with them. A row seen for the first time adds an
//! entry too (the first promised date, the first known price), except a quant with no count entered.
//! Every entry carries Odoo's `write_uid`/`write_date` of the change and `recorded_at`, the pull that
//! saw it. The pull appends them through [`super::mirror::write_page`], in the page's transaction.

use super::entities::{
    odoo_product_product, odoo_product_product_cost, odoo_product_product_cost_history, odoo_product_product_history,
    odoo_product_supplierinfo, odoo_product_supplierinfo_history, odoo_product_template, odoo_product_template_history,
    odoo_purchase_order_line, odoo_purchase_order_line_history, odoo_stock_quant, odoo_stock_quant_history,
    odoo_stock_warehouse_orderpoint, odoo_stock_warehouse_orderpoint_history,
};
use super::mirror::History;

/// Whether what `kept` picks of a row differs from the previous row (or there is none).
fn changed<M, K: PartialEq>(old: Option<&M>, new: &M, kept: impl Fn(&M) -> K) -> bool {
    old.is_none_or(|old| kept(old) != kept(new))
}

/// An entry of `$history` from `$new`: the listed columns, plus who and when.
macro_rules! entry {
    ($history:ident, $new:ident, { $($column:ident : $value:expr),* $(,)? }) => {
        $history::Model {
            id: super::mirror::ASSIGNED_ON_INSERT,
            odoo_id: $new.odoo_id,
            $($column: $value,)*
            write_uid: $new.write_uid,
            write_date: $new.write_date,
            recorded_at: $new.synced_at,
        }
    };
}

/// A purchase line's first and later promised dates.
impl History for odoo_purchase_order_line_history::Entity {
    type Of = odoo_purchase_order_line::Entity;
    fn entry(
        old: Option<&odoo_purchase_order_line::Model>,
        new: &odoo_purchase_order_line::Model,
    ) -> Option<Self::Model> {
        if !changed(old, new, |r| r.date_planned) {
            return None;
        }
        Some(entry!(odoo_purchase_order_line_history, new, {
            order_id: new.order_id,
            product_id: new.product_id,
            partner_id: new.partner_id,
            date_planned: new.date_planned,
        }))
    }
}

/// Supplier prices and lead times: price (and its currency), minimum quantity, lead time, validity.
impl History for odoo_product_supplierinfo_history::Entity {
    type Of = odoo_product_supplierinfo::Entity;
    fn entry(
        old: Option<&odoo_product_supplierinfo::Model>,
        new: &odoo_product_supplierinfo::Model,
    ) -> Option<Self::Model> {
        if !changed(old, new, |r| {
            (r.price, r.currency_id, r.min_qty, r.delay, r.date_start, r.date_end)
        }) {
            return None;
        }
        Some(entry!(odoo_product_supplierinfo_history, new, {
            partner_id: new.partner_id,
            product_tmpl_id: new.product_tmpl_id,
            product_id: new.product_id,
            company_id: new.company_id,
            currency_id: new.currency_id,
            price: new.price,
            min_qty: new.min_qty,
            delay: new.delay,
            date_start: new.date_start,
            date_end: new.date_end,
        }))
    }
}

/// Product cost per company.
impl History for odoo_product_product_cost_history::Entity {
    type Of = odoo_product_product_cost::Entity;
    fn entry(
        old: Option<&odoo_product_product_cost::Model>,
        new: &odoo_product_product_cost::Model,
    ) -> Option<Self::Model> {
        if !changed(old, new, |r| r.standard_price) {
            return None;
        }
        Some(entry!(odoo_product_product_cost_history, new, {
            company_id: new.company_id,
            standard_price: new.standard_price,
        }))
    }
}

/// Counted quantities with who and when: an entry when a count is entered, changes (quantity, counter,
/// date) or is cleared (Odoo clears it when the count is applied or discarded); a quant first seen
/// without a count adds none. The on-hand quantity at that moment is recorded beside it.
impl History for odoo_stock_quant_history::Entity {
    type Of = odoo_stock_quant::Entity;
    fn entry(old: Option<&odoo_stock_quant::Model>, new: &odoo_stock_quant::Model) -> Option<Self::Model> {
        let count = |q: &odoo_stock_quant::Model| {
            (
                q.inventory_quantity_set,
                q.inventory_quantity,
                q.user_id,
                q.inventory_date,
            )
        };
        let counted = match old {
            None => new.inventory_quantity_set,
            Some(old) => (old.inventory_quantity_set || new.inventory_quantity_set) && count(old) != count(new),
        };
        if !counted {
            return None;
        }
        Some(entry!(odoo_stock_quant_history, new, {
            product_id: new.product_id,
            location_id: new.location_id,
            lot_id: new.lot_id,
            package_id: new.package_id,
            owner_id: new.owner_id,
            company_id: new.company_id,
            quantity: new.quantity,
            inventory_quantity: new.inventory_quantity,
            inventory_quantity_set: new.inventory_quantity_set,
            inventory_date: new.inventory_date,
            user_id: new.user_id,
        }))
    }
}

/// Reorder rules' min and max.
impl History for odoo_stock_warehouse_orderpoint_history::Entity {
    type Of = odoo_stock_warehouse_orderpoint::Entity;
    fn entry(
        old: Option<&odoo_stock_warehouse_orderpoint::Model>,
        new: &odoo_stock_warehouse_orderpoint::Model,
    ) -> Option<Self::Model> {
        if !changed(old, new, |r| (r.product_min_qty, r.product_max_qty)) {
            return None;
        }
        Some(entry!(odoo_stock_warehouse_orderpoint_history, new, {
            product_id: new.product_id,
            location_id: new.location_id,
            warehouse_id: new.warehouse_id,
            company_id: new.company_id,
            product_min_qty: new.product_min_qty,
            product_max_qty: new.product_max_qty,
        }))
    }
}

/// Product attributes on templates: name, internal reference, barcode, category, unit.
impl History for odoo_product_template_history::Entity {
    type Of = odoo_product_template::Entity;
    fn entry(old: Option<&odoo_product_template::Model>, new: &odoo_product_template::Model) -> Option<Self::Model> {
        if !changed(old, new, |r| {
            (
                r.name.clone(),
                r.default_code.clone(),
                r.barcode.clone(),
                r.categ_id,
                r.uom_id,
            )
        }) {
            return None;
        }
        Some(entry!(odoo_product_template_history, new, {
            name: new.name.clone(),
            default_code: new.default_code.clone(),
            barcode: new.barcode.clone(),
            categ_id: new.categ_id,
            uom_id: new.uom_id,
        }))
    }
}

/// Product attributes on variants: internal reference and barcode (name, category and unit are the
/// template's).
impl History for odoo_product_product_history::Entity {
    type Of = odoo_product_product::Entity;
    fn entry(old: Option<&odoo_product_product::Model>, new: &odoo_product_product::Model) -> Option<Self::Model> {
        if !changed(old, new, |r| (r.default_code.clone(), r.barcode.clone())) {
            return None;
        }
        Some(entry!(odoo_product_product_history, new, {
            product_tmpl_id: new.product_tmpl_id,
            default_code: new.default_code.clone(),
            barcode: new.barcode.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn quant(set: bool, counted: f64, user: Option<i64>) -> odoo_stock_quant::Model {
        odoo_stock_quant::Model {
            odoo_id: 7,
            product_id: Some(1),
            location_id: Some(2),
            lot_id: None,
            package_id: None,
            owner_id: None,
            company_id: Some(1),
            warehouse_id: Some(1),
            quantity: 10.0,
            reserved_quantity: 0.0,
            in_date: None,
            inventory_quantity: counted,
            inventory_quantity_set: set,
            inventory_date: None,
            user_id: user,
            create_uid: None,
            write_uid: Some(2),
            create_date: None,
            write_date: None,
            odoo_deleted_at: None,
            synced_at: Utc::now(),
        }
    }

    #[test]
    fn a_count_is_recorded_when_entered_changed_or_cleared_and_not_otherwise() {
        fn entry(
            old: Option<&odoo_stock_quant::Model>,
            new: &odoo_stock_quant::Model,
        ) -> Option<odoo_stock_quant_history::Model> {
            odoo_stock_quant_history::Entity::entry(old, new)
        }
        let uncounted = quant(false, 0.0, None);
        let counted = quant(true, 8.0, Some(5));
        assert!(entry(None, &uncounted).is_none(), "a quant without a count");
        assert!(entry(None, &counted).is_some(), "first seen with a count");
        assert!(entry(Some(&uncounted), &counted).is_some(), "a count entered");
        assert!(
            entry(Some(&counted), &quant(true, 9.0, Some(5))).is_some(),
            "a count changed"
        );
        assert!(
            entry(Some(&counted), &quant(true, 8.0, Some(6))).is_some(),
            "another counter"
        );
        assert!(
            entry(Some(&counted), &uncounted).is_some(),
            "a count applied or discarded"
        );
        assert!(entry(Some(&counted), &counted.clone()).is_none(), "nothing changed");
        let mut sold = counted.clone();
        sold.quantity = 4.0;
        assert!(entry(Some(&counted), &sold).is_none(), "stock moved, the count did not");
        assert!(
            entry(Some(&uncounted), &quant(false, 0.0, Some(3))).is_none(),
            "no count either side"
        );
    }
}
