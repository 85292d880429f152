"""``manage.py fake_paystack --port 8100``: a local Paystack for development and e2e tests."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payments.fake_paystack import FakePaystack


class Command(BaseCommand):
    help = (
        "Serve a fake Paystack (initialize, verify, refund, a checkout page with a Pay button, "
        "test controls under /_control/). Point PAYSTACK_BASE_URL at it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--webhook-url",
            default=None,
            help="Where signed webhooks are POSTed, e.g. "
            "http://127.0.0.1:8000/api/v1/payments/paystack/webhook/",
        )
        parser.add_argument(
            "--secret", default=None, help="Secret key (default: PAYSTACK_SECRET_KEY)."
        )
        parser.add_argument(
            "--public-url", default=None, help="Base of authorization URLs (default: own address)."
        )
        parser.add_argument(
            "--auto-process-refunds",
            action="store_true",
            help="Settle every refund at once and send refund.processed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret = options["secret"] or settings.PAYSTACK_SECRET_KEY
        if not secret:
            raise CommandError("Set PAYSTACK_SECRET_KEY or pass --secret.")
        fake = FakePaystack(
            secret=secret,
            host=options["host"],
            port=options["port"],
            webhook_url=options["webhook_url"],
            public_url=options["public_url"],
            auto_process_refunds=options["auto_process_refunds"],
        )
        try:
            fake.bind()
        except OSError as exc:
            message = f"Cannot listen on {options['host']}:{options['port']}: {exc}"
            raise CommandError(message) from exc
        self.stdout.write(
            f"Fake Paystack on http://{fake.host}:{fake.port} "
            f"(webhooks -> {options['webhook_url'] or 'nowhere'})"
        )
        self.stdout.flush()
        try:
            fake.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
