"""Paging of service containers (line items, results, memberships) the way each LMS pages.

AGS 2.0 §3.2.5 "Container request filters" / NRPS 2.0 §2.4 "Limit query parameter": the
tool may ask for a page size with ``limit``; the platform links further pages with an
RFC 8288 ``Link`` header whose ``rel="next"`` URL the tool must follow exactly as given.

- Canvas answers ``page``/``per_page`` links and sends rel current, next, first and last.
- Moodle answers ``limit``/``from`` links and sends rel next only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lti_tool.sandbox.flavours import Flavour

T = TypeVar("T")


def with_query(url: str, params: Mapping[str, str | int]) -> str:
    """Add or replace query parameters, keeping the URL's own ones (Moodle's type_id)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: str(value) for key, value in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class Page:
    offset: int
    size: int

    @classmethod
    def requested(cls, flavour: Flavour, args: Mapping[str, str], default_size: int) -> Page:
        def number(name: str, fallback: int, minimum: int) -> int:
            raw = args.get(name)
            if raw is None or raw == "":
                return fallback
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{name} must be a whole number") from None
            if value < minimum:
                raise ValueError(f"{name} must be at least {minimum}")
            return value

        if flavour.name == "canvas":
            size = number("per_page", number("limit", default_size, 1), 1)
            page = number("page", 1, 1)
            return cls((page - 1) * size, size)
        return cls(number("from", 0, 0), number("limit", default_size, 1))

    def slice(self, items: Sequence[T]) -> list[T]:
        return list(items[self.offset : self.offset + self.size])

    def link_header(
        self, flavour: Flavour, url: str, total: int, filters: Mapping[str, str]
    ) -> str | None:
        has_next = self.offset + self.size < total
        if flavour.name == "canvas":
            last_page = max(1, math.ceil(total / self.size))
            current_page = self.offset // self.size + 1

            def link(page: int, rel: str) -> str:
                target = with_query(url, {**filters, "page": page, "per_page": self.size})
                return f'<{target}>; rel="{rel}"'

            links = [link(current_page, "current")]
            if has_next:
                links.append(link(current_page + 1, "next"))
            links += [link(1, "first"), link(last_page, "last")]
            return ",".join(links)
        if not has_next:
            return None
        next_url = with_query(url, {**filters, "limit": self.size, "from": self.offset + self.size})
        return f'<{next_url}>; rel="next"'
