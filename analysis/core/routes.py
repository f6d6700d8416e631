"""Routes as frameworks write them, brought to one shape so rules and inventories can match.

An ``http.route`` (or a declared route, or a span rule's route pattern) can come as:

- Django ``path()``: ``orders/<int:pk>/`` (no leading slash);
- Django ``re_path()`` / DRF routers, as ``opentelemetry-instrumentation-django`` writes them:
  ``^api/dcim/devices/(?P<pk>[^/.]+)/$``, with DRF's format suffix ``\\.(?P<format>[a-z0-9]+)/?$``;
- Flask ``/orders/<int:id>``, FastAPI and Spring ``/orders/{id}``, Express and Rails
  ``/orders/:id``, Rails' ``(.:format)``.

:func:`normalize_route` gives ``/api/dcim/devices/{}``: one leading slash, anchors dropped,
every path parameter (converters, named or unnamed regex groups, ``{id}``, ``:id``) as ``{}``,
format suffixes dropped, escaped characters unescaped, no trailing slash. Glob characters of a
span rule's pattern (``*``, ``?``) are kept, so ``/api/dcim/*`` and ``api/dcim/*`` are one
pattern; :func:`normalize_pattern` says so explicitly.
"""

from __future__ import annotations

import re
from functools import lru_cache

_FORMAT_SUFFIX = re.compile(r"\\?\.\(\?P<format>[^)]*\)(?:/\??)?\$?$|\(\.:format\)$|\.\{format\}$")
_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>(?:[^()]|\([^()]*\))*\)")
_GROUP = re.compile(r"\((?!\?P)(?:[^()]|\([^()]*\))*\)")
_CONVERTER = re.compile(r"<[^<>]+>|\{[^{}]+\}|(?<=/):[A-Za-z_][\w]*")
_ESCAPED = re.compile(r"\\(.)")


@lru_cache(maxsize=16384)
def normalize_route(route: str) -> str:
    """One shape for a route template (see the module docstring): ``/a/{}/b``."""
    text = str(route).strip()
    text = _FORMAT_SUFFIX.sub("", text)
    text = text.removeprefix("^").removesuffix("$")
    text = _NAMED_GROUP.sub("{}", text)
    text = _GROUP.sub("{}", text)
    text = _CONVERTER.sub("{}", text)
    text = _ESCAPED.sub(r"\1", text).replace("?", "") if "\\" in text or "(" in text else text
    text = re.sub(r"\*+", "{}", text)  # a wildcard segment of a route (Express /static/*) is a parameter
    text = re.sub(r"/{2,}", "/", "/" + text.lstrip("/"))
    return text.rstrip("/") or "/"


@lru_cache(maxsize=4096)
def normalize_pattern(pattern: str) -> str:
    """A span rule's route pattern in the shape of :func:`normalize_route`, globs kept:
    ``api/dcim/*`` -> ``/api/dcim/*``; ``/orders/<int:id>/`` -> ``/orders/{}``."""
    text = str(pattern).strip()
    text = _CONVERTER.sub("{}", text)
    text = re.sub(r"/{2,}", "/", "/" + text.lstrip("/"))
    return text.rstrip("/") or "/"


_NAMED = re.compile(r"\(\?P<([^>]+)>(?:[^()]|\([^()]*\))*\)|<(?:[^<>:]+:)?([^<>:]+)>|(?<=/):([A-Za-z_]\w*)")


@lru_cache(maxsize=16384)
def display_route(route: str) -> str:
    """A route as a reader wants to see it: the shape of :func:`normalize_route` with the
    parameters' names kept where the framework gave them (``api/dcim/devices/(?P<pk>[^/.]+)/$``
    -> ``/api/dcim/devices/{pk}``, ``orders/<int:pk>/`` -> ``/orders/{pk}``, ``{id}`` kept)."""
    text = _FORMAT_SUFFIX.sub("", str(route).strip()).removeprefix("^").removesuffix("$")
    text = _NAMED.sub(lambda m: "{" + (m.group(1) or m.group(2) or m.group(3)) + "}", text)
    text = _GROUP.sub("{}", text)
    text = _ESCAPED.sub(r"\1", text).replace("?", "") if "\\" in text or "(" in text else text
    text = re.sub(r"/{2,}", "/", "/" + text.lstrip("/"))
    return text.rstrip("/") or "/"
