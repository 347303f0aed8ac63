"""Service jobs as Ray tasks (`dataforge serve --ray-address`). The service's workers still take jobs from its
database queue; each job then runs as one Ray task that asks the cluster for its resources (CPUs for data jobs,
GPUs for training), so jobs go wherever the cluster has room and wait in Ray's queue when it has none. The
task's end is the job's state: succeeded, failed with Ray's reason (a worker or node that died, an error), or
cancelled by ray.cancel."""

from __future__ import annotations

from collections.abc import Callable

from dataforge.engine.ray_cluster import require_ray


def connect(address: str) -> None:
    """Join the cluster once per worker process (RAY_AUTH_MODE, RAY_ADDRESS etc. come from the environment)."""
    ray = require_ray()
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False, configure_logging=False)


def resources(kind: str) -> dict:
    """What a job asks the cluster for. Data jobs: one CPU (their stages run in one process). Training: one
    GPU when the cluster has any (recipes do not name a GPU count yet; multi-GPU training stays `accelerate
    launch` inside the job), else one CPU."""
    ray = require_ray()
    if kind == "train" and ray.cluster_resources().get("GPU", 0) >= 1:
        return {"num_cpus": 1, "num_gpus": 1}
    return {"num_cpus": 1, "num_gpus": 0}


class RemoteJob:
    """One job running as a Ray task: `fn(arg)` on some node of the cluster."""

    def __init__(self, fn: Callable, arg: object, kind: str):
        ray = require_ray()
        # max_retries=0: a job whose worker dies fails with the reason rather than running twice behind the
        # service's back; the service's own requeue decides about running it again.
        self.ref = ray.remote(max_retries=0, **resources(kind))(fn).remote(arg)

    def done(self, timeout: float) -> bool:
        ray = require_ray()
        ready, _ = ray.wait([self.ref], timeout=timeout)
        return bool(ready)

    def cancel(self) -> None:
        require_ray().cancel(self.ref, force=True)

    def outcome(self) -> tuple[str, object]:
        """("succeeded", the task's return value), ("cancelled", None) or ("failed", one-line reason)."""
        ray = require_ray()
        from ray.exceptions import RayError, TaskCancelledError

        try:
            return "succeeded", ray.get(self.ref)
        except TaskCancelledError:
            return "cancelled", None
        except RayError as exc:
            lines = [x for x in str(exc).strip().splitlines() if x.strip()]
            return "failed", f"on Ray: {type(exc).__name__}: {lines[-1] if lines else exc}"
