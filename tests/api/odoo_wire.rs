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

#[tokio::test]
async fn other_paths_under_json2_answer_404_with_a_hint_on_19_only() {
    let sim = simulator(19).await;
    let hint = "Did you mean POST /json/2/<model>/<method>?";
    let http = http();
    for (method, path) in [
        (reqwest::Method::GET, "/json/2/stock.quant/search_read"),
        (reqwest::Method::POST, "/json/2/stock.quant"),
        (reqwest::Method::POST, "/json/2/stock.quant/search_read/extra"),
        (reqwest::Method::DELETE, "/json/2/stock.quant/unlink"),
        (reqwest::Method::GET, "/json/2"),
    ] {
        // The catch-all route is public: no key needed to be told where to go.
        let response = http
            .request(method.clone(), format!("{}{path}", sim.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["name"], "werkzeug.exceptions.NotFound", "{method} {path}");
        assert_eq!(body["message"], hint, "{method} {path}");
        assert_eq!(body["arguments"], json!([hint, 404]));
    }
    // An unknown model or method is the controller's own NotFound.
    let (status, body) = json2(&sim, "no.such.model", "search", json!({"domain": []})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "the model 'no.such.model' does not exist");
    let (status, body) = json2(&sim, "stock.quant", "frobnicate", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["name"], "werkzeug.exceptions.NotFound");
    sim.stop().await;

    let sim = simulator(18).await;
    let response = http
        .post(format!("{}/json/2/stock.quant/search_read", sim.url))
        .bearer_auth(KEY)
        .json(&json!({"domain": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    sim.stop().await;
}

#[tokio::test]
async fn json2_checks_database_content_type_key_and_body_in_odoos_order() {
    let sim = simulator(19).await;
    let url = format!("{}/json/2/stock.quant/search_count", sim.url);
    let http = http();
    let domain = json!({"domain": [["id", "=", 1]]}).to_string();
    let post = |key: &str, content_type: &str, body: &str| {
        http.post(&url)
            .header("Authorization", key)
            .header("Content-Type", content_type)
            .body(body.to_string())
    };
    let text = |response: reqwest::Response| async move {
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        (response.status(), content_type, response.text().await.unwrap())
    };
    let bearer = format!("Bearer {KEY}");

    // Another database on the host: HTML 404, before the key is even looked at.
    let (status, content_type, _) = text(
        post("bearer wrong", "application/json", &domain)
            .header("X-Odoo-Database", "other-db")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, content_type.starts_with("text/html")),
        (StatusCode::NOT_FOUND, true)
    );
    // A body that is not JSON by its type: 415 (HTML), also before the key.
    let (status, content_type, _) = text(post("bearer wrong", "text/plain", &domain).send().await.unwrap()).await;
    assert_eq!(
        (status, content_type.starts_with("text/html")),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, true)
    );
    // No key or a wrong one: 401 with the scheme to use.
    for key in ["", "bearer wrong", "Basic d2lyZTp3aXJl"] {
        let response = post(key, "application/json", &domain).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(response.headers()["www-authenticate"], "bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["name"], "werkzeug.exceptions.Unauthorized");
        assert_eq!(body["message"], "Invalid apikey");
        assert_eq!(body["arguments"], json!(["Invalid apikey", 401]));
        for key in ["context", "debug"] {
            assert!(body.get(key).is_some(), "{key} missing from {body}");
        }
    }
    // Garbage and a JSON body that is not an object: 400.
    for garbage in ["{\"domain\": [", "[1, 2]"] {
        let response = post(&bearer, "application/json", garbage).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{garbage}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("could not parse the body as json"),
            "{body}"
        );
    }
    // The scheme is case-insensitive, the charset parameter allowed and the right database welcome.
    for (key, content_type) in [
        (bearer.clone(), "application/json; charset=utf-8"),
        (format!("bearer {KEY}"), "application/json"),
        (format!("BEARER  {KEY}"), "application/json"),
    ] {
        let (status, _, body) = text(
            post(&key, content_type, &domain)
                .header("X-Odoo-Database", &sim.simulator.config.database)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "1"), "{key} {content_type}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_draft_scrap_is_new_and_takes_its_sequence_name_when_done() {
    // Odoo's stock.scrap defaults `name` to "New" and assigns the `stock.scrap` sequence in
    // do_scrap, in every version from 14 to 19 (stock_scrap.py; ODOO-API §3.6 for 18).
    for version in [16, 17, 18, 19] {
        let sim = simulator(version).await;
        let ids = |model: &'static str, field: &'static str, value: &'static str| {
            execute_kw(&sim, model, "search", json!([[[field, "=", value]]]), json!({}))
        };
        let product = result(ids("product.product", "default_code", "SKU-000001").await)[0].clone();
        let location = result(ids("stock.location", "complete_name", "RW1/Stock").await)[0].clone();
        let vals = json!({"product_id": product, "product_uom_id": 1, "scrap_qty": 1.0, "location_id": location});
        let scrap = result(execute_kw(&sim, "stock.scrap", "create", json!([vals]), json!({})).await);
        let read = || {
            execute_kw(
                &sim,
                "stock.scrap",
                "read",
                json!([[scrap], ["name", "state"]]),
                json!({}),
            )
        };
        let draft = result(read().await);
        assert_eq!(draft[0]["state"], "draft", "Odoo {version}");
        assert_eq!(draft[0]["name"], "New", "Odoo {version}");
        assert_eq!(
            result(execute_kw(&sim, "stock.scrap", "action_validate", json!([[scrap]]), json!({})).await),
            json!(true),
            "Odoo {version}"
        );
        let done = result(read().await);
        assert_eq!(done[0]["state"], "done", "Odoo {version}");
        let name = done[0]["name"].as_str().unwrap();
        assert!(
            name.strip_prefix("SP/")
                .is_some_and(|n| n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit())),
            "Odoo {version}: {name}"
        );
        sim.stop().await;
    }
}

#[tokio::test]
async fn session_authenticate_answers_the_session_info_and_sets_the_session_cookie() {
    let sim = simulator(17).await;
    let c = sim.simulator.config.clone();
    let authenticate = |password: &str| {
        http()
            .post(format!("{}/web/session/authenticate", sim.url))
            .json(&json!({"jsonrpc": "2.0", "method": "call", "id": "s1",
                          "params": {"db": c.database, "login": c.login, "password": password}}))
            .send()
    };
    let response = authenticate(KEY).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .cookies()
        .find(|cookie| cookie.name() == "session_id")
        .map(|cookie| {
            (
                cookie.value().to_string(),
                cookie.http_only(),
                cookie.path().map(str::to_string),
            )
        });
    let (value, http_only, path) = cookie.expect("a session_id cookie");
    assert!(!value.is_empty() && http_only && path.as_deref() == Some("/"));
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["id"], "s1");
    let info = result(answer);
    assert_eq!(info["uid"], 2);
    assert_eq!(info["db"], json!(c.database));
    assert_eq!(info["user_context"]["uid"], 2);
    assert!(info["user_context"]["lang"].is_string() && info["user_context"]["tz"].is_string());
    // A wrong password is Odoo's AccessDenied, and no session.
    let response = authenticate("wrong").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.cookies().all(|cookie| cookie.name() != "session_id"));
    let answer: Value = response.json().await.unwrap();
    assert_eq!(error(&answer).0, "odoo.exceptions.AccessDenied");
    sim.stop().await;
}

