//! Where stores resolved for API clients may send requests (issue 12, item 2).
//!
//! A config sent through the API names its endpoint, and a server that followed it
//! anywhere would be a way into the networks it can reach: the cloud metadata services
//! (`169.254.169.254`, `metadata.google.internal`), its own loopback, private ranges. So for
//! those stores every connection is checked: the host name before it is looked up
//! (metadata names; address literals in every form `url` reads, `2852039166`, `[::1]`,
//! `::ffff:169.254.169.254`), and every address the lookup gives, in the HTTP client's DNS
//! resolver, so that a name pointing at a refused address is refused too. Link-local,
//! unspecified and multicast addresses and metadata names are refused; loopback, private
//! and shared (CGNAT) ranges too; the operator's `--allow-endpoint` entries (an address, a
//! network `10.1.0.0/16`, or a host name) are let through. Redirects are not followed.
//!
//! The policy is in force while a section is resolved ([`scope`]): the HTTP clients built
//! meanwhile (`src/store/http.rs`: object_store's, the credential providers', Ferry's own)
//! carry it, so no provider has to pass it along.

use std::cell::RefCell;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

/// Host names of cloud metadata services, refused unless allowed by name.
const METADATA_NAMES: &[&str] = &[
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.com",
    "instance-data",
    "instance-data.ec2.internal",
];

/// The name a refused request is sent to (see [`EndpointPolicy::client_builder`]).
const REFUSED_NAME: &str = "endpoint-refused-by-ferry.invalid";

/// One `--allow-endpoint` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// An address and prefix length (32 or 128 for one address).
    Net(IpAddr, u8),
    /// A host name, compared without case and trailing dot.
    Host(String),
}

impl FromStr for Allowed {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (text, None),
        };
        let address = address.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = address.parse::<IpAddr>() {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("{text:?}: bad prefix length"))?,
                None => max,
            };
            return Ok(Allowed::Net(canonical(ip), bits));
        }
        let valid = !text.is_empty()
            && bits.is_none()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !valid {
            return Err(format!(
                "{text:?}: expected an address, a network (10.0.0.0/8) or a host name"
            ));
        }
        Ok(Allowed::Host(normal_name(text)))
    }
}

/// An IPv4 address carried in IPv6 (`::ffff:a.b.c.d`, `::a.b.c.d`) as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4() {
            Some(v4) if !v6.is_loopback() && !v6.is_unspecified() => IpAddr::V4(v4),
            _ => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn normal_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// What kind of address `ip` is, when it is one the policy refuses.
fn refused_kind(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_link_local() {
        Some("link-local (cloud metadata services)")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Some("private")
    } else if a == 0 || ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("not a unicast address")
    } else {
        None
    }
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if first & 0xffc0 == 0xfe80 {
        Some("link-local (cloud metadata services)")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if first & 0xfe00 == 0xfc00 {
        Some("private")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some("not a unicast address")
    } else {
        None
    }
}

/// The endpoints API clients' stores may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointPolicy {
    allowed: Vec<Allowed>,
}

impl EndpointPolicy {
    pub fn new(allowed: Vec<Allowed>) -> Self {
        EndpointPolicy { allowed }
    }

    fn name_allowed(&self, name: &str) -> bool {
        let name = normal_name(name);
        self.allowed
            .iter()
            .any(|a| matches!(a, Allowed::Host(h) if *h == name))
    }

