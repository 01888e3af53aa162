//! Which network addresses a completion notice may go to: public unicast ones only. Two
//! places ask: the intake, for a `callback_url` whose host is an IP literal (an early, clear
//! refusal), and the webhook sender, for every address a host resolves to at send time (the
//! check that counts, since a name can resolve differently between submit and send).
//!
//! IPv4 is checked against the special-purpose blocks (RFC 6890 and its updates); IPv6 is
//! allowed only in global unicast `2000::/3` outside its special-purpose blocks, so ranges
//! assigned later stay refused until someone decides otherwise. IPv6 forms that carry an IPv4
//! address (mapped `::ffff:0:0/96`, translated `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96`) are
//! judged by the IPv4 address they reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not one a notice may be sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NonPublic {
    /// `0.0.0.0`, `::`.
    #[error("unspecified")]
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    #[error("loopback")]
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16`, `fc00::/7`, `fec0::/10`.
    #[error("private")]
    Private,
    /// `100.64.0.0/10`, carrier-grade NAT.
    #[error("shared (carrier-grade NAT)")]
    Shared,
    /// `169.254.0.0/16`, `fe80::/10`.
    #[error("link-local")]
    LinkLocal,
    /// A cloud instance-metadata endpoint: `169.254.169.254`, `fd00:ec2::254` (AWS),
    /// `168.63.129.16` (Azure's public-range host endpoint).
    #[error("cloud metadata")]
    Metadata,
    /// `224.0.0.0/4`, `ff00::/8`.
    #[error("multicast")]
    Multicast,
    /// `255.255.255.255`.
    #[error("broadcast")]
    Broadcast,
    /// Documentation, benchmarking, protocol-assignment and future-use blocks, and IPv6
    /// outside global unicast.
    #[error("reserved")]
    Reserved,
}

/// `Ok` when `ip` is a public unicast address, otherwise the kind of address it is.
pub fn check_public(ip: IpAddr) -> Result<(), NonPublic> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4),
        IpAddr::V6(v6) => check_v6(v6),
    }
}

fn check_v4(ip: Ipv4Addr) -> Result<(), NonPublic> {
    let [a, b, c, _] = ip.octets();
    let bits = u32::from(ip);
    let within = |net: [u8; 4], len: u32| bits >> (32 - len) == u32::from(Ipv4Addr::from(net)) >> (32 - len);
    let kind = if ip.is_unspecified() {
        NonPublic::Unspecified
    } else if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(168, 63, 129, 16) {
        NonPublic::Metadata
    } else if ip.is_broadcast() {
        NonPublic::Broadcast
    } else if a == 127 {
        NonPublic::Loopback
    } else if a == 10 || within([172, 16, 0, 0], 12) || (a, b) == (192, 168) {
        NonPublic::Private
    } else if within([100, 64, 0, 0], 10) {
        NonPublic::Shared
    } else if (a, b) == (169, 254) {
        NonPublic::LinkLocal
    } else if (224..240).contains(&a) {
        NonPublic::Multicast
    } else if a == 0
        || a >= 240
        || (a, b, c) == (192, 0, 0)
        || (a, b, c) == (192, 0, 2)
        || (a, b, c) == (192, 88, 99)
        || (a, b, c) == (198, 51, 100)
        || (a, b, c) == (203, 0, 113)
        || within([198, 18, 0, 0], 15)
    {
        NonPublic::Reserved
    } else {
        return Ok(());
    };
    Err(kind)
}

fn check_v6(ip: Ipv6Addr) -> Result<(), NonPublic> {
    if let Some(v4) = embedded_v4(ip) {
        return check_v4(v4);
    }
    let s = ip.segments();
    let kind = if ip.is_unspecified() {
        NonPublic::Unspecified
    } else if ip.is_loopback() {
        NonPublic::Loopback
    } else if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        NonPublic::Metadata
    } else if s[0] & 0xff00 == 0xff00 {
        NonPublic::Multicast
    } else if s[0] & 0xffc0 == 0xfe80 {
        NonPublic::LinkLocal
    } else if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
        NonPublic::Private
    } else if s[0] & 0xe000 != 0x2000
        // 2001::/23: IETF protocol assignments (Teredo, benchmarking, ORCHID and the rest).
        || (s[0] == 0x2001 && s[1] < 0x0200)
        // Documentation (2001:db8::/32, 3fff::/20) and 6to4 (2002::/16, which tunnels to
        // whatever IPv4 address it embeds).
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || s[0] == 0x2002
        || s[0] & 0xfff0 == 0x3ff0
    {
        NonPublic::Reserved
    } else {
        return Ok(());
    };
    Err(kind)
}

/// The IPv4 address an IPv6 address stands for, when it carries one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // IPv4-mapped.
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        // IPv4-translated (SIIT).
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some(low),
        // NAT64's well-known prefix.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // IPv4-compatible (deprecated), but not `::` and `::1`, which are themselves.
        [0, 0, 0, 0, 0, 0, _, _] if !(ip.is_unspecified() || ip.is_loopback()) => Some(low),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Result<(), NonPublic> {
        check_public(ip.parse().unwrap())
    }

    #[test]
    fn public_unicast_addresses_are_allowed_in_both_families_and_in_mapped_form() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(kind(ip), Ok(()), "{ip}");
        }
    }

    #[test]
    fn internal_metadata_and_special_addresses_are_refused_with_their_kind() {
        use NonPublic::*;
        for (ip, expected) in [
            ("0.0.0.0", Unspecified),
            ("::", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.9.9.9", Loopback),
            ("::1", Loopback),
            ("10.0.0.8", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fec0::1", Private),
            ("100.64.0.1", Shared),
            ("100.127.255.255", Shared),
            ("169.254.1.1", LinkLocal),
            ("fe80::1", LinkLocal),
            ("169.254.169.254", Metadata),
            ("fd00:ec2::254", Metadata),
            ("168.63.129.16", Metadata),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("ff02::1", Multicast),
            ("255.255.255.255", Broadcast),
            ("0.1.2.3", Reserved),
            ("192.0.0.8", Reserved),
            ("192.0.2.1", Reserved),
            ("198.18.0.1", Reserved),
            ("198.51.100.7", Reserved),
            ("203.0.113.9", Reserved),
            ("240.0.0.1", Reserved),
            ("2001:db8::1", Reserved),
            ("2001::1", Reserved),
            ("2002:a9fe:a9fe::", Reserved),
            ("3fff::1", Reserved),
            ("100::1", Reserved),
            ("64:ff9b:1::1", Reserved),
        ] {
            assert_eq!(kind(ip), Err(expected), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_that_carry_an_ipv4_address_are_judged_by_it() {
        for (ip, expected) in [
            ("::ffff:169.254.169.254", NonPublic::Metadata),
            ("::ffff:a9fe:a9fe", NonPublic::Metadata),
            ("::ffff:127.0.0.1", NonPublic::Loopback),
            ("::ffff:0:10.0.0.1", NonPublic::Private),
            ("64:ff9b::a9fe:a9fe", NonPublic::Metadata),
            ("::10.0.0.1", NonPublic::Private),
            ("::ffff:0.0.0.0", NonPublic::Unspecified),
        ] {
            assert_eq!(kind(ip), Err(expected), "{ip}");
        }
    }
}
