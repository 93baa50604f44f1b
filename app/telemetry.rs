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
