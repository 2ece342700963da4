//! Who is calling, as the rate limits count callers: the client's IP address, found behind
//! trusted proxies, with an IPv6 client counted by its /64 network.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use super::cidr::Cidr;

/// One caller, as rate limits count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(IpAddr);

impl Client {
    /// The caller of a request that came from `peer` with this `X-Forwarded-For`: the peer
    /// itself, or, when the peer is a trusted proxy, the right-most forwarded address that is
    /// not itself a trusted proxy. Addresses left of that one are whatever the client chose to
    /// send, so they are never believed; an unparsable entry ends the search there.
    pub fn identify(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> Client {
        let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
        let mut client = peer;
        if is_trusted(peer) {
            let hops = forwarded_for
                .iter()
                .rev()
                .flat_map(|header| header.rsplit(','))
                .map(str::trim);
            for hop in hops {
                match hop.parse::<IpAddr>() {
                    Ok(ip) => {
                        client = ip;
                        if !is_trusted(ip) {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        Client::of(client)
    }

    /// The caller at `ip`. One IPv6 subscriber holds a whole /64, so its addresses count as
    /// one caller; an IPv4 address written as IPv6 is the IPv4 address.
    pub fn of(ip: IpAddr) -> Client {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let network = u128::from(v6) >> 64 << 64;
                Client(IpAddr::V6(Ipv6Addr::from(network)))
            }
            v4 => Client(v4),
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V6(network) => write!(f, "{network}/64"),
            v4 => write!(f, "{v4}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let client = Client::identify(ip("203.0.113.5"), &["198.51.100.1"], &nets(&["10.0.0.0/8"]));
        assert_eq!(client.to_string(), "203.0.113.5");
        let client = Client::identify(ip("203.0.113.5"), &["198.51.100.1"], &[]);
        assert_eq!(client.to_string(), "203.0.113.5");
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client forged the left-most entry; the load balancer appended the real one.
        let client = Client::identify(ip("10.0.0.2"), &["1.2.3.4, 198.51.100.7"], &trusted);
        assert_eq!(client.to_string(), "198.51.100.7");
        // Two proxies: the inner one's address is skipped.
        let client = Client::identify(ip("10.0.0.2"), &["198.51.100.7, 10.9.9.9"], &trusted);
        assert_eq!(client.to_string(), "198.51.100.7");
        // Several headers are one list, in order.
        let client = Client::identify(ip("10.0.0.2"), &["1.2.3.4", "198.51.100.8"], &trusted);
        assert_eq!(client.to_string(), "198.51.100.8");
        // No header, or nothing but proxies: the last address seen.
        assert_eq!(
            Client::identify(ip("10.0.0.2"), &[], &trusted).to_string(),
            "10.0.0.2"
        );
        assert_eq!(
            Client::identify(ip("10.0.0.2"), &["10.0.0.9"], &trusted).to_string(),
            "10.0.0.9"
        );
        // Garbage stops the walk: what is left of it is not believed.
        let client = Client::identify(ip("10.0.0.2"), &["1.2.3.4, junk"], &trusted);
        assert_eq!(client.to_string(), "10.0.0.2");
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let a = Client::of(ip("2001:db8:1:2:aaaa::1"));
        let b = Client::of(ip("2001:db8:1:2:bbbb::2"));
        let c = Client::of(ip("2001:db8:1:3::1"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(Client::of(ip("::ffff:192.0.2.1")).to_string(), "192.0.2.1");
    }
}
