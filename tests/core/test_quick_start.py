"""The quick start's path (`make run`): DEBUG, SQLite, tasks in-process, demo data, and the
server with the fake Paystack on the next port (`devtools.quick_start`). The demo places its
orders through checkout, so this runs checkout's SQL on SQLite too; the README's walkthrough is
then run as written, payment included, without any host outside this machine."""

from __future__ import annotations

import ast
import os
import re
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import requests
from django.conf import settings

_OWN = ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")
_PAYSTACK = ("PAYSTACK_SECRET_KEY", "PAYSTACK_BASE_URL", "PAYSTACK_CALLBACK_URL")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def quick_start_env(tmp_path: Path) -> dict[str, str]:
    """The environment of `make run` on a fresh clone: nothing configured."""
    env = {
        k: v for k, v in os.environ.items() if k not in _OWN + _PAYSTACK and not k.startswith("DB_")
    }
    env.update(
        DEBUG="True",
        DB_ENGINE="sqlite",
        DB_NAME=str(tmp_path / "quick-start.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    return env


def manage(env: dict[str, str], *command: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stderr == "", result.stderr[-4000:]  # no warning on a clean first run
    return result


def readme_block(first_line: str) -> str:
    """The shell block of the README that starts its steps with `first_line`."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    return next(block for block in blocks if first_line in block)


def readme_walkthrough() -> str:
    """The README's walk through a purchase, then through the shop's payout ("Money"), then
    through a return."""
    return (
        readme_block("# 1. Log in as the demo customer.")
        + readme_block("# 6. Ada")
        + readme_block("# 8. Bola")
    )


def test_quick_start_migrates_loads_the_demo_and_pays_on_sqlite(tmp_path):
    env = quick_start_env(tmp_path)
    manage(env, "migrate", "--noinput")
    seeded = manage(env, "seed_demo", "--if-empty").stdout
    # The accounts and the shop codes come last, after the e-mails the demo orders printed.
    tail = seeded[seeded.index("Demo data loaded.") :]
    assert "chidi@example.com" in tail and "admin@example.com" in tail
    codes = re.findall(r"code (\w+)\s+handles (\w+)", tail)
    assert [handle for _, handle in codes] == ["tolu", "emeka", "funke"]
    # A second `make run` shows them again; so does --show.
    again = manage(env, "seed_demo", "--if-empty").stdout
    assert "demo data not loaded" in again and re.findall(r"code (\w+)\s+handles", again) == [
        code for code, _ in codes
    ]
    shown = manage(env, "seed_demo", "--show").stdout
    assert "Demo data loaded." not in shown and codes[0][0] in shown

    port, paystack_port = free_port(), free_port()
    env.update(PORT=str(port), PAYSTACK_FAKE_PORT=str(paystack_port))
    log = (tmp_path / "server.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "devtools.quick_start", "--noreload"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the server and its runserver child stop together below
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/health/", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)

        # Where to start: `/` and `/api/` link the docs, the schema, health and the API root.
        for path in ("/", "/api/", "/api/v1/"):
            index = requests.get(f"{base}{path}", timeout=10)
            assert index.status_code == 200
            links = index.json()["data"]
            assert links["docs"] == f"{base}/api/docs/"
            assert links["schema"] == f"{base}/api/schema/"
            assert links["health"] == f"{base}/health/" and links["api"] == f"{base}/api/v1/"

        # The demo customer's cart starts empty.
        login = requests.post(
            f"{base}/api/v1/auth/login/",
            json={"email": "chidi@example.com", "password": "Marketplace-Demo-1"},
            timeout=10,
        )
        token = login.json()["data"]["access"]
        cart = requests.get(
            f"{base}/api/v1/cart/", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert cart.json()["data"]["items"] == []

        # The README's walkthrough, as written, against this server: paid on the fake.
        script = readme_walkthrough().replace("http://127.0.0.1:8000", base)
        walked = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert walked.returncode == 0, walked.stdout + walked.stderr
        lines = walked.stdout.strip().splitlines()
        assert len(ast.literal_eval(lines[0])) == 2  # two shops in the cart
        assert f"Pay at: http://127.0.0.1:{paystack_port}/checkout/" in walked.stdout
        # The last block: Bola completes her order, Chidi returns its item, Bola refunds it.
        returned, lines = lines[-7:], lines[:-7]
        assert returned[:2] == ["processing", "completed"], walked.stdout + walked.stderr
        moves = [ast.literal_eval(line)[0] for line in returned[2:5]]
        assert moves == ["approved", "received", "refunded"], walked.stdout + walked.stderr
        assert returned[5] == "partially_refunded", walked.stdout + walked.stderr
        # Bola's one unit, sold and refunded whole (the demo takes no commission from her).
        amount = ast.literal_eval(returned[4])[1]
        assert dict(ast.literal_eval(returned[6])) == {"sale": amount, "refund": f"-{amount}"}
        assert "('paid', [True, True])" in lines, walked.stdout + walked.stderr
        # The shop's payout: the account resolved, the earnings available, then paid out.
        assert "ADA OBI STORES" in lines, walked.stdout
        completed = ast.literal_eval(lines[-4])
        assert Decimal(completed["available"]) > 0 and completed["paid_out"] == "0.00"
        [(amount, _status)] = ast.literal_eval(lines[-3])
        assert amount == completed["available"]
        assert ast.literal_eval(lines[-2]) == [(amount, "paid")], walked.stdout
        paid = ast.literal_eval(lines[-1])
        assert (paid["available"], paid["paid_out"]) == ("0.00", amount)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
    output = (tmp_path / "server.log").read_text()
    assert f"Fake Paystack on http://127.0.0.1:{paystack_port}" in output
    assert not re.search(r"warn", output, re.I), output
