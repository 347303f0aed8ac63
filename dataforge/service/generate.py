"""POST /v1/generate: answer with one of the team's adapters on a loaded base model. Bases are kept in a small LRU
cache; each adapter is attached to its base once (PEFT load_adapter) and chosen per request (set_adapter), so
switching adapters never reloads the base. One request at a time per base (set_adapter is model state), and at
most MAX_CONCURRENT generations in the whole server."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dataforge.service import stages, store
from dataforge.service.config import ServiceConfig
from dataforge.service.deps import READ, current_team, get_config
from dataforge.service.errors import ServiceError, not_found
from dataforge.service.models import Job, Team
from dataforge.service.schemas import Strict

MAX_BASES = int(os.environ.get("DATAFORGE_GENERATE_BASES", "2"))  # each base is a full model in memory
MAX_CONCURRENT = int(os.environ.get("DATAFORGE_GENERATE_CONCURRENCY", "2"))

router = APIRouter(prefix="/v1/generate", tags=["generate"])


class Message(Strict):
    role: str = Field(pattern="^(system|user|assistant)$")
    content: str


class GenerateIn(Strict):
    adapter: str = Field(description="id of a succeeded train job of the team")
    messages: list[Message] = Field(min_length=1)
    base: str | None = Field(None, description="must match the run's base when given")
    max_new_tokens: int = Field(64, gt=0, le=1024)


class GenerateOut(BaseModel):
    adapter: str
    base: str
    text: str
    base_was_loaded: bool  # false: the base came from the cache
    adapters_on_base: int


class _Loaded:
    def __init__(self, model, tok):  # noqa: ANN001
        self.model, self.tok = model, tok
        self.adapters: set[str] = set()
        self.lock = threading.Lock()


class Cache:
    def __init__(self) -> None:
        self.bases: OrderedDict[str, _Loaded] = OrderedDict()
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(MAX_CONCURRENT)

    def run(self, base: str, adapter_dir: str, name: str, tok_dir: str, messages: list[dict],
            max_new_tokens: int) -> tuple[str, bool, int]:
        with self.slots:
            with self.lock:  # loading is serialised: two requests never load the same base twice
                loaded = self.bases.get(base)
                fresh = loaded is None
                if fresh:
                    model, tok = stages.load_base_for_generation(base, adapter_dir, name, tok_dir)
                    loaded = self.bases[base] = _Loaded(model, tok)
                    loaded.adapters.add(name)
                    while len(self.bases) > MAX_BASES:
                        self.bases.popitem(last=False)
                self.bases.move_to_end(base)
            with loaded.lock:
                if name not in loaded.adapters:
                    stages.attach_adapter(loaded.model, adapter_dir, name)
                    loaded.adapters.add(name)
                text = stages.answer(loaded.model, loaded.tok, name, messages, max_new_tokens)
                return text, fresh, len(loaded.adapters)


CACHE = Cache()


@router.post("", response_model=GenerateOut)
def generate(body: GenerateIn, team: Team = Depends(current_team), s: Session = READ,
                   cfg: ServiceConfig = Depends(get_config)) -> GenerateOut:
    job = s.get(Job, body.adapter)
    if job is None or job.team_id != team.id or job.kind != "train" or job.state != "succeeded":
        raise not_found("adapter", body.adapter)
    run_dir = os.path.join(store.job_dir(cfg.store, team.id, job.id), "run")
    base, adapter_dir, tok_dir = stages.adapter_of(run_dir)  # a sync route: FastAPI runs it in a thread
    if body.base is not None and body.base != base:
        raise ServiceError(422, "invalid", f"adapter {job.id} was trained on another base: leave `base` out",
                           "base")
    # the cache key is the base itself: a run-local base (the tiny demo's) is a path inside that team's store
    text, fresh, n = CACHE.run(base, adapter_dir, job.id, tok_dir, [m.model_dump() for m in body.messages],
                               body.max_new_tokens)
    return GenerateOut(adapter=job.id, base="run-local base" if base.startswith(cfg.store) else base,
                       text=text, base_was_loaded=fresh, adapters_on_base=n)
