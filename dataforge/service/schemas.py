"""Request and response bodies (pydantic), separate from the stored models. Job params of the stages that have no
typed config in the library get one here, in the CLI's names; unknown keys are errors (422 naming the key)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

JobKind = Literal["check", "clean", "split", "augment", "train", "evaluate", "export"]
JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class Out(BaseModel):
    @field_serializer("created_at", "started_at", "finished_at", check_fields=False)
    def _utc(self, value: datetime | None) -> str | None:
        # SQLite hands back naive datetimes; every one we store is UTC, so say so
        if value is None:
            return None
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Override(Strict):
    """Train on a version whose check did not pass: who decided and why (recorded with the run)."""

    user: str = Field(min_length=1, description="who takes responsibility")
    reason: str = Field(min_length=3, description="why the failed gate is acceptable")


class JobIn(Strict):
    kind: JobKind
    inputs: list[str] = Field(default_factory=list, description="version ids (sha256) of the team's versions "
                                                                "(none for evaluate and export: they take params.run)")
    params: dict[str, Any] = Field(default_factory=dict)
    override: Override | None = None
    dataset: str | None = Field(None, description="dataset for derived versions (default: the first input's)")


class CheckParams(Strict):
    suite: Literal["turkish_sft", "generic_sft"] = Field("turkish_sft", description="a shipped suite")
    lang: str = Field("tr", pattern=r"^[a-z]{2}$", description="expected language, ISO 639-1")
    lang_backend: Literal["default", "fasttext", "lingua", "langdetect"] = "default"
    max_seq_len: int | None = Field(None, gt=0)
    data_docs: bool = Field(False, description="also build great-expectations Data Docs (slow)")


class CleanParams(Strict):
    dedup: bool = False
    redact_pii: bool = False
    fix_mojibake: bool = False
    lang: str | None = Field(None, pattern=r"^[a-z]{2}$")


class SplitParams(Strict):
    val: float = Field(0.1, ge=0, lt=1)
    test: float = Field(0.0, ge=0, lt=1)
    seed: int = 0


class EvaluateParams(Strict):
    run: str = Field(description="id of a succeeded train job of the team")
    max_samples: int = Field(8, gt=0, description="records to generate answers for (generation is the slow part)")
    max_new_tokens: int = Field(48, gt=0)
    logs_only: bool = Field(False, description="verdict and plots from the training logs only: load no model")


class ExportParams(Strict):
    run: str = Field(description="id of a succeeded train job of the team")
    merge: bool = True
    gguf: Literal["f16", "q8_0", "q4_0"] | None = None
    ollama: bool = False


class RunOut(BaseModel):
    run: str  # the train job's id
    recipe: str
    data_versions: list[str]
    gate: str  # passed | overridden by USER: REASON
    best_val_loss: float | None
    verdict: str
    exports: list[str]


class VersionOut(Out):
    id: str
    dataset: str
    filename: str
    size: int
    summary: dict
    lineage: dict | None
    created_at: datetime
    latest_check: dict | None = None


class DatasetOut(BaseModel):
    name: str
    versions: list[VersionOut]


class JobOut(Out):
    id: str
    kind: str
    state: JobState
    inputs: list[str]
    params: dict
    override: dict | None
    progress: dict | None
    result: dict | None
    error: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    log_tail: list[str] = []
    files: list[str] = []
