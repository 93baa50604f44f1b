//! The Odoo client: JSON-RPC (`/jsonrpc`, `object.execute_kw`) for Odoo 16–18 and the JSON-2 API
//! (`/json/2/<model>/<method>`, bearer key) for 19 and later, chosen from the detected version.
//!
//! Every call is stateless (credentials on each request), bounded by connect and total timeouts and a
//! response size cap, never follows redirects, and never logs the API key. Odoo's answers are decoded
//! into [`OdooError`] classes the sync can act on.
//!
//! Aggregate reads (reconciliation): `read_group(lazy=False)` on 16–18 (sums keyed by field name,
//! `__count`; an empty sum is `false`/`null`), `formatted_read_group` with `aggregates` such as
//! `"quantity:sum"` and `"__count"` on 19, where `read_group` is deprecated (Odoo's ORM changelog,
//! "Odoo Online 18.2").

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use url::Url;

use super::domain::Domain;
use super::error::OdooError;
use super::reach::{PublicResolver, Reach, preflight};
use super::version::OdooVersion;

/// Where and how to reach one Odoo.
#[derive(Debug, Clone)]
pub struct OdooConfig {
    /// The Odoo's base URL (`https://acme.odoo.com`).
    pub url: Url,
    pub database: String,
    pub login: String,
    pub api_key: SecretString,
    pub connect_timeout: Duration,
    /// The whole call, from connecting to the last byte.
    pub request_timeout: Duration,
    pub max_response_bytes: usize,
    /// Which addresses may be reached (DESIGN §8); public HTTPS only unless set otherwise.
    pub reach: Reach,
}

impl OdooConfig {
    pub fn new(url: Url, database: &str, login: &str, api_key: SecretString) -> Self {
        Self {
            url,
            database: database.to_string(),
            login: login.to_string(),
            api_key,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
            reach: Reach::PublicOnly,
        }
    }

    /// Allows any address, plain HTTP too (dev, the demo, tests against the simulator).
    pub fn reach_anywhere(mut self) -> Self {
        self.reach = Reach::Anywhere;
        self
    }
}

/// Paging, order and context of a search.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    pub offset: usize,
    pub limit: Option<usize>,
    /// Always end with `id` for a stable order (ODOO-API §2.2).
    pub order: Option<String>,
    pub context: Map<String, Value>,
}

impl SearchOptions {
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }
    pub fn order(mut self, order: &str) -> Self {
        self.order = Some(order.to_string());
        self
    }
    /// `active_test: false`: archived records too (the sync always wants them).
    pub fn include_archived(mut self) -> Self {
        self.context.insert("active_test".into(), json!(false));
        self
    }
    pub fn context(mut self, key: &str, value: Value) -> Self {
        self.context.insert(key.to_string(), value);
        self
    }
}

/// The result of [`Client::aggregate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub count: u64,
    /// The sum of each requested field, in the order requested.
    pub totals: Vec<(String, f64)>,
}

impl Aggregate {
    pub fn total(&self, field: &str) -> f64 {
        self.totals.iter().find(|(f, _)| f == field).map_or(0.0, |(_, t)| *t)
    }
}

/// A connected client: the version is known and the credentials were accepted.
pub struct Client {
    http: reqwest::Client,
    config: OdooConfig,
    version: OdooVersion,
    uid: i64,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL without any user:password it might carry.
        let mut url = self.config.url.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        f.debug_struct("Client")
            .field("url", &url.as_str())
            .field("database", &self.config.database)
            .field("login", &self.config.login)
            .field("version", &self.version.text)
            .field("uid", &self.uid)
            .finish_non_exhaustive()
    }
}

/// One call in transport-neutral form. JSON-2 takes every argument by name; JSON-RPC takes the ids and
/// the first `positional` arguments positionally (Odoo requires `create`'s values positionally).
struct Call<'a> {
    model: &'a str,
    method: &'a str,
    ids: Option<&'a [i64]>,
    args: Vec<(&'static str, Value)>,
    positional: usize,
    context: &'a Map<String, Value>,
}

fn transport_error(err: reqwest::Error) -> OdooError {
    let what = if err.is_timeout() {
        "the request timed out"
    } else if err.is_connect() {
        "the connection failed"
    } else if err.is_body() || err.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "the request failed"
    };
    OdooError::Transport(what.to_string())
}

