//! The `object` service: `execute_kw` / `execute` dispatch onto the store, with Python-style argument
//! binding (positional, then named), so every real client's calling style works.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::store::{Ctx, SimError, SimResult, Store, now};
use super::{products, stock};

/// A method's Python signature: its parameters in order (the names JSON-2 and keyword arguments use),
/// how many of them have no default, and whether it is a record method taking ids first.
struct Signature {
    params: &'static [&'static str],
    required: usize,
    record: bool,
}

fn signature(method: &str, version: u8) -> Option<Signature> {
    let (params, required, record): (&'static [&'static str], usize, bool) = match method {
        // `count=False` is gone from 17 (ODOO-API §2.1).
        "search" if version <= 16 => (&["domain", "offset", "limit", "order", "count"], 1, false),
        "search" => (&["domain", "offset", "limit", "order"], 1, false),
        "search_count" => (&["domain", "limit"], 1, false),
        "search_read" => (&["domain", "fields", "offset", "limit", "order", "load"], 0, false),
        "read" => (&["fields", "load"], 0, true),
        "fields_get" => (&["allfields", "attributes"], 0, false),
        "create" => (&["vals_list"], 1, false),
        "write" => (&["vals"], 1, true),
        "unlink" => (&[], 0, true),
        "context_get" => (&[], 0, false),
        "name_search" => (&["name", "domain", "operator", "limit"], 0, false),
        "action_validate" | "do_scrap" | "action_apply_inventory" => (&[], 0, true),
        // Model access rights: deprecated from 18 (PR odoo/odoo#179148) and removed after 19.0
        // (odoo/odoo#226551, 19.1), still there in 19.0.
        "check_access_rights" => (&["operation", "raise_exception"], 1, false),
        // 18+: rights and rules together, as a boolean, on records (the empty recordset asks about
        // the model as a whole).
        "has_access" if version >= 18 => (&["operation"], 1, true),
        "read_group" => (
            &["domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"],
            3,
            false,
        ),
        "formatted_read_group" => (
            &["domain", "groupby", "aggregates", "having", "offset", "limit", "order"],
            1,
            false,
        ),
        _ => return None,
    };
    Some(Signature {
        params,
        required,
        record,
    })
}

/// The public methods every model answers on 19, with their parameters and whether they take ids
/// (for `/doc-bearer/<model>.json`).
pub fn public_methods() -> Vec<(&'static str, &'static [&'static str], bool)> {
    [
        "search",
        "search_count",
        "search_read",
        "read",
        "fields_get",
        "create",
        "write",
        "unlink",
        "name_search",
        "check_access_rights",
        "has_access",
    ]
    .into_iter()
    .filter_map(|m| signature(m, 19).map(|s| (m, s.params, s.record)))
    .collect()
}

/// How a call's arguments arrived, which decides what a binding failure looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// The `object` service (`execute_kw` / `execute` over JSON-RPC or XML-RPC): Odoo calls the method,
    /// so a bad call is Python's own `TypeError` (ODOO-API §1.2).
    Rpc,
    /// JSON-2: named arguments only, checked with `inspect.signature(…).bind` first, so a bad call is a
    /// 422 `UnprocessableEntity` such as "missing a required argument: 'domain'" (ODOO-API §1.4).
    Json2,
}

