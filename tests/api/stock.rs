//! Stock positions: the figures the database keeps per scope and product equal `domain::stock`'s, row
//! by row, on the simulator's data after a first sync, after live activity and an incremental pull,
//! and on hand-made rows the dataset lacks (negative and consigned quants, a negative bin under a
//! channel's source, a rule over nested locations, a manual rule, a draft receipt, a second company's
//! cost); the setup derived from Odoo's warehouses; the stock table over HTTP.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Utc};
use sea_orm::EntityTrait;

use truestock::db::entities::{
    location_group, location_group_location, odoo_product_product, odoo_product_product_cost, odoo_product_template,
    odoo_stock_location, odoo_stock_move, odoo_stock_quant, odoo_stock_warehouse_orderpoint, quarantine_location,
    sales_channel, sales_channel_source, settings, stock_position, stock_scope,
};
use truestock::db::tenancy::{TenantTxn, with_tenant};
use truestock::domain::stock::{self as figures, Buffer, CoverBounds, Group, Location, Locations, OpenMove, Quant};
use truestock::domain::tenant::TenantId;
use truestock::odoo::sim::RunningSimulator;

use crate::helpers::{TestApp, pull_and_refresh, synced_tenant};

/// Everything the figures are made of, as the mirror holds it.
struct Mirror {
    locations: Locations,
    location_ids: Vec<i64>,
    usage: HashMap<i64, String>,
    quants: Vec<odoo_stock_quant::Model>,
    moves: Vec<odoo_stock_move::Model>,
    orderpoints: Vec<odoo_stock_warehouse_orderpoint::Model>,
    costs: HashMap<(i64, i64), f64>,
    listed: HashSet<i64>,
    settings: settings::Model,
    groups: Vec<location_group::Model>,
    group_locations: Vec<location_group_location::Model>,
    channels: Vec<sales_channel::Model>,
    channel_sources: Vec<sales_channel_source::Model>,
    quarantine: HashSet<i64>,
    scopes: Vec<stock_scope::Model>,
    positions: Vec<stock_position::Model>,
}

async fn read_mirror(tx: &TenantTxn) -> Mirror {
    let locations = odoo_stock_location::Entity::find().all(tx).await.unwrap();
    let locations: Vec<_> = locations.into_iter().filter(|l| l.odoo_deleted_at.is_none()).collect();
    let templates: HashMap<i64, bool> = odoo_product_template::Entity::find()
        .all(tx)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.odoo_id, t.is_storable))
        .collect();
    let listed = odoo_product_product::Entity::find()
        .all(tx)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| {
            p.odoo_deleted_at.is_none()
                && p.active
                && p.product_tmpl_id
                    .and_then(|t| templates.get(&t))
                    .copied()
                    .unwrap_or(false)
        })
        .map(|p| p.odoo_id)
        .collect();
    Mirror {
        locations: Locations::new(locations.iter().map(|l| Location {
            id: l.odoo_id,
            parent: l.location_id,
            internal: l.usage.as_deref() == Some("internal"),
        })),
        location_ids: locations.iter().map(|l| l.odoo_id).collect(),
        usage: locations
            .iter()
            .map(|l| (l.odoo_id, l.usage.clone().unwrap_or_default()))
            .collect(),
        quants: odoo_stock_quant::Entity::find()
            .all(tx)
            .await
            .unwrap()
            .into_iter()
            .filter(|q| q.odoo_deleted_at.is_none())
            .collect(),
        moves: odoo_stock_move::Entity::find()
            .all(tx)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.odoo_deleted_at.is_none())
            .collect(),
        orderpoints: odoo_stock_warehouse_orderpoint::Entity::find()
            .all(tx)
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.odoo_deleted_at.is_none() && o.active && o.trigger.as_deref() != Some("manual"))
            .collect(),
        costs: odoo_product_product_cost::Entity::find()
            .all(tx)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.odoo_deleted_at.is_none())
            .map(|c| ((c.odoo_id, c.company_id), c.standard_price))
            .collect(),
        listed,
        settings: settings::Entity::find_by_id(1i16).one(tx).await.unwrap().unwrap(),
        groups: location_group::Entity::find().all(tx).await.unwrap(),
        group_locations: location_group_location::Entity::find().all(tx).await.unwrap(),
        channels: sales_channel::Entity::find().all(tx).await.unwrap(),
        channel_sources: sales_channel_source::Entity::find().all(tx).await.unwrap(),
        quarantine: quarantine_location::Entity::find()
            .all(tx)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.location_id)
            .collect(),
        scopes: stock_scope::Entity::find().all(tx).await.unwrap(),
        positions: stock_position::Entity::find().all(tx).await.unwrap(),
    }
}

/// What `domain::stock` says one row should hold.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    position: figures::Position,
    value: f64,
    delivered: f64,
    cover: Option<f64>,
    status: &'static str,
    sellable: Option<f64>,
    exception: Option<(figures::Exception, f64)>,
}

impl Mirror {
    /// The locations a group's row covers: its own and those of the groups below it.
    fn group_roots(&self, group: uuid::Uuid) -> HashSet<i64> {
        let mut members = vec![group];
        let mut roots = HashSet::new();
        while let Some(member) = members.pop() {
            roots.extend(
                self.group_locations
                    .iter()
                    .filter(|gl| gl.group_id == member)
                    .map(|gl| gl.location_id),
            );
            members.extend(self.groups.iter().filter(|g| g.parent_id == Some(member)).map(|g| g.id));
        }
        roots
    }

