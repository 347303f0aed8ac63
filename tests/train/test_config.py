from __future__ import annotations

import pytest

from dataforge.errors import UsageError
from dataforge.run.config import Recipe
from dataforge.train.recipes import SHIPPED, describe, load_recipe, override_pairs, parse_overrides, trainers_dir


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_recipe_loads_and_validates(name):
    recipe, path = load_recipe(str(trainers_dir() / f"{name}.yaml"))
    assert path.name == f"{name}.yaml"
    assert recipe.name == name
    assert recipe.data.train, "every shipped recipe names training data"


def test_no_recipe_file_is_left_out_of_the_shipped_list():
    assert sorted(p.stem for p in trainers_dir().glob("*.yaml")) == sorted(SHIPPED)


def test_qlora_recipe_has_the_paper_settings():
    r, _ = load_recipe("qlora")
    assert (r.method, r.quant.load_in_4bit, r.quant.quant_type, r.quant.double_quant, r.quant.compute_dtype) == (
        "qlora", True, "nf4", True, "bfloat16")
    assert (r.lora.r, r.lora.alpha, r.lora.dropout) == (16, 32, 0.05)
    assert r.lora.target_modules == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    assert (r.train.optim, r.train.gradient_checkpointing, r.train.learning_rate) == ("paged_adamw_8bit", True, 2e-4)
    assert (r.train.lr_scheduler, r.train.warmup_ratio) == ("cosine", 0.03)


def test_overrides_keep_their_types_and_the_stable_keys_work():
    r, _ = load_recipe("tiny-cpu", ["model.name=/models/x", "data.train=a.jsonl", "data.val=[b.jsonl, c.jsonl]",
                                     "output_dir=runs/x", "method=dora", "seed=7", "train.epochs=2",
                                     "train.max_steps=30", "train.learning_rate=1e-4", "train.batch_size=3",
                                     "train.max_length=64"])
    assert r.model.name == "/models/x" and r.data.train == ["a.jsonl"] and r.data.val == ["b.jsonl", "c.jsonl"]
    assert (r.output_dir, r.method, r.seed, r.train.epochs, r.train.max_steps) == ("runs/x", "dora", 7, 2.0, 30)
    assert (r.train.learning_rate, r.train.batch_size, r.train.max_length) == (1e-4, 3, 64)
    assert str(r.run_dir) == "runs/x"


def test_all_problems_are_reported_at_once():
    with pytest.raises(UsageError) as err:
        load_recipe("tiny-cpu", ["train.max_steps=abc", "bogus=1", "lora.rr=3", "train.batch_size=0", "nokey"])
    lines = err.value.lines()
    assert "5 problem(s)" in lines[0]
    text = "\n".join(lines)
    for key in ("train.max_steps", "bogus: unknown key", "lora.rr: unknown key; valid keys here: alpha, bias",
                "train.batch_size: Input should be greater than 0", "nokey: expected key=value"):
        assert key in text
    assert err.value.exit_code == 2


def test_qlora_without_4bit_is_a_config_error():
    with pytest.raises(UsageError) as err:
        load_recipe("qlora", ["quant.load_in_4bit=false"])
    assert "method qlora needs quant.load_in_4bit=true" in err.value.lines()[1]


def test_unknown_recipe_name_names_the_shipped_ones():
    with pytest.raises(UsageError, match="shipped recipes: qlora, lora"):
        load_recipe("nope")


def test_yaml_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntrain: [\n", encoding="utf-8")
    with pytest.raises(UsageError) as err:
        load_recipe(str(bad))
    assert f"{bad}:3: yaml: not valid YAML" in err.value.lines()[0]


def test_every_field_has_help():
    rows = describe(Recipe)
    assert len(rows) > 40
    assert all(help_text for _, _, help_text in rows)


def test_parse_overrides_nests_keys():
    tree, problems = parse_overrides(["a.b.c=1", "a.d=true", "e=[1, 2]"])
    assert tree == {"a": {"b": {"c": 1}, "d": True}, "e": [1, 2]} and problems == []


def test_num_gpus_defaults_to_one_cpu_recipes_ask_for_none_and_a_bad_value_is_one_line():
    assert load_recipe("qlora")[0].train.num_gpus == 1
    assert load_recipe("tiny-cpu")[0].train.num_gpus == 0 and load_recipe("smollm2-cpu")[0].train.num_gpus == 0
    assert load_recipe("qlora", ["train.num_gpus=4"])[0].train.num_gpus == 4
    for bad, why in (("-1", "greater than or equal to 0 (got -1)"), ("two", "valid integer")):
        with pytest.raises(UsageError) as err:
            load_recipe("qlora", [f"train.num_gpus={bad}"])
        lines = err.value.lines()
        assert len(lines) == 2 and lines[1].startswith("<command line>: train.num_gpus: ") and why in lines[1]


def test_override_pairs_turn_json_overrides_into_key_value_pairs_that_load_back():
    overrides = {"train.max_steps": 30, "train.num_gpus": 2, "lora.target_modules": ["q_proj", "v_proj"],
                 "model.name": "/models/x", "train.packing": False, "train.learning_rate": 1e-4}
    pairs = override_pairs(overrides)
    assert pairs == ["train.max_steps=30", "train.num_gpus=2", 'lora.target_modules=["q_proj", "v_proj"]',
                     "model.name=/models/x", "train.packing=false", "train.learning_rate=0.0001"]
    r, _ = load_recipe("tiny-cpu", pairs)
    assert (r.train.max_steps, r.train.num_gpus, r.lora.target_modules) == (30, 2, ["q_proj", "v_proj"])
    assert (r.model.name, r.train.packing, r.train.learning_rate) == ("/models/x", "none", 1e-4)
