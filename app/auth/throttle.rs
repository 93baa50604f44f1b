//! Sign-in throttling: per typed email (in the database, so every server process agrees) and per
//! client address (in memory, per process). The client address comes from `X-Forwarded-For` only when
//! the direct peer is a trusted proxy.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

/// Failures allowed before delays start, and the ceilings (ASVS 2.2.1: ≤ 100 failures an hour).
pub const FREE_FAILURES: i32 = 5;
pub const MAX_FAILURES_PER_HOUR: i32 = 100;
pub const MAX_DELAY_SECS: i64 = 15 * 60;

/// After a failure, until when further attempts on that email are refused (the growing delay):
/// none for the first five, then 1 s doubling up to 15 min, and the rest of the hour at 100.
pub fn locked_until_after_failure(
    consecutive_failures: i32,
    failures_in_window: i32,
    window_started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if failures_in_window >= MAX_FAILURES_PER_HOUR {
        return Some(window_started_at + Duration::hours(1));
    }
    if consecutive_failures <= FREE_FAILURES {
        return None;
    }
    let exponent = (consecutive_failures - FREE_FAILURES - 1).min(20) as u32;
    let delay = 2_i64.saturating_pow(exponent).min(MAX_DELAY_SECS);
    Some(now + Duration::seconds(delay))
}

/// Per-address limit on sign-in attempts: a burst of 20, then one every 3 seconds.
#[derive(Clone)]
pub struct IpLimiter(Arc<DefaultKeyedRateLimiter<IpAddr>>);

impl IpLimiter {
    pub fn new(burst: u32, per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN));
        Self(Arc::new(RateLimiter::keyed(quota)))
    }

    pub fn check(&self, ip: IpAddr) -> bool {
        let allowed = self.0.check_key(&ip).is_ok();
        // Keep memory bounded under address churn.
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        allowed
    }
}

impl Default for IpLimiter {
    fn default() -> Self {
        Self::new(20, 20)
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else { return Some(peer) };
    let mut last = peer;
    for hop in header.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => last = ip,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(last),
        }
    }
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_five_failures_and_double_up_to_fifteen_minutes() {
        let now = Utc::now();
        assert_eq!(locked_until_after_failure(5, 5, now, now), None);
        assert_eq!(
            locked_until_after_failure(6, 6, now, now),
            Some(now + Duration::seconds(1))
        );
        assert_eq!(
            locked_until_after_failure(8, 8, now, now),
            Some(now + Duration::seconds(4))
        );
        assert_eq!(
            locked_until_after_failure(40, 40, now, now),
            Some(now + Duration::seconds(MAX_DELAY_SECS))
        );
        assert_eq!(
            locked_until_after_failure(3, 100, now, now),
            Some(now + Duration::hours(1))
        );
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpNet = "10.0.0.0/8".parse().unwrap();
        let peer_proxy = Some("10.0.0.5".parse().unwrap());
        let outsider = Some("203.0.113.9".parse().unwrap());
        assert_eq!(client_ip(outsider, Some("1.2.3.4"), &[proxy]), outsider);
        assert_eq!(
            client_ip(peer_proxy, Some("1.2.3.4, 10.0.0.7"), &[proxy]),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(client_ip(peer_proxy, Some("junk"), &[proxy]), peer_proxy);
        assert_eq!(client_ip(peer_proxy, None, &[proxy]), peer_proxy);
    }
}
