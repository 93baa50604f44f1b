//! The stock figures of DESIGN §2.8, defined once: on hand, reserved, available, incoming, outgoing,
//! forecast, status, days of cover, available-to-sell per channel and stock value, for one product in
//! one location group. Quantities arrive in the product's unit, as the sync stores them: a move's
//! remaining quantity already follows its Odoo version (16's `quantity_done`, 17+'s `quantity` once
//! picked) and its unit (a receipt in boxes) — `odoo::records::Move::remaining_quantity`, tested there —
//! and is mirrored as `quantity_remaining_product_uom`.
//!
//! These functions are the reference: the stock screens' SQL and roll-ups are tested against them.

use std::collections::{HashMap, HashSet};

/// An Odoo location id.
pub type LocationId = i64;

/// What the figures need of a location: its parent and whether it holds the tenant's own stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub id: LocationId,
    pub parent: Option<LocationId>,
    /// Usage `internal`: stock the tenant holds (views, vendors, customers, transit are not).
    pub internal: bool,
}

/// The location tree, for `child_of` membership.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    by_id: HashMap<LocationId, Location>,
}

impl Locations {
    pub fn new(locations: impl IntoIterator<Item = Location>) -> Self {
        Self {
            by_id: locations.into_iter().map(|l| (l.id, l)).collect(),
        }
    }

    /// Whether `location` is one of `roots` or below one of them. A parent loop (which Odoo forbids,
    /// but data can hold) ends the walk.
    pub fn within(&self, location: LocationId, roots: &HashSet<LocationId>) -> bool {
        let mut seen = HashSet::new();
        let mut current = Some(location);
        while let Some(id) = current {
            if roots.contains(&id) {
                return true;
            }
            if !seen.insert(id) {
                return false;
            }
            current = self.by_id.get(&id).and_then(|l| l.parent);
        }
        false
    }

    pub fn is_internal(&self, location: LocationId) -> bool {
        self.by_id.get(&location).is_some_and(|l| l.internal)
    }
}

/// A location group (a store, a warehouse, a region): its locations and everything below them.
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub roots: HashSet<LocationId>,
}

impl Group {
    pub fn of(roots: impl IntoIterator<Item = LocationId>) -> Self {
        Self {
            roots: roots.into_iter().collect(),
        }
    }
}

/// A quant of the product (`stock.quant`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quant {
    pub location: LocationId,
    pub quantity: f64,
    pub reserved: f64,
    /// `owner_id` set: consigned stock, shown apart.
    pub consigned: bool,
    pub company: Option<i64>,
}

/// A move of the product (`stock.move`) that is neither done nor cancelled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenMove {
    pub from: LocationId,
    pub to: LocationId,
    /// What is still to move, in the product's unit.
    pub remaining: f64,
}

/// One product's position in one group.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Position {
    pub on_hand: f64,
    pub reserved: f64,
    pub available: f64,
    pub incoming: f64,
    pub outgoing: f64,
    pub forecast: f64,
    /// Consigned stock in the group (owned by someone else): in none of the figures above.
    pub consigned: f64,
}

/// The position of a product in `group` from its quants and open moves: quants in the group's internal
/// locations (negative ones included, so that a negative total shows); moves into the group from
/// outside it are incoming, moves out of it outgoing, moves within it neither.
pub fn position(locations: &Locations, group: &Group, quants: &[Quant], moves: &[OpenMove]) -> Position {
    let inside = |location| locations.within(location, &group.roots);
    let mut p = Position::default();
    for q in quants
        .iter()
        .filter(|q| inside(q.location) && locations.is_internal(q.location))
    {
        if q.consigned {
            p.consigned += q.quantity;
        } else {
            p.on_hand += q.quantity;
            p.reserved += q.reserved;
        }
    }
    for m in moves {
        match (inside(m.from), inside(m.to)) {
            (false, true) => p.incoming += m.remaining,
            (true, false) => p.outgoing += m.remaining,
            _ => {}
        }
    }
    p.available = p.on_hand - p.reserved;
    p.forecast = p.on_hand + p.incoming - p.outgoing;
    p
}

