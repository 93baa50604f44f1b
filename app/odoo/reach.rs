//! Where the client may connect (DESIGN §8, SSRF). An Odoo URL comes from a tenant admin, so outside
//! dev the client refuses plain HTTP and any host that is, or resolves to, a loopback, private,
//! link-local (cloud metadata), shared or otherwise non-public address. The check runs inside the
//! HTTP client's resolver, at every connection, so a name that later resolves elsewhere (DNS
//! rebinding) is refused too. `TRUESTOCK_ODOO_ALLOW_PRIVATE` (on in dev and the demo) lifts it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

use super::error::OdooError;

/// Which addresses the client may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses over HTTPS only (production).
    PublicOnly,
    /// Any address, HTTP too (dev, the demo and tests against the simulator).
    Anywhere,
}

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16: cloud metadata lives here
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT; some metadata)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 is a metadata address)
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 to any IPv4, private ones included
}

/// Checks an Odoo base URL before any connection: a scheme Odoo serves, no credentials, path, query or
/// fragment, and under [`Reach::PublicOnly`] HTTPS and no non-public address literal.
pub fn check_url(url: &Url, reach: Reach) -> Result<(), OdooError> {
    let refuse = |why: &str| Err(OdooError::AddressRefused(why.to_string()));
    match url.scheme() {
        "https" => {}
        "http" if reach == Reach::Anywhere => {}
        "http" => return refuse("use https:// (plain http:// is allowed only in dev mode)"),
        other => return refuse(&format!("{other}:// is not a web address")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("the address must not contain a user name or password");
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return refuse("give only the Odoo's address, without a path (e.g. https://acme.odoo.com)");
    }
    let ip = match url.host() {
        None => return refuse("the address has no host"),
        Some(Host::Domain(_)) => None,
        Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
    };
    if reach == Reach::PublicOnly
        && let Some(ip) = ip
        && !is_public(ip)
    {
        return refuse("it is a private, loopback or link-local address");
    }
    Ok(())
}

/// A resolver for the HTTP client that fails unless every address of the name is public.
#[derive(Debug, Clone, Copy)]
pub struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addresses.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            if addresses.iter().any(|a| !is_public(a.ip())) {
                return Err(format!("{host} resolves to a private, loopback or link-local address").into());
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Resolves `url`'s host the way [`PublicResolver`] does, to tell a tenant admin in plain words why an
/// address is refused before connecting.
pub async fn preflight(url: &Url, reach: Reach) -> Result<(), OdooError> {
    check_url(url, reach)?;
    if reach == Reach::Anywhere {
        return Ok(());
    }
    if let Some(Host::Domain(host)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| OdooError::Transport(format!("the name {host} could not be resolved")))?
            .collect();
        if addresses.iter().any(|a| !is_public(a.ip())) {
            return Err(OdooError::AddressRefused(format!(
                "{host} resolves to a private, loopback or link-local address"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "151.101.1.69", "2a00:1450:4001:82b::200e", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_connection() {
        let check = |url: &str, reach| check_url(&Url::parse(url).unwrap(), reach);
        assert!(check("https://acme.odoo.com", Reach::PublicOnly).is_ok());
        assert!(check("https://acme.odoo.com/", Reach::PublicOnly).is_ok());
        assert!(check("http://acme.odoo.com", Reach::PublicOnly).is_err());
        assert!(check("http://127.0.0.1:8069", Reach::Anywhere).is_ok());
        for refused in [
            "https://127.0.0.1",
            "https://[::1]",
            "https://169.254.169.254",
            "https://10.0.0.8:8069",
            "https://user:pw@acme.odoo.com",
            "https://acme.odoo.com/odoo",
            "https://acme.odoo.com/?db=x",
            "ftp://acme.odoo.com",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(check(refused, Reach::PublicOnly), Err(OdooError::AddressRefused(_))),
                "{refused}"
            );
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        use reqwest::dns::Resolve as _;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        assert!(PublicResolver.resolve(name).await.is_err());
        let refused = preflight(&Url::parse("https://localhost").unwrap(), Reach::PublicOnly).await;
        assert!(matches!(refused, Err(OdooError::AddressRefused(_))), "{refused:?}");
    }
}
