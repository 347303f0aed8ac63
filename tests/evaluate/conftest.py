"""Session fixtures: one tiny base model and two trained tiny runs, shared with tests/export."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    import torch

    torch.set_num_threads(1)  # tiny models: one thread is ~4x faster than two contended ones
    return tmp_path_factory.getbasetemp() / "tiny_runs"


@pytest.fixture(scope="session")
def tiny_base(tiny_root):
    from tests.evaluate import tiny

    return tiny.build_base(tiny_root / "base")


@pytest.fixture(scope="session")
def overfit_run(tiny_root):
    from tests.evaluate import tiny

    return tiny.overfit_run(tiny_root)


@pytest.fixture(scope="session")
def healthy_run(tiny_root):
    from tests.evaluate import tiny

    return tiny.healthy_run(tiny_root)