/// A product's status in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Negative,
    Out,
    Low,
    Overstock,
    Ok,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Negative,
        Status::Out,
        Status::Low,
        Status::Overstock,
        Status::Ok,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Negative => "negative",
            Status::Out => "out",
            Status::Low => "low",
            Status::Overstock => "overstock",
            Status::Ok => "ok",
        }
    }
}

/// A reorder rule's bounds for the group (`stock.warehouse.orderpoint` min and max).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReorderRule {
    pub min: f64,
    pub max: f64,
}

/// The tenant's bounds for products without a reorder rule, in days of cover.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverBounds {
    pub low_below_days: f64,
    pub overstock_above_days: f64,
}

/// The status of DESIGN §2.8, in its order of precedence: negative, out, low, overstock, ok. Without a
/// rule, days of cover decide (no sales in the window: never low, never overstock by cover).
pub fn status(p: &Position, rule: Option<ReorderRule>, cover: Option<f64>, bounds: CoverBounds) -> Status {
    if p.on_hand < 0.0 {
        return Status::Negative;
    }
    if p.available <= 0.0 {
        return Status::Out;
    }
    let (low, over) = match (rule, cover) {
        (Some(rule), _) => (p.forecast < rule.min, p.forecast > rule.max),
        (None, Some(days)) => (days < bounds.low_below_days, days > bounds.overstock_above_days),
        (None, None) => (false, false),
    };
    if low {
        Status::Low
    } else if over {
        Status::Overstock
    } else {
        Status::Ok
    }
}

/// Days of cover: available ÷ the average quantity delivered to customers per day over the sales
/// window. `None` when nothing was delivered (the cover is unbounded) or the window is empty.
pub fn days_of_cover(available: f64, delivered_in_window: f64, window_days: u32) -> Option<f64> {
    if window_days == 0 || delivered_in_window <= 0.0 {
        return None;
    }
    Some(available / (delivered_in_window / f64::from(window_days)))
}

/// A channel's safety buffer for a product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Buffer {
    Units(f64),
    /// A share of the sellable quantity, in percent.
    Percent(f64),
}

/// What one step of the available-to-sell waterfall stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepKind {
    /// A source location and its available quantity (counted when positive).
    Source { location: LocationId, available: f64 },
    /// A source location held in quarantine: nothing of it is sold.
    Quarantined { location: LocationId },
    /// The channel's safety buffer.
    Buffer,
}

/// One step of the available-to-sell waterfall, for the product detail's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    /// What the step adds (positive) or takes away (negative).
    pub change: f64,
}

/// Available-to-sell for a channel: Σ over its source locations of max(0, available), quarantine
/// locations excluded, minus its safety buffer, floored at 0 — with the steps that explain it.
/// `available` is each source location's available quantity (consigned stock already left out).
pub fn available_to_sell(
    available: &[(LocationId, f64)],
    quarantine: &HashSet<LocationId>,
    buffer: Buffer,
) -> (f64, Vec<Step>) {
    let mut steps = Vec::new();
    let mut sellable = 0.0;
    for &(location, quantity) in available {
        if quarantine.contains(&location) {
            steps.push(Step {
                kind: StepKind::Quarantined { location },
                change: 0.0,
            });
            continue;
        }
        let counted = quantity.max(0.0);
        sellable += counted;
        steps.push(Step {
            kind: StepKind::Source {
                location,
                available: quantity,
            },
            change: counted,
        });
    }
    let buffer_quantity = match buffer {
        Buffer::Units(units) => units.max(0.0),
        Buffer::Percent(percent) => sellable * percent.clamp(0.0, 100.0) / 100.0,
    };
    let buffer_taken = buffer_quantity.min(sellable);
    steps.push(Step {
        kind: StepKind::Buffer,
        change: -buffer_taken,
    });
    (sellable - buffer_taken, steps)
}

