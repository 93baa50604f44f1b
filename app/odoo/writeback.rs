//! Write-back: the changes TrueStock makes in Odoo once a decision is approved (ODOO-API §4). Each
//! carries the reference `truestock:<tenant>:<decision id>` where Odoo has a field for it, and each
//! first reads back whether an earlier attempt already succeeded — a call that timed out may have been
//! committed, so a retry must never do the change twice.
//!
//! A timed-out call may also still be *running* in Odoo (its workers allow 120 s by default, more than
//! our client waits): the job that retries a write-back after a timeout must wait at least
//! [`RETRY_AFTER_TIMEOUT`] before the read-back, or the read-back can miss the original.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{Client, SearchOptions};
use super::domain::{Domain, Op};
use super::error::OdooError;
use super::value::{self, Many2One};

/// How long to wait before retrying a write-back whose call timed out (2 × Odoo's default
/// `limit_time_real` of 120 s, ODOO-API §1.6 and §5).
pub const RETRY_AFTER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(240);

/// The reference written into Odoo for a decision: `truestock:<tenant>:<decision id>`.
pub fn reference(tenant: &str, decision: &str) -> String {
    format!("truestock:{tenant}:{decision}")
}

fn company_context(company_id: i64) -> SearchOptions {
    SearchOptions::default()
        .include_archived()
        .context("allowed_company_ids", json!([company_id]))
}

/// Which stock of a product at a location: Odoo keeps a quant per lot, package and owner, and a
/// lot-tracked product can only be scrapped from a named lot. `Default` is untracked stock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tracking {
    pub lot_id: Option<i64>,
    pub package_id: Option<i64>,
    pub owner_id: Option<i64>,
}

impl Tracking {
    fn fields(&self) -> [(&'static str, Option<i64>); 3] {
        [
            ("lot_id", self.lot_id),
            ("package_id", self.package_id),
            ("owner_id", self.owner_id),
        ]
    }
}

/// A write-off to validate in Odoo.
#[derive(Debug, Clone)]
pub struct ScrapRequest {
    pub reference: String,
    pub company_id: i64,
    pub product_id: i64,
    pub uom_id: i64,
    pub quantity: f64,
    pub location_id: i64,
    pub tracking: Tracking,
    /// Required on 16; on 17+ Odoo picks its default when `None`.
    pub scrap_location_id: Option<i64>,
    /// Scrap reason tags (18+; ignored before).
    pub reason_tag_ids: Vec<i64>,
    /// Scrap even when Odoo says the location lacks the quantity (the approver insisted).
    pub force_insufficient: bool,
}

/// What a scrap write-back ended as.
#[derive(Debug, Clone, PartialEq)]
pub enum ScrapOutcome {
    /// Validated now (or by an earlier attempt): the scrap's id and name.
    Done { scrap_id: i64, name: Option<String> },
    /// Odoo reports too little stock at the location; the scrap stays draft until someone insists.
    InsufficientQuantity { scrap_id: i64 },
}

#[derive(Debug, Deserialize)]
struct ScrapRow {
    id: i64,
    #[serde(deserialize_with = "value::opt_string")]
    name: Option<String>,
    #[serde(deserialize_with = "value::opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "value::opt_many2one")]
    move_id: Option<Many2One>,
    #[serde(default, deserialize_with = "value::ids")]
    move_ids: Vec<i64>,
}

impl ScrapRow {
    fn has_moves(&self) -> bool {
        self.move_id.is_some() || !self.move_ids.is_empty()
    }
}

/// The scrap destination on 16, where Odoo needs it given (a location flagged `scrap_location`).
async fn scrap_location_16(client: &Client, company_id: i64) -> Result<i64, OdooError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
    }
    let domain =
        Domain::leaf("scrap_location", Op::Eq, true).and_leaf("company_id", Op::In, json!([company_id, false]));
    let rows: Vec<Row> = client
        .search_read(
            "stock.location",
            &domain,
            &["id"],
            &SearchOptions::default().order("id asc").limit(1),
        )
        .await?;
    rows.first()
        .map(|r| r.id)
        .ok_or_else(|| OdooError::UserError("Odoo has no scrap location for this company".into()))
}