    /// `Ok` when `ip` may be connected to.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        let ip = canonical(ip);
        let allowed = self
            .allowed
            .iter()
            .any(|a| matches!(a, Allowed::Net(net, bits) if in_net(ip, *net, *bits)));
        match refused_kind(ip) {
            Some(kind) if !allowed => Err(format!(
                "endpoint address {ip} is {kind}: refused for configs sent through the API \
                 (the server's operator can allow it with --allow-endpoint)"
            )),
            _ => Ok(()),
        }
    }

    /// `Ok` when `host` (a name or an address literal, as in a URL) may be looked up and
    /// connected to; the addresses a name gives are checked by the resolver.
    pub fn check_host(&self, host: &str) -> Result<(), String> {
        if self.name_allowed(host) {
            return Ok(());
        }
        match url::Host::parse(host.trim_start_matches('[').trim_end_matches(']')) {
            Ok(url::Host::Ipv4(ip)) => return self.check_ip(IpAddr::V4(ip)),
            Ok(url::Host::Ipv6(ip)) => return self.check_ip(IpAddr::V6(ip)),
            _ => {}
        }
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
            return self.check_ip(ip);
        }
        if METADATA_NAMES.contains(&normal_name(host).as_str()) {
            return Err(format!(
                "endpoint host {host:?} is a cloud metadata service: refused for configs sent \
                 through the API (the server's operator can allow it with --allow-endpoint)"
            ));
        }
        Ok(())
    }

    /// `Ok` when `host`, looked up, may be connected to at `ip`.
    pub fn check_resolved(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        if self.name_allowed(host) {
            return Ok(());
        }
        self.check_ip(ip)
    }

    /// [`Self::check_host`] of a URL's host.
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => self.check_host(name),
            None => Err("endpoint URL has no host".into()),
        }
    }

    /// A client builder that keeps to the policy: no redirects; a request whose URL the
    /// policy refuses is sent to a proxy of a name that can never resolve (reqwest offers
    /// no other way to refuse a request before it connects), and every name is looked up
    /// through the policy.
    pub(super) fn client_builder(self: &Arc<Self>) -> reqwest::ClientBuilder {
        let for_proxy = self.clone();
        let refuse = reqwest::Proxy::custom(move |url| {
            for_proxy
                .check_url(url)
                .is_err()
                .then(|| format!("http://{REFUSED_NAME}"))
        });
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .proxy(refuse)
            .dns_resolver(Arc::new(Resolver(self.clone())))
    }
}

/// The DNS resolver of guarded clients: a name is looked up only when the policy allows
/// it, and refused when any address it gives is refused (so that a name cannot point at
/// both a public and a refused address, one of which would be tried).
struct Resolver(Arc<EndpointPolicy>);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if host == REFUSED_NAME {
                return Err("the endpoint policy refused this address".into());
            }
            policy.check_host(&host)?;
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &addrs {
                (policy.check_resolved(&host, addr.ip())).map_err(|e| format!("{host}: {e}"))?;
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<EndpointPolicy>>> = const { RefCell::new(None) };
}

/// Runs `f` (a section's resolution) with `policy` in force for the HTTP clients it builds.
pub(super) fn scope<T>(policy: Option<Arc<EndpointPolicy>>, f: impl FnOnce() -> T) -> T {
    struct Reset(Option<Arc<EndpointPolicy>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = self.0.take());
        }
    }
    let _reset = Reset(CURRENT.with(|c| c.replace(policy)));
    f()
}

/// The policy in force on this thread, if any.
pub(super) fn current() -> Option<Arc<EndpointPolicy>> {
    CURRENT.with(|c| c.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_in_every_form() {
        let policy = EndpointPolicy::default();
        for url in [
            "http://169.254.169.254/latest",
            "http://2852039166/",
            "http://0xA9FEA9FE/",
            "http://[::1]:9000",
            "http://[::ffff:169.254.169.254]/",
            "http://[fe80::1]/",
            "http://127.0.0.1:9000",
            "http://10.1.2.3",
            "http://192.168.0.1",
            "http://100.64.0.1",
            "http://0.0.0.0",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.google.internal./",
            "http://metadata/",
        ] {
            let parsed = url::Url::parse(url).expect("url");
            policy.check_url(&parsed).expect_err(url);
        }
        for url in [
            "https://s3.amazonaws.com",
            "http://8.8.8.8",
            "http://[2001:db8::1]",
        ] {
            policy
                .check_url(&url::Url::parse(url).expect("url"))
                .expect(url);
        }
        for host in ["2852039166", "::1", "[::1]", "metadata"] {
            policy.check_host(host).expect_err(host);
        }
    }

    #[test]
    fn the_operator_allows() {
        let allowed = ["127.0.0.1", "10.1.0.0/16", "minio.internal", "[::1]"]
            .map(|a| a.parse::<Allowed>().expect(a));
        let policy = EndpointPolicy::new(allowed.to_vec());
        for host in [
            "127.0.0.1",
            "10.1.200.3",
            "minio.internal",
            "::1",
            "[::ffff:127.0.0.1]",
        ] {
            policy.check_host(host).expect(host);
        }
        for host in ["127.0.0.2", "10.2.0.1", "169.254.169.254", "metadata"] {
            policy.check_host(host).expect_err(host);
        }
        for bad in ["10.0.0.0/33", "a b", "", "host/8"] {
            bad.parse::<Allowed>().expect_err(bad);
        }
    }

    #[test]
    fn scope_is_reset() {
        let policy = Arc::new(EndpointPolicy::default());
        scope(Some(policy.clone()), || assert_eq!(current(), Some(policy)));
        assert_eq!(current(), None);
    }
}
