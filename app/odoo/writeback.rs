//! Write-back: the changes TrueStock makes in Odoo once a decision is approved (ODOO-API §4). Each
//! carries the reference `truestock:<tenant>:<decision id>` where Odoo has a field for it, and each
//! first reads back whether an earlier attempt already succeeded — a call that timed out may have been
//! committed, so a retry must never do the change twice.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{Client, SearchOptions};
use super::domain::{Domain, Op};
use super::error::OdooError;
use super::value::{self, Many2One};

/// The reference written into Odoo for a decision: `truestock:<tenant>:<decision id>`.
pub fn reference(tenant: &str, decision: &str) -> String {
    format!("truestock:{tenant}:{decision}")
}

fn company_context(company_id: i64) -> SearchOptions {
    SearchOptions::default()
        .include_archived()
        .context("allowed_company_ids", json!([company_id]))
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
}

/// Creates (once) and validates a scrap carrying `request.reference` as its origin.
pub async fn scrap(client: &Client, request: &ScrapRequest) -> Result<ScrapOutcome, OdooError> {
    let options = company_context(request.company_id);
    let by_reference = Domain::leaf("origin", Op::Eq, request.reference.as_str());
    let existing: Vec<ScrapRow> = client
        .search_read(
            "stock.scrap",
            &by_reference,
            &["name", "state"],
            &options.clone().order("id asc"),
        )
        .await?;
    let scrap_id = match existing.first() {
        Some(row) if row.state.as_deref() == Some("done") => {
            return Ok(ScrapOutcome::Done {
                scrap_id: row.id,
                name: row.name.clone(),
            });
        }
        Some(row) => row.id,
        None => {
            let mut values = Map::new();
            values.insert("product_id".into(), json!(request.product_id));
            values.insert("product_uom_id".into(), json!(request.uom_id));
            values.insert("scrap_qty".into(), json!(request.quantity));
            values.insert("location_id".into(), json!(request.location_id));
            values.insert("origin".into(), json!(request.reference));
            values.insert("company_id".into(), json!(request.company_id));
            if let Some(destination) = request.scrap_location_id {
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
    pub counted: f64,
}

/// What applying a count ended as.
#[derive(Debug, Clone, PartialEq)]
pub enum CountOutcome {
    /// Applied now, or by an earlier attempt.
    Applied,
    /// Odoo says the stock moved since the count (`stock.inventory.conflict`): count again.
    Conflict,
}

#[derive(Debug, Deserialize)]
struct QuantRow {
    id: i64,
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
    if !done.is_empty() {
        return Ok(CountOutcome::Applied);
    }
    let inventory = options
        .clone()
        .context("inventory_mode", json!(true))
        .context("inventory_name", json!(request.reference));
    let quant = Domain::leaf("product_id", Op::Eq, request.product_id)
        .and_leaf("location_id", Op::Eq, request.location_id)
        .and_leaf("lot_id", Op::Eq, false)
        .and_leaf("package_id", Op::Eq, false)
        .and_leaf("owner_id", Op::Eq, false);
    let quants: Vec<QuantRow> = client.search_read("stock.quant", &quant, &["id"], &options).await?;
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
        Value::Null | Value::Bool(true) => Ok(CountOutcome::Applied),
        other if other.get("res_model").and_then(Value::as_str) == Some("stock.inventory.conflict") => {
            Ok(CountOutcome::Conflict)
        }
        other => Err(OdooError::Malformed(format!("action_apply_inventory returned {other}"))),
    }
}
