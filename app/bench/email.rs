//! `bench email`: outbox throughput to a local SMTP sink. Writes `messages` alert emails to one
//! tenant's outbox — each in its own tenant transaction, rendered (text and HTML) as an alert
//! evaluation does — then lets a worker with `slots` email slots deliver them over SMTP to the
//! in-process sink, and reports both rates in messages per second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::tenancy::with_tenant;
use crate::email::outbox::{self, Audience, Email};
use crate::email::sink::SmtpSink;
use crate::jobs::Registry;
use crate::jobs::worker::{Worker, WorkerConfig};
use crate::operator;
use crate::sync::pull::SyncDeps;

use super::{BenchError, bench_settings, provision};

const DATABASE: &str = "truestock_bench_email";

pub async fn email(messages: usize, slots: usize) -> Result<serde_json::Value, BenchError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| BenchError::Failed(format!("{what}: {e}"));
    let mut settings = bench_settings(DATABASE)?;
    let owner = provision(&settings, DATABASE).await?;
    let tenant = operator::create_tenant(&owner, "bench", "Bench Retail").await?;
    owner.close().await.map_err(|e| failed("closing the owner pool", &e))?;
    let sink = SmtpSink::start()
        .await
        .map_err(|e| failed("starting the SMTP sink", &e))?;
    settings.smtp_url = Some(sink.url().into());
    let mailer = Arc::new(settings.mailer(&settings.public_url(settings.bind))?);
    let db = operator::app_pool(&settings, (slots as u32) * 2 + 4).await?;

    eprintln!("writing {messages} alert emails to the outbox…");
    let started = Instant::now();
    for i in 0..messages {
        let email = Email {
            to: format!("Buyer {i} <buyer{i}@bench.truestock.test>")
                .parse()
                .map_err(|e| failed("an address", &e))?,
            template: "alert",
            subject: format!("[Bench Retail] Priority SKU {i} is low in Store 07"),
            text: format!("SKU-{i:06} Tee shirt: low — 3 available, 1.5 days of cover\n"),
            html: format!("<ul><li>SKU-{i:06} Tee shirt: low — 3 available, 1.5 days of cover</li></ul>"),
            unsubscribe: Some(format!("http://127.0.0.1/unsubscribe/{i}")),
        };
        with_tenant(&db, tenant, async |tx| {
            outbox::enqueue(tx, &mailer, Audience::Tenant(tenant), &email).await
        })
        .await
        .map_err(|e| failed("writing to the outbox", &e))?;
    }
    let enqueue_seconds = started.elapsed().as_secs_f64();

    eprintln!("delivering them with {slots} email slots…");
    let sync = Arc::new(SyncDeps {
        ring: settings.key_ring()?,
        reach: settings.odoo_reach(),
    });
    let mut config = WorkerConfig::new("bench-email");
    config.pull_slots = 0;
    config.other_slots = slots;
    config.poll = Duration::from_millis(20);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let worker = tokio::spawn(
        Worker::new(db.clone(), Registry::production(sync, mailer), config).run(async move {
            let _ = stopped.await;
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    while sink.messages().len() < messages {
        if Instant::now() > deadline {
            return Err(BenchError::Failed(format!(
                "only {} of {messages} emails arrived in 10 minutes",
                sink.messages().len()
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deliver_seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    let _ = worker.await;
    let round = |x: f64| (x * 10.0).round() / 10.0;
    Ok(serde_json::json!({
        "bench": "email",
        "messages": messages,
        "slots": slots,
        "enqueue_per_s": round(messages as f64 / enqueue_seconds),
        "deliver_per_s": round(messages as f64 / deliver_seconds),
        "deliver_seconds": round(deliver_seconds),
    }))
}
