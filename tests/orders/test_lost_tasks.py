"""The periodic sweeps redo the work of tasks lost with the broker, each piece once: checkout
e-mails never sent, Paystack events never processed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import OrderGroup
from orders.tasks import requeue_missing_checkout_emails
from payments.models import WebhookEvent
from payments.tasks import process_unprocessed_webhook_events
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.orders.helpers import place_order

pytestmark = pytest.mark.django_db


def test_checkout_emails_whose_task_was_lost_are_sent_once_by_the_sweep(
    django_capture_on_commit_callbacks,
):
    customer = UserFactory()
    shops = [ShopFactory(), ShopFactory()]
    # The on_commit hooks of the test's transaction never run: as if the broker lost the task.
    group = place_order(customer, [(ProductFactory(shop=shop), 1) for shop in shops])
    fresh = place_order(UserFactory(), [(ProductFactory(), 1)])
    OrderGroup.objects.filter(id=group.id).update(created_at=timezone.now() - timedelta(minutes=15))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_missing_checkout_emails.apply().get() == 1  # not the one placed just now
    sent = sorted(message.to[0] for message in mail.outbox)
    assert sent == sorted([customer.email, *(shop.owner.email for shop in shops)])
    assert fresh.customer_email not in sent

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_missing_checkout_emails.apply().get() == 0
    assert len(mail.outbox) == 3


def test_checkout_emails_older_than_the_horizon_are_left_alone():
    group = place_order(UserFactory(), [(ProductFactory(), 1)])
    OrderGroup.objects.filter(id=group.id).update(created_at=timezone.now() - timedelta(days=1))
    assert requeue_missing_checkout_emails.apply().get() == 0


def test_unprocessed_webhook_events_are_processed_once_by_the_sweep():
    lost = WebhookEvent.objects.create(event_key="k1", event="transfer.success", payload={})
    new = WebhookEvent.objects.create(event_key="k2", event="transfer.success", payload={})
    WebhookEvent.objects.filter(id=lost.id).update(created_at=timezone.now() - timedelta(hours=1))

    assert process_unprocessed_webhook_events.apply().get() == 1
    lost.refresh_from_db()
    new.refresh_from_db()
    assert lost.processed_at is not None and new.processed_at is None
    assert process_unprocessed_webhook_events.apply().get() == 0


def test_a_checkout_email_claimed_by_a_worker_that_died_is_sent_by_the_sweep(
    django_capture_on_commit_callbacks,
):
    from core.emails import CLAIM_STALE_AFTER
    from core.models import SentEmail

    customer = UserFactory()
    group = place_order(customer, [(ProductFactory(), 1)])
    OrderGroup.objects.filter(id=group.id).update(created_at=timezone.now() - timedelta(minutes=15))
    for order in group.orders.all():  # the shop's notice went out
        SentEmail.objects.create(key=f"order-new:{order.id}", to="x", sent_at=timezone.now())
    claim = SentEmail.objects.create(key=f"order-confirmation:{group.id}", to=customer.email)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_missing_checkout_emails.apply().get() == 0  # the claim is live
    SentEmail.objects.filter(id=claim.id).update(
        claimed_at=timezone.now() - CLAIM_STALE_AFTER - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_missing_checkout_emails.apply().get() == 1
    assert [message.to[0] for message in mail.outbox] == [customer.email]
