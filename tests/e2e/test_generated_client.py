"""A Python client generated from `/api/schema/` with openapi-python-client (the usual way to
consume a DRF API) drives the main flow through the whole stack: register -> verify -> log in ->
browse -> a cart from two shops -> checkout -> pay on the fake Paystack -> the group is paid ->
a shop PATCHes one field of a product and every other field stays as it was.

Every answer the flow meets is parsed into the generated models (an unparsable answer fails the
test), errors included. The client is generated into the test's temporary directory without
post-processing hooks, imported, and talks to gunicorn over HTTP.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests

from tests import factories
from tests.e2e.conftest import message_text, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def stack_env_overrides(fake_paystack_port: int) -> dict[str, str]:
    return {"PAYSTACK_BASE_URL": f"http://127.0.0.1:{fake_paystack_port}"}


def generate_client(live_server_url: str, where: Path) -> str:
    """Generate a client package from the live schema; its (unique) import name."""
    schema = requests.get(f"{live_server_url}/api/schema/?format=json", timeout=30)
    assert schema.status_code == 200
    (where / "schema.json").write_bytes(schema.content)
    package = f"marketplace_client_{uuid.uuid4().hex[:8]}"
    (where / "config.yaml").write_text(f"package_name_override: {package}\npost_hooks: []\n")
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(where / "schema.json"),
            "--config",
            str(where / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(where / package),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # No warning: every operation and model was generated.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    return package


def test_a_generated_client_drives_the_main_flow(
    live_server_url, celery_worker, celery_beat, fake_paystack, smtp_server, settings, tmp_path
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    package = generate_client(live_server_url, tmp_path)
    try:
        run_flow(package, live_server_url, fake_paystack, smtp_server)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


def run_flow(package: str, base_url: str, fake_paystack: Any, smtp_server: Any) -> None:
    def mod(name: str) -> Any:
        return importlib.import_module(f"{package}.{name}")

    models = mod("models")
    api = {
        name: mod(f"api.{group}.{name}")
        for group, name in [
            ("auth", "register_account"),
            ("auth", "verify_email_address"),
            ("auth", "log_in"),
            ("products", "list_products"),
            ("products", "show_product"),
            ("products", "update_product"),
            ("cart", "add_product_to_cart"),
            ("orders", "check_out_cart"),
            ("orders", "show_order_group"),
            ("payments", "start_paying_order_group_with_paystack"),
        ]
    }
    client_module = mod("client")
    anonymous = client_module.Client(base_url=base_url, raise_on_unexpected_status=True)

    # Two shops, each with a product; one of them has a description, a category and a state
    # that a careless PATCH would lose.
    owner = factories.UserFactory(email="owner.client@example.com")
    shop_a = factories.ShopFactory(owner=owner, name="Client Shop A")
    shop_b = factories.ShopFactory(name="Client Shop B")
    category = factories.CategoryFactory()
    product_a = factories.ProductFactory(
        shop=shop_a, price=Decimal("1000.00"), stock=5, description="Hand-made, oak."
    )
    product_a.categories.add(category)
    product_b = factories.ProductFactory(shop=shop_b, price=Decimal("250.50"), stock=5)

    # Register, verify with the link of the e-mail, log in.
    email = "client.flow@example.com"
    registered = api["register_account"].sync(
        client=anonymous,
        body=models.RegisterRequest(
            email=email, password=factories.DEFAULT_PASSWORD, first_name="Gen", last_name="Client"
        ),
    )
    assert isinstance(registered, models.RegisterAccountResponse201), registered
    message = smtp_server.wait_for(lambda m: email in m["To"], timeout=30)
    link = re.search(r"(\S+/verify-email\?token=\S+)", message_text(message)).group(1)
    token = parse_qs(urlparse(link).query)["token"][0]
    verified = api["verify_email_address"].sync(
        client=anonymous, body=models.TokenRequest(token=token)
    )
    assert verified.status == "success" and verified.message

    wrong = api["log_in"].sync(
        client=anonymous, body=models.LoginRequest(email=email, password="Wrong-password-123")
    )
    assert isinstance(wrong, models.ErrorEnvelope)
    assert wrong.code == models.ErrorEnvelopeCode.INVALID_CREDENTIALS
    logged_in = api["log_in"].sync(
        client=anonymous,
        body=models.LoginRequest(email=email, password=factories.DEFAULT_PASSWORD),
    )
    assert logged_in.data.user.is_email_verified is True
    customer = client_module.AuthenticatedClient(
        base_url=base_url, token=logged_in.data.access, raise_on_unexpected_status=True
    )

    # Browse, and fill the cart from both shops.
    page = api["list_products"].sync(client=anonymous, page_size=100)
    listed = {product.id: product for product in page.data.results}
    assert {product_a.id, product_b.id} <= set(listed)
    for product in (product_a, product_b):
        added = api["add_product_to_cart"].sync(
            client=customer, body=models.CartItemAddRequest(product_id=product.id, quantity=2)
        )
        assert isinstance(added, models.AddProductToCartResponse201), added
    too_many = api["add_product_to_cart"].sync(
        client=customer, body=models.CartItemAddRequest(product_id=product_b.id, quantity=50)
    )
    assert too_many.code == models.ErrorEnvelopeCode.INSUFFICIENT_STOCK
    assert too_many.errors["items"][0]["available"] == 5

    # Check out (one order per shop) and pay on the fake Paystack's checkout page.
    group = api["check_out_cart"].sync(
        client=customer,
        body=models.CheckoutRequest(
            fulfillment_method=models.FulfillmentMethodEnum.PICKUP,
            payment_method=models.PaymentMethodEnum.PAYSTACK,
        ),
        idempotency_key="generated-client-checkout",
    )
    assert isinstance(group, models.CheckOutCartResponse201), group
    assert len(group.data.orders) == 2 and group.data.total == "2501.00"
    started = api["start_paying_order_group_with_paystack"].sync(
        group.data.id, client=customer, body=models.PaymentInitializeInputRequest()
    )
    assert started.data.authorization_url.startswith(f"{fake_paystack.base_url}/checkout/")
    checkout_page = requests.get(started.data.authorization_url, timeout=10)
    action = re.search(r'<form method="post" action="([^"]+)"', checkout_page.text).group(1)
    paid = requests.post(
        urljoin(started.data.authorization_url, action), allow_redirects=False, timeout=15
    )
    assert paid.status_code == 303

    def paid_group() -> Any:
        shown = api["show_order_group"].sync(group.data.id, client=customer)
        return shown if shown.data.payment_status == "paid" else None

    shown = wait_until(paid_group, timeout=30, what="the group to be paid")
    assert all(order.is_paid for order in shown.data.orders)

    # The shop changes the price only: name, description, categories and state stay.
    owner_login = api["log_in"].sync(
        client=anonymous,
        body=models.LoginRequest(email=owner.email, password=factories.DEFAULT_PASSWORD),
    )
    shop_client = client_module.AuthenticatedClient(
        base_url=base_url, token=owner_login.data.access, raise_on_unexpected_status=True
    )
    before = api["show_product"].sync(product_a.id, client=anonymous).data
    updated = api["update_product"].sync(
        product_a.id,
        client=shop_client,
        body=models.PatchedProductUpdateRequest(price="1200.00"),
    )
    after = updated.data
    assert after.price == "1200.00"
    assert (after.name, after.description, after.is_active) == (
        before.name,
        "Hand-made, oak.",
        True,
    )
    assert [c.id for c in after.categories] == [c.id for c in before.categories] == [category.id]
    # An invalid value is a validation error the generated model carries field by field.
    refused = api["update_product"].sync(
        product_a.id, client=shop_client, body=models.PatchedProductUpdateRequest(price="0.00")
    )
    assert refused.code == models.ErrorEnvelopeCode.VALIDATION_ERROR
    assert "price" in refused.errors
