//! Retail datasets, generated deterministically from a seed and dated relative to the simulator's
//! start (DESIGN §6). This slice generates the master data and stock positions: companies, users,
//! units (some products bought by the box), categories, warehouses with stores, regional warehouses and
//! a web shop (stock, transit, scrap, inventory-loss and quarantine locations), products with valid
//! EAN-13 barcodes (a few near-duplicates and duplicate barcodes), and quants (a few negative). Write
//! dates are backdated: most records old, a recent few recent. Purchase orders, moves, returns, scraps
//! and counts come with the next slices.

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::store::Store;

/// Which dataset to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// 1 regional warehouse, 3 stores, a web shop; 2,000 SKUs; one company.
    RetailS,
    /// 2 regional warehouses, 18 stores, a web shop; 20,000 SKUs; two companies.
    RetailM,
    /// The same network with 200,000 SKUs.
    RetailL,
}

impl Dataset {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "retail-S" | "retail-s" => Some(Dataset::RetailS),
            "retail-M" | "retail-m" => Some(Dataset::RetailM),
            "retail-L" | "retail-l" => Some(Dataset::RetailL),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dataset::RetailS => "retail-S",
            Dataset::RetailM => "retail-M",
            Dataset::RetailL => "retail-L",
        }
    }

    fn shape(self) -> Shape {
        match self {
            Dataset::RetailS => Shape {
                skus: 2_000,
                regional: 1,
                stores: 3,
                companies: 1,
                history_days: 183,
            },
            Dataset::RetailM => Shape {
                skus: 20_000,
                regional: 2,
                stores: 18,
                companies: 2,
                history_days: 730,
            },
            Dataset::RetailL => Shape {
                skus: 200_000,
                regional: 2,
                stores: 18,
                companies: 2,
                history_days: 730,
            },
        }
    }
}

struct Shape {
    skus: usize,
    regional: usize,
    stores: usize,
    companies: usize,
    history_days: i64,
}

