"""The quick start's path (`make run`): DEBUG, SQLite, tasks in-process, demo data. The demo
places its orders through checkout, so this runs checkout's SQL on SQLite too."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

_OWN = ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")


def test_quick_start_migrates_and_loads_the_demo_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in _OWN and not k.startswith("DB_")}
    env.update(
        DEBUG="True",
        DB_ENGINE="sqlite",
        DB_NAME=str(tmp_path / "quick-start.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    for command in (["migrate", "--noinput"], ["seed_demo", "--if-empty"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-4000:]
    assert "chidi@example.com" in result.stdout