/// Python's list of missing names: `'a'`, `'a' and 'b'`, `'a', 'b', and 'c'`.
fn python_names(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

/// Binds positional and keyword arguments to the method's parameter names, refusing what Python
/// refuses: too many positional arguments, unknown or repeated keywords, missing required ones.
fn bind(call: &Call<'_>, signature: &Signature) -> SimResult<HashMap<String, Value>> {
    let (model, method, params) = (call.model, call.method, signature.params);
    let refuse = |message: String| match call.transport {
        Transport::Rpc => SimError::type_error(format!("{model}.{method}() {message}")),
        Transport::Json2 => SimError::unprocessable(message),
    };
    if call.positional.len() > params.len() {
        return Err(refuse(format!(
            "takes {} positional arguments but {} were given",
            params.len(),
            call.positional.len()
        )));
    }
    let mut bound: HashMap<String, Value> = params
        .iter()
        .zip(call.positional)
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    let missing: Vec<&str> = params[..signature.required]
        .iter()
        .copied()
        .filter(|p| !bound.contains_key(*p) && !call.named.contains_key(*p))
        .collect();
    // `inspect.Signature.bind` reports the first missing parameter before looking at unknown keywords.
    if call.transport == Transport::Json2
        && let Some(first) = missing.first()
    {
        return Err(refuse(format!("missing a required argument: '{first}'")));
    }
    for (name, value) in call.named {
        if name == "context" {
            continue;
        }
        if !params.contains(&name.as_str()) {
            return Err(refuse(format!("got an unexpected keyword argument '{name}'")));
        }
        if bound.insert(name.clone(), value.clone()).is_some() {
            return Err(refuse(format!("got multiple values for argument '{name}'")));
        }
    }
    if !missing.is_empty() {
        let plural = if missing.len() == 1 { "argument" } else { "arguments" };
        return Err(refuse(format!(
            "missing {} required positional {plural}: {}",
            missing.len(),
            python_names(&missing)
        )));
    }
    Ok(bound)
}

/// Odoo's `args[0]` on an empty argument list (`call_kw` takes a record method's ids and `create`'s
/// result shape from it): up to 18 `execute_kw` has unpacked the arguments into a tuple; on 19 they
/// stay the request's list.
pub fn index_error(version: u8) -> SimError {
    let kind = if version <= 18 { "tuple" } else { "list" };
    SimError {
        name: "builtins.IndexError",
        message: format!("{kind} index out of range"),
    }
}

fn ids_of(value: &Value) -> SimResult<Vec<i64>> {
    match value {
        Value::Number(n) => n.as_i64().map(|id| vec![id]).ok_or_else(|| SimError::value("bad id")),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_i64().ok_or_else(|| SimError::value("bad id")))
            .collect(),
        Value::Bool(false) | Value::Null => Ok(Vec::new()),
        other => Err(SimError::value(format!("expected ids, got {other}"))),
    }
}

fn as_usize(value: Option<&Value>) -> Option<usize> {
    value.and_then(Value::as_u64).map(|n| n as usize)
}

fn field_names(value: Option<&Value>) -> SimResult<Vec<String>> {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| SimError::value("field names must be strings"))
            })
            .collect(),
        Some(other) => Err(SimError::value(format!("expected a list of field names, got {other}"))),
    }
}

/// A call of `model.method`: `ids` for record methods (JSON-RPC's first argument, JSON-2's `ids`),
/// the remaining positional arguments, and the named ones (`context` among them).
pub struct Call<'a> {
    pub model: &'a str,
    pub method: &'a str,
    pub ids: Option<Vec<i64>>,
    pub positional: &'a [Value],
    pub named: &'a Map<String, Value>,
    pub uid: i64,
    pub transport: Transport,
}

impl Call<'_> {
    fn context(&self) -> Option<&Value> {
        self.named.get("context")
    }
}

/// Whether `method` takes record ids first (so JSON-RPC's first argument is the id list).
pub fn is_record_method(method: &str) -> bool {
    signature(method, 19)
        .map(|s| s.record)
        .unwrap_or(method.starts_with("action_") || method.starts_with("do_"))
}

/// Whether `method` only reads (so concurrent callers can share the store).
pub fn is_query(method: &str) -> bool {
    matches!(
        method,
        "search"
            | "search_count"
            | "search_read"
            | "read"
            | "fields_get"
            | "context_get"
            | "name_search"
            | "check_access_rights"
            | "has_access"
    )
}

/// Whether `method` asks about access rights instead of using them: Odoo answers it even for a model
/// the user may not touch at all (with `false`, or the `AccessError` it was asked to raise).
pub fn is_access_check(method: &str) -> bool {
    matches!(method, "check_access_rights" | "has_access")
}

/// `check_access_rights` / `has_access`: `allowed` is whether the user's groups give the operation
/// on the model (the simulator grants everything a model denied by fault injection does not refuse).
fn access_answer(call: &Call<'_>, args: &HashMap<String, Value>, allowed: bool) -> SimResult<Option<Value>> {
    let operation = args.get("operation").and_then(Value::as_str).unwrap_or_default();
    // `ir.model.access.check` asserts the mode before looking anything up.
    if !matches!(operation, "read" | "write" | "create" | "unlink") {
        return Err(SimError {
            name: "builtins.AssertionError",
            message: "Invalid access mode".into(),
        });
    }
    // Truthy by default, as the Python parameter's default `True`.
    let raise = call.method == "check_access_rights" && args.get("raise_exception").is_none_or(is_truthy);
    if !allowed && raise {
        return Err(SimError::access(call.model));
    }
    Ok(Some(json!(allowed)))
}

/// Python's truthiness of a JSON value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(true) => true,
    }
}

