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

/// After an attempt that may fail (attempts are counted before the password is checked), until when
/// further attempts on that email are refused — the growing delay: none for the first five, then 1 s
/// doubling up to 15 min, and the rest of the hour once 100 were made in it.
pub fn locked_until_after_attempt(
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
        let allowed = self.0.check_key(&limit_key(ip)).is_ok();
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

/// What the per-address limit counts: an IPv4 address, or an IPv6 /64 (one customer's whole network,
/// which they could otherwise rotate through freely).
fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            ))
        }
        v4 => v4,
    }
}

/// One `X-Forwarded-For` hop: an address, or an address with a port; anything else is `None`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the right-most hop of
/// `X-Forwarded-For` (all its header lines, in order) that is not itself a trusted proxy. A hop that
/// cannot be read stops the walk: what lies left of it is the client's own unverifiable claim.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: &[&str], trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let joined = forwarded_for.join(",");
    let mut last = peer;
    for hop in joined.rsplit(',').map(str::trim).filter(|h| !h.is_empty()) {
        match parse_hop(hop) {
            Some(ip) if is_trusted(&ip) => last = ip,
            Some(ip) => return Some(ip),
            None => return Some(last),
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
        assert_eq!(locked_until_after_attempt(5, 5, now, now), None);
        assert_eq!(
            locked_until_after_attempt(6, 6, now, now),
            Some(now + Duration::seconds(1))
        );
        assert_eq!(
            locked_until_after_attempt(8, 8, now, now),
            Some(now + Duration::seconds(4))
        );
        assert_eq!(
            locked_until_after_attempt(40, 40, now, now),
            Some(now + Duration::seconds(MAX_DELAY_SECS))
        );
        assert_eq!(
            locked_until_after_attempt(3, 100, now, now),
            Some(now + Duration::hours(1))
        );
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpNet = "10.0.0.0/8".parse().unwrap();
        let peer_proxy = Some("10.0.0.5".parse().unwrap());
        let outsider = Some("203.0.113.9".parse().unwrap());
        let client: Option<IpAddr> = Some("1.2.3.4".parse().unwrap());
        assert_eq!(client_ip(outsider, &["1.2.3.4"], &[proxy]), outsider);
        assert_eq!(client_ip(peer_proxy, &["1.2.3.4, 10.0.0.7"], &[proxy]), client);
        // A forged first line, then the proxy's own line: the proxy's line wins.
        assert_eq!(client_ip(peer_proxy, &["6.6.6.6", "1.2.3.4"], &[proxy]), client);
        assert_eq!(client_ip(peer_proxy, &["1.2.3.4:5678"], &[proxy]), client);
        assert_eq!(client_ip(peer_proxy, &["junk"], &[proxy]), peer_proxy);
        assert_eq!(client_ip(peer_proxy, &[], &[proxy]), peer_proxy);
        let mapped = Some("::ffff:10.0.0.5".parse().unwrap());
        assert_eq!(client_ip(mapped, &["1.2.3.4"], &[proxy]), client);
    }

    #[test]
    fn one_ipv6_network_shares_one_budget() {
        let limiter = IpLimiter::new(2, 1);
        assert!(limiter.check("2001:db8:1:2::1".parse().unwrap()));
        assert!(limiter.check("2001:db8:1:2::ffff".parse().unwrap()));
        assert!(!limiter.check("2001:db8:1:2:abcd::9".parse().unwrap()));
        assert!(limiter.check("2001:db8:1:3::1".parse().unwrap()));
    }
}
