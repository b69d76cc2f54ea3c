"""Which API endpoints a run may call: https, or plain http only to this machine. Pure."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from bulkimport.errors import ConfigError

__all__ = ["check_endpoint", "is_loopback"]


def check_endpoint(url: str, *, insecure: bool) -> None:
    """Refuse endpoints that would send the token where it can be read or would never work.

    https is always allowed (and its certificate always verified); plain http only to a
    loopback host (127.0.0.0/8, ::1, localhost), unless `insecure` says the user means it.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"endpoint {url!r} is not an http(s) URL")
    host = parts.hostname
    if not host:
        raise ConfigError(f"endpoint {url!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("the endpoint URL must not carry a user name or password")
    if scheme == "http" and not insecure and not is_loopback(host):
        raise ConfigError(
            f"endpoint {url!r} is plain http to {host}, which is not this machine: the API "
            "token would travel unencrypted. Use https, or --insecure if you really mean it."
        )


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