/// A channel's locations with the product's available quantity in each: every internal location
/// under the channel's sources that holds stock of it, once however the sources overlap (consigned
/// stock left out), in location order — [`available_to_sell`]'s input. Quarantine locations are
/// among them; `available_to_sell` leaves them out.
pub fn channel_locations(
    locations: &Locations,
    sources: &HashSet<LocationId>,
    quants: &[Quant],
) -> Vec<(LocationId, f64)> {
    let mut by_location: std::collections::BTreeMap<LocationId, f64> = std::collections::BTreeMap::new();
    for q in quants
        .iter()
        .filter(|q| !q.consigned && locations.is_internal(q.location) && locations.within(q.location, sources))
    {
        *by_location.entry(q.location).or_default() += q.quantity - q.reserved;
    }
    by_location.into_iter().collect()
}

/// Stock value of the group: on hand × the product's cost in the company that owns each quant (the
/// quants [`position`] counts as on hand; consigned stock has no value to the tenant; a company
/// without a cost values its stock at 0).
pub fn stock_value(locations: &Locations, group: &Group, quants: &[Quant], cost_by_company: &HashMap<i64, f64>) -> f64 {
    quants
        .iter()
        .filter(|q| !q.consigned && locations.is_internal(q.location) && locations.within(q.location, &group.roots))
        .map(|q| q.quantity * q.company.and_then(|c| cost_by_company.get(&c)).copied().unwrap_or(0.0))
        .sum()
}

/// What the overview ranks first: a product that needs someone in a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exception {
    /// On hand below zero: the records are wrong somewhere.
    Negative,
    /// Out of stock although it sold in the sales window.
    OutFastMover,
    /// Low, and nothing is on its way.
    LowNothingIncoming,
    Overstock,
}

impl Exception {
    pub const ALL: [Exception; 4] = [
        Exception::Negative,
        Exception::OutFastMover,
        Exception::LowNothingIncoming,
        Exception::Overstock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Exception::Negative => "negative",
            Exception::OutFastMover => "out_fast_mover",
            Exception::LowNothingIncoming => "low_nothing_incoming",
            Exception::Overstock => "overstock",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// Days of sales an out-of-stock fast mover is valued at (a week of lost sales, at cost).
pub const LOST_SALES_DAYS: f64 = 7.0;

/// The exception a product's position in a place is, and the value at stake, at `unit_cost`:
/// negative stock is worth its missing quantity; an out-of-stock product that sold in the window a
/// week of its sales; a low product with nothing incoming its shortfall to the rule's min (or to the
/// low bound in days of cover); overstock its excess over the rule's max (or the overstock bound).
pub fn exception(
    p: &Position,
    status: Status,
    rule: Option<ReorderRule>,
    delivered_in_window: f64,
    window_days: u32,
    bounds: CoverBounds,
    unit_cost: f64,
) -> Option<(Exception, f64)> {
    let daily = if window_days == 0 {
        0.0
    } else {
        delivered_in_window / f64::from(window_days)
    };
    match status {
        Status::Negative => Some((Exception::Negative, -p.on_hand * unit_cost)),
        Status::Out if delivered_in_window > 0.0 => {
            Some((Exception::OutFastMover, daily * LOST_SALES_DAYS * unit_cost))
        }
        Status::Low if p.incoming == 0.0 => {
            let short = match rule {
                Some(rule) => rule.min - p.forecast,
                None => bounds.low_below_days * daily - p.available,
            };
            Some((Exception::LowNothingIncoming, short.max(0.0) * unit_cost))
        }
        Status::Overstock => {
            let excess = match rule {
                Some(rule) => p.forecast - rule.max,
                None => p.available - bounds.overstock_above_days * daily,
            };
            Some((Exception::Overstock, excess.max(0.0) * unit_cost))
        }
        _ => None,
    }
}

/// A done move of the product, dated in the tenant's time zone (for the on-hand history).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoneMove {
    pub from: LocationId,
    pub to: LocationId,
    pub quantity: f64,
    pub day: chrono::NaiveDate,
}

/// On hand in `group` at the end of each of the last `days` days, oldest first, ending with today
/// (`on_hand_now`): walking back from now, a move that brought stock into the group's internal
/// locations is taken off and one that took stock out is added back. Moves within the group's stock
/// change nothing.
pub fn on_hand_history(
    locations: &Locations,
    group: &Group,
    on_hand_now: f64,
    moves: &[DoneMove],
    today: chrono::NaiveDate,
    days: u32,
) -> Vec<(chrono::NaiveDate, f64)> {
    let stock = |location| locations.is_internal(location) && locations.within(location, &group.roots);
    let mut net_by_day: HashMap<chrono::NaiveDate, f64> = HashMap::new();
    for m in moves.iter().filter(|m| m.day <= today) {
        let net = match (stock(m.from), stock(m.to)) {
            (false, true) => m.quantity,
            (true, false) => -m.quantity,
            _ => continue,
        };
        *net_by_day.entry(m.day).or_default() += net;
    }
    let mut history = Vec::with_capacity(days as usize);
    let mut level = on_hand_now;
    let mut day = today;
    for _ in 0..days {
        history.push((day, level));
        level -= net_by_day.get(&day).copied().unwrap_or(0.0);
        day = day.pred_opt().unwrap_or(day);
    }
    history.reverse();
    history
}

#[cfg(test)]
mod tests {
    use super::*;