/// Runs one ORM call under the store's lock: shared for queries, exclusive for changes. `allowed` is
/// whether the caller may use the model at all (what access checks answer).
pub fn execute_locked(store: &std::sync::RwLock<Store>, call: Call<'_>, allowed: bool) -> SimResult<Option<Value>> {
    if is_query(call.method) {
        let guard = store.read().unwrap_or_else(|p| p.into_inner());
        execute_inner(StoreRef::Shared(&guard), call, allowed)
    } else {
        let mut guard = store.write().unwrap_or_else(|p| p.into_inner());
        execute(&mut guard, call)
    }
}

/// Runs one ORM call with every model allowed. `Ok(None)` is a method that returned Python's `None`.
pub fn execute(store: &mut Store, call: Call<'_>) -> SimResult<Option<Value>> {
    execute_inner(StoreRef::Exclusive(store), call, true)
}

enum StoreRef<'s> {
    Shared(&'s Store),
    Exclusive(&'s mut Store),
}

impl StoreRef<'_> {
    fn get(&self) -> &Store {
        match self {
            StoreRef::Shared(s) => s,
            StoreRef::Exclusive(s) => s,
        }
    }
    fn get_mut(&mut self, method: &str) -> SimResult<&mut Store> {
        match self {
            StoreRef::Exclusive(s) => Ok(s),
            StoreRef::Shared(_) => Err(SimError::value(format!("{method} needs the store exclusively"))),
        }
    }
}

