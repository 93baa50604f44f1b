//! The simulator's HTTP endpoints: `/jsonrpc`, `/web/webclient/version_info`,
//! `/web/session/authenticate`, and `GET /web/version` on 19. Errors travel as Odoo sends them: HTTP 200
//! with an `error` object whose `data` has all five keys (ODOO-API §1.2).

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{Map, Value, json};

use super::Simulator;
use super::store::{SimError, SimResult};
use super::xmlrpc::{self, Dialect, parse_call};

type Sim = web::Data<Arc<Simulator>>;

pub fn server(simulator: Arc<Simulator>, bind: SocketAddr) -> std::io::Result<(Server, u16)> {
    let data = web::Data::new(simulator);
    let listener = std::net::TcpListener::bind(bind)?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(inject_faults))
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(128 * 1024 * 1024))
            .route("/jsonrpc", web::post().to(jsonrpc))
            .route("/xmlrpc/2/{service}", web::post().to(xmlrpc))
            .route("/xmlrpc/{service}", web::post().to(xmlrpc))
            .route("/web/webclient/version_info", web::post().to(webclient_version_info))
            .route("/web/session/authenticate", web::post().to(session_authenticate))
            .route("/web/version", web::get().to(web_version))
            .route("/json/2/{model}/{method}", web::route().to(json2))
            .route("/json/2", web::route().to(json2_elsewhere))
            .route("/json/2/{rest:.*}", web::route().to(json2_elsewhere))
            .route("/doc-bearer/{file}", web::get().to(doc_bearer))
            .route("/__sim/control", web::post().to(control))
    })
    .workers(2)
    .listen(listener)?
    .run();
    Ok((server, port))
}

fn error_body(id: &Value, error: &SimError) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": 200,
            "message": "Odoo Server Error",
            "data": {
                "name": error.name,
                "debug": format!("Traceback (most recent call last):\n  File \"odoo/http.py\", line 1, in _serve\n{}: {}\n", error.name, error.message),
                "message": error.message,
                "arguments": [error.message],
                "context": {},
            }
        }
    })
}

/// A JSON-RPC response: `result` is omitted when the method returned `None`, as Odoo does.
fn respond(id: &Value, outcome: SimResult<Option<Value>>) -> HttpResponse {
    let body = match outcome {
        Ok(Some(result)) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Ok(None) => json!({"jsonrpc": "2.0", "id": id}),
        Err(error) => error_body(id, &error),
    };
    // (to bytes directly: `to_string` goes through `fmt::Write`, measurably slower on large pages)
    HttpResponse::Ok()
        .content_type("application/json")
        .body(serde_json::to_vec(&body).unwrap_or_default())
}

/// Parses a JSON-RPC envelope: 400 for a body that is not JSON or not an object (Odoo's own answers).
fn envelope(body: &Bytes) -> Result<(Value, Map<String, Value>), Box<HttpResponse>> {
    let bad = |text: &'static str| Box::new(HttpResponse::BadRequest().content_type("text/html").body(text));
    let request: Value = serde_json::from_slice(body).map_err(|_| bad("Invalid JSON data"))?;
    let Value::Object(request) = request else {
        return Err(bad("Invalid JSON-RPC data"));
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let params = match request.get("params") {
        Some(Value::Object(params)) => params.clone(),
        None => Map::new(),
        Some(_) => {
            return Err(bad("Invalid JSON-RPC data"));
        }
    };
    Ok((id, params))
}

fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or_default()
}

/// The `common`, `object` and `db` services, shared by JSON-RPC and XML-RPC.
fn dispatch(sim: &Simulator, service: &str, method: &str, args: &[Value]) -> SimResult<Option<Value>> {
    match (service, method) {
        ("common", "version") => Ok(Some(sim.version_info())),
        ("common", "login") | ("common", "authenticate") => Ok(Some(
            sim.login(arg_str(args, 0), arg_str(args, 1), arg_str(args, 2))
                .map_or(json!(false), |uid| json!(uid)),
        )),
        ("db", "list") => Ok(Some(json!([sim.config.database]))),
        ("object", "execute_kw") => {
            let uid = args.get(1).and_then(Value::as_i64).unwrap_or(0);
            sim.check(arg_str(args, 0), uid, arg_str(args, 2)).and_then(|uid| {
                let positional = args.get(5).and_then(Value::as_array).cloned().unwrap_or_default();
                let kwargs = args.get(6).and_then(Value::as_object).cloned().unwrap_or_default();
                sim.execute(arg_str(args, 3), arg_str(args, 4), &positional, &kwargs, uid)
            })
        }
        ("object", "execute") => {
            let uid = args.get(1).and_then(Value::as_i64).unwrap_or(0);
            sim.check(arg_str(args, 0), uid, arg_str(args, 2)).and_then(|uid| {
                let positional = args.get(5..).map(<[Value]>::to_vec).unwrap_or_default();
                sim.execute(arg_str(args, 3), arg_str(args, 4), &positional, &Map::new(), uid)
            })
        }
        _ => Err(SimError {
            name: "builtins.Exception",
            message: format!("No such RPC method: {service}.{method}"),
        }),
    }
}

