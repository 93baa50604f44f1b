//! Odoo's stock behaviour that write-back depends on (ODOO-API §3.3, §3.6, §4.2, §4.3): quants in
//! inventory mode, applying counts, and scrap validation. Quantities move through `stock.move`
//! records; a quant that reaches zero is deleted, as Odoo's housekeeping does.

use serde_json::{Map, Value, json};

use super::store::{Ctx, SimError, SimResult, Store, Val, now};

/// Fields a quant may be given in inventory mode (`_get_inventory_fields_create/write`).
const INVENTORY_FIELDS: &[&str] = &[
    "inventory_quantity",
    "inventory_quantity_set",
    "user_id",
    "inventory_date",
];
const QUANT_KEYS: &[&str] = &["product_id", "location_id", "lot_id", "package_id", "owner_id"];

/// What tells quants apart: Odoo keeps one per product, location, lot, package and owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuantKey {
    pub product: i64,
    pub location: i64,
    pub lot: Option<i64>,
    pub package: Option<i64>,
    pub owner: Option<i64>,
}

impl QuantKey {
    /// Untracked stock of `product` at `location`.
    pub fn at(product: i64, location: i64) -> Self {
        Self {
            product,
            location,
            ..Self::default()
        }
    }

    /// The key of a record with `product_id`, `location_id`, `lot_id`, `package_id` and `owner_id`
    /// (a quant or a scrap).
    pub fn of(store: &Store, model: &str, id: i64) -> Self {
        let get = |f: &str| store.get(model, id, f).as_id();
        Self {
            product: get("product_id").unwrap_or_default(),
            location: get("location_id").unwrap_or_default(),
            lot: get("lot_id"),
            package: get("package_id"),
            owner: get("owner_id"),
        }
    }

    /// The same stock at another location (a package moves with its content).
    fn moved_to(self, location: i64) -> Self {
        Self { location, ..self }
    }
}

