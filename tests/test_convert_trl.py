"""Chat output of `convert` is a conversational dataset TRL trains on: loads with datasets, trains a few steps."""

import pytest

from tests.conftest import SAMPLE


@pytest.mark.slow
def test_converted_chat_trains_in_sft_trainer(tmp_path):
    datasets = pytest.importorskip("datasets")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from dataforge.convert import convert
    from dataforge.train.tiny import build_tiny, texts_of

    out = tmp_path / "chat.jsonl"  # alpaca with inputs and history: its chat records carry `meta` too
    assert convert(str(SAMPLE / "instructions_tr.jsonl"), "chat", str(out)).written == 77
    ds = datasets.load_dataset("json", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == 77 and ds[0]["messages"][0]["role"] == "user"

    model_dir = build_tiny(tmp_path / "tiny", texts_of([str(SAMPLE / "instructions_tr.jsonl")]))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    args = SFTConfig(output_dir=str(tmp_path / "run"), max_steps=4, per_device_train_batch_size=4, max_length=128,
                     learning_rate=1e-3, logging_steps=1, report_to="none", save_strategy="no", use_cpu=True,
                     assistant_only_loss=True, seed=0, disable_tqdm=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=tokenizer)
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    assert len(losses) == 4 and all(loss > 0 for loss in losses)
