"""What every environment shares, read from the environment or `.env`.

`core.settings` picks `local` (DEBUG on) or `production` (DEBUG off, the default) on top of
this; those two hold what differs: the secret key, the cache, where tasks run.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from decouple import Csv, config
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]


def env_required(name: str) -> str:
    """The value of a variable production cannot run without; its absence stops start-up."""
    value = config(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")
    return value


# Seconds a cache call may wait for Redis to connect or to answer: a hung Redis costs a request
# at most about this long, and each caller then does without the cache (see README, "Deploying").
REDIS_SOCKET_TIMEOUT = config("REDIS_SOCKET_TIMEOUT", default=0.25, cast=float)
REDIS_CONNECT_TIMEOUT = config("REDIS_CONNECT_TIMEOUT", default=0.25, cast=float)


def redis_caches(url: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "core.cache.RedisCache",  # one Redis client per process
            "LOCATION": url,
            "KEY_PREFIX": config("CACHE_KEY_PREFIX", default="mkt"),
            "OPTIONS": {
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
            },
        }
    }


ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="localhost,127.0.0.1", cast=Csv())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "users",
    "shops",
    "products",
    "carts",
    "orders",
    "reviews",
    "payments",
]

MIDDLEWARE = [
    "core.middleware.RequestIDMiddleware",
    "core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.JSONExceptionMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"
AUTH_USER_MODEL = "users.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's overrides of the admin's templates (`templates/admin/`).
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DB_ENGINE = config("DB_ENGINE", default="sqlite")
CONN_MAX_AGE = config("CONN_MAX_AGE", default=60, cast=int)


def parallel_workers(value: str) -> int | None:
    """PostgreSQL: the parallel workers one query may start, set on each new connection
    (`core.apps.limit_parallel_workers`). The app's queries read a page through an index; a
    parallel plan (chosen for a count or a filter that walks thousands of index entries) costs
    more in starting its workers than it saves, and takes CPUs from the other requests. Empty
    (`None`): the server's own `max_parallel_workers_per_gather`."""
    if not value.strip():
        return None
    message = "DB_PARALLEL_WORKERS must be a whole number from 0 to 1024, or empty."
    try:
        workers = int(value)
    except ValueError:
        raise ImproperlyConfigured(message) from None
    if not 0 <= workers <= 1024:
        raise ImproperlyConfigured(message)
    return workers


DB_PARALLEL_WORKERS = parallel_workers(config("DB_PARALLEL_WORKERS", default="0"))
if DB_ENGINE == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / config("DB_NAME", default="db.sqlite3"),
            # No row locks in SQLite: every transaction takes the write lock up front.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
    # The variants' index carries their options (`INCLUDE`) on PostgreSQL only.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DB_ENGINE == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": config("DB_NAME", default="marketplace"),
            "USER": config("DB_USER", default="postgres"),
            "PASSWORD": config("DB_PASSWORD", default=""),
            "HOST": config("DB_HOST", default="127.0.0.1"),
            "PORT": config("DB_PORT", default="5432"),
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    }
elif DB_ENGINE == "mysql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": config("DB_NAME", default="marketplace"),
            "USER": config("DB_USER", default="root"),
            "PASSWORD": config("DB_PASSWORD", default=""),
            "HOST": config("DB_HOST", default="127.0.0.1"),
            "PORT": config("DB_PORT", default="3306"),
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "charset": "utf8mb4",
                "isolation_level": "read committed",
                "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
            },
            "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
    }
    # MariaDB has no expression indexes: case-insensitive uniqueness comes from the column's
    # `_ci` collation there, so the skipped Lower() constraints are expected, and so are the
    # skipped rating-order indexes of products (PostgreSQL's); the variants' index carries its
    # options (`INCLUDE`) on PostgreSQL only.
    SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W043", "models.W044"]
