"""Tiny Qwen3, Gemma-2 and Gemma-3 models with their tokenizers, for the GGUF tests (reader and llama.cpp).

- Qwen3: the real Qwen vocabulary and TRL's verbatim Qwen3 template (tests/train/families.py).
- Gemma-2 / Gemma-3: no package on PyPI ships Gemma's 256k SentencePiece vocabulary, so a small one is trained
  here *the way Gemma's tokenizer.json is built*: BPE with byte fallback over text whose spaces are replaced by
  "▁", with no "▁" put in front (what makes Gemma differ from Llama 2 / Mistral in llama.cpp), Gemma's special
  tokens at Gemma's ids, and TRL's verbatim Gemma / Gemma-3 templates.
Weights are random with a wide init (0.2) and random RMSNorm weights, so the logits are far from uniform and
Gemma's (1 + w) norm convention matters.
"""

from __future__ import annotations

from pathlib import Path

from tests.evaluate import tiny
from tests.train import families

GEMMA_SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
MODEL_TYPE = {"qwen3": "qwen3", "gemma2": "gemma2", "gemma3": "gemma3_text"}
TEMPLATE = {"gemma2": "gemma.jinja", "gemma3": "gemma3.jinja"}


def gemma_tokenizer(out: Path, template: str):
    from tokenizers import Tokenizer, decoders, models, normalizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    t = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
    t.normalizer = normalizers.Replace(" ", "▁")
    t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=GEMMA_SPECIAL, show_progress=False)
    t.train_from_iterator([m["content"] for r in tiny.chats() for m in r["messages"]], trainer)
    t.add_tokens([f"<0x{i:02X}>" for i in range(256)])
    # Gemma's tokenizer puts <bos> in front of plain text
    t.post_processor = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A <bos> $B",
                                                     special_tokens=[("<bos>", t.token_to_id("<bos>"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=t, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>")
    fast.chat_template = families.template_text(template)
    fast.save_pretrained(out)
    return fast


def build(family: str, out: Path, seed: int = 0, **config) -> Path:
    """Tokenizer + tiny random model of `family` (qwen3, gemma2, gemma3) saved to `out`."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    out.mkdir(parents=True, exist_ok=True)
    if family == "qwen3":
        tok = families.build_tokenizer("qwen3", out, [])
    else:
        tok = gemma_tokenizer(out, TEMPLATE[family])
    shape = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=16, max_position_embeddings=2048, initializer_range=0.2)
    if family != "qwen3":
        shape.update(query_pre_attn_scalar=16, sliding_window=512)
    shape.update(config)
    cfg = AutoConfig.for_model(MODEL_TYPE[family], vocab_size=len(tok), bos_token_id=tok.bos_token_id,
                               eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                               tie_word_embeddings=True, **shape)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):  # init is 0 (Gemma) or 1 (Qwen3): make each weight count
                p.add_(torch.randn_like(p) * 0.3)
    model.save_pretrained(out)
    return out
