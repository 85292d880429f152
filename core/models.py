from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` for one account, with the first response to replay."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=200, help_text="Method and path the key was used on.")
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class SentEmail(models.Model):
    """One e-mail by its dedupe key: a retried or repeated task never sends it twice.

    The row is written before sending, as a claim on the key; `sent_at` is set once the message
    went out. A row with no `sent_at` is a send in progress, or one abandoned by a dead worker.
    """

    key = models.CharField(max_length=255, unique=True)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    # The database default too: a worker still running the previous release inserts rows
    # without this column while the new one deploys.
    claimed_at = models.DateTimeField(default=timezone.now, db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key} -> {self.to}"