/// `stock.quant.create`: only in inventory mode, and then it reuses the matching quant.
pub fn create_quant(store: &mut Store, vals: &Map<String, Value>, ctx: &Ctx) -> SimResult<i64> {
    let restricted = || SimError::user("Quant's creation is restricted, you can't do this operation.");
    if !ctx.inventory_mode
        || vals
            .keys()
            .any(|k| !INVENTORY_FIELDS.contains(&k.as_str()) && !QUANT_KEYS.contains(&k.as_str()))
    {
        return Err(restricted());
    }
    let key = |name: &str| vals.get(name).and_then(Value::as_i64);
    let quant_key = QuantKey {
        product: key("product_id").ok_or_else(restricted)?,
        location: key("location_id").ok_or_else(restricted)?,
        lot: key("lot_id"),
        package: key("package_id"),
        owner: key("owner_id"),
    };
    let id = match find_quant(store, &quant_key) {
        Some(id) => id,
        None => {
            let mut base = Map::new();
            for k in QUANT_KEYS {
                if let Some(v) = vals.get(*k) {
                    base.insert((*k).into(), v.clone());
                }
            }
            store.create_at("stock.quant", &base, 1, now())?
        }
    };
    let mut counted: Map<String, Value> = vals
        .iter()
        .filter(|(k, _)| INVENTORY_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    mark_counted(&mut counted, ctx);
    store.write_at("stock.quant", &[id], &counted, ctx.uid, now())?;
    Ok(id)
}

/// `stock.quant.write`: in inventory mode only the count fields; outside it, nothing.
pub fn write_quant(store: &mut Store, ids: &[i64], vals: &Map<String, Value>, ctx: &Ctx) -> SimResult<()> {
    if !ctx.inventory_mode || vals.keys().any(|k| !INVENTORY_FIELDS.contains(&k.as_str())) {
        return Err(SimError::user(
            "Quant's editing is restricted, you can't do this operation.",
        ));
    }
    let mut counted = vals.clone();
    mark_counted(&mut counted, ctx);
    store.write_at("stock.quant", ids, &counted, ctx.uid, now())
}

fn mark_counted(vals: &mut Map<String, Value>, ctx: &Ctx) {
    if vals.contains_key("inventory_quantity") {
        vals.entry("inventory_quantity_set").or_insert(json!(true));
        vals.entry("user_id").or_insert(json!(ctx.uid));
        vals.entry("inventory_date")
            .or_insert(json!(now().format("%Y-%m-%d").to_string()));
    }
}

fn find_quant(store: &Store, key: &QuantKey) -> Option<i64> {
    store
        .ids("stock.quant")
        .into_iter()
        .find(|q| QuantKey::of(store, "stock.quant", *q) == *key)
}

/// Adds `delta` to the quant of `key`, creating or deleting it as Odoo does.
fn change_quantity(store: &mut Store, key: &QuantKey, delta: f64) -> SimResult<()> {
    match find_quant(store, key) {
        Some(quant) => {
            let quantity = store.get("stock.quant", quant, "quantity").as_f64() + delta;
            if quantity.abs() < 1e-9
                && !store
                    .get("stock.quant", quant, "inventory_quantity_set")
                    .eq(&Val::Bool(true))
            {
                store.unlink("stock.quant", &[quant])
            } else {
                let mut vals = Map::new();
                vals.insert("quantity".into(), json!(quantity));
                store.write_at("stock.quant", &[quant], &vals, 1, now())
            }
        }
        None if delta.abs() > 1e-9 => {
            let vals = json!({"product_id": key.product, "location_id": key.location, "lot_id": key.lot,
                              "package_id": key.package, "owner_id": key.owner, "quantity": delta,
                              "in_date": now().format("%Y-%m-%d %H:%M:%S").to_string()});
            store
                .create_at("stock.quant", vals.as_object().expect("object"), 1, now())
                .map(|_| ())
        }
        None => Ok(()),
    }
}

/// Adds a received quantity to the quant of `key`.
pub(crate) fn receive(store: &mut Store, key: &QuantKey, quantity: f64) -> SimResult<()> {
    change_quantity(store, key, quantity)
}

/// The version's done-quantity fields of a move or move line.
fn done_quantity(version: u8, quantity: f64, line: bool) -> Map<String, Value> {
    let mut vals = Map::new();
    match (version <= 16, line) {
        (true, true) => vals.insert("qty_done".into(), json!(quantity)),
        (true, false) => vals.insert("quantity_done".into(), json!(quantity)),
        (false, _) => {
            vals.insert("picked".into(), json!(true));
            vals.insert("quantity".into(), json!(quantity))
        }
    };
    vals
}

/// The move line Odoo keeps for every done move: where the quantity came from and went to, with its
/// lot, package and owner.
pub(crate) fn done_move_line(
    store: &mut Store,
    move_id: i64,
    stock: &QuantKey,
    to: i64,
    quantity: f64,
    uid: i64,
    at: chrono::NaiveDateTime,
) -> SimResult<i64> {
    let get = |f: &str| store.get("stock.move", move_id, f);
    let mut vals = done_quantity(store.schema.version, quantity, true);
    for (field, value) in [
        ("move_id", json!(move_id)),
        ("product_id", json!(stock.product)),
        (
            "product_uom_id",
            get("product_uom").as_id().map_or(Value::Bool(false), |u| json!(u)),
        ),
        ("location_id", json!(stock.location)),
        ("location_dest_id", json!(to)),
        ("lot_id", json!(stock.lot)),
        ("package_id", json!(stock.package)),
        ("result_package_id", json!(stock.package)),
        ("owner_id", json!(stock.owner)),
        (
            "picking_id",
            get("picking_id").as_id().map_or(Value::Bool(false), |p| json!(p)),
        ),
        (
            "company_id",
            get("company_id").as_id().map_or(Value::Bool(false), |c| json!(c)),
        ),
        (
            "reference",
            get("reference").as_str().map_or(Value::Bool(false), |r| json!(r)),
        ),
        ("is_inventory", json!(get("is_inventory") == Val::Bool(true))),
        ("state", json!("done")),
        ("date", json!(at.format("%Y-%m-%d %H:%M:%S%.6f").to_string())),
    ] {
        if !value.is_null() {
            vals.insert(field.into(), value);
        }
    }
    if store.schema.version >= 17 {
        vals.insert("quantity_product_uom".into(), json!(quantity));
    }
    store.create_at("stock.move.line", &vals, uid, at)
}

/// The company a move between two locations belongs to: the source's, or else the destination's
/// (partner and virtual locations may have none).
pub(crate) fn move_company(store: &Store, from: i64, to: i64) -> Option<i64> {
    store
        .get("stock.location", from, "company_id")
        .as_id()
        .or_else(|| store.get("stock.location", to, "company_id").as_id())
}

/// Creates a done move of `stock` (its product, source location, lot, package and owner) and applies
/// it to the quants of both ends (internal locations only).
pub(crate) fn done_move(store: &mut Store, mut vals: Map<String, Value>, stock: &QuantKey, uid: i64) -> SimResult<i64> {
    let to = vals.get("location_dest_id").and_then(Value::as_i64).unwrap_or_default();
    let quantity = vals.get("product_uom_qty").and_then(Value::as_f64).unwrap_or_default();
    if store
        .get("product.product", stock.product, "tracking")
        .as_str()
        .is_some_and(|t| t != "none")
        && stock.lot.is_none()
        && vals.get("is_inventory") != Some(&json!(true))
    {
        let name = store.get("product.product", stock.product, "name");
        return Err(SimError::user(format!(
            "You need to supply a Lot/Serial Number for product:\n - {}",
            name.as_str().unwrap_or_default()
        )));
    }
    vals.insert("product_id".into(), json!(stock.product));
    vals.insert("location_id".into(), json!(stock.location));
    if let Some(company) = move_company(store, stock.location, to) {
        vals.entry("company_id").or_insert(json!(company));
    }
    vals.insert("state".into(), json!("done"));
    vals.insert("date".into(), json!(now().format("%Y-%m-%d %H:%M:%S%.6f").to_string()));
    vals.insert("product_qty".into(), json!(quantity));
    vals.extend(done_quantity(store.schema.version, quantity, false));
    let move_id = store.create_at("stock.move", &vals, uid, now())?;
    done_move_line(store, move_id, stock, to, quantity, uid, now())?;
    for (key, delta) in [(*stock, -quantity), (stock.moved_to(to), quantity)] {
        if store.get("stock.location", key.location, "usage").as_str() == Some("internal") {
            change_quantity(store, &key, delta)?;
        }
    }
    Ok(move_id)
}

fn inventory_loss_location(store: &Store, company: Option<i64>) -> Option<i64> {
    store.ids("stock.location").into_iter().find(|l| {
        store.get("stock.location", *l, "usage").as_str() == Some("inventory")
            && store.get("stock.location", *l, "scrap_location") != Val::Bool(true)
            && store.get("stock.location", *l, "name").as_str() != Some("Scrap")
            && (company.is_none() || store.get("stock.location", *l, "company_id").as_id() == company)
    })
}

/// `stock.quant.action_apply_inventory`: applies counted quantities; returns `None` (Python's None).
pub fn apply_inventory(store: &mut Store, ids: &[i64], ctx: &Ctx) -> SimResult<Option<Value>> {
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !store.exists("stock.quant", *id))
        .collect();
    if !missing.is_empty() {
        return Err(SimError::missing("stock.quant", &missing));
    }
    // Counts entered before stock moved are not applied: Odoo asks to confirm them
    // (`stock.inventory.conflict`) instead.
    let outdated: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|q| store.get("stock.quant", *q, "is_outdated") == Val::Bool(true))
        .collect();
    if !outdated.is_empty() {
        return Ok(Some(json!({
            "type": "ir.actions.act_window",
            "name": "Conflict in Inventory Adjustment",
            "res_model": "stock.inventory.conflict",
            "view_mode": "form",
            "target": "new",
            "context": {"default_quant_ids": ids, "default_quant_to_fix_ids": outdated},
        })));
    }
    // 16 asks to confirm counts of lot/serial products on quants without a lot and without stock.
    if store.schema.version <= 16 {
        let untracked: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|q| {
                let key = QuantKey::of(store, "stock.quant", *q);
                let tracked = store
                    .get("product.product", key.product, "tracking")
                    .as_str()
                    .is_some_and(|t| t != "none");
                let quantity = store.get("stock.quant", *q, "quantity").as_f64();
                let counted = store.get("stock.quant", *q, "inventory_quantity").as_f64();
                tracked && key.lot.is_none() && quantity.abs() < 1e-9 && (counted - quantity).abs() > 1e-9
            })
            .collect();
        if !untracked.is_empty() {
            return Ok(Some(json!({
                "type": "ir.actions.act_window",
                "name": "Tracked Products in Inventory Adjustment",
                "res_model": "stock.track.confirmation",
                "view_mode": "form",
                "target": "new",
                "context": {"default_quant_ids": ids},
            })));
        }
    }
    for quant in ids {
        if store.get("stock.quant", *quant, "inventory_quantity_set") != Val::Bool(true) {
            continue;
        }
        let key = QuantKey::of(store, "stock.quant", *quant);
        let location = key.location;
        let counted = store.get("stock.quant", *quant, "inventory_quantity").as_f64();
        let on_hand = store.get("stock.quant", *quant, "quantity").as_f64();
        let diff = counted - on_hand;
        // Even a count that matches makes a (zero) move, named after the count.
        let default_name = if diff.abs() < 1e-9 {
            "Product Quantity Confirmed"
        } else {
            "Product Quantity Updated"
        };
        let name = ctx.inventory_name.clone().unwrap_or_else(|| default_name.into());
        // Odoo clears the count on apply; the sync keeps the history of it.
        let mut clear = Map::new();
        clear.insert("inventory_quantity".into(), json!(0.0));
        clear.insert("inventory_quantity_set".into(), json!(false));
        clear.insert("user_id".into(), json!(false));
        store.write_at("stock.quant", &[*quant], &clear, ctx.uid, now())?;
        let company = store.get("stock.location", location, "company_id").as_id();
        let loss = inventory_loss_location(store, company)
            .or_else(|| inventory_loss_location(store, None))
            .ok_or_else(|| SimError::user("No inventory adjustment location"))?;
        let (from, to) = if diff > 0.0 {
            (key.moved_to(loss), location)
        } else {
            (key, loss)
        };
        let mut vals = Map::new();
        vals.insert("product_uom_qty".into(), json!(diff.abs()));
        vals.insert("location_dest_id".into(), json!(to));
        vals.insert("is_inventory".into(), json!(true));
        vals.insert("reference".into(), json!(name));
        if store.schema.version <= 18 {
            vals.insert("name".into(), json!(name));
        } else {
            vals.insert("inventory_name".into(), json!(name));
        }
        done_move(store, vals, &from, ctx.uid)?;
    }
    Ok(None)
}

