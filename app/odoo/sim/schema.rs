//! The simulator's models and fields, per Odoo version (ODOO-API §3). A field outside its version range
//! does not exist: reading it or naming it in a domain is an error, as in Odoo.

use std::collections::HashMap;

/// A field's type, as `fields_get` reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Char,
    Text,
    Integer,
    Float,
    Boolean,
    Date,
    Datetime,
    Selection(&'static [&'static str]),
    Many2one(&'static str),
    One2many(&'static str, &'static str),
    Many2many(&'static str),
}

impl Kind {
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Char => "char",
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Float => "float",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Datetime => "datetime",
            Kind::Selection(_) => "selection",
            Kind::Many2one(_) => "many2one",
            Kind::One2many(..) => "one2many",
            Kind::Many2many(_) => "many2many",
        }
    }

    pub fn relation(&self) -> Option<&'static str> {
        match self {
            Kind::Many2one(model) | Kind::One2many(model, _) | Kind::Many2many(model) => Some(model),
            _ => None,
        }
    }

    pub fn is_relational_list(&self) -> bool {
        matches!(self, Kind::One2many(..) | Kind::Many2many(_))
    }
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub label: &'static str,
    pub since: u8,
    pub until: u8,
    pub required: bool,
    pub readonly: bool,
}

fn field(name: &'static str, kind: Kind, label: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        label,
        since: 16,
        until: 99,
        required: false,
        readonly: false,
    }
}

impl FieldSpec {
    fn since(mut self, version: u8) -> Self {
        self.since = version;
        self
    }
    fn until(mut self, version: u8) -> Self {
        self.until = version;
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn readonly(mut self) -> Self {
        self.readonly = true;
        self
    }
    fn exists_in(&self, version: u8) -> bool {
        (self.since..=self.until).contains(&version)
    }
}

#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub name: &'static str,
    pub label: &'static str,
    /// The field that makes `display_name`.
    pub rec_name: &'static str,
    /// The parent field that `child_of` / `parent_of` follow.
    pub parent: Option<&'static str>,
    pub fields: Vec<FieldSpec>,
    /// The first and last versions that have the model.
    pub since: u8,
    pub until: u8,
    index: HashMap<&'static str, usize>,
    order: Vec<(usize, bool)>,
}

impl ModelSpec {
    fn since(mut self, version: u8) -> Self {
        self.since = version;
        self
    }

    fn until(mut self, version: u8) -> Self {
        self.until = version;
        self
    }

    pub fn field(&self, name: &str) -> Option<(usize, &FieldSpec)> {
        self.index.get(name).map(|&i| (i, &self.fields[i]))
    }

    pub fn has_active(&self) -> bool {
        self.index.contains_key("active")
    }

    /// The model's default order (Odoo's `_order`), as `(field index, descending)` pairs. Keys naming a
    /// field the simulator does not model (`sequence`, `priority` on some models) are left out; `id`
    /// always ends the order so that it is total.
    pub fn default_order(&self) -> &[(usize, bool)] {
        &self.order
    }
}

/// Odoo's `_order` per model and version, from Odoo's source (`models/*.py` of each addon).
fn odoo_order(model: &str, version: u8) -> &'static str {
    match model {
        "res.company" => "sequence, name",
        "res.currency" => "active desc, name",
        "res.partner" => "complete_name asc, id desc",
        "res.users" => "name, login",
        "res.groups" if version <= 18 => "name",
        "res.groups" => "privilege_id, sequence, name, id",
        "ir.module.category" if version <= 18 => "name",
        "ir.module.category" => "sequence, name, id",
        "ir.model.data" => "module, model, name",
        "ir.model" => "model",
        "uom.uom" if version <= 18 => "factor desc, id",
        "uom.uom" => "sequence, relative_uom_id, id",
        "product.category" => "complete_name",
        "product.template" => "priority desc, name",
        "product.product" => "priority desc, default_code, name, id",
        "stock.warehouse" => "sequence, id",
        "stock.location" => "complete_name, id",
        "stock.lot" => "name, id",
        "stock.quant.package" | "stock.package" => "name",
        "stock.move" => "sequence, id",
        "stock.move.line" => "result_package_id desc, id",
        "stock.scrap.reason.tag" => "sequence, id",
        "stock.scrap" => "id desc",
        "stock.picking.type" if version <= 16 => "sequence, id",
        "stock.picking.type" => "is_favorite desc, sequence, id",
        "stock.picking" => "priority desc, scheduled_date asc, id desc",
        "purchase.order" => "priority desc, id desc",
        "purchase.order.line" => "order_id, sequence, id",
        "product.supplierinfo" => "sequence, min_qty desc, price, id",
        "stock.warehouse.orderpoint" => "location_id, company_id, id",
        _ => "id",
    }
}

/// `"a desc, b"` as field indexes of `spec`, skipping fields it does not have, ending with `id`.
fn resolve_order(spec: &ModelSpec, order: &str) -> Vec<(usize, bool)> {
    let mut keys: Vec<(usize, bool)> = order
        .split(',')
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let (i, _) = spec.field(words.next()?)?;
            Some((i, words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"))))
        })
        .collect();
    if !keys.iter().any(|(i, _)| spec.fields[*i].name == "id") {
        keys.extend(spec.field("id").map(|(i, _)| (i, false)));
    }
    keys
}

