"""Merged safetensors give the same logits as base + PEFT adapter (float32 tiny model)."""

import json

import pytest

from dataforge.export.merge import merge_adapter
from dataforge.run.run_dir import open_run

pytestmark = pytest.mark.slow  # needs a trained tiny run (session fixture, ~15 s once)


def test_merged_logits_equal_peft_logits(overfit_run, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run = open_run(overfit_run)
    out = merge_adapter(run, tmp_path / "merged")
    assert (out / "model.safetensors").exists() and (out / "tokenizer.json").exists()
    assert not (out / "adapter_config.json").exists()
    assert json.loads((out / "dataforge_merge.json").read_text())["dtype"] == "float32"

    tok = AutoTokenizer.from_pretrained(out)
    ids = tok.apply_chat_template([{"role": "user", "content": "Kahve telvesi ne işe yarar?"}],
                                  add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]
    base = AutoModelForCausalLM.from_pretrained(run.base_model(), dtype=torch.float32)
    peft_model = PeftModel.from_pretrained(base, str(run.final_adapter())).eval()
    merged = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    with torch.no_grad():
        want = peft_model(ids).logits
        got = merged(ids).logits
        with peft_model.disable_adapter():
            base_logits = peft_model(ids).logits
    assert torch.allclose(got, want, atol=1e-4, rtol=1e-4)
    assert (want - base_logits).abs().max() > 1e-2  # the adapter really changes the model


def test_qlora_run_merges_into_dequantised_bf16_base(overfit_run, tmp_path):
    """A QLoRA run (method qlora in the manifest) merges into a bf16 base, never into 4-bit weights."""
    import shutil

    import torch
    from transformers import AutoModelForCausalLM

    run_dir = tmp_path / "qlora-run"
    shutil.copytree(overfit_run, run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["config"]["method"] = "qlora"
    manifest["config"]["quant"]["load_in_4bit"] = True
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    run = open_run(run_dir)
    assert run.is_quantized()
    out = merge_adapter(run, tmp_path / "merged")
    note = json.loads((out / "dataforge_merge.json").read_text())
    assert note == {**note, "dtype": "bfloat16", "quantized_base_dequantised": True}
    merged = AutoModelForCausalLM.from_pretrained(out)
    assert merged.dtype == torch.bfloat16
    full = merge_adapter(open_run(overfit_run), tmp_path / "merged32")
    ref = AutoModelForCausalLM.from_pretrained(full, dtype=torch.float32)
    w16 = merged.model.layers[0].self_attn.q_proj.weight.float()
    w32 = ref.model.layers[0].self_attn.q_proj.weight
    assert torch.allclose(w16, w32, atol=1e-2, rtol=1e-2) and not torch.equal(w16, w32)
