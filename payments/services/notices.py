"""E-mails to the people who act on what Paystack reports: the platform's admins, shop owners."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from core.emails import queue_emails


def admin_emails() -> list[str]:
    """The addresses of the platform's active admins (staff accounts)."""
    users = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    return sorted({email for email in users.values_list("email", flat=True) if email})


def notice_queue(
    *, to: Iterable[str], subject: str, lines: list[str], link: str = "", key: str
) -> None:
    """One `payment_notice` e-mail to each address (once per `key` and address), after commit."""
    queue_emails(
        {
            "to": address,
            "subject": subject,
            "template": "payment_notice",
            "context": {"lines": lines, "link": link},
            "key": f"{key}:{address}"[:200],
        }
        for address in sorted(set(to))
        if address
    )
