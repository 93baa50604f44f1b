//! The simulator's in-memory ORM: tables of records per model, Odoo's domain language, ordering,
//! `read` encoding (ODOO-API §2.3) and `create`/`write` with the magic fields. Errors carry the Python
//! exception class Odoo would report.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike as _, NaiveDate, NaiveDateTime, Timelike as _, Utc};
use serde_json::{Map, Value, json};

use super::schema::{FieldSpec, Kind, ModelSpec, Schema};
use crate::odoo::domain::Op;

/// A stored value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Ids(Vec<i64>),
}

impl Val {
    pub fn as_id(&self) -> Option<i64> {
        match self {
            Val::Int(id) => Some(*id),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> f64 {
        match self {
            Val::Float(f) => *f,
            Val::Int(i) => *i as f64,
            _ => 0.0,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The ids of an x2many value (none for anything else).
    pub fn as_ids(&self) -> &[i64] {
        match self {
            Val::Ids(ids) => ids,
            _ => &[],
        }
    }
    fn is_set(&self) -> bool {
        !matches!(self, Val::Null | Val::Bool(false)) && !matches!(self, Val::Ids(ids) if ids.is_empty())
    }
}

/// An Odoo exception: its Python class and message.
#[derive(Debug, Clone, PartialEq)]
pub struct SimError {
    pub name: &'static str,
    pub message: String,
}

impl SimError {
    pub fn value(message: impl Into<String>) -> Self {
        Self {
            name: "builtins.ValueError",
            message: message.into(),
        }
    }
    pub fn user(message: impl Into<String>) -> Self {
        Self {
            name: "odoo.exceptions.UserError",
            message: message.into(),
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self {
            name: "odoo.exceptions.ValidationError",
            message: message.into(),
        }
    }
    pub fn access_denied() -> Self {
        Self {
            name: "odoo.exceptions.AccessDenied",
            message: "Access Denied".into(),
        }
    }
    pub fn access(model: &str) -> Self {
        Self {
            name: "odoo.exceptions.AccessError",
            message: format!("You are not allowed to access '{model}' ({model}) records."),
        }
    }
    pub fn missing(model: &str, ids: &[i64]) -> Self {
        Self {
            name: "odoo.exceptions.MissingError",
            message: format!("Record does not exist or has been deleted.\n(Record: {model}({ids:?}), User: 2)"),
        }
    }
    pub fn attribute(model: &str, method: &str) -> Self {
        Self {
            name: "builtins.AttributeError",
            message: format!("The method '{method}' does not exist on the model '{model}'"),
        }
    }
    /// A JSON-2 call whose arguments do not bind (werkzeug's 422, ODOO-API §1.4).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self {
            name: "werkzeug.exceptions.UnprocessableEntity",
            message: message.into(),
        }
    }
    pub fn type_error(message: impl Into<String>) -> Self {
        Self {
            name: "builtins.TypeError",
            message: message.into(),
        }
    }
}

pub type SimResult<T> = Result<T, SimError>;

/// The parts of the call context the ORM honours.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub active_test: bool,
    pub uid: i64,
    /// `inventory_mode`: quants accept counted quantities (ODOO-API §4.3).
    pub inventory_mode: bool,
    /// `inventory_name`: the name of the moves an applied count makes.
    pub inventory_name: Option<String>,
    /// The first of `allowed_company_ids`: the company company-dependent fields are read and written for.
    pub company: Option<i64>,
}

impl Ctx {
    pub fn from_json(context: Option<&Value>, uid: i64) -> Self {
        let active_test = context
            .and_then(|c| c.get("active_test"))
            .map(|v| !matches!(v, Value::Bool(false)))
            .unwrap_or(true);
        let inventory_mode = context.and_then(|c| c.get("inventory_mode")) == Some(&Value::Bool(true));
        let inventory_name = context
            .and_then(|c| c.get("inventory_name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let company = context
            .and_then(|c| c.get("allowed_company_ids"))
            .and_then(Value::as_array)
            .and_then(|ids| ids.first())
            .and_then(Value::as_i64);
        Self {
            active_test,
            uid,
            inventory_mode,
            inventory_name,
            company,
        }
    }
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct Table {
    rows: BTreeMap<i64, Vec<Val>>,
    next_id: i64,
    /// `(write_date, id)` of every row that has a write date: what an index on `write_date` gives
    /// PostgreSQL, so that the pull's write-date ranges read only the rows they return instead of
    /// scanning (and sorting) the whole table for every page. Rebuilt on load, not saved.
    #[serde(skip)]
    by_write_date: BTreeSet<(NaiveDateTime, i64)>,
}

impl Table {
    fn index_write_date(&mut self, id: i64, old: Option<NaiveDateTime>, new: Option<NaiveDateTime>) {
        if let Some(old) = old {
            self.by_write_date.remove(&(old, id));
        }
        if let Some(new) = new {
            self.by_write_date.insert((new, id));
        }
    }
}

fn datetime_of(value: &Val) -> Option<NaiveDateTime> {
    match value {
        Val::DateTime(at) => Some(*at),
        _ => None,
    }
}

/// A compiled domain.
#[derive(Debug, Clone)]
enum Expr {
    True,
    /// Consecutive terms, implicitly AND-ed (kept flat: a long domain must not nest deeply).
    All(Vec<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Leaf(Leaf),
}

#[derive(Debug, Clone)]
struct Leaf {
    /// (model, field index, field) per hop of a dotted path.
    hops: Vec<(&'static str, usize, FieldSpec)>,
    op: Op,
    value: LeafValue,
}

#[derive(Debug, Clone)]
enum LeafValue {
    Json(Value),
    /// A sub-domain for `any` / `not any`.
    Sub(Box<Expr>),
    /// The ids `child_of` / `parent_of` resolved to.
    IdSet(BTreeSet<i64>),
}

/// Display names already built during one read, by (model, id).
type NameCache = HashMap<(&'static str, i64), String>;

/// All models' records.
#[derive(Debug, Clone)]
pub struct Store {
    pub schema: Schema,
    tables: HashMap<&'static str, Table>,
    /// Company-dependent values (`standard_price`) for companies other than the first:
    /// (model, field, id) → company → value. Without a company in context, the stored row's value.
    company_values: HashMap<CompanyKey, BTreeMap<i64, Val>>,
}

/// (model, field, record id) of a company-dependent value.
type CompanyKey = (String, String, i64);

/// Fields whose value depends on the company in context (Odoo's `company_dependent=True`).
pub fn is_company_dependent(model: &str, field: &str) -> bool {
    matches!(
        (model, field),
        ("product.template" | "product.product", "standard_price")
    )
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

impl Store {
    pub fn new(schema: Schema) -> Self {
        let tables = schema
            .model_names()
            .map(|m| {
                (
                    m,
                    Table {
                        rows: BTreeMap::new(),
                        next_id: 1,
                        by_write_date: BTreeSet::new(),
                    },
                )
            })
            .collect();
        Self {
            schema,
            tables,
            company_values: HashMap::new(),
        }
    }

    pub fn spec(&self, model: &str) -> SimResult<&ModelSpec> {
        self.schema
            .model(model)
            .ok_or_else(|| SimError::user(format!("Object {model} doesn't exist")))
    }

    fn table(&self, model: &str) -> &Table {
        &self.tables[model]
    }

    pub fn exists(&self, model: &str, id: i64) -> bool {
        self.tables.get(model).is_some_and(|t| t.rows.contains_key(&id))
    }

    pub fn ids(&self, model: &str) -> Vec<i64> {
        self.tables
            .get(model)
            .map(|t| t.rows.keys().copied().collect())
            .unwrap_or_default()
    }

    fn company_value(&self, model: &str, field: &str, id: i64, company: i64) -> Option<&Val> {
        self.company_values
            .get(&(model.to_string(), field.to_string(), id))
            .and_then(|by_company| by_company.get(&company))
    }

    /// Sets a company-dependent value as `company` sees it (the first company's lives in the row).
    pub fn set_company_value(&mut self, model: &str, field: &str, id: i64, company: i64, value: Val) {
        if company == 1 {
            self.put(model, id, field, value);
        } else {
            self.company_values
                .entry((model.to_string(), field.to_string(), id))
                .or_default()
                .insert(company, value);
        }
    }

    /// Writes the records (not the schema, which the version rebuilds) to `out`.
    pub fn save(&self, out: &mut impl std::io::Write) -> Result<(), String> {
        let tables: BTreeMap<&str, &Table> = self.tables.iter().map(|(k, v)| (*k, v)).collect();
        let company_values: Vec<(&CompanyKey, &BTreeMap<i64, Val>)> = self.company_values.iter().collect();
        bincode::serde::encode_into_std_write((&tables, &company_values), out, bincode::config::standard())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Reads records written by [`Store::save`] at `generated_at` for the same schema, moving every
    /// datetime forward to `now` by the time elapsed, and every date by the calendar days elapsed.
    pub fn load(
        schema: Schema,
        input: &mut impl std::io::Read,
        generated_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Self, String> {
        let shift = now - generated_at;
        let day_shift = now.date() - generated_at.date();
        type Saved = (
            BTreeMap<String, Table>,
            Vec<((String, String, i64), BTreeMap<i64, Val>)>,
        );
        let (saved, company_values): Saved =
            bincode::serde::decode_from_std_read(input, bincode::config::standard()).map_err(|e| e.to_string())?;
        let mut store = Store::new(schema);
        store.company_values = company_values.into_iter().collect();
        for (name, mut table) in saved {
            let Some(slot) = store.tables.keys().copied().find(|k| *k == name) else {
                return Err(format!("the cache has a model {name} this version does not"));
            };
            for row in table.rows.values_mut() {
                for value in row.iter_mut() {
                    match value {
                        Val::DateTime(at) => *at += shift,
                        Val::Date(day) => *day += day_shift,
                        _ => {}
                    }
                }
            }
            if let Some((i, _)) = store.schema.model(slot).and_then(|spec| spec.field("write_date")) {
                table.by_write_date = table
                    .rows
                    .iter()
                    .filter_map(|(id, row)| datetime_of(&row[i]).map(|at| (at, *id)))
                    .collect();
            }
            store.tables.insert(slot, table);
        }
        Ok(store)
    }

    pub fn len(&self, model: &str) -> usize {
        self.tables.get(model).map_or(0, |t| t.rows.len())
    }

    /// One stored value (`Val::Null` for a missing record or field).
    pub fn get(&self, model: &str, id: i64, field: &str) -> Val {
        let (Ok(spec), Some(table)) = (self.spec(model), self.tables.get(model)) else {
            return Val::Null;
        };
        match (spec.field(field), table.rows.get(&id)) {
            (Some((i, _)), Some(row)) => row[i].clone(),
            _ => Val::Null,
        }
    }

    // ---------------------------------------------------------------------------------------
    // Writing

    /// Creates a record from wire values, stamping the magic fields at `at` by `uid`.
    pub fn create_at(&mut self, model: &str, vals: &Map<String, Value>, uid: i64, at: NaiveDateTime) -> SimResult<i64> {
        let spec = self.spec(model)?.clone();
        let mut row = vec![Val::Null; spec.fields.len()];
        for (i, f) in spec.fields.iter().enumerate() {
            if f.name == "active" {
                row[i] = Val::Bool(true);
            }
            if f.name == "state" && matches!(model, "stock.scrap" | "stock.move") {
                row[i] = Val::Str("draft".into());
            }
            // A draft scrap is "New" in every version; its sequence number comes with `do_scrap`.
            if f.name == "name" && model == "stock.scrap" {
                row[i] = Val::Str("New".into());
            }
            if matches!(f.kind, Kind::One2many(..) | Kind::Many2many(_)) {
                row[i] = Val::Ids(Vec::new());
            }
        }
        for (name, value) in vals {
            let (i, f) = spec
                .field(name)
                .ok_or_else(|| SimError::value(format!("Invalid field '{name}' on model '{model}'")))?;
            row[i] = self.decode_value(&spec, f, value)?;
        }
        for f in spec.fields.iter().filter(|f| f.required) {
            let (i, _) = spec.field(f.name).expect("own field");
            if !row[i].is_set() && !matches!(f.kind, Kind::Boolean) {
                return Err(SimError::validation(format!(
                    "The operation cannot be completed: a mandatory field is not set.\n- Model: {} ({model})\n- Field: {} ({})",
                    spec.label, f.label, f.name
                )));
            }
        }
        let table = self.tables.get_mut(model).expect("table of a known model");
        let id = table.next_id;
        table.next_id += 1;
        let set = |row: &mut Vec<Val>, name: &str, v: Val| {
            if let Some((i, _)) = spec.field(name) {
                row[i] = v;
            }
        };
        set(&mut row, "id", Val::Int(id));
        set(&mut row, "create_uid", Val::Int(uid));
        set(&mut row, "write_uid", Val::Int(uid));
        set(&mut row, "create_date", Val::DateTime(at));
        set(&mut row, "write_date", Val::DateTime(at));
        if spec.field("write_date").is_some() {
            table.index_write_date(id, None, Some(at));
        }
        table.rows.insert(id, row);
        self.recompute(model, id);
        Ok(id)
    }

    /// Writes wire values to `ids`; a missing id is a `MissingError`.
    pub fn write_at(
        &mut self,
        model: &str,
        ids: &[i64],
        vals: &Map<String, Value>,
        uid: i64,
        at: NaiveDateTime,
    ) -> SimResult<()> {
        let spec = self.spec(model)?.clone();
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !self.exists(model, *id)).collect();
        if !missing.is_empty() {
            return Err(SimError::missing(model, &missing));
        }
        let mut decoded = Vec::new();
        for (name, value) in vals {
            let (i, f) = spec
                .field(name)
                .ok_or_else(|| SimError::value(format!("Invalid field '{name}' on model '{model}'")))?;
            if f.name == "id" {
                return Err(SimError::value("the id field cannot be written"));
            }
            decoded.push((i, self.decode_value(&spec, f, value)?));
        }
        for id in ids {
            let table = self.tables.get_mut(model).expect("table of a known model");
            let mut reindex = None;
            let row = table.rows.get_mut(id).expect("checked above");
            for (i, v) in &decoded {
                row[*i] = v.clone();
            }
            if let Some((i, _)) = spec.field("write_uid") {
                row[i] = Val::Int(uid);
            }
            // A count entered on a quant fixes its difference against the quantity at that moment.
            if model == "stock.quant"
                && (vals.contains_key("inventory_quantity") || vals.contains_key("inventory_quantity_set"))
                && let (Some((q, _)), Some((c, _)), Some((set, _)), Some((d, _))) = (
                    spec.field("quantity"),
                    spec.field("inventory_quantity"),
                    spec.field("inventory_quantity_set"),
                    spec.field("inventory_diff_quantity"),
                )
            {
                let diff = if row[set] == Val::Bool(true) {
                    row[c].as_f64() - row[q].as_f64()
                } else {
                    0.0
                };
                row[d] = Val::Float(diff);
            }
            if let Some((i, _)) = spec.field("write_date") {
                reindex = Some(datetime_of(&row[i]));
                row[i] = Val::DateTime(at);
            }
            if let Some(old) = reindex {
                table.index_write_date(*id, old, Some(at));
            }
            self.recompute(model, *id);
        }
        if model == "product.template" {
            for id in ids {
                for variant in self.get(model, *id, "product_variant_ids").ids_or_empty() {
                    self.recompute("product.product", variant);
                }
            }
        }
        Ok(())
    }

    /// Changes stored values without touching `write_date` (as Odoo's raw-SQL quant merges do).
    pub fn set_raw(&mut self, model: &str, id: i64, field: &str, value: Val) {
        let Some((i, _)) = self.schema.model(model).and_then(|s| s.field(field)) else {
            return;
        };
        if let Some(table) = self.tables.get_mut(model)
            && let Some(row) = table.rows.get_mut(&id)
        {
            if field == "write_date" {
                let (old, new) = (datetime_of(&row[i]), datetime_of(&value));
                row[i] = value;
                table.index_write_date(id, old, new);
            } else {
                row[i] = value;
            }
        }
        self.recompute(model, id);
    }

    pub fn unlink(&mut self, model: &str, ids: &[i64]) -> SimResult<()> {
        self.spec(model)?;
        let write_date = self.spec(model)?.field("write_date").map(|(i, _)| i);
        let table = self.tables.get_mut(model).expect("table of a known model");
        for id in ids {
            if let (Some(row), Some(i)) = (table.rows.remove(id), write_date) {
                table.index_write_date(*id, datetime_of(&row[i]), None);
            }
        }
        Ok(())
    }

    fn decode_value(&self, spec: &ModelSpec, f: &FieldSpec, value: &Value) -> SimResult<Val> {
        let bad = || SimError::value(format!("Wrong value for {}.{}: {value}", spec.name, f.name));
        Ok(match (&f.kind, value) {
            (Kind::Boolean, Value::Bool(b)) => Val::Bool(*b),
            (_, Value::Bool(false) | Value::Null) if !f.kind.is_relational_list() => Val::Null,
            (Kind::Char | Kind::Text, Value::String(s)) => Val::Str(s.clone()),
            (Kind::Integer, Value::Number(n)) => Val::Int(n.as_i64().ok_or_else(bad)?),
            (Kind::Float, Value::Number(n)) => Val::Float(n.as_f64().ok_or_else(bad)?),
            (Kind::Selection(keys), Value::String(s)) => {
                if !keys.contains(&s.as_str()) {
                    return Err(SimError::value(format!(
                        "Wrong value for {}.{}: '{s}'",
                        spec.name, f.name
                    )));
                }
                Val::Str(s.clone())
            }
            (Kind::Date, Value::String(s)) => {
                Val::Date(NaiveDate::parse_from_str(date_part(s), "%Y-%m-%d").map_err(|_| bad())?)
            }
            (Kind::Datetime, Value::String(s)) => Val::DateTime(parse_datetime(s).ok_or_else(bad)?),
            (Kind::Many2one(target), Value::Number(n)) => {
                let id = n.as_i64().ok_or_else(bad)?;
                // A dangling reference is a foreign-key violation, which Odoo reports as a ValidationError.
                if !self.exists(target, id) {
                    return Err(SimError::validation(format!(
                        "The operation cannot be completed: another model requires the record being deleted or \
                         references a record that does not exist ({target} {id})."
                    )));
                }
                Val::Int(id)
            }
            (Kind::One2many(..) | Kind::Many2many(_), Value::Array(commands)) => {
                Val::Ids(apply_commands(commands).ok_or_else(bad)?)
            }
            (Kind::One2many(..) | Kind::Many2many(_), Value::Bool(false) | Value::Null) => Val::Ids(Vec::new()),
            _ => return Err(bad()),
        })
    }

    /// Derived values Odoo stores (related and computed-stored fields).
    fn recompute(&mut self, model: &str, id: i64) {
        match model {
            "product.product" => {
                let template = self.get(model, id, "product_tmpl_id").as_id();
                if let Some(t) = template {
                    for (to, from) in [
                        ("name", "name"),
                        ("categ_id", "categ_id"),
                        ("uom_id", "uom_id"),
                        ("lst_price", "list_price"),
                        ("company_id", "company_id"),
                        ("detailed_type", "detailed_type"),
                        ("type", "type"),
                        ("is_storable", "is_storable"),
                        ("tracking", "tracking"),
                        ("uom_po_id", "uom_po_id"),
                        ("sale_ok", "sale_ok"),
                        ("purchase_ok", "purchase_ok"),
                        ("list_price", "list_price"),
                    ] {
                        let v = self.get("product.template", t, from);
                        self.put(model, id, to, v);
                    }
                    let mut variants = self.get("product.template", t, "product_variant_ids").ids_or_empty();
                    if !variants.contains(&id) {
                        variants.push(id);
                        self.put("product.template", t, "product_variant_ids", Val::Ids(variants));
                    }
                }
            }
            "stock.location" | "product.category" => {
                let parent_field = if model == "stock.location" {
                    "location_id"
                } else {
                    "parent_id"
                };
                let name = self.get(model, id, "name").as_str().unwrap_or_default().to_string();
                let complete = match self.get(model, id, parent_field).as_id() {
                    Some(parent) => {
                        let parent_name = self.get(model, parent, "complete_name");
                        let sep = if model == "stock.location" { "/" } else { " / " };
                        format!("{}{sep}{name}", parent_name.as_str().unwrap_or_default())
                    }
                    None => name,
                };
                self.put(model, id, "complete_name", Val::Str(complete));
                self.put_parent_path(model, id, parent_field);
                if model == "stock.location" && self.get(model, id, "warehouse_id") == Val::Null {
                    let warehouse = self.ancestors(model, id).into_iter().find_map(|loc| {
                        self.table("stock.warehouse")
                            .rows
                            .keys()
                            .copied()
                            .find(|w| self.get("stock.warehouse", *w, "view_location_id").as_id() == Some(loc))
                    });
                    if let Some(w) = warehouse {
                        self.put(model, id, "warehouse_id", Val::Int(w));
                    }
                }
            }
            "uom.uom" if self.schema.version >= 19 => {
                self.put_parent_path(model, id, "relative_uom_id");
                // 19's `factor` is the absolute quantity: the unit's own ratio times its reference's.
                let relative = match self.get(model, id, "relative_factor") {
                    Val::Float(f) if f > 0.0 => f,
                    _ => 1.0,
                };
                let reference = self
                    .get(model, id, "relative_uom_id")
                    .as_id()
                    .map_or(1.0, |r| self.get(model, r, "factor").as_f64());
                self.put(model, id, "factor", Val::Float(relative * reference));
            }
            "res.partner" => {
                // The commercial entity is the topmost company (or the partner itself).
                let commercial = self.ancestors(model, id).into_iter().last().unwrap_or(id);
                self.put(model, id, "commercial_partner_id", Val::Int(commercial));
                // A contact of a company reads "Company, Name" (`_compute_complete_name`).
                let name = self.get(model, id, "name").as_str().unwrap_or_default().to_string();
                let company = self
                    .get(model, id, "parent_id")
                    .as_id()
                    .filter(|_| self.get(model, id, "is_company") != Val::Bool(true));
                let complete = match company.map(|c| self.get(model, c, "name")) {
                    Some(Val::Str(company)) => format!("{company}, {name}"),
                    _ => name,
                };
                self.put(model, id, "complete_name", Val::Str(complete));
            }
            "uom.uom" => {
                let factor = self.get(model, id, "factor").as_f64();
                if factor > 0.0 {
                    self.put(model, id, "factor_inv", Val::Float(1.0 / factor));
                }
            }
            // One2many fields are the other side of their many2one.
            "stock.move" => {
                if let Some(origin) = self.get(model, id, "origin_returned_move_id").as_id() {
                    self.link_child(model, origin, "returned_move_ids", id);
                }
                if let Some(picking) = self.get(model, id, "picking_id").as_id() {
                    self.link_child("stock.picking", picking, "move_ids", id);
                    self.link_child("stock.picking", picking, "move_ids_without_package", id);
                }
                if let Some(line) = self.get(model, id, "purchase_line_id").as_id() {
                    self.link_child("purchase.order.line", line, "move_ids", id);
                }
            }
            "purchase.order.line" => {
                if let Some(order) = self.get(model, id, "order_id").as_id() {
                    self.link_child("purchase.order", order, "order_line", id);
                }
            }
            "stock.picking" => {
                if let Some(original) = self.get(model, id, "return_id").as_id() {
                    self.link_child(model, original, "return_ids", id);
                }
                let code = match self.get(model, id, "picking_type_id").as_id() {
                    Some(kind) => self.get("stock.picking.type", kind, "code"),
                    None => Val::Null,
                };
                self.put(model, id, "picking_type_code", code);
            }
            "res.users" => self.recompute_user_groups(id),
            "res.groups" => self.recompute_group(id),
            "ir.model.data" => {
                let module = self.get(model, id, "module").as_str().unwrap_or_default().to_string();
                let name = self.get(model, id, "name").as_str().unwrap_or_default().to_string();
                self.put(model, id, "complete_name", Val::Str(format!("{module}.{name}")));
            }
            "stock.quant" => {
                let quantity = self.get(model, id, "quantity").as_f64();
                let reserved = self.get(model, id, "reserved_quantity").as_f64();
                self.put(model, id, "available_quantity", Val::Float(quantity - reserved));
                // As Odoo: the difference is fixed when the count is entered (see `write_at`), and a count
                // is outdated once the quantity no longer equals the quantity it was counted against.
                let counted = self.get(model, id, "inventory_quantity").as_f64();
                let set = self.get(model, id, "inventory_quantity_set") == Val::Bool(true);
                let diff = self.get(model, id, "inventory_diff_quantity").as_f64();
                let outdated = set && ((counted - diff) - quantity).abs() > 1e-9;
                self.put(model, id, "is_outdated", Val::Bool(outdated));
                if let Some(location) = self.get(model, id, "location_id").as_id() {
                    let company = self.get("stock.location", location, "company_id");
                    let warehouse = self.get("stock.location", location, "warehouse_id");
                    self.put(model, id, "company_id", company);
                    self.put(model, id, "warehouse_id", warehouse);
                }
            }
            _ => {}
        }
    }

    /// The membership fields of this version: a user's groups and a group's users. Up to 18 they hold
    /// every membership, implied ones too; 19 keeps the explicit ones there and the rest in
    /// `all_group_ids` / `all_user_ids`.
    fn membership_fields(&self) -> (&'static str, &'static str) {
        if self.schema.version <= 18 {
            ("groups_id", "users")
        } else {
            ("group_ids", "user_ids")
        }
    }

    /// `groups` and every group they imply, transitively (`implied_ids`), in id order.
    fn implied_closure(&self, groups: &[i64]) -> Vec<i64> {
        let mut all: BTreeSet<i64> = BTreeSet::new();
        let mut todo: Vec<i64> = groups.to_vec();
        while let Some(group) = todo.pop() {
            if all.insert(group) {
                todo.extend(self.get("res.groups", group, "implied_ids").ids_or_empty());
            }
        }
        all.into_iter().collect()
    }

    /// A user's groups changed: add what they imply (stored up to 18, as Odoo's implied-groups
    /// mechanism does; computed into `all_group_ids` on 19), and mirror the membership onto the groups'
    /// side of the relation, which Odoo stores once and the simulator keeps on both records.
    fn recompute_user_groups(&mut self, uid: i64) {
        let (user_groups, group_users) = self.membership_fields();
        let explicit = self.get("res.users", uid, user_groups).ids_or_empty();
        let all = self.implied_closure(&explicit);
        let version = self.schema.version;
        if version <= 18 {
            self.put("res.users", uid, user_groups, Val::Ids(all.clone()));
        } else {
            self.put("res.users", uid, "all_group_ids", Val::Ids(all.clone()));
        }
        let listed = if version <= 18 { &all } else { &explicit };
        for group in self.ids("res.groups") {
            let mut fields = vec![(group_users, listed.contains(&group))];
            if version >= 19 {
                fields.push(("all_user_ids", all.contains(&group)));
            }
            for (field, member) in fields {
                let mut users = self.get("res.groups", group, field).ids_or_empty();
                if users.contains(&uid) != member {
                    users.retain(|u| *u != uid);
                    if member {
                        users.push(uid);
                        users.sort_unstable();
                    }
                    self.put("res.groups", group, field, Val::Ids(users));
                }
            }
        }
    }

    /// A group changed: its full name ("Inventory / Administrator"), and its members mirrored onto the
    /// users, whose implied groups are then recomputed (a changed `implied_ids` reaches everyone).
    fn recompute_group(&mut self, gid: i64) {
        let name = self
            .get("res.groups", gid, "name")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let application = ["category_id", "privilege_id"].into_iter().find_map(|field| {
            let parent = self.get("res.groups", gid, field).as_id()?;
            let model = self.spec("res.groups").ok()?.field(field)?.1.kind.relation()?;
            self.get(model, parent, "name").as_str().map(str::to_string)
        });
        let full_name = match application {
            Some(application) => format!("{application} / {name}"),
            None => name,
        };
        self.put("res.groups", gid, "full_name", Val::Str(full_name));
        let (user_groups, group_users) = self.membership_fields();
        let members = self.get("res.groups", gid, group_users).ids_or_empty();
        let users = self.ids("res.users");
        for uid in &users {
            let mut groups = self.get("res.users", *uid, user_groups).ids_or_empty();
            if groups.contains(&gid) != members.contains(uid) {
                groups.retain(|g| *g != gid);
                if members.contains(uid) {
                    groups.push(gid);
                    groups.sort_unstable();
                }
                self.put("res.users", *uid, user_groups, Val::Ids(groups));
            }
        }
        for uid in users {
            self.recompute_user_groups(uid);
        }
    }

    /// The record an external identifier (`stock.group_stock_manager`) names, from `ir.model.data`.
    pub fn xml_id(&self, xml_id: &str) -> Option<i64> {
        let (module, name) = xml_id.split_once('.')?;
        self.ids("ir.model.data")
            .into_iter()
            .find(|d| {
                self.get("ir.model.data", *d, "module").as_str() == Some(module)
                    && self.get("ir.model.data", *d, "name").as_str() == Some(name)
            })
            .and_then(|d| self.get("ir.model.data", d, "res_id").as_id())
    }

    /// Whether user `uid` has the group `xml_id`, given or implied (Odoo's `has_group`).
    pub fn has_group(&self, uid: i64, xml_id: &str) -> bool {
        let field = if self.schema.version <= 18 {
            "groups_id"
        } else {
            "all_group_ids"
        };
        self.xml_id(xml_id)
            .is_some_and(|group| self.get("res.users", uid, field).ids_or_empty().contains(&group))
    }

    /// Adds `child` to the one2many `field` of `parent`, as reading the other side of a many2one shows
    /// it (kept in id order; a child already there is not added twice).
    fn link_child(&mut self, model: &str, parent: i64, field: &str, child: i64) {
        let Some(i) = self.schema.model(model).and_then(|s| s.field(field)).map(|(i, _)| i) else {
            return;
        };
        let Some(row) = self.tables.get_mut(model).and_then(|t| t.rows.get_mut(&parent)) else {
            return;
        };
        match &mut row[i] {
            Val::Ids(ids) => {
                if let Err(at) = ids.binary_search(&child) {
                    ids.insert(at, child);
                }
            }
            other => *other = Val::Ids(vec![child]),
        }
    }

    /// `parent_path` as Odoo stores it: the ids from the root down to the record, each followed by `/`.
    fn put_parent_path(&mut self, model: &str, id: i64, parent_field: &str) {
        let path = match self.get(model, id, parent_field).as_id() {
            Some(parent) => format!(
                "{}{id}/",
                self.get(model, parent, "parent_path").as_str().unwrap_or_default()
            ),
            None => format!("{id}/"),
        };
        self.put(model, id, "parent_path", Val::Str(path));
    }

    fn put(&mut self, model: &str, id: i64, field: &str, value: Val) {
        let Some((i, _)) = self.schema.model(model).and_then(|s| s.field(field)) else {
            return;
        };
        if let Some(row) = self.tables.get_mut(model).and_then(|t| t.rows.get_mut(&id)) {
            row[i] = value;
        }
    }

    /// `id` and its parents, nearest first.
    fn ancestors(&self, model: &str, id: i64) -> Vec<i64> {
        let parent_field = self.schema.model(model).and_then(|s| s.parent);
        let mut chain = vec![id];
        let mut current = id;
        while let Some(parent) = parent_field.and_then(|p| self.get(model, current, p).as_id()) {
            if chain.contains(&parent) {
                break;
            }
            chain.push(parent);
            current = parent;
        }
        chain
    }

    fn descendants(&self, model: &str, roots: &BTreeSet<i64>) -> BTreeSet<i64> {
        let Some(parent_field) = self.schema.model(model).and_then(|s| s.parent) else {
            return roots.clone();
        };
        self.table(model)
            .rows
            .keys()
            .copied()
            .filter(|id| {
                let mut current = Some(*id);
                let mut steps = 0;
                while let Some(c) = current {
                    if roots.contains(&c) {
                        return true;
                    }
                    current = self.get(model, c, parent_field).as_id();
                    steps += 1;
                    if steps > 64 {
                        break;
                    }
                }
                false
            })
            .collect()
    }

    // ---------------------------------------------------------------------------------------
    // Searching

    fn compile(&self, model: &'static str, domain: &Value) -> SimResult<Expr> {
        let items = match domain {
            Value::Array(items) => items.as_slice(),
            Value::Null | Value::Bool(false) => &[],
            _ => return Err(SimError::value(format!("Invalid domain: {domain}"))),
        };
        if items.len() > MAX_DOMAIN_ITEMS {
            return Err(SimError::value(format!(
                "Invalid domain: more than {MAX_DOMAIN_ITEMS} items"
            )));
        }
        let mut position = 0;
        let mut terms = Vec::new();
        while position < items.len() {
            terms.push(self.compile_one(model, items, &mut position, 0)?);
        }
        Ok(if terms.is_empty() { Expr::True } else { Expr::All(terms) })
    }

    fn compile_one(&self, model: &'static str, items: &[Value], position: &mut usize, depth: usize) -> SimResult<Expr> {
        if depth > MAX_DOMAIN_DEPTH {
            return Err(SimError::value("Invalid domain: operators nested too deeply"));
        }
        let item = items
            .get(*position)
            .ok_or_else(|| SimError::value("Invalid domain: an operator lacks operands"))?;
        *position += 1;
        match item {
            Value::String(op) if op == "&" || op == "|" => {
                let left = self.compile_one(model, items, position, depth + 1)?;
                let right = self.compile_one(model, items, position, depth + 1)?;
                Ok(if op == "&" {
                    Expr::And(Box::new(left), Box::new(right))
                } else {
                    Expr::Or(Box::new(left), Box::new(right))
                })
            }
            Value::String(op) if op == "!" => Ok(Expr::Not(Box::new(self.compile_one(
                model,
                items,
                position,
                depth + 1,
            )?))),
            Value::Array(leaf) if leaf.len() == 3 => self.compile_leaf(model, leaf),
            other => Err(SimError::value(format!("Invalid leaf {other}"))),
        }
    }

    fn compile_leaf(&self, model: &'static str, leaf: &[Value]) -> SimResult<Expr> {
        // Odoo's own TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1).
        if let (Value::Number(a), Some("="), Value::Number(b)) = (&leaf[0], leaf[1].as_str(), &leaf[2]) {
            return Ok(if a == b {
                Expr::True
            } else {
                Expr::Not(Box::new(Expr::True))
            });
        }
        let path = leaf[0]
            .as_str()
            .ok_or_else(|| SimError::value(format!("Invalid leaf {}", Value::Array(leaf.to_vec()))))?;
        let op_text = leaf[1].as_str().unwrap_or_default().to_lowercase();
        let op = Op::parse(&op_text).ok_or_else(|| SimError::value(format!("Invalid operator {:?}", leaf[1])))?;
        if matches!(op, Op::Any | Op::NotAny) && self.schema.version < 17 {
            return Err(SimError::value(format!("Invalid operator {op_text:?}")));
        }
        let mut hops = Vec::new();
        let mut current: &'static str = model;
        let parts: Vec<&str> = path.split('.').collect();
        for (n, part) in parts.iter().enumerate() {
            let spec = self.spec(current)?;
            let (i, f) = spec
                .field(part)
                .ok_or_else(|| SimError::value(format!("Invalid field {current}.{part} in leaf {path}")))?;
            hops.push((current, i, f.clone()));
            if n + 1 < parts.len() {
                current = f
                    .kind
                    .relation()
                    .ok_or_else(|| SimError::value(format!("Invalid path {path}: {part} is not relational")))?;
            }
        }
        let (last_model, _, last) = hops.last().cloned().expect("a path has one part at least");
        let value = match op {
            Op::Any | Op::NotAny => {
                let target = last
                    .kind
                    .relation()
                    .ok_or_else(|| SimError::value(format!("{path} is not relational")))?;
                LeafValue::Sub(Box::new(self.compile(target, &leaf[2])?))
            }
            Op::ChildOf | Op::ParentOf => {
                let target = if last.name == "id" {
                    last_model
                } else {
                    last.kind.relation().unwrap_or(last_model)
                };
                let roots: BTreeSet<i64> = match &leaf[2] {
                    Value::Number(n) => n.as_i64().into_iter().collect(),
                    Value::Array(ids) => ids.iter().filter_map(Value::as_i64).collect(),
                    _ => BTreeSet::new(),
                };
                let set = if op == Op::ChildOf {
                    self.descendants(target, &roots)
                } else {
                    roots.iter().flat_map(|r| self.ancestors(target, *r)).collect()
                };
                LeafValue::IdSet(set)
            }
            _ => LeafValue::Json(leaf[2].clone()),
        };
        Ok(Expr::Leaf(Leaf { hops, op, value }))
    }

    fn mentions_active(domain: &Value) -> bool {
        domain.as_array().is_some_and(|items| {
            items
                .iter()
                .any(|i| i.as_array().and_then(|l| l.first()).and_then(Value::as_str) == Some("active"))
        })
    }

    /// Ids matching `domain`, ordered and paged.
    pub fn search(
        &self,
        model: &str,
        domain: &Value,
        ctx: &Ctx,
        order: Option<&str>,
        offset: usize,
        limit: Option<usize>,
    ) -> SimResult<Vec<i64>> {
        let spec = self.spec(model)?;
        let model_name = spec.name;
        let expr = self.compile(model_name, domain)?;
        let active_index = (ctx.active_test && spec.has_active() && !Self::mentions_active(domain))
            .then(|| spec.field("active").map(|(i, _)| i))
            .flatten();
        let order = self.parse_order(spec, order)?;
        let by_id = order.len() == 1 && order[0].0 == 0 && !order[0].1;
        let page = |ids: &mut dyn Iterator<Item = i64>| -> Vec<i64> {
            ids.skip(offset).take(limit.unwrap_or(usize::MAX)).collect()
        };
        let table = self.table(model_name);
        let wanted = |row: &Vec<Val>| active_index.is_none_or(|i| row[i] == Val::Bool(true)) && self.eval(&expr, row);
        // A write-date range (the pull's cursor) reads only its rows, through the write-date index; in
        // the index's own order when that is the order asked for.
        let write_date = spec.field("write_date").map(|(i, _)| i);
        let mut matched: Vec<(i64, &Vec<Val>)> = match (write_date, Self::write_date_bounds(&expr)) {
            (Some(field), Some((from, to))) => {
                let end = to.map_or(std::ops::Bound::Unbounded, |to| {
                    std::ops::Bound::Included((to, i64::MAX))
                });
                let candidates = table
                    .by_write_date
                    .range((std::ops::Bound::Included((from, i64::MIN)), end))
                    .filter_map(|(_, id)| table.rows.get(id).map(|row| (*id, row)))
                    .filter(|(_, row)| wanted(row));
                let in_index_order = matches!(order.as_slice(), [(f, false)] | [(f, false), (0, false)] if *f == field);
                if in_index_order {
                    return Ok(page(&mut candidates.map(|(id, _)| id)));
                }
                candidates.collect()
            }
            _ => {
                // Id leaves read only their rows, through the primary key as PostgreSQL would: keyset
                // paging (`id > n`, ordered by id) walks only the rows it returns, an id window only
                // its window, `id in [...]` only the listed ids.
                let (range, listed) = Self::id_bounds(&expr);
                let candidates: Box<dyn Iterator<Item = (i64, &Vec<Val>)>> = match listed {
                    Some(ids) => Box::new(
                        ids.into_iter()
                            .filter(move |id| range.contains(id))
                            .filter_map(|id| table.rows.get(&id).map(|row| (id, row))),
                    ),
                    // (BTreeMap::range panics on a range that ends before it starts.)
                    None if range.is_empty() => Box::new(std::iter::empty()),
                    None => Box::new(table.rows.range(range).map(|(id, row)| (*id, row))),
                };
                let candidates = candidates.filter(|(_, row)| wanted(row));
                if by_id {
                    return Ok(page(&mut candidates.map(|(id, _)| id)));
                }
                candidates.collect()
            }
        };

        // A many2one sorts by the comodel's `_order` (recursively, as Odoo's joins do), computed once
        // per related record.
        let mut related: HashMap<(usize, i64), Vec<(Val, bool)>> = HashMap::new();
        for (i, _) in &order {
            if let Kind::Many2one(target) = &spec.fields[*i].kind {
                for (_, row) in &matched {
                    if let Some(id) = row[*i].as_id() {
                        related
                            .entry((*i, id))
                            .or_insert_with(|| self.order_key(target, id, MAX_ORDER_DEPTH));
                    }
                }
            }
        }
        let null_key = vec![(Val::Null, false)];
        matched.sort_by(|a, b| {
            for (i, desc) in &order {
                let c = if matches!(spec.fields[*i].kind, Kind::Many2one(_)) {
                    let key = |row: &Vec<Val>| {
                        row[*i]
                            .as_id()
                            .and_then(|id| related.get(&(*i, id)))
                            .unwrap_or(&null_key)
                    };
                    compare_keys(key(a.1), key(b.1))
                } else {
                    compare(&a.1[*i], &b.1[*i])
                };
                if c != Ordering::Equal {
                    return if *desc { c.reverse() } else { c };
                }
            }
            a.0.cmp(&b.0)
        });
        Ok(page(&mut matched.into_iter().map(|(id, _)| id)))
    }

    /// The write dates a domain can match, from top-level `write_date >= / > t` and `< / <= t` leaves:
    /// `(from, to)`, both inclusive (a superset: every row is still tested against the domain).
    fn write_date_bounds(expr: &Expr) -> Option<(NaiveDateTime, Option<NaiveDateTime>)> {
        fn walk(expr: &Expr, from: &mut Option<NaiveDateTime>, to: &mut Option<NaiveDateTime>) {
            match expr {
                Expr::And(a, b) => {
                    walk(a, from, to);
                    walk(b, from, to);
                }
                Expr::All(terms) => terms.iter().for_each(|t| walk(t, from, to)),
                Expr::Leaf(Leaf {
                    hops,
                    op,
                    value: LeafValue::Json(Value::String(text)),
                }) if hops.len() == 1 && hops[0].2.name == "write_date" => {
                    let Some(at) = parse_datetime(text) else { return };
                    match op {
                        Op::Ge | Op::Gt => *from = Some(from.map_or(at, |f| f.max(at))),
                        Op::Lt | Op::Le => *to = Some(to.map_or(at, |t| t.min(at))),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let (mut from, mut to) = (None, None);
        walk(expr, &mut from, &mut to);
        from.map(|from| (from, to))
    }

    /// The ids a domain can match, from its top-level id leaves: a range (`id > n`, `id <= n`, …) and,
    /// from `id = n` or `id in [...]`, the ids listed (sorted). A superset: every row is still tested
    /// against the whole domain.
    fn id_bounds(expr: &Expr) -> (std::ops::RangeInclusive<i64>, Option<BTreeSet<i64>>) {
        fn walk(expr: &Expr, lower: &mut i64, upper: &mut i64, listed: &mut Option<BTreeSet<i64>>) {
            let leaf = match expr {
                Expr::And(a, b) => {
                    walk(a, lower, upper, listed);
                    walk(b, lower, upper, listed);
                    return;
                }
                Expr::All(terms) => {
                    terms.iter().for_each(|t| walk(t, lower, upper, listed));
                    return;
                }
                Expr::Leaf(leaf) if leaf.hops.len() == 1 && leaf.hops[0].2.name == "id" => leaf,
                _ => return,
            };
            let LeafValue::Json(value) = &leaf.value else { return };
            let mut list = |ids: BTreeSet<i64>| {
                *listed = Some(match listed.take() {
                    Some(before) => before.intersection(&ids).copied().collect(),
                    None => ids,
                })
            };
            match (leaf.op, value.as_i64()) {
                (Op::Gt, Some(n)) => *lower = (*lower).max(n.saturating_add(1)),
                (Op::Ge, Some(n)) => *lower = (*lower).max(n),
                (Op::Lt, Some(n)) => *upper = (*upper).min(n.saturating_sub(1)),
                (Op::Le, Some(n)) => *upper = (*upper).min(n),
                (Op::Eq, Some(n)) => list(BTreeSet::from([n])),
                (Op::In, None) => {
                    // Only a list of plain ids narrows; anything else is left to the full test.
                    if let Some(ids) = value.as_array().and_then(|a| a.iter().map(Value::as_i64).collect()) {
                        list(ids)
                    }
                }
                _ => {}
            }
        }
        let (mut lower, mut upper, mut listed) = (i64::MIN, i64::MAX, None);
        walk(expr, &mut lower, &mut upper, &mut listed);
        (lower..=upper, listed)
    }

    /// The requested order, or the model's `_order` when none is given (ODOO-API §2.2).
    fn parse_order(&self, spec: &ModelSpec, order: Option<&str>) -> SimResult<Vec<(usize, bool)>> {
        let Some(text) = order.filter(|o| !o.trim().is_empty()) else {
            return Ok(spec.default_order().to_vec());
        };
        text.split(',')
            .map(|part| {
                let mut words = part.split_whitespace();
                let name = words.next().unwrap_or("id");
                let desc = match words.next().map(str::to_lowercase).as_deref() {
                    None | Some("asc") => false,
                    Some("desc") => true,
                    Some(other) => return Err(SimError::value(format!("Invalid order direction {other:?}"))),
                };
                let (i, _) = spec
                    .field(name)
                    .ok_or_else(|| SimError::value(format!("Invalid field {:?} on model {:?}", name, spec.name)))?;
                Ok((i, desc))
            })
            .collect()
    }

    fn eval(&self, expr: &Expr, row: &[Val]) -> bool {
        match expr {
            Expr::True => true,
            Expr::All(terms) => terms.iter().all(|t| self.eval(t, row)),
            Expr::And(a, b) => self.eval(a, row) && self.eval(b, row),
            Expr::Or(a, b) => self.eval(a, row) || self.eval(b, row),
            Expr::Not(a) => !self.eval(a, row),
            Expr::Leaf(leaf) => self.eval_leaf(leaf, 0, row),
        }
    }

    fn eval_leaf(&self, leaf: &Leaf, hop: usize, row: &[Val]) -> bool {
        let (_, index, field) = &leaf.hops[hop];
        let value = &row[*index];
        if hop + 1 < leaf.hops.len() {
            // Follow the relation: a many2one to its record, an x2many to any of its records.
            let target = field.kind.relation().expect("checked when compiled");
            let ids: Vec<i64> = match value {
                Val::Int(id) => vec![*id],
                Val::Ids(ids) => ids.clone(),
                _ => Vec::new(),
            };
            let negative = matches!(leaf.op, Op::Ne | Op::NotIn | Op::NotLike | Op::NotIlike);
            if ids.is_empty() {
                // An unset relation: only a negative test or a test for "unset" matches.
                return negative || (leaf.op == Op::Eq && matches!(leaf.value, LeafValue::Json(Value::Bool(false))));
            }
            let table = self.table(target);
            return ids
                .iter()
                .any(|id| table.rows.get(id).is_some_and(|r| self.eval_leaf(leaf, hop + 1, r)));
        }
        match &leaf.value {
            LeafValue::Sub(sub) => {
                let target = field.kind.relation().expect("checked when compiled");
                let ids: Vec<i64> = match value {
                    Val::Int(id) => vec![*id],
                    Val::Ids(ids) => ids.clone(),
                    _ => Vec::new(),
                };
                let table = self.table(target);
                let any = ids
                    .iter()
                    .any(|id| table.rows.get(id).is_some_and(|r| self.eval(sub, r)));
                if leaf.op == Op::Any { any } else { !any }
            }
            LeafValue::IdSet(set) => {
                let ids: Vec<i64> = match value {
                    Val::Int(id) => vec![*id],
                    Val::Ids(ids) => ids.clone(),
                    _ => Vec::new(),
                };
                ids.iter().any(|id| set.contains(id))
            }
            LeafValue::Json(expected) => {
                // A many2one compared with text searches the related record's name (Odoo runs a
                // name_search on the comodel).
                let textual = expected.is_string()
                    || matches!(
                        leaf.op,
                        Op::Like | Op::Ilike | Op::NotLike | Op::NotIlike | Op::RawLike | Op::RawIlike
                    );
                if let (Kind::Many2one(target), true) = (&field.kind, textual) {
                    let name = value
                        .as_id()
                        .and_then(|id| self.spec(target).ok().and_then(|t| self.display_name(t, id)));
                    let as_text = FieldSpec {
                        kind: Kind::Char,
                        ..field.clone()
                    };
                    return matches_leaf(&as_text, &name.map_or(Val::Null, Val::Str), leaf.op, expected);
                }
                matches_leaf(field, value, leaf.op, expected)
            }
        }
    }

    pub fn count(&self, model: &str, domain: &Value, ctx: &Ctx, limit: Option<usize>) -> SimResult<usize> {
        Ok(self.search(model, domain, ctx, None, 0, limit)?.len())
    }

    // ---------------------------------------------------------------------------------------
    // Reading

    /// `read`: missing ids are skipped; `classic` gives many2one as `[id, name]`, else the bare id.
    pub fn read(&self, model: &str, ids: &[i64], fields: &[String], classic: bool) -> SimResult<Vec<Value>> {
        self.read_for_company(model, ids, fields, classic, None)
    }

    /// `read` with company-dependent fields as `company` sees them.
    pub fn read_for_company(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
        classic: bool,
        company: Option<i64>,
    ) -> SimResult<Vec<Value>> {
        let spec = self.spec(model)?;
        let wanted: Vec<(usize, &FieldSpec)> = if fields.is_empty() {
            spec.fields.iter().enumerate().collect()
        } else {
            let mut list = Vec::with_capacity(fields.len() + 1);
            for name in fields {
                let found = spec
                    .field(name)
                    .ok_or_else(|| SimError::value(format!("Invalid field '{name}' on model '{}'", spec.name)))?;
                list.push(found);
            }
            list
        };
        let table = self.table(spec.name);
        let mut rows = Vec::with_capacity(ids.len());
        // The records a page refers to repeat (its products, locations, units): each display name is
        // built once per read.
        let mut names = NameCache::default();
        for id in ids {
            let Some(row) = table.rows.get(id) else { continue };
            let mut out = Map::with_capacity(wanted.len() + 1);
            out.insert("id".into(), json!(id));
            for (i, f) in &wanted {
                let value = if f.name == "display_name" {
                    self.display_name(spec, *id).map_or(Value::Bool(false), Value::String)
                } else if let Some(c) = company.filter(|c| *c != 1 && is_company_dependent(spec.name, f.name)) {
                    // A company that never set its own value sees none (Odoo's company_dependent).
                    self.company_value(spec.name, f.name, *id, c)
                        .map_or(json!(0.0), |own| self.encode(f, own, classic, &mut names))
                } else {
                    self.encode(f, &row[*i], classic, &mut names)
                };
                out.insert(f.name.to_string(), value);
            }
            rows.push(Value::Object(out));
        }
        Ok(rows)
    }

    /// The sort key of record `id` of `model` under its `_order`: many2one keys expand into their
    /// comodel's order, down to `depth` levels (Odoo stops at loops; `depth` bounds the same walk).
    fn order_key(&self, model: &str, id: i64, depth: usize) -> Vec<(Val, bool)> {
        let Ok(spec) = self.spec(model) else {
            return vec![(Val::Int(id), false)];
        };
        let mut key = Vec::new();
        for (i, desc) in spec.default_order() {
            let field = &spec.fields[*i];
            let value = self.get(model, id, field.name);
            match (&field.kind, value.as_id()) {
                (Kind::Many2one(target), Some(target_id)) if depth > 0 => key.extend(
                    self.order_key(target, target_id, depth - 1)
                        .into_iter()
                        .map(|(v, d)| (v, d != *desc)),
                ),
                _ => key.push((value, *desc)),
            }
        }
        key
    }

    fn display_name(&self, spec: &ModelSpec, id: i64) -> Option<String> {
        // Products read "[internal reference] name" (`_compute_display_name`).
        if matches!(spec.name, "product.product" | "product.template")
            && let (Val::Str(code), Val::Str(name)) =
                (self.get(spec.name, id, "default_code"), self.get(spec.name, id, "name"))
        {
            return Some(format!("[{code}] {name}"));
        }
        let value = self.get(spec.name, id, spec.rec_name);
        match (&value, spec.field(spec.rec_name).map(|(_, f)| &f.kind)) {
            (Val::Int(target_id), Some(Kind::Many2one(target))) => {
                self.spec(target).ok().and_then(|t| self.display_name(t, *target_id))
            }
            (Val::Str(s), _) => Some(s.clone()),
            _ => None,
        }
    }

    fn encode(&self, f: &FieldSpec, value: &Val, classic: bool, names: &mut NameCache) -> Value {
        match (&f.kind, value) {
            (Kind::Integer, Val::Null) => json!(0),
            (Kind::Float, Val::Null) => json!(0.0),
            (Kind::Boolean, Val::Null) => json!(false),
            (Kind::One2many(..) | Kind::Many2many(_), Val::Null) => json!([]),
            (_, Val::Null) => json!(false),
            (Kind::Many2one(target), Val::Int(id)) => {
                if classic {
                    let name = names
                        .entry((target, *id))
                        .or_insert_with(|| {
                            self.spec(target)
                                .ok()
                                .and_then(|t| self.display_name(t, *id))
                                .unwrap_or_default()
                        })
                        .clone();
                    json!([id, name])
                } else {
                    json!(id)
                }
            }
            (_, Val::Bool(b)) => json!(b),
            (_, Val::Int(i)) => json!(i),
            (_, Val::Float(x)) => json!(x),
            (_, Val::Str(s)) => json!(s),
            (_, Val::Date(d)) => json!(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
            // Stored with microseconds, returned to the second (ODOO-API §2.3).
            (_, Val::DateTime(t)) => json!(format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )),
            (_, Val::Ids(ids)) => json!(ids),
        }
    }

    /// `fields_get` with the attributes clients use.
    pub fn fields_get(&self, model: &str, attributes: &[String]) -> SimResult<Value> {
        let spec = self.spec(model)?;
        let mut out = Map::new();
        for f in &spec.fields {
            let mut description = Map::new();
            description.insert("type".into(), json!(f.kind.type_name()));
            description.insert("string".into(), json!(f.label));
            description.insert("required".into(), json!(f.required));
            description.insert("readonly".into(), json!(f.readonly));
            description.insert("store".into(), json!(true));
            if let Some(relation) = f.kind.relation() {
                description.insert("relation".into(), json!(relation));
            }
            if let Kind::Selection(keys) = &f.kind {
                description.insert(
                    "selection".into(),
                    json!(keys.iter().map(|k| [k, k]).collect::<Vec<_>>()),
                );
            }
            if !attributes.is_empty() {
                description.retain(|k, _| attributes.iter().any(|a| a == k));
            }
            out.insert(f.name.to_string(), Value::Object(description));
        }
        Ok(Value::Object(out))
    }
}

trait IdsOrEmpty {
    fn ids_or_empty(&self) -> Vec<i64>;
}

impl IdsOrEmpty for Val {
    fn ids_or_empty(&self) -> Vec<i64> {
        match self {
            Val::Ids(ids) => ids.clone(),
            _ => Vec::new(),
        }
    }
}

/// Odoo's x2many write commands: `[6,0,ids]` set, `[4,id]` link, `[3,id]` unlink, `[5]` clear; a bare
/// list of ids is accepted as a set.
fn apply_commands(commands: &[Value]) -> Option<Vec<i64>> {
    if commands.iter().all(Value::is_i64) {
        return Some(commands.iter().filter_map(Value::as_i64).collect());
    }
    let mut ids: Vec<i64> = Vec::new();
    for command in commands {
        let parts = command.as_array()?;
        match parts.first()?.as_i64()? {
            6 => ids = parts.get(2)?.as_array()?.iter().filter_map(Value::as_i64).collect(),
            4 => ids.push(parts.get(1)?.as_i64()?),
            3 => {
                let id = parts.get(1)?.as_i64()?;
                ids.retain(|i| *i != id);
            }
            5 => ids.clear(),
            _ => return None,
        }
    }
    Some(ids)
}

pub fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    // Domains compare every row with the same text, so the common form is read by hand: chrono's
    // format parser made up a third of the sync tests' time.
    if let Some(at) = parse_plain_datetime(text) {
        return Some(at);
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S"))
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_hms_opt(0, 0, 0).expect("midnight")))
        .ok()
}

/// `YYYY-MM-DD HH:MM:SS`, Odoo's wire format; `None` for anything else (left to the general parser).
fn parse_plain_datetime(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if bytes.len() != 19 || separators.iter().any(|(i, c)| bytes[*i] != *c) {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        bytes[from..to]
            .iter()
            .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(number(0, 4)? as i32, number(5, 7)?, number(8, 10)?)?.and_hms_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
    )
}

/// How deep a many2one order follows comodels' `_order`s.
const MAX_ORDER_DEPTH: usize = 3;

/// Compares two many2one sort keys position by position, each with its own direction.
fn compare_keys(a: &[(Val, bool)], b: &[(Val, bool)]) -> Ordering {
    for ((x, desc), (y, _)) in a.iter().zip(b) {
        let c = compare(x, y);
        if c != Ordering::Equal {
            return if *desc { c.reverse() } else { c };
        }
    }
    a.len().cmp(&b.len())
}

fn compare(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Null, Val::Null) => Ordering::Equal,
        // PostgreSQL sorts NULLs last in ascending order.
        (Val::Null, _) => Ordering::Greater,
        (_, Val::Null) => Ordering::Less,
        (Val::Int(x), Val::Int(y)) => x.cmp(y),
        (Val::Float(x), Val::Float(y)) => x.total_cmp(y),
        (Val::Str(x), Val::Str(y)) => x.cmp(y),
        (Val::Date(x), Val::Date(y)) => x.cmp(y),
        (Val::DateTime(x), Val::DateTime(y)) => x.cmp(y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// Compares a stored value with a domain value of the field's type.
fn compare_json(field: &FieldSpec, stored: &Val, expected: &Value) -> Option<Ordering> {
    match (stored, expected) {
        (Val::Int(a), Value::Number(b)) => b.as_f64().and_then(|b| (*a as f64).partial_cmp(&b)),
        (Val::Float(a), Value::Number(b)) => b.as_f64().and_then(|b| a.partial_cmp(&b)),
        (Val::Str(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
        (Val::DateTime(a), Value::String(b)) => parse_datetime(b).map(|b| a.cmp(&b)),
        (Val::Date(a), Value::String(b)) => NaiveDate::parse_from_str(date_part(b), "%Y-%m-%d")
            .ok()
            .map(|b| a.cmp(&b)),
        (Val::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Val::Null, Value::Bool(false)) if !matches!(field.kind, Kind::Boolean) => Some(Ordering::Equal),
        (Val::Null, Value::Bool(b)) if matches!(field.kind, Kind::Boolean) => Some(false.cmp(b)),
        _ => None,
    }
}

/// The most items and the deepest operator nesting a domain may have (a hostile domain must not
/// exhaust the stack).
const MAX_DOMAIN_ITEMS: usize = 10_000;
const MAX_DOMAIN_DEPTH: usize = 256;

/// SQL LIKE (`%` any run, `_` one character), by dynamic programming: linear memory, no backtracking.
fn like(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    // matched[j]: the pattern so far matches the first j characters of the text.
    let mut matched = vec![false; t.len() + 1];
    matched[0] = true;
    for c in &p {
        let mut next = vec![false; t.len() + 1];
        match c {
            '%' => {
                let mut any = false;
                for j in 0..=t.len() {
                    any |= matched[j];
                    next[j] = any;
                }
            }
            _ => {
                for j in 1..=t.len() {
                    next[j] = matched[j - 1] && (*c == '_' || t[j - 1] == *c);
                }
            }
        }
        matched = next;
    }
    matched[t.len()]
}

fn matches_leaf(field: &FieldSpec, stored: &Val, op: Op, expected: &Value) -> bool {
    let is_unset = !stored.is_set() && !matches!(field.kind, Kind::Boolean | Kind::Integer | Kind::Float);
    let stored_text = || match stored {
        Val::Str(s) => s.clone(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => f.to_string(),
        _ => String::new(),
    };
    let in_list = |list: &Value| -> bool {
        match list {
            Value::Array(items) => items.iter().any(|item| {
                if let (Val::Ids(ids), Some(id)) = (stored, item.as_i64()) {
                    ids.contains(&id)
                } else if item == &Value::Bool(false) {
                    is_unset
                } else {
                    compare_json(field, stored, item) == Some(Ordering::Equal)
                }
            }),
            single => compare_json(field, stored, single) == Some(Ordering::Equal),
        }
    };
    match op {
        Op::Eq => match (stored, expected) {
            (_, Value::Bool(false)) if !matches!(field.kind, Kind::Boolean) => is_unset,
            (Val::Ids(ids), Value::Number(n)) => n.as_i64().is_some_and(|id| ids.contains(&id)),
            _ => compare_json(field, stored, expected) == Some(Ordering::Equal),
        },
        Op::Ne => match (stored, expected) {
            (_, Value::Bool(false)) if !matches!(field.kind, Kind::Boolean) => !is_unset,
            (Val::Ids(ids), Value::Number(n)) => !n.as_i64().is_some_and(|id| ids.contains(&id)),
            // `!=` also matches unset values (SQL: IS NULL OR <> v).
            _ => compare_json(field, stored, expected) != Some(Ordering::Equal),
        },
        Op::EqIfSet => match expected {
            Value::Bool(false) | Value::Null => true,
            _ => compare_json(field, stored, expected) == Some(Ordering::Equal),
        },
        Op::Gt => compare_json(field, stored, expected) == Some(Ordering::Greater),
        Op::Ge => matches!(
            compare_json(field, stored, expected),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Lt => compare_json(field, stored, expected) == Some(Ordering::Less),
        Op::Le => matches!(
            compare_json(field, stored, expected),
            Some(Ordering::Less | Ordering::Equal)
        ),
        Op::In => in_list(expected),
        Op::NotIn => !in_list(expected),
        Op::Like | Op::Ilike | Op::NotLike | Op::NotIlike => {
            let needle = match expected {
                Value::String(s) => s.clone(),
                Value::Bool(false) | Value::Null => return matches!(op, Op::Like | Op::Ilike) == is_unset,
                other => other.to_string(),
            };
            let pattern = format!("%{needle}%");
            let hit = !is_unset && like(&pattern, &stored_text(), matches!(op, Op::Ilike | Op::NotIlike));
            if matches!(op, Op::Like | Op::Ilike) { hit } else { !hit }
        }
        Op::RawLike | Op::RawIlike => {
            let pattern = expected.as_str().unwrap_or_default();
            !is_unset && like(pattern, &stored_text(), op == Op::RawIlike)
        }
        Op::ChildOf | Op::ParentOf | Op::Any | Op::NotAny => false,
    }
}

/// The `YYYY-MM-DD` part of a date or datetime text; never splits a character (client input can be
/// anything).
fn date_part(text: &str) -> &str {
    text.get(..10).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_read_by_hand_equal_chronos_reading() {
        for text in ["2026-11-26 10:04:59", "2000-02-29 00:00:00", "1970-01-01 23:59:59"] {
            let by_chrono = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok();
            assert_eq!(parse_plain_datetime(text), by_chrono, "{text}");
        }
        for text in [
            "2026-02-30 10:00:00",
            "2026-11-26T10:00:00",
            "2026-11-26 1a:00:00",
            "2026-11-26 24:00:00",
        ] {
            assert_eq!(parse_plain_datetime(text), None, "{text}");
        }
        assert!(
            parse_datetime("2026-11-26 10:00:00.250").is_some(),
            "other forms still read"
        );
        assert!(parse_datetime("2026-11-26").is_some());
    }

    #[test]
    fn like_matches_sql_patterns_without_backtracking() {
        assert!(like("%tee%", "Classic Tee 1", true));
        assert!(like("SKU-_0%", "SKU-00001", false));
        assert!(!like("SKU-_1%", "SKU-00001", false));
        assert!(like("%", "", false));
        // A pathological pattern on a long text finishes at once.
        let text = "a".repeat(5_000);
        assert!(!like(&format!("{}b", "%".repeat(2_000)), &text, false));
    }

    #[test]
    fn id_leaves_read_only_their_rows_and_still_answer_like_a_scan() {
        let mut store = Store::new(Schema::for_version(17));
        let ids: Vec<i64> = (0..50)
            .map(|n| {
                let vals = json!({"name": format!("Partner {n}")});
                store
                    .create_at("res.partner", vals.as_object().unwrap(), 1, now())
                    .unwrap()
            })
            .collect();
        let ctx = Ctx::from_json(None, 1);
        let search = |domain: Value| store.search("res.partner", &domain, &ctx, Some("id"), 0, None).unwrap();
        let (a, b, c) = (ids[3], ids[10], ids[20]);
        assert_eq!(search(json!([["id", ">=", a], ["id", "<", b]])), ids[3..10]);
        assert_eq!(search(json!([["id", "in", [c, a, 999_999]]])), [a, c]);
        assert_eq!(search(json!([["id", "in", [a, b, c]], ["id", ">", a]])), [b, c]);
        assert_eq!(search(json!([["id", "in", [a, b]], ["id", "=", b]])), [b]);
        assert_eq!(
            search(json!([["id", ">", b], ["id", "<", a]])),
            Vec::<i64>::new(),
            "an empty range"
        );
        assert_eq!(search(json!([["id", "in", []]])), Vec::<i64>::new());
        // Not top-level, or not plain ids: every row is tested, as before.
        assert_eq!(search(json!(["|", ["id", "=", a], ["id", "=", c]])), [a, c]);
        assert_eq!(search(json!(["!", ["id", ">", ids[1]]])), ids[..2]);
        assert_eq!(search(json!([["id", "in", [a, false]]])), [a]);
        assert_eq!(
            search(json!([["id", "not in", [ids[1]]], ["id", "<=", ids[2]]])),
            [ids[0], ids[2]]
        );
    }

    #[test]
    fn one2many_fields_list_the_records_pointing_at_them() {
        for version in [16, 17, 19] {
            let mut store = Store::new(Schema::for_version(version));
            let mut create = |model: &str, vals: Value| {
                store
                    .create_at(model, vals.as_object().unwrap(), 1, now())
                    .unwrap_or_else(|e| panic!("{model}: {}", e.message))
            };
            let template = create("product.template", json!({"name": "Mug"}));
            let product = create("product.product", json!({"product_tmpl_id": template}));
            let stock = create("stock.location", json!({"name": "Stock", "usage": "internal"}));
            let customers = create("stock.location", json!({"name": "Customers", "usage": "customer"}));
            let out = create(
                "stock.picking.type",
                json!({"name": "Delivery Orders", "code": "outgoing"}),
            );
            let delivery = create("stock.picking", json!({"name": "WH/OUT/1", "picking_type_id": out}));
            let shipped = create(
                "stock.move",
                json!({"product_id": product, "location_id": stock, "location_dest_id": customers, "picking_id": delivery}),
            );
            let back = create("stock.picking", json!({"name": "WH/IN/1", "picking_type_id": out}));
            let returned = create(
                "stock.move",
                json!({"product_id": product, "location_id": customers, "location_dest_id": stock,
                       "picking_id": back, "origin_returned_move_id": shipped}),
            );
            let vendor = create("res.partner", json!({"name": "Vendor"}));
            let order = create("purchase.order", json!({"name": "P1", "partner_id": vendor}));
            let line = create("purchase.order.line", json!({"order_id": order, "product_id": product}));
            let received = create(
                "stock.move",
                json!({"product_id": product, "location_id": customers, "location_dest_id": stock,
                       "purchase_line_id": line}),
            );
            // Writing a record again does not list it twice.
            let mut vals = Map::new();
            vals.insert("picking_id".into(), json!(delivery));
            store.write_at("stock.move", &[shipped], &vals, 1, now()).unwrap();

            let ids = |model: &str, id: i64, field: &str| store.get(model, id, field);
            assert_eq!(ids("stock.picking", delivery, "move_ids"), Val::Ids(vec![shipped]));
            assert_eq!(
                ids("stock.move", shipped, "returned_move_ids"),
                Val::Ids(vec![returned])
            );
            assert_eq!(ids("purchase.order", order, "order_line"), Val::Ids(vec![line]));
            assert_eq!(ids("purchase.order.line", line, "move_ids"), Val::Ids(vec![received]));
            assert_eq!(
                ids("stock.picking", delivery, "picking_type_code"),
                Val::Str("outgoing".into())
            );
            if version >= 17 {
                let mut vals = Map::new();
                vals.insert("return_id".into(), json!(delivery));
                store.write_at("stock.picking", &[back], &vals, 1, now()).unwrap();
                assert_eq!(store.get("stock.picking", delivery, "return_ids"), Val::Ids(vec![back]));
            }
        }
    }

    #[test]
    fn hostile_domains_are_refused_not_stack_overflows() {
        let store = Store::new(Schema::for_version(17));
        let ctx = Ctx::from_json(None, 2);
        let mut deep: Vec<Value> = vec![json!("!"); 100_000];
        deep.push(json!(["id", "=", 1]));
        assert!(
            store
                .search("stock.quant", &Value::Array(deep), &ctx, None, 0, None)
                .is_err()
        );
        let long: Vec<Value> = (0..9_000).map(|i| json!(["id", "!=", i])).collect();
        assert!(
            store
                .search("stock.quant", &Value::Array(long), &ctx, None, 0, None)
                .is_ok()
        );
    }
}
