"""Typed settings of `dataforge augment`: one pydantic model, help on every field, unknown keys are errors and every
problem is reported at once (as UsageError lines naming the flag to change)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dataforge.errors import UsageError

METHODS = ("synonym", "backtranslate", "paraphrase")
WEB_BACKENDS = ("google", "deepl", "microsoft", "libre", "mymemory", "yandex", "papago", "qcri", "linguee")


class AugmentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["synonym", "backtranslate", "paraphrase"] = Field(description="how new records are made")
    seed: int = Field(0, description="every random choice derives from this and the record id")
    variants: int = Field(1, ge=1, le=20, description="new candidates per source record")
    roles: list[Literal["system", "user", "assistant"]] = Field(
        ["user", "assistant"], min_length=1, description="which messages are rewritten (system prompts stay)")
    only_new: bool = Field(False, description="write only the new records, not the originals")
    # synonym
    ratio: float = Field(0.15, gt=0, le=1, description="share of words to replace (at least one)")
    lexicon: str = Field("shipped", description="shipped, kenet (GPL-3.0 extra), shipped+kenet, or a TSV path")
    # backtranslate
    backend: str = Field("local", description="backtranslate: local (transformers) or a deep-translator service "
                                              f"({', '.join(WEB_BACKENDS)}); paraphrase: openai or local")
    model: str | None = Field(None, description="local: model dir or hub name (tr->pivot, or the paraphrase LM)")
    model_back: str | None = Field(None, description="local backtranslate: pivot->tr model (default: same as model)")
    pivot: str = Field("en", description="pivot language code for the service, e.g. en, de")
    src_code: str | None = Field(None, description="NLLB/M2M100 source code, e.g. tur_Latn (NLLB) or tr (M2M100)")
    pivot_code: str | None = Field(None, description="NLLB/M2M100 pivot code, e.g. eng_Latn or en")
    batch_size: int = Field(16, ge=1, description="texts per model or service call")
    device: str = Field("auto", description="local models: auto (GPU when present), cpu, cuda, cuda:1 ...")
    base_url: str | None = Field(None, description="service URL (libre, OpenAI-compatible paraphrase endpoint)")
    api_key_env: str | None = Field(None, description="name of the environment variable that holds the API key")
    timeout: float = Field(30.0, gt=0, description="seconds per service request")
    retries: int = Field(5, ge=0, description="retries on timeouts, 429 and 5xx, with exponential backoff")
    rate_limit: float = Field(0.0, ge=0, description="max service requests per second (0: no limit)")
    concurrency: int = Field(4, ge=1, description="paraphrase: requests in flight at once")
    temperature: float = Field(0.7, ge=0, le=2, description="paraphrase sampling temperature")
    max_new_tokens: int = Field(512, ge=1, description="generation cap for local models")
    cache: str | None = Field(None, description="translation/paraphrase cache (sqlite); default: next to the output")
    # post-filters
    min_length_ratio: float = Field(0.5, gt=0, description="reject when len(new)/len(source) is below this")
    max_length_ratio: float = Field(2.0, gt=0, description="reject when len(new)/len(source) is above this")
    max_similarity: float | None = Field(None, gt=0, le=1, description="reject near duplicates of the source at or "
                                         "above this word-3-gram Jaccard (default: the quality check's 0.7)")

    @model_validator(mode="after")
    def _method_needs(self) -> AugmentConfig:
        problems = []
        if self.method == "backtranslate":
            if self.backend not in ("local", *WEB_BACKENDS):
                problems.append(f"--backend: {self.backend!r} is not local or one of {', '.join(WEB_BACKENDS)}")
            if self.backend == "local" and not self.model:
                problems.append("--model: local back-translation needs a tr->pivot model (dir or hub name), e.g. "
                                "Helsinki-NLP/opus-mt-tr-en with --model-back Helsinki-NLP/opus-mt-en-tr")
        if self.method == "paraphrase":
            if self.backend not in ("openai", "local"):
                problems.append(f"--backend: paraphrase takes openai or local, not {self.backend!r}")
            if self.backend == "openai" and not self.base_url:
                problems.append("--base-url: give the OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1")
            if not self.model:
                problems.append("--model: paraphrase needs a model name (served model, or a local causal LM dir)")
        if self.min_length_ratio >= self.max_length_ratio:
            problems.append("--min-length-ratio must be below --max-length-ratio")
        if problems:
            raise ValueError("; ".join(problems))  # split back into lines by load_config
        return self


def load_config(values: dict) -> AugmentConfig:
    """Build the config, turning every validation problem into one line of a UsageError."""
    try:
        return AugmentConfig(**values)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["loc"]:
                lines.append(f"--{'.'.join(str(p) for p in err['loc']).replace('_', '-')}: {msg}")
            else:  # cross-field problems already name their flag
                lines += msg.split("; ")
        raise UsageError("\n".join(lines)) from None
