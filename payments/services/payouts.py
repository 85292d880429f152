"""Paying shops: payout accounts, the payout job, and Paystack's word on each transfer.

A payout pays a shop its whole available balance with Paystack ``POST /transfer``. Rules that
keep the money safe:
- a payout and its `payout` ledger entry are written together, under the lock of the shop's
  balance row, after checking there is no open payout (the unique `open_for_shop` is the last
  guard): two runs at once pay a shop once;
- Paystack is called with no lock held, after the payout is claimed (`pending` ->
  `processing`); a call that times out or fails without a verdict leaves it `processing`, and
  it is asked about later with ``GET /transfer/verify/{reference}``, never sent again blind;
- what Paystack reports (the answer, a ``transfer.*`` webhook, a verification) is applied
  under the shop's balance lock and the payout's, through `payout_decisions`; a failed or
  reversed transfer credits the shop back once (`payout_reversed`, unique per payout).

Lock order: the shop's balance row, then the payout row.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone

from core.errors import InvalidInput, PaymentProviderError, PaymentProviderTimeout, raises
from payments import payout_decisions
from payments.models import LedgerEntry, Payout, PayoutAccount
from payments.paystack import ProviderRejected, ProviderUnavailable, get_client
from payments.services.common import to_kobo
from payments.services.notices import admin_emails, notice_queue
from payments.services.settlement import entries_write, shop_available, shop_balance_lock
from shops.models import Shop, ShopStatus

logger = logging.getLogger(__name__)

Status = Payout.Status
Kind = LedgerEntry.Kind

BANKS_CACHE_SECONDS = 24 * 3600
# A payout still `processing` (or held for an OTP) this long after it was sent or last asked
# about is verified with Paystack; one Paystack still does not know after `GIVE_UP_AFTER` never
# reached it (it is failed and credited back).
VERIFY_AFTER = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(hours=1)
# A payout left `pending` this long (its task was lost) is sent again: it never was.
RESEND_PENDING_AFTER = timedelta(minutes=5)
OUTCOME_UNKNOWN = (
    "Paystack did not answer in time: the transfer's outcome is unknown until Paystack reports "
    "it (a transfer webhook, or a verification); it is never sent again blind."
)
NOT_AT_PAYSTACK = "Paystack has no transfer with this reference: nothing was sent."


# --- Banks and payout accounts ----------------------------------------------------------------


@raises(PaymentProviderError, PaymentProviderTimeout)
def banks_list(*, country: str = "nigeria") -> list[dict[str, str]]:
    """Paystack's banks (`GET /bank`) as `{name, code, slug}`, cached for a day. A cache that
    cannot be reached is skipped (Paystack is asked)."""
    key = f"paystack:banks:{country.replace(' ', '-')}"
    try:
        cached = cache.get(key)
    except Exception:
        logger.warning("Bank list: cache unreachable, asking Paystack", exc_info=True)
        cached = None
    if cached is not None:
        return list(cached)
    banks = [
        {
            "name": str(b.get("name") or ""),
            "code": str(b.get("code") or ""),
            "slug": str(b.get("slug") or ""),
        }
        for b in get_client().list_banks(country=country)
        if b.get("code") and b.get("active", True) and not b.get("is_deleted", False)
    ]
    try:
        cache.set(key, banks, timeout=BANKS_CACHE_SECONDS)
    except Exception:
        logger.warning("Bank list: cache unreachable, not cached", exc_info=True)
    return banks


@raises(InvalidInput, PaymentProviderError, PaymentProviderTimeout)
def payout_account_set(*, shop: Shop, bank_code: str, account_number: str) -> PayoutAccount:
    """Resolve the account's name with Paystack (``GET /bank/resolve``), make it a transfer
    recipient (``POST /transferrecipient``) and keep it as the shop's payout account. An
    unknown bank or an account Paystack cannot resolve is a `400 validation_error`; Paystack
    failing is `502` / `504`."""
    bank = next((b for b in banks_list() if b["code"] == bank_code), None)
    if bank is None:
        raise InvalidInput({"bank_code": ["Unknown bank code (see GET /banks/)."]})
    client = get_client()
    try:
        resolved = client.resolve_account(account_number=account_number, bank_code=bank_code)
    except ProviderRejected as exc:
        if exc.http_status in (401, 403):
            raise
        raise InvalidInput(
            {"account_number": ["Paystack could not resolve this account at this bank."]}
        ) from exc
    account_name = str(resolved.get("account_name") or "").strip()
    if not account_name:
        raise InvalidInput(
            {"account_number": ["Paystack could not resolve this account at this bank."]}
        )
    recipient = client.create_recipient(
        name=account_name,
        account_number=account_number,
        bank_code=bank_code,
        currency=settings.CURRENCY,
    )
    recipient_code = str(recipient.get("recipient_code") or "")
    if not recipient_code:
        raise ProviderUnavailable("Paystack gave no transfer recipient code.")
    account, _ = PayoutAccount.objects.update_or_create(
        shop=shop,
        defaults={
            "bank_code": bank_code,
            "bank_name": bank["name"][:120],
            "account_number": account_number,
            "account_name": account_name[:200],
            "recipient_code": recipient_code[:64],
            "verified_at": timezone.now(),
        },
    )
    return account


# --- The payout job ---------------------------------------------------------------------------


def payout_reference_new(shop: Shop) -> str:
    """Paystack wants a transfer reference in lower case, of letters, digits, `-` and `_`."""
    return f"payout-{shop.code.lower()}-{secrets.token_hex(8)}"


def payouts_run(
    *, shop_id: uuid.UUID | None = None, now: datetime | None = None
) -> list[uuid.UUID]:
    """Create a payout for every eligible shop (or only `shop_id`): a verified payout account,
    payouts not paused, the shop not suspended, no open payout, and an available balance of at
    least `PAYOUT_MINIMUM`. Returns the new payouts' ids; the caller sends them
    (`payout_send`). A database error on one shop is logged with the shop's id and the run goes
    on with the others (that shop is tried again by the next run)."""
    shops = Shop.objects.filter(payout_account__isnull=False, payouts_paused=False).exclude(
        status=ShopStatus.SUSPENDED
    )
    if shop_id is not None:
        shops = shops.filter(id=shop_id)
    created = []
    for candidate in shops.order_by("id").values_list("id", flat=True):
        try:
            payout = payout_create(shop_id=candidate, now=now)
        except DatabaseError:
            logger.exception("Payout run: no payout for shop %s", candidate)
            continue
        if payout is not None:
            created.append(payout.id)
    return created


def payouts_send_later(payout_ids: list[uuid.UUID]) -> None:
    """Queue the sending of new payouts. A broker out of reach is logged: those payouts stay
    `pending` and the verification sweep sends them (`payouts_pending_stale`)."""
    from payments.tasks import send_payout

    for payout_id in payout_ids:
        try:
            send_payout.delay(str(payout_id))
        except Exception:
            logger.exception("Payout %s created but not queued; the sweep will send it", payout_id)


def payout_create(*, shop_id: uuid.UUID, now: datetime | None = None) -> Payout | None:
    """One payout of the shop's whole available balance, with its `payout` entry, when the
    shop is eligible; None otherwise. Everything is checked under the shop's balance lock."""
    now = now or timezone.now()
    with transaction.atomic():
        shop_balance_lock(shop_id=shop_id)
        shop = Shop.objects.select_related("payout_account").get(pk=shop_id)
        account = getattr(shop, "payout_account", None)
        # A suspended shop keeps earning on the orders it completes; its payouts wait until it
        # is reinstated.
        suspended = shop.status == ShopStatus.SUSPENDED
        if shop.payouts_paused or suspended or account is None or not account.recipient_code:
            return None
        if Payout.objects.filter(open_for_shop=str(shop.id)).exists():
            return None
        available = shop_available(shop_id=shop.id, now=now)
        if available < settings.PAYOUT_MINIMUM or available <= 0:
            return None
        payout = Payout.objects.create(
            shop=shop,
            amount=available,
            currency=settings.CURRENCY,
            status=Status.PENDING,
            reference=payout_reference_new(shop),
            recipient_code=account.recipient_code,
            open_for_shop=str(shop.id),
        )
        entries_write(
            [
                LedgerEntry(
                    shop_id=shop.id,
                    kind=Kind.PAYOUT,
                    amount=-available,
                    payout=payout,
                    note=f"Payout {payout.reference} to {account.bank_name} "
                    f"****{account.account_number[-4:]}.",
                    key=f"{Kind.PAYOUT}:{payout.id}",
                    available_on=now,
                )
            ]
        )
    return payout