/// The bot user TrueStock connects as (uid 2, like Odoo's first real user).
pub const BOT_UID: i64 = 2;

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A valid EAN-13 for `n` (prefix 20, in-store numbering).
pub fn ean13(n: u64) -> String {
    let body = format!("20{:010}", n % 10_000_000_000);
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Fills `store` with `dataset`, deterministically from `seed`, dated back from `start`.
pub fn generate(store: &mut Store, dataset: Dataset, seed: u64, start: NaiveDateTime, bot_login: &str) {
    let shape = dataset.shape();
    let mut rng = StdRng::seed_from_u64(seed);
    let version = store.schema.version;
    // Backdated times: most of the history long ago, some of it in the last days.
    let when = |rng: &mut StdRng| -> NaiveDateTime {
        let recent = rng.random_bool(0.1);
        let days = if recent {
            rng.random_range(0..7)
        } else {
            rng.random_range(7..shape.history_days)
        };
        start
            - Duration::days(days)
            - Duration::seconds(rng.random_range(0..86_400))
            - Duration::microseconds(rng.random_range(0..1_000_000))
    };
    let epoch = start - Duration::days(shape.history_days + 30);
    let create = |store: &mut Store, model: &str, vals: Value, uid: i64, at: NaiveDateTime| -> i64 {
        store
            .create_at(model, &obj(vals), uid, at)
            .unwrap_or_else(|e| panic!("dataset: {model}: {}", e.message))
    };

    // ir.model: real clients (odoorpc) check that a model exists before using it.
    let mut model_names: Vec<(&'static str, &'static str)> = store
        .schema
        .model_names()
        .filter_map(|m| store.schema.model(m).map(|spec| (m, spec.label)))
        .collect();
    model_names.sort();
    for (model, label) in model_names {
        create(store, "ir.model", json!({"name": label, "model": model}), 1, epoch);
    }

    // Currency, companies, users.
    let eur = create(store, "res.currency", json!({"name": "EUR", "symbol": "€"}), 1, epoch);
    let mut companies = Vec::new();
    for c in 0..shape.companies {
        let name = if c == 0 {
            "North Retail Group"
        } else {
            "North Retail Outlet"
        };
        let partner = create(
            store,
            "res.partner",
            json!({"name": name, "is_company": true}),
            1,
            epoch,
        );
        companies.push(create(
            store,
            "res.company",
            json!({"name": name, "currency_id": eur, "partner_id": partner}),
            1,
            epoch,
        ));
    }
    // uid 1 is Odoo's superuser; the bot TrueStock connects as is uid 2; the rest are staff whose
    // create_uid/write_uid show up across the data.
    let system_partner = create(store, "res.partner", json!({"name": "OdooBot"}), 1, epoch);
    create(
        store,
        "res.users",
        json!({"name": "OdooBot", "login": "__system__", "partner_id": system_partner, "company_id": companies[0]}),
        1,
        epoch,
    );
    let user_names = [
        "TrueStock Bot",
        "Store Manager",
        "Warehouse Lead",
        "Buyer",
        "Web Shop Ops",
        "Finance Clerk",
    ];
    let mut users = Vec::new();
    for (i, name) in user_names.iter().enumerate() {
        let login = if i == 0 {
            bot_login.to_string()
        } else {
            format!("user{i}@north-retail.example")
        };
        let partner = create(store, "res.partner", json!({"name": name}), 1, epoch);
        let uid = create(
            store,
            "res.users",
            json!({"name": name, "login": login, "partner_id": partner, "company_id": companies[0], "company_ids": companies}),
            1,
            epoch,
        );
        users.push(uid);
    }
    debug_assert_eq!(users[0], BOT_UID);
    let pick_user = |rng: &mut StdRng| users[rng.random_range(0..users.len())];

    // Units: the reference unit, and boxes products are bought in.
    let units = create(store, "uom.uom", uom_vals(version, "Units", 1.0, None), 1, epoch);
    let box6 = create(
        store,
        "uom.uom",
        uom_vals(version, "Box of 6", 1.0 / 6.0, Some(units)),
        1,
        epoch,
    );
    let box12 = create(
        store,
        "uom.uom",
        uom_vals(version, "Box of 12", 1.0 / 12.0, Some(units)),
        1,
        epoch,
    );

    // Categories.
    let all = create(store, "product.category", json!({"name": "All"}), 1, epoch);
    let mut categories = Vec::new();
    for top in ["Apparel", "Footwear", "Home", "Electronics", "Grocery", "Beauty"] {
        let parent = create(
            store,
            "product.category",
            json!({"name": top, "parent_id": all}),
            1,
            epoch,
        );
        for sub in ["Core", "Seasonal"] {
            categories.push(create(
                store,
                "product.category",
                json!({"name": sub, "parent_id": parent}),
                1,
                epoch,
            ));
        }
    }

    // Locations shared by the network.
    let partners_view = create(
        store,
        "stock.location",
        json!({"name": "Partners", "usage": "view"}),
        1,
        epoch,
    );
    let vendors = create(
        store,
        "stock.location",
        json!({"name": "Vendors", "usage": "supplier", "location_id": partners_view}),
        1,
        epoch,
    );
    let customers = create(
        store,
        "stock.location",
        json!({"name": "Customers", "usage": "customer", "location_id": partners_view}),
        1,
        epoch,
    );
    let virtual_view = create(
        store,
        "stock.location",
        json!({"name": "Virtual Locations", "usage": "view"}),
        1,
        epoch,
    );
    let loss = create(
        store,
        "stock.location",
        json!({"name": "Inventory adjustment", "usage": "inventory", "location_id": virtual_view, "company_id": companies[0]}),
        1,
        epoch,
    );
    let mut scrap =
        json!({"name": "Scrap", "usage": "inventory", "location_id": virtual_view, "company_id": companies[0]});
    if version <= 18 {
        scrap["scrap_location"] = json!(true);
    }
    let scrap_id = create(store, "stock.location", scrap, 1, epoch);
    create(
        store,
        "stock.location",
        json!({"name": "Inter-warehouse transit", "usage": "transit", "location_id": virtual_view}),
        1,
        epoch,
    );

    // Warehouses: regional warehouses, stores, the web shop; each with a stock location.
    let mut sites: Vec<(String, String, i64)> = Vec::new();
    for r in 0..shape.regional {
        sites.push((
            format!("Regional Warehouse {}", ["North", "South"][r % 2]),
            format!("RW{}", r + 1),
            companies[0],
        ));
    }
    for s in 0..shape.stores {
        let company = companies[s % companies.len()];
        sites.push((format!("Store {:02}", s + 1), format!("S{:02}", s + 1), company));
    }
    sites.push(("Web Shop".into(), "WEB".into(), companies[0]));
    let mut stock_locations = Vec::new();
    let mut network = Vec::new();
    for (name, code, company) in &sites {
        let view = create(
            store,
            "stock.location",
            json!({"name": code, "usage": "view", "company_id": company}),
            1,
            epoch,
        );
        let warehouse = create(
            store,
            "stock.warehouse",
            json!({"name": name, "code": code, "company_id": company, "view_location_id": view}),
            1,
            epoch,
        );
        let stock = create(
            store,
            "stock.location",
            json!({"name": "Stock", "usage": "internal", "location_id": view, "company_id": company}),
            1,
            epoch,
        );
        store
            .write_at(
                "stock.warehouse",
                &[warehouse],
                &obj(json!({"lot_stock_id": stock})),
                1,
                epoch,
            )
            .expect("warehouse stock location");
        create(
            store,
            "stock.location",
            json!({"name": "Quarantine", "usage": "internal", "location_id": view, "company_id": company}),
            1,
            epoch,
        );
        if code.starts_with("RW") || code == "WEB" {
            create(
                store,
                "stock.location",
                json!({"name": "Shelf A", "usage": "internal", "location_id": stock, "company_id": company}),
                1,
                epoch,
            );
        }
        stock_locations.push(stock);
        network.push(super::activity::Site {
            warehouse,
            stock,
            code: code.clone(),
            company: *company,
        });
    }

    // Products: long-tail prices, valid EAN-13s, some bought by the box.
    let adjectives = [
        "Classic", "Urban", "Soft", "Bright", "Eco", "Pro", "Light", "Warm", "Cool", "Smart",
    ];
    let nouns = [
        "Tee",
        "Sneaker",
        "Mug",
        "Lamp",
        "Charger",
        "Coffee",
        "Shampoo",
        "Jacket",
        "Towel",
        "Headphones",
    ];
    let mut products = Vec::with_capacity(shape.skus);
    for n in 0..shape.skus {
        let at = when(&mut rng);
        let uid = pick_user(&mut rng);
        let mut name = format!(
            "{} {} {}",
            adjectives[n % adjectives.len()],
            nouns[(n / 10) % nouns.len()],
            n + 1
        );
        let mut barcode = ean13(n as u64 + 1);
        // A few near-duplicates (case and spacing) and duplicate barcodes, as real catalogues have.
        if n > 0 && n % 997 == 0 {
            name = format!(
                "{}  {}",
                adjectives[(n - 1) % adjectives.len()].to_uppercase(),
                &name[name.find(' ').unwrap_or(0) + 1..]
            );
        }
        if n > 0 && n % 1499 == 0 {
            barcode = ean13(n as u64);
        }
        let cost: f64 = (rng.random_range(1.0..120.0_f64) * 100.0).round() / 100.0;
        let mut template = json!({
            "name": name,
            "default_code": format!("SKU-{:06}", n + 1),
            "barcode": barcode,
            "categ_id": categories[n % categories.len()],
            "uom_id": units,
            "standard_price": cost,
            "list_price": ((cost * rng.random_range(1.6..2.8)) * 100.0).round() / 100.0,
            "sale_ok": true,
            "purchase_ok": true,
            "tracking": "none",
        });
        if version <= 18 {
            template["uom_po_id"] = json!(match n % 10 {
                0 => box6,
                1 => box12,
                _ => units,
            });
        }
        if version <= 17 {
            template["detailed_type"] = json!("product");
            template["type"] = json!("product");
        } else {
            template["type"] = json!("consu");
            template["is_storable"] = json!(true);
        }
        let tmpl = create(store, "product.template", template, uid, at);
        let variant = create(
            store,
            "product.product",
            json!({"product_tmpl_id": tmpl, "default_code": format!("SKU-{:06}", n + 1), "barcode": barcode, "standard_price": cost}),
            uid,
            at,
        );
        products.push(variant);
    }

    // Quants: each product stocked in a few sites; fast movers everywhere; a few negative.
    for (n, product) in products.iter().enumerate() {
        let sites_for_product = if n % 5 == 0 {
            stock_locations.len()
        } else {
            rng.random_range(1..=stock_locations.len().min(4))
        };
        for s in 0..sites_for_product {
            let location = stock_locations[(n + s * 7) % stock_locations.len()];
            let quantity: f64 = if rng.random_bool(0.003) {
                -rng.random_range(1..5) as f64
            } else {
                rng.random_range(0..120) as f64
            };
            if quantity == 0.0 {
                continue; // Odoo deletes quants that reach zero.
            }
            let reserved = if quantity > 0.0 && rng.random_bool(0.2) {
                rng.random_range(0..=quantity as i64) as f64
            } else {
                0.0
            };
            let at = when(&mut rng);
            create(
                store,
                "stock.quant",
                json!({"product_id": product, "location_id": location, "quantity": quantity, "reserved_quantity": reserved,
                       "in_date": at.format("%Y-%m-%d %H:%M:%S").to_string()}),
                pick_user(&mut rng),
                at,
            );
        }
    }

    // Two years (or six months) of purchasing, sales, returns, scraps, counts and reorder rules.
    let places = super::activity::Places {
        vendors,
        customers,
        loss,
        scrap: scrap_id,
    };
    super::activity::generate(
        store,
        &mut rng,
        &super::activity::Context {
            network: &network,
            products: &products,
            users: &users,
            places,
            start,
            history_days: shape.history_days,
            version,
        },
    );
}

fn uom_vals(version: u8, name: &str, factor: f64, reference: Option<i64>) -> Value {
    let mut vals = json!({"name": name, "factor": factor, "rounding": 0.01});
    if version <= 18 {
        vals["uom_type"] = json!(if reference.is_some() { "bigger" } else { "reference" });
    } else if let Some(unit) = reference {
        vals["relative_factor"] = json!(1.0 / factor);
        vals["relative_uom_id"] = json!(unit);
    }
    vals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barcodes_are_valid_ean13() {
        for n in [1_u64, 42, 99_999] {
            let code = ean13(n);
            assert_eq!(code.len(), 13);
            let digits: Vec<u32> = code.bytes().map(|b| u32::from(b - b'0')).collect();
            let sum: u32 = digits
                .iter()
                .enumerate()
                .map(|(i, d)| d * if i % 2 == 0 { 1 } else { 3 })
                .sum();
            assert_eq!(sum % 10, 0, "{code}");
        }
    }
}
