//! The lints of an egress allowlist (SPEC section 3, egress): too broad, private
//! ranges, host bits, overlaps. Data in, findings out: the egress check reports
//! them at run time and `golive validate` points at the manifest entry, so the
//! rules live here, apart from both.

use ipnet::IpNet;

use crate::codes;
use crate::finding::{Finding, Level};
use crate::netclass;

/// The findings about the entries of a non-empty allowlist, each with the index of
/// the entry it is about (for an overlap, the later of the two). Shared by the egress
/// check and `golive validate`, which points at the entry in the manifest.
pub fn allowlist_entry_findings(allowlist: &[IpNet]) -> Vec<(usize, Finding)> {
    let mut found = Vec::new();
    for (i, net) in allowlist.iter().enumerate() {
        let v4 = matches!(net, IpNet::V4(_));
        if net.prefix_len() == 0 {
            found.push((
                i,
                Finding::new(
                    &codes::ALLOWLIST_TOO_BROAD,
                    format!("{net} allows every address: it is no allowlist at all"),
                ),
            ));
        } else if (v4 && net.prefix_len() < 16) || (!v4 && net.prefix_len() < 32) {
            found.push((
                i,
                Finding::new(
                    &codes::ALLOWLIST_TOO_BROAD,
                    format!(
                        "{net} covers {} addresses; NAT egress ranges are rarely wider than /{}",
                        size(net),
                        if v4 { 16 } else { 32 }
                    ),
                )
                .with_level(Level::Warn),
            ));
        }
        if let Some(class) = netclass::classify_net(net).filter(|_| net.prefix_len() > 0) {
            found.push((
                i,
                Finding::new(
                    &codes::ALLOWLIST_PRIVATE_RANGE,
                    format!(
                        "{net} is {class}: Octopus sees your public NAT address, never this one"
                    ),
                ),
            ));
        }
        if net.addr() != net.network() {
            found.push((
                i,
                Finding::new(
                    &codes::ALLOWLIST_HOST_BITS,
                    format!(
                        "{net} has host bits set; it means {}, which may not be what was intended",
                        net.trunc()
                    ),
                ),
            ));
        }
    }
    for (i, a) in allowlist.iter().enumerate() {
        for (j, b) in allowlist.iter().enumerate().skip(i + 1) {
            let (a_t, b_t) = (a.trunc(), b.trunc());
            if a_t == b_t {
                found.push((
                    j,
                    Finding::new(
                        &codes::ALLOWLIST_OVERLAP,
                        format!("{a} and {b} are the same range"),
                    ),
                ));
            } else if a_t.contains(&b_t) || b_t.contains(&a_t) {
                found.push((
                    j,
                    Finding::new(&codes::ALLOWLIST_OVERLAP, format!("{a} and {b} overlap")),
                ));
            }
        }
    }
    found
}

fn size(net: &IpNet) -> String {
    let bits = net.max_prefix_len() - net.prefix_len();
    if bits >= 64 {
        format!("2^{bits}")
    } else {
        (1u128 << bits).to_string()
    }
}
