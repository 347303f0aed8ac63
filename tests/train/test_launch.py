from __future__ import annotations

import pytest

from dataforge.errors import UsageError
from dataforge.train.launch import accelerate_config


@pytest.mark.parametrize(("name", "kind"), [("ddp", "MULTI_GPU"), ("fsdp_qlora", "FSDP")])
def test_shipped_accelerate_configs_resolve_and_load(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    path = accelerate_config(name)
    assert path.endswith(f"trainers/accelerate/{name}.yaml")
    assert str(load_config_from_file(path).distributed_type) in (kind, f"DistributedType.{kind}")


def test_unknown_accelerate_config_is_a_usage_error():
    with pytest.raises(UsageError, match="shipped: ddp, fsdp_qlora"):
        accelerate_config("nope")
