"""E-mail: queued after the transaction commits, rendered from templates, sent once per key.

Templates live in each app's `templates/emails/<name>.txt` and `<name>.html`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone

from core.models import SentEmail

# A claim on a key never marked sent is abandoned after this long (its worker died mid-send).
# Longer than the e-mail tasks' hard time limit (core/tasks.py), so a live send is never taken
# over.
CLAIM_STALE_AFTER = timedelta(minutes=3)
_MARK_SENT_ATTEMPTS = 4


class EmailInProgress(Exception):
    """Another run holds a live claim on the key. It will most likely send the message, but it
    may die first: ask again once the claim would be stale (the e-mail tasks retry then)."""


def queue_email(*, to: str, subject: str, template: str, context: dict[str, Any], key: str) -> None:
    """Send `template` to `to` through a Celery task once the current transaction commits.

    What the transaction did stands whatever happens to the message: a broker that cannot be
    reached then is logged (Django's `on_commit(robust=True)`), not raised to the request whose
    work is already committed.

    `key` identifies this message (e.g. ``verify:<user>:<token id>``): the same key is sent at
    most once, however often the task runs. `context` must be JSON-serialisable.
    """
    from core.tasks import send_email

    kwargs = {"to": to, "subject": subject, "template": template, "context": context, "key": key}
    transaction.on_commit(
        lambda: send_email.apply_async(kwargs=kwargs, kwargsrepr=_logged([kwargs])), robust=True
    )


def queue_emails(messages: Iterable[dict[str, Any]]) -> None:
    """Several messages, each given by the keyword arguments of `queue_email`, through ONE
    task once the current transaction commits: one push to the broker instead of one a message
    (checkout sends one to the customer and one to every shop). Each key is still sent at most
    once, so a retried task resends only what had not gone out."""
    from core.tasks import send_emails

    batch = [dict(message) for message in messages]
    if batch:
        transaction.on_commit(
            lambda: send_emails.apply_async(kwargs={"messages": batch}, kwargsrepr=_logged(batch)),
            robust=True,
        )


def _logged(messages: list[dict[str, Any]]) -> str:
    """What the broker's message and the worker's log show of the arguments: the keys only,
    not the addresses and contexts (personal data; and cheaper than Celery's own repr)."""
    return repr({"keys": [message["key"] for message in messages]})


def deliver_email(
    *, to: str, subject: str, template: str, context: dict[str, Any], key: str
) -> bool:
    """Render and send now, once per `key`; returns True when this call sent it, False when
    the key was sent already.

    The key is claimed (its `SentEmail` row written and committed) before sending, so two runs
    of the same task at the same instant cannot both send: the other one gets `EmailInProgress`
    (and its task asks again later, in case the first dies before sending). A claim is released
    when sending fails, for the task's retry; it is marked sent once the message is out. A claim
    left by a worker killed mid-send is taken over after `CLAIM_STALE_AFTER`.
    """
    claim = _email_claim(key=key, to=to, subject=subject[:255])
    if claim is None:
        return False
    try:
        full_context = {"frontend_url": settings.FRONTEND_URL, **context}
        # Plain text is not HTML: no escaping of quotes or ampersands in it.
        text_template = Engine.get_default().get_template(f"emails/{template}.txt")
        text = text_template.render(Context(full_context, autoescape=False))
        html = render_to_string(f"emails/{template}.html", full_context)
        message = EmailMultiAlternatives(
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [to],
            headers={"Message-ID": _message_id(key)},
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except BaseException:
        # Not sent: free the key so that a retry sends it (unless another run took it over).
        SentEmail.objects.filter(pk=claim.pk, claimed_at=claim.claimed_at).delete()
        raise
    _mark_sent(claim)
    return True


def _mark_sent(claim: SentEmail) -> None:
    """Record the message as sent. It is out already: a connection that failed meanwhile (a
    database restart, a failover) is opened again, a few times, rather than leaving the claim
    to be taken over and the message sent twice."""
    for attempt in range(_MARK_SENT_ATTEMPTS):
        try:
            SentEmail.objects.filter(pk=claim.pk).update(sent_at=timezone.now())
            return
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or attempt == _MARK_SENT_ATTEMPTS - 1:
                raise
            connection.close()
            time.sleep(0.5 * (attempt + 1))


def _message_id(key: str) -> str:
    """The same for every send of one key: a worker killed after handing a message to the SMTP
    server and before recording it sends it again, and mail systems show the two as one."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def _email_claim(*, key: str, to: str, subject: str) -> SentEmail | None:
    """This run's claim on `key`, committed unless called inside a transaction; None when the
    key is already sent; `EmailInProgress` while another run's claim is live."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return SentEmail.objects.create(key=key, to=to, subject=subject)
        except IntegrityError:
            pass
        existing = SentEmail.objects.filter(key=key).first()
        if existing is None:
            continue  # its sender failed and released it in between: claim again
        claimed_at = timezone.now()
        stale_before = claimed_at - CLAIM_STALE_AFTER
        if existing.sent_at is not None:
            return None
        if existing.claimed_at >= stale_before:
            raise EmailInProgress(key)
        # Abandoned. Of several runs seeing it so, one takes it over: the UPDATE re-reads the
        # row, which no longer matches once another run has refreshed its `claimed_at`.
        taken = SentEmail.objects.filter(
            pk=existing.pk, sent_at__isnull=True, claimed_at__lt=stale_before
        ).update(claimed_at=claimed_at, to=to, subject=subject)
        if not taken:
            raise EmailInProgress(key)
        existing.claimed_at, existing.to, existing.subject = claimed_at, to, subject
        return existing
    raise EmailInProgress(key)
