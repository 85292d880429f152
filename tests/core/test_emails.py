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