fn model(
    name: &'static str,
    label: &'static str,
    rec_name: &'static str,
    parent: Option<&'static str>,
    mut fields: Vec<FieldSpec>,
) -> ModelSpec {
    // Every model has these (the ORM's magic fields).
    fields.splice(
        0..0,
        [
            field("id", Kind::Integer, "ID").readonly(),
            field("display_name", Kind::Char, "Display Name").readonly(),
            field("create_uid", Kind::Many2one("res.users"), "Created by").readonly(),
            field("create_date", Kind::Datetime, "Created on").readonly(),
            field("write_uid", Kind::Many2one("res.users"), "Last Updated by").readonly(),
            field("write_date", Kind::Datetime, "Last Updated on").readonly(),
        ],
    );
    ModelSpec {
        name,
        label,
        rec_name,
        parent,
        fields,
        since: 16,
        until: 99,
        index: HashMap::new(),
        order: Vec::new(),
    }
}

/// All models of one version, with their version's fields only.
#[derive(Debug, Clone)]
pub struct Schema {
    pub version: u8,
    models: HashMap<&'static str, ModelSpec>,
}

impl Schema {
    pub fn for_version(version: u8) -> Self {
        let models = all_models()
            .into_iter()
            .filter(|m| (m.since..=m.until).contains(&version))
            .map(|mut m| {
                m.fields.retain(|f| f.exists_in(version));
                m.index = m.fields.iter().enumerate().map(|(i, f)| (f.name, i)).collect();
                m.order = resolve_order(&m, odoo_order(m.name, version));
                (m.name, m)
            })
            .collect();
        Self { version, models }
    }

