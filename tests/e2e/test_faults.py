"""Faults under load: the real stack (gunicorn with 2 workers, a Celery worker and beat, the
test's own `redis-server` for cache and broker, PostgreSQL or MariaDB) driven by client threads
(catalogue reads, signed-in reads, logins, cart adds, checkouts with `Idempotency-Key`) while a
fault is injected. For every fault:

- no answer is a 5xx other than `503 service_unavailable` in the envelope;
- the system recovers by itself: once the fault is over, a new registration's verification
  e-mail arrives;
- afterwards stock matches the ledger, no idempotency key is left in progress, and every
  committed order's checkout e-mails went out exactly once (the periodic sweep included, run
  as if its grace period had passed).
"""

from __future__ import annotations

import functools
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core import mail
from django.db import OperationalError, connection
from django.db.models import F

from core.emails import CLAIM_STALE_AFTER
from core.models import IdempotencyKey, SentEmail
from orders.emails import CHECKOUT_EMAILS_GRACE, checkout_emails_requeue_missing
from orders.models import Order, OrderGroup
from products.inventory import ledger_drift
from tests import factories
from tests.e2e.conftest import StackProcess, wait_for_idle_broker, wait_until
from tests.redis_server import RedisServer
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20
CLIENTS = 4
PICKUP_CASH = {"fulfillment_method": "pickup", "payment_method": "cash"}


@pytest.fixture
def e2e_redis_url(redis_server: RedisServer) -> str:
    """Cache and broker on the test's own Redis, to kill and pause."""
    return redis_server.url(0)


@pytest.fixture
def stack_env_overrides() -> dict[str, str]:
    return {"NUM_PROXIES": "1"}  # each client has its own address (X-Forwarded-For)


@dataclass
class Stack:
    api: str
    gunicorn: StackProcess
    worker: StackProcess
    redis: RedisServer
    smtp: Any


@pytest.fixture
def stack(
    live_server_url: str,
    celery_worker: StackProcess,
    celery_beat: StackProcess,
    stack_processes: list[StackProcess],
    redis_server: RedisServer,
    smtp_server: Any,
) -> Stack:
    gunicorn = next(p for p in stack_processes if p.name == "gunicorn")
    return Stack(f"{live_server_url}/api/v1", gunicorn, celery_worker, redis_server, smtp_server)


# --- Load ----------------------------------------------------------------------------------------
@functools.cache
def stack_password_hash() -> str:
    hasher = Argon2PasswordHasher()
    return hasher.encode(factories.DEFAULT_PASSWORD, hasher.salt())


@dataclass
class Answer:
    kind: str
    status: int | None  # None: no HTTP answer (the connection failed)
    code: str | None
    seconds: float


