"""The multi-process test harness: the real stack, started per test, on 127.0.0.1.

Fixtures:
- `smtp_server`: an aiosmtpd server collecting messages (`.wait_for(predicate)`).
- `stack_env`: the environment of every process of the stack (a dict, read when a process
  starts). To add variables (a fake Paystack URL, ...), override `stack_env_overrides` in a
  conftest or a test module: it is resolved before `stack_env`, so the order of fixtures in a
  test's signature never matters.
- `live_server_url`: gunicorn serving `core.wsgi` (2 workers), ready when `/health/` answers.
- `celery_worker`: a Celery worker (solo pool), `celery_beat`: Celery beat (temp schedule file).
- `start_live_servers(n)`, `start_celery_workers(n)`: factories starting n more gunicorn servers
  (own ports) or Celery workers, for scale-out tests; `wait_for_idle_broker(url)` waits until
  every queued task has run.

Every process uses the test's own database (the pytest test database, so mark tests
`@pytest.mark.django_db(transaction=True)`), a Redis database of its own (`E2E_REDIS_URL`,
flushed at the start of each test) for the cache and the broker, and logs to files under the
test's `tmp_path`; the logs are printed when a test fails. Processes stop at teardown.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
import requests
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

T = TypeVar("T")

DEFAULT_E2E_REDIS_URL = "redis://127.0.0.1:6379/14"
E2E_SECRET_KEY = "e2e-secret-key-not-for-production-0123456789abcdefghijklmnop"
FRONTEND_URL = "http://frontend.e2e.test"
_ENGINES = {"postgresql": "postgresql", "mysql": "mysql", "sqlite": "sqlite"}


# --- Helpers -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    check: Callable[[], T], *, timeout: float = 20.0, interval: float = 0.05, what: str = "it"
) -> T:
    """Poll `check` until it returns something truthy (returned), failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}.")
        time.sleep(interval)


class StackProcess:
    """A subprocess of the stack with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._terminated = False
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            args,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float = 30.0) -> None:
        def seen() -> bool:
            if text in self.log():
                return True
            if not self.alive:
                raise AssertionError(f"{self.name} exited early:\n{self.log()[-4000:]}")
            return False

        wait_until(seen, timeout=timeout, what=f"{self.name} to log {text!r}")

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM, once), without waiting; `stop` then waits."""
        if self.alive and not self._terminated:
            self._terminated = True
            self.process.terminate()

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive:
            self.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        self._log.close()


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


@pytest.fixture
def stack_processes(request: pytest.FixtureRequest) -> Iterator[list[StackProcess]]:
    """Every process started for the test; their logs are printed if the test failed."""
    processes: list[StackProcess] = []
    yield processes
    if request.node.stash.get(_FAILED, False):
        for process in processes:
            print(f"\n===== {process.name} log ({process.log_path}) =====\n{process.log()[-8000:]}")


# --- SMTP ----------------------------------------------------------------------------------------
class MailSink:
    """aiosmtpd handler keeping every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(
        self, predicate: Callable[[EmailMessage], bool] = lambda m: True, *, timeout: float = 30.0
    ) -> EmailMessage:
        """The first message matching `predicate`, polling until `timeout`."""

        def find() -> EmailMessage | None:
            with self._lock:
                return next((m for m in self.messages if predicate(m)), None)

        return wait_until(find, timeout=timeout, what="an e-mail")


def message_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def message_html(message: EmailMessage) -> str | None:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else None


class SMTPServer:
    def __init__(self, controller: Controller, sink: MailSink, port: int) -> None:
        self.controller = controller
        self.sink = sink
        self.host = "127.0.0.1"
        self.port = port

    @property
    def messages(self) -> list[EmailMessage]:
        return self.sink.messages

    def wait_for(
        self, predicate: Callable[[EmailMessage], bool] = lambda m: True, *, timeout: float = 30.0
    ) -> EmailMessage:
        return self.sink.wait_for(predicate, timeout=timeout)


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SMTPServer(controller, sink, port)
    finally:
        controller.stop()


# --- Environment ---------------------------------------------------------------------------------
@pytest.fixture
def e2e_redis_url() -> str:
    return os.environ.get("E2E_REDIS_URL", DEFAULT_E2E_REDIS_URL)


@pytest.fixture
def stack_env_overrides() -> dict[str, str]:
    """Extra variables for every process of the stack; override this fixture to add some."""
    return {}


@pytest.fixture
def stack_env(
    transactional_db: None,
    smtp_server: SMTPServer,
    e2e_redis_url: str,
    stack_env_overrides: dict[str, str],
) -> dict[str, str]:
    db = connection.settings_dict
    engine = _ENGINES[connection.vendor]
    if engine == "sqlite":
        pytest.fail("The e2e tests need a server database (PostgreSQL or MariaDB).")
    redis.Redis.from_url(e2e_redis_url).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.production",
        "DEBUG": "False",
        "SECRET_KEY": E2E_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DB_ENGINE": engine,
        "DB_NAME": str(db["NAME"]),
        "DB_USER": str(db["USER"] or ""),
        "DB_PASSWORD": str(db["PASSWORD"] or ""),
        "DB_HOST": str(db["HOST"] or "127.0.0.1"),
        "DB_PORT": str(db["PORT"] or ""),
        "REDIS_URL": e2e_redis_url,
        "CELERY_BROKER_URL": e2e_redis_url,
        "CELERY_RESULT_BACKEND": "",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "False",
        "FRONTEND_URL": FRONTEND_URL,
        "PAYSTACK_SECRET_KEY": "sk_test_fake_secret",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    if not env["DB_PORT"]:
        del env["DB_PORT"]
    env.update(stack_env_overrides)
    return env


# --- Processes -----------------------------------------------------------------------------------
def stop_all(processes: list[StackProcess]) -> None:
    """Stop processes together: all are told first, then each is waited for."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop()


