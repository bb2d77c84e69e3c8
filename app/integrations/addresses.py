"""Where outgoing webhooks may go: the owner's servers on the public internet.

An endpoint on a private, loopback or link-local address (a cloud's metadata
service at 169.254.169.254, a database on 10.x) would let any owner make
AlphaSite's servers send signed requests inside AlphaSite's own network
(server-side request forgery). The URL is checked when it is saved, and every
delivery checks what the host resolves to at that moment, since a public name
can later be pointed at a private address.

Development and tests deliver to receivers on 127.0.0.1, so private addresses
are allowed outside production (WEBHOOKS_ALLOW_PRIVATE_ADDRESSES overrides).
"""
from __future__ import annotations

import ipaddress
import socket

from flask import current_app

PRIVATE_ADDRESS_MESSAGE = "Use a public address: this one is on a private or local network."


def private_addresses_allowed() -> bool:
    config = current_app.config
    return config.get("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", config.get("ENV_NAME") != "production")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of the address
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def host_is_private(hostname: str) -> bool:
    """True for "localhost" names and for literal addresses that are not public.
    A name is judged by what it resolves to, at delivery (`private_address_of`)."""
    name = hostname.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return not _is_public(name)
    except ValueError:
        return False  # a name, not an address


def private_address_of(hostname: str, port: int | None) -> str | None:
    """The first non-public address `hostname` resolves to, or None. A name
    that does not resolve is left to the HTTP client, which reports it."""
    if host_is_private(hostname):
        return hostname
    try:
        answers = socket.getaddrinfo(hostname.strip("[]"), port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    for *_ignored, sockaddr in answers:
        if not _is_public(sockaddr[0]):
            return sockaddr[0]
    return None
