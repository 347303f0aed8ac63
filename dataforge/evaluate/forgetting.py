"""Catastrophic forgetting: base against tuned on a small general probe set.

The same weights with the adapter switched off (`disable_adapter()`) are the base, so the model is loaded once.
Measure: perplexity of the probes' reference answers. Perplexity needs no judge and is stable on a few records,
where generation metrics on 16 probes would be noise. Flagged when tuned perplexity exceeds base perplexity by
more than `threshold` (default 0.10, i.e. 10% worse: below that, a narrow fine-tune's side effects are usually
invisible in use; above it, check general answers by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dataforge.evaluate.examples import load_examples
from dataforge.evaluate.perplexity import perplexity

DEFAULT_THRESHOLD = 0.10


def default_probe_file() -> Path:
    """16 general Turkish questions with short answers, shipped with dataforge."""
    return Path(str(resources.files("dataforge.evaluate").joinpath("probes_tr.jsonl")))


@dataclass
class Forgetting:
    probe: str
    records: int
    base_perplexity: float
    tuned_perplexity: float
    ratio: float
    threshold: float
    flagged: bool

    def as_json(self) -> dict:
        return dict(self.__dict__)


def forgetting(model, tok, probe: str | Path | None = None, threshold: float = DEFAULT_THRESHOLD,
               fmt=None) -> Forgetting:
    """`model` is a PeftModel: its adapter is disabled for the base measurement and enabled for the tuned one.
    `fmt`: the run's ChatFormat, so the probes are scored on the tokens training would put loss on."""
    probe = Path(probe) if probe else default_probe_file()
    examples = load_examples(probe).examples
    tuned = perplexity(model, tok, examples, fmt=fmt)
    with model.disable_adapter():
        base = perplexity(model, tok, examples, fmt=fmt)
    ratio = tuned.perplexity / base.perplexity
    return Forgetting(str(probe), len(examples), base.perplexity, tuned.perplexity, ratio, threshold,
                      ratio > 1 + threshold)
