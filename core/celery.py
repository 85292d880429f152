"""The Celery app: `celery -A core worker` and `celery -A core beat`."""

import os

from celery import Celery

from core.settings import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

app = Celery("core")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