fn execute_inner(mut store: StoreRef<'_>, call: Call<'_>, allowed: bool) -> SimResult<Option<Value>> {
    if call.method.starts_with('_') {
        return Err(SimError {
            name: "odoo.exceptions.AccessError",
            message: format!("Private methods (such as '{}') cannot be called remotely.", call.method),
        });
    }
    store.get().spec(call.model)?;
    let version = store.get().schema.version;
    let Some(signature) = signature(call.method, version) else {
        return Err(SimError::attribute(call.model, call.method));
    };
    let args = bind(&call, &signature)?;
    // `create`'s values given by keyword over the `object` service: Odoo creates the records, then
    // fails on `args[0]` and rolls back (ODOO-API §1.2). JSON-2 names them by design.
    if call.transport == Transport::Rpc && call.method == "create" && call.positional.is_empty() {
        return Err(index_error(version));
    }
    if is_access_check(call.method) {
        return access_answer(&call, &args, allowed);
    }
    let ctx = Ctx::from_json(call.context(), call.uid);
    let ids = || call.ids.clone().unwrap_or_default();
    let domain = || args.get("domain").cloned().unwrap_or(Value::Array(Vec::new()));
    let classic = |args: &HashMap<String, Value>| match args.get("load") {
        None => true,
        Some(Value::String(s)) => s == "_classic_read",
        Some(_) => false,
    };
    let search = |store: &Store| {
        store.search(
            call.model,
            &domain(),
            &ctx,
            args.get("order").and_then(Value::as_str),
            as_usize(args.get("offset")).unwrap_or(0),
            as_usize(args.get("limit")),
        )
    };
    // Model-specific behaviour first (ODOO-API §4): quants in inventory mode, scraps.
    match (call.model, call.method) {
        ("stock.quant", "create") => {
            let store = store.get_mut(call.method)?;
            return match args.get("vals_list") {
                Some(Value::Object(vals)) => Ok(Some(json!(stock::create_quant(store, vals, &ctx)?))),
                Some(Value::Array(list)) => {
                    let mut created = Vec::new();
                    for vals in list {
                        let vals = vals
                            .as_object()
                            .ok_or_else(|| SimError::value("create expects dicts of values"))?;
                        created.push(stock::create_quant(store, vals, &ctx)?);
                    }
                    Ok(Some(json!(created)))
                }
                _ => Err(SimError::type_error(
                    "stock.quant.create() takes a dict of values or a list of them",
                )),
            };
        }
        ("stock.quant", "write") => {
            let vals = args
                .get("vals")
                .and_then(Value::as_object)
                .ok_or_else(|| SimError::type_error("write() needs vals"))?;
            stock::write_quant(store.get_mut(call.method)?, &ids(), vals, &ctx)?;
            return Ok(Some(json!(true)));
        }
        ("stock.quant", "action_apply_inventory") => {
            return stock::apply_inventory(store.get_mut(call.method)?, &ids(), &ctx);
        }
        ("stock.scrap", "action_validate") => return stock::validate_scraps(store.get_mut(call.method)?, &ids(), &ctx),
        ("stock.scrap", "do_scrap") => return stock::do_scraps(store.get_mut(call.method)?, &ids(), &ctx),
        ("stock.scrap", "unlink") => stock::check_scrap_unlink(store.get(), &ids())?,
        ("product.template", "create") => {
            let store = store.get_mut(call.method)?;
            let list: Vec<Map<String, Value>> = match args.get("vals_list") {
                Some(Value::Object(vals)) => vec![vals.clone()],
                Some(Value::Array(list)) => list.iter().filter_map(|v| v.as_object().cloned()).collect(),
                _ => {
                    return Err(SimError::type_error(
                        "product.template.create() takes a dict of values or a list of them",
                    ));
                }
            };
            let mut created = Vec::new();
            for vals in &list {
                created.push(products::create_template(store, vals, call.uid)?);
            }
            return Ok(Some(match args.get("vals_list") {
                Some(Value::Object(_)) => json!(created[0]),
                _ => json!(created),
            }));
        }
        ("product.template" | "product.product", "write") => {
            let vals = args
                .get("vals")
                .and_then(Value::as_object)
                .ok_or_else(|| SimError::type_error("write() needs vals"))?;
            products::write(
                store.get_mut(call.method)?,
                call.model,
                &ids(),
                vals,
                call.uid,
                ctx.company,
            )?;
            return Ok(Some(json!(true)));
        }
        ("product.product", "create") => {
            let each: Vec<&Value> = match args.get("vals_list") {
                Some(Value::Array(list)) => list.iter().collect(),
                Some(one) => vec![one],
                None => Vec::new(),
            };
            for vals in each.into_iter().filter_map(Value::as_object) {
                products::check_barcode(store.get(), vals.get("barcode"), None)?;
            }
        }
        (_, "action_validate" | "do_scrap" | "action_apply_inventory") => {
            return Err(SimError::attribute(call.model, call.method));
        }
        _ => {}
    }
    let result = match call.method {
        "search" => {
            let found = search(store.get())?;
            if args.get("count") == Some(&Value::Bool(true)) {
                json!(found.len())
            } else {
                json!(found)
            }
        }
        "search_count" => json!(
            store
                .get()
                .count(call.model, &domain(), &ctx, as_usize(args.get("limit")))?
        ),
        "search_read" => {
            let found = search(store.get())?;
            Value::Array(store.get().read_for_company(
                call.model,
                &found,
                &field_names(args.get("fields"))?,
                classic(&args),
                ctx.company,
            )?)
        }
        "read" => Value::Array(store.get().read_for_company(
            call.model,
            &ids(),
            &field_names(args.get("fields"))?,
            classic(&args),
            ctx.company,
        )?),
        "fields_get" => store
            .get()
            .fields_get(call.model, &field_names(args.get("attributes"))?)?,
        "create" => match args.get("vals_list") {
            Some(Value::Object(vals)) => json!(store.get_mut(call.method)?.create_at(
                call.model,
                vals,
                call.uid,
                now()
            )?),
            Some(Value::Array(list)) => {
                let mut created = Vec::with_capacity(list.len());
                for vals in list {
                    let vals = vals
                        .as_object()
                        .ok_or_else(|| SimError::value("create expects dicts of values"))?;
                    created.push(
                        store
                            .get_mut(call.method)?
                            .create_at(call.model, vals, call.uid, now())?,
                    );
                }
                json!(created)
            }
            _ => {
                return Err(SimError::type_error(format!(
                    "{}.create() takes a dict of values or a list of them",
                    call.model
                )));
            }
        },
        "write" => {
            let vals = args
                .get("vals")
                .and_then(Value::as_object)
                .ok_or_else(|| SimError::type_error("write() needs vals"))?;
            store
                .get_mut(call.method)?
                .write_at(call.model, &ids(), vals, call.uid, now())?;
            json!(true)
        }
        "unlink" => {
            store.get_mut(call.method)?.unlink(call.model, &ids())?;
            json!(true)
        }
        "context_get" => json!({"lang": "en_US", "tz": "Europe/Brussels", "uid": call.uid}),
        "read_group" | "formatted_read_group" => {
            let formatted = call.method == "formatted_read_group";
            if formatted && store.get().schema.version < 19 {
                return Err(SimError::attribute(call.model, call.method));
            }
            let specs = if formatted {
                field_names(args.get("aggregates"))?
            } else {
                field_names(args.get("fields"))?
            };
            let groupby = field_names(args.get("groupby"))?;
            read_group(store.get(), call.model, &domain(), &ctx, &specs, &groupby, formatted)?
        }
        "name_search" => {
            let name = args.get("name").and_then(Value::as_str).unwrap_or_default();
            let mut leaf_domain = args.get("domain").cloned().unwrap_or(json!([]));
            if !name.is_empty()
                && let Value::Array(items) = &mut leaf_domain
            {
                let rec_name = store.get().spec(call.model)?.rec_name;
                items.push(json!([
                    rec_name,
                    args.get("operator").and_then(Value::as_str).unwrap_or("ilike"),
                    name
                ]));
            }
            let limit = as_usize(args.get("limit")).unwrap_or(100);
            let found = store
                .get()
                .search(call.model, &leaf_domain, &ctx, None, 0, Some(limit))?;
            let rows = store
                .get()
                .read(call.model, &found, &["display_name".to_string()], true)?;
            json!(
                rows.iter()
                    .map(|r| json!([r["id"], r["display_name"]]))
                    .collect::<Vec<_>>()
            )
        }
        _ => unreachable!("signature() lists every handled method"),
    };
    Ok(Some(result))
}