async fn jsonrpc(sim: Sim, body: Bytes) -> HttpResponse {
    let (id, params) = match envelope(&body) {
        Ok(parts) => parts,
        Err(response) => return *response,
    };
    let service = params.get("service").and_then(Value::as_str).unwrap_or_default();
    let method = params.get("method").and_then(Value::as_str).unwrap_or_default();
    let args: Vec<Value> = params
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    respond(&id, dispatch(&sim, service, method, &args))
}

/// `POST /xmlrpc/2/<service>` and the legacy `POST /xmlrpc/<service>`: always HTTP 200, `text/xml`.
async fn xmlrpc(sim: Sim, req: HttpRequest, path: web::Path<String>, body: Bytes) -> HttpResponse {
    let dialect = if req.path().starts_with("/xmlrpc/2/") {
        Dialect::Numbered
    } else {
        Dialect::Legacy
    };
    let xml = match parse_call(&body) {
        Ok(call) => match dispatch(&sim, &path, &call.method, &call.params) {
            Ok(result) => xmlrpc::response(result.as_ref(), dialect),
            Err(error) => xmlrpc::fault(&error, dialect),
        },
        Err(reason) => xmlrpc::fault(
            &SimError {
                name: "xml.parsers.expat.ExpatError",
                message: reason,
            },
            dialect,
        ),
    };
    HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(xml)
}

async fn webclient_version_info(sim: Sim, body: Bytes) -> HttpResponse {
    match envelope(&body) {
        Ok((id, _)) => respond(&id, Ok(Some(sim.webclient_version_info()))),
        Err(response) => *response,
    }
}

async fn session_authenticate(sim: Sim, body: Bytes) -> HttpResponse {
    let (id, params) = match envelope(&body) {
        Ok(parts) => parts,
        Err(response) => return *response,
    };
    let get = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    match sim.login(&get("db"), &get("login"), &get("password")) {
        Some(uid) => {
            let result = json!({
                "uid": uid,
                "db": sim.config.database,
                "username": sim.config.login,
                "is_admin": false,
                "user_context": {"lang": "en_US", "tz": "Europe/Brussels", "uid": uid},
                "server_version": sim.version_text(),
            });
            let body = json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string();
            HttpResponse::Ok()
                .content_type("application/json")
                .insert_header(("Set-Cookie", format!("session_id=sim-{uid}; HttpOnly; Path=/")))
                .body(body)
        }
        None => respond(&id, Err(SimError::access_denied())),
    }
}

async fn web_version(sim: Sim) -> HttpResponse {
    if sim.version() < 19 {
        return HttpResponse::NotFound()
            .content_type("text/html")
            .body("<h1>Not Found</h1>");
    }
    let info = sim.version_info();
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json!({"version_info": info["server_version_info"], "version": sim.version_text()}).to_string())
}