    fn inside_quarantine(&self, location: i64) -> bool {
        self.locations.within(location, &self.quarantine)
    }

    /// Every row the figures call for, by (scope, product).
    fn expected(&self) -> HashMap<(i64, i64), Expected> {
        let today = Utc::now().date_naive();
        let until = today.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let window = self.settings.sales_window_days;
        let since = until - Duration::days(window.into());
        let bounds = CoverBounds {
            low_below_days: self.settings.low_cover_days,
            overstock_above_days: self.settings.overstock_cover_days,
        };
        assert_eq!(self.settings.time_zone, "UTC", "the test computes the window in UTC");
        let mut products: HashSet<i64> = self.listed.clone();
        products.extend(self.quants.iter().filter_map(|q| q.product_id));
        products.extend(self.moves.iter().filter_map(|m| m.product_id));
        products.extend(self.orderpoints.iter().filter_map(|o| o.product_id));
        let mut quants: HashMap<i64, Vec<(Quant, &odoo_stock_quant::Model)>> = HashMap::new();
        for q in &self.quants {
            let (Some(product), Some(location)) = (q.product_id, q.location_id) else {
                continue;
            };
            quants.entry(product).or_default().push((
                Quant {
                    location,
                    quantity: q.quantity,
                    reserved: q.reserved_quantity,
                    consigned: q.owner_id.is_some(),
                    company: q.company_id,
                },
                q,
            ));
        }
        let mut open: HashMap<i64, Vec<OpenMove>> = HashMap::new();
        let mut delivered: HashMap<i64, Vec<(i64, f64)>> = HashMap::new();
        for m in &self.moves {
            let (Some(product), Some(from), Some(to)) = (m.product_id, m.location_id, m.location_dest_id) else {
                continue;
            };
            match m.state.as_deref() {
                Some("done") => {
                    let to_customer = self.usage.get(&to).map(String::as_str) == Some("customer");
                    if to_customer && m.date.is_some_and(|d| d >= since && d < until) {
                        delivered
                            .entry(product)
                            .or_default()
                            .push((from, m.quantity_done_product_uom));
                    }
                }
                // Odoo's forecast leaves draft moves out, as do the figures.
                Some("cancel" | "draft") | None => {}
                Some(_) => open.entry(product).or_default().push(OpenMove {
                    from,
                    to,
                    remaining: m.quantity_remaining_product_uom,
                }),
            }
        }
        let mut expected = HashMap::new();
        for scope in &self.scopes {
            let roots: HashSet<i64> = match scope.kind.as_str() {
                "location" => HashSet::from([scope.location_id.unwrap()]),
                "group" => self.group_roots(scope.group_id.unwrap()),
                "total" => self
                    .location_ids
                    .iter()
                    .copied()
                    .filter(|l| self.locations.is_internal(*l))
                    .collect(),
                "channel" => self
                    .channel_sources
                    .iter()
                    .filter(|s| Some(s.channel_id) == scope.channel_id)
                    .map(|s| s.location_id)
                    .collect(),
                other => panic!("unknown scope kind {other}"),
            };
            // A channel covers its sources' locations, quarantine left out.
            let channel = scope.kind == "channel";
            let group = Group::of(roots.iter().copied());
            for &product in &products {
                let product_quants: Vec<Quant> = quants
                    .get(&product)
                    .map(|qs| qs.iter().map(|(q, _)| *q).collect())
                    .unwrap_or_default();
                let moves = open.get(&product).cloned().unwrap_or_default();
                let inside = |l: i64| self.locations.within(l, &roots) && !(channel && self.inside_quarantine(l));
                let has_quant = product_quants
                    .iter()
                    .any(|q| inside(q.location) && self.locations.is_internal(q.location));
                let moves_cross = moves.iter().any(|m| inside(m.from) != inside(m.to));
                let sold: f64 = delivered
                    .get(&product)
                    .map(|d| d.iter().filter(|(from, _)| inside(*from)).map(|(_, q)| q).sum())
                    .unwrap_or(0.0);
                let sold_here = delivered
                    .get(&product)
                    .is_some_and(|d| d.iter().any(|(from, _)| inside(*from)));
                let rules: Vec<_> = self
                    .orderpoints
                    .iter()
                    .filter(|o| o.product_id == Some(product) && o.location_id.is_some_and(inside))
                    .collect();
                let listed = matches!(scope.kind.as_str(), "total" | "channel") && self.listed.contains(&product);
                if !(has_quant || moves_cross || sold_here || !rules.is_empty() || listed) {
                    continue;
                }
                if channel {
                    // Compared on what a channel is for: available-to-sell.
                    let settings = self.channels.iter().find(|c| Some(c.id) == scope.channel_id).unwrap();
                    let buffer = match settings.buffer_kind.as_str() {
                        "percent" => Buffer::Percent(settings.buffer_value),
                        _ => Buffer::Units(settings.buffer_value),
                    };
                    let available = figures::channel_locations(&self.locations, &roots, &product_quants);
                    let held_back: HashSet<i64> = available
                        .iter()
                        .map(|(l, _)| *l)
                        .filter(|l| self.inside_quarantine(*l))
                        .collect();
                    let (sellable, _) = figures::available_to_sell(&available, &held_back, buffer);
                    expected.insert(
                        (scope.id, product),
                        Expected {
                            position: figures::Position::default(),
                            value: 0.0,
                            delivered: 0.0,
                            cover: None,
                            status: "",
                            sellable: Some(sellable),
                            exception: None,
                        },
                    );
                    continue;
                }
                let position = figures::position(&self.locations, &group, &product_quants, &moves);
                let costs: HashMap<i64, f64> = self
                    .costs
                    .iter()
                    .filter(|((p, _), _)| *p == product)
                    .map(|((_, c), cost)| (*c, *cost))
                    .collect();
                let value = figures::stock_value(&self.locations, &group, &product_quants, &costs);
                let rule = (!rules.is_empty()).then(|| figures::ReorderRule {
                    min: rules.iter().map(|o| o.product_min_qty).sum(),
                    max: rules.iter().map(|o| o.product_max_qty).sum(),
                });
                let cover = figures::days_of_cover(position.available, sold, window as u32);
                let status = figures::status(&position, rule, cover, bounds);
                // The unit cost here: what the stock is valued at, or the companies' average cost.
                let unit_cost = if position.on_hand != 0.0 {
                    value / position.on_hand
                } else if costs.is_empty() {
                    0.0
                } else {
                    costs.values().sum::<f64>() / costs.len() as f64
                };
                let exception = figures::exception(&position, status, rule, sold, window as u32, bounds, unit_cost);
                let status = status.as_str();
                expected.insert(
                    (scope.id, product),
                    Expected {
                        position,
                        value,
                        delivered: sold,
                        cover,
                        status,
                        sellable: None,
                        exception,
                    },
                );
            }
        }
        expected
    }