#[tokio::test]
async fn db_list_names_the_database_over_json_rpc() {
    let sim = simulator(18).await;
    let answer = jsonrpc(&sim, "db", "list", json!([])).await;
    assert_eq!(answer["id"], 7);
    assert_eq!(result(answer), json!([sim.simulator.config.database]));
    sim.stop().await;
}

#[tokio::test]
async fn json_rpc_refuses_bodies_that_are_not_json_rpc_and_echoes_ids_in_full_error_envelopes() {
    let sim = simulator(16).await;
    let post = |body: &'static str| {
        http()
            .post(format!("{}/jsonrpc", sim.url))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    for (body, text) in [
        ("{\"jsonrpc\": \"2.0\", \"params\": {", "Invalid JSON data"),
        ("not json at all", "Invalid JSON data"),
        ("[1, 2, 3]", "Invalid JSON-RPC data"),
    ] {
        let response = post(body).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.text().await.unwrap(), text, "{body}");
    }
    // Errors travel with HTTP 200 in the body, with the id echoed and all five `data` keys.
    let response = post(
        r#"{"jsonrpc": "2.0", "method": "call", "id": "req-9",
            "params": {"service": "object", "method": "execute_kw",
                       "args": ["north-retail", 2, "wrong", "stock.quant", "search", [[]]]}}"#,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["jsonrpc"], "2.0");
    assert_eq!(answer["id"], "req-9");
    assert_eq!(answer["error"]["code"], 200);
    assert_eq!(answer["error"]["message"], "Odoo Server Error");
    let data = answer["error"]["data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["arguments", "context", "debug", "message", "name"]);
    assert_eq!(data["name"], "odoo.exceptions.AccessDenied");
    assert_eq!(data["message"], "Access Denied");
    // A null id comes back null.
    let answer: Value =
        post(r#"{"jsonrpc": "2.0", "id": null, "params": {"service": "db", "method": "list", "args": []}}"#)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(answer.get("id"), Some(&Value::Null));
    sim.stop().await;
}

/// A quant of SKU-000001 at S01/Stock with a count of `counted` entered in inventory mode.
async fn counted_quant(sim: &RunningSimulator, counted: f64) -> i64 {
    let ids = |model: &'static str, field: &'static str, value: &'static str| {
        execute_kw(sim, model, "search", json!([[[field, "=", value]]]), json!({}))
    };
    let product = result(ids("product.product", "default_code", "SKU-000001").await)[0].clone();
    let location = result(ids("stock.location", "complete_name", "S01/Stock").await)[0].clone();
    let quants = result(
        execute_kw(
            sim,
            "stock.quant",
            "search",
            json!([[["product_id", "=", product], ["location_id", "=", location]]]),
            json!({}),
        )
        .await,
    );
    let quant = quants[0].as_i64().expect("a quant to count");
    let written = execute_kw(
        sim,
        "stock.quant",
        "write",
        json!([[quant], {"inventory_quantity": counted}]),
        json!({"context": {"inventory_mode": true}}),
    )
    .await;
    assert_eq!(result(written), json!(true));
    quant
}

