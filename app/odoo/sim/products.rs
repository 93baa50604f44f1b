//! Product behaviour write-back depends on: a template creates its variant, template edits reach its
//! single variant, and barcodes are unique (a Python constraint since 16, so only RPC writes are
//! checked: data loaded by SQL, like the datasets' duplicates, slips through as in real databases).

use serde_json::{Map, Value, json};

use super::store::{SimError, SimResult, Store, now};

/// Refuses a barcode already used by another product (`ValidationError`).
pub fn check_barcode(store: &Store, barcode: Option<&Value>, except_variant: Option<i64>) -> SimResult<()> {
    let Some(Value::String(code)) = barcode else {
        return Ok(());
    };
    let taken = store.ids("product.product").into_iter().find(|p| {
        Some(*p) != except_variant && store.get("product.product", *p, "barcode").as_str() == Some(code.as_str())
    });
    match taken {
        Some(other) => Err(SimError::validation(format!(
            "Barcode(s) already assigned:\n\n- Barcode \"{code}\" already assigned to product(s): {}",
            store.get("product.product", other, "name").as_str().unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

/// `product.template.create`: the template and its single variant.
pub fn create_template(store: &mut Store, vals: &Map<String, Value>, uid: i64) -> SimResult<i64> {
    check_barcode(store, vals.get("barcode"), None)?;
    let template = store.create_at("product.template", vals, uid, now())?;
    let mut variant = Map::new();
    variant.insert("product_tmpl_id".into(), json!(template));
    for field in ["default_code", "barcode", "standard_price"] {
        if let Some(value) = vals.get(field) {
            variant.insert(field.into(), value.clone());
        }
    }
    store.create_at("product.product", &variant, uid, now())?;
    Ok(template)
}

/// `write` on templates or variants; identity fields of a template reach its variant. Company-dependent
/// fields (`standard_price`) written for another company than the first are kept for that company.
pub fn write(
    store: &mut Store,
    model: &str,
    ids: &[i64],
    vals: &Map<String, Value>,
    uid: i64,
    company: Option<i64>,
) -> SimResult<()> {
    if let Some(company) = company.filter(|c| *c != 1) {
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !store.exists(model, *id)).collect();
        if !missing.is_empty() {
            return Err(SimError::missing(model, &missing));
        }
        let mut rest = vals.clone();
        for (field, value) in vals {
            if super::store::is_company_dependent(model, field) {
                rest.remove(field);
                let amount = value
                    .as_f64()
                    .ok_or_else(|| SimError::value(format!("Wrong value for {model}.{field}")))?;
                for id in variants_and_self(store, model, ids) {
                    store.set_company_value(id.0, field, id.1, company, super::store::Val::Float(amount));
                }
            }
        }
        // Like any ORM write, it stamps write_date/write_uid (a write_date cursor must see it), even
        // when only company-dependent values changed.
        return write(store, model, ids, &rest, uid, None);
    }
    if vals.contains_key("barcode") {
        for id in ids {
            let variant = if model == "product.product" {
                Some(*id)
            } else {
                store
                    .ids("product.product")
                    .into_iter()
                    .find(|p| store.get("product.product", *p, "product_tmpl_id").as_id() == Some(*id))
            };
            check_barcode(store, vals.get("barcode"), variant)?;
        }
    }
    store.write_at(model, ids, vals, uid, now())?;
    if model == "product.template" {
        let shared: Map<String, Value> = vals
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "default_code" | "barcode" | "standard_price" | "active"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !shared.is_empty() {
            let variants = variants_of(store, ids);
            store.write_at("product.product", &variants, &shared, uid, now())?;
        }
    }
    Ok(())
}

/// The records a template write reaches: the templates and their variants (or just the variants).
fn variants_and_self(store: &Store, model: &str, ids: &[i64]) -> Vec<(&'static str, i64)> {
    let mut out: Vec<(&'static str, i64)> = Vec::new();
    if model == "product.template" {
        out.extend(ids.iter().map(|id| ("product.template", *id)));
        out.extend(variants_of(store, ids).into_iter().map(|p| ("product.product", p)));
    } else {
        out.extend(ids.iter().map(|id| ("product.product", *id)));
    }
    out
}

/// The variants of `templates`.
fn variants_of(store: &Store, templates: &[i64]) -> Vec<i64> {
    store
        .ids("product.product")
        .into_iter()
        .filter(|p| {
            store
                .get("product.product", *p, "product_tmpl_id")
                .as_id()
                .is_some_and(|t| templates.contains(&t))
        })
        .collect()
}