def payout_send(*, payout_id: uuid.UUID) -> Payout:
    """Send a `pending` payout with ``POST /transfer`` (once: it is claimed first), and apply
    Paystack's answer. A refusal fails it (the shop is credited back); a time-out or a failure
    with no verdict leaves it `processing` for `payouts_verify_open`."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status != Status.PENDING:
            return payout
        payout.status = Status.PROCESSING
        payout.attempts += 1
        payout.checked_at = payout.sent_at = timezone.now()
        payout.save(update_fields=["status", "attempts", "checked_at", "sent_at", "updated_at"])
    try:
        data = get_client().transfer(
            amount=to_kobo(payout.amount),
            recipient=payout.recipient_code,
            reference=payout.reference,
            reason=f"Payout {payout.reference}",
            currency=payout.currency,
        )
    except ProviderRejected as exc:
        if exc.http_status in (401, 403):
            # Our credentials were refused: that says nothing about the transfer.
            _payout_note(payout, exc.message)
            raise
        return payout_apply(payout_id=payout.id, provider_status="failed", reason=exc.message)
    except (PaymentProviderError, PaymentProviderTimeout) as exc:
        logger.warning("Payout %s: no verdict from Paystack: %s", payout.reference, exc.message)
        _payout_note(payout, OUTCOME_UNKNOWN)
        return payout
    return payout_apply(
        payout_id=payout.id,
        provider_status=str(data.get("status") or ""),
        transfer_code=str(data.get("transfer_code") or ""),
        data=data,
    )


def _payout_note(payout: Payout, note: str) -> None:
    Payout.objects.filter(pk=payout.pk, status__in=payout_decisions.OPEN_STATUSES).update(
        failure_reason=note[:500], updated_at=timezone.now()
    )
    payout.refresh_from_db()


def payout_apply(
    *,
    payout_id: uuid.UUID,
    provider_status: str,
    transfer_code: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> Payout:
    """Apply what Paystack reports about a payout's transfer, once, under the shop's balance
    lock and the payout's: its new status (`payout_decisions`), the shop credited back for a
    failed or reversed one, the e-mails (the owner when paid or failed; the admins when
    Paystack waits for an OTP or reports money sent for a payout we had failed)."""
    shop_id = Payout.objects.filter(pk=payout_id).values_list("shop_id", flat=True).get()
    with transaction.atomic():
        shop_balance_lock(shop_id=shop_id)
        payout = Payout.objects.select_for_update().select_related("shop__owner").get(pk=payout_id)
        if transfer_code and not payout.transfer_code:
            payout.transfer_code = transfer_code[:64]
        if data is not None:
            payout.provider_response = data
        payout.checked_at = timezone.now()
        new = payout_decisions.payout_next_status(
            current=payout.status, provider_status=provider_status
        )
        if payout_decisions.payout_conflicts(
            current=payout.status, provider_status=provider_status
        ):
            logger.error("Payout %s: Paystack reports it sent after we failed it", payout.reference)
            _admin_notice(payout, "was reported sent after it had failed: check the shop's balance")
        if new is None:
            payout.save(
                update_fields=["transfer_code", "provider_response", "checked_at", "updated_at"]
            )
            return payout
        payout.status = new
        if new == Status.PAID:
            payout.paid_at = timezone.now()
            payout.failure_reason = ""
        if new in payout_decisions.CREDITED_BACK:
            payout.failure_reason = (reason or _failure_reason(data) or new)[:500]
        if new not in payout_decisions.OPEN_STATUSES:
            payout.open_for_shop = None
        payout.save()
        if new in payout_decisions.CREDITED_BACK:
            entries_write(
                [
                    LedgerEntry(
                        shop_id=payout.shop_id,
                        kind=Kind.PAYOUT_REVERSED,
                        amount=payout.amount,
                        payout=payout,
                        note=f"Payout {payout.reference} {new}: the money is back.",
                        key=f"{Kind.PAYOUT_REVERSED}:{payout.id}",
                        available_on=timezone.now(),
                    )
                ]
            )
        _status_notices(payout)
    return payout


def _failure_reason(data: dict[str, Any] | None) -> str:
    if not data:
        return ""
    failures = data.get("failures")
    return str(failures or data.get("gateway_response") or "")


def _money(payout: Payout) -> str:
    return f"{payout.currency} {payout.amount:,.2f}"


def _status_notices(payout: Payout) -> None:
    owner = payout.shop.owner.email or ""
    if payout.status == Status.PAID:
        notice_queue(
            to=[owner],
            subject=f"Payout of {_money(payout)} sent",
            lines=[
                f"{_money(payout)} was sent to the bank account of {payout.shop.name} "
                f"(reference {payout.reference})."
            ],
            key=f"payout-paid:{payout.id}",
        )
    elif payout.status in payout_decisions.CREDITED_BACK:
        notice_queue(
            to=[owner],
            subject=f"Payout of {_money(payout)} {payout.status}",
            lines=[
                f"The payout of {_money(payout)} to {payout.shop.name} (reference "
                f"{payout.reference}) {payout.status}: the money is back in the shop's balance "
                "and goes out with the next payout.",
                f"Paystack said: {payout.failure_reason}",
            ],
            key=f"payout-{payout.status}:{payout.id}",
        )
    elif payout.status == Status.NEEDS_ATTENTION:
        _admin_notice(payout, "waits for an OTP: finalise it on Paystack's dashboard")


def _admin_notice(payout: Payout, what: str) -> None:
    notice_queue(
        to=admin_emails(),
        subject=f"Payout {payout.reference} needs attention",
        lines=[f"The payout of {_money(payout)} to {payout.shop.name} {what}."],
        key=f"payout-attention:{payout.id}:{payout.status}",
    )


# --- Webhooks and verification ------------------------------------------------------------------


def payout_apply_event(*, event: str, data: dict[str, Any]) -> Payout | None:
    """A ``transfer.success`` / ``transfer.failed`` / ``transfer.reversed`` webhook: applied
    to the payout of its reference, when the amount is the payout's. Anything else is logged
    and changes nothing."""
    reference = str(data.get("reference") or "")
    payout = Payout.objects.filter(reference=reference).first() if reference else None
    if payout is None:
        logger.warning("Transfer event %s for unknown reference %r", event, reference)
        return None
    try:
        amount = int(data.get("amount"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        amount = None
    if amount != to_kobo(payout.amount):
        logger.error(
            "Transfer event %s for %s: amount %r is not the payout's", event, reference, amount
        )
        return None
    return payout_apply(
        payout_id=payout.id,
        provider_status=payout_decisions.TRANSFER_EVENTS[event],
        transfer_code=str(data.get("transfer_code") or ""),
        data=data,
    )


def payouts_verify_open(*, now: datetime | None = None, limit: int = 50) -> int:
    """Ask Paystack (``GET /transfer/verify/{reference}``) about payouts sent or held for an
    OTP whose outcome is still unknown after `VERIFY_AFTER`, and apply the answer. One
    Paystack does not know `GIVE_UP_AFTER` after it was sent never reached it: it fails and
    the shop is credited back (the next run pays it again, with a new reference). Returns how
    many payouts changed."""
    now = now or timezone.now()
    due = list(
        Payout.objects.filter(
            status__in=[Status.PROCESSING, Status.NEEDS_ATTENTION],
            checked_at__lte=now - VERIFY_AFTER,
        ).order_by("checked_at")[:limit]
    )
    client = get_client()
    changed = 0
    for payout in due:
        try:
            data = client.verify_transfer(payout.reference)
        except ProviderRejected as exc:
            sent_at = payout.sent_at or payout.created_at
            if exc.http_status in (400, 404) and sent_at <= now - GIVE_UP_AFTER:
                applied = payout_apply(
                    payout_id=payout.id, provider_status="failed", reason=NOT_AT_PAYSTACK
                )
                changed += applied.status != payout.status
            else:
                Payout.objects.filter(pk=payout.pk).update(checked_at=now)
            continue
        except (PaymentProviderError, PaymentProviderTimeout) as exc:
            logger.warning("Payout %s: could not verify: %s", payout.reference, exc.message)
            continue
        applied = payout_apply(
            payout_id=payout.id,
            provider_status=str(data.get("status") or ""),
            transfer_code=str(data.get("transfer_code") or ""),
            data=data,
        )
        changed += applied.status != payout.status
    return changed


def payouts_pending_stale(*, now: datetime | None = None, limit: int = 100) -> list[uuid.UUID]:
    """Payouts still `pending` after `RESEND_PENDING_AFTER`: their send task was lost, and
    they were never sent (sending claims them first). Their ids, for the caller to send."""
    now = now or timezone.now()
    return list(
        Payout.objects.filter(
            status=Status.PENDING, created_at__lte=now - RESEND_PENDING_AFTER
        ).values_list("id", flat=True)[:limit]
    )
