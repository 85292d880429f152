import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.utils import timezone

from core.emails import CLAIM_STALE_AFTER, EmailInProgress, deliver_email
from core.models import SentEmail
from tests.faults import terminate_this_connection

LOW_STOCK = {"shop_name": "S", "product_name": "P", "stock": 1, "threshold": 5}


@pytest.mark.django_db
def test_email_has_text_and_html_parts_and_is_sent_once_per_key():
    context = {
        "shop_name": "Ada's Fabrics & Co",
        "product_name": "Ankara <wax>",
        "stock": 2,
        "threshold": 5,
    }
    assert (
        deliver_email(
            to="o@example.com", subject="Low", template="low_stock", context=context, key="k1"
        )
        is True
    )
    assert (
        deliver_email(
            to="o@example.com", subject="Low", template="low_stock", context=context, key="k1"
        )
        is False
    )
    [message] = mail.outbox
    assert "Ada's Fabrics & Co" in message.body  # plain text is not HTML-escaped
    assert "Ankara <wax>" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Ada&#x27;s Fabrics &amp; Co" in html and "&lt;wax&gt;" in html
    sent = SentEmail.objects.get(key="k1")
    assert sent.sent_at is not None and sent.claimed_at <= sent.sent_at


@pytest.mark.django_db
def test_queue_emails_sends_a_batch_through_one_task_each_key_once(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    from core.emails import queue_emails
    from core.tasks import send_emails

    context = {"shop_name": "S", "product_name": "P", "stock": 1, "threshold": 5}
    messages = [
        {"to": f"o{n}@example.com", "subject": "Low", "template": "low_stock", "context": context,
         "key": f"batch-{n}"}
        for n in range(3)
    ]  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            queue_emails(messages)
            assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1  # one task for the whole batch
    assert sorted(m.to[0] for m in mail.outbox) == [f"o{n}@example.com" for n in range(3)]
    # A retry of the batch sends only what had not gone out.
    SentEmail.objects.filter(key="batch-1").delete()
    assert send_emails.apply(kwargs={"messages": messages}).get() == 1
    assert len(mail.outbox) == 4
    queue_emails([])  # nothing to send: no task


def deliver(key: str, to: str = "o@example.com") -> bool:
    return deliver_email(to=to, subject="Low", template="low_stock", context=LOW_STOCK, key=key)


class GatedBackend(LocmemBackend):
    """The locmem outbox, but a send is held until every racing thread has either returned or
    reached its own send: a check-then-send race then always shows, not only by luck."""

    parked: set[int] = set()
    racers = 0
    changed = threading.Condition()

    @classmethod
    def park(cls) -> None:
        with cls.changed:
            cls.parked.add(threading.get_ident())
            cls.changed.notify_all()

    def send_messages(self, messages):
        cls = type(self)
        cls.park()
        with cls.changed:
            cls.changed.wait_for(lambda: len(cls.parked) >= cls.racers, timeout=10)
        return super().send_messages(messages)


def race(settings, calls: int, key: str) -> list[bool]:
    """`deliver(key)` from `calls` threads released together; the result of each."""
    settings.EMAIL_BACKEND = f"{__name__}.GatedBackend"
    GatedBackend.parked, GatedBackend.racers = set(), calls
    barrier = threading.Barrier(calls)
    results: list = [None] * calls

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = deliver(key, to=f"o{index}@example.com")
        except Exception as exc:  # noqa: BLE001 - checked by the callers and below
            results[index] = exc
        finally:
            GatedBackend.park()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a delivery never finished"
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, EmailInProgress)
    ]
    assert not unexpected, results
    return results


@pytest.mark.django_db(transaction=True)
def test_the_same_key_delivered_by_racing_workers_is_sent_once(settings):
    results = race(settings, calls=8, key="race-1")

    assert results.count(True) == 1
    assert all(isinstance(r, EmailInProgress) for r in results if r is not True), results
    [message] = mail.outbox
    winner = results.index(True)
    assert message.to == [f"o{winner}@example.com"]
    sent = SentEmail.objects.get(key="race-1")
    assert sent.to == f"o{winner}@example.com" and sent.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_an_abandoned_claim_taken_over_by_racing_workers_is_sent_once(settings):
    abandoned = timezone.now() - CLAIM_STALE_AFTER - timedelta(minutes=1)
    SentEmail.objects.create(
        key="race-2", to="dead@example.com", subject="Low", claimed_at=abandoned
    )

    results = race(settings, calls=6, key="race-2")

    assert results.count(True) == 1
    assert all(isinstance(r, EmailInProgress) for r in results if r is not True), results
    assert len(mail.outbox) == 1
    sent = SentEmail.objects.get(key="race-2")
    assert sent.sent_at is not None and sent.claimed_at > abandoned
    assert sent.to == mail.outbox[0].to[0]