def _health_ok(url: str) -> bool:
    try:
        return requests.get(f"{url}/health/", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _gunicorn_args(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "core.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
        # No control socket: its default path is shared by every server of the machine.
        "--no-control-socket",
    ]


def _start_gunicorn(
    env: dict[str, str], processes: list[StackProcess], log_path: Path, name: str = "gunicorn"
) -> tuple[StackProcess, str]:
    """Start gunicorn (2 workers) on a free port; returns the process and its base URL."""
    port = free_port()
    server = StackProcess(name, _gunicorn_args(port), dict(env), log_path)
    processes.append(server)
    return server, f"http://127.0.0.1:{port}"


def _wait_for_server(server: StackProcess, url: str) -> None:
    def ready() -> bool:
        if not server.alive:
            raise AssertionError(f"{server.name} exited early:\n{server.log()[-4000:]}")
        return _health_ok(url)

    wait_until(ready, timeout=30, what=f"{server.name} to answer /health/")


@pytest.fixture
def live_server_url(
    stack_env: dict[str, str], stack_processes: list[StackProcess], tmp_path: Path
) -> Iterator[str]:
    server, url = _start_gunicorn(stack_env, stack_processes, tmp_path / "gunicorn.log")
    try:
        _wait_for_server(server, url)
        yield url
    finally:
        server.stop()


@pytest.fixture
def start_live_servers(
    stack_env: dict[str, str], stack_processes: list[StackProcess], tmp_path: Path
) -> Iterator[Callable[[int], list[str]]]:
    """A factory: `start_live_servers(n)` starts n more gunicorn servers at once (separate
    processes on their own ports, 2 workers each, sharing nothing but the database and Redis)
    and returns their base URLs when all answer `/health/`. They stop at teardown."""
    started: list[StackProcess] = []

    def start(count: int = 1) -> list[str]:
        servers = []
        for _ in range(count):
            number = len(started) + 1
            server, url = _start_gunicorn(
                stack_env,
                stack_processes,
                tmp_path / f"gunicorn-extra-{number}.log",
                f"extra gunicorn {number}",
            )
            started.append(server)
            servers.append((server, url))
        for server, url in servers:
            _wait_for_server(server, url)
        return [url for _, url in servers]

    try:
        yield start
    finally:
        stop_all(started)


def _celery_worker_args() -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "core",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"e2e-{uuid.uuid4().hex[:8]}@%h",
    ]


