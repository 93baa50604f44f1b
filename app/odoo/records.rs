//! Version adapters: one version-neutral record type per Odoo model TrueStock reads, with the superset
//! of fields DESIGN §5 asks for and the version range of each (ODOO-API §3). A field an Odoo version
//! lacks is simply not requested and reads as its default; what differs in meaning (done quantities,
//! storable products, units) is resolved by methods here, once.
//!
//! Every record has `create_uid`, `write_uid`, `create_date` and `write_date`.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::value::{self, Many2One};

/// A field of a model, present in Odoo versions `since..=until`; `optional` fields belong to modules a
/// tenant may not have (requested only when `fields_get` lists them).
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub name: &'static str,
    pub since: u8,
    pub until: u8,
    pub optional: bool,
}

const fn f(name: &'static str) -> FieldDef {
    FieldDef {
        name,
        since: 16,
        until: 99,
        optional: false,
    }
}
const fn since(name: &'static str, version: u8) -> FieldDef {
    FieldDef {
        name,
        since: version,
        until: 99,
        optional: false,
    }
}
const fn until(name: &'static str, version: u8) -> FieldDef {
    FieldDef {
        name,
        since: 16,
        until: version,
        optional: false,
    }
}
const fn optional(name: &'static str) -> FieldDef {
    FieldDef {
        name,
        since: 16,
        until: 99,
        optional: true,
    }
}

const META: [FieldDef; 4] = [f("create_uid"), f("write_uid"), f("create_date"), f("write_date")];

/// A model TrueStock reads, decoded into a version-neutral record.
pub trait OdooModel: DeserializeOwned + Send + 'static {
    const MODEL: &'static str;
    /// The model's own fields (the magic fields are added by [`OdooModel::fields`]).
    const FIELDS: &'static [FieldDef];
    /// Whether the model has `active` (archived rows must be read with `active_test: false`).
    const HAS_ACTIVE: bool = false;

    /// The field names to request from Odoo `version`; `available` (from `fields_get`) drops optional
    /// fields of modules the Odoo lacks.
    fn fields(version: u8, available: Option<&HashSet<String>>) -> Vec<&'static str> {
        META.iter()
            .chain(Self::FIELDS.iter())
            .filter(|d| (d.since..=d.until).contains(&version))
            .filter(|d| !d.optional || available.is_some_and(|a| a.contains(d.name)))
            .map(|d| d.name)
            .collect()
    }
}

/// The magic fields every record carries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Audit {
    #[serde(deserialize_with = "value::opt_many2one")]
    pub create_uid: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub write_uid: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub create_date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub write_date: Option<DateTime<Utc>>,
}