/// On-hand quantity of exactly `key` (Odoo's scrap check gathers quants strictly: the same location,
/// lot, package and owner).
fn on_hand_at(store: &Store, key: &QuantKey) -> f64 {
    find_quant(store, key).map_or(0.0, |q| store.get("stock.quant", q, "quantity").as_f64())
}

/// Whether Odoo tracks the product's stock (16/17 `detailed_type = product`; 18+ `is_storable`).
fn is_storable(store: &Store, product: i64) -> bool {
    let Some(template) = store.get("product.product", product, "product_tmpl_id").as_id() else {
        return false;
    };
    store.get("product.template", template, "is_storable") == Val::Bool(true)
        || store.get("product.template", template, "detailed_type").as_str() == Some("product")
}

/// The default scrap destination of `company` (ODOO-API §3.2): up to 18 a location flagged
/// `scrap_location`; on 19 the company's lowest-id location of usage `inventory`.
fn scrap_location(store: &Store, company: Option<i64>) -> Option<i64> {
    let of_company = |l: &i64| {
        let owner = store.get("stock.location", *l, "company_id").as_id();
        company.is_none() || owner.is_none() || owner == company
    };
    let inventory = |l: &i64| store.get("stock.location", *l, "usage").as_str() == Some("inventory");
    let mut candidates = store
        .ids("stock.location")
        .into_iter()
        .filter(|l| inventory(l) && of_company(l));
    if store.schema.version <= 18 {
        candidates.find(|l| store.get("stock.location", *l, "scrap_location") == Val::Bool(true))
    } else {
        candidates.next()
    }
}