/// Creates (once) and validates a scrap carrying `request.reference` as its origin.
pub async fn scrap(client: &Client, request: &ScrapRequest) -> Result<ScrapOutcome, OdooError> {
    let options = company_context(request.company_id);
    let version = client.version().major;
    let move_field = if version <= 16 { "move_id" } else { "move_ids" };
    let by_reference = Domain::leaf("origin", Op::Eq, request.reference.as_str());
    let existing: Vec<ScrapRow> = client
        .search_read(
            "stock.scrap",
            &by_reference,
            &["name", "state", move_field],
            &options.clone().order("id asc"),
        )
        .await?;
    // Any scrap with this reference already done means the write-off happened: never validate
    // another one (two could exist if a create committed after an early read-back).
    if let Some(row) = existing.iter().find(|row| row.state.as_deref() == Some("done")) {
        return Ok(ScrapOutcome::Done {
            scrap_id: row.id,
            name: row.name.clone(),
        });
    }
    let scrap_id = match existing.first() {
        // Moves but not done: an earlier validation is still running in Odoo. Validating again would
        // scrap twice (Odoo's do_scrap does not check the state); wait and read back later.
        Some(row) if row.has_moves() => return Err(OdooError::Concurrency),
        Some(row) => row.id,
        None => {
            let mut values = Map::new();
            values.insert("product_id".into(), json!(request.product_id));
            values.insert("product_uom_id".into(), json!(request.uom_id));
            values.insert("scrap_qty".into(), json!(request.quantity));
            values.insert("location_id".into(), json!(request.location_id));
            values.insert("origin".into(), json!(request.reference));
            values.insert("company_id".into(), json!(request.company_id));
            for (field, id) in request.tracking.fields() {
                if let Some(id) = id {
                    values.insert(field.into(), json!(id));
                }
            }
            let destination = match (request.scrap_location_id, version) {
                (Some(destination), _) => Some(destination),
                // 16 has no default destination: it must be sent.
                (None, 16) => Some(scrap_location_16(client, request.company_id).await?),
                (None, _) => None,
            };
            if let Some(destination) = destination {
                values.insert("scrap_location_id".into(), json!(destination));
            }
            if client.version().major >= 18 && !request.reason_tag_ids.is_empty() {
                values.insert("scrap_reason_tag_ids".into(), json!([[6, 0, request.reason_tag_ids]]));
            }
            client.create("stock.scrap", values, &options).await?
        }
    };
    let answer = client
        .call_method("stock.scrap", "action_validate", &[scrap_id], Vec::new(), &options)
        .await?;
    let insufficient = answer.get("res_model").and_then(Value::as_str) == Some("stock.warn.insufficient.qty.scrap");
    if insufficient {
        if !request.force_insufficient {
            return Ok(ScrapOutcome::InsufficientQuantity { scrap_id });
        }
        client
            .call_method("stock.scrap", "do_scrap", &[scrap_id], Vec::new(), &options)
            .await?;
    } else if answer != Value::Bool(true) {
        return Err(OdooError::Malformed(format!(
            "stock.scrap.action_validate returned {answer}"
        )));
    }
    // Read back: the scrap must now be done.
    let rows: Vec<ScrapRow> = client
        .read("stock.scrap", &[scrap_id], &["name", "state"], &options)
        .await?;
    match rows.first() {
        Some(row) if row.state.as_deref() == Some("done") => Ok(ScrapOutcome::Done {
            scrap_id,
            name: row.name.clone(),
        }),
        Some(_) => Err(OdooError::UserError("Odoo did not mark the scrap done".into())),
        None => Err(OdooError::RecordMissing(format!("stock.scrap {scrap_id}"))),
    }
}

/// A counted quantity to set and apply.
#[derive(Debug, Clone)]
pub struct CountRequest {
    pub reference: String,
    pub company_id: i64,
    pub product_id: i64,
    pub location_id: i64,
    pub tracking: Tracking,
    pub counted: f64,
    /// On hand when the count was taken, as synced. If Odoo's quantity differs now, stock moved since
    /// the count and applying it would undo those moves: the outcome is a conflict, nothing is written.
    pub on_hand_at_count: Option<f64>,
}

