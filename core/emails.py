"""E-mail: queued after the transaction commits, rendered from templates, sent once per key.

Templates live in each app's `templates/emails/<name>.txt` and `<name>.html`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, engines
from django.template.loader import render_to_string

from core.models import SentEmail


def queue_email(*, to: str, subject: str, template: str, context: dict[str, Any], key: str) -> None:
    """Send `template` to `to` through a Celery task once the current transaction commits.

    `key` identifies this message (e.g. ``verify:<user>:<token id>``): the same key is sent at
    most once, however often the task runs. `context` must be JSON-serialisable.
    """
    from core.tasks import send_email

    kwargs = {"to": to, "subject": subject, "template": template, "context": context, "key": key}
    transaction.on_commit(
        lambda: send_email.apply_async(kwargs=kwargs, kwargsrepr=_logged([kwargs]))
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
            lambda: send_emails.apply_async(kwargs={"messages": batch}, kwargsrepr=_logged(batch))
        )


def _logged(messages: list[dict[str, Any]]) -> str:
    """What the broker's message and the worker's log show of the arguments: the keys only,
    not the addresses and contexts (personal data; and cheaper than Celery's own repr)."""
    return repr({"keys": [message["key"] for message in messages]})


def deliver_email(
    *, to: str, subject: str, template: str, context: dict[str, Any], key: str
) -> bool:
    """Render and send now; returns False when this key was already sent."""
    if SentEmail.objects.filter(key=key).exists():
        return False
    full_context = {"frontend_url": settings.FRONTEND_URL, **context}
    # Plain text is not HTML: no escaping of quotes or ampersands in it.
    text_template = engines["django"].get_template(f"emails/{template}.txt").template
    text = text_template.render(Context(full_context, autoescape=False))
    html = render_to_string(f"emails/{template}.html", full_context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
    # A concurrent run of the same task may have recorded it first.
    with contextlib.suppress(IntegrityError), transaction.atomic():
        SentEmail.objects.create(key=key, to=to, subject=subject[:255])
    return True