/// A scrap's quantity in the product's unit (`scrap_qty` is in the scrap's `product_uom_id`).
fn scrap_quantity_in_product_unit(store: &Store, scrap: i64) -> f64 {
    let quantity = store.get("stock.scrap", scrap, "scrap_qty").as_f64();
    let product = store
        .get("stock.scrap", scrap, "product_id")
        .as_id()
        .unwrap_or_default();
    let unit_factor = |uom: Option<i64>| -> f64 {
        let Some(uom) = uom else { return 1.0 };
        let relative = store.get("uom.uom", uom, "relative_factor").as_f64();
        let factor = store.get("uom.uom", uom, "factor").as_f64();
        if relative > 0.0 {
            relative
        } else if factor > 0.0 {
            1.0 / factor
        } else {
            1.0
        }
    };
    let scrap_unit = store.get("stock.scrap", scrap, "product_uom_id").as_id();
    let product_unit = store.get("product.product", product, "uom_id").as_id();
    quantity * unit_factor(scrap_unit) / unit_factor(product_unit)
}

/// `stock.scrap.action_validate`: `true`, or the insufficient-quantity wizard when stock is short.
pub fn validate_scraps(store: &mut Store, ids: &[i64], ctx: &Ctx) -> SimResult<Option<Value>> {
    for scrap in ids {
        if !store.exists("stock.scrap", *scrap) {
            return Err(SimError::missing("stock.scrap", &[*scrap]));
        }
        let quantity = store.get("stock.scrap", *scrap, "scrap_qty").as_f64();
        if quantity <= 0.0 {
            return Err(SimError::user("You can only enter positive quantities."));
        }
        let key = QuantKey::of(store, "stock.scrap", *scrap);
        let (product, location) = (key.product, key.location);
        let needed = scrap_quantity_in_product_unit(store, *scrap);
        if is_storable(store, product) && on_hand_at(store, &key) + 1e-9 < needed {
            return Ok(Some(json!({
                "type": "ir.actions.act_window",
                "name": "Insufficient Quantity",
                "res_model": "stock.warn.insufficient.qty.scrap",
                "view_mode": "form",
                "target": "new",
                "context": {"default_product_id": product, "default_location_id": location, "default_scrap_id": scrap,
                            "default_quantity": quantity},
            })));
        }
    }
    do_scraps(store, ids, ctx)
}

