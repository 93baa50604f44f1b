//! The Odoo client against the simulator over real HTTP, on every version and its transport
//! (JSON-RPC for 16–18, JSON-2 for 19): version detection, reads with domains, writes, and each error
//! class provoked through the wire.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, json};

use truestock::odoo::sim::{Dataset, RunningSimulator, SimConfig, Simulator};
use truestock::odoo::value::{self, Many2One};
use truestock::odoo::{Client, Domain, OdooConfig, OdooError, Op, SearchOptions};

const KEY: &str = "test-key-0123456789";

async fn simulator(version: u8) -> RunningSimulator {
    let mut config = SimConfig::new(version, Dataset::RetailS);
    config.api_key = KEY.into();
    let simulator = tokio::task::spawn_blocking(move || Simulator::new(config))
        .await
        .unwrap();
    RunningSimulator::start(simulator, SocketAddr::from(([127, 0, 0, 1], 0))).unwrap()
}

fn config(sim: &RunningSimulator, key: &str) -> OdooConfig {
    let c = &sim.simulator.config;
    OdooConfig::new(
        sim.url.parse().unwrap(),
        &c.database,
        &c.login,
        SecretString::from(key.to_string()),
    )
    .reach_anywhere()
}

async fn client(sim: &RunningSimulator) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::connect(config(sim, KEY)).await.expect("the client connects")
}

#[derive(Debug, Deserialize)]
struct Quant {
    id: i64,
    #[serde(deserialize_with = "value::opt_many2one")]
    product_id: Option<Many2One>,
    #[serde(deserialize_with = "value::opt_many2one")]
    location_id: Option<Many2One>,
    #[serde(deserialize_with = "value::number")]
    quantity: f64,
    #[serde(deserialize_with = "value::opt_datetime")]
    write_date: Option<DateTime<Utc>>,
}

#[tokio::test]
async fn the_client_detects_each_version_and_reads_over_its_transport() {
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        assert_eq!(client.version().major, version);
        assert_eq!(client.uid(), 2);
        let internal = Domain::leaf("location_id.usage", Op::Eq, "internal");
        let options = SearchOptions::default().order("id asc").limit(50);
        let page: Vec<Quant> = client
            .search_read(
                "stock.quant",
                &internal,
                &["product_id", "location_id", "quantity", "write_date"],
                &options,
            )
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        assert_eq!(page.len(), 50, "Odoo {version}");
        assert!(page.windows(2).all(|w| w[0].id < w[1].id));
        assert!(
            page.iter()
                .all(|q| q.product_id.as_ref().is_some_and(|p| p.name.is_some())
                    && q.location_id.is_some()
                    && q.write_date.is_some())
        );
        let total = client
            .search_count("stock.quant", &internal, &SearchOptions::default())
            .await
            .unwrap();
        let expected = sim.simulator.with_store(|s| s.len("stock.quant")) as u64;
        assert_eq!(total, expected, "Odoo {version}");
        sim.stop().await;
    }
}