    // A small chain: WH (view 1) holds Stock (2) with shelves A (3) and B (4); Store (view 10) holds
    // its stock (11) and a quarantine bin (12); Vendors (90), Customers (91) and transit (92) are not
    // internal.
    fn tree() -> Locations {
        let loc = |id, parent, internal| Location { id, parent, internal };
        Locations::new([
            loc(1, None, false),
            loc(2, Some(1), true),
            loc(3, Some(2), true),
            loc(4, Some(2), true),
            loc(10, None, false),
            loc(11, Some(10), true),
            loc(12, Some(10), true),
            loc(90, None, false),
            loc(91, None, false),
            loc(92, None, false),
        ])
    }

    fn quant(location: LocationId, quantity: f64, reserved: f64) -> Quant {
        Quant {
            location,
            quantity,
            reserved,
            consigned: false,
            company: Some(1),
        }
    }

    fn moving(from: LocationId, to: LocationId, remaining: f64) -> OpenMove {
        OpenMove { from, to, remaining }
    }

    const BOUNDS: CoverBounds = CoverBounds {
        low_below_days: 7.0,
        overstock_above_days: 90.0,
    };

    #[test]
    fn a_group_holds_its_locations_and_their_children_and_negative_quants_count() {
        let warehouse = Group::of([1]);
        let quants = [quant(3, 10.0, 4.0), quant(4, -3.0, 0.0), quant(11, 50.0, 0.0)];
        let p = position(&tree(), &warehouse, &quants, &[]);
        assert_eq!((p.on_hand, p.reserved, p.available), (7.0, 4.0, 3.0));
        // A shelf alone, nested two levels under the group's view location.
        let shelf = position(&tree(), &Group::of([4]), &quants, &[]);
        assert_eq!(shelf.on_hand, -3.0, "a negative total stays visible");
        assert_eq!(status(&shelf, None, None, BOUNDS), Status::Negative);
    }

    #[test]
    fn consigned_stock_is_shown_apart_and_has_no_value() {
        let mut consigned = quant(3, 5.0, 0.0);
        consigned.consigned = true;
        let quants = [quant(3, 10.0, 0.0), consigned];
        let p = position(&tree(), &Group::of([1]), &quants, &[]);
        assert_eq!((p.on_hand, p.consigned), (10.0, 5.0));
        let costs = HashMap::from([(1, 2.5)]);
        assert_eq!(stock_value(&tree(), &Group::of([1]), &quants, &costs), 25.0);
    }

