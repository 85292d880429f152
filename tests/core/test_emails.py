import pytest
from django.core import mail

from core.emails import deliver_email
from core.models import SentEmail


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
    assert SentEmail.objects.filter(key="k1").count() == 1


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