/// What applying a count ended as.
#[derive(Debug, Clone, PartialEq)]
pub enum CountOutcome {
    /// Applied now, or by an earlier attempt; `on_hand` is what Odoo holds for the quant's product,
    /// location, lot, package and owner when read back afterwards (ODOO-API §4.3 step 5).
    Applied { on_hand: f64 },
    /// Stock moved since the count (seen by us, or Odoo's `stock.inventory.conflict`), or another
    /// count is waiting on the quant: nothing was applied; count again.
    Conflict,
    /// The product is tracked by lot or serial number and the count names none (Odoo 16 asks to
    /// confirm such counts): nothing was applied; count per lot.
    LotRequired,
}

#[derive(Debug, Deserialize)]
struct QuantRow {
    id: i64,
    #[serde(default, deserialize_with = "value::number")]
    quantity: f64,
    #[serde(default, deserialize_with = "value::number")]
    inventory_quantity: f64,
    #[serde(default, deserialize_with = "value::boolean")]
    inventory_quantity_set: bool,
}

#[derive(Debug, Deserialize)]
struct MoveRow {
    #[allow(dead_code)]
    id: i64,
    #[serde(deserialize_with = "value::opt_many2one")]
    #[allow(dead_code)]
    product_id: Option<Many2One>,
}

/// Sets the counted quantity in inventory mode and applies it, named after the reference so a retry
/// can tell it was applied. Never over XML-RPC (the applied call returns nothing, which XML-RPC turns
/// into a fault even though the change was committed); this client speaks JSON-RPC or JSON-2.
pub async fn apply_count(client: &Client, request: &CountRequest) -> Result<CountOutcome, OdooError> {
    let options = company_context(request.company_id);
    // Read back: moves of an applied count carry its name (`name` up to 18, `inventory_name` on 19).
    let name_field = if client.version().major >= 19 {
        "inventory_name"
    } else {
        "name"
    };
    let applied = Domain::leaf("is_inventory", Op::Eq, true)
        .and_leaf(name_field, Op::Eq, request.reference.as_str())
        .and_leaf("product_id", Op::Eq, request.product_id);
    let done: Vec<MoveRow> = client
        .search_read("stock.move", &applied, &["product_id"], &options)
        .await?;
    let quant = request.tracking.fields().into_iter().fold(
        Domain::leaf("product_id", Op::Eq, request.product_id).and_leaf("location_id", Op::Eq, request.location_id),
        |domain, (field, id)| match id {
            Some(id) => domain.and_leaf(field, Op::Eq, id),
            None => domain.and_leaf(field, Op::Eq, false),
        },
    );
    if !done.is_empty() {
        let on_hand = on_hand_of(client, &quant, &options).await?;
        return Ok(CountOutcome::Applied { on_hand });
    }
    let inventory = options
        .clone()
        .context("inventory_mode", json!(true))
        .context("inventory_name", json!(request.reference));
    let quants: Vec<QuantRow> = client
        .search_read(
            "stock.quant",
            &quant,
            &["quantity", "inventory_quantity", "inventory_quantity_set"],
            &options,
        )
        .await?;
    if let Some(row) = quants.first() {
        // Stock moved since the count: applying it would undo those moves.
        let moved = request
            .on_hand_at_count
            .is_some_and(|then| (row.quantity - then).abs() > 1e-9);
        // Someone else's count is waiting on this quant: do not overwrite it.
        let foreign = row.inventory_quantity_set && (row.inventory_quantity - request.counted).abs() > 1e-9;
        if moved || foreign {
            return Ok(CountOutcome::Conflict);
        }
    }
    let mut counted = Map::new();
    counted.insert("inventory_quantity".into(), json!(request.counted));
    let quant_id = match quants.first() {
        Some(row) => {
            client.write("stock.quant", &[row.id], counted, &inventory).await?;
            row.id
        }
        None => {
            counted.insert("product_id".into(), json!(request.product_id));
            counted.insert("location_id".into(), json!(request.location_id));
            for (field, id) in request.tracking.fields() {
                if let Some(id) = id {
                    counted.insert(field.into(), json!(id));
                }
            }
            client.create("stock.quant", counted, &inventory).await?
        }
    };
    let answer = client
        .call_method(
            "stock.quant",
            "action_apply_inventory",
            &[quant_id],
            Vec::new(),
            &inventory,
        )
        .await?;
    match answer {
        Value::Null | Value::Bool(true) => {
            // Verify (ODOO-API §4.3 step 5): an applied count is cleared from the quant (which may
            // also be gone, if the count was zero).
            #[derive(Deserialize)]
            struct Applied {
                #[serde(deserialize_with = "value::boolean")]
                inventory_quantity_set: bool,
            }
            let rows: Vec<Applied> = client
                .read("stock.quant", &[quant_id], &["inventory_quantity_set"], &options)
                .await?;
            if rows.first().is_some_and(|q| q.inventory_quantity_set) {
                return Err(OdooError::UserError("Odoo kept the count without applying it".into()));
            }
            let on_hand = on_hand_of(client, &quant, &options).await?;
            Ok(CountOutcome::Applied { on_hand })
        }
        other if other.get("res_model").and_then(Value::as_str) == Some("stock.inventory.conflict") => {
            Ok(CountOutcome::Conflict)
        }
        // 16 asks before applying a count of a lot/serial product on a quant without a lot.
        other if other.get("res_model").and_then(Value::as_str) == Some("stock.track.confirmation") => {
            Ok(CountOutcome::LotRequired)
        }
        other => Err(OdooError::Malformed(format!("action_apply_inventory returned {other}"))),
    }
}

