"""Translation services through deep-translator (google, deepl, microsoft, libre, mymemory, ...), made safe for
long runs: a real socket timeout, retries with backoff on timeouts / 429 / 5xx, a request-rate limit, batches.

deep-translator calls `requests.get/post` without a timeout and hides the HTTP status inside its own exception
types. We hand each translator module a thin stand-in for `requests` that adds our timeout and remembers the last
status code, so the retry decision is made on the real status. API keys come from the environment (the variable
named by --api-key-env, or deep-translator's own default variable) and are never logged.
"""

from __future__ import annotations

import importlib
import os
import threading

from dataforge.augment.retry import BackendError, RateLimit, Secrets, Transient, with_retries
from dataforge.errors import MissingDependency, UsageError

# service -> (deep_translator module, class name)
SERVICES = {
    "google": ("google", "GoogleTranslator"), "deepl": ("deepl", "DeeplTranslator"),
    "microsoft": ("microsoft", "MicrosoftTranslator"), "libre": ("libre", "LibreTranslator"),
    "mymemory": ("mymemory", "MyMemoryTranslator"), "yandex": ("yandex", "YandexTranslator"),
    "papago": ("papago", "PapagoTranslator"), "qcri": ("qcri", "QcriTranslator"),
    "linguee": ("linguee", "LingueeTranslator"),
}


class _TimedRequests:
    """What deep-translator's modules see as `requests`: the same calls with a timeout; the status is kept."""

    def __init__(self, real, timeout: float):
        self.real, self.timeout = real, timeout
        self.exceptions = real.exceptions
        self.local = threading.local()

    def _call(self, verb: str, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        self.local.status, self.local.retry_after = None, None
        response = getattr(self.real, verb)(*args, **kwargs)
        self.local.status = response.status_code
        self.local.retry_after = response.headers.get("Retry-After")
        return response

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def post(self, *args, **kwargs):
        return self._call("post", *args, **kwargs)


class WebTranslator:
    """One direction (source -> target) of one service."""

    def __init__(self, service: str, source: str, target: str, *, timeout: float = 30.0, retries: int = 5,
                 rate_limit: float = 0.0, api_key_env: str | None = None, base_url: str | None = None,
                 backoff: float = 0.5):
        if service not in SERVICES:
            raise UsageError(f"--backend: unknown service {service!r}: choose one of {', '.join(SERVICES)}")
        try:
            import requests
            module = importlib.import_module(f"deep_translator.{SERVICES[service][0]}")
        except ImportError:
            raise MissingDependency("deep-translator", "augment") from None
        if not isinstance(module.requests, _TimedRequests):  # one stand-in per module, shared by both directions
            module.requests = _TimedRequests(requests, timeout)  # see the module docstring
        module.requests.timeout = timeout
        self.requests = module.requests
        kwargs = {"source": source, "target": target}
        self.secrets = Secrets(os.environ.get(api_key_env) if api_key_env else None)
        if api_key_env:
            if not os.environ.get(api_key_env):
                raise UsageError(f"--api-key-env: the environment variable {api_key_env} is not set")
            kwargs["api_key"] = os.environ[api_key_env]
        if base_url:
            kwargs["custom_url"] = base_url.rstrip("/") + "/"
        try:
            self.client = getattr(module, SERVICES[service][1])(**kwargs)
        except Exception as exc:  # deep-translator raises its own types for missing keys and bad languages
            raise UsageError(f"--backend {service}: {type(exc).__name__}: {exc}") from None
        self.service, self.retries, self.backoff = service, retries, backoff
        self.where = f"{service}" + (f" at {base_url}" if base_url else "")
        self.limit = RateLimit(rate_limit)
        self.key = f"{service}|{base_url or ''}|{source}->{target}"

    def _one(self, text: str) -> str:
        self.limit.wait()
        try:
            out = self.client.translate(text)
        except self.requests.exceptions.Timeout:
            raise Transient("timed out") from None
        except self.requests.exceptions.ConnectionError as exc:
            raise Transient(f"cannot connect ({type(exc).__name__})") from None
        except Exception as exc:
            status = getattr(self.requests.local, "status", None)
            if status == 429 or (status is not None and status >= 500):
                wait = getattr(self.requests.local, "retry_after", None)
                raise Transient(f"HTTP {status}", float(wait) if wait and wait.isdigit() else None) from None
            # deep-translator's messages can hold the key (AuthorizationException: "... with the api key <key>").
            hint = " (check the key in --api-key-env)" if status in (401, 403) else ""
            raise BackendError(self.secrets.redact(f"{self.where}: {type(exc).__name__}: {exc}") +
                               (f" (HTTP {status})" if status else "") + hint) from None
        if not isinstance(out, str):
            raise BackendError(f"{self.where}: answered {type(out).__name__}, not text")
        return self.secrets.redact(out)  # never cache or write a key the service echoed

    def translate(self, texts: list[str]) -> list[str]:
        """One call per text (the services' batch endpoints are per-text loops in deep-translator too)."""
        return [with_retries(lambda t=t: self._one(t), retries=self.retries, backoff=self.backoff,
                             what=self.where) for t in texts]