@dataclass
class Load:
    """Client threads driving a mix of requests until `stop()`; every answer is recorded."""

    api: str
    products: list[str]
    emails: list[str]
    answers: list[Answer] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def call(self, kind: str, method: str, path: str, **kwargs: Any) -> Answer:
        started = time.monotonic()
        try:
            response = requests.request(method, f"{self.api}{path}", timeout=TIMEOUT, **kwargs)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            # The server's worker was killed: no answer, or half of one.
            answer = Answer(kind, None, None, time.monotonic() - started)
        else:
            code = None
            if response.status_code >= 400:
                body = response.json()  # every error is in the envelope
                assert body["status"] == "error", body
                code = body["code"]
            answer = Answer(kind, response.status_code, code, time.monotonic() - started)
        with self._lock:
            self.answers.append(answer)
        return answer

    def client(self, index: int) -> None:
        ip = {"X-Forwarded-For": f"10.9.0.{index + 1}"}
        email = self.emails[index]
        credentials = {"email": email, "password": factories.DEFAULT_PASSWORD}
        response = requests.post(
            f"{self.api}/auth/login/", json=credentials, headers=ip, timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        auth = {**ip, "Authorization": f"Bearer {response.json()['data']['access']}"}
        rounds = 0
        while not self._stop.is_set():
            rounds += 1
            product = random.choice(self.products)
            self.call("catalogue", "GET", "/products/", headers=ip)
            self.call("catalogue", "GET", f"/products/{product}/", headers=ip)
            self.call("me", "GET", "/users/me/", headers=auth)
            self.call("cart", "GET", "/cart/", headers=auth)
            body = {"product_id": product, "quantity": 1}
            self.call("cart-add", "POST", "/cart/items/", json=body, headers=auth)
            if rounds % 5 == 0:
                self.call("login", "POST", "/auth/login/", json=credentials, headers=ip)
            if rounds % 3 == 0:
                self.checkout(auth)

    def checkout(self, auth: dict[str, str]) -> None:
        """A checkout with a key of its own, sent again (same key) while it is not settled, as a
        client does after a dropped connection or a 503."""
        key = uuid.uuid4().hex
        headers = {**auth, "Idempotency-Key": key}
        deadline = time.monotonic() + 15
        while True:
            answer = self.call("checkout", "POST", "/checkout/", json=PICKUP_CASH, headers=headers)
            if (
                answer.status is not None
                and answer.status < 500
                and answer.code not in ("request_in_progress",)
            ):
                return
            if time.monotonic() > deadline:
                with self._lock:
                    self.unsettled.append(key)
                return
            time.sleep(0.2)

    def start(self) -> Load:
        def run(index: int) -> None:
            try:
                self.client(index)
            except BaseException as exc:  # noqa: BLE001 - reported by stop()
                with self._lock:
                    self.errors.append(exc)

        # Daemon threads: a test that fails before `stop()` must not keep the run alive.
        self._threads = [
            threading.Thread(target=run, args=(i,), daemon=True) for i in range(CLIENTS)
        ]
        for thread in self._threads:
            thread.start()
        wait_until(lambda: len(self.answers) > 20, timeout=30, what="the load to start")
        return self

    def halt(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2 * TIMEOUT)

    def stop(self) -> None:
        self.halt()
        assert not any(thread.is_alive() for thread in self._threads), "a client never finished"
        assert not self.errors, self.errors

    def summary(self) -> Counter:
        return Counter((a.kind, a.status, a.code) for a in self.answers)


@pytest.fixture
def start_load(stack: Stack) -> Iterator[Callable[[], Load]]:
    """Starts the load; whatever the test does, its clients stop at teardown."""
    started: list[Load] = []

    def start() -> Load:
        products = [str(factories.ProductFactory(stock=100_000).id) for _ in range(3)]
        buyers = [factories.UserFactory() for _ in range(CLIENTS)]
        User.objects.filter(pk__in=[b.pk for b in buyers]).update(password=stack_password_hash())
        load = Load(stack.api, products, [b.email for b in buyers])
        started.append(load)  # before it starts: a load that never gets going is stopped too
        return load.start()

    yield start
    for load in started:
        load.halt()


# --- What must hold after every fault ------------------------------------------------------------
def assert_no_undocumented_5xx(load: Load, *, dropped_connections: bool = False) -> None:
    bad = [a for a in load.answers if a.status is not None and a.status >= 500]
    assert all(a.status == 503 and a.code == "service_unavailable" for a in bad), load.summary()
    if not dropped_connections:
        assert all(a.status is not None for a in load.answers), load.summary()
    assert not load.unsettled, (load.unsettled, load.summary())
    assert any(a.kind == "checkout" and a.status == 201 for a in load.answers), load.summary()


def assert_recovered(stack: Stack) -> None:
    """A new registration's verification e-mail arrives: web, broker and worker all work."""
    email = f"after-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": "Long-Enough-Passphrase-7", "first_name": "A",
            "last_name": "B"}  # fmt: skip

    def registered() -> bool:
        response = requests.post(f"{stack.api}/auth/register/", json=body, timeout=TIMEOUT)
        assert response.status_code in (201, 429, 503), response.text
        return response.status_code == 201

    wait_until(registered, timeout=30, interval=0.5, what="a registration to succeed")
    stack.smtp.wait_for(lambda m: email in m["To"], timeout=60)


def queues_empty(redis_url: str) -> bool:
    """No task waiting in a queue (a killed worker's unacknowledged tasks wait for the
    broker's visibility timeout, an hour: the sweeps do their work before that)."""
    with redis.Redis.from_url(redis_url) as client:
        return all(
            client.llen(key) == 0
            for key in client.scan_iter(match="celery*")
            if client.type(key) == b"list"
        )


def assert_consistent(stack: Stack, *, tasks_held: bool = False) -> None:
    """`tasks_held`: tasks may stay unacknowledged (a killed worker's, or one whose
    acknowledgement a paused broker never got, until the broker's visibility timeout; a retry
    waiting for a claim to go stale): only the queues must drain."""
    assert ledger_drift() == []
    assert not IdempotencyKey.objects.filter(state=IdempotencyKey.State.IN_PROGRESS).exists()
    # Checkout e-mails: whatever a lost task left unsent, the sweep sends; each exactly once.
    if tasks_held:
        wait_until(lambda: queues_empty(stack.redis.url(0)), timeout=60, what="empty queues")
        time.sleep(2)  # the task taken last finishes
    else:
        wait_for_idle_broker(stack.redis.url(0), timeout=60)
    mail.outbox.clear()
    # A worker killed between handing a message to the SMTP server and recording it leaves a
    # claim that is taken over later: that message may go twice (with one Message-ID).
    abandoned = set(SentEmail.objects.filter(sent_at__isnull=True).values_list("key", flat=True))
    # As if the sweep's grace period had passed and those claims were stale: the sweep queues
    # what is missing, and sending takes an abandoned claim over.
    OrderGroup.objects.update(created_at=F("created_at") - CHECKOUT_EMAILS_GRACE)
    SentEmail.objects.filter(sent_at__isnull=True).update(
        claimed_at=F("claimed_at") - CLAIM_STALE_AFTER
    )
    checkout_emails_requeue_missing()
    messages = [*stack.smtp.messages, *mail.outbox]
    sent = Counter(_subject(m) for m in messages)
    message_ids = {_subject(m): set() for m in messages}
    for message in messages:
        message_ids[_subject(message)].add(_message_id(message))
    expected = {
        f"Order {number} confirmed": f"order-confirmation:{group_id}"
        for group_id, number in OrderGroup.objects.values_list("id", "number")
    }
    expected |= {
        f"New order {number}": f"order-new:{order_id}"
        for order_id, number in Order.objects.values_list("id", "number")
    }
    assert expected
    for subject, key in expected.items():
        assert sent[subject] == 1 or (key in abandoned and sent[subject] == 2), (subject, sent)
        assert len(message_ids[subject]) == 1