else:
    raise ImproperlyConfigured("DB_ENGINE must be one of: sqlite, postgresql, mysql.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Passwords ------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(config("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Uploads go through Django's storage API, so where they live is a setting. Local files by
# default (with several servers, MEDIA_ROOT must be a volume they all share); object storage
# with django-storages installed (`pip install "django-storages[s3]"`):
# MEDIA_STORAGE_BACKEND=storages.backends.s3.S3Storage and the AWS_* variables below.
_LOCAL_MEDIA = "django.core.files.storage.FileSystemStorage"
MEDIA_STORAGE_BACKEND = config("MEDIA_STORAGE_BACKEND", default=_LOCAL_MEDIA)
# Media served by the app itself (local files only by default); off when a CDN or S3 serves it.
SERVE_MEDIA = config("SERVE_MEDIA", default=MEDIA_STORAGE_BACKEND == _LOCAL_MEDIA, cast=bool)
STORAGES = {
    "default": {"BACKEND": MEDIA_STORAGE_BACKEND},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if MEDIA_STORAGE_BACKEND.startswith("storages.backends.s3"):
    # Credentials come from the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables
    # (or an instance role). Catalogue answers are cached, so image URLs are public and
    # unsigned by default: serve the bucket (or a CDN before it) publicly readable.
    AWS_STORAGE_BUCKET_NAME = config("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_REGION_NAME = config("AWS_S3_REGION_NAME", default=None)
    AWS_S3_ENDPOINT_URL = config("AWS_S3_ENDPOINT_URL", default=None)  # MinIO, R2, Spaces...
    AWS_S3_CUSTOM_DOMAIN = config("AWS_S3_CUSTOM_DOMAIN", default=None)  # a CDN
    AWS_LOCATION = config("AWS_LOCATION", default="media")
    AWS_QUERYSTRING_AUTH = config("AWS_QUERYSTRING_AUTH", default=False, cast=bool)
    AWS_S3_FILE_OVERWRITE = False
# The docs' assets are found without a collectstatic step, so a fresh checkout serves them.
WHITENOISE_USE_FINDERS = True

# Request bodies are bounded; image uploads have their own limit (products). Any body over
# REQUEST_BODY_MAX_SIZE (an image of 5 MB plus room for its form) is refused unread; JSON and
# form fields over DATA_UPLOAD_MAX_MEMORY_SIZE when parsed: both `413 request_too_large`.
REQUEST_BODY_MAX_SIZE = config("REQUEST_BODY_MAX_SIZE", default=6 * 1024 * 1024, cast=int)
DATA_UPLOAD_MAX_MEMORY_SIZE = config("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440, cast=int)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# --- Django REST framework ------------------------------------------------------------------
# A list's `count` is exact up to this many results, an estimate beyond (core/pagination.py).
PAGINATION_EXACT_COUNT_LIMIT = config("PAGINATION_EXACT_COUNT_LIMIT", default=1_000, cast=int)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.EnvelopeRenderer"],
    # JSON only; an upload view sets `parser_classes = [MultiPartParser]` (or both).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.AccountJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.EnvelopeAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Rates of the throttles in core/throttles.py ("N/sec|min|hour|day").
    "DEFAULT_THROTTLE_RATES": {
        "login": config("THROTTLE_LOGIN", default="10/min"),
        "register": config("THROTTLE_REGISTER", default="5/min"),
        "password_forgot": config("THROTTLE_PASSWORD_FORGOT", default="5/hour"),
        "verify_resend": config("THROTTLE_VERIFY_RESEND", default="5/hour"),
        # Per client IP on the e-mail sending endpoints, whatever the address.
        "email_ip": config("THROTTLE_EMAIL_IP", default="30/hour"),
    },
    # Trusted reverse proxies in front of the app: the client IP is taken from
    # X-Forwarded-For only when this is > 0 (else it could be forged to dodge throttles).
    "NUM_PROXIES": config("NUM_PROXIES", default=0, cast=int),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=config("ACCESS_TOKEN_MINUTES", default=15, cast=int)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=config("REFRESH_TOKEN_DAYS", default=7, cast=int)),
    "ROTATE_REFRESH_TOKENS": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Logins go through users.services, which updates last_login itself.
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Marketplace API",
    "DESCRIPTION": (
        "Multi-vendor e-commerce backend: shops, catalogue, one cart across shops, "
        "checkout split per shop, Paystack payments. Every response is enveloped: "
        "`{status, message, data}` on success, `{status, code, message, errors}` on error."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge (it is fetched from swagger.io): the docs load nothing from outside.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, sans-serif",
                "headings": {"fontFamily": "system-ui, sans-serif"},
            }
        }
    },
    # Every tag an operation uses, in the order the docs show them (tests/core/test_schema.py
    # checks that each is used and described). Operation ids are made from the summaries
    # (core.schema); errors are derived from each view (core.schema's docstring).
    "TAGS": [
        {
            "name": "auth",
            "description": "Registration, e-mail verification, log in and out, "
            "tokens, password reset. Log in gives a JWT pair: send `Authorization: Bearer "
            "<access>`.",
        },
        {
            "name": "users",
            "description": "The caller's own account; the account list for platform admins.",
        },
        {"name": "addresses", "description": "The caller's delivery addresses."},
        {
            "name": "reference",
            "description": "ISO 3166 countries and their states (subdivisions), for addresses "
            "and delivery zones; cacheable.",
        },
        {
            "name": "shops",
            "description": "Shops: the public list, creation by verified "
            "accounts, editing by the owner.",
        },
        {
            "name": "delivery zones",
            "description": "Where a shop delivers, for how much and how soon: its zones of "
            "states, read by anyone, edited by its owner.",
        },
        {
            "name": "staff",
            "description": "A shop's staff accounts, managed by its owner; staff "
            "log in with the shop's code and a handle.",
        },
        {"name": "categories", "description": "The category tree; platform admins edit it."},
        {
            "name": "products",
            "description": "The public catalogue, and products and images for shop members.",
        },
        {"name": "inventory", "description": "Stock levels and their movements, for shop members."},
        {"name": "cart", "description": "One cart across shops, per account."},
        {
            "name": "wishlist",
            "description": "Products the caller saved for later (at most 500), with their "
            "current price and stock.",
        },
        {
            "name": "orders",
            "description": "Checkout (one order group, one order per shop) and "
            "the customer's order groups.",
        },
        {
            "name": "shop orders",
            "description": "A shop's orders and their status changes, for its members.",
        },
        {
            "name": "reviews",
            "description": "Reviews of products by customers who received them (verified "
            "purchases), the shop's reply, hiding by platform admins.",
        },
        {
            "name": "payments",
            "description": "Paying an order group with Paystack, payment "
            "attempts, and Paystack's webhook.",
        },
        {
            "name": "returns",
            "description": "Returns of completed orders (asked by the customer, moved by the "
            "shop) and partial refunds without a return.",
        },
        {
            "name": "settlement",
            "description": "What shops earn: balances, ledgers, monthly statements, "
            "payout accounts and payouts through Paystack Transfers.",
        },
        {
            "name": "operations",
            "description": "Health checks and a ping for load balancers and "
            "benchmarks; they answer outside the success envelope (the ping inside).",
        },
    ],
    # Several models have a `status` field with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "CartLineStatusEnum": "carts.selectors.LineStatus",
        "OrderStatusEnum": "orders.models.Order.Status",
        "OrderGroupStatusEnum": "orders.models.OrderGroup.Status",
        "PaymentAttemptStatusEnum": "payments.models.Payment.Status",
        "PaymentMethodEnum": "orders.models.PaymentMethod",
        "RefundStatusEnum": "payments.models.Refund.Status",
        "ReturnStatusEnum": "orders.models.Return.Status",
        "ReturnReasonEnum": "orders.models.Return.Reason",
        "PayoutStatusEnum": "payments.models.Payout.Status",
        "LedgerEntryKindEnum": "payments.models.LedgerEntry.Kind",
        "ShopStatusEnum": "shops.models.ShopStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_component",
        "core.schema.strip_patch_defaults",
    ],
}

