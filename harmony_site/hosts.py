"""Which `Host` headers Harmony answers to: the guard against DNS rebinding.

A rebinding page lives on a name its attacker controls (`evil.example` first resolving to the
attacker, then to Harmony's address), so the browser sends `Host: evil.example`. Harmony
therefore answers only to names it knows, and to any IP address: a page can only be served
from `http://192.0.2.7:8080` by whoever answers on that address, which is Harmony itself. That
keeps `http://<server-ip>:8080` working on a LAN with no configuration, including inside a
container, which cannot know the address its host publishes it on.

Known names: `localhost` (and `*.localhost`, which browsers resolve to loopback themselves),
this machine's host name (as `gethostname()` gives it, and its first label) and
`<hostname>.local` (mDNS), plus the `ALLOWED_HOSTS` knob (`*` turns the guard off;
`harmony_check` warns about it).

Django's own `ALLOWED_HOSTS` cannot say "any IP address", so Django is told `*` and
`HostGuardMiddleware` decides instead, before anything else reads the host.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.http.request import split_domain_port, validate_host

LOCAL_NAMES = ("localhost", ".localhost")


@functools.cache
def machine_names() -> tuple[str, ...]:
    """This machine's host name, its short form and its mDNS name (lower case).

    No resolver lookup (`getfqdn`): every process computes this at start, and a slow or
    missing DNS server must not delay that. A fully qualified name goes in `ALLOWED_HOSTS`.
    """
    hostname = socket.gethostname().lower()
    short = hostname.split(".")[0]
    return tuple(sorted({hostname, short, f"{short}.local"} - {"", ".local"}))


def allowed_host_names(configured: Iterable[str]) -> list[str]:
    """The names Harmony answers to: local and machine names plus the `ALLOWED_HOSTS` knob."""
    return [*LOCAL_NAMES, *machine_names(), *configured]


def is_ip_literal(domain: str) -> bool:
    try:
        ipaddress.ip_address(domain.strip("[]"))
    except ValueError:
        return False
    return True


def host_is_allowed(host: str, allowed: Iterable[str]) -> bool:
    """True for an IP address or a name `allowed` lists (Django's pattern rules)."""
    domain, _port = split_domain_port(host)
    if not domain:
        return False
    return is_ip_literal(domain) or validate_host(domain, list(allowed))


class HostGuardMiddleware:
    """Answer 400 (the API error shape) to a request for a host Harmony does not serve."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        if not host_is_allowed(host, settings.HARMONY_ALLOWED_HOSTS):
            # Imported here: settings.py imports this module, before DRF may be loaded.
            from harmony_site.api.exceptions import error_response

            return error_response(
                400,
                "This host name is not one Harmony answers to; add it to ALLOWED_HOSTS.",
                code="disallowed_host",
            )
        return self.get_response(request)
