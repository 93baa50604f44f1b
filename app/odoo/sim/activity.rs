//! The moving part of a dataset: suppliers and their prices, purchase orders with receipts (some
//! late, some short), web and POS sales following a long tail, customer returns with reasons,
//! scraps with reason tags, inventory adjustments (with a shrink pattern and a user adjusting just
//! under a threshold), counts entered but not applied, and reorder rules. Dated across the history,
//! most of it long ago. Quantities here are history: the quants carry the current stock.
//!
//! Shapes chosen (DESIGN §6 leaves them open): suppliers' on-time rates 55–98 %, lead times around the
//! promise with supplier-specific spread, one in eight short-ships (fill 85–95 %); returns 2–8 % of
//! units by category; sales drawn from a cubic long tail (a fifth of SKUs make most sales).
//!
//! Supplier prices (`product.supplierinfo`): every product from its main supplier, today at about its
//! cost. For 30 % of products the price rose one to three times during the history, 2–6 % each time:
//! one row per period with `date_start`/`date_end` (inclusive, the first without a start, the current
//! without an end), each entered up to two weeks before it applies, when the previous row was closed
//! (its `write_date`); a new period changes the delay one time in four. 10 % of products also have
//! a second supplier (`sequence` 2) at another price (−6 % to +15 %) and delay. A purchase line pays the
//! price of its supplier's row valid on the order date, and is promised that row's delay.
//!
//! Promised dates: a confirmed line's `date_planned` moves after ordering for 45 % of the lines of
//! orders that will come late (the supplier announces the delay: the new date lies in the last half
//! of the delay, never after the goods came) and 10 % of the others (the supplier confirms a date two
//! days earlier to three days later) — about a fifth overall, a quarter for the least reliable
//! suppliers. The line keeps the last date and was last written then (or when the goods came); the
//! open receipt move's `date_deadline` follows, its `date` does not (as purchase_stock does), and the
//! order's `date_planned` is the earliest of its lines'. Orders, lines and receipts are created when
//! ordering.
//!
//! Sales and returns are pickings, as Odoo posts them (details on `post_sales`): a POS that updates
//! stock when its session closes, so one picking of the store's "PoS Orders" type per store and day
//! (origin the session, one move per product); web orders of one to three lines, each a delivery of
//! the web shop's "Delivery Orders" type to a customer (origin the order, `S00042`), the latest still
//! to ship. Returns: web returns and 40 % of store returns through the return wizard (origin
//! `Return of WEB/OUT/00042`, `return_id` from 17, `origin_returned_move_id` on every version, the
//! reason as free text in the picking's `note`); the other store returns are POS refunds, posted per
//! store and day with the session, unlinked and without a reason.
//!
//! Units: products bought by the box are priced by their suppliers per box and ordered in boxes (the
//! purchase line's `product_uom`, `product_uom_id` on 19, with `product_qty` in boxes and
//! `product_uom_qty` in units); receipts and every other move are in the product's unit.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::stock::{self, QuantKey};
use super::store::{Store, Val};

pub struct Site {
    pub warehouse: i64,
    pub stock: i64,
    pub code: String,
    pub company: i64,
}

pub struct Places {
    pub vendors: i64,
    pub customers: i64,
    /// Each company's inventory-loss and scrap locations: `(company, loss, scrap)`.
    pub virtual_by_company: Vec<(i64, i64, i64)>,
}

impl Places {
    fn of_company(&self, company: i64) -> (i64, i64) {
        let (_, loss, scrap) = self
            .virtual_by_company
            .iter()
            .find(|(c, _, _)| *c == company)
            .or_else(|| self.virtual_by_company.first())
            .expect("every dataset has a company");
        (*loss, *scrap)
    }

    pub fn loss(&self, company: i64) -> i64 {
        self.of_company(company).0
    }

    pub fn scrap(&self, company: i64) -> i64 {
        self.of_company(company).1
    }
}

pub struct Context<'a> {
    pub network: &'a [Site],
    pub products: &'a [i64],
    /// The lots of lot-tracked products, oldest first.
    pub lots: &'a std::collections::HashMap<i64, Vec<i64>>,
    /// The unit every product is stocked and sold in.
    pub units: i64,
    /// The boxes some products are bought by ([`super::dataset::box_of`]): `(unit, units per box)`.
    pub boxes: [(i64, f64); 2],
    pub users: &'a [i64],
    pub places: Places,
    pub start: NaiveDateTime,
    pub history_days: i64,
    pub version: u8,
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A supplier and how it behaves.
struct Supplier {
    partner: i64,
    on_time: f64,
    lead_days: i64,
    spread_days: f64,
    fill_rate: f64,
}

/// A share of products whose price rose during the history (one to three times, 2–6 % each).
const PRICE_RISES_SHARE: f64 = 0.3;
/// A share of products with a second supplier (at another price and delay).
const SECOND_SOURCE_SHARE: f64 = 0.1;

/// The share of a late order's lines whose promised date moves after ordering (the supplier announces
/// the delay), and of an on-time order's (the supplier confirms another date): about a fifth of lines
/// overall, more for unreliable suppliers.
const REPLANNED_WHEN_LATE: f64 = 0.45;
const REPLANNED_WHEN_ON_TIME: f64 = 0.10;

/// A `product.supplierinfo` row as the generator remembers it: a supplier's price for a product (per
/// purchase unit) and its delay, valid from `from` to `until` (inclusive; open when `None`), as
/// Odoo's `_select_seller` reads `date_start` and `date_end`.
struct Offer {
    supplier: usize,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    price: f64,
    delay: i64,
}

/// Every product's offers, and what each supplier sells.
struct PriceList {
    offers: Vec<Offer>,
    /// Product `n`'s offers are `offers[first[n]..first[n + 1]]`.
    first: Vec<usize>,
    /// The indexes of the products each supplier sells.
    catalogue: Vec<Vec<usize>>,
}

impl PriceList {
    /// The offer of `supplier` for product `n` valid on `day`.
    fn valid(&self, n: usize, supplier: usize, day: NaiveDate) -> Option<&Offer> {
        self.offers[self.first[n]..self.first[n + 1]].iter().find(|o| {
            o.supplier == supplier && o.from.is_none_or(|from| from <= day) && o.until.is_none_or(|until| day <= until)
        })
    }
}

/// The unit product `n` is bought in, with how many of the product's units it holds: its box, or the
/// unit itself.
fn purchase_unit(ctx: &Context, n: usize) -> (i64, f64) {
    match super::dataset::box_of(n) {
        Some(b) => ctx.boxes[b],
        None => (ctx.units, 1.0),
    }
}