async fn quantity(sim: &RunningSimulator, quant: i64) -> f64 {
    let rows = result(execute_kw(sim, "stock.quant", "read", json!([[quant], ["quantity"]]), json!({})).await);
    rows[0]["quantity"].as_f64().unwrap()
}

#[tokio::test]
async fn a_method_returning_none_has_no_result_key_over_json_rpc() {
    let sim = simulator(17).await;
    let quant = counted_quant(&sim, 7.0).await;
    let answer = execute_kw(
        &sim,
        "stock.quant",
        "action_apply_inventory",
        json!([[quant]]),
        json!({"context": {"inventory_mode": true}}),
    )
    .await;
    let mut keys: Vec<&str> = answer.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "jsonrpc"], "{answer}");
    assert_eq!(quantity(&sim, quant).await, 7.0);
    sim.stop().await;
}

/// An XML-RPC value from JSON (what Python's `xmlrpc.client` would send).
fn xml_value(value: &Value) -> String {
    match value {
        Value::Bool(b) => format!("<value><boolean>{}</boolean></value>", u8::from(*b)),
        Value::Number(n) if n.is_i64() => format!("<value><int>{n}</int></value>"),
        Value::Number(n) => format!("<value><double>{n}</double></value>"),
        Value::String(s) => format!("<value><string>{s}</string></value>"),
        Value::Array(items) => format!(
            "<value><array><data>{}</data></array></value>",
            items.iter().map(xml_value).collect::<String>()
        ),
        Value::Object(map) => format!(
            "<value><struct>{}</struct></value>",
            map.iter()
                .map(|(k, v)| format!("<member><name>{k}</name>{}</member>", xml_value(v)))
                .collect::<String>()
        ),
        Value::Null => "<value><nil/></value>".into(),
    }
}

