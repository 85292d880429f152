"""Threads for race tests: each with its own database connection, released together."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_together(*functions: Callable[[], object]) -> list[object]:
    """Run the callables in threads released by one barrier; returns results or exceptions."""
    barrier = threading.Barrier(len(functions))
    results: list[object] = [None] * len(functions)

    def worker(index: int, function: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results
