"""Local translation models through transformers: MarianMT (opus-mt-tr-en, opus-mt-en-tr) or NLLB / M2M100 with
their language codes. Batched, greedy or the model's own beam settings (both deterministic), on GPU when present."""

from __future__ import annotations

from dataforge.errors import MissingDependency, UsageError


def pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"--device {device}: no CUDA GPU is visible; use --device cpu or auto")
    return device


def load_local(model: str, auto_class: str, what: str, device: str):
    """(torch, device, tokenizer, model) for a transformers model from a directory or hub name, in eval mode.
    A missing install or an unloadable model is a one-line usage error, not a traceback."""
    try:
        import torch
        import transformers
    except ImportError:
        raise MissingDependency("transformers and torch", "train") from None
    device = pick_device(device)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(model)
        loaded = getattr(transformers, auto_class).from_pretrained(model).to(device).eval()
    except (OSError, ValueError) as exc:
        raise UsageError(f"--model {model}: cannot load a {what}: {str(exc).splitlines()[0]}") from None
    return torch, device, tokenizer, loaded


class LocalTranslator:
    """One direction of one seq2seq model. `src_code`/`tgt_code` are needed for many-to-many models only:
    NLLB (tur_Latn, eng_Latn) or M2M100 (tr, en); MarianMT pairs are one direction per model."""

    def __init__(self, model: str, *, src_code: str | None = None, tgt_code: str | None = None,
                 batch_size: int = 16, device: str = "auto", max_new_tokens: int = 512):
        self.torch, self.device, self.tokenizer, self.model = load_local(model, "AutoModelForSeq2SeqLM",
                                                                         "seq2seq model", device)
        self.forced_bos = None
        if src_code:
            self.tokenizer.src_lang = src_code
        if tgt_code:
            if hasattr(self.tokenizer, "get_lang_id"):  # M2M100
                self.forced_bos = self.tokenizer.get_lang_id(tgt_code)
            else:  # NLLB: language codes are tokens
                self.forced_bos = self.tokenizer.convert_tokens_to_ids(tgt_code)
                if self.forced_bos == self.tokenizer.unk_token_id:
                    raise UsageError(f"--pivot-code/--src-code: {tgt_code!r} is not a language code of {model}")
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        # Truncate to what the model can embed: tokenizers often claim more (Marian's say 512 whatever the model).
        limits = [self.tokenizer.model_max_length, getattr(self.model.config, "max_position_embeddings", None)]
        self.max_input = min(x for x in limits if isinstance(x, int) and x > 0)
        self.key = f"local|{model}|{src_code or ''}->{tgt_code or ''}"

    def translate(self, texts: list[str]) -> list[str]:
        out: list[str] = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i:i + self.batch_size]
            enc = self.tokenizer(batch, return_tensors="pt", padding=True, truncation=True,
                                 max_length=self.max_input).to(self.device)
            kwargs = {"max_new_tokens": self.max_new_tokens, "do_sample": False}
            if self.forced_bos is not None:
                kwargs["forced_bos_token_id"] = self.forced_bos
            with self.torch.inference_mode():
                ids = self.model.generate(**enc, **kwargs)
            out += [t.strip() for t in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]
        return out