impl Client {
    /// Detects the version (`GET /web/version`, then `common.version`) and checks the credentials.
    pub async fn connect(config: OdooConfig) -> Result<Self, OdooError> {
        // A clear refusal first; the resolver then checks every connection again (DNS rebinding).
        preflight(&config.url, config.reach).await?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("TrueStock/", env!("CARGO_PKG_VERSION")));
        if config.reach == Reach::PublicOnly {
            builder = builder.https_only(true).dns_resolver(PublicResolver);
        }
        let http = builder
            .build()
            .map_err(|e| OdooError::Transport(format!("could not set up HTTP: {e}")))?;
        let mut client = Self {
            http,
            config,
            version: OdooVersion::major(16),
            uid: 0,
            next_id: AtomicU64::new(1),
        };
        client.version = client.detect_version().await?;
        if !client.version.is_supported() {
            return Err(OdooError::UnsupportedVersion(client.version.text.clone()));
        }
        client.uid = client.authenticate().await?;
        Ok(client)
    }

    pub fn version(&self) -> &OdooVersion {
        &self.version
    }

    pub fn uid(&self) -> i64 {
        self.uid
    }

    fn endpoint(&self, path: &str) -> Result<Url, OdooError> {
        self.config
            .url
            .join(path)
            .map_err(|_| OdooError::Malformed(format!("cannot build a URL for {path}")))
    }

    async fn detect_version(&self) -> Result<OdooVersion, OdooError> {
        // 19+ answers a plain GET; older versions 404 it, and JSON-RPC tells instead. A transport
        // failure of the probe is reported as such (retryable), not hidden behind the fallback.
        let (status, body) = self.send(self.http.get(self.endpoint("web/version")?)).await?;
        if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS
        {
            return Err(OdooError::Transport(format!("Odoo answered HTTP {}", status.as_u16())));
        }
        if status == StatusCode::OK
            && let Some(version) = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("version").and_then(Value::as_str).and_then(OdooVersion::parse))
        {
            return Ok(version);
        }
        let info: Value = self.jsonrpc("common", "version", json!([]), None).await?;
        let text = info
            .get("server_serie")
            .or_else(|| info.get("server_version"))
            .and_then(Value::as_str)
            .ok_or_else(|| OdooError::Malformed("common.version has no server_serie".into()))?;
        OdooVersion::parse(text).ok_or_else(|| OdooError::Malformed(format!("unreadable Odoo version {text:?}")))
    }

    async fn authenticate(&self) -> Result<i64, OdooError> {
        if self.version.uses_json2() {
            let context: Value = self
                .call(Call {
                    model: "res.users",
                    method: "context_get",
                    ids: None,
                    args: Vec::new(),
                    positional: 0,
                    context: &Map::new(),
                })
                .await?;
            return context
                .get("uid")
                .and_then(Value::as_i64)
                .ok_or_else(|| OdooError::Malformed("context_get returned no uid".into()));
        }
        let key = self.config.api_key.expose_secret();
        let uid: Value = self
            .jsonrpc(
                "common",
                "authenticate",
                json!([self.config.database, self.config.login, key, {}]),
                None,
            )
            .await?;
        match uid {
            Value::Number(n) => n.as_i64().filter(|uid| *uid > 0).ok_or(OdooError::BadCredentials),
            Value::Bool(false) => Err(OdooError::BadCredentials),
            other => Err(OdooError::Malformed(format!("authenticate returned {other}"))),
        }
    }

    /// Sends a request and reads at most `max_response_bytes` of its body.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(StatusCode, Vec<u8>), OdooError> {
        let limit = self.config.max_response_bytes;
        let mut response = request.send().await.map_err(transport_error)?;
        if response.content_length().is_some_and(|len| len as usize > limit) {
            return Err(OdooError::ResponseTooLarge { limit });
        }
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > limit {
                return Err(OdooError::ResponseTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }

    /// One JSON-RPC call to `/jsonrpc`. A missing `result` is `null` (methods returning `None`).
    async fn jsonrpc<T: DeserializeOwned>(
        &self,
        service: &str,
        method: &str,
        args: Value,
        model: Option<&str>,
    ) -> Result<T, OdooError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let envelope = json!({"jsonrpc": "2.0", "method": "call", "id": id,
                              "params": {"service": service, "method": method, "args": args}});
        let request = self.http.post(self.endpoint("jsonrpc")?).json(&envelope);
        let (status, body) = self.send(request).await?;
        parse_jsonrpc_answer(status, &body, model)
    }

    /// One model method call over the transport of this Odoo's version. A session-expired answer is
    /// retried once: our calls carry their credentials, so a fresh attempt is a fresh session.
    async fn call<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, OdooError> {
        match self.call_once(&call).await {
            Err(OdooError::SessionExpired) => self.call_once(&call).await,
            outcome => outcome,
        }
    }

    async fn call_once<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T, OdooError> {
        if self.version.uses_json2() {
            return self.json2(call).await;
        }
        let mut positional: Vec<Value> = call.ids.map(|ids| vec![json!(ids)]).unwrap_or_default();
        let mut kwargs = Map::new();
        for (n, (name, value)) in call.args.iter().enumerate() {
            if n < call.positional {
                positional.push(value.clone());
            } else {
                kwargs.insert(name.to_string(), value.clone());
            }
        }
        kwargs.insert("context".into(), Value::Object(call.context.clone()));
        let key = self.config.api_key.expose_secret();
        let args = json!([
            self.config.database,
            self.uid,
            key,
            call.model,
            call.method,
            positional,
            kwargs
        ]);
        self.jsonrpc("object", "execute_kw", args, Some(call.model)).await
    }

    /// One JSON-2 call: named arguments only, the key as a bearer token, the status as the error class.
    async fn json2<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T, OdooError> {
        let mut body = Map::new();
        if let Some(ids) = call.ids {
            body.insert("ids".into(), json!(ids));
        }
        body.insert("context".into(), Value::Object(call.context.clone()));
        for (name, value) in &call.args {
            body.insert(name.to_string(), value.clone());
        }
        let url = self.endpoint(&format!("json/2/{}/{}", call.model, call.method))?;
        let request = self
            .http
            .post(url)
            .header(
                "Authorization",
                format!("bearer {}", self.config.api_key.expose_secret()),
            )
            .header("X-Odoo-Database", &self.config.database)
            .json(&Value::Object(body));
        let (status, bytes) = self.send(request).await?;
        parse_json2_answer(status, &bytes, call.model)
    }

    /// `search_read`: the rows matching `domain`, decoded into `T`.
    pub async fn search_read<T: DeserializeOwned>(
        &self,
        model: &str,
        domain: &Domain,
        fields: &[&str],
        options: &SearchOptions,
    ) -> Result<Vec<T>, OdooError> {
        let mut args = vec![
            ("domain", domain.to_json()),
            ("fields", json!(fields)),
            ("offset", json!(options.offset)),
        ];
        if let Some(limit) = options.limit {
            args.push(("limit", json!(limit)));
        }
        if let Some(order) = &options.order {
            args.push(("order", json!(order)));
        }
        self.call(Call {
            model,
            method: "search_read",
            ids: None,
            args,
            positional: 0,
            context: &options.context,
        })
        .await
    }

    /// `search_count`.
    pub async fn search_count(&self, model: &str, domain: &Domain, options: &SearchOptions) -> Result<u64, OdooError> {
        let args = vec![("domain", domain.to_json())];
        let count: Value = self
            .call(Call {
                model,
                method: "search_count",
                ids: None,
                args,
                positional: 0,
                context: &options.context,
            })
            .await?;
        count
            .as_u64()
            .ok_or_else(|| OdooError::Malformed(format!("{model}.search_count returned {count}")))
    }

    /// `read`: rows of `ids` (missing ids are skipped by Odoo, not errors).
    pub async fn read<T: DeserializeOwned>(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[&str],
        options: &SearchOptions,
    ) -> Result<Vec<T>, OdooError> {
        let args = vec![("fields", json!(fields))];
        self.call(Call {
            model,
            method: "read",
            ids: Some(ids),
            args,
            positional: 0,
            context: &options.context,
        })
        .await
    }

    /// `create` of one record: its id.
    pub async fn create(
        &self,
        model: &str,
        values: Map<String, Value>,
        options: &SearchOptions,
    ) -> Result<i64, OdooError> {
        // A list of one dict gets a list of one id on every version and transport.
        let args = vec![("vals_list", json!([values]))];
        let created: Value = self
            .call(Call {
                model,
                method: "create",
                ids: None,
                args,
                positional: 1,
                context: &options.context,
            })
            .await?;
        match &created {
            Value::Array(ids) if ids.len() == 1 => ids[0].as_i64(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
        .ok_or_else(|| OdooError::Malformed(format!("{model}.create returned {created}")))
    }

    /// `write` of the same values to `ids`.
    pub async fn write(
        &self,
        model: &str,
        ids: &[i64],
        values: Map<String, Value>,
        options: &SearchOptions,
    ) -> Result<(), OdooError> {
        let args = vec![("vals", Value::Object(values))];
        let done: Value = self
            .call(Call {
                model,
                method: "write",
                ids: Some(ids),
                args,
                positional: 1,
                context: &options.context,
            })
            .await?;
        match done {
            Value::Bool(true) => Ok(()),
            other => Err(OdooError::Malformed(format!("{model}.write returned {other}"))),
        }
    }

    /// A named method on records (`action_validate`, `action_apply_inventory`, …), with named
    /// arguments. `null` when the method returned nothing.
    pub async fn call_method(
        &self,
        model: &str,
        method: &str,
        ids: &[i64],
        args: Vec<(&'static str, Value)>,
        options: &SearchOptions,
    ) -> Result<Value, OdooError> {
        self.call(Call {
            model,
            method,
            ids: Some(ids),
            args,
            positional: 0,
            context: &options.context,
        })
        .await
    }

    /// A named method on the model rather than on records (`check_access_rights`, …), with named
    /// arguments.
    pub async fn call_model_method(
        &self,
        model: &str,
        method: &str,
        args: Vec<(&'static str, Value)>,
        options: &SearchOptions,
    ) -> Result<Value, OdooError> {
        self.call(Call {
            model,
            method,
            ids: None,
            args,
            positional: 0,
            context: &options.context,
        })
        .await
    }

    /// Totals over `domain`: the record count and the sum of each of `fields` (reconciliation compares
    /// them window by window). `read_group` on 16–18; `formatted_read_group` on 19, where `read_group`
    /// is deprecated.
    pub async fn aggregate(
        &self,
        model: &str,
        domain: &Domain,
        fields: &[&str],
        options: &SearchOptions,
    ) -> Result<Aggregate, OdooError> {
        let sums: Vec<String> = fields.iter().map(|f| format!("{f}:sum")).collect();
        let json2 = self.version.uses_json2();
        let call = if json2 {
            let mut aggregates = sums.clone();
            aggregates.push("__count".into());
            let args = vec![
                ("domain", domain.to_json()),
                ("groupby", json!([])),
                ("aggregates", json!(aggregates)),
            ];
            Call {
                model,
                method: "formatted_read_group",
                ids: None,
                args,
                positional: 0,
                context: &options.context,
            }
        } else {
            let args = vec![
                ("domain", domain.to_json()),
                ("fields", json!(sums)),
                ("groupby", json!([])),
                ("lazy", json!(false)),
            ];
            Call {
                model,
                method: "read_group",
                ids: None,
                args,
                positional: 0,
                context: &options.context,
            }
        };
        let rows: Value = self.call(call).await?;
        let row = rows
            .as_array()
            .and_then(|r| r.first())
            .and_then(Value::as_object)
            .ok_or_else(|| OdooError::Malformed(format!("{model}: the aggregate read returned {rows}")))?;
        let count = row.get("__count").and_then(Value::as_u64).unwrap_or(0);
        let mut totals = Vec::with_capacity(fields.len());
        for (field, sum) in fields.iter().zip(&sums) {
            let key = if json2 { sum.as_str() } else { field };
            // An empty sum is `false` (17/18) or `null` (16).
            let total = match row.get(key) {
                Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
                Some(Value::Bool(false) | Value::Null) | None => 0.0,
                Some(other) => return Err(OdooError::Malformed(format!("{model}: sum of {field} is {other}"))),
            };
            totals.push(((*field).to_string(), total));
        }
        Ok(Aggregate { count, totals })
    }

    /// Whether the Odoo has `model` (optional modules, such as OCA's `rma.reason`), from `ir.model`.
    pub async fn model_exists(&self, model: &str) -> Result<bool, OdooError> {
        let found = self
            .search_count(
                "ir.model",
                &Domain::leaf("model", super::domain::Op::Eq, model),
                &SearchOptions::default(),
            )
            .await?;
        Ok(found > 0)
    }

    /// `fields_get` with the attributes TrueStock uses.
    pub async fn fields_get(&self, model: &str) -> Result<Map<String, Value>, OdooError> {
        let args = vec![(
            "attributes",
            json!(["type", "string", "relation", "selection", "required", "readonly"]),
        )];
        let fields: Value = self
            .call(Call {
                model,
                method: "fields_get",
                ids: None,
                args,
                positional: 0,
                context: &Map::new(),
            })
            .await?;
        match fields {
            Value::Object(map) => Ok(map),
            other => Err(OdooError::Malformed(format!("{model}.fields_get returned {}", other))),
        }
    }
}

/// Reads a JSON-RPC answer: `result` (missing means `null`), or the error classified by its Odoo
/// exception class. Any bytes give a value or a typed error, never a panic (property-tested).
pub fn parse_jsonrpc_answer<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    model: Option<&str>,
) -> Result<T, OdooError> {
    // 408 and 429 come from servers and proxies that gave up on a request or want fewer of them:
    // worth another try, like a 5xx.
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS {
        return Err(OdooError::Transport(format!("Odoo answered HTTP {}", status.as_u16())));
    }
    if status.is_redirection() {
        return Err(OdooError::Malformed(
            "Odoo answered with a redirect; check the URL (https, no path)".into(),
        ));
    }
    if status != StatusCode::OK {
        return Err(OdooError::Malformed(format!(
            "Odoo answered HTTP {} to JSON-RPC",
            status.as_u16()
        )));
    }
    // The result is decoded straight into `T` (no tree of `Value`s in between: pages of thousands of
    // records are most of what a pull reads), once the error, if any, has been read. An `error` key is
    // an error whatever it holds (`null` included).
    #[derive(serde::Deserialize)]
    struct Answer<'a> {
        #[serde(borrow)]
        result: Option<&'a serde_json::value::RawValue>,
        #[serde(default, deserialize_with = "present")]
        error: Option<Value>,
    }
    fn present<'de, D: serde::Deserializer<'de>>(value: D) -> Result<Option<Value>, D::Error> {
        serde::Deserialize::deserialize(value).map(Some)
    }
    // (serde would also take a two-element array for the struct.)
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => OdooError::Malformed("the answer is not a JSON-RPC object".into()),
            Err(_) => OdooError::Malformed("the answer is not JSON".into()),
        });
    }
    let answer: Answer = match serde_json::from_slice(body) {
        Ok(answer) => answer,
        Err(e) if e.is_data() => return Err(OdooError::Malformed("the answer is not a JSON-RPC object".into())),
        Err(_) => return Err(OdooError::Malformed("the answer is not JSON".into())),
    };
    if let Some(error) = answer.error {
        if error.get("code").and_then(Value::as_i64) == Some(100) {
            return Err(OdooError::SessionExpired);
        }
        let data = error.get("data");
        let name = data
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let message = data
            .and_then(|d| d.get("message"))
            .or_else(|| error.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("no message");
        return Err(OdooError::from_exception(name, message, model));
    }
    let result = answer.result.map_or("null", |raw| raw.get());
    serde_json::from_str(result).map_err(|e| unexpected(model.unwrap_or("Odoo"), &e))
}