macro_rules! odoo_model {
    ($record:ident, $model:literal, active = $active:literal, [$($field:expr),* $(,)?]) => {
        impl OdooModel for $record {
            const MODEL: &'static str = $model;
            const FIELDS: &'static [FieldDef] = &[$($field),*];
            const HAS_ACTIVE: bool = $active;
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Products

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductTemplate {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub default_code: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub barcode: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub categ_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub uom_id: Option<Many2One>,
    /// ≤18 only; 19 buys in packagings (`uom_ids`) instead.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub uom_po_id: Option<Many2One>,
    /// 19: the packagings (units) the product is bought or sold in.
    #[serde(deserialize_with = "value::ids")]
    pub uom_ids: Vec<i64>,
    #[serde(deserialize_with = "value::number")]
    pub standard_price: f64,
    #[serde(deserialize_with = "value::number")]
    pub list_price: f64,
    /// 16/17: `product` means storable.
    #[serde(deserialize_with = "value::opt_string")]
    pub detailed_type: Option<String>,
    #[serde(rename = "type", deserialize_with = "value::opt_string")]
    pub product_type: Option<String>,
    /// 18+.
    #[serde(deserialize_with = "value::boolean")]
    pub is_storable: bool,
    #[serde(deserialize_with = "value::opt_string")]
    pub tracking: Option<String>,
    #[serde(deserialize_with = "value::boolean")]
    pub sale_ok: bool,
    #[serde(deserialize_with = "value::boolean")]
    pub purchase_ok: bool,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

impl ProductTemplate {
    /// Whether Odoo tracks its stock (16/17: type `product`; 18+: `is_storable`).
    pub fn is_storable(&self) -> bool {
        self.is_storable
            || self.detailed_type.as_deref() == Some("product")
            || self.product_type.as_deref() == Some("product")
    }
}

odoo_model!(
    ProductTemplate,
    "product.template",
    active = true,
    [
        f("name"),
        f("default_code"),
        f("barcode"),
        f("categ_id"),
        f("uom_id"),
        until("uom_po_id", 18),
        since("uom_ids", 19),
        f("standard_price"),
        f("list_price"),
        until("detailed_type", 17),
        f("type"),
        since("is_storable", 18),
        f("tracking"),
        f("sale_ok"),
        f("purchase_ok"),
        f("company_id"),
        f("active"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductProduct {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_tmpl_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_string")]
    pub default_code: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub barcode: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub display_name: Option<String>,
    #[serde(deserialize_with = "value::number")]
    pub standard_price: f64,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    ProductProduct,
    "product.product",
    active = true,
    [
        f("product_tmpl_id"),
        f("default_code"),
        f("barcode"),
        f("display_name"),
        f("standard_price"),
        f("company_id"),
        f("active"),
    ]
);

/// `product.product`'s cost as one company sees it: `standard_price` is company-dependent, so it is read
/// with that company first in `allowed_company_ids` (ODOO-API §5.7), once per company.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductCost {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::number")]
    pub standard_price: f64,
}

odoo_model!(ProductCost, "product.product", active = true, [f("standard_price")]);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductCategory {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub complete_name: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub parent_id: Option<Many2One>,
}

odoo_model!(
    ProductCategory,
    "product.category",
    active = false,
    [f("name"), f("complete_name"), f("parent_id")]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Uom {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    /// ≤18: units only convert within a category.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub category_id: Option<Many2One>,
    /// ≤18: units per reference unit (`factor`), with `uom_type`.
    #[serde(deserialize_with = "value::number")]
    pub factor: f64,
    #[serde(deserialize_with = "value::number")]
    pub factor_inv: f64,
    #[serde(deserialize_with = "value::number")]
    pub rounding: f64,
    #[serde(deserialize_with = "value::opt_string")]
    pub uom_type: Option<String>,
    /// 19: how many `relative_uom_id` one of this unit holds.
    #[serde(deserialize_with = "value::number")]
    pub relative_factor: f64,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub relative_uom_id: Option<Many2One>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

impl Uom {
    /// How many reference units one of this unit is, following 19's chain of `relative_uom_id`
    /// (a crate of 4 boxes of 6 → 24) through `units` (all units, by id).
    pub fn reference_units_in(&self, units: &std::collections::HashMap<i64, Uom>) -> f64 {
        let mut total = self.reference_units();
        let mut next = self.relative_uom_id.as_ref().map(|u| u.id);
        let mut steps = 0;
        while let Some(id) = next.filter(|_| steps < 16) {
            let Some(unit) = units.get(&id) else { break };
            if unit.relative_uom_id.is_none() {
                break;
            }
            total *= unit.reference_units();
            next = unit.relative_uom_id.as_ref().map(|u| u.id);
            steps += 1;
        }
        total
    }

    /// How many units of the next unit up one of this unit is (a box of 6 → 6); on ≤18 that is the
    /// category's reference unit. On 19 use [`Uom::reference_units_in`] to follow nested packagings.
    pub fn reference_units(&self) -> f64 {
        if self.relative_factor > 0.0 {
            self.relative_factor
        } else if self.factor > 0.0 {
            1.0 / self.factor
        } else {
            1.0
        }
    }
}

/// Odoo's `float_round` with `HALF-UP`: to a multiple of `rounding` (a unit's rounding, such as 0.01),
/// nudged by an epsilon of the value's magnitude so that a binary 2.675 rounds like the decimal one.
pub fn round_half_up(value: f64, rounding: f64) -> f64 {
    if rounding <= 0.0 || value == 0.0 || !value.is_finite() {
        return value;
    }
    let normalized = value / rounding;
    let epsilon = 2f64.powf(normalized.abs().log2() - 52.0);
    let steps = (normalized + normalized.signum() * epsilon).round();
    // Dividing by a whole number of steps per unit (100 for 0.01) gives the nearest binary value of the
    // decimal result (1.235, not 1.2350000000000001); other roundings (0.5) multiply exactly anyway.
    let per_unit = (1.0 / rounding).round();
    if per_unit >= 1.0 && (per_unit * rounding - 1.0).abs() < 1e-12 {
        steps / per_unit
    } else {
        steps * rounding
    }
}

/// The units of measure and each product's unit (its template's `uom_id`): what converts a quantity
/// entered in some unit into the product's unit, as Odoo's `uom.uom._compute_quantity` does, where Odoo
/// itself does not give the converted value (16's move lines, scraps).
#[derive(Debug, Clone, Default)]
pub struct Units {
    units: std::collections::HashMap<i64, Uom>,
    product_units: std::collections::HashMap<i64, i64>,
}

impl Units {
    /// `units` (every unit, archived ones included), `product_units` (product id, unit id).
    pub fn new(units: impl IntoIterator<Item = Uom>, product_units: impl IntoIterator<Item = (i64, i64)>) -> Self {
        Self {
            units: units.into_iter().map(|u| (u.id, u)).collect(),
            product_units: product_units.into_iter().collect(),
        }
    }

    /// `quantity` in unit `from` as a quantity of `product`'s unit, rounded half-up to that unit's
    /// rounding (Odoo's `rounding_method='HALF-UP'`, as 17+ computes `quantity_product_uom`); `None`
    /// when the unit, the product or the product's unit is unknown.
    pub fn to_product_unit(&self, quantity: f64, from: Option<&Many2One>, product: Option<&Many2One>) -> Option<f64> {
        let to = self.units.get(self.product_units.get(&product?.id)?)?;
        let from = self.units.get(&from?.id)?;
        let amount = if from.id == to.id {
            quantity
        } else {
            quantity * from.reference_units_in(&self.units) / to.reference_units_in(&self.units)
        };
        Some(round_half_up(amount, to.rounding))
    }
}

odoo_model!(
    Uom,
    "uom.uom",
    active = true,
    [
        f("name"),
        until("category_id", 18),
        f("factor"),
        until("factor_inv", 18),
        f("rounding"),
        until("uom_type", 18),
        since("relative_factor", 19),
        since("relative_uom_id", 19),
        f("active"),
    ]
);

// ---------------------------------------------------------------------------------------------
// Companies and people

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Company {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub currency_id: Option<Many2One>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    Company,
    "res.company",
    active = true,
    [f("name"), f("currency_id"), f("active")]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Currency {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub symbol: Option<String>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    Currency,
    "res.currency",
    active = true,
    [f("name"), f("symbol"), f("active")]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub login: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub partner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    User,
    "res.users",
    active = true,
    [f("name"), f("login"), f("partner_id"), f("company_id"), f("active")]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Partner {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::boolean")]
    pub is_company: bool,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub parent_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_string")]
    pub r#ref: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::integer")]
    pub supplier_rank: i64,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    Partner,
    "res.partner",
    active = true,
    [
        f("name"),
        f("is_company"),
        f("parent_id"),
        f("ref"),
        f("company_id"),
        optional("supplier_rank"),
        f("active"),
    ]
);

// ---------------------------------------------------------------------------------------------
// Warehouses and locations

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Warehouse {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub code: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub view_location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub lot_stock_id: Option<Many2One>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    Warehouse,
    "stock.warehouse",
    active = true,
    [
        f("name"),
        f("code"),
        f("company_id"),
        f("view_location_id"),
        f("lot_stock_id"),
        f("active"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Location {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub complete_name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub usage: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub warehouse_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    /// ≤18 only (19 finds scrap by usage `inventory`).
    #[serde(deserialize_with = "value::boolean")]
    pub scrap_location: bool,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    Location,
    "stock.location",
    active = true,
    [
        f("name"),
        f("complete_name"),
        f("usage"),
        f("location_id"),
        f("warehouse_id"),
        f("company_id"),
        until("scrap_location", 18),
        f("active"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PickingType {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub code: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub warehouse_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub default_location_src_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub default_location_dest_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    PickingType,
    "stock.picking.type",
    active = true,
    [
        f("name"),
        f("code"),
        f("warehouse_id"),
        f("default_location_src_id"),
        f("default_location_dest_id"),
        f("company_id"),
        f("active"),
    ]
);

// ---------------------------------------------------------------------------------------------
// Stock

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Quant {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub lot_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub package_id: Option<Many2One>,
    /// Consigned stock: shown apart, never valued or sold (DESIGN §2.8).
    #[serde(deserialize_with = "value::opt_many2one")]
    pub owner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub warehouse_id: Option<Many2One>,
    #[serde(deserialize_with = "value::number")]
    pub quantity: f64,
    #[serde(deserialize_with = "value::number")]
    pub reserved_quantity: f64,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub in_date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::number")]
    pub inventory_quantity: f64,
    #[serde(deserialize_with = "value::boolean")]
    pub inventory_quantity_set: bool,
    #[serde(deserialize_with = "value::opt_date")]
    pub inventory_date: Option<NaiveDate>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub user_id: Option<Many2One>,
}

odoo_model!(
    Quant,
    "stock.quant",
    active = false,
    [
        f("product_id"),
        f("location_id"),
        f("lot_id"),
        f("package_id"),
        f("owner_id"),
        f("company_id"),
        f("warehouse_id"),
        f("quantity"),
        f("reserved_quantity"),
        f("in_date"),
        f("inventory_quantity"),
        f("inventory_quantity_set"),
        f("inventory_date"),
        f("user_id"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Move {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub reference: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_uom: Option<Many2One>,
    #[serde(deserialize_with = "value::number")]
    pub product_uom_qty: f64,
    /// The demand in the product's unit.
    #[serde(deserialize_with = "value::number")]
    pub product_qty: f64,
    /// 16 only.
    #[serde(deserialize_with = "value::number")]
    pub quantity_done: f64,
    /// 17+: reserved while the move is open and not picked; done once picked or done.
    #[serde(deserialize_with = "value::number")]
    pub quantity: f64,
    #[serde(deserialize_with = "value::boolean")]
    pub picked: bool,
    #[serde(deserialize_with = "value::opt_string")]
    pub state: Option<String>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_dest_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub picking_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub picking_type_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub partner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_string")]
    pub origin: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::number")]
    pub price_unit: f64,
    #[serde(deserialize_with = "value::boolean")]
    pub is_inventory: bool,
    #[serde(deserialize_with = "value::opt_string")]
    pub inventory_name: Option<String>,
    #[serde(deserialize_with = "value::boolean")]
    pub scrapped: bool,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub scrap_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub origin_returned_move_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub purchase_line_id: Option<Many2One>,
    /// 18+: where a multi-step route finally takes the goods.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_final_id: Option<Many2One>,
    #[serde(deserialize_with = "value::ids")]
    pub move_orig_ids: Vec<i64>,
    #[serde(deserialize_with = "value::ids")]
    pub move_dest_ids: Vec<i64>,
    /// Returns of this move (the other side of `origin_returned_move_id`).
    #[serde(deserialize_with = "value::ids")]
    pub returned_move_ids: Vec<i64>,
}

impl Move {
    fn is_closed(&self) -> bool {
        matches!(self.state.as_deref(), Some("done" | "cancel"))
    }

    /// Product units per unit of the move (`product_qty` ÷ `product_uom_qty`; 1 when unknown).
    fn product_units_per_move_unit(&self) -> f64 {
        if self.product_uom_qty > 0.0 && self.product_qty > 0.0 {
            self.product_qty / self.product_uom_qty
        } else {
            1.0
        }
    }

    /// The quantity done, in the move's own unit (`product_uom`), as Odoo stores it (ODOO-API §3.4):
    /// 16's `quantity_done`; on 17+ the move's `quantity` only once it is picked or done (before that
    /// it means "reserved").
    pub fn done_quantity_in_move_unit(&self, version: u8) -> f64 {
        if self.state.as_deref() == Some("cancel") {
            return 0.0;
        }
        if version <= 16 {
            self.quantity_done
        } else if self.picked || self.state.as_deref() == Some("done") {
            self.quantity
        } else {
            0.0
        }
    }

    /// The quantity done, in the product's unit (a move in boxes of 6 that moved 2 boxes: 12).
    pub fn done_quantity(&self, version: u8) -> f64 {
        self.done_quantity_in_move_unit(version) * self.product_units_per_move_unit()
    }

    /// What is still to move, in the product's unit: nothing once done or cancelled; otherwise the
    /// demand minus what is done (computed in the move's unit, then converted).
    pub fn remaining_quantity(&self, version: u8) -> f64 {
        if self.is_closed() {
            return 0.0;
        }
        let remaining = (self.product_uom_qty - self.done_quantity_in_move_unit(version)).max(0.0);
        remaining * self.product_units_per_move_unit()
    }

    /// Whether the move is a scrap (≤18 `scrapped`; 17+ `scrap_id`).
    pub fn is_scrap(&self) -> bool {
        self.scrapped || self.scrap_id.is_some()
    }
}

odoo_model!(
    Move,
    "stock.move",
    active = false,
    [
        until("name", 18),
        f("reference"),
        f("product_id"),
        f("product_uom"),
        f("product_uom_qty"),
        f("product_qty"),
        until("quantity_done", 16),
        since("quantity", 17),
        since("picked", 17),
        f("state"),
        f("date"),
        f("location_id"),
        f("location_dest_id"),
        f("picking_id"),
        f("picking_type_id"),
        f("partner_id"),
        f("origin"),
        f("company_id"),
        f("price_unit"),
        f("is_inventory"),
        since("inventory_name", 19),
        until("scrapped", 18),
        since("scrap_id", 17),
        f("origin_returned_move_id"),
        optional("purchase_line_id"),
        since("location_final_id", 18),
        f("move_orig_ids"),
        f("move_dest_ids"),
        f("returned_move_ids"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MoveLine {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub move_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub picking_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_uom_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub lot_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub owner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_dest_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_string")]
    pub state: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub reference: Option<String>,
    #[serde(deserialize_with = "value::boolean")]
    pub is_inventory: bool,
    /// 16.
    #[serde(deserialize_with = "value::number")]
    pub qty_done: f64,
    /// 17+.
    #[serde(deserialize_with = "value::number")]
    pub quantity: f64,
    #[serde(deserialize_with = "value::boolean")]
    pub picked: bool,
    /// 17+: `quantity` in the product's unit.
    #[serde(deserialize_with = "value::number")]
    pub quantity_product_uom: f64,
    #[serde(deserialize_with = "value::opt_string")]
    pub lot_name: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub package_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub result_package_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
}

impl MoveLine {
    fn is_done_or_picked(&self) -> bool {
        self.picked || self.state.as_deref() == Some("done")
    }

    /// The quantity done on this line, in its unit (16 `qty_done`; 17+ `quantity` once picked/done).
    pub fn done_quantity(&self, version: u8) -> f64 {
        if version <= 16 {
            self.qty_done
        } else if self.is_done_or_picked() {
            self.quantity
        } else {
            0.0
        }
    }

    /// The quantity done in the product's unit: on 17+ Odoo's own `quantity_product_uom` once picked or
    /// done; 16 has no such field, so its `qty_done` is converted from the line's unit (`None` when
    /// `units` does not know the line's unit or the product's).
    pub fn done_quantity_in_product_unit(&self, version: u8, units: Option<&Units>) -> Option<f64> {
        if version >= 17 {
            return Some(if self.is_done_or_picked() {
                self.quantity_product_uom
            } else {
                0.0
            });
        }
        units?.to_product_unit(self.qty_done, self.product_uom_id.as_ref(), self.product_id.as_ref())
    }
}

odoo_model!(
    MoveLine,
    "stock.move.line",
    active = false,
    [
        f("move_id"),
        f("picking_id"),
        f("product_id"),
        f("product_uom_id"),
        f("lot_id"),
        f("owner_id"),
        f("location_id"),
        f("location_dest_id"),
        f("date"),
        f("state"),
        f("reference"),
        f("is_inventory"),
        until("qty_done", 16),
        since("quantity", 17),
        since("picked", 17),
        since("quantity_product_uom", 17),
        f("lot_name"),
        f("package_id"),
        f("result_package_id"),
        f("company_id"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Picking {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub origin: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub partner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub picking_type_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_string")]
    pub picking_type_code: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_dest_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub scheduled_date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub date_done: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_string")]
    pub state: Option<String>,
    /// 17+; on 16 returns are found through `stock.move.origin_returned_move_id`.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub return_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub backorder_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub purchase_id: Option<Many2One>,
    /// sale_stock, when installed.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub sale_id: Option<Many2One>,
    /// point_of_sale, when installed.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub pos_order_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
}

odoo_model!(
    Picking,
    "stock.picking",
    active = false,
    [
        f("name"),
        f("origin"),
        f("partner_id"),
        f("picking_type_id"),
        f("picking_type_code"),
        f("location_id"),
        f("location_dest_id"),
        f("scheduled_date"),
        f("date_done"),
        f("state"),
        since("return_id", 17),
        f("backorder_id"),
        optional("purchase_id"),
        optional("sale_id"),
        optional("pos_order_id"),
        f("company_id"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Scrap {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_uom_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub lot_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub owner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_string")]
    pub origin: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub scrap_location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::number")]
    pub scrap_qty: f64,
    #[serde(deserialize_with = "value::opt_string")]
    pub state: Option<String>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub date_done: Option<DateTime<Utc>>,
    /// 16.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub move_id: Option<Many2One>,
    /// 17+.
    #[serde(deserialize_with = "value::ids")]
    pub move_ids: Vec<i64>,
    /// 18+.
    #[serde(deserialize_with = "value::ids")]
    pub scrap_reason_tag_ids: Vec<i64>,
}

impl Scrap {
    /// `scrap_qty` (in the scrap's `product_uom_id`) in the product's unit; `None` when `units` does not
    /// know the scrap's unit or the product's.
    pub fn scrap_qty_in_product_unit(&self, units: Option<&Units>) -> Option<f64> {
        units?.to_product_unit(self.scrap_qty, self.product_uom_id.as_ref(), self.product_id.as_ref())
    }

    /// The scrap's moves on any version.
    pub fn moves(&self) -> Vec<i64> {
        match &self.move_id {
            Some(m) => vec![m.id],
            None => self.move_ids.clone(),
        }
    }
}

odoo_model!(
    Scrap,
    "stock.scrap",
    active = false,
    [
        f("name"),
        f("product_id"),
        f("product_uom_id"),
        f("lot_id"),
        f("owner_id"),
        f("company_id"),
        f("origin"),
        f("location_id"),
        f("scrap_location_id"),
        f("scrap_qty"),
        f("state"),
        f("date_done"),
        until("move_id", 16),
        since("move_ids", 17),
        since("scrap_reason_tag_ids", 18),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScrapReasonTag {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::integer")]
    pub sequence: i64,
}

odoo_model!(
    ScrapReasonTag,
    "stock.scrap.reason.tag",
    active = false,
    [since("name", 18), since("sequence", 18)]
);

// ---------------------------------------------------------------------------------------------
// Purchasing and replenishment

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PurchaseOrder {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub partner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_string")]
    pub origin: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub currency_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub user_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub date_order: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub date_approve: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub date_planned: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub effective_date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_string")]
    pub state: Option<String>,
    /// 19 replaces the `done` state by `locked`.
    #[serde(deserialize_with = "value::boolean")]
    pub locked: bool,
    #[serde(deserialize_with = "value::opt_string")]
    pub receipt_status: Option<String>,
    #[serde(deserialize_with = "value::number")]
    pub amount_total: f64,
}

impl PurchaseOrder {
    /// Confirmed (`purchase`, or `done` ≤18 / locked on 19).
    pub fn is_confirmed(&self) -> bool {
        matches!(self.state.as_deref(), Some("purchase" | "done"))
    }

    /// Whether the sync must keep re-reading it: confirmed and not fully received.
    pub fn is_open(&self) -> bool {
        self.is_confirmed() && self.receipt_status.as_deref() != Some("full")
    }
}

odoo_model!(
    PurchaseOrder,
    "purchase.order",
    active = false,
    [
        f("name"),
        f("partner_id"),
        f("origin"),
        f("company_id"),
        f("currency_id"),
        f("user_id"),
        f("date_order"),
        f("date_approve"),
        f("date_planned"),
        f("effective_date"),
        f("state"),
        since("locked", 19),
        f("receipt_status"),
        f("amount_total"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PurchaseOrderLine {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub order_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    /// Ordered, in the line's unit.
    #[serde(deserialize_with = "value::number")]
    pub product_qty: f64,
    /// Ordered, in the product's unit.
    #[serde(deserialize_with = "value::number")]
    pub product_uom_qty: f64,
    /// ≤18.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_uom: Option<Many2One>,
    /// 19.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_uom_id: Option<Many2One>,
    #[serde(deserialize_with = "value::number")]
    pub qty_received: f64,
    #[serde(deserialize_with = "value::number")]
    pub price_unit: f64,
    #[serde(deserialize_with = "value::number")]
    pub discount: f64,
    #[serde(deserialize_with = "value::opt_datetime")]
    pub date_planned: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "value::opt_string")]
    pub display_type: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub partner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub currency_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
}

impl PurchaseOrderLine {
    /// The line's unit on any version.
    pub fn uom(&self) -> Option<&Many2One> {
        self.product_uom_id.as_ref().or(self.product_uom.as_ref())
    }

    /// `qty_received` (in the line's unit) in the product's unit, by the line's own ratio of
    /// `product_uom_qty` (product unit) to `product_qty` (line unit); as is when the line orders nothing.
    pub fn qty_received_in_product_unit(&self) -> f64 {
        if self.product_qty > 0.0 && self.product_uom_qty > 0.0 {
            self.qty_received * self.product_uom_qty / self.product_qty
        } else {
            self.qty_received
        }
    }
}

odoo_model!(
    PurchaseOrderLine,
    "purchase.order.line",
    active = false,
    [
        f("order_id"),
        f("product_id"),
        f("name"),
        f("product_qty"),
        f("product_uom_qty"),
        until("product_uom", 18),
        since("product_uom_id", 19),
        f("qty_received"),
        f("price_unit"),
        since("discount", 17),
        f("date_planned"),
        f("display_type"),
        f("partner_id"),
        f("currency_id"),
        f("company_id"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SupplierInfo {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub partner_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_tmpl_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_string")]
    pub product_code: Option<String>,
    #[serde(deserialize_with = "value::integer")]
    pub sequence: i64,
    #[serde(deserialize_with = "value::number")]
    pub min_qty: f64,
    #[serde(deserialize_with = "value::number")]
    pub price: f64,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub currency_id: Option<Many2One>,
    /// Promised lead time in days.
    #[serde(deserialize_with = "value::integer")]
    pub delay: i64,
    #[serde(deserialize_with = "value::opt_date")]
    pub date_start: Option<NaiveDate>,
    #[serde(deserialize_with = "value::opt_date")]
    pub date_end: Option<NaiveDate>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_uom_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
}

odoo_model!(
    SupplierInfo,
    "product.supplierinfo",
    active = false,
    [
        f("partner_id"),
        f("product_tmpl_id"),
        f("product_id"),
        f("product_code"),
        f("sequence"),
        f("min_qty"),
        f("price"),
        f("currency_id"),
        f("delay"),
        f("date_start"),
        f("date_end"),
        since("product_uom_id", 19),
        f("company_id"),
    ]
);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Orderpoint {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub trigger: Option<String>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub warehouse_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub product_id: Option<Many2One>,
    #[serde(deserialize_with = "value::number")]
    pub product_min_qty: f64,
    #[serde(deserialize_with = "value::number")]
    pub product_max_qty: f64,
    #[serde(deserialize_with = "value::number")]
    pub qty_multiple: f64,
    /// 19: the unit reorder quantities are rounded to.
    #[serde(deserialize_with = "value::opt_many2one")]
    pub replenishment_uom_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    pub company_id: Option<Many2One>,
    #[serde(deserialize_with = "value::boolean")]
    pub active: bool,
}

odoo_model!(
    Orderpoint,
    "stock.warehouse.orderpoint",
    active = true,
    [
        f("name"),
        f("trigger"),
        f("warehouse_id"),
        f("location_id"),
        f("product_id"),
        f("product_min_qty"),
        f("product_max_qty"),
        until("qty_multiple", 18),
        since("replenishment_uom_id", 19),
        f("company_id"),
        f("active"),
    ]
);

// ---------------------------------------------------------------------------------------------
// Optional OCA models (read only when `Client::model_exists` finds them)

/// OCA `rma_reason`: the reasons customers give for returns.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RmaReason {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub description: Option<String>,
}

odoo_model!(
    RmaReason,
    "rma.reason",
    active = false,
    [f("name"), optional("description")]
);

/// OCA `scrap_reason_code`: coded reasons on scraps (`stock.scrap.reason_code_id`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScrapReasonCode {
    pub id: i64,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(deserialize_with = "value::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub code: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    pub description: Option<String>,
}

odoo_model!(
    ScrapReasonCode,
    "scrap.reason.code",
    active = false,
    [f("name"), optional("code"), optional("description")]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_follow_versions() {
        let v16 = Move::fields(16, None);
        let v17 = Move::fields(17, None);
        assert!(v16.contains(&"quantity_done") && !v16.contains(&"quantity"));
        assert!(v17.contains(&"quantity") && v17.contains(&"picked") && !v17.contains(&"quantity_done"));
        assert!(!v16.contains(&"purchase_line_id"), "optional fields need fields_get");
        let available: HashSet<String> = ["purchase_line_id".to_string()].into();
        assert!(Move::fields(17, Some(&available)).contains(&"purchase_line_id"));
        assert!(Move::fields(19, None).contains(&"write_date"));
    }

    #[test]
    fn an_open_17_move_has_reserved_not_done_quantity() {
        let read = |json: &str| serde_json::from_str::<Move>(json).unwrap();
        let open = read(
            r#"{"id": 1, "product_uom_qty": 10, "product_qty": 10, "quantity": 4, "picked": false, "state": "assigned"}"#,
        );
        assert_eq!((open.done_quantity(17), open.remaining_quantity(17)), (0.0, 10.0));
        let picked = read(
            r#"{"id": 1, "product_uom_qty": 10, "product_qty": 10, "quantity": 4, "picked": true, "state": "assigned"}"#,
        );
        assert_eq!((picked.done_quantity(17), picked.remaining_quantity(17)), (4.0, 6.0));
        let old = read(
            r#"{"id": 1, "product_uom_qty": 10, "product_qty": 10, "quantity_done": 3, "state": "partially_available"}"#,
        );
        assert_eq!((old.done_quantity(16), old.remaining_quantity(16)), (3.0, 7.0));
        let done = read(r#"{"id": 1, "product_uom_qty": 10, "product_qty": 10, "quantity": 10, "state": "done"}"#);
        assert_eq!(done.remaining_quantity(18), 0.0);
    }

    #[test]
    fn a_move_in_boxes_converts_to_product_units() {
        // 5 boxes of 6 ordered, 2 boxes received so far (on 16 and on 17+ once picked).
        let read = |json: &str| serde_json::from_str::<Move>(json).unwrap();
        let v16 =
            read(r#"{"id": 1, "product_uom_qty": 5, "product_qty": 30, "quantity_done": 2, "state": "assigned"}"#);
        assert_eq!((v16.done_quantity(16), v16.remaining_quantity(16)), (12.0, 18.0));
        let v17 = read(
            r#"{"id": 1, "product_uom_qty": 5, "product_qty": 30, "quantity": 2, "picked": true, "state": "assigned"}"#,
        );
        assert_eq!((v17.done_quantity(17), v17.remaining_quantity(17)), (12.0, 18.0));
    }

    fn m2o(id: i64) -> Option<Many2One> {
        Some(Many2One { id, name: None })
    }

    /// Units (1), a box of 6 (2) and a dozen (3) as ≤18 defines them, grams (4) and kilograms (5) rounded
    /// to 0.001; product 10 is sold by the unit, product 20 by the kilogram.
    fn units_v16() -> Units {
        let unit = |json: &str| serde_json::from_str::<Uom>(json).unwrap();
        Units::new(
            [
                unit(r#"{"id": 1, "factor": 1.0, "rounding": 1.0, "uom_type": "reference"}"#),
                unit(r#"{"id": 2, "factor": 0.16666666666666666, "rounding": 1.0, "uom_type": "bigger"}"#),
                unit(r#"{"id": 3, "factor": 0.08333333333333333, "rounding": 0.01, "uom_type": "bigger"}"#),
                unit(r#"{"id": 4, "factor": 1000.0, "rounding": 0.01, "uom_type": "smaller"}"#),
                unit(r#"{"id": 5, "factor": 1.0, "rounding": 0.001, "uom_type": "reference"}"#),
            ],
            [(10, 1), (20, 5)],
        )
    }

    #[test]
    fn a_16_move_line_in_boxes_counts_its_done_quantity_in_product_units() {
        let line: MoveLine = serde_json::from_value(serde_json::json!({
            "id": 1, "product_id": [10, "Soap"], "product_uom_id": [2, "Box of 6"], "qty_done": 3.0, "state": "done"
        }))
        .unwrap();
        assert_eq!(line.done_quantity_in_product_unit(16, Some(&units_v16())), Some(18.0));
        assert_eq!(line.done_quantity_in_product_unit(16, None), None, "no units, no guess");
        let v17: MoveLine = serde_json::from_value(serde_json::json!({
            "id": 1, "product_uom_id": [2, "Box of 6"], "quantity": 3.0, "quantity_product_uom": 18.0, "picked": true
        }))
        .unwrap();
        assert_eq!(v17.done_quantity_in_product_unit(17, None), Some(18.0), "17+ gives it");
    }

    #[test]
    fn conversions_round_half_up_to_the_product_units_rounding() {
        let units = units_v16();
        // 1,234.5 g of a product kept in kg (rounding 0.001): 1.2345 kg rounds up to 1.235.
        assert_eq!(
            units.to_product_unit(1_234.5, m2o(4).as_ref(), m2o(20).as_ref()),
            Some(1.235)
        );
        // 2.5 dozen of a product kept by the unit (rounding 1): 30; 1.04 dozen is 12.48 units: 12.
        assert_eq!(
            units.to_product_unit(2.5, m2o(3).as_ref(), m2o(10).as_ref()),
            Some(30.0)
        );
        assert_eq!(
            units.to_product_unit(1.04, m2o(3).as_ref(), m2o(10).as_ref()),
            Some(12.0)
        );
        // An unknown unit or product converts to nothing.
        assert_eq!(units.to_product_unit(1.0, m2o(99).as_ref(), m2o(10).as_ref()), None);
        assert_eq!(units.to_product_unit(1.0, m2o(1).as_ref(), m2o(99).as_ref()), None);
        assert_eq!(round_half_up(2.675, 0.01), 2.68);
        assert_eq!(round_half_up(-2.5, 1.0), -3.0);
    }

    #[test]
    fn a_scrap_in_boxes_of_nested_packagings_on_19_converts_to_product_units() {
        let unit = |json: &str| serde_json::from_str::<Uom>(json).unwrap();
        let units = Units::new(
            [
                unit(r#"{"id": 1, "relative_factor": 1.0, "rounding": 1.0}"#),
                unit(r#"{"id": 2, "relative_factor": 6.0, "relative_uom_id": [1, "Units"], "rounding": 1.0}"#),
                unit(r#"{"id": 3, "relative_factor": 4.0, "relative_uom_id": [2, "Box of 6"], "rounding": 1.0}"#),
            ],
            [(10, 1)],
        );
        let scrap: Scrap = serde_json::from_value(serde_json::json!({
            "id": 1, "product_id": [10, "Soap"], "product_uom_id": [3, "Crate"], "scrap_qty": 2.0
        }))
        .unwrap();
        assert_eq!(scrap.scrap_qty_in_product_unit(Some(&units)), Some(48.0));
    }

    #[test]
    fn nested_packagings_on_19_multiply_up_to_the_reference_unit() {
        let unit = |json: &str| serde_json::from_str::<Uom>(json).unwrap();
        let units: std::collections::HashMap<i64, Uom> = [
            (1, unit(r#"{"id": 1, "relative_factor": 1.0}"#)),
            (
                2,
                unit(r#"{"id": 2, "relative_factor": 6.0, "relative_uom_id": [1, "Units"]}"#),
            ),
            (
                3,
                unit(r#"{"id": 3, "relative_factor": 4.0, "relative_uom_id": [2, "Box of 6"]}"#),
            ),
        ]
        .into();
        assert_eq!(units[&3].reference_units_in(&units), 24.0);
        assert_eq!(units[&2].reference_units_in(&units), 6.0);
    }

    #[test]
    fn storable_products_and_units_read_alike_on_every_version() {
        let v16: ProductTemplate =
            serde_json::from_str(r#"{"id": 1, "detailed_type": "product", "type": "product"}"#).unwrap();
        let v18: ProductTemplate = serde_json::from_str(r#"{"id": 1, "type": "consu", "is_storable": true}"#).unwrap();
        assert!(v16.is_storable() && v18.is_storable());
        let box_v17: Uom =
            serde_json::from_str(r#"{"id": 2, "factor": 0.16666666666666666, "uom_type": "bigger"}"#).unwrap();
        let box_v19: Uom =
            serde_json::from_str(r#"{"id": 2, "relative_factor": 6.0, "relative_uom_id": [1, "Units"]}"#).unwrap();
        assert!((box_v17.reference_units() - 6.0).abs() < 1e-9 && box_v19.reference_units() == 6.0);
    }
}