@pytest.fixture
def celery_worker(
    stack_env: dict[str, str], stack_processes: list[StackProcess], tmp_path: Path
) -> Iterator[StackProcess]:
    worker = StackProcess(
        "celery worker", _celery_worker_args(), dict(stack_env), tmp_path / "worker.log"
    )
    stack_processes.append(worker)
    try:
        worker.wait_for_log(" ready.", timeout=30)
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def start_celery_workers(
    stack_env: dict[str, str], stack_processes: list[StackProcess], tmp_path: Path
) -> Iterator[Callable[[int], list[StackProcess]]]:
    """A factory: `start_celery_workers(n)` starts n more Celery worker processes at once
    (solo pool, same broker) and returns them when all are ready. They stop at teardown."""
    started: list[StackProcess] = []

    def start(count: int = 1) -> list[StackProcess]:
        workers = []
        for _ in range(count):
            number = len(started) + 1
            worker = StackProcess(
                f"extra celery worker {number}",
                _celery_worker_args(),
                dict(stack_env),
                tmp_path / f"worker-extra-{number}.log",
            )
            stack_processes.append(worker)
            started.append(worker)
            workers.append(worker)
        for worker in workers:
            worker.wait_for_log(" ready.", timeout=30)
        return workers

    try:
        yield start
    finally:
        stop_all(started)


def broker_is_idle(redis_url: str) -> bool:
    """No task waiting in a Celery queue and none fetched but unacknowledged (tasks are acked
    late, so a task being run is still unacknowledged)."""
    with redis.Redis.from_url(redis_url) as client:
        if client.hlen("unacked"):
            return False
        return all(
            client.llen(key) == 0
            for key in client.scan_iter(match="celery*")
            if client.type(key) == b"list"
        )


def wait_for_idle_broker(redis_url: str, *, timeout: float = 30.0, polls: int = 3) -> None:
    """Wait until the broker is seen idle `polls` times in a row (a task moves from its queue
    to the unacknowledged set in two steps, so one idle look is not proof)."""
    streak = 0

    def settled() -> bool:
        nonlocal streak
        streak = streak + 1 if broker_is_idle(redis_url) else 0
        return streak >= polls

    wait_until(settled, timeout=timeout, interval=0.1, what="the Celery queues to drain")


@pytest.fixture
def celery_beat(
    stack_env: dict[str, str], stack_processes: list[StackProcess], tmp_path: Path
) -> Iterator[StackProcess]:
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "core",
        "beat",
        "--loglevel=INFO",
        "--schedule",
        str(tmp_path / "celerybeat-schedule"),
        "--pidfile",
        str(tmp_path / "celerybeat.pid"),
    ]
    beat = StackProcess("celery beat", args, dict(stack_env), tmp_path / "beat.log")
    stack_processes.append(beat)
    try:
        beat.wait_for_log("beat: Starting", timeout=30)
        yield beat
    finally:
        beat.stop()


# --- Fake Paystack -------------------------------------------------------------------------------
class FakePaystackProcess:
    """`python -m devtools.fake_paystack` run as a process of the stack, with its HTTP controls."""

    def __init__(self, process: StackProcess, base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base_url}/_control/{path}"
        response = requests.request(method, url, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    @property
    def refunds(self) -> list[dict[str, Any]]:
        return self.control("GET", "refunds")


@pytest.fixture
def fake_paystack_port() -> int:
    return free_port()


@pytest.fixture
def fake_paystack(
    fake_paystack_port: int,
    live_server_url: str,
    stack_env: dict[str, str],
    stack_processes: list[StackProcess],
    tmp_path: Path,
) -> Iterator[FakePaystackProcess]:
    """The fake Paystack on `fake_paystack_port`, POSTing signed webhooks to `live_server_url`
    and settling refunds at once.

    The stack's processes must be told where it is: a test module using it overrides
    `stack_env_overrides` with ``{"PAYSTACK_BASE_URL": f"http://127.0.0.1:{fake_paystack_port}"}``.
    """
    base_url = f"http://127.0.0.1:{fake_paystack_port}"
    args = [
        sys.executable,
        "-m",
        "devtools.fake_paystack",
        "--port",
        str(fake_paystack_port),
        "--secret",
        stack_env["PAYSTACK_SECRET_KEY"],
        "--webhook-url",
        f"{live_server_url}/api/v1/payments/paystack/webhook/",
        "--auto-process-refunds",
    ]
    process = StackProcess("fake paystack", args, dict(stack_env), tmp_path / "paystack.log")
    stack_processes.append(process)
    try:

        def ready() -> bool:
            if not process.alive:
                raise AssertionError(f"fake paystack exited early:\n{process.log()[-4000:]}")
            try:
                return requests.get(f"{base_url}/_control/refunds", timeout=1).ok
            except requests.RequestException:
                return False

        wait_until(ready, timeout=30, what="the fake Paystack to answer")
        yield FakePaystackProcess(process, base_url)
    finally:
        process.stop()