/// `stock.scrap.do_scrap`: moves the quantity to the scrap location and marks the scrap done.
pub fn do_scraps(store: &mut Store, ids: &[i64], ctx: &Ctx) -> SimResult<Option<Value>> {
    // Like Odoo's, this does not look at the scrap's state: validating twice moves stock twice.
    for scrap in ids {
        let get = |f: &str| store.get("stock.scrap", *scrap, f);
        let stock = QuantKey::of(store, "stock.scrap", *scrap);
        let company = get("company_id").as_id();
        let to = match get("scrap_location_id").as_id() {
            Some(to) => to,
            None => scrap_location(store, company).ok_or_else(|| SimError::user("No scrap location"))?,
        };
        let quantity = scrap_quantity_in_product_unit(store, *scrap);
        let name = format!("SP/{:05}", scrap);
        let origin = get("origin");
        let mut vals = Map::new();
        vals.insert("product_uom_qty".into(), json!(quantity));
        vals.insert("location_dest_id".into(), json!(to));
        vals.insert("reference".into(), json!(name));
        if let Val::Str(origin) = origin {
            vals.insert("origin".into(), json!(origin));
        }
        let version = store.schema.version;
        if version <= 18 {
            vals.insert("name".into(), json!(name));
            vals.insert("scrapped".into(), json!(true));
        }
        if version >= 17 {
            vals.insert("scrap_id".into(), json!(scrap));
        }
        let move_id = done_move(store, vals, &stock, ctx.uid)?;
        let mut done = Map::new();
        done.insert("state".into(), json!("done"));
        done.insert("name".into(), json!(name));
        done.insert("scrap_location_id".into(), json!(to));
        done.insert(
            "date_done".into(),
            json!(now().format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
        );
        if version <= 16 {
            done.insert("move_id".into(), json!(move_id));
        } else {
            done.insert("move_ids".into(), json!([[4, move_id]]));
        }
        store.write_at("stock.scrap", &[*scrap], &done, ctx.uid, now())?;
    }
    Ok(Some(json!(true)))
}

/// `stock.scrap.unlink` refuses done scraps.
pub fn check_scrap_unlink(store: &Store, ids: &[i64]) -> SimResult<()> {
    if ids
        .iter()
        .any(|id| store.get("stock.scrap", *id, "state").as_str() == Some("done"))
    {
        return Err(SimError::user("You cannot delete a scrap which is done."));
    }
    Ok(())
}