class FailingBackend(LocmemBackend):
    failures_left = 0

    def send_messages(self, messages):
        if FailingBackend.failures_left:
            FailingBackend.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("connection lost")
        return super().send_messages(messages)


@pytest.mark.django_db
def test_a_failed_send_releases_its_claim_and_a_retry_sends(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    FailingBackend.failures_left = 1

    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver("fail-1")

    assert not SentEmail.objects.filter(key="fail-1").exists()
    assert mail.outbox == []
    assert deliver("fail-1") is True
    assert len(mail.outbox) == 1
    assert SentEmail.objects.get(key="fail-1").sent_at is not None


@pytest.mark.django_db
def test_the_task_retries_a_failed_send_and_sends_it_once(settings):
    from core.tasks import send_email

    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    FailingBackend.failures_left = 1
    kwargs = {"to": "o@example.com", "subject": "Low", "template": "low_stock",
              "context": LOW_STOCK, "key": "fail-2"}  # fmt: skip

    # Eagerly, the autoretry runs at once instead of after its backoff (throw=False lets it).
    assert send_email.apply(kwargs=kwargs, throw=False).get() is True

    assert FailingBackend.failures_left == 0
    assert len(mail.outbox) == 1
    assert SentEmail.objects.get(key="fail-2").sent_at is not None


@pytest.mark.django_db
def test_an_abandoned_claim_is_taken_over_and_sent():
    abandoned = timezone.now() - CLAIM_STALE_AFTER - timedelta(seconds=5)
    SentEmail.objects.create(key="stale", to="old@example.com", subject="Old", claimed_at=abandoned)

    assert deliver("stale", to="new@example.com") is True

    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    sent = SentEmail.objects.get(key="stale")
    assert sent.to == "new@example.com" and sent.subject == "Low"
    assert sent.claimed_at > abandoned and sent.sent_at is not None
    assert deliver("stale") is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("claimed_ago", "sent"),
    [
        (timedelta(seconds=0), False),  # another worker is sending it right now
        (CLAIM_STALE_AFTER - timedelta(seconds=30), False),  # a slow send, still alive
        (CLAIM_STALE_AFTER + timedelta(days=30), True),  # sent long ago: never again
    ],
)
def test_a_live_claim_or_a_sent_key_is_not_sent_again(claimed_ago, sent):
    claimed_at = timezone.now() - claimed_ago
    SentEmail.objects.create(
        key="taken",
        to="first@example.com",
        subject="First",
        claimed_at=claimed_at,
        sent_at=claimed_at if sent else None,
    )

    if sent:
        assert deliver("taken", to="second@example.com") is False
    else:  # the caller is told to ask again later, in case the live claim's worker dies
        with pytest.raises(EmailInProgress):
            deliver("taken", to="second@example.com")

    assert mail.outbox == []
    row = SentEmail.objects.get(key="taken")
    assert (row.to, row.claimed_at) == ("first@example.com", claimed_at)
    assert (row.sent_at is not None) is sent


@pytest.mark.django_db
def test_a_batch_sends_what_is_free_and_retries_later_for_a_key_being_sent(monkeypatch):
    from core import tasks

    SentEmail.objects.create(key="busy", to="first@example.com", subject="First")
    retries = []

    def retry(**kwargs):
        retries.append(kwargs)
        return RuntimeError("retry scheduled")

    monkeypatch.setattr(tasks.send_emails, "retry", retry)
    messages = [
        {"to": f"o{n}@example.com", "subject": "Low", "template": "low_stock",
         "context": LOW_STOCK, "key": key}
        for n, key in enumerate(["busy", "free"])
    ]  # fmt: skip

    with pytest.raises(RuntimeError, match="retry scheduled"):
        tasks.send_emails.run(messages=messages)

    assert [m.to for m in mail.outbox] == [["o1@example.com"]]  # the free one went out
    [scheduled] = retries
    assert isinstance(scheduled["exc"], EmailInProgress)
    assert scheduled["countdown"] > CLAIM_STALE_AFTER.total_seconds()  # after it could be stale
    assert SentEmail.objects.get(key="busy").sent_at is None  # still the other run's claim


@pytest.mark.django_db
def test_a_single_message_being_sent_elsewhere_is_retried_later(monkeypatch):
    from core import tasks

    SentEmail.objects.create(key="busy-1", to="first@example.com", subject="First")
    retries = []
    monkeypatch.setattr(
        tasks.send_email, "retry", lambda **kwargs: retries.append(kwargs) or RuntimeError()
    )

    with pytest.raises(RuntimeError):
        tasks.send_email.run(
            to="o@example.com", subject="Low", template="low_stock", context=LOW_STOCK,
            key="busy-1",
        )  # fmt: skip

    assert mail.outbox == []
    [scheduled] = retries
    assert isinstance(scheduled["exc"], EmailInProgress)
    assert scheduled["countdown"] > CLAIM_STALE_AFTER.total_seconds()


