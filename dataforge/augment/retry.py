"""Retries with exponential backoff for network backends, and a simple request-rate limit.

Retried: timeouts, connection errors, HTTP 429 and 5xx (the server is busy or briefly down). Not retried: other
4xx (a wrong key or request will not fix itself), which fail at once with the status in the message.

A failure that cannot succeed ends the whole run, not only its text: concurrent workers share a `threading.Event`
(`stop`), and once it is set no new request starts and no retry waits (issue 11: a refused endpoint used to be
reported only after every text of a 64-record chunk had been tried, 8 minutes with the defaults).

Secrets (API keys) never reach a message or the cache: `Secrets.redact` replaces them in anything a server sent
back, because servers and client libraries echo keys (deep-translator's AuthorizationException puts the key in
its message; a proxy may echo the Authorization header in its error body).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from dataforge.errors import UsageError

T = TypeVar("T")


class BackendError(UsageError):
    """A model service or translator that cannot be reached or keeps failing: exit 2, one line."""


class Cancelled(Exception):
    """Raised in a worker when another worker's failure has already stopped the run."""


class Secrets:
    """The secret values of one backend (API keys). `redact` removes them from text a server sent back."""

    MASK = "[REDACTED]"

    def __init__(self, *values: str | None):
        # Keys shorter than 4 characters would redact ordinary words; no real API key is that short.
        self.values = sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, self.MASK)
        return text


class Transient(Exception):
    """A failure worth retrying. `wait` is the server's Retry-After in seconds, when it sent one."""

    def __init__(self, message: str, wait: float | None = None):
        super().__init__(message)
        self.wait = wait


class RateLimit:
    """At most `per_second` calls per second across threads (0 = unlimited): calls are spaced evenly."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


def with_retries(call: Callable[[], T], *, retries: int, backoff: float, what: str,
                 stop: threading.Event | None = None) -> T:
    """Run `call`; on Transient wait backoff * 2**attempt (or Retry-After, capped at 60 s) and try again.
    After `retries` retries, raise BackendError naming the backend and the last failure. When `stop` is set
    (another worker failed for good), raise Cancelled instead of starting or retrying a request."""
    stop = stop or threading.Event()
    for attempt in range(retries + 1):
        if stop.is_set():
            raise Cancelled(what)
        try:
            return call()
        except Transient as exc:
            if attempt == retries:
                raise BackendError(f"{what}: {exc} (gave up after {retries} retries)") from None
            delay = exc.wait if exc.wait is not None else backoff * 2 ** attempt
            if stop.wait(min(delay, 60.0)):
                raise Cancelled(what) from None
    raise AssertionError("unreachable")
