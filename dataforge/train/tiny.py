"""Tiny local assets for the CPU demo and the tests: a BPE tokenizer trained on the given texts and a random-init
Llama (hidden 64, 2 layers) saved beside it. Nothing is downloaded."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dataforge.train.chat_template import CHATML

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Small enough that 60 CPU steps take about a minute, big enough to show the loss falling.
TINY_LLAMA = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=1024, tie_word_embeddings=False,
                  # wider than the usual 0.02 so a LoRA on a random model can move the logits enough to learn
                  initializer_range=0.3)


# 8192 merges on the sample text keep every sample record under 320 tokens (1024 gave records up to 507 tokens):
# the demo trains short sequences and its quality gate sees no truncation.
VOCAB_SIZE = 8192


def train_bpe(texts: Iterable[str], vocab_size: int = VOCAB_SIZE):
    """The byte-level BPE (tokenizers only: `plan` uses it to learn the tiny model's real vocabulary size)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def build_tokenizer(texts: Iterable[str], out_dir: Path, vocab_size: int = VOCAB_SIZE):
    from transformers import PreTrainedTokenizerFast

    tok = train_bpe(texts, vocab_size)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   bos_token=None, unk_token=None)
    fast.chat_template = CHATML
    fast.save_pretrained(out_dir)
    return fast


def build_tiny(out_dir: str | Path, texts: Iterable[str], seed: int = 0) -> Path:
    """Write tokenizer and model to `out_dir` (reused when already there) and return it."""
    out = Path(out_dir)
    if (out / "config.json").is_file() and (out / "tokenizer.json").is_file():
        return out
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(texts, out)
    config = LlamaConfig(vocab_size=len(tokenizer), bos_token_id=None, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, **TINY_LLAMA)
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(out)
    return out


def texts_of(paths: list[str]) -> Iterable[str]:
    """Every message text of the given data files (invalid records are skipped: only the vocabulary is learned)."""
    from dataforge.validate import iter_records

    for path in paths:
        for rec in iter_records(path, allow_extra=True):  # only the vocabulary is learned here
            for msg in rec.messages:
                yield msg.text()
