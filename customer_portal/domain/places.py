"""Where an address is, roughly: "Sevilla, España", "Red local", or nothing.

A customer reading their activity wants to spot a sign-in from somewhere
they have never been. With ``PORTAL_GEOIP_DATABASE`` naming a MaxMind
GeoLite2/GeoIP2 City database (a file the operator downloads; the portal
never calls out to a service), public addresses get their city and country in
the reader's language (Spanish where the database has no such names). Private,
loopback and link-local addresses are the company's own network. Anything
else (no database, an address it does not know) is "".
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from pathlib import Path

from customer_portal.i18n import DEFAULT_LANGUAGE, N_, _, current_language

log = logging.getLogger(__name__)

LOCAL_NETWORK = N_("Red local")
# The networks a company's own machines use (RFC 1918, loopback, link-local,
# IPv6 unique-local). Not ipaddress's is_private, which also counts the
# documentation and benchmarking ranges, addresses nobody's office has.
_LOCAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


@functools.cache
def _reader(path: str, language: str):
    import geoip2.database

    # The database's names in the reader's language, else Spanish, else English.
    locales = list(dict.fromkeys([language, DEFAULT_LANGUAGE, "en"]))
    try:
        return geoip2.database.Reader(path, locales=locales)
    except (OSError, ValueError) as exc:
        log.error("cannot open the GeoIP database %s: %s", path, exc)
        return None


def place_of(ip: str | None, database: Path | None) -> str:
    """The place of ``ip`` in the current language's words, or "" when not known.

    Args:
        ip: the client address (as stored: may be None or junk from a proxy).
        database: the GeoIP City database, if the operator configured one.
    """
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    if any(address in network for network in _LOCAL if network.version == address.version):
        return _(LOCAL_NETWORK)
    if database is None:
        return ""
    reader = _reader(str(database), current_language())
    if reader is None:
        return ""
    import geoip2.errors

    try:
        found = reader.city(str(address))
    except (geoip2.errors.AddressNotFoundError, ValueError):
        return ""
    return ", ".join(part for part in (found.city.name, found.country.name) if part)