/// `read_group` (16–19) and `formatted_read_group` (19): sums and counts over a domain, grouped by at
/// most one field (what reconciliation needs). Keys follow each method's format.
fn read_group(
    store: &Store,
    model: &str,
    domain: &Value,
    ctx: &Ctx,
    specs: &[String],
    groupby: &[String],
    formatted: bool,
) -> SimResult<Value> {
    if groupby.len() > 1 {
        return Err(SimError::value("the simulator groups by one field at most"));
    }
    let spec = store.spec(model)?;
    // `quantity:sum`, a bare `quantity` (sum), and `__count`.
    let mut sums: Vec<(String, &'static str)> = Vec::new();
    for text in specs {
        if text == "__count" {
            continue;
        }
        let (field, function) = text.split_once(':').unwrap_or((text.as_str(), "sum"));
        if function != "sum" {
            return Err(SimError::value(format!("the simulator only sums, not {function}")));
        }
        let (_, f) = spec
            .field(field)
            .ok_or_else(|| SimError::value(format!("Invalid field {field:?} on model {model:?}")))?;
        sums.push((text.clone(), f.name));
    }
    let ids = store.search(model, domain, ctx, None, 0, None)?;
    let key_of = |id: i64| -> Value {
        match groupby.first() {
            None => Value::Null,
            Some(g) => store
                .read(model, &[id], std::slice::from_ref(g), true)
                .ok()
                .and_then(|r| r.first().map(|row| row[g.as_str()].clone()))
                .unwrap_or(Value::Null),
        }
    };
    let mut groups: Vec<(Value, usize, Vec<f64>)> = Vec::new();
    for id in ids {
        let key = key_of(id);
        let index = match groups.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                groups.push((key, 0, vec![0.0; sums.len()]));
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        group.1 += 1;
        for (n, (_, field)) in sums.iter().enumerate() {
            group.2[n] += store.get(model, id, field).as_f64();
        }
    }
    if groups.is_empty() && groupby.is_empty() {
        groups.push((Value::Null, 0, vec![0.0; sums.len()]));
    }
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|(key, count, totals)| {
            let mut row = Map::new();
            if let Some(g) = groupby.first() {
                row.insert(g.clone(), key);
            }
            for ((spec_text, field), total) in sums.iter().zip(totals) {
                let name = if formatted {
                    spec_text.clone()
                } else {
                    field.to_string()
                };
                row.insert(
                    name,
                    if count == 0 && !formatted {
                        json!(false)
                    } else {
                        json!(total)
                    },
                );
            }
            row.insert("__count".into(), json!(count));
            if formatted {
                row.insert("__extra_domain".into(), json!([[1, "=", 1]]));
            } else if store.schema.version >= 17 {
                row.insert("__domain".into(), domain.clone());
            }
            Value::Object(row)
        })
        .collect();
    Ok(Value::Array(rows))
}

/// Splits JSON-RPC `execute_kw` arguments into ids (for record methods) and the rest.
pub fn split_ids(method: &str, args: &[Value], version: u8) -> SimResult<(Option<Vec<i64>>, Vec<Value>)> {
    if is_record_method(method) {
        let first = args.first().ok_or_else(|| index_error(version))?;
        Ok((Some(ids_of(first)?), args[1..].to_vec()))
    } else {
        Ok((None, args.to_vec()))
    }
}