/// `method(*params)` posted to an XML-RPC `path`; the response text (HTTP 200 and `text/xml` asserted).
async fn xmlrpc(sim: &RunningSimulator, path: &str, method: &str, params: Value) -> String {
    let params: String = params
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("<param>{}</param>", xml_value(p)))
        .collect();
    let body = format!(
        "<?xml version=\"1.0\"?><methodCall><methodName>{method}</methodName><params>{params}</params></methodCall>"
    );
    let response = http()
        .post(format!("{}{path}", sim.url))
        .header("Content-Type", "text/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    response.text().await.unwrap()
}

/// The typed value of a fault's member (`<int>3</int>`, `<string>…</string>`).
fn fault_member<'a>(xml: &'a str, name: &str) -> &'a str {
    assert!(xml.contains("<fault>"), "not a fault: {xml}");
    let start = xml
        .find(&format!("<name>{name}</name><value>"))
        .unwrap_or_else(|| panic!("no {name} in {xml}"))
        + name.len()
        + "<name></name><value>".len();
    let end = start + xml[start..].find("</value>").unwrap();
    &xml[start..end]
}

#[tokio::test]
async fn legacy_xmlrpc_faults_are_strings_where_numbered_ones_are_integers() {
    let sim = simulator(18).await;
    let db = sim.simulator.config.database.clone();
    let execute_kw = |key: &str, model: &str, method: &str, args: Value| json!([db, 2, key, model, method, args, {"context": {"inventory_mode": true}}]);
    // A bad key: AccessDenied, a string code on the legacy path, 3 on /xmlrpc/2.
    let search = execute_kw("wrong", "stock.quant", "search", json!([[]]));
    let legacy = xmlrpc(&sim, "/xmlrpc/object", "execute_kw", search.clone()).await;
    assert_eq!(fault_member(&legacy, "faultCode"), "<string>AccessDenied</string>");
    assert_eq!(fault_member(&legacy, "faultString"), "<string>Access Denied</string>");
    let numbered = xmlrpc(&sim, "/xmlrpc/2/object", "execute_kw", search).await;
    assert_eq!(fault_member(&numbered, "faultCode"), "<int>3</int>");
    // A UserError: "warning -- UserError" and an empty string on the legacy path.
    let done_scrap = sim.simulator.with_store(|s| {
        s.ids("stock.scrap")
            .into_iter()
            .find(|id| s.get("stock.scrap", *id, "state").as_str() == Some("done"))
            .unwrap()
    });
    let unlink = execute_kw(KEY, "stock.scrap", "unlink", json!([[done_scrap]]));
    let legacy = xmlrpc(&sim, "/xmlrpc/object", "execute_kw", unlink.clone()).await;
    assert_eq!(
        fault_member(&legacy, "faultCode"),
        "<string>warning -- UserError\n\nYou cannot delete a scrap which is done.</string>"
    );
    assert_eq!(fault_member(&legacy, "faultString"), "<string></string>");
    let numbered = xmlrpc(&sim, "/xmlrpc/2/object", "execute_kw", unlink).await;
    assert_eq!(fault_member(&numbered, "faultCode"), "<int>2</int>");
    // A method returning None cannot be marshalled: the legacy code is the TypeError's text and the
    // string a traceback; /xmlrpc/2 says fault 1. Both times the count was applied all the same.
    for (path, counted) in [("/xmlrpc/object", 5.0), ("/xmlrpc/2/object", 6.0)] {
        let quant = counted_quant(&sim, counted).await;
        let apply = execute_kw(KEY, "stock.quant", "action_apply_inventory", json!([[quant]]));
        let fault = xmlrpc(&sim, path, "execute_kw", apply).await;
        let (code, string) = (fault_member(&fault, "faultCode"), fault_member(&fault, "faultString"));
        if path == "/xmlrpc/object" {
            assert_eq!(
                code,
                "<string>cannot marshal None unless allow_none is enabled</string>"
            );
        } else {
            assert_eq!(code, "<int>1</int>");
        }
        assert!(string.contains("Traceback (most recent call last)"), "{path}: {string}");
        assert_eq!(quantity(&sim, quant).await, counted, "{path}");
    }
    // Successful calls answer a value on both paths.
    for path in ["/xmlrpc/common", "/xmlrpc/2/common"] {
        let answer = xmlrpc(&sim, path, "version", json!([])).await;
        assert!(
            answer.contains("<name>server_serie</name><value><string>18.0</string></value>"),
            "{answer}"
        );
    }
    sim.stop().await;
}

