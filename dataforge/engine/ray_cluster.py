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
    error when there is none) or HOST:PORT (a head's GCS). A process already connected (the service, tests)
    stays so. Ray Client addresses (ray://) are refused: Ray Data needs a driver that is part of the cluster."""
    ray = require_ray()
    refuse_ray_client(address)
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


def refuse_ray_client(address: str | None) -> None:
    """Ray Data does not run over Ray Client: its driver talks to the local raylet and object store, which a
    client has not got (it fails inside Ray with "'Worker' object has no attribute 'core_worker'" or "Global
    node is not initialized"; ray-project/ray#48682, #41333). Say so before connecting, in one line."""
    given = address or os.environ.get("RAY_ADDRESS")
    where = f"--ray-address {address}" if address else f"RAY_ADDRESS={given}"
    if given and given.strip().lower().startswith("ray://"):
        raise UsageError(f"{where}: a Ray Client address, and Ray Data (--engine ray) does not work over Ray "
                         "Client: run the command on a node of the cluster with `--ray-address auto`, or give "
                         "the head's GCS address as HOST:PORT (e.g. HEAD:6379)")


def _quiet_data() -> None:
    """Ray Data draws progress bars and logs its plan and every dataset's end; dataforge reports its own stages.
    Its warnings and errors still show, except the one that says its progress bars are off."""
    import logging

    from ray.data import DataContext

    logging.getLogger("ray.data._internal.execution.streaming_executor").setLevel(logging.WARNING)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    ctx.execution_options.preserve_order = True  # block order is record order: the outputs are written in it
    # Sort-based shuffles run as plain tasks; the hash shuffle starts aggregator actors (200 partitions by
    # default), too heavy for the small partition counts the duplicate steps use.
    from ray.data.context import ShuffleStrategy

    ctx.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