/// Applies the simulator's faults to each request before (or instead of) answering it.
async fn inject_faults(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use super::faults::Fault;
    let Some(sim) = req.app_data::<Sim>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.path().starts_with("/__sim/") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let (delay, fault) = sim.faults.next();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let json2 = req.path().starts_with("/json/2/");
    let response = match fault {
        None => return Ok(next.call(req).await?.map_into_boxed_body()),
        Some(Fault::Truncate) => {
            let res = next.call(req).await?;
            let (http_req, res) = res.into_parts();
            let status = res.status();
            let body = actix_web::body::to_bytes(res.into_body()).await.unwrap_or_default();
            let half = body.slice(..body.len() / 2);
            let truncated = HttpResponse::build(status).content_type("application/json").body(half);
            return Ok(actix_web::dev::ServiceResponse::new(http_req, truncated));
        }
        Some(Fault::Status(code)) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
        )
        .content_type("text/html")
        .body("<html><body><h1>502 Bad Gateway</h1></body></html>"),
        Some(Fault::Drop) => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": [")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection dropped by fault injection",
                )),
            ];
            HttpResponse::Ok()
                .content_type("application/json")
                .streaming(futures_util::stream::iter(chunks))
        }
        Some(Fault::Oversize(bytes)) => {
            // Enough to exceed any sane client cap, bounded so a control call cannot exhaust memory.
            let bytes = bytes.min(512 * 1024 * 1024);
            let mut body = Vec::with_capacity(bytes);
            body.extend_from_slice(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": \"");
            body.resize(bytes.saturating_sub(3).max(body.len()), b'x');
            body.extend_from_slice(b"\"}\n");
            HttpResponse::Ok().content_type("application/json").body(body)
        }
        Some(Fault::Conflict) if json2 => json2_error(
            409,
            "odoo.exceptions.LockError",
            "Cannot update a record locked by another transaction",
        ),
        Some(Fault::Conflict) => {
            let name = if sim.version() >= 19 {
                "odoo.exceptions.LockError"
            } else {
                "psycopg2.errors.SerializationFailure"
            };
            let message = "could not serialize access due to concurrent update";
            let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": 200, "message": "Odoo Server Error",
                "data": {"name": name, "message": message, "arguments": [message], "context": {},
                         "debug": format!("Traceback (most recent call last):\n{name}: {message}\n")}}});
            HttpResponse::Ok()
                .content_type("application/json")
                .body(body.to_string())
        }
        Some(Fault::SessionExpired) if json2 => {
            json2_error(403, "odoo.http.SessionExpiredException", "Session expired")
        }
        Some(Fault::SessionExpired) => {
            let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": 100, "message": "Odoo Session Expired",
                "data": {"name": "odoo.http.SessionExpiredException", "message": "Session expired", "arguments": ["Session expired"],
                         "context": {}, "debug": "Traceback (most recent call last):\nodoo.http.SessionExpiredException: Session expired\n"}}});
            HttpResponse::Ok()
                .content_type("application/json")
                .body(body.to_string())
        }
    };
    let (http_req, _) = req.into_parts();
    Ok(actix_web::dev::ServiceResponse::new(http_req, response))
}

/// The JSON-2 error body (`serialize_exception`) with its HTTP status. werkzeug's exceptions carry
/// `(description, code)` as their arguments, Odoo's own ones only their message.
fn json2_error(status: u16, name: &str, message: &str) -> HttpResponse {
    let arguments = if name.starts_with("werkzeug.") {
        json!([message, status])
    } else {
        json!([message])
    };
    let body = json!({
        "name": name,
        "message": message,
        "arguments": arguments,
        "context": {},
        "debug": format!("Traceback (most recent call last):\n{name}: {message}\n"),
    });
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    );
    if status == 401 {
        response.insert_header(("WWW-Authenticate", "bearer"));
    }
    response.content_type("application/json").body(body.to_string())
}

/// The HTTP status Odoo 19 gives each exception class (`http_status`, ODOO-API §1.4).
fn json2_status(error: &SimError) -> u16 {
    match error.name.rsplit('.').next().unwrap_or_default() {
        "AccessError" | "AccessDenied" => 403,
        "MissingError" => 404,
        "LockError" => 409,
        // Arguments that do not bind are 422; a ValueError (say, an invalid field) or a TypeError
        // inside the method is not a UserError in Odoo and falls through to 500.
        "UserError" | "ValidationError" | "UnprocessableEntity" => 422,
        _ => 500,
    }
}

/// Any other path under `/json/2` (and another method than POST on `/json/2/<model>/<method>`): on 19
/// Odoo's catch-all route answers 404 with a hint (ODOO-API §1.4); before 19 nothing is there.
async fn json2_elsewhere(sim: Sim) -> HttpResponse {
    if sim.version() < 19 {
        return HttpResponse::NotFound()
            .content_type("text/html")
            .body("<h1>Not Found</h1>");
    }
    json2_error(
        404,
        "werkzeug.exceptions.NotFound",
        "Did you mean POST /json/2/<model>/<method>?",
    )
}

