"""Which addresses a feed may be fetched from: global unicast ones only.

`refusal` is the rule, a pure function of one address. `checked_address` is the one
resolution a fetch makes for each hop: every address the name resolves to is judged, and the
fetch then connects to the address judged, never to the hostname again, so a resolver that
answers a public address and then a private one (DNS rebinding) gains nothing.

An IPv6 address that carries an IPv4 address is judged by the IPv4 address it carries, since
that is where its packets go: IPv4-mapped `::ffff:0:0/96` and IPv4-compatible `::/96` (the
last 32 bits), NAT64 `64:ff9b::/96` (the last 32 bits: a public IPv4 site behind a NAT64
gateway stays reachable, 169.254.169.254 does not), 6to4 `2002::/16` (bits 16 to 47), Teredo
`2001::/32` (its server, and its client with the bits inverted: both must be global). The
local-use NAT64 prefix `64:ff9b:1::/48` is not global (where it puts the IPv4 address is the
network's choice). Python's `is_global` alone says yes to several of these (`::127.0.0.1`,
`64:ff9b::a9fe:a9fe`, `2002:7f00:1::1`) and to multicast.
"""

from __future__ import annotations

import ipaddress
import socket

from coalition.errors import OperationError

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_COMPATIBLE = ipaddress.ip_network("::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(OperationError):
    """The feed's address is not one we fetch from; the message says which and why."""


def _unfit(ip: Address) -> str | None:
    """What makes `ip` itself no global unicast address, or None."""
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip in _SHARED:
        return "a shared address (carrier-grade NAT, 100.64.0.0/10)"
    if ip in _NAT64_LOCAL:
        return "a local-use NAT64 address (64:ff9b:1::/48)"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved or not ip.is_global:
        return "not a global address"
    return None


def carried_ipv4(ip: Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the mechanism carrying it."""
    if ip.version == 4:
        return []
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return [("IPv4-mapped", ip.ipv4_mapped)]
    if ip in _NAT64:
        return [("NAT64", low32)]
    if ip in _COMPATIBLE and int(ip) > 1:  # :: and ::1 are themselves, not IPv4-compatible
        return [("IPv4-compatible", low32)]
    if ip.sixtofour is not None:
        return [("6to4", ip.sixtofour)]
    if ip.teredo is not None:
        server, client = ip.teredo
        return [("Teredo server", server), ("Teredo client", client)]
    return []


def refusal(address: str) -> str | None:
    """Why no feed may be fetched from `address` (as `getaddrinfo` gives it; a scope such as
    `%eth0` is allowed), or None when it is a global unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    carried = carried_ipv4(ip)
    for how, ipv4 in carried:
        if why := _unfit(ipv4):
            return f"an {how} address for {ipv4}, {why}"
    return None if carried else _unfit(ip)


def checked_address(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to for `host`: resolved once, every address it resolves to
    judged (one refused address refuses the host), the first one returned."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise Refused(f"cannot resolve {host}: {e.strerror}") from e
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise Refused(f"cannot resolve {host}: no address")
    if not allow_private:
        for address in addresses:
            if why := refusal(address):
                raise Refused(f"{host} resolves to {address}, {why}: refused "
                              "([feeds] allow_private)")
    return addresses[0]
