"""Tiny random models and tokenizers, built locally in a few seconds (tests never download anything)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def sample_texts(limit: int | None = None) -> list[str]:
    texts = []
    for line in (SAMPLE / "chat_tr.jsonl").read_bytes().splitlines():
        texts += [m["content"] for m in orjson.loads(line)["messages"]]
    return texts[:limit]


def build_marian(path: Path, vocab_size: int = 300) -> Path:
    """A random MarianMT (1 layer, d_model 16) with a MarianTokenizer whose sentencepiece model is trained here."""
    import sentencepiece as spm
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    path.mkdir(parents=True, exist_ok=True)
    corpus = path / "corpus.txt"
    corpus.write_text("\n".join(sample_texts()), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(path / "spm"), vocab_size=vocab_size,
                                   model_type="unigram", character_coverage=1.0, bos_id=-1, eos_id=-1,
                                   unk_id=0, pad_id=-1, minloglevel=2)
    proc = spm.SentencePieceProcessor(model_file=str(path / "spm.model"))
    vocab = {"</s>": 0, "<unk>": 1, "<pad>": 2}
    for i in range(proc.get_piece_size()):
        vocab.setdefault(proc.id_to_piece(i), len(vocab))
    (path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        (path / name).write_bytes((path / "spm.model").read_bytes())
    tok = MarianTokenizer(source_spm=str(path / "source.spm"), target_spm=str(path / "target.spm"),
                          vocab=str(path / "vocab.json"), source_lang="tr", target_lang="en")
    config = MarianConfig(vocab_size=len(vocab), d_model=16, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                          decoder_ffn_dim=32, max_position_embeddings=128, pad_token_id=2, eos_token_id=0,
                          decoder_start_token_id=2, forced_eos_token_id=0, num_beams=1, max_length=64)
    import torch

    torch.manual_seed(0)
    model = MarianMTModel(config)
    model.generation_config.num_beams = 1
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def build_causal_lm(path: Path) -> Path:
    """A random 1-layer Llama with a byte-level BPE tokenizer trained here on the sample data."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(sample_texts(), trainers.BpeTrainer(vocab_size=400, special_tokens=["<eos>"],
                                                                initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", pad_token="<eos>")
    fast.save_pretrained(path)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=fast.vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                         eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(path)
    return path
