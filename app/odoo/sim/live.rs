//! Live mode: the simulated Odoo keeps moving as a retailer's does — sales (each a done delivery of
//! its warehouse's outgoing type) and their returns (a picking that points back at it), receipts of
//! open purchase orders, promised dates that move (the open receipt's deadline and the order's
//! date_planned follow), scraps, counts — and merges quants the way Odoo does, by raw SQL: the
//! surviving quant's quantity changes *without* a new `write_date`, and the duplicate disappears. A
//! `write_date` cursor alone cannot see that; reconciliation must.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::Simulator;
use super::dataset::BOT_UID;
use super::stock::{self, QuantKey};
use super::store::{Ctx, Store, Val, now};

/// What one tick did, for tests and logs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    pub sales: usize,
    pub returns: usize,
    pub receipts: usize,
    pub replanned: usize,
    pub scraps: usize,
    pub counts: usize,
    /// Quants whose quantity changed without a new `write_date` (merged).
    pub merged: Vec<i64>,
}

fn location_with_code(store: &Store, usage: &str) -> Option<i64> {
    store
        .ids("stock.location")
        .into_iter()
        .find(|l| store.get("stock.location", *l, "usage").as_str() == Some(usage))
}

/// What live mode remembers between ticks: duplicate quants waiting to be merged.
#[derive(Debug, Default)]
pub struct LiveState {
    duplicates: Vec<(i64, i64)>,
}

