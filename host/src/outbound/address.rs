//! Which addresses a block may reach only when its grant names the host explicitly: the
//! machine itself, private networks, link-local ones (the cloud metadata address
//! 169.254.169.254 among them), and anything that is not one ordinary unicast host. An IPv6
//! address that carries an IPv4 one (mapped, translated `::ffff:0:0/96`, compatible, NAT64
//! `64:ff9b::/96`, 6to4 `2002::/16`) is judged by the IPv4 address it reaches; Teredo
//! (`2001::/32`), whose client address is obfuscated, is reserved as a whole, and so are the
//! documentation ranges. A network-specific NAT64 prefix (RFC 6052, chosen by an operator)
//! cannot be told from a public address, so an address under one is judged as it is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The reserved range `address` is in, named for messages; `None` for a public address.
pub fn reserved_range(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => reserved_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            // ::ffff:a.b.c.d reaches a.b.c.d.
            Some(v4) => reserved_v4(v4),
            None => reserved_v6(v6),
        },
    }
}

fn reserved_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("unspecified (0.0.0.0/8)")
    } else if ip.is_loopback() {
        Some("loopback (127.0.0.0/8)")
    } else if ip.is_private() {
        Some("private (10/8, 172.16/12, 192.168/16)")
    } else if ip.is_link_local() {
        Some("link-local (169.254.0.0/16, cloud metadata)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared address space (100.64.0.0/10)")
    } else if a == 192 && b == 0 && ip.octets()[2] == 0 {
        Some("IETF protocol assignments (192.0.0.0/24)")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("benchmarking (198.18.0.0/15)")
    } else if matches!(
        (a, b, ip.octets()[2]),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
    ) {
        Some("documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("multicast, broadcast or reserved (224.0.0.0/3)")
    } else {
        None
    }
}

fn reserved_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Some("unspecified (::)")
    } else if ip.is_loopback() {
        Some("loopback (::1)")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique local (fc00::/7)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local (fe80::/10)")
    } else if first & 0xffc0 == 0xfec0 {
        Some("site-local (fec0::/10)")
    } else if first & 0xff00 == 0xff00 {
        Some("multicast (ff00::/8)")
    } else if let [0, 0, 0, 0, 0xffff, 0, high, low] = ip.segments() {
        // The IPv4-translated form (::ffff:0:a.b.c.d, RFC 2765).
        reserved_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)))
    } else if first == 0x2001 && ip.segments()[1] == 0 {
        Some("Teredo (2001::/32)")
    } else if (first == 0x2001 && ip.segments()[1] == 0xdb8)
        || (first == 0x3fff && ip.segments()[1] < 0x1000)
    {
        Some("documentation (2001:db8::/32, 3fff::/20)")
    } else if let Some(v4) = ip.to_ipv4() {
        // The deprecated IPv4-compatible form (::a.b.c.d).
        reserved_v4(v4).or(Some("IPv4-compatible (::/96)"))
    } else if let Some(v4) = nat64_v4(ip) {
        // A NAT64 gateway forwards 64:ff9b::a.b.c.d to a.b.c.d.
        reserved_v4(v4)
    } else if ip.segments()[..3] == [0x64, 0xff9b, 1] {
        Some("local-use NAT64 (64:ff9b:1::/48)")
    } else if first == 0x2002 {
        // A 6to4 relay forwards 2002:AABB:CCDD::/48 to AA.BB.CC.DD.
        let [_, high, low, ..] = ip.segments();
        reserved_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)))
    } else {
        None
    }
}

/// The IPv4 address of a well-known-prefix NAT64 address (`64:ff9b::a.b.c.d`).
fn nat64_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let octets = ip.octets();
    let prefix = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
    (octets[..12] == prefix).then(|| Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_classified() {
        // (address, reserved)
        let table: &[(&str, bool)] = &[
            ("8.8.8.8", false),
            ("93.184.216.34", false),
            ("1.1.1.1", false),
            ("127.0.0.1", true),
            ("127.255.255.254", true),
            ("10.0.0.1", true),
            ("172.16.0.1", true),
            ("172.31.255.255", true),
            ("172.32.0.1", false),
            ("192.168.1.1", true),
            ("169.254.169.254", true),
            ("169.254.0.1", true),
            ("0.0.0.0", true),
            ("0.1.2.3", true),
            ("100.64.0.1", true),
            ("100.128.0.1", false),
            ("224.0.0.1", true),
            ("255.255.255.255", true),
            ("198.18.0.1", true),
            ("2606:4700:4700::1111", false),
            ("::1", true),
            ("::", true),
            ("fc00::1", true),
            ("fd12:3456::1", true),
            ("fe80::1", true),
            ("ff02::1", true),
            ("::ffff:127.0.0.1", true),
            ("::ffff:169.254.169.254", true),
            ("::ffff:8.8.8.8", false),
            ("::127.0.0.1", true),
            // NAT64 and 6to4 reach the IPv4 address they carry.
            ("64:ff9b::127.0.0.1", true),
            ("64:ff9b::a9fe:a9fe", true),
            ("64:ff9b::10.1.2.3", true),
            ("64:ff9b::8.8.8.8", false),
            ("64:ff9b:1::1", true),
            ("2002:7f00:1::1", true),
            ("2002:a9fe:a9fe::", true),
            ("2002:c0a8:101::5", true),
            ("2002:808:808::1", false),
            ("fec0::1", true),
            ("feff::1", true),
            ("::ffff:0:127.0.0.1", true),
            ("::ffff:0:a9fe:a9fe", true),
            ("::ffff:0:8.8.8.8", false),
            ("2001::1", true),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", true),
            ("2001:db8::1", true),
            ("3fff::1", true),
            ("3fff:1000::1", false),
            ("2001:4860:4860::8888", false),
            ("192.0.2.1", true),
            ("198.51.100.7", true),
            ("203.0.113.200", true),
            ("203.0.114.1", false),
        ];
        for (address, reserved) in table {
            let ip: IpAddr = address.parse().expect("an address");
            assert_eq!(
                reserved_range(ip).is_some(),
                *reserved,
                "{address}: {:?}",
                reserved_range(ip)
            );
        }
    }
}
