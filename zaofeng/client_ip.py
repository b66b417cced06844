"""The client's address, believing X-Forwarded-For only as far as our own proxies wrote it.

Each proxy in front of the web servers appends the address it received the connection from to
X-Forwarded-For. With TRUSTED_PROXY_COUNT = n, the n-th entry from the right was written by our
outermost proxy and is the client; everything left of it is whatever the client sent, so a
spoofed header only adds entries nobody reads. With 0 (the default: nothing in front of the web
server) the header is ignored and the connecting address is the client.
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < count:
        # Fewer entries than proxies: the request did not come through all of them.
        return remote
    return _valid(forwarded[-count]) or remote


def from_trusted_proxy(request) -> bool:
    """Whether headers set by a proxy (X-Request-ID, X-Forwarded-For) can be believed."""
    return settings.TRUSTED_PROXY_COUNT > 0
