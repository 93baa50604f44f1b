//! Logging: `tracing` to stderr as text or JSON (`TRUESTOCK_LOG_FORMAT`), filtered by `RUST_LOG`
//! (default `info`).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The log format from `TRUESTOCK_LOG_FORMAT`, read before the other settings so that their own
/// warnings (dev mode's generated secrets) are logged; a bad value is reported by `Settings`.
pub fn format_from_env() -> LogFormat {
    match std::env::var("TRUESTOCK_LOG_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        _ => LogFormat::Text,
    }
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

tokio::task_local! {
    /// Time spent in SQL by the request running on this task (see [`record_sql`]).
    static SQL_TIME: std::cell::Cell<std::time::Duration>;
}

/// Adds `elapsed` to the SQL time of the request this task serves, if any (the pool's metric
/// callback and the tenant transactions' BEGIN and COMMIT call it).
pub fn record_sql(elapsed: std::time::Duration) {
    let _ = SQL_TIME.try_with(|total| total.set(total.get() + elapsed));
}

/// Runs `work` (a request) and returns what it returned with the time it spent in SQL.
pub async fn with_sql_time<T>(work: impl std::future::Future<Output = T>) -> (T, std::time::Duration) {
    SQL_TIME
        .scope(std::cell::Cell::new(std::time::Duration::ZERO), async {
            let out = work.await;
            (out, SQL_TIME.with(std::cell::Cell::get))
        })
        .await
}