    /// Every row equals the figures, and every row the figures call for is there.
    fn assert_positions_equal_the_figures(&self, when: &str) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()));
        let close_opt = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => close(a, b),
            (None, None) => true,
            _ => false,
        };
        let expected = self.expected();
        let kind: HashMap<i64, &str> = self.scopes.iter().map(|s| (s.id, s.kind.as_str())).collect();
        let mut held = HashSet::new();
        for row in &self.positions {
            let key = (row.scope_id, row.product_id);
            held.insert(key);
            let scope = kind[&row.scope_id];
            let Some(e) = expected.get(&key) else {
                panic!("{when}: a row the figures do not call for: {row:?}");
            };
            if scope == "channel" {
                assert!(
                    close_opt(row.sellable, e.sellable),
                    "{when}: sellable of {row:?}, expected {e:?}"
                );
                continue;
            }
            let p = &e.position;
            let same = close(row.on_hand, p.on_hand)
                && close(row.reserved, p.reserved)
                && close(row.available, p.available)
                && close(row.incoming, p.incoming)
                && close(row.outgoing, p.outgoing)
                && close(row.forecast, p.forecast)
                && close(row.consigned, p.consigned)
                && close(row.value, e.value)
                && close(row.delivered, e.delivered)
                && close_opt(row.cover_days, e.cover)
                && row.status == e.status
                && row.sellable.is_none()
                && row.exception.as_deref() == e.exception.map(|(x, _)| x.as_str())
                && close(row.at_stake, e.exception.map_or(0.0, |(_, v)| v));
            assert!(same, "{when}: {scope} row {row:?}\nexpected {e:?}");
        }
        let missing: Vec<_> = expected.keys().filter(|k| !held.contains(k)).take(5).collect();
        assert!(missing.is_empty(), "{when}: rows missing, e.g. {missing:?}");
    }
}

async fn mirror(app: &TestApp, tenant: TenantId) -> Mirror {
    with_tenant(&app.app_db, tenant, async |tx| {
        Ok::<_, sea_orm::DbErr>(read_mirror(tx).await)
    })
    .await
    .unwrap()
}

fn live_ticks(sim: &RunningSimulator, ticks: usize, seed: u64) {
    use rand::SeedableRng as _;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut state = truestock::odoo::sim::live::LiveState::default();
    for _ in 0..ticks {
        sim.simulator
            .with_store_mut(|store| truestock::odoo::sim::live::tick(store, &mut state, &mut rng));
    }
}

#[tokio::test]
async fn positions_equal_the_figures_of_domain_stock_after_a_first_sync_and_after_live_changes() {
    let (app, registry, tenant, sim) = synced_tenant(17).await;
    let first = mirror(&app, tenant).await;

    // The setup derived from Odoo's warehouses: a group per warehouse, typed by its name, and a web
    // shop channel selling from the web shop's and the regional warehouse's stock.
    let mut kinds: Vec<(String, String)> = first.groups.iter().map(|g| (g.name.clone(), g.kind.clone())).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("Regional Warehouse North", "warehouse"),
            ("Store 01", "store"),
            ("Store 02", "store"),
            ("Store 03", "store"),
            ("Web Shop", "web_shop"),
        ]
        .map(|(n, k)| (n.to_string(), k.to_string()))
    );
    assert_eq!(first.channels.len(), 1, "{:?}", first.channels);
    assert_eq!(first.channel_sources.len(), 2);
    assert_eq!(first.quarantine.len(), 5, "a quarantine location per warehouse");
    assert!(first.positions.len() > 2_000, "{} rows", first.positions.len());
    first.assert_positions_equal_the_figures("after the first sync");

    // Live activity in Odoo, then an incremental pull: the marks left by its writes bring the changed
    // products up to date, and only those are recomputed.
    live_ticks(&sim, 40, 7);
    pull_and_refresh(&app, tenant, &registry).await;
    mirror(&app, tenant)
        .await
        .assert_positions_equal_the_figures("after live changes");
}

