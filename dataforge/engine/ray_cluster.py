"""Joining a Ray cluster (or starting a local one) for `--engine ray`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dataforge.errors import UsageError

INSTALL_HINT = "pip install 'dataforge[ray]'"


def offline() -> None:
    """Offline by default (DESIGN.md): Ray's usage statistics would be sent to Anyscale, and Ray Data's usage
    poller queries metrics endpoints; both off unless the user sets these variables otherwise."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DATA_USAGE_DISABLED", "1")


def require_ray():
    """The ray module, or a UsageError that names the extra to install."""
    offline()
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data ships in the extra, not in plain `ray`)
    except ImportError:
        raise UsageError(f"--engine ray needs Ray Data: {INSTALL_HINT}") from None
    return ray


@contextmanager
def connected(address: str | None) -> Iterator[object]:
    """Ray, connected for the duration. `address`: None (RAY_ADDRESS, else a cluster `ray start` left on this
    machine, else a new local one that ends with the command), "auto" (a running cluster on this machine; an
    error when there is none) or ray://HOST:PORT. A process already connected (the service, tests) stays so."""
    ray = require_ray()
    if ray.is_initialized():
        _quiet_data()
        yield ray
        return
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    except ConnectionError as exc:
        raise UsageError(f"--ray-address {address}: no Ray cluster there ({exc}); start one with "
                         "`ray start --head`, or leave out --ray-address to run a local one") from None
    try:
        _quiet_data()
        yield ray
    finally:
        ray.shutdown()


def _quiet_data() -> None:
    """Ray Data draws progress bars and logs its plan; dataforge reports its own stages."""
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    ctx.execution_options.preserve_order = True  # block order is record order: the outputs are written in it
    # Sort-based shuffles run as plain tasks; the hash shuffle starts aggregator actors (200 partitions by
    # default), too heavy for the small partition counts the duplicate steps use.
    from ray.data.context import ShuffleStrategy

    ctx.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
