"""`Idempotency-Key` support for unsafe API calls: a retry replays the first answer.

Usage on an APIView method (after authentication and permissions have run)::

    @extend_schema(parameters=[IDEMPOTENCY_KEY_HEADER], ...)
    @idempotent
    def post(self, request): ...

How it works, per account and key:
- no header: the view runs normally;
- the request running under a key holds a lock of its database session on it (core.locks)
  from its claim to its answer, and claims the key by inserting its row in a transaction of its
  own, committed before the view runs;
- a duplicate finds the row: same request and finished -> the stored status and body are
  replayed; same request still running (its lock is held) -> `409 request_in_progress`; another
  body, method or path -> `409 idempotency_key_reused`;
- the view's final answer is stored when it is a 2xx or a 4xx (business answers a retry must
  see again); on a 5xx the row is deleted so that a retry can run;
- a row left "in progress" by a worker killed mid-request has lost its lock with the worker's
  connection: the next request with the key takes it over at once. (SQLite has no session
  locks: there such a row is taken over after `IDEMPOTENCY_STALE_SECONDS`.)
- keys live `IDEMPOTENCY_KEY_TTL_HOURS` (24 h); an expired row is replaced by a new request.
  `idempotency_keys_purge` deletes expired rows (periodic task).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.db import WriteBatch
from core.errors import IdempotencyKeyReused, InvalidInput, RequestInProgress, raises
from core.locks import session_lock_release, session_lock_try
from core.models import IdempotencyKey
from core.renderers import EnvelopeRenderer
from core.responses import EnvelopeResponse

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
_CLAIM_ATTEMPTS = 3
_PURGE_BATCH = 5000

IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional, up to 255 printable characters, unique per request you intend. A retry with "
        "the same key and body within 24 hours returns the first response and does nothing "
        "else; the same key with another body is `409 idempotency_key_reused`; while the first "
        "request is still running, `409 request_in_progress`."
    ),
)


def _ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 24))


def _stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "IDEMPOTENCY_STALE_SECONDS", 300))


def _canonical(value: Any) -> Any:
    """Request data as plain JSON-able values (QueryDicts and uploaded files included)."""
    if hasattr(value, "lists"):
        return {k: [_canonical(v) for v in vs] for k, vs in value.lists()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "read") and hasattr(value, "size"):
        return {"file": getattr(value, "name", ""), "size": value.size}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def request_fingerprint(data: Any) -> str:
    payload = json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_name(user: Any, key: str) -> str:
    return f"idempotency:{user.pk}:{key}"


def _claim(*, user: Any, key: str, scope: str, request_hash: str) -> IdempotencyKey | Response:
    """Lock the key and insert its row (committed), or answer from the existing one.

    Returns the new row when this request owns the key (and holds its lock until `_release`),
    else the response to send.
    """
    locked = session_lock_try(_lock_name(user, key))
    try:
        claimed = _claim_row(
            user=user, key=key, scope=scope, request_hash=request_hash, locked=locked
        )
    except BaseException:
        if locked:
            session_lock_release(_lock_name(user, key))
        raise
    if locked and isinstance(claimed, Response):
        session_lock_release(_lock_name(user, key))
    return claimed


def _claim_row(
    *, user: Any, key: str, scope: str, request_hash: str, locked: bool | None
) -> IdempotencyKey | Response:
    # locked: this request holds the key's lock; False: a live request does; None: no locks.
    for _ in range(_CLAIM_ATTEMPTS):
        now = timezone.now()
        if locked is not False:
            try:
                row = IdempotencyKey(
                    user=user,
                    key=key,
                    scope=scope,
                    request_hash=request_hash,
                    expires_at=now + _ttl(),
                )
                # Committed at once: alone outside a transaction; in a savepoint inside one, so
                # a key already taken leaves the caller's transaction usable. A write batch: as
                # `save()` the insert cost an idempotent request 900 Python calls more.
                claim = WriteBatch()
                claim.insert([row])
                claim.execute(savepoint=not transaction.get_autocommit())
                return row
            except IntegrityError:
                pass
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None:  # deleted in between (expired, or its request failed): try again
            if locked is False:
                raise RequestInProgress()
            continue
        in_progress = existing.state == IdempotencyKey.State.IN_PROGRESS
        # Nobody holds the lock of a key still in progress: the request that claimed it died.
        abandoned = in_progress and (
            locked is True or (locked is None and existing.created_at <= now - _stale_after())
        )
        if existing.expires_at <= now or abandoned:
            if locked is False:
                raise RequestInProgress()  # the live request is replacing it
            IdempotencyKey.objects.filter(id=existing.id, state=existing.state).delete()
            continue
        if existing.scope != scope or existing.request_hash != request_hash:
            raise IdempotencyKeyReused()
        if in_progress:
            raise RequestInProgress()
        body = existing.response_body
        if isinstance(body, str):  # stored as JSON text (see _enveloped_body)
            body = json.loads(body)
        replay = EnvelopeResponse(body, status=existing.response_status)
        replay.enveloped = True
        replay["Idempotent-Replayed"] = "true"
        return replay
    raise RequestInProgress()


def _enveloped_body(response: Response, request: Request, view: Any) -> str | None:
    """The body exactly as the client receives it (the envelope included), as JSON text.

    Kept as text, not as a JSON document: an error message may echo a NUL character from the
    request, which PostgreSQL's jsonb cannot hold (as text it is the six characters `\\u0000`).
    """
    raw = EnvelopeRenderer().render(
        response.data,
        renderer_context={"response": response, "request": request, "view": view},
    )
    return raw.decode() if raw else None


def _finish(*, row: IdempotencyKey, response: Response | None, request: Request, view: Any) -> None:
    if response is None or response.status_code >= 500:
        IdempotencyKey.objects.filter(id=row.id).delete()
        return
    body = _enveloped_body(response, request, view) if isinstance(response, Response) else None
    done = WriteBatch()
    done.update_by_id(
        IdempotencyKey,
        "state",
        {row.id: IdempotencyKey.State.COMPLETED},
        response_status=response.status_code,
        response_body=body,
    )
    done.execute()


def idempotent(
    method: Callable[..., Response] | None = None,
    *,
    scope: str | None = None,
    atomic: bool = False,
) -> Any:
    """Decorate an APIView handler (`post`, `put`, ...) to honour the `Idempotency-Key` header.

    `scope` defaults to the request's method and path; a key reused on another scope is
    `409 idempotency_key_reused`.

    `atomic=True` (for handlers that do all their work in the database, e.g. checkout; never
    for one that calls another service over the network) runs the handler in a transaction
    that also stores its successful answer: one commit less a request, and the key's result
    is committed together with what it describes. An error rolls the handler back and its
    answer is stored on its own, as without `atomic`.
    """

    def decorator(func: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(func)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER)
            user = request.user
            if key is None or not getattr(user, "is_authenticated", False):
                return func(view, request, *args, **kwargs)
            if not _KEY_PATTERN.match(key):
                raise ValidationError(
                    {HEADER: ["Use 1 to 255 printable ASCII characters, without spaces."]}
                )
            request_scope = (scope or f"{request.method} {request.path}")[:200]
            request_hash = request_fingerprint(request.data)  # may raise a parse error: no row

            claimed = _claim(user=user, key=key, scope=request_scope, request_hash=request_hash)
            if isinstance(claimed, Response):
                return claimed

            response: Response | None = None
            finished = False
            try:
                try:
                    if atomic:
                        with transaction.atomic():
                            response = func(view, request, *args, **kwargs)
                            if response.status_code < 400:
                                _finish(row=claimed, response=response, request=request, view=view)
                        finished = response.status_code < 400  # committed with the work
                    else:
                        response = func(view, request, *args, **kwargs)
                except Exception as exc:  # noqa: BLE001 - answered like DRF would, then stored
                    response = view.handle_exception(exc)
                return response
            finally:
                try:
                    if not finished:
                        _finish(row=claimed, response=response, request=request, view=view)
                except DatabaseError:
                    # The connection failed under the request: the row stays "in progress", and
                    # the lock went with the connection, so a retry takes the key over at once.
                    logger.warning("Could not store the answer of idempotency key %s.", key)
                finally:
                    session_lock_release(_lock_name(user, key))

        # For the OpenAPI schema: a malformed key is a 400, a reused or busy one a 409.
        return raises(InvalidInput, IdempotencyKeyReused, RequestInProgress)(wrapper)

    if method is not None:
        return decorator(method)
    return decorator


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete expired keys, in batches; returns how many rows went."""
    now = now or timezone.now()
    deleted = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(expires_at__lte=now).values_list("id", flat=True)[
                :_PURGE_BATCH
            ]
        )
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(id__in=ids).delete()[0]