@pytest.mark.django_db
def test_with_no_broker_a_message_being_sent_elsewhere_is_left_to_that_run():
    from core.tasks import send_email

    SentEmail.objects.create(key="busy-2", to="first@example.com", subject="First")
    kwargs = {"to": "o@example.com", "subject": "Low", "template": "low_stock",
              "context": LOW_STOCK, "key": "busy-2"}  # fmt: skip

    result = send_email.apply(kwargs=kwargs)  # eager, as without a broker

    assert result.successful() and result.get() is False
    assert mail.outbox == []
    assert SentEmail.objects.get(key="busy-2").sent_at is None


@pytest.mark.django_db
def test_a_low_stock_alert_being_sent_elsewhere_is_retried_later(monkeypatch):
    from products.tasks import low_stock_alert
    from tests.factories import ProductFactory

    product = ProductFactory()
    SentEmail.objects.create(key="low-stock:m1", to="first@example.com", subject="First")
    retries = []
    monkeypatch.setattr(
        low_stock_alert, "retry", lambda **kwargs: retries.append(kwargs) or RuntimeError()
    )

    with pytest.raises(RuntimeError):
        low_stock_alert.run(str(product.id), "m1")

    assert mail.outbox == []
    [scheduled] = retries
    assert isinstance(scheduled["exc"], EmailInProgress)
    assert scheduled["countdown"] > CLAIM_STALE_AFTER.total_seconds()


@pytest.mark.django_db
def test_a_claim_row_written_without_claimed_at_gets_it_from_the_database():
    # What a worker of the previous release (which had no `claimed_at`) writes during a deploy.
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in ("key", "to", "subject"))
    before = timezone.now() - timedelta(seconds=5)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(SentEmail._meta.db_table)} ({columns}) VALUES (%s, %s, %s)",
            ["old-release", "o@example.com", "Low"],
        )
    row = SentEmail.objects.get(key="old-release")
    assert row.claimed_at >= before and row.sent_at is None


@pytest.mark.django_db(transaction=True)
def test_an_email_task_whose_database_connection_was_terminated_retries_and_sends_once():
    from core.tasks import send_email

    mail.outbox.clear()
    terminate_this_connection()
    kwargs = {"to": "o@example.com", "subject": "Low", "template": "low_stock",
              "context": LOW_STOCK, "key": "blip-1"}  # fmt: skip
    # Eagerly, the autoretry runs at once instead of after its backoff (throw=False lets it).
    # (Celery's "no join inside a task" flag is global: eager tasks of other tests' threads may
    # have left it set.)
    assert send_email.apply(kwargs=kwargs, throw=False).get(disable_sync_subtasks=False) is True
    assert len(mail.outbox) == 1
    assert SentEmail.objects.get(key="blip-1").sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_periodic_task_whose_database_connection_was_terminated_retries():
    from core.tasks import purge_expired_idempotency_keys

    terminate_this_connection()
    assert purge_expired_idempotency_keys.apply(throw=False).get(disable_sync_subtasks=False) == 0


@pytest.mark.django_db
def test_every_send_of_one_key_has_the_same_message_id():
    from core.emails import _message_id

    mail.outbox.clear()
    kwargs = {"to": "o@example.com", "subject": "Low", "template": "low_stock",
              "context": LOW_STOCK}  # fmt: skip
    assert deliver_email(**kwargs, key="mid-1") is True
    assert deliver_email(**kwargs, key="mid-2") is True
    first, second = (m.extra_headers["Message-ID"] for m in mail.outbox)
    assert first == _message_id("mid-1") != second
    assert first.endswith("@localhost>") and len(first) > 40


class DatabaseDroppingBackend(LocmemBackend):
    """Sends, while the database ends the worker's connection (a restart, a failover)."""

    def send_messages(self, messages):
        terminate_this_connection()
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_a_message_sent_while_the_database_dropped_the_connection_is_recorded_once(settings):
    from core.tasks import send_email

    settings.EMAIL_BACKEND = f"{__name__}.DatabaseDroppingBackend"
    mail.outbox.clear()
    kwargs = {"to": "o@example.com", "subject": "Low", "template": "low_stock",
              "context": LOW_STOCK, "key": "blip-sent"}  # fmt: skip
    assert send_email.apply(kwargs=kwargs, throw=False).get(disable_sync_subtasks=False) is True
    assert len(mail.outbox) == 1  # not sent again by a retry
    assert SentEmail.objects.get(key="blip-sent").sent_at is not None
