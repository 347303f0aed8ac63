"""Service jobs as Ray tasks (`dataforge serve --ray-address`). The service's workers still take jobs from its
database queue; each job then runs as one Ray task that asks the cluster for its resources (one CPU for data
jobs; `train.num_gpus` of the recipe for training), so jobs go wherever the cluster has room and wait in Ray's
queue when it has none. The task writes a start marker first thing, so the service can tell a job still waiting
in Ray's queue from one that runs. The task's end is the job's state: succeeded, failed with Ray's reason (a
worker or node that died, an error), or cancelled by ray.cancel."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from dataforge.engine.ray_cluster import require_ray
from dataforge.errors import UsageError


def connect(address: str) -> None:
    """Join the cluster once per worker process (RAY_AUTH_MODE, RAY_ADDRESS etc. come from the environment)."""
    ray = require_ray()
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False, configure_logging=False)


def resources(kind: str, recipe: str | None = None, overrides: dict | None = None) -> dict:
    """What a job asks the cluster for. Data jobs: one CPU (their stages run in one process). Training: one CPU
    and `train.num_gpus` of the recipe with the job's overrides applied (multi-GPU training is `accelerate
    launch` inside the job, on the task's GPUs)."""
    if kind != "train":
        return {"num_cpus": 1, "num_gpus": 0}
    if recipe is None:
        raise ValueError("a train job's resources come from its recipe: pass recipe=")
    from dataforge.train.recipes import load_recipe, override_pairs

    spec, _ = load_recipe(recipe, override_pairs(overrides or {}))
    return {"num_cpus": 1, "num_gpus": spec.train.num_gpus}


def waiting_message(asks: dict) -> str:
    """"waiting for 1 CPU on the Ray cluster", "waiting for 2 GPUs on the Ray cluster": what a job in Ray's
    queue waits for (the GPUs when it asks for any: those are what a busy cluster runs out of)."""
    n, unit = (asks["num_gpus"], "GPU") if asks.get("num_gpus") else (asks.get("num_cpus", 1), "CPU")
    return f"waiting for {_count(n, unit)} on the Ray cluster"


class DoesNotFit(UsageError):
    """No node of the cluster has what the job asks for: it would wait in Ray's queue forever."""


def check_fits(asks: dict) -> None:
    """Raise DoesNotFit when the largest alive node has fewer GPUs (or CPUs) than the job asks for. Ray would
    queue such a task forever; a job fails at once with the reason instead. (An autoscaling cluster whose big
    nodes are not up yet looks the same: this checks the nodes that are there.)"""
    ray = require_ray()
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    for key, unit, what in (("num_gpus", "GPU", "the recipe asks for"), ("num_cpus", "CPU", "the job asks for")):
        want = asks.get(key, 0)
        most = max((r.get(unit, 0) for r in nodes), default=0)
        if want and most < want:
            raise DoesNotFit(f"{what} {_count(want, unit)}; the largest node of the Ray cluster has {most:g}")


def _count(n: float, unit: str) -> str:
    return f"{n:g} {unit}{'' if n == 1 else 's'}"


def _task(fn: Callable, arg: object, started: str | None, gpus: float) -> object:
    """The job inside its Ray worker: write the start marker, hide the GPUs from a job that asked for none, run."""
    import ray

    if not gpus:
        # Ray sets CUDA_VISIBLE_DEVICES to a task's own GPUs when it has num_gpus > 0. For num_gpus=0 older Ray
        # set it to "", but Ray now leaves it alone (RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO defaults to off since
        # ray-project/ray#62492; so in 2.60), so a CPU job would see, and might take, every GPU of its node.
        # Set here, before anything in the job imports torch (max_calls=1: the process ends with the job).
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    if started:
        ctx = ray.get_runtime_context()
        body = {"node": ctx.get_node_id(), "task": ctx.get_task_id(), "gpus": os.environ.get("CUDA_VISIBLE_DEVICES")}
        with open(started + ".tmp", "w") as fh:
            json.dump(body, fh)
        os.replace(started + ".tmp", started)
    return fn(arg)


class RemoteJob:
    """One job running as a Ray task: `fn(arg)` on some node of the cluster. `started`: a file the task writes
    (node and task ids) when it starts on a node."""

    def __init__(self, fn: Callable, arg: object, asks: dict, started: str | None = None):
        ray = require_ray()
        check_fits(asks)
        # max_retries=0: a job whose worker dies fails with the reason rather than running twice behind the
        # service's back; the service's own requeue decides about running it again. max_calls=1: each job gets
        # a fresh worker process, so no GPU state or CUDA_VISIBLE_DEVICES of one job leaks into the next.
        self.ref = ray.remote(max_retries=0, max_calls=1, **asks)(_task).remote(fn, arg, started,
                                                                                asks.get("num_gpus", 0))

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
