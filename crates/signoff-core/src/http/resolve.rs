//! Name resolution: `localhost` (and any `*.localhost`, RFC 6761 §6.3) is this machine, always
//! 127.0.0.1 and ::1, never a DNS answer or an `/etc/hosts` line that says otherwise. Plain
//! HTTP is allowed to `localhost` only because it stays here.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The resolver every client uses: loopback names answered here, the rest by the system.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resolver;

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if let Some(addrs) = loopback_addrs(&host) {
                return Ok(Box::new(addrs.into_iter()) as Addrs);
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// 127.0.0.1 and ::1 for `localhost`, `*.localhost` (any case, with or without the final dot);
/// `None` for every other name.
pub fn loopback_addrs(host: &str) -> Option<[SocketAddr; 2]> {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let local = host == "localhost" || host.ends_with(".localhost");
    local.then_some([
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
    ])
}

/// True when `peer` is this machine (an IPv4-mapped IPv6 address counts as its IPv4 one).
pub fn is_loopback_peer(peer: SocketAddr) -> bool {
    peer.ip().to_canonical().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_names_are_loopback_only() {
        for name in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "a.localhost",
            "x.y.Localhost.",
        ] {
            let addrs = loopback_addrs(name).unwrap();
            assert!(
                addrs.iter().all(|a| a.ip().is_loopback()),
                "{name}: {addrs:?}"
            );
        }
        for name in [
            "localhost.example",
            "notlocalhost",
            "example.com",
            "localhostx",
        ] {
            assert!(loopback_addrs(name).is_none(), "{name}");
        }
    }

    #[tokio::test]
    async fn the_clients_resolver_never_asks_dns_for_localhost() {
        for name in ["localhost", "signoff-test.localhost"] {
            let addrs: Vec<_> = Resolver
                .resolve(name.parse().unwrap())
                .await
                .unwrap()
                .collect();
            assert_eq!(addrs.len(), 2, "{name}: {addrs:?}");
            assert!(
                addrs.iter().all(|a| a.ip().is_loopback()),
                "{name}: {addrs:?}"
            );
        }
    }

    #[test]
    fn peers_off_this_machine_are_not_loopback() {
        assert!(is_loopback_peer("127.0.0.1:80".parse().unwrap()));
        assert!(is_loopback_peer("[::1]:80".parse().unwrap()));
        assert!(is_loopback_peer("[::ffff:127.0.0.1]:80".parse().unwrap()));
        assert!(!is_loopback_peer("10.0.0.1:80".parse().unwrap()));
        assert!(!is_loopback_peer("[::ffff:10.0.0.1]:80".parse().unwrap()));
    }
}
