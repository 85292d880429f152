"""Public catalogue answers cached in Redis, invalidated in O(1) by a version counter.

Anonymous `GET`s of the catalogue (the product list, a product, a shop's catalogue) are stored
whole, as the bytes sent and the headers DRF set, under a key made of the request's absolute URL
(scheme, host, path and query, so pagination links and image URLs are those of a fresh answer)
and `Accept` header, together with the catalogue version they were computed at. Only `200`
answers are stored. A request reads the version and its entry in one round trip (`MGET`), before
touching the database, and uses the entry only if its version is the current one.

Every service that changes what the catalogue shows calls `catalogue_changed()`: products and
their images, categories, stock (`products.inventory.stock_apply`, so checkout, cancellation and
expiry too), shops, and the deletion of an owner's account. The version is bumped after the
transaction commits, so an answer computed from the old rows carries a version nobody accepts
any more: one counter invalidates every page at once, and entries expire on their own after
`CATALOGUE_CACHE_TIMEOUT` seconds.

Signed-in callers (an `Authorization` header) are authenticated first, so an invalid or revoked
token is still refused with 401. Then, where a view allows it, they are answered from the cache
as well: the product list is the same for everyone, and a product's stored answer is the public
one, which is also what a member sees of a public product (a member sees more only of what is
not public, and that is never stored). A shop's catalogue is never read from the cache by a
signed-in caller (members ask it for their inactive products under the same URL). With the cache
unreachable the catalogue is served fresh (and a failed bump is logged; entries then live at
most `CATALOGUE_CACHE_TIMEOUT` seconds).
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from redis.exceptions import RedisError
from rest_framework.exceptions import APIException
from rest_framework.views import APIView

logger = logging.getLogger(__name__)

VERSION_KEY = "catalogue:version"
DEFAULT_TIMEOUT = 300
# The headers of a stored answer that a cache hit sends again (the rest comes from middleware).
STORED_HEADERS = ("Content-Type", "Vary", "Allow")
# `Accept` headers that get the same answer as none at all (JSON is the only renderer).
PLAIN_ACCEPT = frozenset({"", "*/*", "application/json"})


def cache_timeout() -> int:
    """Seconds an answer is kept; 0 turns the cache off."""
    return int(getattr(settings, "CATALOGUE_CACHE_TIMEOUT", DEFAULT_TIMEOUT))


def catalogue_version() -> int:
    """The current version. A missing counter (first use, eviction, flush) restarts from the
    clock, so a version number is never handed out twice."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def catalogue_version_bump() -> None:
    """Make every stored answer stale, now."""
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no counter yet: a fresh one is a new version already
            catalogue_version()
    except RedisError:
        logger.exception("Could not bump the catalogue cache version.")


def catalogue_changed() -> None:
    """Call from any service that changes what the public catalogue shows: the cache is
    invalidated when the surrounding transaction commits (at once outside a transaction)."""
    transaction.on_commit(catalogue_version_bump)


def _page_key(request: HttpRequest) -> str | None:
    """The cache key of a GET of the public catalogue, or None (not cacheable)."""
    if request.method != "GET" or not cache_timeout():
        return None
    accept = request.META.get("HTTP_ACCEPT", "").strip()
    address = "\n".join((request.build_absolute_uri(), "" if accept in PLAIN_ACCEPT else accept))
    return "catalogue:page:" + hashlib.sha256(address.encode()).hexdigest()[:40]


# For the catalogue's views: anonymous GETs are answered from the cache when they can be.
# (No docstring: the OpenAPI schema would take it as the views' description.)
class PublicCatalogueCacheMixin(APIView):
    # A signed-in caller, once authenticated, gets the stored (public) answer when there is one.
    signed_in_reads_cache = False
    # The answer does not depend on the caller at all: a signed-in caller's answer is stored too.
    signed_in_fills_cache = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        signed_in = "HTTP_AUTHORIZATION" in request.META
        key = None
        if not signed_in or self._authenticated_early(request, *args, **kwargs):
            key = _page_key(request)
        store = not signed_in or self.signed_in_fills_cache
        version = stored = None
        if key:
            try:
                found = cache.get_many([VERSION_KEY, key])
                version = found.get(VERSION_KEY)
                if version is None:
                    version = catalogue_version()
                stored = found.get(key)
            except RedisError:
                logger.warning("Catalogue cache unavailable; answering without it.", exc_info=True)
                key = None
        if stored is not None and stored["version"] == version:
            hit = HttpResponse(stored["content"], status=200)
            for name, value in stored["headers"].items():
                hit[name] = value
            return hit
        response = super().dispatch(request, *args, **kwargs)
        if key and store and response.status_code == 200 and isinstance(response, HttpResponse):
            if hasattr(response, "render"):
                response.render()
            headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
            entry = {"version": version, "content": response.content, "headers": headers}
            try:
                cache.set(key, entry, cache_timeout())
            except RedisError:
                logger.warning("Could not store a catalogue answer.", exc_info=True)
        return response

    def _authenticated_early(self, request: HttpRequest, *args: Any, **kwargs: Any) -> bool:
        """Authenticate a signed-in caller before the cache is read (the view's own request
        object is then reused: one authentication). False when the view does not read the cache
        for signed-in callers, or the credentials are refused: the view's normal path then
        refuses them again, and answers (401)."""
        if not self.signed_in_reads_cache:
            return False
        drf_request = self.initialize_request(request, *args, **kwargs)
        try:
            authenticated = bool(drf_request.user.is_authenticated)
        except APIException:
            return False  # (that request object now holds an anonymous user: never reused)
        if authenticated:
            self._early_request = drf_request
        return authenticated

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        early = self.__dict__.pop("_early_request", None)
        if early is not None:
            return early
        return super().initialize_request(request, *args, **kwargs)