#[tokio::test]
async fn many2one_values_are_bare_ids_with_load_none_or_classic_write() {
    let sim = simulator(17).await;
    let search_read = |kwargs: Value| async {
        let mut kwargs = kwargs;
        kwargs["fields"] = json!(["product_id"]);
        kwargs["limit"] = json!(3);
        kwargs["order"] = json!("id asc");
        result(execute_kw(&sim, "stock.quant", "search_read", json!([[]]), kwargs).await)
    };
    let classic = search_read(json!({})).await;
    let products: Vec<i64> = classic
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let pair = row["product_id"].as_array().expect("[id, name] by default");
            assert!(pair[1].is_string(), "{row}");
            pair[0].as_i64().unwrap()
        })
        .collect();
    assert_eq!(products.len(), 3);
    for load in [Value::Null, json!("_classic_write")] {
        let bare = search_read(json!({"load": load})).await;
        let ids: Vec<Option<i64>> = bare
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["product_id"].as_i64())
            .collect();
        assert_eq!(
            ids,
            products.iter().copied().map(Some).collect::<Vec<_>>(),
            "load {load}"
        );
    }
    let quant = classic[0]["id"].as_i64().unwrap();
    let read = result(
        execute_kw(
            &sim,
            "stock.quant",
            "read",
            json!([[quant], ["product_id"]]),
            json!({"load": "_classic_write"}),
        )
        .await,
    );
    assert_eq!(read[0]["product_id"], json!(products[0]));
    sim.stop().await;

    // JSON-2 names the same parameter.
    let sim = simulator(19).await;
    let (_, quants) = json2(&sim, "stock.quant", "search", json!({"domain": [], "limit": 1})).await;
    let (status, rows) = json2(
        &sim,
        "stock.quant",
        "read",
        json!({"ids": quants, "fields": ["product_id"], "load": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(rows[0]["product_id"].is_i64(), "{rows}");
    sim.stop().await;
}

/// Ids from a JSON-RPC `search` with `active_test` off, sorted.
async fn search_ids(sim: &RunningSimulator, model: &str, domain: Value) -> Vec<i64> {
    let found = execute_kw(
        sim,
        model,
        "search",
        json!([domain]),
        json!({"context": {"active_test": false}}),
    )
    .await;
    let mut ids: Vec<i64> = result(found)
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

/// Every row of `model` (archived ones too), many2ones as bare ids.
async fn all_rows(sim: &RunningSimulator, model: &str, fields: Value) -> Vec<Value> {
    let rows = execute_kw(
        sim,
        model,
        "search_read",
        json!([[]]),
        json!({"fields": fields, "load": null, "context": {"active_test": false}}),
    )
    .await;
    result(rows).as_array().unwrap().clone()
}

#[tokio::test]
async fn domain_operators_parent_of_eq_if_set_raw_like_and_not_any_match_the_data() {
    let sim = simulator(17).await;

    // parent_of: the location with the longest chain of parents, and the chain itself.
    let locations = all_rows(&sim, "stock.location", json!(["location_id"])).await;
    let parent: std::collections::HashMap<i64, Option<i64>> = locations
        .iter()
        .map(|l| (l["id"].as_i64().unwrap(), l["location_id"].as_i64()))
        .collect();
    let chain = |mut id: i64| {
        let mut ids = vec![id];
        while let Some(Some(up)) = parent.get(&id) {
            ids.push(*up);
            id = *up;
        }
        ids.sort_unstable();
        ids
    };
    let deepest = *parent.keys().max_by_key(|id| (chain(**id).len(), **id)).unwrap();
    let ancestors = chain(deepest);
    assert!(ancestors.len() >= 3, "the dataset nests locations: {ancestors:?}");
    assert_eq!(
        search_ids(&sim, "stock.location", json!([["id", "parent_of", [deepest]]])).await,
        ancestors
    );
    // … and through a many2one: the quants in any of those locations.
    let quants = all_rows(&sim, "stock.quant", json!(["location_id"])).await;
    let mut expected: Vec<i64> = quants
        .iter()
        .filter(|q| ancestors.contains(&q["location_id"].as_i64().unwrap()))
        .map(|q| q["id"].as_i64().unwrap())
        .collect();
    expected.sort_unstable();
    assert!(!expected.is_empty());
    assert_eq!(
        search_ids(&sim, "stock.quant", json!([["location_id", "parent_of", deepest]])).await,
        expected
    );

    // =? : no value means no condition; a value means `=`.
    let variants = all_rows(&sim, "product.product", json!(["default_code"])).await;
    let all_variants = search_ids(&sim, "product.product", json!([])).await;
    assert_eq!(all_variants.len(), variants.len());
    assert_eq!(
        search_ids(&sim, "product.product", json!([["barcode", "=?", false]])).await,
        all_variants
    );
    let one = search_ids(&sim, "product.product", json!([["default_code", "=?", "SKU-000001"]])).await;
    assert_eq!(one.len(), 1);
    assert_eq!(
        one,
        search_ids(&sim, "product.product", json!([["default_code", "=", "SKU-000001"]])).await
    );

    // =like : the pattern as given (`_` one character, case-sensitive); =ilike ignores case.
    let codes = |keep: &dyn Fn(&str) -> bool| {
        let mut ids: Vec<i64> = variants
            .iter()
            .filter(|v| v["default_code"].as_str().is_some_and(keep))
            .map(|v| v["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    let tens = codes(&|c| c.len() == 10 && c.starts_with("SKU-00001"));
    assert_eq!(tens.len(), 10);
    assert_eq!(
        search_ids(
            &sim,
            "product.product",
            json!([["default_code", "=like", "SKU-00001_"]])
        )
        .await,
        tens
    );
    assert!(
        search_ids(&sim, "product.product", json!([["default_code", "=like", "sku-%"]]))
            .await
            .is_empty()
    );
    assert_eq!(
        search_ids(&sim, "product.product", json!([["default_code", "=ilike", "sku-%"]])).await,
        codes(&|c| c.to_lowercase().starts_with("sku-"))
    );

    // not any (17+): templates none of whose variants match the sub-domain.
    let templates = all_rows(&sim, "product.template", json!(["product_variant_ids"])).await;
    let mut expected: Vec<i64> = templates
        .iter()
        .filter(|t| {
            !t["product_variant_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| tens.contains(&v.as_i64().unwrap()))
        })
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    expected.sort_unstable();
    assert!(!expected.is_empty() && expected.len() < templates.len());
    let sub = json!([["default_code", "=like", "SKU-00001_"]]);
    assert_eq!(
        search_ids(
            &sim,
            "product.template",
            json!([["product_variant_ids", "not any", sub]])
        )
        .await,
        expected
    );
    sim.stop().await;

    // 16 does not know `any` / `not any`.
    let sim = simulator(16).await;
    let answer = execute_kw(
        &sim,
        "product.template",
        "search",
        json!([[["product_variant_ids", "not any", sub]]]),
        json!({}),
    )
    .await;
    assert_eq!(error(&answer).0, "builtins.ValueError");
    sim.stop().await;
}

#[tokio::test]
async fn an_expired_key_is_refused_on_19_over_both_transports() {
    let sim = simulator(19).await;
    sim.simulator.add_key("expired-key-0123456789", Some(-1));
    sim.simulator.add_key("fresh-key-0123456789", Some(90));
    let c = sim.simulator.config.clone();
    let count = |key: &'static str| {
        http()
            .post(format!("{}/json/2/stock.quant/search_count", sim.url))
            .bearer_auth(key)
            .json(&json!({"domain": [["id", "=", 1]]}))
            .send()
    };
    let expired = count("expired-key-0123456789").await.unwrap();
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(expired.headers()["www-authenticate"], "bearer");
    let fresh = count("fresh-key-0123456789").await.unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    // The deprecated JSON-RPC refuses it too: authenticate says false, execute_kw AccessDenied.
    let uid = jsonrpc(
        &sim,
        "common",
        "authenticate",
        json!([c.database, c.login, "expired-key-0123456789", {}]),
    )
    .await;
    assert_eq!(result(uid), json!(false));
    let answer = jsonrpc(
        &sim,
        "object",
        "execute_kw",
        json!([
            c.database,
            2,
            "expired-key-0123456789",
            "stock.quant",
            "search_count",
            [[]]
        ]),
    )
    .await;
    assert_eq!(error(&answer).0, "odoo.exceptions.AccessDenied");
    sim.stop().await;
}

/// Reads one HTTP request (head and body) and returns its head, or `None` when the peer hung up.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt as _;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_string();
        let length: usize = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .unwrap_or(0);
        // Read the whole body: closing on unread bytes would reset the connection under the answer.
        while buffer.len() < end + 4 + length {
            let read = socket.read(&mut chunk).await.ok()?;
            if read == 0 {
                return None;
            }
            buffer.extend_from_slice(&chunk[..read]);
        }
        return Some(head);
    }
}

/// A tiny HTTP server answering each request (by its head) with `answer`'s raw response; it counts
/// the requests it gets.
async fn tiny_server(
    answer: impl Fn(&str) -> String + Send + Sync + 'static,
) -> (
    SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let (counted, answer) = (hits.clone(), Arc::new(answer));
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (counted, answer) = (counted.clone(), answer.clone());
            tokio::spawn(async move {
                while let Some(head) = read_request(&mut socket).await {
                    counted.fetch_add(1, Ordering::SeqCst);
                    if socket.write_all(answer(&head).as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (address, hits, task)
}

fn http_answer(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn the_client_never_follows_a_redirect() {
    use secrecy::SecretString;
    use std::sync::atomic::Ordering;
    use truestock::odoo::{Client, OdooConfig, OdooError};
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Where a redirect would lead: a server that answers anything like a friendly Odoo 17.
    let (elsewhere, followed, elsewhere_task) = tiny_server(|_| {
        let info = json!({"jsonrpc": "2.0", "id": 1, "result": {"server_version": "17.0", "server_serie": "17.0",
                          "server_version_info": [17, 0, 0, "final", 0, ""], "protocol_version": 1}});
        http_answer("200 OK", "", &info.to_string())
    })
    .await;
    for status in ["302 Found", "307 Temporary Redirect"] {
        for json2 in [false, true] {
            // JSON-RPC: every request is redirected. JSON-2: the version probe answers 19, the calls
            // after it are redirected.
            let (address, asked, task) = tiny_server(move |head| {
                if json2 && head.starts_with("GET /web/version ") {
                    let version = json!({"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"});
                    return http_answer("200 OK", "", &version.to_string());
                }
                let path = head.split_whitespace().nth(1).unwrap_or("/");
                http_answer(status, &format!("Location: http://{elsewhere}{path}\r\n"), "")
            })
            .await;
            let config = OdooConfig::new(
                format!("http://{address}").parse().unwrap(),
                "north-retail",
                "bot",
                SecretString::from("key".to_string()),
            )
            .reach_anywhere();
            let err = Client::connect(config).await.unwrap_err();
            assert!(
                matches!(&err, OdooError::Malformed(message) if message.contains("redirect")),
                "{status}, JSON-2 {json2}: {err:?}"
            );
            assert!(asked.load(Ordering::SeqCst) >= 1);
            task.abort();
        }
    }
    assert_eq!(followed.load(Ordering::SeqCst), 0, "the client followed a redirect");
    elsewhere_task.abort();
}