    #[test]
    fn incoming_and_outgoing_cross_the_group_boundary_and_internal_moves_do_not() {
        // A receipt of 2 boxes of 6 (already 12 in the product's unit), a transfer from the warehouse
        // to the store, a delivery to a customer, and a move between two shelves.
        let moves = [
            moving(90, 3, 12.0),
            moving(3, 11, 5.0),
            moving(11, 91, 2.0),
            moving(3, 4, 1.0),
        ];
        let quants = [quant(3, 20.0, 0.0), quant(11, 4.0, 0.0)];
        let warehouse = position(&tree(), &Group::of([1]), &quants, &moves);
        assert_eq!(
            (warehouse.incoming, warehouse.outgoing, warehouse.forecast),
            (12.0, 5.0, 27.0)
        );
        let store = position(&tree(), &Group::of([10]), &quants, &moves);
        assert_eq!((store.incoming, store.outgoing, store.forecast), (5.0, 2.0, 7.0));
        // Both together: the transfer stays inside.
        let region = position(&tree(), &Group::of([1, 10]), &quants, &moves);
        assert_eq!((region.incoming, region.outgoing), (12.0, 2.0));
    }

    #[test]
    fn quants_outside_internal_locations_do_not_count() {
        let quants = [quant(92, 8.0, 0.0), quant(2, 1.0, 0.0)];
        let p = position(&tree(), &Group::of([1, 92]), &quants, &[]);
        assert_eq!(p.on_hand, 1.0, "transit is not on hand");
    }

    #[test]
    fn status_follows_the_reorder_rule_or_the_days_of_cover() {
        let quants = [quant(3, 10.0, 2.0)];
        let p = position(&tree(), &Group::of([1]), &quants, &[moving(90, 3, 5.0)]);
        assert_eq!(p.forecast, 15.0);
        let rule = |min, max| Some(ReorderRule { min, max });
        assert_eq!(status(&p, rule(20.0, 40.0), None, BOUNDS), Status::Low);
        assert_eq!(status(&p, rule(5.0, 12.0), None, BOUNDS), Status::Overstock);
        assert_eq!(status(&p, rule(5.0, 40.0), None, BOUNDS), Status::Ok);
        // Without a rule: 8 available, 28 sold in 28 days → 8 days of cover.
        let cover = days_of_cover(p.available, 28.0, 28);
        assert_eq!(cover, Some(8.0));
        assert_eq!(status(&p, None, cover, BOUNDS), Status::Ok);
        assert_eq!(
            status(&p, None, days_of_cover(p.available, 56.0, 28), BOUNDS),
            Status::Low
        );
        assert_eq!(
            status(&p, None, days_of_cover(p.available, 2.0, 28), BOUNDS),
            Status::Overstock
        );
        assert_eq!(
            status(&p, None, days_of_cover(p.available, 0.0, 28), BOUNDS),
            Status::Ok,
            "no sales"
        );
        // Everything reserved: out, whatever the rule says.
        let reserved = position(&tree(), &Group::of([1]), &[quant(3, 4.0, 4.0)], &[]);
        assert_eq!(status(&reserved, rule(0.0, 1.0), None, BOUNDS), Status::Out);
    }

    #[test]
    fn available_to_sell_leaves_out_quarantine_and_negative_locations_and_floors_the_buffer() {
        let quarantine = HashSet::from([12]);
        let sources = [(2, 10.0), (11, -4.0), (12, 6.0), (3, 5.0)];
        let (units, steps) = available_to_sell(&sources, &quarantine, Buffer::Units(3.0));
        assert_eq!(units, 12.0, "10 + 0 (negative) + 5, less a buffer of 3");
        assert_eq!(steps.iter().map(|s| s.change).sum::<f64>(), 12.0, "the steps add up");
        let (share, _) = available_to_sell(&sources, &quarantine, Buffer::Percent(20.0));
        assert_eq!(share, 12.0);
        let (floored, _) = available_to_sell(&[(2, 2.0)], &quarantine, Buffer::Units(5.0));
        assert_eq!(floored, 0.0, "never below zero");
    }

    #[test]
    fn stock_value_uses_the_cost_of_the_company_owning_each_quant() {
        let mut other = quant(11, 4.0, 0.0);
        other.company = Some(2);
        let costs = HashMap::from([(1, 2.0), (2, 3.5)]);
        let everywhere = Group::of([1, 10, 92]);
        let quants = [quant(3, 10.0, 0.0), other, quant(92, 100.0, 0.0)];
        assert_eq!(
            stock_value(&tree(), &everywhere, &quants, &costs),
            34.0,
            "transit has no value here"
        );
        assert_eq!(stock_value(&tree(), &Group::of([10]), &quants, &costs), 14.0);
        let unknown = HashMap::from([(1, 2.0)]);
        assert_eq!(
            stock_value(&tree(), &everywhere, &[other], &unknown),
            0.0,
            "no cost known for the company"
        );
    }