/// `POST /json/2/<model>/<method>` (19 only), checked in Odoo's order: the database, the body's
/// content type, the bearer key, the body, then the model, the method and its arguments.
async fn json2(sim: Sim, req: HttpRequest, path: web::Path<(String, String)>, body: Bytes) -> HttpResponse {
    if sim.version() < 19 {
        return HttpResponse::NotFound()
            .content_type("text/html")
            .body("<h1>Not Found</h1>");
    }
    if req.method() != actix_web::http::Method::POST {
        return json2_elsewhere(sim).await;
    }
    let (model, method) = path.into_inner();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let database = header("X-Odoo-Database");
    if !database.is_empty() && database != sim.config.database {
        return HttpResponse::NotFound()
            .content_type("text/html")
            .body("<h1>Not Found</h1>");
    }
    // Odoo compares the mimetype, without parameters such as `charset`.
    let content_type = header("Content-Type");
    let mimetype = content_type.split(';').next().unwrap_or_default().trim();
    if !body.is_empty() && !mimetype.eq_ignore_ascii_case("application/json") {
        return HttpResponse::UnsupportedMediaType()
            .content_type("text/html")
            .body("<h1>Unsupported Media Type</h1>");
    }
    if !bearer_key(&req).is_some_and(|key| sim.key_is_valid(&key)) {
        return json2_error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey");
    }
    let arguments: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => {
                return json2_error(
                    400,
                    "werkzeug.exceptions.BadRequest",
                    &format!("could not parse the body as json: {e}"),
                );
            }
        }
    };
    let Value::Object(mut named) = arguments else {
        return json2_error(
            400,
            "werkzeug.exceptions.BadRequest",
            "could not parse the body as json: not an object",
        );
    };
    if sim.with_store(|store| store.spec(&model).is_err()) {
        return json2_error(
            404,
            "werkzeug.exceptions.NotFound",
            &format!("the model '{model}' does not exist"),
        );
    }
    if method.starts_with('_') {
        return json2_error(
            404,
            "werkzeug.exceptions.NotFound",
            &format!("the method '{method}' is private"),
        );
    }
    let ids = named.remove("ids");
    let record_method = super::orm::is_record_method(&method);
    let ids = match (record_method, ids) {
        (true, Some(ids)) => match serde_json::from_value::<Vec<i64>>(ids) {
            Ok(ids) => Some(ids),
            Err(_) => return json2_error(422, "odoo.exceptions.UserError", "ids must be a list of integers"),
        },
        (true, None) => Some(Vec::new()),
        (false, Some(_)) => {
            return json2_error(
                422,
                "odoo.exceptions.UserError",
                &format!("cannot call {model}.{method} with ids"),
            );
        }
        (false, None) => None,
    };
    let outcome = sim.execute_call(super::orm::Call {
        model: &model,
        method: &method,
        ids,
        positional: &[],
        named: &named,
        uid: super::dataset::BOT_UID,
        transport: super::orm::Transport::Json2,
    });
    // JSON-2 returns a created recordset as its ids, even for a single dict.
    let outcome = outcome.map(|value| match (method.as_str(), value) {
        ("create", Some(Value::Number(id))) => Some(json!([id])),
        (_, value) => value,
    });
    match outcome {
        Ok(value) => HttpResponse::Ok()
            .content_type("application/json")
            .body(serde_json::to_vec(&value.unwrap_or(Value::Null)).unwrap_or_default()),
        // An unknown method is the controller's NotFound (it catches get_public_method's AttributeError).
        Err(error) if error.name == "builtins.AttributeError" => {
            json2_error(404, "werkzeug.exceptions.NotFound", &error.message)
        }
        Err(error) => json2_error(json2_status(&error), error.name, &error.message),
    }
}

/// `GET /doc-bearer/<model>.json` (19): the model's fields and its methods' parameter names, which
/// `odoo-client-lib` reads to turn positional arguments into JSON-2's named ones.
async fn doc_bearer(sim: Sim, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let not_found = || {
        HttpResponse::NotFound()
            .content_type("text/html")
            .body("<h1>Not Found</h1>")
    };
    if sim.version() < 19 {
        return not_found();
    }
    if !bearer_key(&req).is_some_and(|key| sim.key_is_valid(&key)) {
        return json2_error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey");
    }
    let Some(model) = path.strip_suffix(".json") else {
        return not_found();
    };
    let described = sim.with_store(|store| {
        let spec = store.spec(model).ok()?;
        let fields = store.fields_get(model, &[]).ok()?;
        Some((spec.label, fields))
    });
    let Some((label, fields)) = described else {
        return not_found();
    };
    let methods: Map<String, Value> = super::orm::public_methods()
        .into_iter()
        .map(|(name, params, record)| {
            let parameters: Map<String, Value> = params.iter().map(|p| (p.to_string(), json!({}))).collect();
            let api = if record { json!([]) } else { json!(["model"]) };
            (name.to_string(), json!({"parameters": parameters, "api": api}))
        })
        .collect();
    let body = json!({"model": model, "name": label, "doc": "", "fields": fields, "methods": methods});
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.to_string())
}

