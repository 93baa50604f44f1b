//! The simulator spoken to over raw HTTP (no `odoo::Client`), checked against ODOO-API §1 and §8: the
//! envelopes, status codes, headers and error shapes a real client sees, and what Odoo refuses.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};

use truestock::odoo::sim::{Dataset, RunningSimulator, SimConfig, Simulator};

const KEY: &str = "wire-key-0123456789";

async fn simulator(version: u8) -> RunningSimulator {
    let mut config = SimConfig::new(version, Dataset::RetailS);
    config.api_key = KEY.into();
    let simulator = tokio::task::spawn_blocking(move || Simulator::new(config))
        .await
        .unwrap();
    RunningSimulator::start(simulator, SocketAddr::from(([127, 0, 0, 1], 0))).unwrap()
}

/// A plain HTTP client (reqwest needs a TLS provider chosen even for http URLs).
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A JSON-RPC call to `/jsonrpc`; the whole answer (HTTP 200 is asserted: errors travel in the body).
async fn jsonrpc(sim: &RunningSimulator, service: &str, method: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "method": "call", "id": 7,
                      "params": {"service": service, "method": method, "args": args}});
    let response = http()
        .post(format!("{}/jsonrpc", sim.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// `object.execute_kw` as the bot, with the API key.
async fn execute_kw(sim: &RunningSimulator, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
    let c = &sim.simulator.config;
    jsonrpc(
        sim,
        "object",
        "execute_kw",
        json!([c.database, 2, KEY, model, method, args, kwargs]),
    )
    .await
}

/// The `result` of a JSON-RPC answer, failing the test on an `error`.
fn result(answer: Value) -> Value {
    assert!(answer.get("error").is_none(), "unexpected error: {answer}");
    answer["result"].clone()
}

/// The `(data.name, data.message)` of a JSON-RPC error answer.
fn error(answer: &Value) -> (String, String) {
    let data = &answer["error"]["data"];
    assert!(data.is_object(), "expected an error, got {answer}");
    (
        data["name"].as_str().unwrap_or_default().to_string(),
        data["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// A JSON-2 call with the API key: the status and the body as JSON (`null` when it is not JSON).
async fn json2(sim: &RunningSimulator, model: &str, method: &str, body: Value) -> (StatusCode, Value) {
    let response = http()
        .post(format!("{}/json/2/{model}/{method}", sim.url))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn create_with_vals_list_by_keyword_is_odoos_index_error_and_creates_nothing() {
    for (version, message) in [
        (16, "tuple index out of range"),
        (17, "tuple index out of range"),
        (18, "tuple index out of range"),
        (19, "list index out of range"),
    ] {
        let sim = simulator(version).await;
        let by_keyword = execute_kw(
            &sim,
            "product.category",
            "create",
            json!([]),
            json!({"vals_list": [{"name": "Wire keyword"}]}),
        )
        .await;
        assert_eq!(
            error(&by_keyword),
            ("builtins.IndexError".to_string(), message.to_string()),
            "Odoo {version}"
        );
        let count = |name: &'static str| {
            execute_kw(
                &sim,
                "product.category",
                "search_count",
                json!([[["name", "=", name]]]),
                json!({}),
            )
        };
        assert_eq!(result(count("Wire keyword").await), json!(0), "Odoo {version}");
        // Positionally, a list of values gives a list of ids.
        let created = result(
            execute_kw(
                &sim,
                "product.category",
                "create",
                json!([[{"name": "Wire positional"}]]),
                json!({}),
            )
            .await,
        );
        assert!(
            created.as_array().is_some_and(|ids| ids.len() == 1),
            "Odoo {version}: {created}"
        );
        assert_eq!(result(count("Wire positional").await), json!(1), "Odoo {version}");
        // A record method without its ids fails the same way.
        let no_ids = execute_kw(&sim, "product.category", "unlink", json!([]), json!({})).await;
        assert_eq!(error(&no_ids).0, "builtins.IndexError", "Odoo {version}");
        sim.stop().await;
    }
}

#[tokio::test]
async fn json2_takes_vals_list_by_name() {
    let sim = simulator(19).await;
    let (status, ids) = json2(
        &sim,
        "product.category",
        "create",
        json!({"vals_list": [{"name": "Wire JSON-2"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ids}");
    let id = ids
        .as_array()
        .and_then(|ids| ids.first())
        .and_then(Value::as_i64)
        .unwrap();
    let (status, rows) = json2(
        &sim,
        "product.category",
        "read",
        json!({"ids": [id], "fields": ["name"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows[0]["name"], "Wire JSON-2");
}

#[tokio::test]
async fn a_missing_required_argument_is_pythons_type_error_over_json_rpc() {
    let sim = simulator(17).await;
    for method in ["search", "search_count"] {
        let answer = execute_kw(&sim, "stock.quant", method, json!([]), json!({"limit": 1})).await;
        let (name, message) = error(&answer);
        assert_eq!(name, "builtins.TypeError", "{method}");
        assert!(
            message.ends_with(&format!("{method}() missing 1 required positional argument: 'domain'")),
            "{method}: {message}"
        );
    }
    let answer = execute_kw(&sim, "stock.quant", "write", json!([[1]]), json!({})).await;
    assert!(
        error(&answer)
            .1
            .ends_with("missing 1 required positional argument: 'vals'")
    );
    // search_read's domain has a default; the domain may also come by keyword.
    let rows = result(
        execute_kw(
            &sim,
            "stock.quant",
            "search_read",
            json!([]),
            json!({"fields": ["id"], "limit": 2}),
        )
        .await,
    );
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    let ids = result(
        execute_kw(
            &sim,
            "stock.quant",
            "search",
            json!([]),
            json!({"domain": [], "limit": 3}),
        )
        .await,
    );
    assert_eq!(ids.as_array().map(Vec::len), Some(3));
    // `count` left `search` in 17; 16 still counts with it.
    let answer = execute_kw(&sim, "stock.quant", "search", json!([[]]), json!({"count": true})).await;
    assert!(error(&answer).1.ends_with("got an unexpected keyword argument 'count'"));
    sim.stop().await;
    let sim = simulator(16).await;
    let total = sim.simulator.with_store(|s| s.len("stock.quant"));
    let counted = result(execute_kw(&sim, "stock.quant", "search", json!([[]]), json!({"count": true})).await);
    assert_eq!(counted, json!(total));
    sim.stop().await;
}

#[tokio::test]
async fn a_missing_required_argument_is_422_over_json2() {
    let sim = simulator(19).await;
    for method in ["search", "search_count"] {
        let (status, body) = json2(&sim, "stock.quant", method, json!({"limit": 1})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{method}: {body}");
        assert_eq!(body["name"], "werkzeug.exceptions.UnprocessableEntity");
        assert_eq!(body["message"], "missing a required argument: 'domain'");
    }
    let (status, body) = json2(&sim, "stock.quant", "search", json!({"domain": [], "colour": "blue"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["message"], "got an unexpected keyword argument 'colour'");
    let (status, rows) = json2(
        &sim,
        "stock.quant",
        "search_read",
        json!({"fields": ["id"], "limit": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    sim.stop().await;
}