#[tokio::test]
async fn domains_page_order_and_traverse_like_odoo() {
    let sim = simulator(17).await;
    let client = client(&sim).await;
    // child_of on the regional warehouse's view location finds its stock and shelf locations' quants.
    let locations: Vec<serde_json::Value> = client
        .search_read(
            "stock.location",
            &Domain::leaf("complete_name", Op::Eq, "RW1"),
            &["id"],
            &SearchOptions::default(),
        )
        .await
        .unwrap();
    let view = locations[0]["id"].as_i64().unwrap();
    let in_rw1 = Domain::leaf("location_id", Op::ChildOf, view);
    let count = client
        .search_count("stock.quant", &in_rw1, &SearchOptions::default())
        .await
        .unwrap();
    assert!(count > 0);
    // Pages of 100 ordered by (write_date, id) cover exactly the same rows as one big read.
    let mut paged = Vec::new();
    loop {
        let options = SearchOptions::default()
            .order("write_date asc, id asc")
            .limit(100)
            .offset(paged.len());
        let page: Vec<Quant> = client
            .search_read(
                "stock.quant",
                &in_rw1,
                &["write_date", "product_id", "location_id", "quantity"],
                &options,
            )
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        paged.extend(page);
    }
    assert_eq!(paged.len() as u64, count);
    assert!(
        paged
            .windows(2)
            .all(|w| (w[0].write_date, w[0].id) <= (w[1].write_date, w[1].id))
    );
    // Negative quants, a dotted path with ilike, `in`, `=` false and NOT.
    let negative = Domain::leaf("quantity", Op::Lt, 0).and_leaf("product_id.name", Op::Ilike, "e");
    let rows: Vec<Quant> = client
        .search_read(
            "stock.quant",
            &negative,
            &["quantity", "product_id", "location_id", "write_date"],
            &SearchOptions::default(),
        )
        .await
        .unwrap();
    assert!(rows.iter().all(|q| q.quantity < 0.0));
    let unowned = Domain::leaf("owner_id", Op::Eq, false).and(Domain::leaf("id", Op::In, json!([1, 2, 3])));
    assert_eq!(
        client
            .search_count("stock.quant", &unowned, &SearchOptions::default())
            .await
            .unwrap(),
        3
    );
    let not_first = Domain::leaf("id", Op::In, json!([1, 2, 3])).and(Domain::leaf("id", Op::Eq, 1).negate());
    assert_eq!(
        client
            .search_count("stock.quant", &not_first, &SearchOptions::default())
            .await
            .unwrap(),
        2
    );
    // A many2one compared with text searches the related record's name.
    let by_name = Domain::leaf("product_id", Op::Ilike, "classic tee 1");
    let rows: Vec<Quant> = client
        .search_read(
            "stock.quant",
            &by_name,
            &["product_id", "location_id", "quantity", "write_date"],
            &SearchOptions::default(),
        )
        .await
        .unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|q| {
        q.product_id
            .as_ref()
            .unwrap()
            .name
            .as_deref()
            .unwrap()
            .to_lowercase()
            .contains("classic tee 1")
    }));
    // `any` (17+) on an x2many.
    let with_variant = Domain::any(
        "product_variant_ids",
        Domain::leaf("default_code", Op::Eq, "SKU-000001"),
        false,
    );
    assert_eq!(
        client
            .search_count("product.template", &with_variant, &SearchOptions::default())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn write_dates_are_kept_to_the_microsecond_and_returned_to_the_second() {
    let sim = simulator(17).await;
    let client = client(&sim).await;
    let first: Vec<Quant> = client
        .read(
            "stock.quant",
            &[1],
            &["write_date", "product_id", "location_id", "quantity"],
            &SearchOptions::default(),
        )
        .await
        .unwrap();
    let shown = first[0].write_date.unwrap();
    assert_eq!(shown.timestamp_subsec_micros(), 0);
    // The stored value has microseconds, so `>=` the truncated second still finds the row, `=` does not.
    let at_or_after = Domain::leaf("write_date", Op::Ge, value::format_datetime(shown)).and_leaf("id", Op::Eq, 1);
    assert_eq!(
        client
            .search_count("stock.quant", &at_or_after, &SearchOptions::default())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn archived_records_need_active_test_false() {
    let sim = simulator(18).await;
    let client = client(&sim).await;
    let mut archive = Map::new();
    archive.insert("active".into(), json!(false));
    client
        .write("product.product", &[1], archive, &SearchOptions::default())
        .await
        .unwrap();
    let one = Domain::leaf("id", Op::Eq, 1);
    assert_eq!(
        client
            .search_count("product.product", &one, &SearchOptions::default())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        client
            .search_count("product.product", &one, &SearchOptions::default().include_archived())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn creates_and_writes_read_back_on_every_version() {
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let mut values = Map::new();
        values.insert("name".into(), json!("Truestock Test Mug"));
        values.insert("default_code".into(), json!("TS-1"));
        if version <= 17 {
            values.insert("detailed_type".into(), json!("product"));
        } else {
            values.insert("is_storable".into(), json!(true));
        }
        let template = client
            .create("product.template", values, &SearchOptions::default())
            .await
            .unwrap();
        let mut change = Map::new();
        change.insert("list_price".into(), json!(12.5));
        client
            .write("product.template", &[template], change, &SearchOptions::default())
            .await
            .unwrap();
        #[derive(Deserialize)]
        struct Template {
            #[serde(deserialize_with = "value::opt_string")]
            default_code: Option<String>,
            #[serde(deserialize_with = "value::number")]
            list_price: f64,
        }
        let rows: Vec<Template> = client
            .read(
                "product.template",
                &[template],
                &["default_code", "list_price"],
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            (rows[0].default_code.as_deref(), rows[0].list_price),
            (Some("TS-1"), 12.5),
            "Odoo {version}"
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn each_error_class_comes_through_the_wire() {
    for version in [17, 19] {
        let sim = simulator(version).await;
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Bad key at connect time.
        let err = Client::connect(config(&sim, "wrong-key")).await.unwrap_err();
        assert_eq!(err, OdooError::BadCredentials, "Odoo {version}");
        let client = client(&sim).await;
        let options = SearchOptions::default();
        // An unknown field is Odoo's ValueError.
        let err = client
            .search_count("stock.quant", &Domain::leaf("no_such_field", Op::Eq, 1), &options)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, OdooError::Server { name, .. } if name.ends_with("ValueError")),
            "{err:?}"
        );
        // Writing a record that is gone.
        let mut vals = Map::new();
        vals.insert("list_price".into(), json!(1.0));
        let err = client
            .write("product.template", &[999_999], vals, &options)
            .await
            .unwrap_err();
        assert!(matches!(err, OdooError::RecordMissing(_)), "Odoo {version}: {err:?}");
        // A business rule: a required field missing on create.
        let err = client
            .create("stock.warehouse", Map::new(), &options)
            .await
            .unwrap_err();
        assert!(matches!(err, OdooError::UserError(_)), "Odoo {version}: {err:?}");
        // A private method.
        let err = client
            .call_method("stock.quant", "_merge_quants", &[1], Vec::new(), &options)
            .await
            .unwrap_err();
        // JSON-RPC: AccessError "Private methods … cannot be called remotely"; JSON-2: 404.
        if version >= 19 {
            assert!(matches!(err, OdooError::Server { .. }), "Odoo {version}: {err:?}");
        } else {
            assert!(matches!(err, OdooError::AccessDenied { .. }), "Odoo {version}: {err:?}");
        }
        // A revoked key stops the next call.
        sim.simulator.revoke_key(KEY);
        let err = client
            .search_count("stock.quant", &Domain::all(), &options)
            .await
            .unwrap_err();
        assert_eq!(err, OdooError::BadCredentials, "Odoo {version}");
        sim.stop().await;
    }
}

#[tokio::test]
async fn an_expired_key_and_the_login_cooldown_refuse_access() {
    let sim = simulator(17).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    sim.simulator.add_key("short-lived", Some(-1));
    assert_eq!(
        Client::connect(config(&sim, "short-lived")).await.unwrap_err(),
        OdooError::BadCredentials
    );
    for _ in 0..10 {
        let _ = Client::connect(config(&sim, "guess")).await;
    }
    // Odoo's cooldown: after 10 failures even the right key is refused for a while.
    assert_eq!(
        Client::connect(config(&sim, KEY)).await.unwrap_err(),
        OdooError::BadCredentials
    );
}

#[tokio::test]
async fn transport_failures_size_caps_and_garbage_are_told_apart() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Nothing listening.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let cfg = OdooConfig::new(
        format!("http://{closed}").parse().unwrap(),
        "db",
        "bot",
        SecretString::from("k".to_string()),
    )
    .reach_anywhere();
    assert!(matches!(
        Client::connect(cfg).await.unwrap_err(),
        OdooError::Transport(_)
    ));

    // A server answering garbage, and one answering 502.
    for (answer, expect_transport) in [
        (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\nnot json",
            false,
        ),
        ("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", true),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        let cfg = OdooConfig::new(
            format!("http://{address}").parse().unwrap(),
            "db",
            "bot",
            SecretString::from("k".to_string()),
        )
        .reach_anywhere();
        let err = Client::connect(cfg).await.unwrap_err();
        if expect_transport {
            assert!(matches!(err, OdooError::Transport(_)), "{err:?}");
        } else {
            assert!(matches!(err, OdooError::Malformed(_)), "{err:?}");
        }
        server.abort();
    }

    // A response over the cap.
    let sim = simulator(17).await;
    let client = client(&sim).await;
    drop(client);
    let mut small = config(&sim, KEY);
    small.max_response_bytes = 4 * 1024;
    let client = Client::connect(small).await.unwrap();
    let err = client
        .search_read::<serde_json::Value>(
            "stock.quant",
            &Domain::all(),
            &["product_id"],
            &SearchOptions::default().limit(500),
        )
        .await
        .unwrap_err();
    assert_eq!(err, OdooError::ResponseTooLarge { limit: 4 * 1024 });
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: i64,
}

async fn id_of(client: &Client, model: &str, field: &str, value: &str) -> i64 {
    let rows: Vec<IdOnly> = client
        .search_read(
            model,
            &Domain::leaf(field, Op::Eq, value),
            &["id"],
            &SearchOptions::default(),
        )
        .await
        .unwrap();
    rows.first()
        .unwrap_or_else(|| panic!("no {model} with {field} = {value}"))
        .id
}

async fn on_hand(client: &Client, product: i64, location: i64) -> f64 {
    #[derive(Deserialize)]
    struct Q {
        #[serde(deserialize_with = "value::number")]
        quantity: f64,
    }
    let rows: Vec<Q> = client
        .search_read(
            "stock.quant",
            &Domain::leaf("product_id", Op::Eq, product).and_leaf("location_id", Op::Eq, location),
            &["quantity"],
            &SearchOptions::default(),
        )
        .await
        .unwrap();
    rows.iter().map(|q| q.quantity).sum()
}

#[tokio::test]
async fn a_scrap_is_validated_once_even_when_retried_on_every_version() {
    use truestock::odoo::writeback::{self, ScrapOutcome, ScrapRequest, Tracking};
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let product = id_of(&client, "product.product", "default_code", "SKU-000001").await;
        let location = id_of(&client, "stock.location", "complete_name", "RW1/Stock").await;
        let before = on_hand(&client, product, location).await;
        let reference = writeback::reference("acme", &format!("wo-{version}"));
        let mut request = ScrapRequest {
            reference: reference.clone(),
            company_id: 1,
            product_id: product,
            uom_id: 1,
            quantity: 1.0,
            location_id: location,
            tracking: Tracking::default(),
            scrap_location_id: None,
            reason_tag_ids: Vec::new(),
            force_insufficient: false,
        };
        let first = writeback::scrap(&client, &request)
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        let ScrapOutcome::Done { scrap_id, .. } = first else {
            panic!("Odoo {version}: {first:?}")
        };
        assert_eq!(
            on_hand(&client, product, location).await,
            before - 1.0,
            "Odoo {version}"
        );
        // A retry (say, after a timeout) finds the done scrap and does nothing more.
        let again = writeback::scrap(&client, &request).await.unwrap();
        assert!(
            matches!(again, ScrapOutcome::Done { scrap_id: s, .. } if s == scrap_id),
            "Odoo {version}"
        );
        assert_eq!(
            on_hand(&client, product, location).await,
            before - 1.0,
            "Odoo {version}"
        );

        // More than the location holds: Odoo's insufficient-quantity wizard, unless forced.
        request.reference = writeback::reference("acme", &format!("wo-big-{version}"));
        request.quantity = before + 1_000.0;
        let short = writeback::scrap(&client, &request).await.unwrap();
        assert!(
            matches!(short, ScrapOutcome::InsufficientQuantity { .. }),
            "Odoo {version}: {short:?}"
        );
        request.force_insufficient = true;
        let forced = writeback::scrap(&client, &request).await.unwrap();
        assert!(
            matches!(forced, ScrapOutcome::Done { .. }),
            "Odoo {version}: {forced:?}"
        );
        assert!(
            on_hand(&client, product, location).await < 0.0,
            "Odoo {version}: forced scrap makes stock negative"
        );

        // Zero quantity is Odoo's UserError.
        request.reference = writeback::reference("acme", &format!("wo-zero-{version}"));
        request.quantity = 0.0;
        request.force_insufficient = false;
        let err = writeback::scrap(&client, &request).await.unwrap_err();
        assert!(matches!(err, OdooError::UserError(_)), "Odoo {version}: {err:?}");
        sim.stop().await;
    }
}

#[tokio::test]
async fn a_count_is_applied_once_in_inventory_mode_on_every_version() {
    use truestock::odoo::writeback::{self, CountOutcome, CountRequest, Tracking};
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let product = id_of(&client, "product.product", "default_code", "SKU-000001").await;
        let location = id_of(&client, "stock.location", "complete_name", "S01/Stock").await;
        let request = CountRequest {
            reference: writeback::reference("acme", &format!("count-{version}")),
            company_id: 1,
            product_id: product,
            location_id: location,
            tracking: Tracking::default(),
            counted: 7.0,
            on_hand_at_count: None,
        };
        assert_eq!(
            writeback::apply_count(&client, &request).await.unwrap(),
            CountOutcome::Applied { on_hand: 7.0 },
            "Odoo {version}"
        );
        assert_eq!(on_hand(&client, product, location).await, 7.0, "Odoo {version}");
        // Stock moves on (a sale of 2); then the retry sees the applied adjustment and does not set the
        // quant back to 7.
        sim.simulator.with_store_mut(|store| {
            let quant = store
                .ids("stock.quant")
                .into_iter()
                .find(|q| {
                    store.get("stock.quant", *q, "product_id").as_id() == Some(product)
                        && store.get("stock.quant", *q, "location_id").as_id() == Some(location)
                })
                .expect("the counted quant");
            store.set_raw(
                "stock.quant",
                quant,
                "quantity",
                truestock::odoo::sim::store::Val::Float(5.0),
            );
        });
        assert_eq!(
            writeback::apply_count(&client, &request).await.unwrap(),
            CountOutcome::Applied { on_hand: 5.0 },
            "the retry reports what Odoo holds now"
        );
        assert_eq!(on_hand(&client, product, location).await, 5.0);
        // A count taken when 7 were on hand, applied after a sale left 5: a conflict, nothing written.
        let stale = CountRequest {
            reference: writeback::reference("acme", &format!("stale-{version}")),
            counted: 6.0,
            on_hand_at_count: Some(7.0),
            ..request.clone()
        };
        assert_eq!(
            writeback::apply_count(&client, &stale).await.unwrap(),
            CountOutcome::Conflict
        );
        assert_eq!(on_hand(&client, product, location).await, 5.0);
        // Counting zero applies and deletes the quant, as Odoo does.
        let zero = CountRequest {
            reference: writeback::reference("acme", &format!("count0-{version}")),
            counted: 0.0,
            ..request
        };
        writeback::apply_count(&client, &zero).await.unwrap();
        let quants = client
            .search_count(
                "stock.quant",
                &Domain::leaf("product_id", Op::Eq, product).and_leaf("location_id", Op::Eq, location),
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(quants, 0, "Odoo {version}");
        // Outside inventory mode, quants cannot be edited.
        let mut vals = Map::new();
        vals.insert("inventory_quantity".into(), json!(3.0));
        let err = client
            .write("stock.quant", &[1], vals, &SearchOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, OdooError::UserError(_)), "Odoo {version}: {err:?}");
        sim.stop().await;
    }
}

/// Reads a few rows of `T` with its version's field list: any field the version lacks would be
/// Odoo's "Invalid field" error.
async fn read_with_adapter<T: truestock::odoo::records::OdooModel>(client: &Client) -> usize {
    let version = client.version().major;
    let fields = T::fields(version, None);
    let options = SearchOptions::default().include_archived().limit(3).order("id asc");
    let rows: Vec<T> = client
        .search_read(T::MODEL, &Domain::all(), &fields, &options)
        .await
        .unwrap_or_else(|e| panic!("{} on Odoo {version}: {e}", T::MODEL));
    rows.len()
}

#[tokio::test]
async fn every_adapter_reads_its_model_on_every_version() {
    use truestock::odoo::records::*;
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        assert!(read_with_adapter::<ProductTemplate>(&client).await > 0);
        assert!(read_with_adapter::<ProductProduct>(&client).await > 0);
        assert!(read_with_adapter::<ProductCategory>(&client).await > 0);
        assert!(read_with_adapter::<Uom>(&client).await > 0);
        assert!(read_with_adapter::<Company>(&client).await > 0);
        assert!(read_with_adapter::<Currency>(&client).await > 0);
        assert!(read_with_adapter::<User>(&client).await > 0);
        assert!(read_with_adapter::<Partner>(&client).await > 0);
        assert!(read_with_adapter::<Warehouse>(&client).await > 0);
        assert!(read_with_adapter::<Location>(&client).await > 0);
        assert!(read_with_adapter::<Quant>(&client).await > 0);
        // Models the dataset does not fill yet still answer with their version's fields.
        read_with_adapter::<PickingType>(&client).await;
        read_with_adapter::<Move>(&client).await;
        read_with_adapter::<MoveLine>(&client).await;
        read_with_adapter::<Picking>(&client).await;
        read_with_adapter::<Scrap>(&client).await;
        read_with_adapter::<PurchaseOrder>(&client).await;
        read_with_adapter::<PurchaseOrderLine>(&client).await;
        read_with_adapter::<SupplierInfo>(&client).await;
        read_with_adapter::<Orderpoint>(&client).await;
        if version >= 18 {
            read_with_adapter::<ScrapReasonTag>(&client).await;
        }
        // OCA models are read only where installed; the simulated Odoo has none.
        assert!(client.model_exists("stock.quant").await.unwrap());
        assert!(!client.model_exists(RmaReason::MODEL).await.unwrap());
        assert!(!client.model_exists(ScrapReasonCode::MODEL).await.unwrap());
        sim.stop().await;
    }
}

#[tokio::test]
async fn injected_faults_surface_as_their_error_classes() {
    use std::time::{Duration, Instant};
    use truestock::odoo::sim::faults::Fault;
    for version in [17, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let options = SearchOptions::default();
        let everything = Domain::all();
        let count = || client.search_count("stock.quant", &everything, &options);
        let page = options.clone().limit(50);
        let faults = &sim.simulator.faults;

        // Session expiry is retried once, transparently; twice in a row surfaces.
        faults.queue(Fault::SessionExpired);
        assert!(count().await.is_ok(), "Odoo {version}");
        faults.queue(Fault::SessionExpired);
        faults.queue(Fault::SessionExpired);
        assert_eq!(count().await.unwrap_err(), OdooError::SessionExpired, "Odoo {version}");

        faults.queue(Fault::Status(502));
        assert!(
            matches!(count().await.unwrap_err(), OdooError::Transport(_)),
            "Odoo {version}"
        );
        faults.queue(Fault::Conflict);
        let conflict = count().await.unwrap_err();
        assert_eq!(conflict, OdooError::Concurrency, "Odoo {version}");
        assert!(conflict.is_transient());
        faults.queue(Fault::Status(503));
        assert!(count().await.unwrap_err().is_transient(), "Odoo {version}");

        faults.queue(Fault::Drop);
        assert!(
            matches!(count().await.unwrap_err(), OdooError::Transport(_)),
            "Odoo {version}"
        );

        faults.queue(Fault::Truncate);
        let rows = client
            .search_read::<serde_json::Value>("stock.quant", &everything, &["quantity"], &page)
            .await;
        assert!(matches!(rows.unwrap_err(), OdooError::Malformed(_)), "Odoo {version}");

        faults.queue(Fault::Oversize(65 * 1024 * 1024));
        assert!(
            matches!(count().await.unwrap_err(), OdooError::ResponseTooLarge { .. }),
            "Odoo {version}"
        );

        // One model denied: that model's access error, the others carry on.
        faults.deny_model("purchase.order");
        let denied = client
            .search_count("purchase.order", &Domain::all(), &options)
            .await
            .unwrap_err();
        assert!(
            matches!(&denied, OdooError::AccessDenied { model, .. } if model == "purchase.order"),
            "{denied:?}"
        );
        assert!(count().await.is_ok());
        faults.allow_model("purchase.order");

        // Latency and slow pages are felt, and bounded by the client's timeout.
        faults.set_latency(Duration::from_millis(300), Duration::ZERO);
        let started = Instant::now();
        count().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300));
        faults.set_latency(Duration::ZERO, Duration::ZERO);
        let mut impatient = config(&sim, KEY);
        impatient.request_timeout = Duration::from_millis(500);
        let impatient = Client::connect(impatient).await.unwrap();
        faults.set_latency(Duration::ZERO, Duration::from_secs(2));
        let slow = impatient
            .search_read::<serde_json::Value>("stock.quant", &everything, &["quantity"], &page)
            .await;
        assert!(matches!(slow.unwrap_err(), OdooError::Transport(_)), "Odoo {version}");
        faults.set_latency(Duration::ZERO, Duration::ZERO);
        sim.stop().await;
    }
}

