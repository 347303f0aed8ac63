"""The one list of end-of-turn tokens. Train (the label-mask check: one of them must carry loss), evaluate
(generation stops there) and export (the GGUF's EOT id, Ollama's stop parameters) all read it from here."""

from __future__ import annotations

from dataforge.errors import UsageError

# Tokens that close an assistant turn in the chat templates of common families, in the order they are tried:
# ChatML (Qwen, SmolLM, the built-in template), Llama 3, Gemma, Phi-3.
END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>")
# Generation also stops at a marker that only ever closes a user turn (Mistral's [INST] ... [/INST]): a model
# that writes one has started to invent the next turn.
GENERATION_STOPS = (*END_OF_TURN, "[/INST]")


def end_of_turn_ids(tokenizer, name: str | None = None) -> list[int]:
    """Token ids that may end an assistant turn: `name` (chat.end_of_turn) when given, else the known end-of-turn
    tokens that are special in this vocabulary, plus EOS. Padding is never one, even when it is <|endoftext|>."""
    vocab = tokenizer.get_vocab()
    if name:
        if name not in vocab:
            raise UsageError(f"chat.end_of_turn: {name!r} is not a token of the tokenizer")
        return [vocab[name]]
    specials = set(tokenizer.all_special_tokens) | set(tokenizer.get_added_vocab())
    ids = [vocab[t] for t in END_OF_TURN if t in vocab and t in specials and t != tokenizer.pad_token]
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return sorted(set(ids))


def end_of_turn_id(vocab: dict[str, int]) -> int | None:
    """The token that closes an assistant turn, when the vocabulary has one distinct from EOS (ChatML, Llama 3)."""
    return next((vocab[t] for t in END_OF_TURN if t in vocab), None)
