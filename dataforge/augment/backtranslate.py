"""`--method backtranslate`: tr -> pivot -> tr through a local seq2seq model pair or a translation service.

Texts are cut into sentences and lines first; code, URLs and e-mail addresses are never sent (they are copied
back verbatim), and identical pieces are translated once. Every answer goes through the on-disk cache, keyed by
backend, model, direction and text, so a rerun or `--resume` translates only what is new.
"""

from __future__ import annotations

import re
from typing import Any

from dataforge.augment.cache import AnswerCache
from dataforge.augment.config import AugmentConfig
from dataforge.augment.protect import protected_spans

# A sentence ends at . ! ? … followed by space; lines are cut too so lists keep their shape.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[ \t]+|\n+")


def pieces(text: str) -> list[tuple[bool, str]]:
    """(translate?, piece) in order; joining the pieces gives `text` back exactly."""
    out: list[tuple[bool, str]] = []
    last = 0
    for start, end in [*protected_spans(text), (len(text), len(text))]:
        plain = text[last:start]
        pos = 0
        for m in _SENTENCE_END.finditer(plain):
            out.append((True, plain[pos:m.start()]))
            out.append((False, m.group()))
            pos = m.end()
        out.append((True, plain[pos:]))
        out.append((False, text[start:end]))
        last = end
    # Nothing without letters is worth a model call ("3.", "-", spaces).
    return [(keep and any(c.isalpha() for c in p), p) for keep, p in out if p]


class BackTranslateAugmenter:
    method_name = "backtranslate"

    def __init__(self, forward, backward, cache: AnswerCache, params: dict[str, Any], batch_size: int = 16):
        self.forward, self.backward, self.cache = forward, backward, cache
        self.batch_size = batch_size
        self._params = params

    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def _cached(self, translator, texts: list[str]) -> dict[str, str]:
        texts = list(dict.fromkeys(texts))  # pivots repeat more often than sources do
        keys = [AnswerCache.key("translate", translator.key, "", t) for t in texts]
        found = self.cache.get_many(keys)
        missing = [t for t, k in zip(texts, keys, strict=True) if k not in found]
        for i in range(0, len(missing), self.batch_size):  # cached batch by batch: a crash loses one batch at most
            batch = missing[i:i + self.batch_size]
            new = {AnswerCache.key("translate", translator.key, "", t): a
                   for t, a in zip(batch, translator.translate(batch), strict=True)}
            self.cache.put_many(new)
            found.update(new)
        return dict(zip(texts, (found[k] for k in keys), strict=True))

    def augment_texts(self, texts: list[str], seeds: list[int]) -> list[str]:
        split = [pieces(t) for t in texts]
        unique = list(dict.fromkeys(p for parts in split for keep, p in parts if keep))
        if not unique:
            return list(texts)
        pivot = self._cached(self.forward, unique)
        back_of_pivot = self._cached(self.backward, list(pivot.values()))
        back = {src: back_of_pivot[pivot[src]] for src in unique}
        return ["".join(back[p] if keep else p for keep, p in parts) for parts in split]


def build_backtranslator(cfg: AugmentConfig) -> BackTranslateAugmenter:
    cache = AnswerCache(cfg.cache)
    if cfg.backend == "local":
        from dataforge.augment.seq2seq import LocalTranslator

        common = {"batch_size": cfg.batch_size, "device": cfg.device, "max_new_tokens": cfg.max_new_tokens}
        forward = LocalTranslator(cfg.model, src_code=cfg.src_code, tgt_code=cfg.pivot_code, **common)
        backward = LocalTranslator(cfg.model_back or cfg.model, src_code=cfg.pivot_code, tgt_code=cfg.src_code,
                                   **common)
        params = {"backend": "local", "model": cfg.model, "model_back": cfg.model_back or cfg.model}
    else:
        from dataforge.augment.web_translate import WebTranslator

        common = {"timeout": cfg.timeout, "retries": cfg.retries, "rate_limit": cfg.rate_limit,
                  "api_key_env": cfg.api_key_env, "base_url": cfg.base_url}
        forward = WebTranslator(cfg.backend, "tr", cfg.pivot, **common)
        backward = WebTranslator(cfg.backend, cfg.pivot, "tr", **common)
        params = {"backend": cfg.backend}
    params["pivot"] = cfg.pivot_code or cfg.pivot
    return BackTranslateAugmenter(forward, backward, cache, params, cfg.batch_size)