CORS_ALLOWED_ORIGINS = config("CORS_ALLOWED_ORIGINS", default="", cast=Csv())
# Headers a browser client on another origin may read: whether a list's count is exact, and how
# long to wait after a 429 or 503.
CORS_EXPOSE_HEADERS = ["X-Count-Exact", "Retry-After"]

# --- Celery ---------------------------------------------------------------------------------
# The broker, and whether tasks run in-process instead, are set per environment.
CELERY_RESULT_BACKEND = config("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# More than one message per process: an acknowledgement lost with the broker keeps its slot
# until the consumer reconnects, and with a single slot the consumer would never ask the broker
# again, so it would never notice that it must reconnect (it would wait for ever).
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
# A broker restart is waited out, for ever, by a worker that keeps running (the tasks it was
# running are cancelled: they were not acknowledged, so they are delivered again).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Remote control (a fanout mailbox on the broker) has crashed workers on reconnection to Redis;
# nothing here uses it. Gossip and mingle are turned off on the command line (README).
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# Publishing from a web request waits at most about this long for a broker that is down or hung
# (a task that cannot be queued after a commit is logged; the periodic sweeps redo its work).
BROKER_SOCKET_TIMEOUT = config("BROKER_SOCKET_TIMEOUT", default=1.0, cast=float)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "purge-expired-idempotency-keys": {
        "task": "core.tasks.purge_expired_idempotency_keys",
        "schedule": 3600.0,
    },
    "expire-unpaid-order-groups": {
        "task": "payments.tasks.expire_unpaid_order_groups",
        "schedule": 60.0,
    },
    "reverify-pending-payments": {
        "task": "payments.tasks.reverify_pending_payments",
        "schedule": 120.0,
    },
    "retry-failed-refunds": {"task": "payments.tasks.retry_failed_refunds", "schedule": 300.0},
    "reconcile-stale-refunds": {
        "task": "payments.tasks.reconcile_stale_refunds",
        "schedule": 600.0,
    },
    # Work whose task was lost (a broker restart without persistence): queued again.
    "process-unprocessed-webhook-events": {
        "task": "payments.tasks.process_unprocessed_webhook_events",
        "schedule": 300.0,
    },
    "requeue-missing-checkout-emails": {
        "task": "orders.tasks.requeue_missing_checkout_emails",
        "schedule": 600.0,
    },
    "purge-expired-revoked-tokens": {
        "task": "users.tasks.purge_expired_revoked_tokens",
        "schedule": 3600.0,
    },
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = config("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = config("EMAIL_PORT", default=587, cast=int)
    EMAIL_HOST_USER = config("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = config("EMAIL_USE_TLS", default=False, cast=bool)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = config("DEFAULT_FROM_EMAIL", default="Marketplace <no-reply@localhost>")

# --- Product settings -----------------------------------------------------------------------
FRONTEND_URL = config("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
CURRENCY = config("CURRENCY", default="NGN")
# Uploaded images whose header announces more pixels are refused before decoding.
IMAGE_MAX_PIXELS = config("IMAGE_MAX_PIXELS", default=40_000_000, cast=int)
# A product search (PostgreSQL) ranks and answers at most the newest this many matches (and the
# products of the SKU searched for): a word found in half the catalogue stays cheap.
SEARCH_CANDIDATES = config("SEARCH_CANDIDATES", default=1000, cast=int)
PAYMENT_TIMEOUT_MINUTES = config("PAYMENT_TIMEOUT_MINUTES", default=30, cast=int)
# New shops wait for an admin's approval before they are listed and can sell (off: approved at
# once, as in v1).
SHOP_APPROVAL_REQUIRED = config("SHOP_APPROVAL_REQUIRED", default=False, cast=bool)
# How long an attempt Paystack does not know (yet) is asked about before it is `failed`, and an
# unpaid group whose attempts cannot be verified is kept past its deadline.
PAYMENT_VERIFY_GIVE_UP_HOURS = config("PAYMENT_VERIFY_GIVE_UP_HOURS", default=24, cast=int)
# How long after an order's completion its customer may ask to return some of it.
RETURN_WINDOW_DAYS = config("RETURN_WINDOW_DAYS", default=7, cast=int)
PLATFORM_COMMISSION_PERCENT = config("PLATFORM_COMMISSION_PERCENT", default="0", cast=Decimal)
# Settlement (README "Money"): `ledger` (the platform receives every payment and pays the shops
# their earnings by Paystack transfer) or `split` (v1: Paystack splits each payment at once).
SETTLEMENT_MODE = config("SETTLEMENT_MODE", default="ledger")
if SETTLEMENT_MODE not in ("ledger", "split"):
    raise ImproperlyConfigured("SETTLEMENT_MODE must be `ledger` or `split`.")
# Days between an order's completion and its earnings becoming available (the return window).
PAYOUT_HOLD_DAYS = config("PAYOUT_HOLD_DAYS", default=7, cast=int)
PAYOUT_MINIMUM = config("PAYOUT_MINIMUM", default="1000.00", cast=Decimal)
PAYOUT_SCHEDULE_HOURS = config("PAYOUT_SCHEDULE_HOURS", default=24, cast=float)
CELERY_BEAT_SCHEDULE["run-payouts"] = {
    "task": "payments.tasks.run_payouts",
    "schedule": PAYOUT_SCHEDULE_HOURS * 3600.0,
}
# Payouts whose transfer call timed out, or whose webhook never came, are asked about.
CELERY_BEAT_SCHEDULE["verify-open-payouts"] = {
    "task": "payments.tasks.verify_open_payouts",
    "schedule": 900.0,
}
PAYSTACK_SECRET_KEY = config("PAYSTACK_SECRET_KEY", default="")
PAYSTACK_PUBLIC_KEY = config("PAYSTACK_PUBLIC_KEY", default="")
PAYSTACK_BASE_URL = config("PAYSTACK_BASE_URL", default="https://api.paystack.co").rstrip("/")
PAYSTACK_CALLBACK_URL = config("PAYSTACK_CALLBACK_URL", default=f"{FRONTEND_URL}/checkout/complete")
# (connect, read) seconds for every Paystack call.
PAYSTACK_TIMEOUT = (
    config("PAYSTACK_CONNECT_TIMEOUT", default=3, cast=float),
    config("PAYSTACK_READ_TIMEOUT", default=10, cast=float),
)
# Total seconds a payment initialisation may wait for Paystack: it runs in a web request.
PAYSTACK_INITIALIZE_DEADLINE = config("PAYSTACK_INITIALIZE_DEADLINE", default=4, cast=float)
# After this many Paystack failures in a row (within the cool-down), initialisation answers
# 502/504 at once, without calling Paystack, for PAYSTACK_BREAKER_COOLDOWN seconds.
PAYSTACK_BREAKER_THRESHOLD = config("PAYSTACK_BREAKER_THRESHOLD", default=5, cast=int)
PAYSTACK_BREAKER_COOLDOWN = config("PAYSTACK_BREAKER_COOLDOWN", default=30, cast=int)

# --- Security (HTTPS hardening is opt-in so plain-HTTP runs behind a proxy work) -------------
SECURE_SSL_REDIRECT = config("SECURE_SSL_REDIRECT", default=False, cast=bool)
# Load balancers probe the servers over plain HTTP: health checks answer, never redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = config("SECURE_HSTS_SECONDS", default=0, cast=int)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = config("SECURE_COOKIES", default=False, cast=bool)
_proxy_header = config("SECURE_PROXY_SSL_HEADER", default="")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"

# --- Logging: JSON lines on stdout with the request id --------------------------------------
LOG_LEVEL = config("LOG_LEVEL", default="INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIDFilter"}},
    "formatters": {"json": {"()": "core.logging.JSONFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our handlers log every error once with its traceback; Django's copy is noise.
        "django.request": {"level": "CRITICAL"},
    },
}