    #[test]
    fn a_parent_loop_ends_the_walk() {
        let looped = Locations::new([
            Location {
                id: 1,
                parent: Some(2),
                internal: true,
            },
            Location {
                id: 2,
                parent: Some(1),
                internal: true,
            },
        ]);
        assert!(!looped.within(1, &HashSet::from([7])));
        assert!(looped.within(1, &HashSet::from([2])));
    }

    #[test]
    fn on_hand_history_walks_back_from_now_through_the_moves_in_and_out() {
        let locations = tree();
        let warehouse = Group::of([1]);
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let moves = [
            // Received 10 on the 25th, sold 4 on the 26th, moved 3 between shelves (no change), and
            // sold 1 today.
            DoneMove {
                from: 90,
                to: 2,
                quantity: 10.0,
                day: day(25),
            },
            DoneMove {
                from: 3,
                to: 91,
                quantity: 4.0,
                day: day(26),
            },
            DoneMove {
                from: 3,
                to: 4,
                quantity: 3.0,
                day: day(26),
            },
            DoneMove {
                from: 2,
                to: 91,
                quantity: 1.0,
                day: day(27),
            },
        ];
        let history = on_hand_history(&locations, &warehouse, 20.0, &moves, day(27), 4);
        assert_eq!(
            history,
            vec![(day(24), 15.0), (day(25), 25.0), (day(26), 21.0), (day(27), 20.0)]
        );
    }

    #[test]
    fn exceptions_are_valued_at_what_is_missing_or_in_excess() {
        let bounds = CoverBounds {
            low_below_days: 7.0,
            overstock_above_days: 90.0,
        };
        let at = |on_hand: f64, incoming: f64| Position {
            on_hand,
            available: on_hand,
            incoming,
            forecast: on_hand + incoming,
            ..Position::default()
        };
        let rule = Some(ReorderRule { min: 10.0, max: 20.0 });
        assert_eq!(
            exception(&at(-3.0, 0.0), Status::Negative, None, 0.0, 28, bounds, 2.0),
            Some((Exception::Negative, 6.0))
        );
        // 28 sold in 28 days: a week of sales at 2.0 each.
        assert_eq!(
            exception(&at(0.0, 0.0), Status::Out, None, 28.0, 28, bounds, 2.0),
            Some((Exception::OutFastMover, 14.0))
        );
        assert_eq!(
            exception(&at(0.0, 0.0), Status::Out, None, 0.0, 28, bounds, 2.0),
            None,
            "never sold"
        );
        assert_eq!(
            exception(&at(4.0, 0.0), Status::Low, rule, 0.0, 28, bounds, 2.0),
            Some((Exception::LowNothingIncoming, 12.0)),
            "6 short of the rule's min"
        );
        assert_eq!(
            exception(&at(4.0, 5.0), Status::Low, rule, 0.0, 28, bounds, 2.0),
            None,
            "something incoming"
        );
        assert_eq!(
            exception(&at(3.0, 0.0), Status::Low, None, 28.0, 28, bounds, 2.0),
            Some((Exception::LowNothingIncoming, 8.0)),
            "4 short of a week's cover"
        );
        assert_eq!(
            exception(&at(25.0, 0.0), Status::Overstock, rule, 0.0, 28, bounds, 2.0),
            Some((Exception::Overstock, 10.0))
        );
        assert_eq!(
            exception(&at(100.0, 0.0), Status::Overstock, None, 28.0, 28, bounds, 2.0),
            Some((Exception::Overstock, 20.0)),
            "10 above 90 days of cover"
        );
        assert_eq!(exception(&at(5.0, 0.0), Status::Ok, None, 28.0, 28, bounds, 2.0), None);
    }
}
