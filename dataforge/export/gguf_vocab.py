"""The tokenizer part of a GGUF file: token list, types, merges or scores, special ids, chat template.

Two tokenizer families cover the supported models:
  * byte-level BPE (GPT-2 style; Llama 3, Qwen2/3, SmolLM2, Mistral Nemo/Tekken): tokenizer.ggml.model = "gpt2"
    with merges, and tokenizer.ggml.pre naming the pre-tokenizer so llama.cpp splits words the same way. The name
    is read from tokenizer.json's pre-tokenizer itself (its regex; SmolLM's digit split before GPT-2's), not from
    a hash of one tokenizer's output, so a vocabulary extended by fine-tuning keeps its name;
  * SentencePiece-style BPE with byte fallback (Llama 2, Mistral 7B v0.1-v0.3, Gemma): tokenizer.ggml.model =
    "llama" with <0xNN> byte tokens and scores. llama.cpp's SPM tokenizer merges by score, and for a BPE
    vocabulary the merge order is the id order, so score = -id reproduces it. Whether a "▁" is put in front of
    the text (Llama 2, Mistral: yes; Gemma: no) is written as add_space_prefix, read from the normalizer or
    Metaspace pre-tokenizer: llama.cpp's default for SPM (yes) would shift every Gemma token.
Special tokens (added tokens marked special in tokenizer.json) become CONTROL tokens: llama.cpp then parses
"<|im_end|>" in a template as one token and treats end-of-turn tokens as end of generation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from dataforge.errors import UsageError
from dataforge.export.inference_template import renders_bos
from dataforge.run.end_of_turn import end_of_turn_id

# tokenizer.json pre-tokenizer regexes -> llama.cpp's name for them (tokenizer.ggml.pre)
_LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"  # noqa: E501
_QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"  # noqa: E501
_TEKKEN = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"  # noqa: E501
PRE_BY_REGEX = {_LLAMA3: "llama-bpe", _QWEN2: "qwen2", _TEKKEN: "tekken"}
_GPT2, _DIGITS = "<gpt-2>", "<single digits>"
# sequences of pre-tokenizer steps with a llama.cpp name: SmolLM (and StarCoder, same regexes in llama.cpp) split
# every digit off before GPT-2's byte-level regex
PRE_BY_STEPS = {(_GPT2,): "gpt-2", (_DIGITS, _GPT2): "smollm"}


def _regexes(pre: dict | None) -> list[str]:
    if not pre:
        return []
    if pre.get("type") == "Sequence":
        return [r for p in pre.get("pretokenizers", []) for r in _regexes(p)]
    if pre.get("type") == "Split":
        return [pre.get("pattern", {}).get("Regex", "")]
    if pre.get("type") == "ByteLevel" and pre.get("use_regex", True):
        return [_GPT2]
    if pre.get("type") == "Digits":
        return [_DIGITS] if pre.get("individual_digits") else ["<digit runs>"]
    return []


def pre_tokenizer_name(tj: dict) -> str:
    """llama.cpp's name for this tokenizer's pre-tokenizer; UsageError when it is not one we can name."""
    steps = _regexes(tj.get("pre_tokenizer"))
    if tuple(steps) in PRE_BY_STEPS:
        return PRE_BY_STEPS[tuple(steps)]
    for regex in steps:
        if regex in PRE_BY_REGEX:
            return PRE_BY_REGEX[regex]
    raise UsageError("tokenizer.json: pre_tokenizer: not one llama.cpp knows by name (GPT-2, SmolLM, Llama 3, "
                     "Qwen2, Tekken): convert this model with llama.cpp's convert_hf_to_gguf.py instead of --gguf")


def adds_space_prefix(tj: dict) -> bool:
    """Whether a SentencePiece-style tokenizer puts "▁" in front of the text: a Prepend("▁") normalizer (Llama 2
    conversions) or a Metaspace pre-tokenizer that prepends (Mistral v0.3). Gemma has neither (Replace only)."""
    def steps(node: dict | None, kind: str) -> list[dict]:
        if not node:
            return []
        inner = node.get("normalizers" if kind == "normalizer" else "pretokenizers")
        return [s for n in inner for s in steps(n, kind)] if node.get("type") == "Sequence" else [node]

    if any(n.get("type") == "Prepend" for n in steps(tj.get("normalizer"), "normalizer")):
        return True
    return any(p.get("type") == "Metaspace" and (p.get("prepend_scheme", "always") != "never"
                                                 if "prepend_scheme" in p else p.get("add_prefix_space", True))
               for p in steps(tj.get("pre_tokenizer"), "pre_tokenizer"))


def _special(tj: dict) -> tuple[set[int], set[int]]:
    """(ids of special added tokens, ids of other added tokens)."""
    special = {t["id"] for t in tj.get("added_tokens", []) if t.get("special")}
    user = {t["id"] for t in tj.get("added_tokens", []) if not t.get("special")}
    return special, user


def add_vocab(writer, tokenizer_dir: Path, n_vocab: int) -> dict:
    """Write the tokenizer fields; returns {"model", "pre", "tokens"} for the caller's summary."""
    import gguf

    tj = json.loads((tokenizer_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = tj.get("model", {})
    if model.get("type") != "BPE":
        raise UsageError(f"{tokenizer_dir / 'tokenizer.json'}: model.type {model.get('type')}: only BPE tokenizers "
                         "(Llama, Qwen, Mistral, Gemma) can be written to GGUF here")
    vocab: dict[str, int] = dict(model["vocab"])
    for t in tj.get("added_tokens", []):
        vocab.setdefault(t["content"], t["id"])
    by_id = {i: t for t, i in vocab.items()}
    special, user = _special(tj)
    spm = bool(model.get("byte_fallback"))
    tokens, types, scores = [], [], []
    for i in range(n_vocab):  # the embedding may be padded past the tokenizer: fill with unused tokens
        text = by_id.get(i, f"[PAD{i}]")
        tokens.append(text.encode("utf-8"))
        if i not in by_id:
            types.append(gguf.TokenType.UNUSED)
        elif i in special:
            types.append(gguf.TokenType.CONTROL)
        elif spm and re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", text):  # byte-fallback pieces, wherever they sit
            types.append(gguf.TokenType.BYTE)
        elif i in user:
            types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
        scores.append(-float(i) if spm else 0.0)
    writer.add_tokenizer_model("llama" if spm else "gpt2")
    pre = "default" if spm else pre_tokenizer_name(tj)
    writer.add_tokenizer_pre(pre)
    if spm:
        writer.add_add_space_prefix(adds_space_prefix(tj))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    if spm:
        writer.add_token_scores(scores)
    # merges, bos/eos/pad/unk ids, add_bos/add_eos and the chat template: the gguf package reads them from
    # tokenizer.json / tokenizer_config.json for us
    special_vocab = gguf.SpecialVocab(tokenizer_dir, load_merges=not spm, n_vocab=n_vocab)
    # add_bos_token always written, and from the chat template: llama.cpp's default when the key is missing
    # depends on the vocabulary type, and the HF tokenizer's own flag says nothing about chat prompts
    special_vocab.add_special_token["bos"] = renders_bos(special_vocab.chat_template) \
        if isinstance(special_vocab.chat_template, str) else bool(special_vocab.add_special_token.get("bos"))
    special_vocab.add_to_gguf(writer, quiet=True)
    eot = end_of_turn_id(vocab)
    if eot is not None:
        writer.add_eot_token_id(eot)
    out = {"model": "llama" if spm else "gpt2", "pre": pre, "tokens": len(tokens)}
    if spm:
        out["add_space_prefix"] = adds_space_prefix(tj)
    return out
