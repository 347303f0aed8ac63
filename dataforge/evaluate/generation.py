"""Generation metrics on held-out conversations: chrF, BLEU (sacrebleu) and ROUGE-L (rouge-score).

chrF is the headline number for Turkish: it scores character n-grams, so "evlerimizden" against "evlerimizde"
earns partial credit, where word-level BLEU and ROUGE count a miss. ROUGE-L gets a Unicode tokenizer with Turkish
lower-casing (İ->i, I->ı) because rouge-score's default tokenizer drops every non-ASCII letter (ç, ğ, ı, ö, ş, ü).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dataforge.evaluate.examples import Example
from dataforge.run.end_of_turn import GENERATION_STOPS

_WORD = re.compile(r"\w+", re.UNICODE)


def turkish_lower(text: str) -> str:
    return text.replace("İ", "i").replace("I", "ı").lower()


class TurkishWordTokenizer:
    """The `tokenize(text) -> list[str]` interface rouge-score expects."""

    def tokenize(self, text: str) -> list[str]:
        return _WORD.findall(turkish_lower(text))


@dataclass
class GenerationScores:
    records: int
    chrf: float
    bleu: float
    rouge_l: float
    examples: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"records": self.records, "chrf": self.chrf, "bleu": self.bleu, "rouge_l": self.rouge_l,
                "examples": self.examples}


def score(hypotheses: list[str], references: list[str]) -> tuple[float, float, float]:
    """(chrF, BLEU, ROUGE-L F1 x 100) for the corpus."""
    import sacrebleu
    from rouge_score import rouge_scorer

    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=TurkishWordTokenizer())
    rouge = [scorer.score(r, h)["rougeL"].fmeasure for h, r in zip(hypotheses, references, strict=True)]
    return chrf, bleu, 100 * sum(rouge) / max(len(rouge), 1)


def stop_ids(model, tok) -> list[int]:
    """EOS plus the end-of-turn token: a Llama 3 model ends its answer with <|eot_id|>, not its EOS
    <|end_of_text|>; stopping at EOS alone runs every answer to max_new_tokens and wrecks the metrics."""
    ids = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = list(ids) if isinstance(ids, (list, tuple)) else [ids]
    ids.append(tok.eos_token_id)
    vocab = tok.get_vocab()
    ids += [vocab[t] for t in GENERATION_STOPS if t in vocab]
    return list(dict.fromkeys(i for i in ids if i is not None))


def generate(model, tok, prompts: list[list[dict]], *, max_new_tokens: int = 128, progress=None,
             tools: list[list[dict] | None] | None = None) -> list[str]:
    """Greedy answers (deterministic) to each prompt, rendered with the tokenizer's chat template; `tools`: each
    prompt's function definitions (None: none), passed to the template as training passed them."""
    import torch

    device = next(model.parameters()).device
    stop = stop_ids(model, tok)
    out = []
    for i, prompt in enumerate(prompts):
        ids = tok.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True, return_dict=True,
                                      return_tensors="pt", tools=tools[i] if tools else None)
        ids = {k: v.to(device) for k, v in ids.items()}
        with torch.no_grad():
            gen = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tok.pad_token_id, eos_token_id=stop)
        out.append(tok.decode(gen[0, ids["input_ids"].shape[1]:], skip_special_tokens=True).strip())
        if progress:
            progress()
    return out


def prompt_as_trained(fmt, ex: Example) -> tuple[list[dict], list[dict] | None]:
    """The prompt as training rendered the conversation: the run's system policy (a folded system message, a
    dropped default one) and the record's tool calls, results and definitions; `fmt` None: the plain messages."""
    if fmt is None or ex.record is None:
        return ex.prompt, None
    from dataforge.run.chat_format import template_tools

    msgs, _ = fmt.messages(ex.record)
    last = max(i for i, m in enumerate(msgs) if m["role"] == "assistant")
    return msgs[:last], template_tools(ex.record)


def generation_scores(model, tok, examples: list[Example], *, max_new_tokens: int = 128, keep_examples: int = 5,
                      progress=None, fmt=None) -> GenerationScores:
    """`fmt`: the run's ChatFormat, so prompts are rendered as in training (perplexity.chat_format)."""
    prompts = [prompt_as_trained(fmt, ex) for ex in examples]
    hyps = generate(model, tok, [p for p, _ in prompts], max_new_tokens=max_new_tokens, progress=progress,
                    tools=[t for _, t in prompts])
    refs = [ex.reference for ex in examples]
    chrf, bleu, rouge = score(hyps, refs)
    from dataforge.quality.pii import redact_excerpt

    # the report quotes records and answers: through the one excerpt redactor, as the quality report does
    shown = [{"where": ex.where, "prompt": redact_excerpt(ex.prompt[-1]["content"] if ex.prompt else "", 400),
              "reference": redact_excerpt(ref, 400), "output": redact_excerpt(hyp, 400)}
             for ex, ref, hyp in list(zip(examples, refs, hyps, strict=True))[:keep_examples]]
    return GenerationScores(len(examples), chrf, bleu, rouge, shown)