def _subject(message: Any) -> str:
    return str(message["Subject"] if hasattr(message, "get_body") else message.subject)


def _message_id(message: Any) -> str:
    return str(
        message["Message-ID"]
        if hasattr(message, "get_body")
        else message.extra_headers["Message-ID"]
    )


def gunicorn_workers(master: StackProcess) -> list[int]:
    children = Path(f"/proc/{master.process.pid}/task/{master.process.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


# --- The faults ----------------------------------------------------------------------------------
def test_redis_killed_then_restarted_empty(stack: Stack, start_load: Callable[[], Load]):
    load = start_load()
    time.sleep(1)
    stack.redis.kill()
    time.sleep(3)
    stack.redis.start()  # empty: cache, denylist, rate-limit windows and queued tasks are gone
    time.sleep(2)
    load.stop()
    assert_no_undocumented_5xx(load)
    assert stack.worker.alive
    assert_recovered(stack)
    assert_consistent(stack)


def test_redis_paused(stack: Stack, start_load: Callable[[], Load]):
    load = start_load()
    time.sleep(1)
    stack.redis.pause()
    paused_at = time.monotonic()
    time.sleep(4)
    stack.redis.resume()
    time.sleep(2)
    load.stop()
    assert_no_undocumented_5xx(load)
    # A hung Redis costs a request about its timeouts (cache 0.25 s, broker about 1 s twice).
    assert max(a.seconds for a in load.answers) < 8, sorted(a.seconds for a in load.answers)[-5:]
    assert "WORKER TIMEOUT" not in stack.gunicorn.log()
    assert time.monotonic() - paused_at < 60
    assert_recovered(stack)
    # A task whose acknowledgement was sent while Redis was paused stays unacknowledged (tasks
    # are acknowledged late) until the broker's visibility timeout: its work is done, or done
    # by the sweep.
    assert_consistent(stack, tasks_held=True)


def test_database_connections_terminated(stack: Stack, start_load: Callable[[], Load]):
    load = start_load()
    for _ in range(3):
        time.sleep(1)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            else:
                cursor.execute(
                    "SELECT id FROM information_schema.processlist "
                    "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
                )
                for (backend,) in cursor.fetchall():
                    try:
                        cursor.execute(f"KILL CONNECTION {int(backend)}")
                    except OperationalError as exc:
                        # 1094: the connection ended between the listing and the KILL.
                        if exc.args[0] != 1094:
                            raise
    time.sleep(2)
    load.stop()
    assert_no_undocumented_5xx(load)
    assert_recovered(stack)
    assert_consistent(stack, tasks_held=True)


def test_web_worker_killed_mid_checkout(stack: Stack, start_load: Callable[[], Load]):
    load = start_load()
    for _ in range(2):
        time.sleep(1.5)
        os.kill(random.choice(gunicorn_workers(stack.gunicorn)), signal.SIGKILL)
    time.sleep(3)
    load.stop()
    # A killed worker drops its connection (a load balancer answers 502 for it); the client's
    # retry with the same key is answered at once, never `request_in_progress` for long.
    assert_no_undocumented_5xx(load, dropped_connections=True)
    assert_recovered(stack)
    assert_consistent(stack)


def test_celery_worker_killed_mid_task(
    stack: Stack,
    start_load: Callable[[], Load],
    start_celery_workers: Callable[[int], list[StackProcess]],
):
    load = start_load()
    time.sleep(1.5)
    os.killpg(stack.worker.process.pid, signal.SIGKILL)
    start_celery_workers(1)  # what the supervisor does (systemd Restart=always, make stack)
    time.sleep(2)
    load.stop()
    assert_no_undocumented_5xx(load)
    assert_recovered(stack)
    assert_consistent(stack, tasks_held=True)
