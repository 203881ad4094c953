"""The address guard: only global unicast addresses are fetched from, an IPv6 address that
carries an IPv4 one is judged by it too, every redirect hop is checked, and the fetch connects
to the address it checked.

The network is the real one up to the last step: a stub resolver (`socket.getaddrinfo`)
answers what each test says a name resolves to, and every connection (`socket.create_connection`,
what httpx's transport calls) is recorded by the address it was asked for, then made to the
local feed server, so a fetch that should have been refused would succeed, and show it."""

import ipaddress
import socket

import pytest

from tests.worker.feed_server import FeedServer
from worker.fetch import Limits, fetch
from worker.guard import Refused, carried_ipv4, refusal

PUBLIC = "93.184.216.34"  # what feeds.test resolves to: a global address
LIMITS = Limits(timeout=5, connect_timeout=5)  # allow_private is off

# (name, address, what the refusal must say)
REFUSED = [
    ("metadata", "169.254.169.254", "a link-local address"),
    ("ten", "10.20.30.40", "a private address"),
    ("shared", "100.64.0.1", "a shared address (carrier-grade NAT"),
    ("loopback6", "::1", "a loopback address"),
    ("linklocal6", "fe80::1", "a link-local address"),
    ("mapped", "::ffff:169.254.169.254", "IPv4-mapped address for 169.254.169.254"),
    ("compatible", "::127.0.0.1", "IPv4-compatible address for 127.0.0.1, a loopback address"),
    ("nat64", "64:ff9b::a9fe:a9fe", "NAT64 address for 169.254.169.254, a link-local"),
    ("nat64-local", "64:ff9b:1::a00:1", "a local-use NAT64 address"),
    ("6to4", "2002:7f00:1::1", "6to4 address for 127.0.0.1, a loopback address"),
    ("teredo", "2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo client address for 10.0.0.1"),
    ("multicast", "224.0.0.251", "a multicast address"),
]


@pytest.mark.parametrize(("name", "address", "why"), REFUSED, ids=[r[0] for r in REFUSED])
def test_the_rule_refuses_each_class_naming_why(name, address, why):
    assert why in refusal(address)


@pytest.mark.parametrize("address", [
    PUBLIC, "2606:4700:4700::1111",
    "64:ff9b::808:808",  # a public IPv4 site reached through a NAT64 gateway
    "2002:808:808::1",  # 6to4 for a public IPv4 address
    "::ffff:8.8.8.8",  # IPv4-mapped: where it goes is 8.8.8.8
])
def test_the_rule_lets_global_unicast_addresses_through(address):
    assert refusal(address) is None


def test_embedded_addresses_are_found_where_each_mechanism_puts_them():
    found = {str(ip): [(how, str(v4)) for how, v4 in carried_ipv4(ipaddress.ip_address(ip))]
             for ip in ("::ffff:10.0.0.1", "::10.0.0.1", "64:ff9b::10.0.0.1",
                        "2002:a00:1::", "2001:0:4136:e378:8000:63bf:f5ff:fffe", "2001:db8::1")}
    assert found == {
        "::ffff:10.0.0.1": [("IPv4-mapped", "10.0.0.1")],
        "::10.0.0.1": [("IPv4-compatible", "10.0.0.1")],
        "64:ff9b::10.0.0.1": [("NAT64", "10.0.0.1")],
        "2002:a00:1::": [("6to4", "10.0.0.1")],
        "2001:0:4136:e378:8000:63bf:f5ff:fffe": [("Teredo server", "65.54.227.120"),
                                                  ("Teredo client", "10.0.0.1")],
        "2001:db8::1": []}


class Network:
    """The stub resolver and the recording connector (see the module's docstring)."""

    def __init__(self, monkeypatch, server_port: int):
        self.answers: dict[str, list[str]] = {}
        self.resolved: list[str] = []  # names asked of the resolver, in order
        self.connected: list[str] = []  # addresses connected to, in order
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

        def getaddrinfo(host, port, *args, **kwargs):
            if host not in self.answers:
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.resolved.append(host)
            queue = self.answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]  # then the last, again
            if ":" in address:
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        def create_connection(address, *args, **kwargs):
            host = address[0]
            try:
                ipaddress.ip_address(host.split("%")[0])
            except ValueError:  # a name: resolved as the system would, at connect time
                host = getaddrinfo(host, address[1])[0][4][0]
            self.connected.append(host)
            return real_connect(("127.0.0.1", server_port), *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)


@pytest.fixture(scope="module")
def server():
    with FeedServer() as s:
        yield s


@pytest.fixture
def network(monkeypatch, server):
    net = Network(monkeypatch, server.port)
    net.answers["feeds.test"] = [PUBLIC]
    return net


def test_a_public_name_is_fetched_from_the_address_checked(network, server):
    fetched = fetch(f"http://feeds.test:{server.port}/gen/1", limits=LIMITS)
    assert fetched.status == 200 and b"Generated 1" in fetched.body
    assert network.connected == [PUBLIC]


@pytest.mark.parametrize(("name", "address", "why"), REFUSED, ids=[r[0] for r in REFUSED])
def test_each_class_is_refused_as_the_first_hop(network, server, name, address, why):
    network.answers["inside.test"] = [address]
    with pytest.raises(Refused, match="inside.test resolves to") as refused:
        fetch(f"http://inside.test:{server.port}/gen/1", limits=LIMITS)
    assert why in str(refused.value) and "[feeds] allow_private" in str(refused.value)
    assert network.connected == []


@pytest.mark.parametrize(("name", "address", "why"), REFUSED, ids=[r[0] for r in REFUSED])
def test_each_class_is_refused_as_a_redirect_hop(network, server, name, address, why):
    network.answers["inside.test"] = [address]
    inside = f"http://inside.test:{server.port}/gen/1"
    with pytest.raises(Refused, match="inside.test resolves to") as refused:
        fetch(f"http://feeds.test:{server.port}/redirect?to={inside}", limits=LIMITS)
    assert why in str(refused.value)
    assert network.connected == [PUBLIC]  # the public first hop only


def test_an_address_literal_is_judged_like_a_name(network, server):
    with pytest.raises(Refused, match="an IPv4-mapped address for 169.254.169.254"):
        fetch(f"http://[::ffff:169.254.169.254]:{server.port}/gen/1", limits=LIMITS)
    assert network.connected == []


def test_the_fetch_connects_to_the_address_it_checked_not_to_the_name_again(network, server):
    """DNS rebinding: the name resolves to a public address for the check, then to a private
    one; a fetch that resolved again to connect would reach the private one."""
    network.answers["rebind.test"] = [PUBLIC, "10.0.0.1"]
    fetched = fetch(f"http://rebind.test:{server.port}/gen/2", limits=LIMITS)
    assert fetched.status == 200
    assert network.connected == [PUBLIC] and network.resolved == ["rebind.test"]


def test_one_refused_address_among_several_refuses_the_name(monkeypatch, network, server):
    real = socket.getaddrinfo

    def two_answers(host, port, *args, **kwargs):
        if host == "both.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(Refused, match="both.test resolves to 10.0.0.1"):
        fetch(f"http://both.test:{server.port}/gen/1", limits=LIMITS)
    assert network.connected == []


def test_private_addresses_are_fetched_when_allowed(network, server):
    network.answers["inside.test"] = ["10.0.0.1"]
    fetched = fetch(f"http://inside.test:{server.port}/gen/1",
                    limits=Limits(allow_private=True, timeout=5))
    assert fetched.status == 200 and network.connected == ["10.0.0.1"]
