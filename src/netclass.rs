//! Classifying IP addresses and ranges: which ones Octopus can reach (or see as your
//! source) and which are private, loopback, link-local, CGNAT or unique-local.
//!
//! `IpAddr::is_global` is still unstable, so the table is written out here, once, for
//! the egress allowlist lint and the webhook URL check. The documentation ranges
//! (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) count as public,
//! because examples and tests use them as stand-ins for public addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Why an address is not publicly reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonPublic {
    /// RFC 1918 private ranges.
    Private,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT, 100.64.0.0/10.
    Cgnat,
    /// fc00::/7.
    UniqueLocal,
    /// 0.0.0.0/8, ::, 240.0.0.0/4, broadcast, multicast, benchmarking and other
    /// addresses that are never a host on the internet.
    Reserved,
}

impl NonPublic {
    /// A short description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            NonPublic::Private => "private (RFC 1918)",
            NonPublic::Loopback => "loopback",
            NonPublic::LinkLocal => "link-local",
            NonPublic::Cgnat => "carrier-grade NAT (100.64.0.0/10)",
            NonPublic::UniqueLocal => "unique-local (fc00::/7)",
            NonPublic::Reserved => "reserved, not routable on the internet",
        }
    }
}

impl std::fmt::Display for NonPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::new(a, b, c, d), len).expect("valid prefix")
}

fn v6(segments: [u16; 8], len: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new(Ipv6Addr::new(a, b, c, d, e, f, g, h), len).expect("valid prefix")
}

fn table() -> Vec<(IpNet, NonPublic)> {
    use NonPublic::*;
    vec![
        (v4(10, 0, 0, 0, 8).into(), Private),
        (v4(172, 16, 0, 0, 12).into(), Private),
        (v4(192, 168, 0, 0, 16).into(), Private),
        (v4(127, 0, 0, 0, 8).into(), Loopback),
        (v4(169, 254, 0, 0, 16).into(), LinkLocal),
        (v4(100, 64, 0, 0, 10).into(), Cgnat),
        (v4(0, 0, 0, 0, 8).into(), Reserved),
        (v4(192, 0, 0, 0, 24).into(), Reserved),
        (v4(198, 18, 0, 0, 15).into(), Reserved),
        (v4(224, 0, 0, 0, 4).into(), Reserved),
        (v4(240, 0, 0, 0, 4).into(), Reserved),
        (v6([0, 0, 0, 0, 0, 0, 0, 1], 128).into(), Loopback),
        (v6([0, 0, 0, 0, 0, 0, 0, 0], 128).into(), Reserved),
        (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10).into(), LinkLocal),
        (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7).into(), UniqueLocal),
        (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8).into(), Reserved),
    ]
}

/// Normalises IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`)
/// addresses to the IPv4 address they stand for.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(mapped) = v6.to_ipv4_mapped() {
                return IpAddr::V4(mapped);
            }
            let s = v6.segments();
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return IpAddr::V4(Ipv4Addr::new(a, b, c, d));
            }
            ip
        }
        v4 => v4,
    }
}

/// Why an address is not public, or `None` when it is (documentation ranges count as public).
pub fn classify(ip: IpAddr) -> Option<NonPublic> {
    let ip = canonical(ip);
    if ip == IpAddr::V4(Ipv4Addr::BROADCAST) {
        return Some(NonPublic::Reserved);
    }
    table()
        .into_iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, c)| c)
}

/// Why a range lies wholly inside a non-public block, or `None`. A range that merely
/// *contains* such a block (e.g. `0.0.0.0/1`) is public space, and too broad: that is
/// the allowlist lint's other finding.
pub fn classify_net(net: &IpNet) -> Option<NonPublic> {
    // An IPv4-mapped range (`::ffff:10.0.0.0/104`) is judged as the IPv4 range it maps.
    let network = canonical(net.network());
    let prefix = if network == net.network() {
        net.prefix_len()
    } else {
        net.prefix_len().saturating_sub(96)
    };
    let net = IpNet::new(network, prefix).unwrap_or(*net);
    table()
        .into_iter()
        .find(|(block, _)| block.contains(&net))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_table() {
        let cases: &[(&str, Option<NonPublic>)] = &[
            ("10.1.2.3", Some(NonPublic::Private)),
            ("172.31.255.255", Some(NonPublic::Private)),
            ("172.32.0.1", None),
            ("192.168.1.1", Some(NonPublic::Private)),
            ("127.0.0.1", Some(NonPublic::Loopback)),
            ("169.254.169.254", Some(NonPublic::LinkLocal)),
            ("100.64.0.1", Some(NonPublic::Cgnat)),
            ("100.128.0.1", None),
            ("0.0.0.0", Some(NonPublic::Reserved)),
            ("255.255.255.255", Some(NonPublic::Reserved)),
            ("224.0.0.1", Some(NonPublic::Reserved)),
            ("8.8.8.8", None),
            ("203.0.113.10", None),
            ("198.51.100.7", None),
            ("192.0.2.1", None),
            ("::1", Some(NonPublic::Loopback)),
            ("::", Some(NonPublic::Reserved)),
            ("fe80::1", Some(NonPublic::LinkLocal)),
            ("fd12:3456::1", Some(NonPublic::UniqueLocal)),
            ("2001:db8::1", None),
            ("2606:4700::1111", None),
            ("::ffff:127.0.0.1", Some(NonPublic::Loopback)),
            ("::ffff:10.0.0.1", Some(NonPublic::Private)),
            ("64:ff9b::a00:1", Some(NonPublic::Private)),
            ("ff02::1", Some(NonPublic::Reserved)),
        ];
        for (ip, want) in cases {
            assert_eq!(classify(ip.parse().unwrap()), *want, "{ip}");
        }
    }

    #[test]
    fn range_table() {
        let cases: &[(&str, bool)] = &[
            ("10.0.0.0/8", true),
            ("10.0.0.0/24", true),
            ("0.0.0.0/0", false),
            ("0.0.0.0/1", false),
            ("::ffff:10.0.0.0/104", true),
            ("203.0.113.0/28", false),
            ("2001:db8:1::/48", false),
            ("fc00::/7", true),
            ("8.0.0.0/7", false),
            ("::/0", false),
        ];
        for (net, non_public) in cases {
            assert_eq!(
                classify_net(&net.parse().unwrap()).is_some(),
                *non_public,
                "{net}"
            );
        }
    }
}
