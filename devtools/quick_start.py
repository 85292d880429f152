"""`make run`'s server: Django's development server, and the fake Paystack on the next port,
in one command, so the README's walkthrough (pay, see the order group paid) works with nothing
configured and never calls a host outside this machine.

    python -m devtools.quick_start [runserver options]    # PORT=8000 by default

The fake serves in a thread of this process on PORT + 1 (`PAYSTACK_FAKE_PORT` overrides) and
POSTs its signed webhooks to the development server, which verifies them with the same secret.
With `PAYSTACK_BASE_URL` set (a real Paystack test account, say), no fake is started and the
settings are left as they are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devtools.fake_paystack import FakePaystack

QUICK_START_SECRET = "sk_test_quick_start"
ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    port = int(os.environ.get("PORT", "8000"))
    env = dict(os.environ)
    fake = None
    if not env.get("PAYSTACK_BASE_URL"):
        fake_port = int(env.get("PAYSTACK_FAKE_PORT", port + 1))
        secret = env.setdefault("PAYSTACK_SECRET_KEY", QUICK_START_SECRET)
        fake = FakePaystack(
            secret=secret,
            port=fake_port,
            webhook_url=f"http://127.0.0.1:{port}/api/v1/payments/paystack/webhook/",
            auto_process_refunds=True,
        )
        # The walkthrough's payout (README "Money"): transfers complete at once, and earnings are
        # available as soon as an order is completed.
        fake.auto_settle_transfers = True
        env.setdefault("PAYOUT_HOLD_DAYS", "0")
        try:
            fake.start()
        except OSError as exc:
            print(f"Cannot start the fake Paystack on port {fake_port}: {exc}", file=sys.stderr)
            print("Set PAYSTACK_FAKE_PORT to a free port.", file=sys.stderr)
            return 1
        env["PAYSTACK_BASE_URL"] = fake.base_url
        env.setdefault("PAYSTACK_CALLBACK_URL", f"http://127.0.0.1:{port}/api/docs/")
        print(f"Fake Paystack on {fake.base_url} (payments of the walkthrough land here).")
    # This is the development server by design (README): no reminder on every start.
    env.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", *argv]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        return server.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the server too (same process group): let it finish.
        return server.wait()
    finally:
        if fake is not None:
            fake.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