    /// A fingerprint of every model's fields in order, with their types and comodels (FNV-1a): stored
    /// records are rows in that order holding values of those types, so a cache written under another
    /// schema must not be read.
    pub fn fingerprint(&self) -> u64 {
        let mut names: Vec<&&'static str> = self.models.keys().collect();
        names.sort();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |text: &str| {
            for byte in text.bytes().chain(std::iter::once(0)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for name in names {
            feed(name);
            for field in &self.models[*name].fields {
                feed(field.name);
                feed(field.kind.type_name());
                feed(field.kind.relation().unwrap_or_default());
                if let Kind::Selection(keys) = field.kind {
                    keys.iter().for_each(|key| feed(key));
                }
            }
        }
        hash
    }

    pub fn model(&self, name: &str) -> Option<&ModelSpec> {
        self.models.get(name)
    }

    pub fn model_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.models.keys().copied()
    }
}

const USAGE: &[&str] = &[
    "supplier",
    "view",
    "internal",
    "customer",
    "inventory",
    "production",
    "transit",
];
const TRACKING: &[&str] = &["serial", "lot", "none"];
const DETAILED_TYPE: &[&str] = &["consu", "service", "product"];
const TYPE_16: &[&str] = &["consu", "service", "product"];
const TYPE_18: &[&str] = &["consu", "service", "combo"];
const UOM_TYPE: &[&str] = &["reference", "bigger", "smaller"];
const MOVE_STATE: &[&str] = &[
    "draft",
    "waiting",
    "confirmed",
    "partially_available",
    "assigned",
    "done",
    "cancel",
];
const SCRAP_STATE: &[&str] = &["draft", "done"];
const PICKING_CODE: &[&str] = &["incoming", "outgoing", "internal"];
const PICKING_STATE: &[&str] = &["draft", "waiting", "confirmed", "assigned", "done", "cancel"];
const PRIORITY: &[&str] = &["0", "1"];
const PO_STATE_16: &[&str] = &["draft", "sent", "to approve", "purchase", "done", "cancel"];
const PO_STATE_19: &[&str] = &["draft", "sent", "to approve", "purchase", "cancel"];
const RECEIPT_STATUS: &[&str] = &["pending", "partial", "full"];
const RECEIVED_METHOD: &[&str] = &["manual", "stock_moves"];
const TRIGGER: &[&str] = &["auto", "manual"];

/// A model that is only the target of many2ones TrueStock reads: a name is all it has here.
fn named_model(name: &'static str, label: &'static str) -> ModelSpec {
    model(
        name,
        label,
        "name",
        None,
        vec![field("name", Kind::Char, "Name").required()],
    )
}

/// A package (pallet, box) of quants; its location is its content's.
fn package_model(name: &'static str) -> ModelSpec {
    use Kind::*;
    model(
        name,
        "Packages",
        "name",
        None,
        vec![
            field("name", Char, "Package Reference").required(),
            field("location_id", Many2one("stock.location"), "Location").readonly(),
            field("company_id", Many2one("res.company"), "Company").readonly(),
        ],
    )
}

fn all_models() -> Vec<ModelSpec> {
    use Kind::*;
    vec![
        model(
            "res.company",
            "Companies",
            "name",
            None,
            vec![
                field("name", Char, "Company Name").required(),
                field("currency_id", Many2one("res.currency"), "Currency"),
                field("partner_id", Many2one("res.partner"), "Partner"),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "res.currency",
            "Currency",
            "name",
            None,
            vec![
                field("name", Char, "Currency").required(),
                field("symbol", Char, "Symbol"),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "res.partner",
            "Contact",
            "name",
            Some("parent_id"),
            vec![
                field("name", Char, "Name"),
                field("complete_name", Char, "Complete Name").readonly(),
                field("is_company", Boolean, "Is a Company"),
                field("parent_id", Many2one("res.partner"), "Related Company"),
                field("ref", Char, "Reference"),
                field("company_id", Many2one("res.company"), "Company"),
                field("commercial_partner_id", Many2one("res.partner"), "Commercial Entity").readonly(),
                field("buyer_id", Many2one("res.users"), "Buyer").since(17),
                field("supplier_rank", Integer, "Supplier Rank"),
                field("customer_rank", Integer, "Customer Rank"),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "res.users",
            "User",
            "name",
            None,
            vec![
                field("name", Char, "Name").required(),
                field("login", Char, "Login").required(),
                field("partner_id", Many2one("res.partner"), "Related Partner"),
                field("company_id", Many2one("res.company"), "Company"),
                field("company_ids", Many2many("res.company"), "Companies"),
                // Up to 18 every group the user has, implied ones too; 19 keeps the groups given
                // explicitly in `group_ids` and computes the rest into `all_group_ids` (OpenUpgrade's
                // base 19.0 analysis: `groups_id` DEL, `group_ids` NEW).
                field("groups_id", Many2many("res.groups"), "Groups").until(18),
                field("group_ids", Many2many("res.groups"), "Groups").since(19),
                field("all_group_ids", Many2many("res.groups"), "Groups and implied groups")
                    .readonly()
                    .since(19),
                field("active", Boolean, "Active"),
            ],
        ),
        // Access groups (base 19.0 analysis: `users` and `category_id` DEL; `user_ids`, `privilege_id`
        // and `sequence` NEW), their applications, and 19's privileges between the two.
        model(
            "res.groups",
            "Access Groups",
            "full_name",
            None,
            vec![
                field("name", Char, "Name").required(),
                field("full_name", Char, "Group Name").readonly(),
                field("category_id", Many2one("ir.module.category"), "Application").until(18),
                field("privilege_id", Many2one("res.groups.privilege"), "Scope").since(19),
                field("sequence", Integer, "Sequence").since(19),
                field("users", Many2many("res.users"), "Users").until(18),
                field("user_ids", Many2many("res.users"), "Users").since(19),
                field("all_user_ids", Many2many("res.users"), "Users and implied users")
                    .readonly()
                    .since(19),
                field("implied_ids", Many2many("res.groups"), "Inherits"),
                field("share", Boolean, "Share Group"),
                field("comment", Text, "Comment"),
            ],
        ),
        model(
            "res.groups.privilege",
            "Privileges",
            "name",
            None,
            vec![
                field("name", Char, "Name").required(),
                field("category_id", Many2one("ir.module.category"), "Category"),
                field("sequence", Integer, "Sequence"),
            ],
        )
        .since(19),
        model(
            "ir.module.category",
            "Application",
            "name",
            None,
            vec![field("name", Char, "Name").required()],
        ),
        // External identifiers (`module.name` → record). `res_id` is a many2one_reference in Odoo;
        // the simulator types it as an integer, which reads the same.
        model(
            "ir.model.data",
            "Model Data",
            "name",
            None,
            vec![
                field("name", Char, "External Identifier").required(),
                field("complete_name", Char, "Complete ID").readonly(),
                field("module", Char, "Module").required(),
                field("model", Char, "Model Name").required(),
                field("res_id", Integer, "Record ID"),
                field("noupdate", Boolean, "Non Updatable"),
            ],
        ),
        model(
            "ir.model",
            "Models",
            "name",
            None,
            vec![
                field("name", Char, "Model Description").required(),
                field("model", Char, "Model").required(),
            ],
        ),
        model(
            "uom.category",
            "Product UoM Categories",
            "name",
            None,
            vec![field("name", Char, "Unit of Measure Category").required()],
        )
        .until(18),
        model(
            "uom.uom",
            "Product Unit of Measure",
            "name",
            None,
            vec![
                field("name", Char, "Unit of Measure").required(),
                field("category_id", Many2one("uom.category"), "Category").until(18),
                field("factor", Float, "Ratio"),
                field("factor_inv", Float, "Bigger Ratio").readonly().until(18),
                field("rounding", Float, "Rounding Precision"),
                field("uom_type", Selection(UOM_TYPE), "Type").until(18),
                field("relative_factor", Float, "Contains").since(19),
                field("relative_uom_id", Many2one("uom.uom"), "Reference Unit").since(19),
                field("sequence", Integer, "Sequence").since(19),
                field("parent_path", Char, "Parent Path").readonly().since(19),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "product.category",
            "Product Category",
            "complete_name",
            Some("parent_id"),
            vec![
                field("name", Char, "Name").required(),
                field("complete_name", Char, "Complete Name").readonly(),
                field("parent_id", Many2one("product.category"), "Parent Category"),
                field("parent_path", Char, "Parent Path").readonly(),
            ],
        ),
        model(
            "product.template",
            "Product",
            "name",
            None,
            vec![
                field("name", Char, "Name").required(),
                field("default_code", Char, "Internal Reference"),
                field("barcode", Char, "Barcode"),
                field("categ_id", Many2one("product.category"), "Product Category"),
                field("uom_id", Many2one("uom.uom"), "Unit of Measure"),
                field("uom_po_id", Many2one("uom.uom"), "Purchase Unit").until(18),
                field("uom_ids", Many2many("uom.uom"), "Packagings").since(19),
                field("standard_price", Float, "Cost"),
                field("list_price", Float, "Sales Price"),
                field("detailed_type", Selection(DETAILED_TYPE), "Product Type").until(17),
                field("type", Selection(TYPE_16), "Type").until(17),
                field("type", Selection(TYPE_18), "Product Type").since(18),
                field("is_storable", Boolean, "Track Inventory").since(18),
                field("tracking", Selection(TRACKING), "Tracking"),
                field("sale_ok", Boolean, "Can be Sold"),
                field("purchase_ok", Boolean, "Can be Purchased"),
                field("company_id", Many2one("res.company"), "Company"),
                field(
                    "product_variant_ids",
                    One2many("product.product", "product_tmpl_id"),
                    "Products",
                ),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "product.product",
            "Product Variant",
            "name",
            None,
            vec![
                field("product_tmpl_id", Many2one("product.template"), "Product Template").required(),
                field("name", Char, "Name").readonly(),
                field("default_code", Char, "Internal Reference"),
                field("barcode", Char, "Barcode"),
                field("categ_id", Many2one("product.category"), "Product Category").readonly(),
                field("uom_id", Many2one("uom.uom"), "Unit of Measure").readonly(),
                field("standard_price", Float, "Cost"),
                field("lst_price", Float, "Sales Price").readonly(),
                field("company_id", Many2one("res.company"), "Company").readonly(),
                // Inherited from the template (`_inherits`): readable and searchable on variants.
                field("detailed_type", Selection(DETAILED_TYPE), "Product Type")
                    .readonly()
                    .until(17),
                field("type", Selection(TYPE_16), "Type").readonly().until(17),
                field("type", Selection(TYPE_18), "Product Type").readonly().since(18),
                field("is_storable", Boolean, "Track Inventory").readonly().since(18),
                field("tracking", Selection(TRACKING), "Tracking").readonly(),
                field("uom_po_id", Many2one("uom.uom"), "Purchase Unit")
                    .readonly()
                    .until(18),
                field("sale_ok", Boolean, "Can be Sold").readonly(),
                field("purchase_ok", Boolean, "Can be Purchased").readonly(),
                field("list_price", Float, "Sales Price").readonly(),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "stock.warehouse",
            "Warehouse",
            "name",
            None,
            vec![
                field("name", Char, "Warehouse").required(),
                field("code", Char, "Short Name").required(),
                field("company_id", Many2one("res.company"), "Company").required(),
                field("partner_id", Many2one("res.partner"), "Address"),
                field("view_location_id", Many2one("stock.location"), "View Location"),
                field("lot_stock_id", Many2one("stock.location"), "Location Stock"),
                field("in_type_id", Many2one("stock.picking.type"), "In Type"),
                field("out_type_id", Many2one("stock.picking.type"), "Out Type"),
                field("int_type_id", Many2one("stock.picking.type"), "Internal Type"),
                field("pick_type_id", Many2one("stock.picking.type"), "Pick Type"),
                field("pack_type_id", Many2one("stock.picking.type"), "Pack Type"),
                field("return_type_id", Many2one("stock.picking.type"), "Return Type").until(16),
                field("qc_type_id", Many2one("stock.picking.type"), "Quality Control Type").since(18),
                field("store_type_id", Many2one("stock.picking.type"), "Storage Type").since(18),
                field("xdock_type_id", Many2one("stock.picking.type"), "Cross Dock Type").since(18),
                field("crossdock_route_id", Many2one("stock.route"), "Crossdock Route").until(18),
                field("sequence", Integer, "Sequence"),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "stock.location",
            "Inventory Locations",
            "complete_name",
            Some("location_id"),
            vec![
                field("name", Char, "Location Name").required(),
                field("complete_name", Char, "Full Location Name").readonly(),
                field("usage", Selection(USAGE), "Location Type").required(),
                field("location_id", Many2one("stock.location"), "Parent Location"),
                field("warehouse_id", Many2one("stock.warehouse"), "Warehouse").readonly(),
                field("company_id", Many2one("res.company"), "Company"),
                field("barcode", Char, "Barcode"),
                field("parent_path", Char, "Parent Path").readonly(),
                field("scrap_location", Boolean, "Is a Scrap Location?").until(18),
                field("return_location", Boolean, "Is a Return Location?").until(17),
                field("posx", Integer, "Corridor (X)").until(18),
                field("posy", Integer, "Shelves (Y)").until(18),
                field("posz", Integer, "Height (Z)").until(18),
                field("comment", Text, "Additional Information").until(18),
                field("replenish_location", Boolean, "Replenish Location"),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "stock.lot",
            "Lot/Serial",
            "name",
            None,
            vec![
                field("name", Char, "Lot/Serial Number").required(),
                field("ref", Char, "Internal Reference"),
                field("product_id", Many2one("product.product"), "Product").required(),
                field("company_id", Many2one("res.company"), "Company"),
            ],
        ),
        // The package model was renamed in 19 (ODOO-API §3.4).
        package_model("stock.quant.package").until(18),
        package_model("stock.package").since(19),
        named_model("stock.route", "Inventory Routes"),
        named_model("procurement.group", "Procurement Group").until(18),
        named_model("stock.reference", "Reference").since(19),
        named_model("product.packaging", "Product Packaging").until(18),
        named_model("account.tax", "Tax"),
        model(
            "stock.quant",
            "Quants",
            "product_id",
            None,
            vec![
                field("product_id", Many2one("product.product"), "Product").required(),
                field("location_id", Many2one("stock.location"), "Location").required(),
                field("lot_id", Many2one("stock.lot"), "Lot/Serial Number"),
                field("package_id", Many2one("stock.quant.package"), "Package").until(18),
                field("package_id", Many2one("stock.package"), "Package").since(19),
                field("owner_id", Many2one("res.partner"), "Owner"),
                field("company_id", Many2one("res.company"), "Company").readonly(),
                field("warehouse_id", Many2one("stock.warehouse"), "Warehouse").readonly(),
                field("quantity", Float, "Quantity").readonly(),
                field("reserved_quantity", Float, "Reserved Quantity").readonly(),
                field("available_quantity", Float, "Available Quantity").readonly(),
                field("in_date", Datetime, "Incoming Date").readonly(),
                field("inventory_quantity", Float, "Counted Quantity"),
                field("inventory_diff_quantity", Float, "Difference").readonly(),
                field("inventory_quantity_set", Boolean, "Inventory Quantity Set"),
                field("inventory_date", Date, "Scheduled Date"),
                field("is_outdated", Boolean, "Quantity has been moved since last count").readonly(),
                field("user_id", Many2one("res.users"), "Assigned To"),
            ],
        ),
        model(
            "stock.move",
            "Stock Move",
            "reference",
            None,
            vec![
                field("name", Char, "Description").until(18),
                field("reference", Char, "Reference").readonly(),
                field("product_id", Many2one("product.product"), "Product").required(),
                field("product_uom", Many2one("uom.uom"), "UoM"),
                field("product_uom_qty", Float, "Demand"),
                field("product_qty", Float, "Real Quantity").readonly(),
                field("quantity_done", Float, "Quantity Done").until(16),
                field("quantity", Float, "Quantity").since(17),
                field("picked", Boolean, "Picked").since(17),
                field("state", Selection(MOVE_STATE), "Status").readonly(),
                field("date", Datetime, "Date Scheduled"),
                field("location_id", Many2one("stock.location"), "Source Location").required(),
                field("location_dest_id", Many2one("stock.location"), "Destination Location").required(),
                field("origin", Char, "Source Document"),
                field("company_id", Many2one("res.company"), "Company"),
                field("price_unit", Float, "Unit Price"),
                field("is_inventory", Boolean, "Inventory"),
                field("inventory_name", Char, "Inventory Name").since(19),
                field("scrapped", Boolean, "Scrapped").until(18),
                field("scrap_ids", One2many("stock.scrap", "move_id"), "Scraps").until(16),
                field("scrap_id", Many2one("stock.scrap"), "Scrap").since(17),
                field("picking_id", Many2one("stock.picking"), "Transfer"),
                field("picking_type_id", Many2one("stock.picking.type"), "Operation Type"),
                field("partner_id", Many2one("res.partner"), "Destination Address"),
                field("origin_returned_move_id", Many2one("stock.move"), "Origin return move"),
                field(
                    "purchase_line_id",
                    Many2one("purchase.order.line"),
                    "Purchase Order Line",
                ),
                field("location_final_id", Many2one("stock.location"), "Final Location").since(18),
                field("date_deadline", Datetime, "Deadline"),
                field("group_id", Many2one("procurement.group"), "Procurement Group").until(18),
                field("move_orig_ids", Many2many("stock.move"), "Original Move"),
                field("move_dest_ids", Many2many("stock.move"), "Destination Moves"),
                field(
                    "returned_move_ids",
                    One2many("stock.move", "origin_returned_move_id"),
                    "All returned moves",
                ),
                field("product_packaging_id", Many2one("product.packaging"), "Packaging").until(18),
                field("reference_ids", Many2many("stock.reference"), "References").since(19),
                field("packaging_uom_id", Many2one("uom.uom"), "Packaging").since(19),
                field("packaging_uom_qty", Float, "Packaging Quantity").since(19),
            ],
        ),
        model(
            "stock.scrap.reason.tag",
            "Scrap Reason Tag",
            "name",
            None,
            vec![
                field("name", Char, "Name").required(),
                field("sequence", Integer, "Sequence"),
                field("color", Char, "Color"),
            ],
        )
        .since(18),
        model(
            "stock.scrap",
            "Scrap",
            "name",
            None,
            vec![
                field("name", Char, "Reference").readonly(),
                field("product_id", Many2one("product.product"), "Product").required(),
                field("product_uom_id", Many2one("uom.uom"), "Unit of Measure"),
                field("lot_id", Many2one("stock.lot"), "Lot/Serial"),
                field("package_id", Many2one("stock.quant.package"), "Package").until(18),
                field("package_id", Many2one("stock.package"), "Package").since(19),
                field("owner_id", Many2one("res.partner"), "Owner"),
                field("company_id", Many2one("res.company"), "Company"),
                field("origin", Char, "Source Document"),
                field("location_id", Many2one("stock.location"), "Source Location"),
                field("scrap_location_id", Many2one("stock.location"), "Scrap Location"),
                field("scrap_qty", Float, "Quantity").required(),
                field("state", Selection(SCRAP_STATE), "Status").readonly(),
                field("date_done", Datetime, "Date").readonly(),
                field("move_id", Many2one("stock.move"), "Scrap Move")
                    .readonly()
                    .until(16),
                field("move_ids", One2many("stock.move", "scrap_id"), "Scrap Moves")
                    .readonly()
                    .since(17),
                field("should_replenish", Boolean, "Replenish Quantities").since(17),
                field(
                    "scrap_reason_tag_ids",
                    Many2many("stock.scrap.reason.tag"),
                    "Scrap Reason",
                )
                .since(18),
            ],
        ),
        model(
            "stock.picking.type",
            "Picking Type",
            "name",
            None,
            vec![
                field("name", Char, "Operation Type").required(),
                field("code", Selection(PICKING_CODE), "Type of Operation").required(),
                field("sequence_code", Char, "Sequence Prefix"),
                field("warehouse_id", Many2one("stock.warehouse"), "Warehouse"),
                field(
                    "default_location_src_id",
                    Many2one("stock.location"),
                    "Default Source Location",
                ),
                field(
                    "default_location_dest_id",
                    Many2one("stock.location"),
                    "Default Destination Location",
                ),
                field(
                    "default_location_return_id",
                    Many2one("stock.location"),
                    "Default returns location",
                )
                .since(17)
                .until(17),
                field(
                    "return_picking_type_id",
                    Many2one("stock.picking.type"),
                    "Operation Type for Returns",
                ),
                field("company_id", Many2one("res.company"), "Company"),
                field("active", Boolean, "Active"),
            ],
        ),
        model(
            "stock.picking",
            "Transfer",
            "name",
            None,
            vec![
                field("name", Char, "Reference"),
                field("origin", Char, "Source Document"),
                field("partner_id", Many2one("res.partner"), "Contact"),
                field("picking_type_id", Many2one("stock.picking.type"), "Operation Type").required(),
                field("picking_type_code", Selection(PICKING_CODE), "Type of Operation").readonly(),
                field("location_id", Many2one("stock.location"), "Source Location"),
                field("location_dest_id", Many2one("stock.location"), "Destination Location"),
                field("scheduled_date", Datetime, "Scheduled Date"),
                field("date_deadline", Datetime, "Deadline"),
                field("date_done", Datetime, "Date of Transfer").readonly(),
                field("date", Datetime, "Creation Date").until(18),
                field("backorder_id", Many2one("stock.picking"), "Back Order of"),
                field("return_id", Many2one("stock.picking"), "Return of").since(17),
                field("return_ids", One2many("stock.picking", "return_id"), "Returns").since(17),
                field("move_ids", One2many("stock.move", "picking_id"), "Stock Moves"),
                field(
                    "move_ids_without_package",
                    One2many("stock.move", "picking_id"),
                    "Stock Moves not in package",
                )
                .until(18),
                field("move_line_ids", One2many("stock.move.line", "picking_id"), "Operations"),
                field("immediate_transfer", Boolean, "Immediate Transfer").until(16),
                field("state", Selection(PICKING_STATE), "Status").readonly(),
                field("priority", Selection(PRIORITY), "Priority"),
                field("user_id", Many2one("res.users"), "Responsible"),
                field("purchase_id", Many2one("purchase.order"), "Purchase Orders"),
                field("company_id", Many2one("res.company"), "Company"),
                field("note", Text, "Notes"),
            ],
        ),
        model(
            "stock.move.line",
            "Product Moves (Stock Move Line)",
            "reference",
            None,
            vec![
                field("move_id", Many2one("stock.move"), "Stock Operation"),
                field("picking_id", Many2one("stock.picking"), "Transfer"),
                field("product_id", Many2one("product.product"), "Product"),
                field("product_uom_id", Many2one("uom.uom"), "Unit of Measure"),
                field("lot_id", Many2one("stock.lot"), "Lot/Serial Number"),
                field("lot_name", Char, "Lot/Serial Number Name"),
                field("package_id", Many2one("stock.quant.package"), "Source Package").until(18),
                field("package_id", Many2one("stock.package"), "Source Package").since(19),
                field(
                    "result_package_id",
                    Many2one("stock.quant.package"),
                    "Destination Package",
                )
                .until(18),
                field("result_package_id", Many2one("stock.package"), "Destination Package").since(19),
                field("owner_id", Many2one("res.partner"), "From Owner"),
                field("location_id", Many2one("stock.location"), "From").required(),
                field("location_dest_id", Many2one("stock.location"), "To").required(),
                field("date", Datetime, "Date"),
                field("state", Selection(MOVE_STATE), "Status").readonly(),
                field("reference", Char, "Reference").readonly(),
                field("is_inventory", Boolean, "Is Inventory").readonly(),
                field("qty_done", Float, "Done").until(16),
                field("reserved_uom_qty", Float, "Reserved").until(16),
                field("quantity", Float, "Quantity").since(17),
                field("quantity_product_uom", Float, "Quantity in Product UoM").since(17),
                field("picked", Boolean, "Picked").since(17),
                field("quant_id", Many2one("stock.quant"), "Pick From").since(17),
                field("company_id", Many2one("res.company"), "Company"),
            ],
        ),
        model(
            "purchase.order",
            "Purchase Order",
            "name",
            None,
            vec![
                field("name", Char, "Order Reference").required(),
                field("partner_id", Many2one("res.partner"), "Vendor").required(),
                field("partner_ref", Char, "Vendor Reference"),
                field("origin", Char, "Source Document"),
                field("company_id", Many2one("res.company"), "Company"),
                field("currency_id", Many2one("res.currency"), "Currency"),
                field("user_id", Many2one("res.users"), "Buyer"),
                field("date_order", Datetime, "Order Deadline"),
                field("date_approve", Datetime, "Confirmation Date").readonly(),
                field("date_planned", Datetime, "Expected Arrival"),
                field("effective_date", Datetime, "Arrival").readonly(),
                field("order_line", One2many("purchase.order.line", "order_id"), "Order Lines"),
                field("amount_untaxed", Float, "Untaxed Amount").readonly(),
                field("amount_total", Float, "Total").readonly(),
                field("state", Selection(PO_STATE_16), "Status").until(18),
                field("state", Selection(PO_STATE_19), "Status").since(19),
                field("locked", Boolean, "Locked").since(19),
                field("acknowledged", Boolean, "Acknowledged").since(19),
                field("receipt_status", Selection(RECEIPT_STATUS), "Receipt Status").readonly(),
                field("picking_type_id", Many2one("stock.picking.type"), "Deliver To"),
                field("notes", Text, "Terms and Conditions").until(18),
                field("note", Text, "Terms and Conditions").since(19),
            ],
        ),
        model(
            "purchase.order.line",
            "Purchase Order Line",
            "name",
            None,
            vec![
                field("order_id", Many2one("purchase.order"), "Order Reference").required(),
                field("product_id", Many2one("product.product"), "Product"),
                field("name", Text, "Description"),
                field("product_qty", Float, "Quantity"),
                field("product_uom_qty", Float, "Total Quantity").readonly(),
                field("product_uom", Many2one("uom.uom"), "Unit of Measure").until(18),
                field("product_uom_id", Many2one("uom.uom"), "Unit").since(19),
                field("qty_received", Float, "Received Qty"),
                field("qty_received_method", Selection(RECEIVED_METHOD), "Received Qty Method"),
                field("qty_invoiced", Float, "Billed Qty").readonly(),
                field("price_unit", Float, "Unit Price"),
                field("price_subtotal", Float, "Subtotal").readonly(),
                field("discount", Float, "Discount (%)").since(17),
                field("product_packaging_id", Many2one("product.packaging"), "Packaging").until(18),
                field("product_packaging_qty", Float, "Packaging Quantity").until(18),
                field("taxes_id", Many2many("account.tax"), "Taxes").until(18),
                field("tax_ids", Many2many("account.tax"), "Taxes").since(19),
                field("date_planned", Datetime, "Expected Arrival"),
                field(
                    "display_type",
                    Selection(&["line_section", "line_note"]),
                    "Display Type",
                ),
                field("partner_id", Many2one("res.partner"), "Partner").readonly(),
                field("currency_id", Many2one("res.currency"), "Currency").readonly(),
                field("company_id", Many2one("res.company"), "Company").readonly(),
                field("move_ids", One2many("stock.move", "purchase_line_id"), "Reservation"),
            ],
        ),
        model(
            "product.supplierinfo",
            "Supplier Pricelist",
            "partner_id",
            None,
            vec![
                field("partner_id", Many2one("res.partner"), "Vendor").required(),
                field("product_tmpl_id", Many2one("product.template"), "Product Template"),
                field("product_id", Many2one("product.product"), "Product Variant"),
                field("product_name", Char, "Vendor Product Name"),
                field("product_code", Char, "Vendor Product Code"),
                field("sequence", Integer, "Sequence"),
                field("min_qty", Float, "Quantity"),
                field("price", Float, "Price"),
                field("currency_id", Many2one("res.currency"), "Currency"),
                field("delay", Integer, "Delivery Lead Time"),
                field("date_start", Date, "Start Date"),
                field("date_end", Date, "End Date"),
                field("product_uom_id", Many2one("uom.uom"), "Unit").since(19),
                field("company_id", Many2one("res.company"), "Company"),
            ],
        ),
        model(
            "stock.warehouse.orderpoint",
            "Minimum Inventory Rule",
            "name",
            None,
            vec![
                field("name", Char, "Name"),
                field("trigger", Selection(TRIGGER), "Trigger"),
                field("active", Boolean, "Active"),
                field("snoozed_until", Date, "Snoozed"),
                field("warehouse_id", Many2one("stock.warehouse"), "Warehouse").required(),
                field("location_id", Many2one("stock.location"), "Location").required(),
                field("product_id", Many2one("product.product"), "Product").required(),
                field("product_tmpl_id", Many2one("product.template"), "Product Template").readonly(),
                field("product_min_qty", Float, "Min Quantity"),
                field("product_max_qty", Float, "Max Quantity"),
                field("qty_multiple", Float, "Multiple Quantity").until(18),
                field("qty_forecast", Float, "Forecast").readonly(),
                field("qty_to_order", Float, "To Order"),
                field("qty_to_order_manual", Float, "To Order (manual)").since(18),
                field("qty_to_order_computed", Float, "To Order (computed)")
                    .readonly()
                    .since(19),
                field("deadline_date", Date, "Deadline").since(19),
                field("route_id", Many2one("stock.route"), "Route"),
                field("group_id", Many2one("procurement.group"), "Procurement Group").until(18),
                field("company_id", Many2one("res.company"), "Company"),
                field("supplier_id", Many2one("product.supplierinfo"), "Vendor"),
                field("replenishment_uom_id", Many2one("uom.uom"), "Replenishment Unit").since(19),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_changes_with_a_fields_type_not_only_its_name() {
        let schema = Schema::for_version(17);
        let mut changed = schema.clone();
        let quant = changed.models.get_mut("stock.quant").unwrap();
        let (i, _) = quant.field("quantity").unwrap();
        quant.fields[i].kind = Kind::Integer;
        assert_ne!(schema.fingerprint(), changed.fingerprint());
        assert_eq!(schema.fingerprint(), Schema::for_version(17).fingerprint());
        assert_ne!(schema.fingerprint(), Schema::for_version(18).fingerprint());
    }

    #[test]
    fn default_orders_name_existing_fields_and_end_in_id() {
        for version in [16, 17, 18, 19] {
            let schema = Schema::for_version(version);
            for name in schema.model_names() {
                let spec = schema.model(name).unwrap();
                let order = spec.default_order();
                assert!(
                    order.iter().any(|(i, _)| spec.fields[*i].name == "id"),
                    "{name} on {version}"
                );
            }
            let picking = schema.model("stock.picking").unwrap();
            let names: Vec<(&str, bool)> = picking
                .default_order()
                .iter()
                .map(|(i, d)| (picking.fields[*i].name, *d))
                .collect();
            assert_eq!(names, [("priority", true), ("scheduled_date", false), ("id", true)]);
        }
    }

    #[test]
    fn fields_follow_their_versions() {
        let v16 = Schema::for_version(16);
        let v18 = Schema::for_version(18);
        let v19 = Schema::for_version(19);
        let template = |s: &Schema, f: &str| s.model("product.template").unwrap().field(f).is_some();
        assert!(template(&v16, "detailed_type") && !template(&v18, "detailed_type"));
        assert!(!template(&v16, "is_storable") && template(&v18, "is_storable"));
        assert!(template(&v18, "uom_po_id") && !template(&v19, "uom_po_id"));
        let kind = |s: &Schema| {
            s.model("stock.quant")
                .unwrap()
                .field("package_id")
                .unwrap()
                .1
                .kind
                .clone()
        };
        assert!(v18.model("res.groups.privilege").is_none() && v19.model("res.groups.privilege").is_some());
        assert_eq!(kind(&v16), Kind::Many2one("stock.quant.package"));
        assert_eq!(kind(&v19), Kind::Many2one("stock.package"));
        // (model, field, first version, last version), from ODOO-API §3.
        let ranges = [
            ("stock.warehouse", "return_type_id", 16, 16),
            ("stock.warehouse", "qc_type_id", 18, 19),
            ("stock.warehouse", "crossdock_route_id", 16, 18),
            ("stock.location", "posx", 16, 18),
            ("stock.location", "return_location", 16, 17),
            ("stock.move", "name", 16, 18),
            ("stock.move", "reference_ids", 19, 19),
            ("stock.move", "packaging_uom_qty", 19, 19),
            ("stock.picking", "move_ids_without_package", 16, 18),
            ("stock.picking", "immediate_transfer", 16, 16),
            ("stock.picking", "return_id", 17, 19),
            ("stock.warehouse.orderpoint", "qty_to_order_manual", 18, 19),
            ("stock.warehouse.orderpoint", "deadline_date", 19, 19),
            ("uom.uom", "parent_path", 19, 19),
            ("res.partner", "buyer_id", 17, 19),
            ("purchase.order.line", "product_packaging_qty", 16, 18),
            ("res.users", "groups_id", 16, 18),
            ("res.users", "group_ids", 19, 19),
            ("res.users", "all_group_ids", 19, 19),
            ("res.groups", "users", 16, 18),
            ("res.groups", "user_ids", 19, 19),
            ("res.groups", "all_user_ids", 19, 19),
            ("res.groups", "category_id", 16, 18),
            ("res.groups", "privilege_id", 19, 19),
            ("res.groups", "full_name", 16, 19),
        ];
        for (model, field, first, last) in ranges {
            for version in 16..=19 {
                let has = Schema::for_version(version)
                    .model(model)
                    .unwrap()
                    .field(field)
                    .is_some();
                assert_eq!(has, (first..=last).contains(&version), "{model}.{field} on {version}");
            }
        }
    }

    #[test]
    fn every_relation_points_to_a_model_of_the_same_version() {
        for version in 16..=19 {
            let schema = Schema::for_version(version);
            for name in schema.model_names() {
                for field in &schema.model(name).unwrap().fields {
                    if let Some(target) = field.kind.relation() {
                        assert!(
                            schema.model(target).is_some(),
                            "{name}.{} → {target} on {version}",
                            field.name
                        );
                    }
                }
            }
        }
    }
}
