"""Server configuration, read once from the environment (12-factor): every worker process of a
deployment reads the same variables, so nothing needs to be shared in memory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"tillpoint-server: {name} must be a whole number, not {raw!r}") from None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    mongodb_uri: str  # empty: the embedded database
    database: str
    data_dir: Path
    jwt_secret: str  # empty: generated once and kept in the database
    access_token_minutes: int = 24 * 60
    refresh_token_days: int = 7
    bcrypt_rounds: int = 12
    max_body_bytes: int = 1_048_576
    cors_origins: tuple[str, ...] = ()
    trust_proxy_tls: bool = False  # behind a TLS-terminating proxy: send HSTS
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Tillpoint <no-reply@tillpoint.local>"
    public_url: str = "http://127.0.0.1:8700"
    email_worker: bool = True
    login_max_failures: int = 5
    lockout_minutes: int = 15
    auth_rate_per_minute_ip: int = 30
    auth_rate_per_minute_account: int = 10
    pairing_code_minutes: int = 15
    #: how long a stopping server waits for requests in flight (one retrying against a
    #: database that is gone keeps going until then)
    graceful_shutdown_s: int = 30
    api_keys: tuple[str, ...] = field(default=())
    # commerce (issue 5)
    online_store_code: str = ""  # the store online orders belong to ("" = the first store)
    search_worker: bool = True  # follow the change log into the search read model
    search_dir: Path | None = None  # the read model's files (default: <data_dir>/search)
    cart_worker: bool = True  # abandoned-cart mails
    abandoned_cart_hours: int = 24
    shipping_flat_minor: int = 495  # online orders' shipping, in the store currency's minor units
    free_shipping_from_minor: int = 5000  # merchandise total from which shipping is free (0: never)
    max_image_bytes: int = 5 * 1024 * 1024
    # card payments (issue 8): the Stripe webhook endpoint's signing secret (whsec_…); empty
    # refuses every event (503), since an unsigned event could mark any sale paid or refunded
    stripe_webhook_secret: str = ""
    stripe_webhook_tolerance_s: int = 300

    @classmethod
    def from_env(cls) -> "ServerSettings":
        data_dir = Path(_env("TILLPOINT_SERVER_DATA_DIR")
                        or platformdirs.user_data_dir("tillpoint-server"))
        return cls(
            mongodb_uri=_env("TILLPOINT_MONGODB_URI"),
            database=_env("TILLPOINT_MONGODB_DB", "tillpoint"),
            data_dir=data_dir,
            jwt_secret=_env("TILLPOINT_JWT_SECRET"),
            access_token_minutes=_int("TILLPOINT_ACCESS_TOKEN_MINUTES", 24 * 60),
            refresh_token_days=_int("TILLPOINT_REFRESH_TOKEN_DAYS", 7),
            bcrypt_rounds=_int("TILLPOINT_BCRYPT_ROUNDS", 12),
            max_body_bytes=_int("TILLPOINT_MAX_BODY_BYTES", 1_048_576),
            cors_origins=tuple(o for o in _env("TILLPOINT_CORS_ORIGINS").split(",") if o),
            trust_proxy_tls=_env("TILLPOINT_BEHIND_TLS_PROXY") in ("1", "true", "yes"),
            smtp_host=_env("TILLPOINT_SMTP_HOST"),
            smtp_port=_int("TILLPOINT_SMTP_PORT", 25),
            smtp_user=_env("TILLPOINT_SMTP_USER"),
            smtp_password=_env("TILLPOINT_SMTP_PASSWORD"),
            smtp_starttls=_env("TILLPOINT_SMTP_STARTTLS") in ("1", "true", "yes"),
            mail_from=_env("TILLPOINT_MAIL_FROM", "Tillpoint <no-reply@tillpoint.local>"),
            public_url=_env("TILLPOINT_PUBLIC_URL", "http://127.0.0.1:8700"),
            email_worker=_env("TILLPOINT_EMAIL_WORKER", "1") not in ("0", "false", "no"),
            login_max_failures=_int("TILLPOINT_LOGIN_MAX_FAILURES", 5),
            lockout_minutes=_int("TILLPOINT_LOCKOUT_MINUTES", 15),
            auth_rate_per_minute_ip=_int("TILLPOINT_AUTH_RATE_PER_MINUTE_IP", 30),
            auth_rate_per_minute_account=_int("TILLPOINT_AUTH_RATE_PER_MINUTE_ACCOUNT", 10),
            online_store_code=_env("TILLPOINT_ONLINE_STORE"),
            search_worker=_env("TILLPOINT_SEARCH_WORKER", "1") not in ("0", "false", "no"),
            search_dir=Path(_env("TILLPOINT_SEARCH_DIR")) if _env("TILLPOINT_SEARCH_DIR") else None,
            cart_worker=_env("TILLPOINT_CART_WORKER", "1") not in ("0", "false", "no"),
            abandoned_cart_hours=_int("TILLPOINT_ABANDONED_CART_HOURS", 24),
            shipping_flat_minor=_int("TILLPOINT_SHIPPING_FLAT", 495),
            free_shipping_from_minor=_int("TILLPOINT_FREE_SHIPPING_FROM", 5000),
            max_image_bytes=_int("TILLPOINT_MAX_IMAGE_BYTES", 5 * 1024 * 1024),
            pairing_code_minutes=_int("TILLPOINT_PAIRING_CODE_MINUTES", 15),
            graceful_shutdown_s=_int("TILLPOINT_GRACEFUL_SHUTDOWN_S", 30),
            stripe_webhook_secret=_env("TILLPOINT_STRIPE_WEBHOOK_SECRET"),
            stripe_webhook_tolerance_s=_int("TILLPOINT_STRIPE_WEBHOOK_TOLERANCE_S", 300),
        )