/// The simulator's control API (not Odoo's): `POST /__sim/control` with the API key as bearer token and
/// a JSON object of any of: `queue` (faults for the next requests: `"status:502"`, `"drop"`,
/// `"truncate"`, `"oversize:<bytes>"`, `"session_expired"`, `"conflict"`), `deny_model` / `allow_model`
/// (lists), `latency_ms`, `page_latency_ms`, `error_rate`, `drop_rate`, `revoke_key`, `add_key`
/// (`{"key", "expires_in_days"}`), `live_ticks` (run that many live-mode ticks now), `touch_quants` (a share
/// of quants, 0 to 1, changed by an ORM write: answers 200 with `{"touched": n}`). Answers 204 otherwise.
async fn control(sim: Sim, req: HttpRequest, body: Bytes) -> HttpResponse {
    use super::faults::Fault;
    if !bearer_key(&req).is_some_and(|key| sim.key_is_valid(&key)) {
        return HttpResponse::Unauthorized().body("a valid API key is required");
    }
    let Ok(Value::Object(orders)) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().body("expected a JSON object");
    };
    let mut faults = Vec::new();
    for item in orders
        .get("queue")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let text = item.as_str().unwrap_or_default();
        let (kind, argument) = text.split_once(':').unwrap_or((text, ""));
        let fault = match kind {
            "status" => argument.parse().ok().map(Fault::Status),
            "drop" => Some(Fault::Drop),
            "truncate" => Some(Fault::Truncate),
            "oversize" => argument.parse().ok().map(Fault::Oversize),
            "session_expired" => Some(Fault::SessionExpired),
            "conflict" => Some(Fault::Conflict),
            _ => None,
        };
        match fault {
            Some(fault) => faults.push(fault),
            None => return HttpResponse::BadRequest().body(format!("unknown fault {text:?}")),
        }
    }
    for fault in faults {
        sim.faults.queue(fault);
    }
    let names = |key: &str| -> Vec<String> {
        orders
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    for model in names("deny_model") {
        sim.faults.deny_model(&model);
    }
    for model in names("allow_model") {
        sim.faults.allow_model(&model);
    }
    let ms = |key: &str| {
        orders
            .get(key)
            .and_then(Value::as_u64)
            .map(std::time::Duration::from_millis)
    };
    if ms("latency_ms").is_some() || ms("page_latency_ms").is_some() {
        sim.faults.set_latency(
            ms("latency_ms").unwrap_or_default(),
            ms("page_latency_ms").unwrap_or_default(),
        );
    }
    let rate = |key: &str| orders.get(key).and_then(Value::as_f64);
    if rate("error_rate").is_some() || rate("drop_rate").is_some() {
        sim.faults
            .set_rates(rate("error_rate").unwrap_or(0.0), rate("drop_rate").unwrap_or(0.0));
    }
    if let Some(key) = orders.get("revoke_key").and_then(Value::as_str) {
        sim.revoke_key(key);
    }
    if let Some(Value::Object(new_key)) = orders.get("add_key")
        && let Some(key) = new_key.get("key").and_then(Value::as_str)
    {
        sim.add_key(key, new_key.get("expires_in_days").and_then(Value::as_i64));
    }
    if let Some(ticks) = orders.get("live_ticks").and_then(Value::as_u64) {
        use rand::SeedableRng as _;
        let mut rng = rand::rngs::StdRng::seed_from_u64(ticks);
        let mut state = sim.live.lock().unwrap_or_else(|p| p.into_inner());
        sim.with_store_mut(|store| {
            for _ in 0..ticks.min(10_000) {
                super::live::tick(store, &mut state, &mut rng);
            }
        });
    }
    if let Some(share) = orders.get("touch_quants").and_then(Value::as_f64) {
        let touched = sim.with_store_mut(|store| super::live::touch_quants(store, share));
        return HttpResponse::Ok().json(serde_json::json!({ "touched": touched }));
    }
    HttpResponse::NoContent().finish()
}

/// The API key of an `Authorization: bearer <key>` header (scheme case-insensitive, as Odoo's
/// `^bearer\s+(.+)$`).
fn bearer_key(req: &HttpRequest) -> Option<String> {
    let authorization = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, key) = authorization.split_once(char::is_whitespace)?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then(|| key.to_string())
}