/// An answer that is JSON, but not what the call returns.
fn unexpected(model: &str, error: &serde_json::Error) -> OdooError {
    OdooError::Malformed(format!("{model}: {error}"))
}

/// Reads a JSON-2 answer: the value on 200, otherwise the error by status and exception class (the
/// body is an object, or a bare string on pre-release builds). Never panics (property-tested).
pub fn parse_json2_answer<T: DeserializeOwned>(status: StatusCode, bytes: &[u8], model: &str) -> Result<T, OdooError> {
    if status == StatusCode::OK {
        return serde_json::from_slice(bytes).map_err(|e| match e.is_data() {
            true => unexpected(model, &e),
            false => OdooError::Malformed("the answer is not JSON".into()),
        });
    }
    // The error body is an object (`name`, `message`, …); pre-release builds sent a bare string.
    let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
    let name = parsed
        .as_ref()
        .and_then(|v| v.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = parsed
        .as_ref()
        .and_then(|v| v.get("message").and_then(Value::as_str).or_else(|| v.as_str()))
        .unwrap_or("no message")
        .to_string();
    Err(match status.as_u16() {
        401 => OdooError::BadCredentials,
        403 if name.ends_with("AccessDenied") => OdooError::BadCredentials,
        403 if name.ends_with("SessionExpiredException") => OdooError::SessionExpired,
        403 => OdooError::AccessDenied {
            model: model.to_string(),
            message,
        },
        404 if name.ends_with("MissingError") => OdooError::RecordMissing(message),
        409 => OdooError::Concurrency,
        // Bad arguments (our bug, not a refused change) come back as 422 too: tell them apart by name.
        // Odoo 19 sends bad arguments as werkzeug's UnprocessableEntity.
        422 if ["TypeError", "ValueError", "UnprocessableEntity"]
            .iter()
            .any(|n| name.ends_with(n)) =>
        {
            OdooError::Server {
                name: name.to_string(),
                message,
            }
        }
        422 => OdooError::UserError(message),
        // Odoo's own 500 carries the exception (say, a ValueError): not worth retrying. A 5xx
        // without it comes from a proxy or a dying worker: retry.
        500 if !name.is_empty() => OdooError::from_exception(name, &message, Some(model)),
        code if (500..600).contains(&code) => OdooError::Transport(format!("Odoo answered HTTP {code}")),
        code if (300..400).contains(&code) => {
            OdooError::Malformed("Odoo answered with a redirect; check the URL (https, no path)".into())
        }
        _ => OdooError::from_exception(if name.is_empty() { "unknown" } else { name }, &message, Some(model)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_answer_is_a_value_or_a_typed_error(body in proptest::collection::vec(any::<u8>(), 0..256), code in 100u16..600) {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
            let _ = parse_jsonrpc_answer::<Value>(status, &body, Some("stock.quant"));
            let _ = parse_json2_answer::<Value>(status, &body, "stock.quant");
        }

        #[test]
        fn hostile_error_envelopes_are_classified_without_panicking(
            code in prop_oneof![Just(json!(100)), Just(json!(200)), Just(json!("x")), Just(json!(null)), Just(json!(1e300))],
            name in prop_oneof![Just(json!("odoo.exceptions.AccessDenied")), Just(json!(42)), Just(json!(null)), Just(json!(["a"]))],
            message in prop_oneof![Just(json!("m")), Just(json!(false)), Just(json!({"deep": [[[]]]}))],
        ) {
            let body = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "data": {"name": name, "message": message}}});
            prop_assert!(parse_jsonrpc_answer::<Value>(StatusCode::OK, body.to_string().as_bytes(), None).is_err());
            let body = json!({"name": name, "message": message});
            prop_assert!(parse_json2_answer::<Value>(StatusCode::UNPROCESSABLE_ENTITY, body.to_string().as_bytes(), "m").is_err());
        }
    }

    #[test]
    fn timeouts_and_rate_limits_from_a_server_or_proxy_are_worth_another_try() {
        for status in [
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::BAD_GATEWAY,
        ] {
            let error = parse_jsonrpc_answer::<Value>(status, b"", None).unwrap_err();
            assert!(error.is_transient(), "{status}: {error:?}");
        }
        let error = parse_jsonrpc_answer::<Value>(StatusCode::NOT_FOUND, b"", None).unwrap_err();
        assert!(!error.is_transient(), "{error:?}");
    }

    #[test]
    fn a_missing_result_is_null_and_a_string_error_body_is_its_message() {
        assert_eq!(
            parse_jsonrpc_answer::<Value>(StatusCode::OK, br#"{"jsonrpc":"2.0","id":1}"#, None),
            Ok(Value::Null)
        );
        assert!(
            parse_jsonrpc_answer::<Value>(StatusCode::OK, br#"{"jsonrpc":"2.0","id":1,"error":null}"#, None).is_err(),
            "an error key is an error"
        );
        // The error wins over a result of the wrong shape.
        let denied = br#"{"id":1,"result":"x","error":{"code":200,"data":{"name":"odoo.exceptions.AccessError","message":"no"}}}"#;
        assert!(matches!(
            parse_jsonrpc_answer::<Vec<i64>>(StatusCode::OK, denied, Some("stock.quant")),
            Err(OdooError::AccessDenied { .. })
        ));
        assert!(matches!(
            parse_jsonrpc_answer::<Vec<i64>>(StatusCode::OK, br#"{"id":1,"result":"x"}"#, Some("m")),
            Err(OdooError::Malformed(_))
        ));
        assert_eq!(
            parse_json2_answer::<Value>(
                StatusCode::UNPROCESSABLE_ENTITY,
                br#""cannot call res.users.create with ids""#,
                "res.users"
            ),
            Err(OdooError::UserError("cannot call res.users.create with ids".into()))
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            parse_jsonrpc_answer::<Value>(StatusCode::OK, deep.as_bytes(), None),
            Err(OdooError::Malformed(_))
        ));
    }
}