/// Rows the dataset lacks, written into the mirror as a pull would (the triggers mark them): a new
/// bin under a regional stock location holding consigned stock and stock of the second company (one
/// quant negative), a receipt into the bin, and a reorder rule on the parent location.
#[tokio::test]
async fn hand_made_rows_give_the_hand_computed_figures_and_equal_domain_stock() {
    let (app, _registry, tenant, _sim) = synced_tenant(17).await;
    let schema = tenant.schema_name();
    let parent = app
        .su_number(&format!(
            "SELECT lot_stock_id AS n FROM {schema}.odoo_stock_warehouse WHERE name = 'Regional Warehouse North'"
        ))
        .await;
    let vendor = app
        .su_number(&format!(
            "SELECT min(odoo_id) AS n FROM {schema}.odoo_stock_location WHERE usage = 'supplier'"
        ))
        .await;
    let product = app
        .su_number(&format!(
            "SELECT min(p.odoo_id) AS n FROM {schema}.odoo_product_product p
               JOIN {schema}.odoo_product_template t ON t.odoo_id = p.product_tmpl_id
              WHERE t.is_storable AND p.active"
        ))
        .await;
    let (bin, short, company2) = (990_001, 990_002, 2);
    app.su_exec(&format!(
        "INSERT INTO {schema}.odoo_stock_location (odoo_id, name, complete_name, usage, location_id, scrap_location, active)
         VALUES ({bin}, 'Bin 9', 'RW1/Stock/Bin 9', 'internal', {parent}, false, true),
                ({short}, 'Bin 8', 'RW1/Stock/Bin 8', 'internal', {parent}, false, true);
         INSERT INTO {schema}.odoo_stock_quant
             (odoo_id, product_id, location_id, owner_id, company_id, quantity, reserved_quantity,
              inventory_quantity, inventory_quantity_set)
         VALUES (990101, {product}, {bin}, 77, 1, 5, 0, 0, false),
                (990102, {product}, {bin}, NULL, {company2}, -3, 0, 0, false),
                (990103, {product}, {bin}, NULL, {company2}, 7, 1, 0, false),
                (990104, {product}, {short}, NULL, 1, -10, 0, 0, false);
         INSERT INTO {schema}.odoo_product_product_cost (odoo_id, company_id, standard_price)
         VALUES ({product}, {company2}, 4.5)
         ON CONFLICT (odoo_id, company_id) DO UPDATE SET standard_price = 4.5;
         INSERT INTO {schema}.odoo_stock_move
             (odoo_id, product_id, product_uom_qty, product_qty, quantity_done, quantity, picked,
              quantity_done_product_uom, quantity_remaining_product_uom, state, location_id, location_dest_id,
              price_unit, is_inventory, scrapped, is_scrap, move_orig_ids, move_dest_ids, returned_move_ids)
         VALUES (990201, {product}, 1, 12, 0, 0, false, 0, 12, 'assigned', {vendor}, {bin},
                 0, false, false, false, '{{}}', '{{}}', '{{}}'),
                (990202, {product}, 1, 50, 0, 0, false, 0, 50, 'draft', {vendor}, {bin},
                 0, false, false, false, '{{}}', '{{}}', '{{}}');
         INSERT INTO {schema}.odoo_stock_warehouse_orderpoint
             (odoo_id, product_id, location_id, product_min_qty, product_max_qty, qty_multiple, active, trigger)
         VALUES (990301, {product}, {parent}, 100000, 200000, 1, true, 'auto'),
                (990302, {product}, {bin}, 0, 0, 1, true, 'manual');"
    ))
    .await;
    let refreshed = truestock::sync::positions::refresh(&app.app_db, tenant, None)
        .await
        .unwrap();
    assert!(
        refreshed.scopes_rebuilt && refreshed.full,
        "a new location rebuilds the scopes: {refreshed:?}"
    );

    let held = mirror(&app, tenant).await;
    held.assert_positions_equal_the_figures("with hand-made rows");
    let row = |location: i64| {
        let scope = held.scopes.iter().find(|s| s.location_id == Some(location)).unwrap().id;
        held.positions
            .iter()
            .find(|p| p.scope_id == scope && p.product_id == product)
            .unwrap()
            .clone()
    };
    let in_bin = row(bin);
    assert_eq!(
        (in_bin.on_hand, in_bin.reserved, in_bin.available, in_bin.consigned),
        (4.0, 1.0, 3.0, 5.0),
        "negative quant counted, consigned apart"
    );
    assert_eq!(
        (in_bin.incoming, in_bin.forecast),
        (12.0, 16.0),
        "the draft receipt is not counted"
    );
    assert_eq!(in_bin.value, 4.0 * 4.5, "valued at the second company's cost");
    assert_eq!(
        (in_bin.rule_min, in_bin.status.as_str()),
        (None, "ok"),
        "the rule is on the parent; a manual rule is no rule"
    );
    let above = row(parent);
    assert_eq!(above.rule_min, Some(100_000.0));
    assert_eq!(above.status, "low", "the rule covers the bin below it: {above:?}");
}