/// The on-hand quantity of the quants matching `domain` (none left: zero, as Odoo deletes empty quants).
async fn on_hand_of(client: &Client, domain: &Domain, options: &SearchOptions) -> Result<f64, OdooError> {
    let rows: Vec<QuantRow> = client
        .search_read("stock.quant", domain, &["quantity"], options)
        .await?;
    Ok(rows.iter().map(|q| q.quantity).sum())
}

/// A new SKU, approved for creation in Odoo.
#[derive(Debug, Clone)]
pub struct ProductProposal {
    pub company_id: i64,
    pub name: String,
    /// The internal reference: how a retry finds a product an earlier attempt created.
    pub default_code: String,
    pub barcode: Option<String>,
    pub category_id: i64,
    pub uom_id: i64,
    /// The purchase unit (ignored on 19, which buys in packagings).
    pub purchase_uom_id: Option<i64>,
    pub list_price: f64,
    pub standard_price: f64,
}

/// The product as Odoo holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductIds {
    pub template_id: i64,
    pub variant_id: i64,
    /// Whether this call created it (false: an earlier attempt had).
    pub created: bool,
}

#[derive(Debug, Deserialize)]
struct VariantRow {
    id: i64,
    #[serde(deserialize_with = "value::opt_many2one")]
    product_tmpl_id: Option<Many2One>,
    /// The product's own name (the display name adds `[code]`).
    #[serde(default, deserialize_with = "value::opt_string")]
    name: Option<String>,
}

async fn variant_by_code(
    client: &Client,
    code: &str,
    options: &SearchOptions,
) -> Result<Option<(i64, i64, String)>, OdooError> {
    let rows: Vec<VariantRow> = client
        .search_read(
            "product.product",
            &Domain::leaf("default_code", Op::Eq, code),
            &["product_tmpl_id", "name"],
            &options.clone().order("id asc"),
        )
        .await?;
    Ok(rows.first().and_then(|r| {
        r.product_tmpl_id
            .as_ref()
            .map(|t| (t.id, r.id, r.name.clone().unwrap_or_default()))
    }))
}

