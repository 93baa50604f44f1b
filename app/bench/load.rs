//! `truestock bench load`: an open-loop load generator, run by `bench stock` as a second process. It
//! sends requests at a fixed rate whatever the answers' speed (each on its own task, at its scheduled
//! instant), and measures each latency from that instant, so a slow server shows as latency instead
//! of slowing the load down (no coordinated omission). Debian's `wrk` is closed-loop, and the tools
//! that do this (vegeta, oha, goose) are not in this machine's registries or cost a long build; the
//! generator is this small module on reqwest and tokio.

use std::time::{Duration, Instant};

use super::{BenchError, percentile};

/// Sends `rate` GET requests per second for `seconds` to `base` + each of `paths` in turn, with
/// `cookie`; returns the count, errors (non-200 answers, transport errors, 10 s timeouts) and
/// latency percentiles.
pub async fn load(
    base: &str,
    cookie: &str,
    rate: u32,
    seconds: u32,
    paths: &[String],
) -> Result<serde_json::Value, BenchError> {
    if paths.is_empty() || rate == 0 {
        return Err(BenchError::Failed("nothing to request".into()));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let total = u64::from(rate) * u64::from(seconds);
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(bool, f64)>();
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let url = format!("{base}{}", paths[(i % paths.len() as u64) as usize]);
        let (client, cookie, sender) = (client.clone(), cookie.to_string(), sender.clone());
        let due: Instant = due.into_std();
        tokio::spawn(async move {
            let ok = match client.get(&url).header("Cookie", cookie).send().await {
                Ok(res) => res.status() == reqwest::StatusCode::OK && res.bytes().await.is_ok(),
                Err(_) => false,
            };
            let _ = sender.send((ok, due.elapsed().as_secs_f64() * 1000.0));
        });
    }
    drop(sender);
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors = 0u64;
    while let Some((ok, ms)) = receiver.recv().await {
        if !ok {
            errors += 1;
        }
        latencies.push(ms);
    }
    latencies.sort_by(f64::total_cmp);
    let round = |x: f64| (x * 10.0).round() / 10.0;
    Ok(serde_json::json!({
        "rate_rps": rate,
        "seconds": seconds,
        "requests": latencies.len(),
        "errors": errors,
        "p50_ms": round(percentile(&latencies, 50.0)),
        "p99_ms": round(percentile(&latencies, 99.0)),
        "max_ms": round(latencies.last().copied().unwrap_or_default()),
    }))
}
