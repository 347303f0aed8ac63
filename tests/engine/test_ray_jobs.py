"""What a service job asks the Ray cluster for (no cluster needed): data jobs one CPU, train the recipe's
train.num_gpus with the job's overrides applied, and the message a job shows while it waits for them."""

from __future__ import annotations

import pytest

from dataforge.engine.ray_jobs import resources, waiting_message
from dataforge.errors import UsageError


def test_data_jobs_ask_for_one_cpu():
    for kind in ("check", "clean", "split", "augment", "evaluate", "export"):
        assert resources(kind) == {"num_cpus": 1, "num_gpus": 0}
    assert waiting_message(resources("check")) == "waiting for 1 CPU on the Ray cluster"


def test_train_asks_for_the_recipes_gpus_with_the_jobs_overrides():
    assert resources("train", "qlora") == {"num_cpus": 1, "num_gpus": 1}
    assert resources("train", "tiny-cpu") == {"num_cpus": 1, "num_gpus": 0}
    asks = resources("train", "qlora", {"train.num_gpus": 2, "train.max_steps": 5})
    assert asks == {"num_cpus": 1, "num_gpus": 2}
    assert waiting_message(asks) == "waiting for 2 GPUs on the Ray cluster"
    assert waiting_message(resources("train", "qlora")) == "waiting for 1 GPU on the Ray cluster"
    with pytest.raises(UsageError):
        resources("train", "qlora", {"train.num_gpus": -1})