/// Creates a storable product once: a retry finds it by its internal reference instead.
pub async fn create_product(client: &Client, proposal: &ProductProposal) -> Result<ProductIds, OdooError> {
    let options = company_context(proposal.company_id);
    // Odoo does not enforce unique internal references: only a product with this reference *and*
    // this name is taken as our earlier attempt; another product with the code is a conflict to show.
    if let Some((template_id, variant_id, name)) = variant_by_code(client, &proposal.default_code, &options).await? {
        if name == proposal.name {
            return Ok(ProductIds {
                template_id,
                variant_id,
                created: false,
            });
        }
        return Err(OdooError::UserError(format!(
            "the internal reference {} is already used by another product in Odoo ({name})",
            proposal.default_code
        )));
    }
    let version = client.version().major;
    let mut values = Map::new();
    values.insert("name".into(), json!(proposal.name));
    values.insert("default_code".into(), json!(proposal.default_code));
    if let Some(barcode) = &proposal.barcode {
        values.insert("barcode".into(), json!(barcode));
    }
    values.insert("categ_id".into(), json!(proposal.category_id));
    values.insert("uom_id".into(), json!(proposal.uom_id));
    if version <= 18 {
        values.insert(
            "uom_po_id".into(),
            json!(proposal.purchase_uom_id.unwrap_or(proposal.uom_id)),
        );
    }
    values.insert("list_price".into(), json!(proposal.list_price));
    values.insert("standard_price".into(), json!(proposal.standard_price));
    values.insert("sale_ok".into(), json!(true));
    values.insert("purchase_ok".into(), json!(true));
    if version <= 17 {
        values.insert("detailed_type".into(), json!("product"));
    } else {
        values.insert("type".into(), json!("consu"));
        values.insert("is_storable".into(), json!(true));
    }
    client.create("product.template", values, &options).await?;
    let (template_id, variant_id, _) = variant_by_code(client, &proposal.default_code, &options)
        .await?
        .ok_or_else(|| OdooError::RecordMissing(format!("the product {} just created", proposal.default_code)))?;
    Ok(ProductIds {
        template_id,
        variant_id,
        created: true,
    })
}

/// What an attribute change ended as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Written now, and read back as written.
    Written,
    /// Odoo already held every value (an earlier attempt, or someone else, made the change).
    AlreadyInOdoo,
}

/// Applies approved attribute changes to a product variant: reads the fields first (a retry after a
/// timeout finds an earlier attempt's values and writes nothing), writes, then reads them back — a
/// write to a deleted record can succeed silently in Odoo (ODOO-API §4.4), and a value Odoo did not
/// keep (another company's cost, a concurrent edit) must not pass for applied.
pub async fn update_product(
    client: &Client,
    company_id: i64,
    variant_id: i64,
    changes: Map<String, Value>,
) -> Result<UpdateOutcome, OdooError> {
    let options = company_context(company_id).include_archived();
    let fields: Vec<&str> = changes.keys().map(String::as_str).collect();
    let read = async || -> Result<Map<String, Value>, OdooError> {
        let rows: Vec<Map<String, Value>> = client.read("product.product", &[variant_id], &fields, &options).await?;
        rows.into_iter()
            .next()
            .ok_or_else(|| OdooError::RecordMissing(format!("product.product {variant_id}")))
    };
    let differing = |held: &Map<String, Value>| -> Vec<String> {
        changes
            .iter()
            .filter(|(field, wanted)| !same_value(held.get(*field).unwrap_or(&Value::Null), wanted))
            .map(|(field, _)| field.clone())
            .collect()
    };
    if differing(&read().await?).is_empty() {
        return Ok(UpdateOutcome::AlreadyInOdoo);
    }
    client
        .write("product.product", &[variant_id], changes.clone(), &options)
        .await?;
    let not_kept = differing(&read().await?);
    if !not_kept.is_empty() {
        return Err(OdooError::UserError(format!(
            "Odoo accepted the change but did not keep {}",
            not_kept.join(", ")
        )));
    }
    Ok(UpdateOutcome::Written)
}

/// Whether a value read from Odoo is the value written: `false` is no value, a many2one reads back as
/// `[id, name]`, floats within a rounding error.
fn same_value(held: &Value, written: &Value) -> bool {
    match (held, written) {
        (Value::Bool(false) | Value::Null, Value::Bool(false) | Value::Null) => true,
        (Value::Array(pair), Value::Number(id)) => pair.first().and_then(Value::as_i64) == id.as_i64(),
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0),
            _ => false,
        },
        (held, written) => held == written,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_compare_as_odoo_returns_them() {
        assert!(same_value(&json!([5, "All / Home"]), &json!(5)));
        assert!(!same_value(&json!([6, "All / Beauty"]), &json!(5)));
        assert!(same_value(&json!(false), &Value::Null));
        assert!(same_value(&json!(15.000000001), &json!(15.0)));
        assert!(!same_value(&json!(15.01), &json!(15.0)));
        assert!(same_value(&json!("SKU-1"), &json!("SKU-1")));
        assert!(!same_value(&json!(false), &json!("SKU-1")));
    }
}
