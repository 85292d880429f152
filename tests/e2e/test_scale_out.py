"""Scale-out: two gunicorn servers (separate processes, 2 workers each, nothing shared but the
database and Redis) and two Celery workers, driven over real HTTP with requests spread across
both servers. The invariants of the concurrency tests must hold across processes too:

- a race of buyers for too few units never oversells, and the catalogue every server shows
  (cached in Redis) follows the stock;
- one `Idempotency-Key` sent at once to both servers makes one order group;
- one signed `charge.success` delivered many times at once to both servers is processed once;
- a token revoked on one server is refused by the other, and rate limits count across both.

Clients sit behind a proxy here (`NUM_PROXIES=1`): each buyer has its own address in
`X-Forwarded-For`, as behind a load balancer.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.contrib.auth.hashers import Argon2PasswordHasher

from carts.models import CartItem
from core.models import SentEmail
from devtools.fake_paystack import FakePaystack
from orders.models import Order, OrderGroup, OrderItem
from payments.models import Payment, Refund, WebhookEvent
from products.inventory import ledger_drift
from products.models import ProductVariant
from tests import factories
from tests.e2e.conftest import StackProcess, wait_for_idle_broker, wait_until
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30
PICKUP_CASH = {"fulfillment_method": "pickup", "payment_method": "cash"}


@pytest.fixture
def stack_env_overrides(fake_paystack_port: int) -> dict[str, str]:
    return {
        "PAYSTACK_BASE_URL": f"http://127.0.0.1:{fake_paystack_port}",
        # Behind one trusted proxy: the client address is the last X-Forwarded-For entry.
        "NUM_PROXIES": "1",
    }


@dataclass
class Cluster:
    servers: list[str]
    workers: list[StackProcess]
    redis_url: str

    def api(self, index: int) -> str:
        """The API base of server `index`, round robin (spreads a loop over both servers)."""
        return f"{self.servers[index % len(self.servers)]}/api/v1"


@pytest.fixture
def cluster(
    start_live_servers: Callable[[int], list[str]],
    start_celery_workers: Callable[[int], list[StackProcess]],
    e2e_redis_url: str,
) -> Cluster:
    # Servers and workers start at the same time (each factory waits for its own).
    with ThreadPoolExecutor(max_workers=2) as pool:
        servers = pool.submit(start_live_servers, 2)
        workers = pool.submit(start_celery_workers, 2)
        return Cluster(servers=servers.result(), workers=workers.result(), redis_url=e2e_redis_url)


@pytest.fixture
def paystack(fake_paystack_port: int, stack_env: dict[str, str]) -> Iterator[FakePaystack]:
    """The fake Paystack, in this process (the test delivers the webhooks itself)."""
    fake = FakePaystack(secret=stack_env["PAYSTACK_SECRET_KEY"], port=fake_paystack_port).start()
    try:
        yield fake
    finally:
        fake.stop()


# --- Helpers -------------------------------------------------------------------------------------
@functools.cache
def stack_password_hash() -> str:
    """DEFAULT_PASSWORD hashed with a hasher the stack knows (the unit tests' MD5 is not one),
    computed once: accounts are created fast, and logging in costs one Argon2 check."""
    hasher = Argon2PasswordHasher()
    return hasher.encode(factories.DEFAULT_PASSWORD, hasher.salt())


def accounts(count: int, **kwargs: Any) -> list[User]:
    users = [factories.UserFactory(**kwargs) for _ in range(count)]
    User.objects.filter(pk__in=[u.pk for u in users]).update(password=stack_password_hash())
    return users


def client_ip(index: int) -> dict[str, str]:
    """The address the proxy in front saw for client `index`."""
    return {"X-Forwarded-For": f"10.0.{index // 200}.{index % 200 + 1}"}


def login(api: str, email: str, *, ip: int = 0, password: str | None = None) -> requests.Response:
    body = {"email": email, "password": password or factories.DEFAULT_PASSWORD}
    return requests.post(f"{api}/auth/login/", json=body, headers=client_ip(ip), timeout=TIMEOUT)


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access']}"}


def all_at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run every call in its own thread, released together by a barrier; results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[requests.Response | BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    failures = [r for r in results if not isinstance(r, requests.Response)]
    assert not failures, failures
    return results  # type: ignore[return-value]


def statuses(responses: list[requests.Response]) -> Counter:
    return Counter((r.status_code, r.json().get("code")) for r in responses)


# --- Oversell ------------------------------------------------------------------------------------
def test_buyers_racing_on_both_servers_never_oversell(cluster: Cluster, smtp_server):
    buyers, units = 30, 10
    product = factories.ProductFactory(stock=units)
    for buyer in accounts(buyers):
        factories.CartItemFactory(cart=factories.CartFactory(user=buyer), product=product)
    emails = list(User.objects.filter(cart__isnull=False).values_list("email", flat=True))
    assert len(emails) == buyers

    # Both servers serve (and cache, in Redis) the public product page before the race.
    for index in range(2):
        page = requests.get(f"{cluster.api(index)}/products/{product.id}/", timeout=TIMEOUT)
        assert page.status_code == 200 and page.json()["data"]["stock"] == units

    logins = all_at_once(
        [lambda i=i: login(cluster.api(i), emails[i], ip=i) for i in range(buyers)]
    )
    assert [r.status_code for r in logins] == [200] * buyers, [r.text for r in logins]
    auth = [bearer(r.json()["data"]) for r in logins]

    answers = all_at_once(
        [
            lambda i=i: requests.post(
                f"{cluster.api(i)}/checkout/", json=PICKUP_CASH, headers=auth[i], timeout=TIMEOUT
            )
            for i in range(buyers)
        ]
    )

    assert statuses(answers) == {
        (201, None): units,
        (409, "insufficient_stock"): buyers - units,
    }, [r.text for r in answers if r.status_code not in (201, 409)]
    product.refresh_from_db()
    assert product.stock == 0
    assert sum(OrderItem.objects.values_list("quantity", flat=True)) == units
    assert OrderGroup.objects.count() == Order.objects.count() == units
    assert ledger_drift() == []
    # The losers keep their carts; the winners' carts are empty.
    assert CartItem.objects.count() == buyers - units

    # Every server shows the new stock at once (the cached pages were invalidated for all).
    for index in range(2):
        page = requests.get(f"{cluster.api(index)}/products/{product.id}/", timeout=TIMEOUT)
        assert page.json()["data"]["stock"] == 0 and page.json()["data"]["in_stock"] is False

    # Two workers shared the e-mails; each confirmation went out exactly once.
    wait_for_idle_broker(cluster.redis_url)
    sent = SentEmail.objects.filter(sent_at__isnull=False)
    assert sent.filter(key__startswith="order-confirmation:").count() == units
    confirmations = [m for m in smtp_server.messages if "confirmed" in m["Subject"]]
    assert len(confirmations) == units
    assert len({m["To"] for m in confirmations}) == units


# --- Idempotency ---------------------------------------------------------------------------------
def test_one_idempotency_key_on_both_servers_makes_one_order_group(cluster: Cluster):
    (customer,) = accounts(1)
    products = [factories.ProductFactory(stock=5), factories.ProductFactory(stock=5)]
    cart = factories.CartFactory(user=customer)
    for product in products:
        factories.CartItemFactory(cart=cart, product=product, quantity=2)
    tokens = login(cluster.api(0), customer.email).json()["data"]
    headers = {**bearer(tokens), "Idempotency-Key": "scale-out-checkout-1"}
    attempts = 20

    answers = all_at_once(
        [
            lambda i=i: requests.post(
                f"{cluster.api(i)}/checkout/", json=PICKUP_CASH, headers=headers, timeout=TIMEOUT
            )
            for i in range(attempts)
        ]
    )

    counted = statuses(answers)
    assert set(counted) <= {(201, None), (409, "request_in_progress")}, counted
    created = [r for r in answers if r.status_code == 201]
    assert created, counted
    # One original answer; every other 201 is its replay, with the same body.
    originals = [r for r in created if r.headers.get("Idempotent-Replayed") != "true"]
    assert len(originals) == 1
    first = originals[0].json()
    assert all(r.json() == first for r in created)
    group_id = first["data"]["id"]

    assert [str(pk) for pk in OrderGroup.objects.values_list("id", flat=True)] == [group_id]
    assert Order.objects.count() == 2
    assert list(ProductVariant.objects.order_by("stock").values_list("stock", flat=True)) == [3, 3]
    assert ledger_drift() == []

    # Later retries on either server replay it; another body with the key is refused.
    for index in range(2):
        again = requests.post(
            f"{cluster.api(index)}/checkout/", json=PICKUP_CASH, headers=headers, timeout=TIMEOUT
        )
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first
    other = {**PICKUP_CASH, "payment_method": "paystack"}
    reused = requests.post(
        f"{cluster.api(1)}/checkout/", json=other, headers=headers, timeout=TIMEOUT
    )
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert OrderGroup.objects.count() == 1


# --- Webhooks ------------------------------------------------------------------------------------
def test_one_webhook_delivered_many_times_to_both_servers_is_processed_once(
    cluster: Cluster, paystack: FakePaystack, smtp_server
):
    (customer,) = accounts(1)
    product = factories.ProductFactory(stock=5)
    factories.CartItemFactory(cart=factories.CartFactory(user=customer), product=product)
    auth = bearer(login(cluster.api(0), customer.email).json()["data"])

    checkout = requests.post(
        f"{cluster.api(0)}/checkout/",
        json={"fulfillment_method": "pickup", "payment_method": "paystack"},
        headers=auth,
        timeout=TIMEOUT,
    )
    assert checkout.status_code == 201, checkout.text
    group_id = checkout.json()["data"]["id"]
    started = requests.post(
        f"{cluster.api(1)}/order-groups/{group_id}/payments/", json={}, headers=auth, timeout=30
    )
    assert started.status_code == 201, started.text
    reference = started.json()["data"]["reference"]

    # The customer pays; Paystack's event is then delivered again and again, to both servers.
    body, signature = paystack.event_body("charge.success", paystack.pay(reference, webhook=False))
    signed = {"Content-Type": "application/json", "x-paystack-signature": signature}
    deliveries = 16
    answers = all_at_once(
        [
            lambda i=i: requests.post(
                f"{cluster.api(i)}/payments/paystack/webhook/",
                data=body,
                headers=signed,
                timeout=TIMEOUT,
            )
            for i in range(deliveries)
        ]
    )
    assert [r.status_code for r in answers] == [200] * deliveries, [r.text for r in answers]

    def group_paid() -> bool:
        answer = requests.get(
            f"{cluster.api(1)}/order-groups/{group_id}/", headers=auth, timeout=TIMEOUT
        )
        return answer.json()["data"]["payment_status"] == "paid"

    wait_until(group_paid, timeout=TIMEOUT, what="the group to be paid")
    smtp_server.wait_for(lambda m: "Payment received" in m["Subject"], timeout=TIMEOUT)
    wait_for_idle_broker(cluster.redis_url)

    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().processed_at is not None
    assert list(Payment.objects.values_list("reference", "status")) == [(reference, "success")]
    group = OrderGroup.objects.get(pk=group_id)
    assert group.payment_status == "paid" and group.expires_at is None
    assert Refund.objects.count() == 0 and paystack.refunds == []
    sent = SentEmail.objects.filter(sent_at__isnull=False)
    assert sent.filter(key=f"order-paid:{group_id}").count() == 1
    received = [m for m in smtp_server.messages if "Payment received" in m["Subject"]]
    assert len(received) == 1 and customer.email in received[0]["To"]


# --- Tokens and throttles ------------------------------------------------------------------------
def test_revocation_and_rate_limits_hold_across_servers(cluster: Cluster):
    customer, target, burst_target = accounts(3)
    server_1, server_2 = cluster.api(0), cluster.api(1)

    # Logged in on server 1, known on server 2; logged out on server 1, refused by server 2.
    tokens = login(server_1, customer.email, ip=1).json()["data"]
    me = requests.get(f"{server_2}/users/me/", headers=bearer(tokens), timeout=TIMEOUT)
    assert me.status_code == 200 and me.json()["data"]["email"] == customer.email
    out = requests.post(
        f"{server_1}/auth/logout/",
        json={"refresh": tokens["refresh"]},
        headers=bearer(tokens),
        timeout=TIMEOUT,
    )
    assert out.status_code == 200, out.text
    for index in range(6):  # three times each server (two worker processes each)
        denied = requests.get(
            f"{cluster.api(index)}/users/me/", headers=bearer(tokens), timeout=TIMEOUT
        )
        assert denied.status_code == 401 and denied.json()["code"] == "not_authenticated"
    refreshed = requests.post(
        f"{server_2}/auth/token/refresh/", json={"refresh": tokens["refresh"]}, timeout=TIMEOUT
    )
    assert refreshed.status_code == 400 and refreshed.json()["code"] == "invalid_token"

    # Per account: 10 failed logins a minute, counted over both servers and many addresses.
    for index in range(10):
        failed = login(cluster.api(index), target.email, ip=100 + index, password="Wrong-1-pass")
        assert failed.status_code == 401, failed.text
    for index in range(2):
        throttled = login(cluster.api(index), target.email, ip=200 + index)
        assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
        assert int(throttled.headers["Retry-After"]) >= 1

    # Per client address: 10 logins a minute, whichever accounts and servers.
    for index in range(10):
        failed = login(cluster.api(index), f"nobody{index}@example.com", ip=300)
        assert failed.status_code == 401, failed.text
    throttled = login(cluster.api(1), customer.email, ip=300)
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"

    # A burst at once on both servers gets no more than the budget.
    burst = all_at_once(
        [
            lambda i=i: login(
                cluster.api(i), burst_target.email, ip=400 + i, password="Wrong-1-pass"
            )
            for i in range(24)
        ]
    )
    assert statuses(burst) == {(401, "invalid_credentials"): 10, (429, "throttled"): 14}