/// Marks a record as last written by `uid` at `at`: a later edit whose values it already holds.
fn written(store: &mut Store, model: &str, id: i64, uid: i64, at: NaiveDateTime) {
    store.set_raw(model, id, "write_uid", Val::Int(uid));
    store.set_raw(model, id, "write_date", Val::DateTime(at));
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The suppliers' prices: each product from its main supplier, today at about its cost; for a share
/// of products rising over the history in periods (`date_start`/`date_end`, each row entered shortly
/// before it applies and the previous one closed then), sometimes with a new delay; and for a share
/// a second supplier at another price and delay.
fn price_list(store: &mut Store, rng: &mut StdRng, ctx: &Context, suppliers: &[Supplier]) -> PriceList {
    let history_start = ctx.start - Duration::days(ctx.history_days);
    let user = |rng: &mut StdRng| ctx.users[rng.random_range(0..ctx.users.len())];
    let mut list = PriceList {
        offers: Vec::with_capacity(ctx.products.len() * 3 / 2),
        first: Vec::with_capacity(ctx.products.len() + 1),
        catalogue: vec![Vec::new(); suppliers.len()],
    };
    let row = |store: &mut Store, rng: &mut StdRng, product: i64, n: usize, offer: &Offer, sequence: i64, at| {
        let template = store.get("product.product", product, "product_tmpl_id").as_id();
        let mut vals = json!({"partner_id": suppliers[offer.supplier].partner, "product_tmpl_id": template,
            "product_id": product, "price": offer.price, "min_qty": 1.0, "delay": offer.delay, "sequence": sequence,
            "date_start": offer.from.map(day_text), "date_end": offer.until.map(day_text),
            "currency_id": 1, "company_id": 1});
        // On 19 the price is per the row's own unit; up to 18 per the template's purchase unit.
        if ctx.version >= 19 {
            vals["product_uom_id"] = json!(purchase_unit(ctx, n).0);
        }
        create(store, "product.supplierinfo", vals, user(rng), at)
    };
    let before_history = |rng: &mut StdRng| {
        history_start - Duration::days(rng.random_range(1..20)) - Duration::seconds(rng.random_range(0..86_400))
    };
    for (n, product) in ctx.products.iter().enumerate() {
        list.first.push(list.offers.len());
        let main = n % suppliers.len();
        let per = purchase_unit(ctx, n).1;
        let cost = store.get("product.product", *product, "standard_price").as_f64();
        let today = cost * rng.random_range(0.9..1.1) * per;
        let mut changes: Vec<NaiveDate> = if rng.random_bool(PRICE_RISES_SHARE) {
            (0..rng.random_range(1..=3))
                .map(|_| (history_start + Duration::days(rng.random_range(30..ctx.history_days - 7))).date())
                .collect()
        } else {
            Vec::new()
        };
        changes.sort();
        changes.dedup();
        // Prices back from today's, each period a few percent cheaper than the next.
        let mut period_prices = vec![today; changes.len() + 1];
        for i in (0..changes.len()).rev() {
            period_prices[i] = period_prices[i + 1] / rng.random_range(1.02..1.06);
        }
        let mut delay = suppliers[main].lead_days;
        let mut previous: Option<(i64, NaiveDateTime)> = None;
        for (i, price) in period_prices.iter().enumerate() {
            let from = i.checked_sub(1).map(|c| changes[c]);
            if from.is_some() && rng.random_bool(0.25) {
                delay = (delay + rng.random_range(-2..=3)).max(3);
            }
            let offer = Offer {
                supplier: main,
                from,
                until: changes.get(i).map(|next| *next - Duration::days(1)),
                price: money(*price),
                delay,
            };
            let at = match (from, previous) {
                (Some(day), Some((_, entered))) => (day.and_time(chrono::NaiveTime::MIN)
                    - Duration::days(rng.random_range(0..14))
                    + Duration::seconds(rng.random_range(28_800..64_800)))
                .max(entered + Duration::hours(1))
                .min(ctx.start),
                _ => before_history(rng),
            };
            let id = row(store, rng, *product, n, &offer, 1, at);
            // Closing the previous period is an edit of its row, made when the new one was entered.
            if let Some((previous, _)) = previous {
                written(store, "product.supplierinfo", previous, user(rng), at);
            }
            previous = Some((id, at));
            list.offers.push(offer);
        }
        list.catalogue[main].push(n);
        if suppliers.len() > 1 && rng.random_bool(SECOND_SOURCE_SHARE) {
            let second = (main + 1 + rng.random_range(0..suppliers.len() - 1)) % suppliers.len();
            let mut second_delay = suppliers[second].lead_days;
            if second_delay == delay {
                second_delay += 2;
            }
            let offer = Offer {
                supplier: second,
                from: None,
                until: None,
                price: money(today * rng.random_range(0.94..1.15)),
                delay: second_delay,
            };
            let at = before_history(rng);
            row(store, rng, *product, n, &offer, 2, at);
            list.offers.push(offer);
            list.catalogue[second].push(n);
        }
    }
    list.first.push(list.offers.len());
    list
}

/// A sale as drawn, before it is posted in a picking.
struct Sale {
    site: usize,
    product: i64,
    at: NaiveDateTime,
    quantity: f64,
}

/// A posted sales picking (POS session or web delivery), as its returns need it.
struct SalesPicking {
    id: i64,
    name: String,
    partner: Option<i64>,
    done_at: NaiveDateTime,
}

/// Where a sale went: its move and the index of its picking.
#[derive(Clone, Copy)]
struct Posted {
    move_id: i64,
    picking: usize,
}

/// A return picking before it is written: linked to the delivery it returns (the return wizard), or
/// a POS session's refunds without a link.
struct Return {
    site: usize,
    at: NaiveDateTime,
    /// The returned picking (its index), or the POS session the refunds were posted in.
    returned: Result<usize, String>,
    reason: Option<&'static str>,
    /// `(product, quantity, returned move)`.
    lines: Vec<(i64, f64, Option<i64>)>,
}

const RETURN_REASONS: [&str; 6] = [
    "Wrong size",
    "Changed mind",
    "Damaged in transit",
    "Defective",
    "Not as described",
    "Late delivery",
];

/// Adds `quantity` of `product` to `lines`, on the line of the same product (and returned move).
fn add_line(lines: &mut Vec<(i64, f64, Option<i64>)>, product: i64, quantity: f64, returned: Option<i64>) {
    match lines.iter_mut().find(|(p, _, m)| *p == product && *m == returned) {
        Some(line) => line.1 += quantity,
        None => lines.push((product, quantity, returned)),
    }
}

/// Posts the drawn sales as Odoo does, with their returns:
/// - POS sales, as a POS that updates stock at the session's closing (the default): one session per
///   store and day, closed in the evening, whose sales become one picking of the store's "PoS
///   Orders" type (`S01/POS/00042`, origin the session, `POS/00042`) with one move per product; a
///   session still open (today's) has posted nothing yet.
/// - Web orders (`S00042`, one to three lines, a customer): one delivery each of the web shop's
///   "Delivery Orders" type (`WEB/OUT/00042`), shipped two hours to two days later; the latest are
///   still to ship.
/// - Returns: a web return, and 40 % of store returns, go through the return wizard: a picking of the
///   warehouse's Receipts type (the outgoing type's `return_picking_type_id`) with origin `Return of
///   S01/POS/00042`, `return_id` from 17, each move's `origin_returned_move_id`, and the reason as
///   free text in its `note` (Odoo has no return reason). The other store returns are POS refunds: posted
///   with the refund day's session in one picking per store and day, origin the session, no link
///   and no reason (DESIGN §2.4).
fn post_sales(
    store: &mut Store,
    rng: &mut StdRng,
    ctx: &Context,
    drawn: &[Sale],
    deliveries: &[i64],
    receipts: &[i64],
) {
    let user = |rng: &mut StdRng| ctx.users[rng.random_range(0..ctx.users.len())];
    let history_start = (ctx.start - Duration::days(ctx.history_days)).date();
    let is_pos = |site: usize| ctx.network[site].code.starts_with('S');
    // Sessions are numbered in order of opening: one a day per store.
    let session = |day: NaiveDate, site: usize| {
        let days = (day - history_start).num_days().max(0) as usize;
        format!("POS/{:05}", days * ctx.network.len() + site + 1)
    };
    let closing = |rng: &mut StdRng, day: NaiveDate| {
        day.and_time(chrono::NaiveTime::MIN) + Duration::seconds(rng.random_range(72_000..79_200))
    };
    let mut counters = vec![0_usize; ctx.network.len()];
    let mut next_name = |site: usize, kind: &str| {
        counters[site] += 1;
        format!("{}/{kind}/{:05}", ctx.network[site].code, counters[site])
    };
    let customer_count = (100.0 * (drawn.len() as f64 / 4_000.0)).clamp(100.0, 5_000.0) as usize;
    let customers: Vec<i64> = (0..customer_count)
        .map(|n| {
            let at = ctx.start - Duration::days(ctx.history_days + rng.random_range(1..20));
            create(
                store,
                "res.partner",
                json!({"name": format!("Customer {:05}", n + 1), "customer_rank": 1}),
                1,
                at,
            )
        })
        .collect();
    let mut pickings: Vec<SalesPicking> = Vec::new();
    let mut posted: Vec<Option<Posted>> = vec![None; drawn.len()];

    // POS sessions, in order of closing.
    let mut pos: Vec<usize> = (0..drawn.len()).filter(|i| is_pos(drawn[*i].site)).collect();
    pos.sort_by_key(|i| (drawn[*i].at.date(), drawn[*i].site, drawn[*i].product));
    for group in pos.chunk_by(|a, b| (drawn[*a].at.date(), drawn[*a].site) == (drawn[*b].at.date(), drawn[*b].site)) {
        let (day, site) = (drawn[group[0]].at.date(), drawn[group[0]].site);
        let closed_at = closing(rng, day);
        if closed_at >= ctx.start {
            continue;
        }
        let (name, origin, uid) = (next_name(site, "POS"), session(day, site), user(rng));
        let picking = create(
            store,
            "stock.picking",
            json!({"name": name, "origin": origin, "picking_type_id": deliveries[site],
                   "location_id": ctx.network[site].stock, "location_dest_id": ctx.places.customers,
                   "scheduled_date": text(closed_at), "date_done": text(closed_at), "state": "done",
                   "company_id": ctx.network[site].company}),
            uid,
            closed_at,
        );
        for lines in group.chunk_by(|a, b| drawn[*a].product == drawn[*b].product) {
            let product = drawn[lines[0]].product;
            let quantity: f64 = lines.iter().map(|i| drawn[*i].quantity).sum();
            let move_id = stock_move(
                store,
                ctx,
                product,
                quantity,
                ctx.network[site].stock,
                ctx.places.customers,
                closed_at,
                true,
                json!({"picking_id": picking, "picking_type_id": deliveries[site], "origin": origin,
                       "reference": name, "price_unit": store.get("product.product", product, "lst_price").as_f64()}),
                uid,
            );
            for i in lines {
                posted[*i] = Some(Posted {
                    move_id,
                    picking: pickings.len(),
                });
            }
        }
        pickings.push(SalesPicking {
            id: picking,
            name,
            partner: None,
            done_at: closed_at,
        });
    }

    // Web orders, in order of ordering: a few lines each, one delivery each.
    let mut web: Vec<usize> = (0..drawn.len()).filter(|i| !is_pos(drawn[*i].site)).collect();
    web.sort_by_key(|i| drawn[*i].at);
    let mut rest = web.as_slice();
    let mut orders = 0;
    while !rest.is_empty() {
        let size = match rng.random_range(0..100) {
            0..60 => 1,
            60..88 => 2,
            _ => 3,
        };
        let (order, after) = rest.split_at(size.min(rest.len()));
        rest = after;
        orders += 1;
        let first = &drawn[order[0]];
        let (site, ordered_at) = (first.site, first.at);
        let shipped_at = ordered_at + Duration::seconds(rng.random_range(7_200..172_800));
        let done = shipped_at < ctx.start;
        let (name, origin, uid) = (next_name(site, "OUT"), format!("S{orders:05}"), user(rng));
        let partner = customers[rng.random_range(0..customers.len())];
        let picking = create(
            store,
            "stock.picking",
            json!({"name": name, "origin": origin, "partner_id": partner, "picking_type_id": deliveries[site],
                   "location_id": ctx.network[site].stock, "location_dest_id": ctx.places.customers,
                   "scheduled_date": text(ordered_at), "date_done": if done { json!(text(shipped_at)) } else { json!(false) },
                   "state": if done { "done" } else { "assigned" }, "company_id": ctx.network[site].company}),
            uid,
            ordered_at,
        );
        if done {
            written(store, "stock.picking", picking, uid, shipped_at);
        }
        let mut moves: Vec<(i64, i64)> = Vec::with_capacity(order.len());
        for i in order {
            let sale = &drawn[*i];
            let move_id = match moves.iter().find(|(product, _)| *product == sale.product) {
                Some((_, move_id)) => {
                    // The same product twice in an order is one line.
                    let more = store.get("stock.move", *move_id, "product_uom_qty").as_f64() + sale.quantity;
                    for field in ["product_uom_qty", "product_qty", "quantity", "quantity_done"] {
                        if store.get("stock.move", *move_id, field) != Val::Null {
                            store.set_raw("stock.move", *move_id, field, Val::Float(more));
                        }
                    }
                    *move_id
                }
                None => {
                    let move_id = stock_move(
                        store,
                        ctx,
                        sale.product,
                        sale.quantity,
                        ctx.network[site].stock,
                        ctx.places.customers,
                        if done { shipped_at } else { ordered_at },
                        done,
                        json!({"picking_id": picking, "picking_type_id": deliveries[site], "origin": origin,
                               "reference": name, "partner_id": partner,
                               "price_unit": store.get("product.product", sale.product, "lst_price").as_f64()}),
                        uid,
                    );
                    moves.push((sale.product, move_id));
                    move_id
                }
            };
            if done {
                posted[*i] = Some(Posted {
                    move_id,
                    picking: pickings.len(),
                });
            }
        }
        pickings.push(SalesPicking {
            id: picking,
            name,
            partner: Some(partner),
            done_at: shipped_at,
        });
    }

    // Returns: 2–8 % of units by category (apparel, the first categories, highest).
    let mut returns: Vec<Return> = Vec::new();
    let mut by_picking: BTreeMap<usize, usize> = BTreeMap::new();
    let mut by_session: BTreeMap<(NaiveDate, usize), usize> = BTreeMap::new();
    for (sale, posted) in drawn.iter().zip(&posted) {
        let Some(posted) = posted else { continue };
        let category = store
            .get("product.product", sale.product, "categ_id")
            .as_id()
            .unwrap_or(0);
        let rate = if category % 6 < 2 { 0.08 } else { 0.02 };
        if !rng.random_bool(rate) {
            continue;
        }
        let returned_at = pickings[posted.picking].done_at
            + Duration::days(rng.random_range(1..30))
            + Duration::seconds(rng.random_range(-14_400..14_400));
        if returned_at >= ctx.start {
            continue;
        }
        let reason = RETURN_REASONS[rng.random_range(0..RETURN_REASONS.len())];
        let site = sale.site;
        if !is_pos(site) {
            // A web customer sends back what they return from one order together.
            let at = by_picking.entry(posted.picking).or_insert_with(|| {
                returns.push(Return {
                    site,
                    at: returned_at,
                    returned: Ok(posted.picking),
                    reason: Some(reason),
                    lines: Vec::new(),
                });
                returns.len() - 1
            });
            add_line(
                &mut returns[*at].lines,
                sale.product,
                sale.quantity,
                Some(posted.move_id),
            );
        } else if rng.random_bool(0.4) {
            returns.push(Return {
                site,
                at: returned_at,
                returned: Ok(posted.picking),
                reason: Some(reason),
                lines: vec![(sale.product, sale.quantity, Some(posted.move_id))],
            });
        } else {
            // A POS refund, posted with the session of the day it was made.
            let day = returned_at.date();
            let closed_at = closing(rng, day);
            if closed_at >= ctx.start {
                continue;
            }
            let at = by_session.entry((day, site)).or_insert_with(|| {
                returns.push(Return {
                    site,
                    at: closed_at,
                    returned: Err(session(day, site)),
                    reason: None,
                    lines: Vec::new(),
                });
                returns.len() - 1
            });
            add_line(&mut returns[*at].lines, sale.product, sale.quantity, None);
        }
    }
    returns.sort_by_key(|r| r.at);
    for back in &returns {
        let site = back.site;
        let (name, uid) = (next_name(site, "IN"), user(rng));
        let (origin, partner) = match &back.returned {
            Ok(original) => (
                format!("Return of {}", pickings[*original].name),
                pickings[*original].partner,
            ),
            Err(session) => (session.clone(), None),
        };
        let mut vals = json!({"name": name, "origin": origin, "partner_id": partner, "picking_type_id": receipts[site],
            "location_id": ctx.places.customers, "location_dest_id": ctx.network[site].stock,
            "scheduled_date": text(back.at), "date_done": text(back.at), "state": "done",
            "company_id": ctx.network[site].company});
        if let Some(reason) = back.reason {
            vals["note"] = json!(format!("<p>{reason}</p>"));
        }
        if let (Ok(original), true) = (&back.returned, ctx.version >= 17) {
            vals["return_id"] = json!(pickings[*original].id);
        }
        let picking = create(store, "stock.picking", vals, uid, back.at);
        for (product, quantity, returned_move) in &back.lines {
            // A returned move's copy keeps the sale's origin; a refund's is the session.
            let move_origin = match returned_move {
                Some(sold) => store.get("stock.move", *sold, "origin"),
                None => Val::Str(origin.clone()),
            };
            let mut extra = json!({"picking_id": picking, "picking_type_id": receipts[site],
                "origin": move_origin.as_str(), "reference": name, "partner_id": partner,
                "origin_returned_move_id": returned_move});
            if let Some(unlinked) = extra.as_object_mut() {
                unlinked.retain(|_, v| !v.is_null());
            }
            stock_move(
                store,
                ctx,
                *product,
                *quantity,
                ctx.places.customers,
                ctx.network[site].stock,
                back.at,
                true,
                extra,
                uid,
            );
        }
    }
}

/// An amount rounded to the cent.
fn money(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

fn text(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

fn create(store: &mut Store, model: &str, vals: Value, uid: i64, at: NaiveDateTime) -> i64 {
    store
        .create_at(model, &obj(vals), uid, at)
        .unwrap_or_else(|e| panic!("dataset: {model}: {}", e.message))
}

/// A done (or open) move, with the version's quantity fields.
#[allow(clippy::too_many_arguments)]
fn stock_move(
    store: &mut Store,
    ctx: &Context,
    product: i64,
    quantity: f64,
    from: i64,
    to: i64,
    at: NaiveDateTime,
    done: bool,
    extra: Value,
    uid: i64,
) -> i64 {
    let mut vals = json!({
        "product_id": product, "product_uom": ctx.units, "product_uom_qty": quantity, "product_qty": quantity, "location_id": from,
        "location_dest_id": to, "date": text(at), "state": if done { "done" } else { "assigned" },
    });
    if ctx.version <= 16 {
        vals["quantity_done"] = json!(if done { quantity } else { 0.0 });
    } else {
        // An open 17+ move's quantity is what is reserved, not done.
        vals["quantity"] = json!(quantity);
        vals["picked"] = json!(done);
    }
    if let Some(company) = stock::move_company(store, from, to) {
        vals["company_id"] = json!(company);
    }
    if let (Value::Object(vals), Value::Object(extra)) = (&mut vals, extra) {
        vals.extend(extra);
    }
    // A scheduled date may lie ahead; the record was written when it was planned, never in the future.
    let move_id = create(store, "stock.move", vals, uid, at.min(ctx.start));
    if done {
        // Every done move has its move line; a tracked product's names its lot.
        let stock = QuantKey {
            lot: ctx.lots.get(&product).and_then(|lots| lots.first().copied()),
            ..QuantKey::at(product, from)
        };
        stock::done_move_line(store, move_id, &stock, to, quantity, uid, at.min(ctx.start))
            .unwrap_or_else(|e| panic!("dataset: stock.move.line: {}", e.message));
    }
    move_id
}

pub fn generate(store: &mut Store, rng: &mut StdRng, ctx: &Context) {
    let skus = ctx.products.len();
    let scale = (skus as f64 / 2_000.0).max(1.0);
    let day = |rng: &mut StdRng| -> NaiveDateTime {
        // More activity recently: the square root skews days towards the present.
        let back = (rng.random::<f64>().sqrt() * ctx.history_days as f64) as i64;
        ctx.start - Duration::days(ctx.history_days - back) - Duration::seconds(rng.random_range(0..86_400))
    };
    let user = |rng: &mut StdRng| ctx.users[rng.random_range(0..ctx.users.len())];
    let long_tail = |rng: &mut StdRng| ctx.products[((rng.random::<f64>().powi(3)) * skus as f64) as usize % skus];

    // Picking types per site.
    let mut receipts = Vec::new();
    let mut deliveries = Vec::new();
    let mut internals = Vec::new();
    for site in ctx.network {
        let company = site.company;
        receipts.push(create(store, "stock.picking.type", json!({"name": "Receipts", "code": "incoming", "sequence_code": "IN",
            "warehouse_id": site.warehouse, "default_location_src_id": ctx.places.vendors, "default_location_dest_id": site.stock,
            "company_id": company}), 1, ctx.start - Duration::days(ctx.history_days + 30)));
        internals.push(create(
            store,
            "stock.picking.type",
            json!({"name": "Internal Transfers", "code": "internal",
            "sequence_code": "INT", "warehouse_id": site.warehouse, "default_location_src_id": site.stock,
            "default_location_dest_id": site.stock, "company_id": company}),
            1,
            ctx.start - Duration::days(ctx.history_days + 30),
        ));
        let (outgoing, sequence_code) = if site.code.starts_with('S') {
            ("PoS Orders", "POS")
        } else {
            ("Delivery Orders", "OUT")
        };
        // Returns of what goes out come back through the warehouse's receipts.
        deliveries.push(create(
            store,
            "stock.picking.type",
            json!({"name": outgoing, "code": "outgoing",
            "sequence_code": sequence_code, "warehouse_id": site.warehouse, "default_location_src_id": site.stock,
            "default_location_dest_id": ctx.places.customers, "return_picking_type_id": receipts.last(),
            "company_id": company}),
            1,
            ctx.start - Duration::days(ctx.history_days + 30),
        ));
        let types =
            json!({"in_type_id": receipts.last(), "int_type_id": internals.last(), "out_type_id": deliveries.last()});
        store
            .write_at(
                "stock.warehouse",
                &[site.warehouse],
                &obj(types),
                1,
                ctx.start - Duration::days(ctx.history_days + 30),
            )
            .expect("warehouse operation types");
    }

    // Suppliers with their behaviour, and their prices per product.
    // DESIGN §6: 120 suppliers for retail-M, 400 for retail-L.
    let supplier_count = match skus {
        0..=2_000 => 30,
        2_001..=20_000 => 120,
        _ => 400,
    };
    let mut suppliers = Vec::with_capacity(supplier_count);
    for n in 0..supplier_count {
        let at = ctx.start - Duration::days(ctx.history_days + 20);
        let partner = create(
            store,
            "res.partner",
            json!({"name": format!("Supplier {:03}", n + 1), "is_company": true,
            "supplier_rank": 1, "ref": format!("V{:03}", n + 1)}),
            1,
            at,
        );
        suppliers.push(Supplier {
            partner,
            on_time: rng.random_range(0.55..0.98),
            lead_days: rng.random_range(3..21),
            spread_days: rng.random_range(0.5..6.0),
            fill_rate: if n % 8 == 0 { rng.random_range(0.85..0.95) } else { 1.0 },
        });
    }
    let prices = price_list(store, rng, ctx, &suppliers);

    // Purchase orders to the regional warehouses, with receipts.
    let regional: Vec<usize> = (0..ctx.network.len())
        .filter(|i| ctx.network[*i].code.starts_with("RW"))
        .collect();
    let orders = (200.0 * scale) as usize;
    /// A purchase line before it is written.
    struct Planned {
        product: i64,
        unit: i64,
        per: f64,
        quantity: f64,
        price: f64,
        promised: NaiveDateTime,
    }
    for n in 0..orders {
        let s = rng.random_range(0..suppliers.len());
        let supplier = &suppliers[s];
        let site = regional[rng.random_range(0..regional.len())];
        let ordered_at = day(rng);
        // Lines of what this supplier sells, at its price and delay valid on the order date.
        let catalogue = &prices.catalogue[s];
        let mut lines = Vec::new();
        for _ in 0..rng.random_range(3..8) {
            let Some(&product_index) = catalogue.get(rng.random_range(0..catalogue.len().max(1))) else {
                continue;
            };
            let Some(offer) = prices.valid(product_index, s, ordered_at.date()) else {
                continue;
            };
            // Ordered in the purchase unit (boxes for some products).
            let (unit, per) = purchase_unit(ctx, product_index);
            let quantity = if per > 1.0 {
                rng.random_range(1..(120.0 / per) as i64) as f64
            } else {
                (rng.random_range(1..20) * 6) as f64
            };
            lines.push(Planned {
                product: ctx.products[product_index],
                unit,
                per,
                quantity,
                price: offer.price,
                promised: ordered_at + Duration::days(offer.delay),
            });
        }
        let (Some(first_promise), Some(last_promise)) = (
            lines.iter().map(|l| l.promised).min(),
            lines.iter().map(|l| l.promised).max(),
        ) else {
            continue;
        };
        let age_days = (ctx.start - ordered_at).num_days();
        let (state, received) = match rng.random_range(0..100) {
            0..=3 => ("draft", false),
            4..=5 => ("cancel", false),
            _ if age_days < (last_promise - ordered_at).num_days() + 3 => ("purchase", false),
            _ => ("purchase", true),
        };
        let buyer = user(rng);
        let order = create(
            store,
            "purchase.order",
            json!({"name": format!("P{:05}", n + 1), "partner_id": supplier.partner,
            "company_id": ctx.network[site].company, "currency_id": 1, "user_id": buyer, "date_order": text(ordered_at),
            "date_approve": if state == "purchase" { json!(text(ordered_at)) } else { json!(false) },
            "date_planned": text(first_promise), "state": state}),
            buyer,
            ordered_at,
        );
        let late_days = if rng.random_bool(supplier.on_time) {
            -(rng.random_range(0.0..1.5) as i64)
        } else {
            1 + (rng.random::<f64>() * supplier.spread_days * 2.0) as i64
        };
        // One receipt for the whole order, when its last promised line was due (or later).
        let arrival = last_promise + Duration::days(late_days);
        let received = received && arrival < ctx.start;
        // Promises that move after ordering: the supplier confirms another date, or (more often when
        // it will be late) announces a delay, before the goods come. The line keeps the last date.
        let replans: Vec<Option<(NaiveDateTime, NaiveDateTime)>> = lines
            .iter()
            .map(|line| {
                let share = if late_days > 0 {
                    REPLANNED_WHEN_LATE
                } else {
                    REPLANNED_WHEN_ON_TIME
                };
                if state != "purchase" || !rng.random_bool(share) {
                    return None;
                }
                let moved_to = if late_days > 0 {
                    arrival - Duration::days(rng.random_range(0..=late_days / 2))
                } else {
                    line.promised + Duration::days([-2, -1, 1, 2, 3][rng.random_range(0..5)])
                };
                let window = (line.promised.min(arrival) - ordered_at).num_seconds().max(7_200);
                let told_at = (ordered_at + Duration::seconds(rng.random_range(3_600..window))).min(ctx.start);
                (told_at > ordered_at).then_some((moved_to, told_at))
            })
            .collect();
        let planned = |i: usize| replans[i].map_or(lines[i].promised, |(moved_to, _)| moved_to);
        let last_told = replans.iter().flatten().map(|(_, told_at)| *told_at).max();
        let first_deadline = (0..lines.len()).map(planned).min().unwrap_or(first_promise);
        // Pickings, lines and the order are created when ordering and last written when the goods came
        // (or when a promise last moved).
        let settled = if received { arrival } else { ordered_at }.max(last_told.unwrap_or(ordered_at));
        let picking = (state == "purchase").then(|| {
            let picking = create(store, "stock.picking", json!({"name": format!("{}/IN/{:05}", ctx.network[site].code, n + 1),
                "origin": format!("P{:05}", n + 1), "partner_id": supplier.partner, "picking_type_id": receipts[site],
                "location_id": ctx.places.vendors, "location_dest_id": ctx.network[site].stock,
                "scheduled_date": text(first_promise), "date_deadline": text(first_deadline),
                "state": if received { "done" } else { "assigned" }, "date_done": if received { json!(text(arrival)) } else { json!(false) },
                "purchase_id": order, "company_id": ctx.network[site].company}), buyer, ordered_at);
            written(store, "stock.picking", picking, buyer, settled);
            picking
        });
        let mut total = 0.0;
        let mut all_full = true;
        for (i, line) in lines.iter().enumerate() {
            let got = if received {
                (line.quantity * supplier.fill_rate).floor()
            } else {
                0.0
            };
            all_full &= got >= line.quantity;
            total += line.quantity * line.price;
            let mut vals = json!({"order_id": order, "product_id": line.product,
                "name": store.get("product.product", line.product, "name").as_str().unwrap_or_default(),
                "product_qty": line.quantity, "product_uom_qty": line.quantity * line.per, "qty_received": got,
                "qty_received_method": "stock_moves", "price_unit": line.price,
                "price_subtotal": money(line.quantity * line.price), "date_planned": text(planned(i)),
                "partner_id": supplier.partner, "currency_id": 1, "company_id": ctx.network[site].company});
            vals[if ctx.version <= 18 {
                "product_uom"
            } else {
                "product_uom_id"
            }] = json!(line.unit);
            let line_id = create(store, "purchase.order.line", vals, buyer, ordered_at);
            let told_at = replans[i].map(|(_, told_at)| told_at);
            let line_written = if received { Some(arrival) } else { None }.max(told_at);
            if let Some(at) = line_written {
                written(store, "purchase.order.line", line_id, buyer, at);
            }
            // The receipt moves the product's units, at the unit's price; a moved promise moves its
            // open move's deadline (purchase_stock's `_update_move_date_deadline`), not its date.
            if let Some(picking) = picking {
                stock_move(
                    store,
                    ctx,
                    line.product,
                    if received { got } else { line.quantity } * line.per,
                    ctx.places.vendors,
                    ctx.network[site].stock,
                    if received { arrival } else { line.promised },
                    received,
                    json!({"picking_id": picking, "picking_type_id": receipts[site], "purchase_line_id": line_id,
                           "origin": format!("P{:05}", n + 1), "partner_id": supplier.partner,
                           "price_unit": line.price / line.per, "date_deadline": text(planned(i)),
                           "reference": format!("{}/IN/{:05}", ctx.network[site].code, n + 1)}),
                    buyer,
                );
            }
        }
        let receipt_status = match (state, received, all_full) {
            ("purchase", true, true) => json!("full"),
            ("purchase", true, false) => json!("partial"),
            ("purchase", false, _) => json!("pending"),
            _ => json!(false),
        };
        let mut done = Map::new();
        done.insert("amount_total".into(), json!(money(total)));
        done.insert("amount_untaxed".into(), json!(money(total)));
        done.insert("receipt_status".into(), receipt_status);
        // Odoo's computed date_planned: the earliest of the lines'.
        done.insert("date_planned".into(), json!(text(first_deadline)));
        if received {
            done.insert("effective_date".into(), json!(text(arrival)));
        }
        store
            .write_at("purchase.order", &[order], &done, buyer, settled)
            .expect("order totals");
    }

    // Replenishment transfers from the regional warehouses to the stores and the web shop (the
    // companies' own sites only; open ones still under way).
    for n in 0..(300.0 * scale) as usize {
        let from = regional[rng.random_range(0..regional.len())];
        let to = rng.random_range(0..ctx.network.len());
        if ctx.network[to].code.starts_with("RW") || ctx.network[to].company != ctx.network[from].company {
            continue;
        }
        let at = day(rng);
        let done = (ctx.start - at).num_days() > 2;
        let uid = user(rng);
        let name = format!("{}/INT/{:05}", ctx.network[from].code, n + 1);
        let picking = create(
            store,
            "stock.picking",
            json!({"name": name, "origin": format!("Replenishment {}", ctx.network[to].code),
            "picking_type_id": internals[from], "location_id": ctx.network[from].stock, "location_dest_id": ctx.network[to].stock,
            "scheduled_date": text(at), "state": if done { "done" } else { "assigned" },
            "date_done": if done { json!(text(at)) } else { json!(false) }, "company_id": ctx.network[from].company}),
            uid,
            at,
        );
        for _ in 0..rng.random_range(2..6) {
            let product = long_tail(rng);
            stock_move(
                store,
                ctx,
                product,
                rng.random_range(2..24) as f64,
                ctx.network[from].stock,
                ctx.network[to].stock,
                at,
                done,
                json!({"picking_id": picking, "picking_type_id": internals[from], "reference": name}),
                uid,
            );
        }
    }

    // Sales (POS in stores, web orders) and customer returns with reasons, posted as Odoo posts them.
    let sales = (5_000.0 * scale) as usize;
    let mut drawn = Vec::with_capacity(sales);
    for _ in 0..sales {
        let site = rng.random_range(0..ctx.network.len());
        if ctx.network[site].code.starts_with("RW") {
            continue;
        }
        drawn.push(Sale {
            site,
            product: long_tail(rng),
            at: day(rng),
            quantity: rng.random_range(1..4) as f64,
        });
    }
    post_sales(store, rng, ctx, &drawn, &deliveries, &receipts);

    // Scraps, with reason tags from 18.
    let tags: Vec<i64> = if ctx.version >= 18 {
        ["Damaged", "Expired", "Defective", "Theft / loss"]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                create(
                    store,
                    "stock.scrap.reason.tag",
                    json!({"name": name, "sequence": i}),
                    1,
                    ctx.start - Duration::days(ctx.history_days),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    for n in 0..(40.0 * scale) as usize {
        let site = rng.random_range(0..ctx.network.len());
        let product = ctx.products[rng.random_range(0..skus)];
        let quantity = if n % 25 == 0 {
            rng.random_range(20..60) as f64
        } else {
            rng.random_range(1..4) as f64
        };
        let at = day(rng);
        let uid = user(rng);
        let name = format!("SP/{:05}", n + 1);
        let mut vals = json!({"name": name, "product_id": product, "product_uom_id": 1, "scrap_qty": quantity,
            "location_id": ctx.network[site].stock, "scrap_location_id": ctx.places.scrap(ctx.network[site].company), "state": "done",
            "date_done": text(at), "company_id": ctx.network[site].company});
        if !tags.is_empty() {
            vals["scrap_reason_tag_ids"] = json!([tags[rng.random_range(0..tags.len())]]);
        }
        let scrap = create(store, "stock.scrap", vals, uid, at);
        let mut extra = json!({"reference": name, "origin": name});
        if ctx.version <= 18 {
            extra["scrapped"] = json!(true);
        }
        if ctx.version >= 17 {
            extra["scrap_id"] = json!(scrap);
        }
        let move_id = stock_move(
            store,
            ctx,
            product,
            quantity,
            ctx.network[site].stock,
            ctx.places.scrap(ctx.network[site].company),
            at,
            true,
            extra,
            uid,
        );
        let link = if ctx.version <= 16 {
            json!({"move_id": move_id})
        } else {
            json!({"move_ids": [move_id]})
        };
        store
            .write_at("stock.scrap", &[scrap], &obj(link), uid, at)
            .expect("scrap move");
    }

    // Inventory adjustments: mostly small either way; two store × category pairs that keep losing
    // (shrink); one user who adjusts just under a round value threshold.
    let stores: Vec<usize> = (0..ctx.network.len())
        .filter(|i| ctx.network[*i].code.starts_with('S'))
        .collect();
    for n in 0..(150.0 * scale) as usize {
        let site = if n % 5 == 0 {
            stores[0]
        } else {
            rng.random_range(0..ctx.network.len())
        };
        let product = if n % 5 == 0 {
            ctx.products[(rng.random_range(0..skus / 12) * 12) % skus] // one category, repeatedly
        } else {
            ctx.products[rng.random_range(0..skus)]
        };
        let at = day(rng);
        let (uid, delta) = if n % 7 == 0 {
            // Just under a 500 value threshold.
            let cost = store
                .get("product.product", product, "standard_price")
                .as_f64()
                .max(1.0);
            (ctx.users[1], -((495.0 / cost).floor().max(1.0)))
        } else if n % 5 == 0 {
            (user(rng), -(rng.random_range(1..4) as f64))
        } else {
            (user(rng), rng.random_range(-3..4) as f64)
        };
        if delta == 0.0 {
            continue;
        }
        let (from, to) = if delta > 0.0 {
            (ctx.places.loss(ctx.network[site].company), ctx.network[site].stock)
        } else {
            (ctx.network[site].stock, ctx.places.loss(ctx.network[site].company))
        };
        let name = "Product Quantity Updated";
        let mut extra = json!({"is_inventory": true, "reference": name});
        if ctx.version <= 18 {
            extra["name"] = json!(name);
        } else {
            extra["inventory_name"] = json!(name);
        }
        stock_move(store, ctx, product, delta.abs(), from, to, at, true, extra, uid);
    }
    // Counts entered in Odoo but not applied.
    let quants = store.ids("stock.quant");
    for quant in quants.iter().step_by(97) {
        let on_hand = store.get("stock.quant", *quant, "quantity").as_f64();
        let counted = (on_hand + rng.random_range(-3..3) as f64).max(0.0);
        let at = ctx.start - Duration::days(rng.random_range(0..5));
        let vals = json!({"inventory_quantity": counted, "inventory_quantity_set": true, "user_id": user(rng),
                          "inventory_date": at.format("%Y-%m-%d").to_string()});
        store
            .write_at("stock.quant", &[*quant], &obj(vals), user(rng), at)
            .expect("count");
    }

    // Reorder rules for a fifth of the SKUs at every store.
    for site in ctx.network.iter().filter(|s| s.code.starts_with('S')) {
        for product in ctx.products.iter().step_by(5) {
            let min = rng.random_range(2..10) as f64;
            create(
                store,
                "stock.warehouse.orderpoint",
                json!({"name": format!("OP/{}/{}", site.code, product),
                "trigger": "auto", "warehouse_id": site.warehouse, "location_id": site.stock, "product_id": product,
                "product_min_qty": min, "product_max_qty": min * 3.0, "company_id": site.company}),
                1,
                ctx.start - Duration::days(rng.random_range(30..ctx.history_days)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::OnceLock;

    use chrono::{Duration, NaiveDate, NaiveDateTime};

    use super::super::dataset::{self, Dataset};
    use super::super::schema::Schema;
    use super::super::store::{Store, Val, now};

    /// retail-S as each version generates it, once per test run.
    fn generated(version: u8) -> &'static Store {
        static STORES: [OnceLock<Store>; 4] = [const { OnceLock::new() }; 4];
        STORES[usize::from(version - 16)].get_or_init(|| {
            let mut store = Store::new(Schema::for_version(version));
            dataset::generate(&mut store, Dataset::RetailS, 1, now(), "bot@north-retail.example");
            store
        })
    }

    fn id(store: &Store, model: &str, record: i64, field: &str) -> Option<i64> {
        store.get(model, record, field).as_id()
    }

    fn ids(store: &Store, model: &str, record: i64, field: &str) -> Vec<i64> {
        match store.get(model, record, field) {
            Val::Ids(ids) => ids,
            _ => Vec::new(),
        }
    }

    fn date(store: &Store, model: &str, record: i64, field: &str) -> Option<NaiveDate> {
        match store.get(model, record, field) {
            Val::Date(day) => Some(day),
            _ => None,
        }
    }

    fn datetime(store: &Store, model: &str, record: i64, field: &str) -> Option<NaiveDateTime> {
        match store.get(model, record, field) {
            Val::DateTime(at) => Some(at),
            _ => None,
        }
    }

    #[test]
    fn the_same_seed_generates_the_same_records() {
        let start = now();
        let records = || {
            let mut store = Store::new(Schema::for_version(17));
            dataset::generate(&mut store, Dataset::RetailS, 7, start, "bot@north-retail.example");
            let models: Vec<&str> = store.schema.model_names().collect();
            models
                .into_iter()
                .map(|model| (model, store.read(model, &store.ids(model), &[], false).unwrap()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(records() == records());
    }

    #[test]
    fn sales_and_returns_are_pickings_as_odoo_posts_them() {
        for version in [16, 17] {
            let store = generated(version);
            let usage = |location: Option<i64>| store.get("stock.location", location.unwrap(), "usage");
            let name = |picking: i64| store.get("stock.picking", picking, "name");
            let (mut sold, mut returned, mut linked, mut refunds) = (0.0, 0.0, 0, 0);
            let mut lines_per_picking: BTreeMap<i64, usize> = BTreeMap::new();
            for sale_or_return in store.ids("stock.move") {
                let field = |f: &str| store.get("stock.move", sale_or_return, f);
                let (from, to) = (
                    usage(field("location_id").as_id()),
                    usage(field("location_dest_id").as_id()),
                );
                let (internal, customer) = (Val::Str("internal".into()), Val::Str("customer".into()));
                let outgoing = from == internal && to == customer;
                if field("state").as_str() != Some("done") || !(outgoing || (from == customer && to == internal)) {
                    continue;
                }
                // Every customer move is in a picking, and agrees with it.
                let picking = field("picking_id")
                    .as_id()
                    .unwrap_or_else(|| panic!("Odoo {version}: move {sale_or_return} has no picking"));
                let of_picking = |f: &str| store.get("stock.picking", picking, f);
                assert_eq!(of_picking("state").as_str(), Some("done"));
                assert_eq!(
                    of_picking("date_done"),
                    field("date"),
                    "Odoo {version}: move {sale_or_return}"
                );
                assert_eq!(of_picking("name"), field("reference"));
                assert_eq!(of_picking("picking_type_id"), field("picking_type_id"));
                assert_eq!(of_picking("company_id"), field("company_id"));
                assert_eq!(of_picking("partner_id"), field("partner_id"));
                assert_eq!(of_picking("location_id"), field("location_id"));
                assert!(ids(store, "stock.picking", picking, "move_ids").contains(&sale_or_return));
                let quantity = field("product_uom_qty").as_f64();
                if outgoing {
                    assert_eq!(of_picking("picking_type_code").as_str(), Some("outgoing"));
                    *lines_per_picking.entry(picking).or_default() += 1;
                    sold += quantity;
                    continue;
                }
                returned += quantity;
                assert_eq!(of_picking("picking_type_code").as_str(), Some("incoming"));
                match field("origin_returned_move_id").as_id() {
                    Some(sale) => {
                        // The return wizard's picking: "Return of <delivery>", with a reason in its note.
                        let original = id(store, "stock.move", sale, "picking_id").unwrap();
                        let expected = format!("Return of {}", name(original).as_str().unwrap());
                        assert_eq!(of_picking("origin").as_str(), Some(expected.as_str()));
                        let expected_link = if version >= 17 { Val::Int(original) } else { Val::Null };
                        assert_eq!(
                            of_picking("return_id"),
                            expected_link,
                            "Odoo {version}: picking {picking}"
                        );
                        assert!(of_picking("note").as_str().is_some_and(|note| note.len() > 7));
                        assert!(quantity <= store.get("stock.move", sale, "product_uom_qty").as_f64());
                        linked += 1;
                    }
                    None => {
                        // A POS refund: posted with its session, without a link.
                        assert!(of_picking("origin").as_str().is_some_and(|o| o.starts_with("POS/")));
                        assert_eq!(of_picking("return_id"), Val::Null);
                        refunds += 1;
                    }
                }
            }
            let pos_sessions: Vec<i64> = lines_per_picking
                .keys()
                .copied()
                .filter(|p| {
                    store
                        .get("stock.picking", *p, "origin")
                        .as_str()
                        .is_some_and(|o| o.starts_with("POS/"))
                })
                .collect();
            let web_orders = lines_per_picking.len() - pos_sessions.len();
            let multi_line = pos_sessions.iter().filter(|p| lines_per_picking[*p] > 1).count();
            assert!(
                multi_line > 50 && web_orders > 100,
                "Odoo {version}: {multi_line} POS pickings of several lines, {web_orders} web"
            );
            assert!(
                linked > 20 && refunds > 20,
                "Odoo {version}: {linked} linked returns, {refunds} refunds"
            );
            let rate = returned / sold;
            assert!((0.02..0.08).contains(&rate), "Odoo {version}: {rate} of units returned");
        }
    }

    #[test]
    fn some_promised_dates_move_after_ordering_and_late_suppliers_slip() {
        for version in [16, 19] {
            let store = generated(version);
            let mut rows: BTreeMap<(i64, i64), Vec<i64>> = BTreeMap::new();
            for row in store.ids("product.supplierinfo") {
                let key = (
                    id(store, "product.supplierinfo", row, "partner_id").unwrap(),
                    id(store, "product.supplierinfo", row, "product_id").unwrap(),
                );
                rows.entry(key).or_default().push(row);
            }
            // lines, moved lines: of orders received late, of the others
            let (mut late, mut late_moved, mut others, mut others_moved) = (0, 0, 0, 0);
            for order in store.ids("purchase.order") {
                let lines = ids(store, "purchase.order", order, "order_line");
                let planned = |line: i64| datetime(store, "purchase.order.line", line, "date_planned").unwrap();
                // The order's date_planned is Odoo's computed one: the earliest of its lines'.
                assert_eq!(
                    datetime(store, "purchase.order", order, "date_planned"),
                    lines.iter().map(|l| planned(*l)).min(),
                    "Odoo {version}: order {order}"
                );
                if store.get("purchase.order", order, "state").as_str() != Some("purchase") {
                    continue;
                }
                // First promises: the order date plus the delay of the supplier's row valid then.
                let partner = id(store, "purchase.order", order, "partner_id").unwrap();
                let ordered_at = datetime(store, "purchase.order", order, "date_order").unwrap();
                let first_promise = |line: i64| {
                    let product = id(store, "purchase.order.line", line, "product_id").unwrap();
                    let row = rows[&(partner, product)]
                        .iter()
                        .copied()
                        .find(|row| {
                            date(store, "product.supplierinfo", *row, "date_start")
                                .is_none_or(|d| d <= ordered_at.date())
                                && date(store, "product.supplierinfo", *row, "date_end")
                                    .is_none_or(|d| ordered_at.date() <= d)
                        })
                        .unwrap();
                    ordered_at + Duration::days(store.get("product.supplierinfo", row, "delay").as_id().unwrap())
                };
                let receipt = ids(store, "purchase.order.line", lines[0], "move_ids")
                    .first()
                    .and_then(|m| id(store, "stock.move", *m, "picking_id"))
                    .unwrap();
                let arrived = datetime(store, "stock.picking", receipt, "date_done");
                let due = lines.iter().map(|l| first_promise(*l)).max().unwrap();
                let came_late = arrived.is_some_and(|at| at > due);
                for line in &lines {
                    let moved = planned(*line) != first_promise(*line);
                    if moved {
                        // A moved promise is an edit after ordering, and the receipt's deadline followed it.
                        assert!(
                            datetime(store, "purchase.order.line", *line, "write_date")
                                > datetime(store, "purchase.order.line", *line, "create_date"),
                            "Odoo {version}: line {line}"
                        );
                        for receipt_move in ids(store, "purchase.order.line", *line, "move_ids") {
                            assert_eq!(
                                datetime(store, "stock.move", receipt_move, "date_deadline"),
                                Some(planned(*line))
                            );
                        }
                    }
                    if came_late {
                        late += 1;
                        if moved {
                            // A late supplier announced a later date, no later than the goods came.
                            assert!(planned(*line) > first_promise(*line), "Odoo {version}: line {line}");
                            assert!(Some(planned(*line)) <= arrived, "Odoo {version}: line {line}");
                            late_moved += 1;
                        }
                    } else {
                        others += 1;
                        others_moved += usize::from(moved);
                    }
                }
            }
            let share = (late_moved + others_moved) as f64 / (late + others) as f64;
            assert!(
                (0.12..0.30).contains(&share),
                "Odoo {version}: {share} of promises moved"
            );
            assert!(
                late_moved as f64 / late as f64 > 2.0 * others_moved as f64 / others as f64,
                "Odoo {version}: late {late_moved}/{late}, others {others_moved}/{others}"
            );
        }
    }

    #[test]
    fn supplier_prices_rise_in_periods_and_purchase_lines_pay_the_price_of_their_order_date() {
        for version in [16, 19] {
            let store = generated(version);
            let info = |row: i64, field: &str| store.get("product.supplierinfo", row, field);
            let mut rows: BTreeMap<(i64, i64), Vec<i64>> = BTreeMap::new();
            let mut partners: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
            for row in store.ids("product.supplierinfo") {
                let (partner, product) = (
                    info(row, "partner_id").as_id().unwrap(),
                    info(row, "product_id").as_id().unwrap(),
                );
                rows.entry((partner, product)).or_default().push(row);
                partners.entry(product).or_default().insert(partner);
            }
            // Periods follow each other without a gap, each dearer than the one before, and a period
            // was closed (written) when the next was entered.
            let mut rising = 0;
            for periods in rows.values_mut().filter(|periods| periods.len() > 1) {
                periods.sort_by_key(|row| date(store, "product.supplierinfo", *row, "date_start"));
                let first = periods[0];
                let last = periods[periods.len() - 1];
                assert_eq!(date(store, "product.supplierinfo", first, "date_start"), None);
                assert_eq!(date(store, "product.supplierinfo", last, "date_end"), None);
                for pair in periods.windows(2) {
                    let end = date(store, "product.supplierinfo", pair[0], "date_end").unwrap();
                    let next = date(store, "product.supplierinfo", pair[1], "date_start").unwrap();
                    assert_eq!(end + Duration::days(1), next, "Odoo {version}: rows {pair:?}");
                    let rise = info(pair[1], "price").as_f64() / info(pair[0], "price").as_f64();
                    assert!(
                        (1.01..1.07).contains(&rise),
                        "Odoo {version}: rows {pair:?} rise {rise}"
                    );
                    assert_eq!(
                        datetime(store, "product.supplierinfo", pair[0], "write_date"),
                        datetime(store, "product.supplierinfo", pair[1], "create_date"),
                    );
                }
                rising += 1;
            }
            assert!(rising > 300, "Odoo {version}: {rising} products with rising prices");
            // Some products have a second supplier, at another price and delay.
            let mut second_sources = 0;
            for (product, sellers) in partners.iter().filter(|(_, sellers)| sellers.len() == 2) {
                let today: Vec<(i64, i64)> = sellers
                    .iter()
                    .map(|partner| {
                        let open = rows[&(*partner, *product)]
                            .iter()
                            .copied()
                            .find(|row| date(store, "product.supplierinfo", *row, "date_end").is_none())
                            .unwrap();
                        (
                            info(open, "sequence").as_id().unwrap(),
                            info(open, "delay").as_id().unwrap(),
                        )
                    })
                    .collect();
                assert_ne!(today[0].1, today[1].1, "Odoo {version}: product {product}");
                assert_eq!(today.iter().filter(|(sequence, _)| *sequence == 2).count(), 1);
                second_sources += 1;
            }
            assert!(second_sources > 100, "Odoo {version}: {second_sources}");

            // Every purchase line pays its supplier's price valid on the order date.
            let (mut in_a_period, mut from_a_second_source) = (0, 0);
            for line in store.ids("purchase.order.line") {
                let order = id(store, "purchase.order.line", line, "order_id").unwrap();
                let partner = id(store, "purchase.order", order, "partner_id").unwrap();
                let product = id(store, "purchase.order.line", line, "product_id").unwrap();
                let day = datetime(store, "purchase.order", order, "date_order").unwrap().date();
                let valid: Vec<i64> = rows[&(partner, product)]
                    .iter()
                    .copied()
                    .filter(|row| {
                        date(store, "product.supplierinfo", *row, "date_start").is_none_or(|from| from <= day)
                            && date(store, "product.supplierinfo", *row, "date_end").is_none_or(|until| day <= until)
                    })
                    .collect();
                assert_eq!(valid.len(), 1, "Odoo {version}: line {line}");
                let price = store.get("purchase.order.line", line, "price_unit").as_f64();
                assert_eq!(price, info(valid[0], "price").as_f64(), "Odoo {version}: line {line}");
                in_a_period += usize::from(rows[&(partner, product)].len() > 1);
                from_a_second_source += usize::from(info(valid[0], "sequence").as_id() == Some(2));
            }
            assert!(
                in_a_period > 50 && from_a_second_source > 10,
                "Odoo {version}: {in_a_period}, {from_a_second_source}"
            );
        }
    }

    #[test]
    fn products_bought_by_the_box_are_ordered_in_boxes_and_received_in_units() {
        for version in [18, 19] {
            let store = generated(version);
            let line_unit = if version <= 18 { "product_uom" } else { "product_uom_id" };
            let (mut in_boxes, mut in_units) = (0, 0);
            for line in store.ids("purchase.order.line") {
                let product = id(store, "purchase.order.line", line, "product_id").unwrap();
                let template = id(store, "product.product", product, "product_tmpl_id").unwrap();
                // The box the product is bought by: 18's purchase unit, 19's packaging.
                let bought_by = if version <= 18 {
                    id(store, "product.template", template, "uom_po_id").filter(|u| *u != 1)
                } else {
                    match store.get("product.template", template, "uom_ids") {
                        Val::Ids(units) => units.first().copied(),
                        _ => None,
                    }
                };
                let unit = id(store, "purchase.order.line", line, line_unit);
                let ordered = store.get("purchase.order.line", line, "product_qty").as_f64();
                let in_product_unit = store.get("purchase.order.line", line, "product_uom_qty").as_f64();
                match bought_by {
                    Some(carton) => {
                        in_boxes += 1;
                        assert_eq!(unit, Some(carton), "Odoo {version}: line {line}");
                        let per = if version <= 18 {
                            1.0 / store.get("uom.uom", carton, "factor").as_f64()
                        } else {
                            store.get("uom.uom", carton, "relative_factor").as_f64()
                        };
                        assert!(per == 6.0 || per == 12.0, "Odoo {version}: {per}");
                        assert_eq!(in_product_unit, ordered * per, "Odoo {version}: line {line}");
                        // The receipt moves units: a box's worth for each box.
                        for receipt in ids(store, "purchase.order.line", line, "move_ids") {
                            let moved = store.get("stock.move", receipt, "product_uom_qty").as_f64();
                            assert_eq!(moved % per, 0.0, "Odoo {version}: move {receipt}");
                            assert_eq!(id(store, "stock.move", receipt, "product_uom"), Some(1));
                        }
                    }
                    None => {
                        in_units += 1;
                        assert_eq!(unit, Some(1), "Odoo {version}: line {line}");
                        assert_eq!(in_product_unit, ordered, "Odoo {version}: line {line}");
                    }
                }
            }
            assert!(
                in_boxes > 20 && in_units > in_boxes,
                "Odoo {version}: {in_boxes} in boxes, {in_units} in units"
            );
        }
        // 19's factor is the absolute quantity: a box of 6 holds 6 units.
        let store = generated(19);
        let box_of_6 = store
            .ids("uom.uom")
            .into_iter()
            .find(|u| store.get("uom.uom", *u, "name").as_str() == Some("Box of 6"))
            .unwrap();
        assert_eq!(store.get("uom.uom", box_of_6, "factor").as_f64(), 6.0);
    }
}