/// Moves the simulated Odoo forward once.
pub fn tick(store: &mut Store, state: &mut LiveState, rng: &mut StdRng) -> Tick {
    let mut done = Tick::default();
    let quants = store.ids("stock.quant");
    if quants.is_empty() {
        return done;
    }
    let customers = location_with_code(store, "customer");
    let ctx = Ctx {
        active_test: false,
        uid: BOT_UID,
        inventory_mode: true,
        inventory_name: None,
        company: None,
    };
    let pick_quant = |store: &Store, rng: &mut StdRng| -> Option<(i64, QuantKey, f64)> {
        for _ in 0..20 {
            let quant = quants[rng.random_range(0..quants.len())];
            if !store.exists("stock.quant", quant) {
                continue;
            }
            let on_hand = store.get("stock.quant", quant, "quantity").as_f64();
            if on_hand > 0.0 {
                return Some((quant, QuantKey::of(store, "stock.quant", quant), on_hand));
            }
        }
        None
    };

    // Sales and returns (a return comes back without its package): each sale a delivery of its
    // warehouse's outgoing type, each return a picking of its receipts type that points back at it.
    for _ in 0..rng.random_range(1..6) {
        let (Some((_, stock, on_hand)), Some(customers)) = (pick_quant(store, rng), customers) else {
            continue;
        };
        let Some(types) = operation_types(store, &ctx, stock.location) else {
            continue;
        };
        let quantity = rng.random_range(1.0..=on_hand.min(3.0)).floor().max(1.0);
        let order = format!("S{}", rng.random_range(100_000..1_000_000));
        let Some((sale, delivery)) = picked_move(store, &types, Flow::Out, &stock, customers, quantity, &order, None)
        else {
            continue;
        };
        done.sales += 1;
        if rng.random_bool(0.05) {
            let returned = QuantKey {
                location: customers,
                package: None,
                ..stock
            };
            let back = Some((sale, delivery.as_str()));
            if picked_move(store, &types, Flow::Back, &returned, stock.location, 1.0, &order, back).is_some() {
                done.returns += 1;
            }
        }
    }

    // An open receipt arrives; a promised date moves.
    let open_moves = store.search(
        "stock.move",
        &json!([["state", "=", "assigned"], ["purchase_line_id", "!=", false]]),
        &ctx,
        None,
        0,
        Some(20),
    );
    if let Ok(open) = open_moves
        && !open.is_empty()
    {
        let move_id = open[rng.random_range(0..open.len())];
        let quantity = store.get("stock.move", move_id, "product_qty").as_f64();
        let product = store
            .get("stock.move", move_id, "product_id")
            .as_id()
            .unwrap_or_default();
        let from = store
            .get("stock.move", move_id, "location_id")
            .as_id()
            .unwrap_or_default();
        let to = store
            .get("stock.move", move_id, "location_dest_id")
            .as_id()
            .unwrap_or_default();
        // A lot-tracked product arrives with a new lot, as a receipt that creates lots does.
        let tracked = store
            .get("product.product", product, "tracking")
            .as_str()
            .is_some_and(|t| t != "none");
        let lot = tracked
            .then(|| {
                let vals = json!({"name": format!("LIVE-{move_id}"), "product_id": product});
                store.create_at("stock.lot", &obj(vals), BOT_UID, now()).ok()
            })
            .flatten();
        let arrived = QuantKey {
            lot,
            ..QuantKey::at(product, from)
        };
        let mut received = Map::new();
        received.insert("state".into(), json!("done"));
        received.insert("date".into(), json!(now().format("%Y-%m-%d %H:%M:%S%.6f").to_string()));
        if store.schema.version <= 16 {
            received.insert("quantity_done".into(), json!(quantity));
        } else {
            received.insert("picked".into(), json!(true));
        }
        if store
            .write_at("stock.move", &[move_id], &received, BOT_UID, now())
            .is_ok()
        {
            let _ = stock::done_move_line(store, move_id, &arrived, to, quantity, BOT_UID, now());
            let _ = stock::receive(
                store,
                &QuantKey {
                    location: to,
                    ..arrived
                },
                quantity,
            );
            if let Some(line) = store.get("stock.move", move_id, "purchase_line_id").as_id() {
                let mut qty = Map::new();
                qty.insert(
                    "qty_received".into(),
                    json!(store.get("purchase.order.line", line, "qty_received").as_f64() + quantity),
                );
                let _ = store.write_at("purchase.order.line", &[line], &qty, BOT_UID, now());
            }
            done.receipts += 1;
        }
        if let Some(line) = open
            .get(rng.random_range(0..open.len()))
            .and_then(|m| store.get("stock.move", *m, "purchase_line_id").as_id())
            && let Val::DateTime(promised) = store.get("purchase.order.line", line, "date_planned")
        {
            let moved = promised + chrono::Duration::days(rng.random_range(1..6));
            let mut vals = Map::new();
            vals.insert(
                "date_planned".into(),
                json!(moved.format("%Y-%m-%d %H:%M:%S").to_string()),
            );
            if store
                .write_at("purchase.order.line", &[line], &vals, BOT_UID, now())
                .is_ok()
            {
                done.replanned += 1;
                // The open receipt's deadline follows (purchase_stock), and the order's date_planned
                // stays the earliest of its lines'.
                let mut deadline = Map::new();
                deadline.insert("date_deadline".into(), vals["date_planned"].clone());
                for receipt in store.get("purchase.order.line", line, "move_ids").as_ids().to_vec() {
                    if !matches!(
                        store.get("stock.move", receipt, "state").as_str(),
                        Some("done" | "cancel")
                    ) {
                        let _ = store.write_at("stock.move", &[receipt], &deadline, BOT_UID, now());
                    }
                }
                if let Some(order) = store.get("purchase.order.line", line, "order_id").as_id() {
                    let earliest = store
                        .get("purchase.order", order, "order_line")
                        .as_ids()
                        .iter()
                        .filter_map(|l| match store.get("purchase.order.line", *l, "date_planned") {
                            Val::DateTime(at) => Some(at),
                            _ => None,
                        })
                        .min();
                    if let Some(earliest) = earliest {
                        let mut planned = Map::new();
                        planned.insert(
                            "date_planned".into(),
                            json!(earliest.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
                        );
                        let _ = store.write_at("purchase.order", &[order], &planned, BOT_UID, now());
                    }
                }
            }
        }
    }

    // A scrap, and a count entered but not applied.
    if rng.random_bool(0.3)
        && let Some((_, stock, _)) = pick_quant(store, rng)
    {
        let vals = json!({"product_id": stock.product, "product_uom_id": 1, "scrap_qty": 1.0,
                          "location_id": stock.location, "lot_id": stock.lot, "package_id": stock.package,
                          "owner_id": stock.owner, "origin": "live damage"});
        if let Ok(scrap) = store.create_at("stock.scrap", &obj(vals), BOT_UID, now())
            && stock::do_scraps(store, &[scrap], &ctx).is_ok()
        {
            done.scraps += 1;
        }
    }
    if rng.random_bool(0.3)
        && let Some((quant, _, on_hand)) = pick_quant(store, rng)
    {
        let vals = json!({"inventory_quantity": (on_hand - 1.0).max(0.0)});
        if stock::write_quant(store, &[quant], &obj(vals), &ctx).is_ok() {
            done.counts += 1;
        }
    }

    // Quant merges, as Odoo's `_merge_quants` does them: a duplicate quant appears (an ORM write, so
    // the cursor sees it); at the next tick it is merged into the survivor by raw SQL — the survivor's
    // quantity changes with its old write_date, and the duplicate is deleted.
    for (survivor, duplicate) in std::mem::take(&mut state.duplicates) {
        if store.exists("stock.quant", survivor) && store.exists("stock.quant", duplicate) {
            let merged = store.get("stock.quant", survivor, "quantity").as_f64()
                + store.get("stock.quant", duplicate, "quantity").as_f64();
            store.set_raw("stock.quant", survivor, "quantity", Val::Float(merged));
            let _ = store.unlink("stock.quant", &[duplicate]);
            done.merged.push(survivor);
        }
    }
    if rng.random_bool(0.5)
        && let Some((survivor, stock, _)) = pick_quant(store, rng)
    {
        let vals = json!({"product_id": stock.product, "location_id": stock.location, "lot_id": stock.lot,
                          "package_id": stock.package, "owner_id": stock.owner, "quantity": rng.random_range(1..4) as f64,
                          "in_date": now().format("%Y-%m-%d %H:%M:%S").to_string()});
        if let Ok(duplicate) = store.create_at("stock.quant", &obj(vals), BOT_UID, now()) {
            state.duplicates.push((survivor, duplicate));
        }
    }
    done
}

/// The warehouse of an internal location: its code, company, and outgoing and receipt types.
struct OperationTypes {
    code: String,
    company: Option<i64>,
    outgoing: i64,
    incoming: i64,
}

fn operation_types(store: &Store, ctx: &Ctx, location: i64) -> Option<OperationTypes> {
    let warehouse = store.get("stock.location", location, "warehouse_id").as_id()?;
    let of_kind = |code: &str| {
        let domain = json!([["warehouse_id", "=", warehouse], ["code", "=", code]]);
        store
            .search("stock.picking.type", &domain, ctx, None, 0, Some(1))
            .ok()?
            .first()
            .copied()
    };
    Some(OperationTypes {
        code: store.get("stock.warehouse", warehouse, "code").as_str()?.to_string(),
        company: store.get("stock.warehouse", warehouse, "company_id").as_id(),
        outgoing: of_kind("outgoing")?,
        incoming: of_kind("incoming")?,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Flow {
    Out,
    Back,
}

/// A done picking of one move of `stock` to `to`: a delivery for `order`, or the return of
/// `returned` (its move and picking name). Returns the move and the picking's name; nothing (and no
/// picking) when the move is refused.
#[allow(clippy::too_many_arguments)]
fn picked_move(
    store: &mut Store,
    types: &OperationTypes,
    flow: Flow,
    stock: &QuantKey,
    to: i64,
    quantity: f64,
    order: &str,
    returned: Option<(i64, &str)>,
) -> Option<(i64, String)> {
    let (kind, prefix) = match flow {
        Flow::Out => (types.outgoing, "OUT"),
        Flow::Back => (types.incoming, "IN"),
    };
    let name = format!("{}/{prefix}/L{:05}", types.code, store.len("stock.picking") + 1);
    let at = now().format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    let mut vals = json!({"name": name, "origin": order, "picking_type_id": kind, "location_id": stock.location,
                          "location_dest_id": to, "scheduled_date": at, "date_done": at, "state": "done",
                          "company_id": types.company});
    if let Some((_, delivery)) = returned {
        vals["origin"] = json!(format!("Return of {delivery}"));
        vals["note"] = json!("<p>Changed mind</p>");
        if store.schema.version >= 17
            && let Some(original) = store
                .search(
                    "stock.picking",
                    &json!([["name", "=", delivery]]),
                    &Ctx::from_json(None, BOT_UID),
                    None,
                    0,
                    Some(1),
                )
                .ok()
                .and_then(|found| found.first().copied())
        {
            vals["return_id"] = json!(original);
        }
    }
    let picking = store.create_at("stock.picking", &obj(vals), BOT_UID, now()).ok()?;
    let mut move_vals = json!({"product_uom_qty": quantity, "location_dest_id": to, "origin": order,
                               "picking_id": picking, "picking_type_id": kind, "reference": name});
    if let Some((sold, _)) = returned {
        move_vals["origin_returned_move_id"] = json!(sold);
    }
    match stock::done_move(store, obj(move_vals), stock, BOT_UID) {
        Ok(move_id) => Some((move_id, name)),
        Err(_) => {
            let _ = store.unlink("stock.picking", &[picking]);
            None
        }
    }
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Changes the on-hand quantity of every `1 / share`-th quant by an ORM write (a new `write_date`), as
/// a busy spell of sales and receipts would; returns how many quants changed. For the sync benchmark's
/// incremental pull.
pub fn touch_quants(store: &mut Store, share: f64) -> usize {
    let quants = store.ids("stock.quant");
    let share = share.clamp(0.0, 1.0);
    let wanted = (quants.len() as f64 * share).round() as usize;
    if wanted == 0 {
        return 0;
    }
    let step = (quants.len() / wanted).max(1);
    let at = now();
    let mut touched = 0;
    for quant in quants.into_iter().step_by(step).take(wanted) {
        let quantity = store.get("stock.quant", quant, "quantity").as_f64() + 1.0;
        let vals = obj(json!({ "quantity": quantity }));
        if store.write_at("stock.quant", &[quant], &vals, BOT_UID, at).is_ok() {
            touched += 1;
        }
    }
    touched
}

/// Runs [`tick`] every `interval` until the simulator stops.
pub fn spawn(simulator: Arc<Simulator>, interval: Duration, seed: u64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x11fe);
        let mut timer = tokio::time::interval(interval);
        loop {
            timer.tick().await;
            let mut state = simulator.live.lock().unwrap_or_else(|p| p.into_inner());
            let done = simulator.with_store_mut(|store| tick(store, &mut state, &mut rng));
            drop(state);
            tracing::debug!(?done, "live tick");
        }
    })
}