#[tokio::test]
async fn aggregate_reads_match_the_rows_on_every_version() {
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let window = Domain::leaf("id", Op::Gt, 100).and_leaf("id", Op::Le, 400);
        let rows: Vec<Quant> = client
            .search_read(
                "stock.quant",
                &window,
                &["quantity", "product_id", "location_id", "write_date"],
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        let aggregate = client
            .aggregate(
                "stock.quant",
                &window,
                &["quantity", "reserved_quantity"],
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(aggregate.count, rows.len() as u64, "Odoo {version}");
        let sum: f64 = rows.iter().map(|q| q.quantity).sum();
        assert!((aggregate.total("quantity") - sum).abs() < 1e-6, "Odoo {version}");
        let empty = client
            .aggregate(
                "stock.quant",
                &Domain::leaf("id", Op::Lt, 0),
                &["quantity"],
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!((empty.count, empty.total("quantity")), (0, 0.0), "Odoo {version}");
        sim.stop().await;
    }
}

#[tokio::test]
async fn a_product_is_created_once_and_a_duplicate_barcode_is_refused_on_every_version() {
    use truestock::odoo::records::OdooModel as _;
    use truestock::odoo::writeback::{self, ProductProposal};
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let proposal = ProductProposal {
            company_id: 1,
            name: "Linen Shirt".into(),
            default_code: format!("TS-NEW-{version}"),
            barcode: Some(truestock::odoo::sim::dataset::ean13(9_000_000 + u64::from(version))),
            category_id: 2,
            uom_id: 1,
            purchase_uom_id: Some(2),
            list_price: 39.9,
            standard_price: 14.2,
        };
        let first = writeback::create_product(&client, &proposal)
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        assert!(first.created);
        let again = writeback::create_product(&client, &proposal).await.unwrap();
        assert_eq!(
            (again.template_id, again.variant_id, again.created),
            (first.template_id, first.variant_id, false)
        );
        let templates: Vec<truestock::odoo::records::ProductTemplate> = client
            .read(
                "product.template",
                &[first.template_id],
                &truestock::odoo::records::ProductTemplate::fields(version, None),
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        assert!(templates[0].is_storable(), "Odoo {version}");
        // An update, then a barcode another product has: Odoo's ValidationError.
        let mut changes = Map::new();
        changes.insert("standard_price".into(), json!(15.0));
        changes.insert("categ_id".into(), json!(2));
        assert_eq!(
            writeback::update_product(&client, 1, first.variant_id, changes.clone())
                .await
                .unwrap(),
            writeback::UpdateOutcome::Written
        );
        assert_eq!(
            writeback::update_product(&client, 1, first.variant_id, changes)
                .await
                .unwrap(),
            writeback::UpdateOutcome::AlreadyInOdoo,
            "Odoo {version}: a retry finds the change made"
        );
        let mut taken = Map::new();
        taken.insert("barcode".into(), json!(truestock::odoo::sim::dataset::ean13(1)));
        let err = writeback::update_product(&client, 1, first.variant_id, taken)
            .await
            .unwrap_err();
        assert!(matches!(err, OdooError::UserError(_)), "Odoo {version}: {err:?}");
        sim.stop().await;
    }
}

/// What a sync reads of sales and returns: POS sessions and web orders are pickings of outgoing types,
/// and returns point back at them (`return_id` from 17; on 16 only through the moves'
/// `origin_returned_move_id`).
#[tokio::test]
async fn sales_and_returns_read_as_linked_pickings_on_every_version() {
    use truestock::odoo::records::{Move, OdooModel as _, Picking};
    for version in [16, 17, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let all = SearchOptions::default();
        let loose = client
            .search_count(
                "stock.move",
                &Domain::leaf("picking_id", Op::Eq, false)
                    .and_leaf("state", Op::Eq, "done")
                    .and_leaf("location_dest_id.usage", Op::Eq, "customer"),
                &all,
            )
            .await
            .unwrap();
        assert_eq!(loose, 0, "Odoo {version}: done customer moves outside a picking");

        let sessions: Vec<Picking> = client
            .search_read(
                "stock.picking",
                &Domain::leaf("origin", Op::RawLike, "POS/%").and_leaf("picking_type_code", Op::Eq, "outgoing"),
                &Picking::fields(version, None),
                &SearchOptions::default().order("id").limit(20),
            )
            .await
            .unwrap();
        assert_eq!(sessions.len(), 20, "Odoo {version}");
        let session_lines = client
            .search_count(
                "stock.move",
                &Domain::leaf("picking_id", Op::In, sessions.iter().map(|p| p.id).collect::<Vec<_>>()),
                &all,
            )
            .await
            .unwrap();
        assert!(
            session_lines > sessions.len() as u64,
            "Odoo {version}: a POS session sells several products"
        );

        let returns: Vec<Picking> = client
            .search_read(
                "stock.picking",
                &Domain::leaf("origin", Op::RawLike, "Return of %"),
                &Picking::fields(version, None),
                &SearchOptions::default().order("id").limit(10),
            )
            .await
            .unwrap();
        assert_eq!(returns.len(), 10, "Odoo {version}");
        for back in &returns {
            assert_eq!(back.picking_type_code.as_deref(), Some("incoming"));
            let moves: Vec<Move> = client
                .search_read(
                    "stock.move",
                    &Domain::leaf("picking_id", Op::Eq, back.id),
                    &Move::fields(version, None),
                    &all,
                )
                .await
                .unwrap();
            assert!(!moves.is_empty(), "Odoo {version}: return {}", back.id);
            for returned in &moves {
                let sold = returned.origin_returned_move_id.as_ref().expect("the returned move");
                let sold: Vec<Move> = client
                    .read("stock.move", &[sold.id], &Move::fields(version, None), &all)
                    .await
                    .unwrap();
                let delivery = sold[0].picking_id.as_ref().expect("the delivery");
                let delivered: Vec<Picking> = client
                    .read("stock.picking", &[delivery.id], &Picking::fields(version, None), &all)
                    .await
                    .unwrap();
                assert_eq!(delivered[0].picking_type_code.as_deref(), Some("outgoing"));
                let expected = format!("Return of {}", delivered[0].name.as_deref().unwrap());
                assert_eq!(back.origin.as_deref(), Some(expected.as_str()), "Odoo {version}");
                if version >= 17 {
                    assert_eq!(
                        back.return_id.as_ref().map(|p| p.id),
                        Some(delivery.id),
                        "Odoo {version}"
                    );
                }
            }
        }
        sim.stop().await;
    }
}

#[tokio::test]
async fn live_mode_keeps_stock_moving_and_merges_quants_behind_the_cursor() {
    use rand::SeedableRng as _;
    use truestock::odoo::sim::live::{self, LiveState};
    let sim = simulator(17).await;
    let client = client(&sim).await;
    let moves_before = client
        .search_count("stock.move", &Domain::all(), &SearchOptions::default())
        .await
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut state = LiveState::default();
    let mut merged = Vec::new();
    let mut sales = 0;
    let mut replanned = 0;
    for _ in 0..20 {
        let tick = sim
            .simulator
            .with_store_mut(|store| live::tick(store, &mut state, &mut rng));
        sales += tick.sales;
        replanned += tick.replanned;
        merged.extend(tick.merged);
    }
    assert!(sales > 0);
    let moves_after = client
        .search_count("stock.move", &Domain::all(), &SearchOptions::default())
        .await
        .unwrap();
    assert!(moves_after > moves_before);
    // Live sales and returns come in pickings too.
    let loose = client
        .search_count(
            "stock.move",
            &Domain::leaf("picking_id", Op::Eq, false)
                .and_leaf("state", Op::Eq, "done")
                .and_leaf("location_dest_id.usage", Op::In, vec!["customer", "internal"])
                .and_leaf("location_id.usage", Op::In, vec!["customer", "internal"]),
            &SearchOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(loose, 0, "done sales and returns outside a picking");
    // A promise moved live keeps the order's date_planned the earliest of its lines'.
    assert!(replanned > 0);
    sim.simulator.with_store(|store| {
        use truestock::odoo::sim::store::Val;
        let at = |value: Val| match value {
            Val::DateTime(at) => Some(at),
            _ => None,
        };
        for order in store.ids("purchase.order") {
            let earliest = store
                .get("purchase.order", order, "order_line")
                .as_ids()
                .iter()
                .filter_map(|line| at(store.get("purchase.order.line", *line, "date_planned")))
                .min();
            assert_eq!(
                earliest,
                at(store.get("purchase.order", order, "date_planned")),
                "order {order}"
            );
        }
    });
    // A merged quant changed quantity but kept an old write_date: a cursor at "now − 1 minute" misses it.
    let survivor = *merged.first().expect("a merge within 20 ticks");
    let rows: Vec<Quant> = client
        .read(
            "stock.quant",
            &[survivor],
            &["quantity", "write_date", "product_id", "location_id"],
            &SearchOptions::default(),
        )
        .await
        .unwrap();
    let recent = chrono::Utc::now() - chrono::Duration::minutes(1);
    assert!(
        rows[0].write_date.unwrap() < recent,
        "the merge must not touch write_date"
    );
}

#[tokio::test]
async fn odoo_online_saas_builds_are_detected_and_spoken_to_over_their_transport() {
    for (major, minor) in [(17, 4), (19, 1)] {
        let mut config = SimConfig::new(major, Dataset::RetailS);
        config.saas_minor = Some(minor);
        config.api_key = KEY.into();
        let simulator = tokio::task::spawn_blocking(move || Simulator::new(config))
            .await
            .unwrap();
        let sim = RunningSimulator::start(simulator, SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let client = client(&sim).await;
        assert_eq!(client.version().text, format!("saas~{major}.{minor}"));
        assert_eq!(
            (client.version().major, client.version().saas_minor),
            (major, Some(minor))
        );
        assert_eq!(client.version().uses_json2(), major >= 19);
        assert!(
            client
                .search_count("stock.quant", &Domain::all(), &SearchOptions::default())
                .await
                .unwrap()
                > 0
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn a_cached_dataset_comes_back_identical_and_dated_relative_to_now() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let mut config = SimConfig::new(18, Dataset::RetailS);
    config.api_key = KEY.into();
    let first_config = config.clone();
    let first = tokio::task::spawn_blocking({
        let path = path.clone();
        move || Simulator::cached(first_config, &path)
    })
    .await
    .unwrap();
    assert_eq!(std::fs::read_dir(&path).unwrap().count(), 1, "the dataset was cached");
    config.login = "another-bot@north-retail.example".into();
    let second = tokio::task::spawn_blocking(move || Simulator::cached(config, &path))
        .await
        .unwrap();
    for model in ["stock.quant", "stock.move", "purchase.order", "product.product"] {
        assert_eq!(
            first.with_store(|s| s.len(model)),
            second.with_store(|s| s.len(model)),
            "{model}"
        );
    }
    let name = |sim: &Simulator| sim.with_store(|s| s.get("product.product", 42, "name"));
    assert_eq!(name(&first), name(&second));
    // The login comes from the configuration, not from the cache.
    let login = second.with_store(|s| s.get("res.users", 2, "login"));
    assert_eq!(login.as_str(), Some("another-bot@north-retail.example"));
    // Dates were moved forward by the time between the two runs: nothing lies in the future.
    let latest = second.with_store(|s| {
        s.ids("stock.move")
            .into_iter()
            .filter_map(|m| match s.get("stock.move", m, "write_date") {
                truestock::odoo::sim::store::Val::DateTime(at) => Some(at),
                _ => None,
            })
            .max()
    });
    assert!(latest.unwrap() <= chrono::Utc::now().naive_utc());
}

#[tokio::test]
async fn a_count_outdated_by_later_stock_moves_is_not_applied_but_answered_with_a_conflict() {
    use truestock::odoo::writeback::{self, ScrapOutcome, ScrapRequest, Tracking};
    let sim = simulator(18).await;
    let client = client(&sim).await;
    let product = id_of(&client, "product.product", "default_code", "SKU-000001").await;
    let location = id_of(&client, "stock.location", "complete_name", "RW1/Stock").await;
    let inventory = SearchOptions::default().context("inventory_mode", json!(true));
    let quant = client
        .search_read::<IdOnly>(
            "stock.quant",
            &Domain::leaf("product_id", Op::Eq, product).and_leaf("location_id", Op::Eq, location),
            &["id"],
            &SearchOptions::default(),
        )
        .await
        .unwrap()[0]
        .id;
    let mut count = Map::new();
    count.insert("inventory_quantity".into(), json!(1.0));
    client.write("stock.quant", &[quant], count, &inventory).await.unwrap();
    // Stock moves after the count was entered.
    let scrap = ScrapRequest {
        reference: writeback::reference("acme", "outdating"),
        company_id: 1,
        product_id: product,
        uom_id: 1,
        quantity: 1.0,
        location_id: location,
        tracking: Tracking::default(),
        scrap_location_id: None,
        reason_tag_ids: Vec::new(),
        force_insufficient: false,
    };
    assert!(matches!(
        writeback::scrap(&client, &scrap).await.unwrap(),
        ScrapOutcome::Done { .. }
    ));
    let answer = client
        .call_method(
            "stock.quant",
            "action_apply_inventory",
            &[quant],
            Vec::new(),
            &inventory,
        )
        .await
        .unwrap();
    assert_eq!(answer["res_model"], "stock.inventory.conflict");
    // Variants expose their template's fields, as Odoo's _inherits does: §3.1's storable quant domain.
    let storable = Domain::leaf("product_id.is_storable", Op::Eq, true);
    assert!(
        client
            .search_count("stock.quant", &storable, &SearchOptions::default())
            .await
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn the_control_api_queues_faults_for_processes_that_only_see_http() {
    let sim = simulator(17).await;
    let client = client(&sim).await;
    let http = reqwest::Client::new();
    let post = |body: serde_json::Value, key: &str| {
        http.post(format!("{}/__sim/control", sim.url))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    assert_eq!(
        post(json!({"queue": ["status:503"]}), "wrong").await.unwrap().status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(json!({"queue": ["nonsense"]}), KEY).await.unwrap().status(),
        reqwest::StatusCode::BAD_REQUEST
    );
    let ok = post(
        json!({"queue": ["status:503", "conflict"], "deny_model": ["stock.scrap"], "live_ticks": 3}),
        KEY,
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), reqwest::StatusCode::NO_CONTENT);
    let options = SearchOptions::default();
    assert!(matches!(
        client
            .search_count("stock.quant", &Domain::all(), &options)
            .await
            .unwrap_err(),
        OdooError::Transport(_)
    ));
    assert_eq!(
        client
            .search_count("stock.quant", &Domain::all(), &options)
            .await
            .unwrap_err(),
        OdooError::Concurrency
    );
    assert!(matches!(
        client
            .search_count("stock.scrap", &Domain::all(), &options)
            .await
            .unwrap_err(),
        OdooError::AccessDenied { .. }
    ));
    post(json!({"revoke_key": KEY}), KEY).await.unwrap();
    assert_eq!(
        client
            .search_count("stock.quant", &Domain::all(), &options)
            .await
            .unwrap_err(),
        OdooError::BadCredentials
    );
}

#[tokio::test]
async fn costs_are_company_dependent_like_odoos_standard_price() {
    #[derive(Deserialize)]
    struct Cost {
        #[serde(deserialize_with = "value::number")]
        standard_price: f64,
    }
    for version in [16, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let in_company = |c: i64| SearchOptions::default().context("allowed_company_ids", json!([c]));
        let cost = |c: i64| {
            let options = in_company(c);
            let client = &client;
            async move {
                client
                    .read::<Cost>("product.product", &[1], &["standard_price"], &options)
                    .await
                    .unwrap()[0]
                    .standard_price
            }
        };
        let first = cost(1).await;
        let mut vals = Map::new();
        vals.insert("standard_price".into(), json!(first + 1.5));
        client
            .write("product.product", &[1], vals, &in_company(2))
            .await
            .unwrap();
        assert_eq!(cost(2).await, first + 1.5, "Odoo {version}");
        assert_eq!(
            cost(1).await,
            first,
            "Odoo {version}: the first company's cost is unchanged"
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn default_and_many2one_orders_follow_each_models_odoo_order() {
    #[derive(Deserialize)]
    struct Location {
        #[serde(deserialize_with = "value::opt_string")]
        complete_name: Option<String>,
    }
    #[derive(Deserialize)]
    struct Located {
        #[serde(deserialize_with = "value::opt_many2one")]
        location_id: Option<Many2One>,
    }
    for version in [16, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        // No order given: stock.location's `_order` is "complete_name, id".
        let locations: Vec<Location> = client
            .search_read(
                "stock.location",
                &Domain::all(),
                &["complete_name"],
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        let names: Vec<String> = locations.into_iter().filter_map(|l| l.complete_name).collect();
        assert!(names.len() > 5 && names.is_sorted(), "Odoo {version}: {names:?}");
        // Ordering quants by location follows the location's own order (its complete name), not its id.
        let quants: Vec<Located> = client
            .search_read(
                "stock.quant",
                &Domain::all(),
                &["location_id"],
                &SearchOptions::default().order("location_id desc, id"),
            )
            .await
            .unwrap();
        let names: Vec<String> = quants
            .iter()
            .map(|q| q.location_id.as_ref().unwrap().name.clone().unwrap())
            .collect();
        assert!(names.windows(2).all(|w| w[0] >= w[1]), "Odoo {version}");
        sim.stop().await;
    }
}

#[tokio::test]
async fn lots_and_packages_are_kept_apart_like_odoo_does() {
    use truestock::odoo::writeback::{self, CountOutcome, CountRequest, ScrapOutcome, ScrapRequest, Tracking};
    #[derive(Debug, Deserialize)]
    struct LotQuant {
        #[serde(deserialize_with = "value::opt_many2one")]
        product_id: Option<Many2One>,
        #[serde(deserialize_with = "value::opt_many2one")]
        location_id: Option<Many2One>,
        #[serde(deserialize_with = "value::opt_many2one")]
        lot_id: Option<Many2One>,
        #[serde(deserialize_with = "value::number")]
        quantity: f64,
    }
    #[derive(Deserialize)]
    struct Lot {
        #[serde(deserialize_with = "value::opt_many2one")]
        product_id: Option<Many2One>,
    }
    #[derive(Deserialize)]
    struct Line {
        #[serde(deserialize_with = "value::opt_many2one")]
        lot_id: Option<Many2One>,
    }
    for version in [16, 17, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let quants: Vec<LotQuant> = client
            .search_read(
                "stock.quant",
                &Domain::leaf("lot_id", Op::Ne, false).and_leaf("quantity", Op::Ge, 2),
                &["product_id", "location_id", "lot_id", "quantity"],
                &SearchOptions::default().order("id").limit(1),
            )
            .await
            .unwrap();
        let quant = quants
            .first()
            .unwrap_or_else(|| panic!("Odoo {version}: no stock in a lot"));
        let (product, location) = (
            quant.product_id.as_ref().unwrap().id,
            quant.location_id.as_ref().unwrap().id,
        );
        let lot = quant.lot_id.as_ref().unwrap().id;
        let lots: Vec<Lot> = client
            .read("stock.lot", &[lot], &["product_id"], &SearchOptions::default())
            .await
            .unwrap();
        assert_eq!(lots[0].product_id.as_ref().unwrap().id, product, "Odoo {version}");

        // A tracked product cannot be scrapped without naming its lot, even when the approver insists.
        let untracked = ScrapRequest {
            reference: writeback::reference("acme", &format!("nolot-{version}")),
            company_id: 1,
            product_id: product,
            uom_id: 1,
            quantity: 1.0,
            location_id: location,
            tracking: Tracking::default(),
            scrap_location_id: None,
            reason_tag_ids: Vec::new(),
            force_insufficient: false,
        };
        assert!(matches!(
            writeback::scrap(&client, &untracked).await.unwrap(),
            ScrapOutcome::InsufficientQuantity { .. }
        ));
        let insisted = ScrapRequest {
            reference: writeback::reference("acme", &format!("nolot2-{version}")),
            force_insufficient: true,
            ..untracked.clone()
        };
        match writeback::scrap(&client, &insisted).await {
            Err(OdooError::UserError(message)) => assert!(message.contains("Lot/Serial"), "{message}"),
            other => panic!("Odoo {version}: {other:?}"),
        }
        // Naming the lot scraps from that lot's quant, and the move line says which lot.
        let from_lot = ScrapRequest {
            reference: writeback::reference("acme", &format!("lot-{version}")),
            tracking: Tracking {
                lot_id: Some(lot),
                ..Tracking::default()
            },
            ..untracked
        };
        let ScrapOutcome::Done { .. } = writeback::scrap(&client, &from_lot).await.unwrap() else {
            panic!("Odoo {version}: the scrap from a lot is done");
        };
        let after: Vec<LotQuant> = client
            .search_read(
                "stock.quant",
                &Domain::leaf("lot_id", Op::Eq, lot).and_leaf("location_id", Op::Eq, location),
                &["product_id", "location_id", "lot_id", "quantity"],
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(after[0].quantity, quant.quantity - 1.0, "Odoo {version}");
        let lines: Vec<Line> = client
            .search_read(
                "stock.move.line",
                &Domain::leaf("move_id.origin", Op::Eq, from_lot.reference.as_str()),
                &["lot_id"],
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(lines.len(), 1, "Odoo {version}");
        assert_eq!(lines[0].lot_id.as_ref().map(|l| l.id), Some(lot), "Odoo {version}");

        // Counting a tracked product without a lot: 16 asks for confirmation; later versions apply it.
        let count = CountRequest {
            reference: writeback::reference("acme", &format!("count-nolot-{version}")),
            company_id: 1,
            product_id: product,
            location_id: location,
            tracking: Tracking::default(),
            counted: 3.0,
            on_hand_at_count: None,
        };
        let expected = if version == 16 {
            CountOutcome::LotRequired
        } else {
            CountOutcome::Applied { on_hand: 3.0 }
        };
        assert_eq!(
            writeback::apply_count(&client, &count).await.unwrap(),
            expected,
            "Odoo {version}"
        );

        // Regional stock sits partly in packages, a model renamed in 19.
        let package_model = if version <= 18 {
            "stock.quant.package"
        } else {
            "stock.package"
        };
        let packages = client
            .search_count(package_model, &Domain::all(), &SearchOptions::default())
            .await
            .unwrap();
        let packed = client
            .search_count(
                "stock.quant",
                &Domain::leaf("package_id.name", Op::Like, "PACK"),
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        assert!(
            packages > 0 && packed == packages,
            "Odoo {version}: {packages} packages, {packed} quants in them"
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn many2one_order_follows_the_comodels_order_and_scraps_convert_their_unit() {
    use truestock::odoo::writeback::{self, ScrapOutcome, ScrapRequest, Tracking};
    for version in [16, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let rows: Vec<Quant> = client
            .search_read(
                "stock.quant",
                &Domain::all(),
                &["product_id", "location_id", "quantity", "write_date"],
                &SearchOptions::default().order("product_id asc, id asc").limit(200),
            )
            .await
            .unwrap();
        let names: Vec<String> = rows
            .iter()
            .map(|q| q.product_id.as_ref().unwrap().name.clone().unwrap())
            .collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "Odoo {version}: {names:?}");
        // One box of 6 scrapped removes 6 units.
        let product = id_of(&client, "product.product", "default_code", "SKU-000001").await;
        let location = id_of(&client, "stock.location", "complete_name", "RW1/Stock").await;
        let before = on_hand(&client, product, location).await;
        let boxed = ScrapRequest {
            reference: writeback::reference("acme", &format!("box-{version}")),
            company_id: 1,
            product_id: product,
            uom_id: 2,
            quantity: 1.0,
            location_id: location,
            tracking: Tracking::default(),
            scrap_location_id: None,
            reason_tag_ids: Vec::new(),
            force_insufficient: true,
        };
        assert!(
            matches!(
                writeback::scrap(&client, &boxed).await.unwrap(),
                ScrapOutcome::Done { .. }
            ),
            "Odoo {version}"
        );
        assert_eq!(
            on_hand(&client, product, location).await,
            before - 6.0,
            "Odoo {version}"
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn write_back_for_the_second_company_stays_in_that_companys_locations() {
    use truestock::odoo::writeback::{self, CountOutcome, CountRequest, ScrapOutcome, ScrapRequest, Tracking};
    #[derive(Deserialize)]
    struct Located {
        #[serde(deserialize_with = "value::opt_many2one")]
        company_id: Option<Many2One>,
        #[serde(deserialize_with = "value::opt_many2one")]
        location_dest_id: Option<Many2One>,
    }
    #[derive(Deserialize)]
    struct Company {
        #[serde(deserialize_with = "value::opt_many2one")]
        company_id: Option<Many2One>,
    }
    for version in [16, 17, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let location = id_of(&client, "stock.location", "complete_name", "S02/Stock").await;
        let companies: Vec<Company> = client
            .read(
                "stock.location",
                &[location],
                &["company_id"],
                &SearchOptions::default(),
            )
            .await
            .unwrap();
        let company = companies[0].company_id.as_ref().unwrap().id;
        assert_ne!(company, 1, "store 2 belongs to the second company");
        let quants: Vec<Quant> = client
            .search_read(
                "stock.quant",
                &Domain::leaf("location_id", Op::Eq, location)
                    .and_leaf("lot_id", Op::Eq, false)
                    .and_leaf("quantity", Op::Ge, 2),
                &["product_id", "location_id", "quantity", "write_date"],
                &SearchOptions::default().order("id").limit(1),
            )
            .await
            .unwrap();
        let product = quants[0].product_id.as_ref().unwrap().id;
        let moves_of = async |reference: &str| -> Vec<Located> {
            client
                .search_read(
                    "stock.move",
                    &Domain::leaf("origin", Op::Eq, reference).or(Domain::leaf(
                        if version >= 19 { "inventory_name" } else { "name" },
                        Op::Eq,
                        reference,
                    )),
                    &["company_id", "location_dest_id"],
                    &SearchOptions::default(),
                )
                .await
                .unwrap()
        };
        let company_of = async |location: i64| -> i64 {
            let rows: Vec<Company> = client
                .read(
                    "stock.location",
                    &[location],
                    &["company_id"],
                    &SearchOptions::default(),
                )
                .await
                .unwrap();
            rows[0].company_id.as_ref().unwrap().id
        };

        let scrap = ScrapRequest {
            reference: writeback::reference("acme", &format!("c2-scrap-{version}")),
            company_id: company,
            product_id: product,
            uom_id: 1,
            quantity: 1.0,
            location_id: location,
            tracking: Tracking::default(),
            scrap_location_id: None,
            reason_tag_ids: Vec::new(),
            force_insufficient: false,
        };
        let outcome = writeback::scrap(&client, &scrap).await;
        assert!(
            matches!(outcome, Ok(ScrapOutcome::Done { .. })),
            "Odoo {version}: {outcome:?}"
        );
        let moves = moves_of(&scrap.reference).await;
        assert_eq!(moves.len(), 1, "Odoo {version}");
        assert_eq!(moves[0].company_id.as_ref().unwrap().id, company, "Odoo {version}");
        let destination = moves[0].location_dest_id.as_ref().unwrap().id;
        assert_eq!(
            company_of(destination).await,
            company,
            "Odoo {version}: scrapped into the company's own scrap location"
        );

        let count = CountRequest {
            reference: writeback::reference("acme", &format!("c2-count-{version}")),
            company_id: company,
            product_id: product,
            location_id: location,
            tracking: Tracking::default(),
            counted: quants[0].quantity + 2.0,
            on_hand_at_count: None,
        };
        assert_eq!(
            writeback::apply_count(&client, &count).await.unwrap(),
            CountOutcome::Applied {
                on_hand: quants[0].quantity + 2.0
            }
        );
        let moves = moves_of(&count.reference).await;
        assert_eq!(moves.len(), 1, "Odoo {version}");
        assert_eq!(moves[0].company_id.as_ref().unwrap().id, company, "Odoo {version}");
        sim.stop().await;
    }
}

/// `truestock odoo-sim` as a newcomer runs it: the four lines it prints are enough to connect.
#[tokio::test]
async fn the_odoo_sim_command_serves_retail_m_on_every_version() {
    use std::io::BufRead as _;
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let started = [16, 17, 18, 19].map(|version| {
        tokio::task::spawn_blocking(move || {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_truestock"))
                .args([
                    "odoo-sim",
                    "--odoo-version",
                    &version.to_string(),
                    "--dataset",
                    "retail-M",
                ])
                .args(["--port", "0", "--no-cache"])
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("odoo-sim starts");
            let stdout = child.stdout.take().unwrap();
            let mut printed = std::collections::HashMap::new();
            for line in std::io::BufReader::new(stdout).lines().take(4) {
                let line = line.unwrap();
                let (key, value) = line.split_once(": ").expect("key: value lines");
                printed.insert(key.to_string(), value.to_string());
            }
            (version, printed, Killed(child))
        })
    });
    for handle in started {
        let (version, printed, _running) = handle.await.unwrap();
        let keys: Vec<&str> = ["url", "database", "login", "api key"]
            .into_iter()
            .filter(|k| printed.contains_key(*k))
            .collect();
        assert_eq!(keys.len(), 4, "Odoo {version}: {printed:?}");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = OdooConfig::new(
            printed["url"].parse().unwrap(),
            &printed["database"],
            &printed["login"],
            SecretString::from(printed["api key"].clone()),
        )
        .reach_anywhere();
        let client = Client::connect(config).await.expect("the printed credentials connect");
        assert_eq!(client.version().major, version);
        let count = async |model: &str| {
            client
                .search_count(model, &Domain::all(), &SearchOptions::default().include_archived())
                .await
                .unwrap()
        };
        assert_eq!(count("res.company").await, 2, "Odoo {version}");
        assert_eq!(
            count("stock.warehouse").await,
            21,
            "Odoo {version}: 2 regional, 18 stores, the web shop"
        );
        assert_eq!(count("product.product").await, 20_000, "Odoo {version}");
        assert!(count("stock.quant").await > 100_000, "Odoo {version}");
    }
}

#[tokio::test]
async fn outside_dev_the_client_refuses_plain_http_and_private_addresses() {
    let sim = simulator(17).await;
    let port = sim.url.rsplit(':').next().unwrap().trim_end_matches('/').to_string();
    for url in [
        sim.url.clone(),
        format!("https://127.0.0.1:{port}"),
        format!("https://localhost:{port}"),
        "https://169.254.169.254".to_string(),
    ] {
        let mut config = config(&sim, KEY);
        config.url = url.parse().unwrap();
        config.reach = truestock::odoo::Reach::PublicOnly;
        let refused = Client::connect(config).await.err();
        assert!(
            matches!(refused, Some(OdooError::AddressRefused(_))),
            "{url}: {refused:?}"
        );
    }
    sim.stop().await;
}

#[tokio::test]
async fn access_questions_are_answered_as_each_version_offers_them_and_honour_a_denied_model() {
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let options = SearchOptions::default();
        let rights = |operation: &str, raise: Option<bool>| {
            let mut args = vec![("operation", json!(operation))];
            if let Some(raise) = raise {
                args.push(("raise_exception", json!(raise)));
            }
            args
        };
        // 16–19.0 keep `check_access_rights` (deprecated from 18); `has_access` is 18+.
        let allowed = client
            .call_model_method(
                "stock.quant",
                "check_access_rights",
                rights("write", Some(false)),
                &options,
            )
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        assert_eq!(allowed, json!(true), "Odoo {version}");
        let has_access = client
            .call_method(
                "stock.quant",
                "has_access",
                &[],
                vec![("operation", json!("write"))],
                &options,
            )
            .await;
        if version >= 18 {
            assert_eq!(has_access, Ok(json!(true)), "Odoo {version}");
        } else {
            assert!(
                matches!(&has_access, Err(OdooError::Server { name, .. }) if name.ends_with("AttributeError")),
                "Odoo {version}: {has_access:?}"
            );
        }
        // An operation Odoo does not know fails its assertion.
        let err = client
            .call_model_method("stock.quant", "check_access_rights", rights("delete", None), &options)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, OdooError::Server { name, .. } if name.ends_with("AssertionError")),
            "Odoo {version}: {err:?}"
        );

        // A denied model: reads refused, the questions answered with no (or the AccessError asked for).
        sim.simulator.faults.deny_model("stock.quant");
        let err = client
            .search_count("stock.quant", &Domain::all(), &options)
            .await
            .unwrap_err();
        assert!(matches!(err, OdooError::AccessDenied { .. }), "Odoo {version}: {err:?}");
        let denied = client
            .call_model_method(
                "stock.quant",
                "check_access_rights",
                rights("write", Some(false)),
                &options,
            )
            .await;
        assert_eq!(denied, Ok(json!(false)), "Odoo {version}");
        let err = client
            .call_model_method("stock.quant", "check_access_rights", rights("read", None), &options)
            .await
            .unwrap_err();
        assert!(matches!(err, OdooError::AccessDenied { .. }), "Odoo {version}: {err:?}");
        if version >= 18 {
            let denied = client
                .call_method(
                    "stock.quant",
                    "has_access",
                    &[],
                    vec![("operation", json!("read"))],
                    &options,
                )
                .await;
            assert_eq!(denied, Ok(json!(false)), "Odoo {version}");
        }
        // Other models are untouched.
        let other = client
            .call_model_method(
                "stock.scrap",
                "check_access_rights",
                rights("create", Some(false)),
                &options,
            )
            .await;
        assert_eq!(other, Ok(json!(true)), "Odoo {version}");
        sim.stop().await;
    }
}

#[tokio::test]
async fn groups_and_their_members_read_through_external_identifiers_with_each_versions_fields() {
    #[derive(Deserialize)]
    struct XmlId {
        res_id: i64,
    }
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let options = SearchOptions::default();
        let group = |module: &str, name: &str| {
            Domain::leaf("model", Op::Eq, "res.groups")
                .and_leaf("module", Op::Eq, module.to_string())
                .and_leaf("name", Op::Eq, name.to_string())
        };
        let found: Vec<XmlId> = client
            .search_read(
                "ir.model.data",
                &group("stock", "group_stock_manager"),
                &["res_id"],
                &options,
            )
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        assert_eq!(found.len(), 1, "Odoo {version}");
        let manager = found[0].res_id;
        let buyer = id_of(&client, "res.users", "name", "Buyer").await;
        let warehouse_lead = id_of(&client, "res.users", "name", "Warehouse Lead").await;
        // 16–18 name the members `users` and hold implied memberships there; 19 `user_ids` (explicit)
        // and `all_user_ids` (implied too), and the other version's name is an invalid field.
        let (users, other) = if version <= 18 {
            ("users", "user_ids")
        } else {
            ("user_ids", "users")
        };
        let rows: Vec<serde_json::Value> = client
            .read("res.groups", &[manager], &["full_name", users], &options)
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        assert_eq!(
            rows[0]["full_name"],
            json!("Inventory / Administrator"),
            "Odoo {version}"
        );
        let members: Vec<i64> = serde_json::from_value(rows[0][users].clone()).unwrap();
        assert!(
            members.contains(&2) && members.contains(&warehouse_lead),
            "Odoo {version}: {members:?}"
        );
        assert!(!members.contains(&buyer), "Odoo {version}");
        let err = client
            .read::<serde_json::Value>("res.groups", &[manager], &[other], &options)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, OdooError::Server { name, .. } if name.ends_with("ValueError")),
            "Odoo {version}: {err:?}"
        );
        // The warehouse lead is an inventory user through the administrator group.
        let found: Vec<XmlId> = client
            .search_read(
                "ir.model.data",
                &group("stock", "group_stock_user"),
                &["res_id"],
                &options,
            )
            .await
            .unwrap();
        let stock_user = found[0].res_id;
        let implied_field = if version <= 18 { "users" } else { "all_user_ids" };
        let rows: Vec<serde_json::Value> = client
            .read("res.groups", &[stock_user], &[users, implied_field], &options)
            .await
            .unwrap();
        let explicit: Vec<i64> = serde_json::from_value(rows[0][users].clone()).unwrap();
        let everyone: Vec<i64> = serde_json::from_value(rows[0][implied_field].clone()).unwrap();
        assert!(
            everyone.contains(&warehouse_lead) && everyone.contains(&buyer),
            "Odoo {version}"
        );
        assert_eq!(explicit.contains(&warehouse_lead), version <= 18, "Odoo {version}");
        // The users' side of the same relation: `groups_id` up to 18, `group_ids` on 19.
        let groups_field = if version <= 18 { "groups_id" } else { "group_ids" };
        let rows: Vec<serde_json::Value> = client
            .read("res.users", &[warehouse_lead], &[groups_field], &options)
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        let groups: Vec<i64> = serde_json::from_value(rows[0][groups_field].clone()).unwrap();
        assert!(groups.contains(&manager), "Odoo {version}");
        assert_eq!(groups.contains(&stock_user), version <= 18, "Odoo {version}");
        sim.stop().await;
    }
}

#[tokio::test]
async fn the_survey_reports_version_bot_companies_readable_models_rights_and_who_else_can_change_stock() {
    use truestock::odoo::survey::{self, BypassRight, READ_MODELS, WriteBack};
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let report = survey::survey(&client)
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        assert_eq!(report.version, format!("{version}.0"));
        assert_eq!(report.user.uid, 2);
        assert_eq!(report.user.name.as_deref(), Some("TrueStock Bot"));
        assert_eq!(report.user.login.as_deref(), Some(sim.simulator.config.login.as_str()));
        let companies: Vec<Option<&str>> = report.companies.iter().map(|c| c.name.as_deref()).collect();
        assert_eq!(
            companies,
            [Some("North Retail Group"), Some("North Retail Outlet")],
            "Odoo {version}"
        );
        assert_eq!(report.models.len(), READ_MODELS.len());
        assert!(
            report.unreadable().is_empty(),
            "Odoo {version}: {:?}",
            report.unreadable()
        );
        for right in WriteBack::ALL {
            assert!(report.may(right), "Odoo {version}: {:?}", report.right(right));
        }
        // Ordinary users only: neither the bot nor OdooBot, both inventory administrators; finance
        // holds no stock rights.
        let users = |right| report.bypass(right).expect("every bypass is reported").users();
        assert_eq!(
            users(BypassRight::ApplyCounts),
            ["Store Manager", "Warehouse Lead"],
            "Odoo {version}"
        );
        assert_eq!(
            users(BypassRight::ChangeProducts),
            ["Buyer", "Store Manager", "Warehouse Lead"],
            "Odoo {version}"
        );
        assert_eq!(
            users(BypassRight::WriteOffs),
            ["Buyer", "Store Manager", "Warehouse Lead", "Web Shop Ops"],
            "Odoo {version}"
        );
        let texts: Vec<String> = report.findings().into_iter().map(|f| f.text).collect();
        assert!(
            texts.contains(
                &"2 people other than the TrueStock user can apply inventory counts in Odoo \
                  (Inventory / Administrator): Store Manager, Warehouse Lead."
                    .to_string()
            ),
            "Odoo {version}: {texts:#?}"
        );
        assert!(
            texts.contains(&format!(
                "Connected to Odoo {version}.0 as TrueStock Bot ({}).",
                sim.simulator.config.login
            )),
            "Odoo {version}: {texts:#?}"
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn a_denied_model_is_reported_unreadable_and_its_write_back_missing_without_failing_the_survey() {
    use truestock::odoo::survey::{self, Missing, Operation, Severity, WriteBack};
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        sim.simulator.faults.deny_model("stock.quant");
        let report = survey::survey(&client)
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        assert_eq!(report.unreadable(), ["stock.quant"], "Odoo {version}");
        assert!(report.is_readable("stock.scrap"));
        assert!(!report.may(WriteBack::EnterCounts) && !report.may(WriteBack::ApplyCounts));
        assert_eq!(
            report.right(WriteBack::ApplyCounts).map(|r| r.missing.clone()),
            Some(vec![Missing::Access {
                model: "stock.quant",
                operation: Operation::Write
            }]),
            "Odoo {version}"
        );
        assert!(report.may(WriteBack::WriteOffs) && report.may(WriteBack::CreateProducts));
        let findings = report.findings();
        let problems: Vec<&str> = findings
            .iter()
            .filter(|f| f.severity == Severity::Problem)
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(problems.len(), 1, "Odoo {version}: {problems:?}");
        assert!(
            problems[0].contains("read stock on hand (stock.quant)"),
            "{}",
            problems[0]
        );
        assert!(
            findings.iter().any(|f| f.text
                == "TrueStock cannot apply inventory counts in Odoo: Odoo does not let the TrueStock user \
                    change stock on hand (stock.quant)."),
            "Odoo {version}: {findings:#?}"
        );
        // No raw network or Odoo error text reaches the report.
        assert!(
            findings
                .iter()
                .all(|f| !f.text.contains("AccessError") && !f.text.contains("not allowed to access"))
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn archived_users_and_a_bot_outside_inventory_administrators_change_the_survey() {
    use truestock::odoo::sim::store;
    use truestock::odoo::survey::{self, BypassRight, Missing, WriteBack};
    for version in [17, 19] {
        let sim = simulator(version).await;
        let client = client(&sim).await;
        let warehouse_lead = id_of(&client, "res.users", "name", "Warehouse Lead").await;
        let members = if version <= 18 { "users" } else { "user_ids" };
        sim.simulator.with_store_mut(|s| {
            let mut archive = Map::new();
            archive.insert("active".into(), json!(false));
            s.write_at("res.users", &[warehouse_lead], &archive, 1, store::now())
                .unwrap();
            // Take the bot out of Inventory / Administrator.
            let manager = s.xml_id("stock.group_stock_manager").unwrap();
            let current: Vec<i64> = serde_json::from_value(
                s.read("res.groups", &[manager], &[members.to_string()], true).unwrap()[0][members].clone(),
            )
            .unwrap();
            let mut without_bot = Map::new();
            let kept: Vec<i64> = current.into_iter().filter(|u| *u != 2).collect();
            without_bot.insert(members.into(), json!([[6, 0, kept]]));
            s.write_at("res.groups", &[manager], &without_bot, 1, store::now())
                .unwrap();
            assert!(!s.has_group(2, "stock.group_stock_manager"));
        });
        let report = survey::survey(&client)
            .await
            .unwrap_or_else(|e| panic!("Odoo {version}: {e}"));
        assert_eq!(
            report.bypass(BypassRight::ApplyCounts).unwrap().users(),
            ["Store Manager"],
            "Odoo {version}"
        );
        assert!(report.may(WriteBack::EnterCounts), "Odoo {version}");
        assert_eq!(
            report.right(WriteBack::ApplyCounts).unwrap().missing,
            [Missing::Group {
                xml_id: "stock.group_stock_manager",
                name: "Inventory / Administrator".into()
            }],
            "Odoo {version}"
        );
        let texts: Vec<String> = report.findings().into_iter().map(|f| f.text).collect();
        assert!(
            texts.contains(
                &"TrueStock cannot apply inventory counts in Odoo: the TrueStock user is not in \
                  Inventory / Administrator."
                    .to_string()
            ),
            "Odoo {version}: {texts:#?}"
        );
        sim.stop().await;
    }
}