/// The stock table over HTTP: defaults, search, filters, sorting, paging, the htmx fragment, bad
/// input, and a member scoped to one store.
#[tokio::test]
async fn the_stock_table_searches_filters_sorts_pages_and_keeps_a_scoped_member_to_their_store() {
    use crate::helpers::texts;
    use reqwest::StatusCode;
    let (app, _registry, tenant, _sim) = synced_tenant(17).await;
    let manager = app.add_user("manager@acme.test", "acme", "manager").await;
    let client = app.signed_in(&manager).await;

    // Everything, by value, 50 rows a page.
    let (status, html) = client.get_html("/t/acme/stock").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let skus = texts(&html, ".stock-table tbody tr td:first-child");
    assert_eq!(skus.len(), 50);
    let summary = texts(&html, "#stock-summary").join(" ");
    assert!(summary.contains("All locations"), "{summary}");

    // Search by an exact SKU finds that product; by a barcode too.
    let schema = tenant.schema_name();
    let product = app
        .su_number(&format!(
            "SELECT p.odoo_id AS n FROM {schema}.odoo_product_product p
               JOIN {schema}.odoo_product_template t ON t.odoo_id = p.product_tmpl_id
              WHERE p.default_code IS NOT NULL AND p.active AND t.is_storable ORDER BY p.odoo_id LIMIT 1"
        ))
        .await;
    let sku: String = with_tenant(&app.app_db, tenant, async |tx| {
        odoo_product_product::Entity::find_by_id(product).one(tx).await
    })
    .await
    .unwrap()
    .unwrap()
    .default_code
    .unwrap();
    let (_, html) = client.get_html(&format!("/t/acme/stock?q={sku}")).await;
    let found = texts(&html, ".stock-table tbody tr td:first-child");
    assert!(
        found.contains(&sku),
        "{sku} in {found:?}: {}",
        texts(&html, "main").join(" ")
    );

    // A store and a status: only that store's rows with that status; the htmx request gets the table
    // alone.
    let store = with_tenant(&app.app_db, tenant, async |tx| {
        use sea_orm::{ColumnTrait, QueryFilter};
        location_group::Entity::find()
            .filter(location_group::Column::Name.eq("Store 02"))
            .one(tx)
            .await
    })
    .await
    .unwrap()
    .unwrap();
    let path = format!("/t/acme/stock?at=group:{}&status=out", store.id);
    let res = client
        .send(client.request(reqwest::Method::GET, &path).header("HX-Request", "true"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let fragment = res.text().await.unwrap();
    assert!(
        fragment.trim_start().starts_with("<div id=\"stock-table\""),
        "{fragment}"
    );
    assert!(!fragment.contains("<html"), "a fragment, not a page");
    let statuses = texts(&fragment, ".stock-table .status");
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| s == "out"),
        "{statuses:?}"
    );
    let expected = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {schema}.stock_positions p JOIN {schema}.stock_scopes s ON s.id = p.scope_id
              WHERE s.group_id = '{}' AND p.status = 'out'",
            store.id
        ))
        .await;
    assert!(
        fragment.contains(&format!("{expected} rows")),
        "{expected} rows in {fragment}"
    );

    // Sorted by SKU ascending; page 2 continues page 1; a page past the end shows the last one.
    let (_, first) = client.get_html("/t/acme/stock?sort=sku&dir=asc").await;
    let (_, second) = client.get_html("/t/acme/stock?sort=sku&dir=asc&page=2").await;
    let (a, b) = (
        texts(&first, ".stock-table tbody tr td:first-child"),
        texts(&second, ".stock-table tbody tr td:first-child"),
    );
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(a, sorted);
    assert!(a.last() <= b.first(), "{:?} then {:?}", a.last(), b.first());
    let (status, html) = client.get_html("/t/acme/stock?page=999999999").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("past the end"), "{html}");

    // A supplier: the products it has a price for (named, or through their template).
    let supplier = app
        .su_number(&format!(
            "SELECT partner_id AS n FROM {schema}.odoo_product_supplierinfo
              WHERE odoo_deleted_at IS NULL GROUP BY partner_id ORDER BY count(*) DESC LIMIT 1"
        ))
        .await;
    let offered = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {schema}.stock_positions sp
               JOIN {schema}.stock_scopes s ON s.id = sp.scope_id AND s.kind = 'total'
              WHERE EXISTS (SELECT 1 FROM {schema}.odoo_product_supplierinfo si
                              JOIN {schema}.odoo_product_product p ON p.odoo_id = sp.product_id
                             WHERE si.partner_id = {supplier} AND si.odoo_deleted_at IS NULL
                               AND (si.product_id = p.odoo_id
                                    OR (si.product_id IS NULL AND si.product_tmpl_id = p.product_tmpl_id)))"
        ))
        .await;
    assert!(offered > 0);
    let (_, html) = client.get_html(&format!("/t/acme/stock?supplier={supplier}")).await;
    let summary = texts(&html, "#stock-summary").join(" ");
    assert!(
        summary.starts_with(&format!("{offered} rows")),
        "{offered} rows: {summary}"
    );

    // Bad input: a clear 400, nothing interpolated.
    for bad in [
        "sort=value%3BDROP%20TABLE%20x",
        "status=lowish",
        "page=abc",
        "category=99999999",
        "supplier=-4",
        "at=group:00000000-0000-0000-0000-000000000000",
        "dir=sideways",
        "q=%00",
        "page=99999999999999999999999",
    ] {
        let (status, html) = client.get_html(&format!("/t/acme/stock?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {html}");
    }

    // A store manager scoped to Store 02 sees Store 02 (by default) and its locations, nothing else.
    let scoped = app.add_user("store2@acme.test", "acme", "manager").await;
    app.su_exec(&format!(
        "UPDATE control.memberships SET scope_group_ids = ARRAY['{}']::uuid[]
          WHERE account_id = (SELECT id FROM control.accounts WHERE email = 'store2@acme.test')",
        store.id
    ))
    .await;
    let client = app.signed_in(&scoped).await;
    let (status, html) = client.get_html("/t/acme/stock").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(texts(&html, "#stock-summary").join(" ").contains("Store 02"), "{html}");
    let places = texts(&html, "#stock-at option");
    assert!(
        places.iter().all(|p| p.contains("S02") || p.contains("Store 02")),
        "{places:?}"
    );
    for elsewhere in ["at=total".to_string(), format!("at=location:{}", 1)] {
        let (status, _) = client.get_html(&format!("/t/acme/stock?{elsewhere}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{elsewhere}");
    }
    let (status, html) = client.get_html("/t/acme/stock?by=location").await;
    assert_eq!(status, StatusCode::OK);
    let places: Vec<String> = texts(&html, ".stock-table tbody tr td:nth-child(3)");
    assert!(
        !places.is_empty() && places.iter().all(|p| p.starts_with("S02")),
        "{places:?}"
    );
}

/// The product detail over HTTP: positions, the web shop's waterfall down to the quants behind each
/// step, receipts, the 90-day history; what a scoped member does not see; bad ids.
#[tokio::test]
async fn the_product_detail_explains_available_to_sell_down_to_the_quants() {
    use crate::helpers::texts;
    use reqwest::StatusCode;
    let (app, _registry, tenant, _sim) = synced_tenant(17).await;
    let schema = tenant.schema_name();
    let parent = app
        .su_number(&format!(
            "SELECT lot_stock_id AS n FROM {schema}.odoo_stock_warehouse WHERE name = 'Regional Warehouse North'"
        ))
        .await;
    let product = app
        .su_number(&format!(
            "SELECT min(q.product_id) AS n FROM {schema}.odoo_stock_quant q
              WHERE q.location_id = {parent} AND q.quantity > q.reserved_quantity AND q.owner_id IS NULL"
        ))
        .await;
    // A bin under the web shop's source with negative stock: counted as 0, not against the rest.
    app.su_exec(&format!(
        "INSERT INTO {schema}.odoo_stock_location (odoo_id, name, complete_name, usage, location_id, scrap_location, active)
         VALUES (990002, 'Bin 8', 'RW1/Stock/Bin 8', 'internal', {parent}, false, true);
         INSERT INTO {schema}.odoo_stock_quant
             (odoo_id, product_id, location_id, owner_id, company_id, quantity, reserved_quantity,
              inventory_quantity, inventory_quantity_set)
         VALUES (990104, {product}, 990002, NULL, 1, -10, 0, 0, false);"
    ))
    .await;
    truestock::sync::positions::refresh(&app.app_db, tenant, None)
        .await
        .unwrap();
    let admin = app.add_user("admin@acme.test", "acme", "admin").await;
    let client = app.signed_in(&admin).await;
    let (status, html) = client.get_html(&format!("/t/acme/stock/products/{product}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");

    let places = texts(&html, "#positions tbody th");
    assert_eq!(places.first().map(String::as_str), Some("All locations"), "{places:?}");
    assert!(places.iter().any(|p| p == "RW1/Stock/Bin 8"), "{places:?}");
    let steps = texts(&html, ".waterfall tbody tr td:first-child");
    let negative = steps
        .iter()
        .find(|s| s.starts_with("RW1/Stock/Bin 8"))
        .unwrap_or_else(|| panic!("{steps:?}"));
    assert!(negative.contains("-10 available, counted as 0"), "{negative}");
    assert!(html.contains("href=\"#quants-990002\""), "the step links to its quants");
    assert!(html.contains("id=\"quants-990002\""), "and the quants are on the page");
    let shown: f64 = texts(&html, ".waterfall .sellable")[0].parse().unwrap();
    let stored = app
        .su_number(&format!(
            "SELECT round(sp.sellable * 1000)::bigint AS n FROM {schema}.stock_positions sp
               JOIN {schema}.stock_scopes s ON s.id = sp.scope_id AND s.kind = 'channel'
              WHERE sp.product_id = {product}"
        ))
        .await;
    assert_eq!(
        (shown * 1000.0).round() as i64,
        stored,
        "the waterfall ends at the table's figure"
    );
    assert_eq!(texts(&html, "#history tbody tr").len(), 90);

    // A member scoped to a store sees neither channels nor the regional warehouse.
    let scoped = app.add_user("store2@acme.test", "acme", "manager").await;
    app.su_exec(&format!(
        "UPDATE control.memberships SET scope_group_ids = ARRAY(SELECT id FROM {schema}.location_groups WHERE name = 'Store 02')
          WHERE account_id = (SELECT id FROM control.accounts WHERE email = 'store2@acme.test')"
    ))
    .await;
    let client = app.signed_in(&scoped).await;
    let (status, html) = client.get_html(&format!("/t/acme/stock/products/{product}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(texts(&html, ".waterfall").is_empty(), "no channel for a scoped member");
    let places = texts(&html, "#positions tbody th");
    assert!(
        places.iter().all(|p| !p.starts_with("RW1") && p != "All locations"),
        "{places:?}"
    );
    assert!(!html.contains("quants-990002"));

    for bad in ["abc", "0", "-3", "99999999999"] {
        let (status, _) = client.get_html(&format!("/t/acme/stock/products/{bad}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
}

/// The overview: exceptions ranked by value at stake, each opening its filtered stock table; the
/// channel tile; the stale warning when the sync fails.
#[tokio::test]
async fn the_overview_ranks_exceptions_by_value_at_stake_and_warns_when_the_data_is_stale() {
    use crate::helpers::texts;
    use reqwest::StatusCode;
    let (app, _registry, tenant, _sim) = synced_tenant(17).await;
    let schema = tenant.schema_name();
    let manager = app.add_user("manager@acme.test", "acme", "manager").await;
    let client = app.signed_in(&manager).await;
    let (status, html) = client.get_html("/t/acme").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(texts(&html, "#stale").is_empty(), "fresh data: {html}");

    let headers = texts(&html, "article.exception header");
    assert!(!headers.is_empty(), "{html}");
    let stakes: Vec<f64> = headers
        .iter()
        .map(|h| {
            let amount = h.split(" at stake").next().unwrap().rsplit(' ').next().unwrap();
            amount.replace(',', "").parse().unwrap()
        })
        .collect();
    assert!(
        stakes.windows(2).all(|w| w[0] >= w[1]),
        "ranked by value at stake: {headers:?}"
    );

    // Each exception opens the stock table filtered to it, with as many rows as it counts.
    let doc = scraper::Html::parse_document(&html);
    let link = scraper::Selector::parse("article.exception header a").unwrap();
    for a in doc.select(&link) {
        let href = a.value().attr("href").unwrap().replace("&amp;", "&");
        let kind = href
            .split("exception=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string();
        let expected = app
            .su_number(&format!(
                "SELECT count(*) AS n FROM {schema}.stock_positions p JOIN {schema}.stock_scopes s ON s.id = p.scope_id
                  WHERE s.kind = 'group' AND p.exception = '{kind}'"
            ))
            .await;
        let (status, table) = client.get_html(&href).await;
        assert_eq!(status, StatusCode::OK, "{href}");
        let summary = texts(&table, "#stock-summary").join(" ");
        assert!(
            summary.starts_with(&format!("{expected} rows")),
            "{href}: {expected} rows in {summary}"
        );
    }

    // The web shop's tile counts the products it cannot sell.
    let outs = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {schema}.stock_positions WHERE sellable IS NOT NULL AND sellable <= 0"
        ))
        .await;
    let tile = texts(&html, ".tile-channel .figure").join("");
    assert_eq!(tile, outs.to_string());

    // Syncs failing: the page says the figures are getting older.
    app.su_exec(&format!(
        "INSERT INTO {schema}.alerts (kind, message) VALUES ('sync_failing', 'The last 3 attempts to sync with Odoo failed.')"
    ))
    .await;
    let (_, html) = client.get_html("/t/acme").await;
    let stale = texts(&html, "#stale").join(" ");
    assert!(stale.contains("failing"), "{stale}");
}

/// Exports of the current view: every row (not a page), typed, with formulas defused.
#[tokio::test]
async fn exports_hold_the_whole_view_and_defuse_formulas() {
    use reqwest::StatusCode;
    let (app, _registry, tenant, _sim) = synced_tenant(17).await;
    let schema = tenant.schema_name();
    // A product whose name a spreadsheet would run as a formula.
    let product = app
        .su_number(&format!(
            "SELECT min(p.product_id) AS n FROM {schema}.stock_positions p JOIN {schema}.stock_scopes s ON s.id = p.scope_id
              WHERE s.kind = 'total' AND p.status = 'ok'"
        ))
        .await;
    app.su_exec(&format!(
        "UPDATE {schema}.odoo_product_product SET display_name = '=HYPERLINK(\"http://evil.test\")' WHERE odoo_id = {product}"
    ))
    .await;
    truestock::sync::positions::refresh(&app.app_db, tenant, None)
        .await
        .unwrap();
    let manager = app.add_user("manager@acme.test", "acme", "manager").await;
    let client = app.signed_in(&manager).await;

    let expected = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {schema}.stock_positions p JOIN {schema}.stock_scopes s ON s.id = p.scope_id
              WHERE s.kind = 'total' AND p.status = 'ok'"
        ))
        .await;
    assert!(expected > 50, "more than a page: {expected}");
    let res = client.get("/t/acme/stock/export.csv?status=ok&sort=sku&dir=asc").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let body = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(reader.headers().unwrap().get(4), Some("On hand"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len() as i64, expected, "every row of the view");
    assert!(records.iter().all(|r| &r[14] == "ok"));
    assert!(
        records.iter().all(|r| r[4].parse::<f64>().is_ok()),
        "numbers are numbers"
    );
    let hostile = records
        .iter()
        .find(|r| r[1].contains("HYPERLINK"))
        .expect("the renamed product");
    assert!(hostile[1].starts_with("'="), "{:?}", &hostile[1]);

    let res = client.get("/t/acme/stock/export.xlsx?status=ok").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "a zip container");

    let (status, _) = client.get_html("/t/acme/stock/export.csv?sort=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// An admin's stock settings: validation, a region over two stores, a new channel with a percent
/// buffer, quarantine; each change audited and followed by a refresh after which the figures still
/// equal domain::stock's. Managers may not change them.
#[tokio::test]
async fn an_admin_sets_up_regions_channels_and_quarantine_and_the_figures_follow() {
    use crate::helpers::{csrf_from, texts};
    use reqwest::StatusCode;
    let (app, registry, tenant, _sim) = synced_tenant(17).await;
    let schema = tenant.schema_name();
    let admin = app.add_user("admin@acme.test", "acme", "admin").await;
    let client = app.signed_in(&admin).await;
    let (status, html) = client.get_html("/t/acme/settings/stock").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(texts(&html, "#groups tbody tr").len(), 5, "the derived groups");
    let csrf = csrf_from(&html).unwrap();

    // Settings: a bad time zone is refused where it was typed; a good one is saved and audited.
    let general = |tz: &'static str| {
        [
            ("time_zone", tz),
            ("currency", "eur"),
            ("sales_window_days", "28"),
            ("low_cover_days", "10"),
            ("overstock_cover_days", "100"),
        ]
    };
    let res = client
        .post_form("/t/acme/settings/stock/general", &general("Mars/Olympus"), &csrf)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("is not a time zone"));
    let res = client
        .post_form("/t/acme/settings/stock/general", &general("UTC"), &csrf)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // A region over Store 01 and Store 02.
    let res = client
        .post_form(
            "/t/acme/settings/stock/groups/new",
            &[("name", "North"), ("kind", "region"), ("parent", "")],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let groups: Vec<(uuid::Uuid, String, Vec<i64>)> = with_tenant(&app.app_db, tenant, async |tx| {
        let groups = location_group::Entity::find().all(tx).await?;
        let locations = truestock::db::stock_setup::group_locations(tx).await?;
        Ok::<_, sea_orm::DbErr>(
            groups
                .into_iter()
                .map(|g| (g.id, g.name.clone(), locations.get(&g.id).cloned().unwrap_or_default()))
                .collect(),
        )
    })
    .await
    .unwrap();
    let find = |name: &str| groups.iter().find(|g| g.1 == name).unwrap().clone();
    let north = find("North").0.to_string();
    for store in ["Store 01", "Store 02"] {
        let (id, name, locations) = find(store);
        let locations: Vec<String> = locations.iter().map(i64::to_string).collect();
        let mut fields = vec![("name", name.as_str()), ("kind", "store"), ("parent", north.as_str())];
        fields.extend(locations.iter().map(|l| ("location", l.as_str())));
        let res = client
            .post_form(&format!("/t/acme/settings/stock/groups/{id}"), &fields, &csrf)
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{store}");
    }
    // A region inside a region is refused.
    let res = client
        .post_form(
            "/t/acme/settings/stock/groups/new",
            &[("name", "Far north"), ("kind", "region"), ("parent", north.as_str())],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Click and collect from Store 01, holding back 10%.
    let store1 = find("Store 01").2[0].to_string();
    let res = client
        .post_form(
            "/t/acme/settings/stock/channels/new",
            &[
                ("name", "Click and collect"),
                ("buffer_kind", "percent"),
                ("buffer_value", "10"),
                ("location", store1.as_str()),
            ],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = client
        .post_form(
            "/t/acme/settings/stock/channels/new",
            &[
                ("name", "Nowhere"),
                ("buffer_kind", "percent"),
                ("buffer_value", "150"),
                ("location", "1"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "more than 100%");

    // Quarantine: no location at all any more.
    let res = client.post_form("/t/acme/settings/stock/quarantine", &[], &csrf).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Each change was audited and queued a refresh; after it the figures equal the definitions.
    let audited = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {schema}.audit_log WHERE action LIKE 'location_group.%' OR action LIKE 'sales_channel.%' \
             OR action IN ('stock_settings.updated', 'quarantine.updated')"
        ))
        .await;
    assert_eq!(audited, 6);
    let report = truestock::jobs::worker::drain(&app.app_db, &registry, &[truestock::jobs::Queue::Pull])
        .await
        .unwrap();
    assert_eq!(report.done, 1, "one refresh for all the changes: {report:?}");
    let held = mirror(&app, tenant).await;
    assert_eq!(held.settings.currency, "EUR");
    assert!(held.quarantine.is_empty());
    assert!(held.scopes.iter().any(|s| s.name == "North") && held.scopes.iter().any(|s| s.name == "Click and collect"));
    held.assert_positions_equal_the_figures("after the admin's changes");
    let configured = app
        .su_number(&format!(
            "SELECT count(*) AS n FROM {schema}.settings WHERE locations_configured"
        ))
        .await;
    assert_eq!(configured, 1, "never derived again");

    // A manager may look at the stock but not change its settings.
    let manager = app.add_user("manager@acme.test", "acme", "manager").await;
    let client = app.signed_in(&manager).await;
    let (status, _) = client.get_html("/t/acme/settings/stock").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csrf = client.csrf_token("/t/acme").await;
    let res = client.post_form("/t/acme/settings/stock/quarantine", &[], &csrf).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
