"""The SFT recipe, top to bottom: config and inputs checked -> quality gate -> data and the val split -> tokenizer
and chat template -> label-mask check -> model -> PEFT -> TRL SFTTrainer -> adapter, tokenizer and manifest.

The run directory (its layout and typed manifest) belongs to dataforge.run; this module writes it only through
RunDir and Manifest.
"""

from __future__ import annotations

import json
import os
import signal
from contextlib import contextmanager
from pathlib import Path

from dataforge.errors import DataError, MissingDependency, Problem, UsageError
from dataforge.progress import Say, silent
from dataforge.run.config import Recipe
from dataforge.run.manifest import (
    BaseModelRef,
    ChatTemplateInfo,
    GateInfo,
    LabelCheck,
    PackingInfo,
    new_manifest,
    sha256,
)
from dataforge.run.run_dir import RunDir

# Set by launch.py for the workers it starts: the gate report it wrote in the run directory and that file's
# sha256. A worker accepts the verdict only when the file is this run's own report, unchanged, and says passed.
GATE_REPORT_ENV = "DATAFORGE_GATE_REPORT"
GATE_SHA256_ENV = "DATAFORGE_GATE_SHA256"


def check_inputs(recipe: Recipe, resume: bool) -> RunDir:
    """Everything that can be checked in milliseconds, before a folder, a gate or a model is built."""
    from dataforge.run.loading import check_model_source

    if not recipe.data.train:
        raise UsageError("data.train: empty: name at least one training file, e.g. data.train=data.jsonl")
    for key, paths in (("data.train", recipe.data.train_paths), ("data.val", recipe.data.val)):
        for p in paths:
            if not Path(p).is_file():
                raise UsageError(f"{key}: {p}: no such file")
            if not os.access(p, os.R_OK):
                raise UsageError(f"{key}: {p}: not readable")
    if recipe.model.name:
        check_model_source(recipe.model.name, "model.name")
    if recipe.model.tokenizer:
        check_model_source(recipe.model.tokenizer, "model.tokenizer")
    run = RunDir(recipe.run_dir)
    if run.path.exists() and not run.path.is_dir():
        raise UsageError(f"output_dir: {run.path} is a file, not a folder: pick another output_dir or name")
    inputs = {Path(p).resolve() for p in recipe.data.train_paths + recipe.data.val}
    if any(i == run.path.resolve() or run.path.resolve() in i.parents for i in inputs):
        raise UsageError(f"output_dir: {run.path} holds the training data: the run would write over its inputs; "
                         "pick another output_dir")
    has_checkpoints = any(run.checkpoints_dir.glob("checkpoint-*"))
    if resume and not has_checkpoints:
        raise UsageError(f"--resume: no checkpoint in {run.checkpoints_dir} to resume from")
    if not resume and (has_checkpoints or run.adapter_dir.exists()):
        raise UsageError(f"{run.path} already holds a run: pass --resume to continue it, or set output_dir=... "
                         "(or name=...) for a new one")
    return run


def resolve_base_model(recipe: Recipe, run: RunDir, say: Say = silent) -> BaseModelRef:
    """model.name (a GGUF resolves to its cached HF folder), or a tiny Llama built from the training data's text
    when the recipe names none."""
    if recipe.model.name:
        from dataforge.run.loading import resolve_model_source

        return BaseModelRef(name=recipe.model.name, path=resolve_model_source(recipe.model.name, say=say))
    from dataforge.train.tiny import build_tiny, texts_of

    build_tiny(run.base_model_dir, texts_of(recipe.data.train_paths), seed=recipe.seed)
    return BaseModelRef(name=None, path=run.base_model_dir.name)  # relative: the run folder can be moved


def trained_tokenizer(recipe: Recipe, tokenizer_path: str):
    """(tokenizer, template, origin): the tokenizer with the chat template this run trains with set on it."""
    from dataforge.run.loading import load_tokenizer
    from dataforge.train.chat_template import choose_template

    tokenizer = load_tokenizer(tokenizer_path, recipe.model.trust_remote_code,
                               key="model.tokenizer" if recipe.model.tokenizer else "model.name")
    template, origin = choose_template(tokenizer, recipe.chat.template, recipe.chat.force)
    return tokenizer, template, origin


def chat_format(recipe: Recipe, tokenizer):
    """How records become ids and a loss mask: the template's end-of-turn ids and system handling."""
    from dataforge.run.chat_format import probe
    from dataforge.run.end_of_turn import end_of_turn_ids
    from dataforge.train.assistant_mask import ChatFormat

    return ChatFormat(tokenizer, end_of_turn_ids(tokenizer, recipe.chat.end_of_turn), probe(tokenizer),
                      recipe.chat.system, recipe.chat.default_system)


def quality_gate(recipe: Recipe, run: RunDir, tokenizer: str, chat_template: str | None = None,
                 say: Say = silent) -> GateInfo:
    """The `dataforge check` suite on the training data; a failure stops the run (exit 1) naming the checks.
    A mix of several sources is gated per source (quality/sources/N-NAME/) and as a whole (quality/): a source
    that fails its own gate stops the run even when the mix would pass, since its weight may make it matter more.
    Tokens are counted with `chat_template`, the template training uses, not the tokenizer's own: SmolLM2's own
    adds a default system prompt that a forced ChatML does not, and the two counts of truncated records differed
    (175 against 149 of 600)."""
    try:
        from dataforge.quality.gate import run_gate
    except ImportError as exc:
        raise MissingDependency(exc.name or "polars", "quality") from None
    from dataforge.run.manifest import SourceGate

    if chat_template is None:
        chat_template = trained_tokenizer(recipe, tokenizer)[1]

    def gate(paths: list[str], report_dir: Path):
        return run_gate(paths, suite=recipe.gate.suite, report_dir=str(report_dir), tokenizer=tokenizer,
                        max_seq_len=recipe.train.max_length, lang=recipe.gate.lang, chat_template=chat_template,
                        chat_system=recipe.chat.system, default_system=recipe.chat.default_system,
                        allow_extra=recipe.data.allow_extra)

    sources = []
    paths = recipe.data.train_paths
    if len(paths) > 1:
        for i, path in enumerate(paths):
            res = gate([path], run.quality_dir / "sources" / f"{i}-{Path(path).stem}")
            sources.append(SourceGate(path=path, passed=res.passed, report_json=res.report_json,
                                      records=res.summary.get("records"), failed_checks=list(res.failed_checks)))
            say(f"quality gate: source {path}: {'passed' if res.passed else 'FAILED'} ({res.report_html})")
    result = gate(paths + recipe.data.val, run.quality_dir)
    failed = list(result.failed_checks)
    gate_info = GateInfo(skipped=False, passed=result.passed and all(s.passed for s in sources),
                         report_json=result.report_json, report_sha256=sha256(result.report_json),
                         report_html=result.report_html, records=result.summary.get("records"),
                         failed_checks=failed, sources=sources)
    bad = [f"{s.path} ({', '.join(s.failed_checks) or 'no valid records'})" for s in sources if not s.passed]
    if not result.passed or bad:
        what = ", ".join(failed) or "no valid records"
        if sources:
            what = ", ".join(([f"the mix ({what})"] if not result.passed else []) + bad)
        raise DataError(f"quality gate failed: {what}: see {result.report_html}"
                        f"{' and quality/sources/' if bad else ''}; fix the data with `dataforge clean`, or pass "
                        "--skip-gate to train anyway (recorded)")
    return gate_info


def launched_gate(run: RunDir) -> GateInfo | None:
    """The verdict of the gate launch.py ran before starting this worker, checked: None when not launched."""
    report, digest = os.environ.get(GATE_REPORT_ENV), os.environ.get(GATE_SHA256_ENV)
    if not os.environ.get("DATAFORGE_LAUNCHED") or not report:
        return None
    path = Path(report)
    own = run.quality_dir / "report.json"
    if not path.is_file() or path.resolve() != own.resolve() or sha256(path) != digest:
        raise UsageError(f"{GATE_REPORT_ENV}: {report} is not this run's unchanged gate report ({own}): "
                         "run `dataforge train` without setting it")
    summary = json.loads(path.read_text(encoding="utf-8"))
    if not summary.get("passed"):
        raise DataError(f"quality gate failed: see {path}")
    return GateInfo(skipped=False, passed=True, report_json=str(path), report_sha256=digest,
                    records=summary.get("records"))


@contextmanager
def _stop_on_sigterm():
    """SIGTERM (a scheduler, `kill`) unwinds like Ctrl-C, so the manifest says "interrupted", not "running"."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def train(recipe: Recipe, recipe_path: Path, *, skip_gate: bool = False, resume: bool = False, say: Say = silent,
          callbacks: list | None = None, argv: list[str] | None = None, quiet: bool = False) -> Path:
    """Train one recipe into its run directory and return that directory."""
    # 1. config and inputs, checked before anything is built
    run = check_inputs(recipe, resume)
    if "mlflow" in recipe.train.report_to:
        try:
            import mlflow  # noqa: F401
        except ImportError:
            raise MissingDependency("mlflow", "mlflow") from None
    run.path.mkdir(parents=True, exist_ok=True)
    previous = run.manifest if resume and run.manifest_path.exists() else None
    manifest = new_manifest(recipe, recipe_path, argv)
    if previous is not None:
        manifest.created = previous.created
    run.attach(manifest)  # in memory only: a run is recorded on disk when training starts
    with _stop_on_sigterm():
        try:
            return _train(recipe, run, manifest, skip_gate, resume, say, callbacks or [], quiet)
        except BaseException as exc:
            if run.manifest_path.exists():  # training had started: say how it ended
                interrupted = isinstance(exc, KeyboardInterrupt)
                manifest.status = "interrupted" if interrupted else "failed"
                manifest.error = "interrupted" if interrupted else f"{type(exc).__name__}: {exc}"[:500]
                run.write_manifest(manifest)
            raise


def _train(recipe: Recipe, run: RunDir, manifest, skip_gate: bool, resume: bool, say: Say, callbacks: list,
           quiet: bool) -> Path:
    from dataforge.run.loading import resolve_model_source
    from dataforge.train.model import check_target_modules

    manifest.base_model = resolve_base_model(recipe, run, say)
    base = run.base_model()
    tokenizer_path = resolve_model_source(recipe.model.tokenizer, "model.tokenizer", say) \
        if recipe.model.tokenizer else base
    check_target_modules(recipe, base)
    # the template training will use, chosen now so that the gate counts tokens with it (loading is cheap)
    tokenizer, template, origin = trained_tokenizer(recipe, tokenizer_path)

    # 2. quality gate on the training data
    manifest.quality_gate = launched_gate(run)
    if manifest.quality_gate is None and skip_gate:
        manifest.quality_gate = GateInfo(skipped=True)
        say("quality gate: skipped (--skip-gate), recorded in the manifest")
    elif manifest.quality_gate is None:
        manifest.quality_gate = quality_gate(recipe, run, tokenizer_path, template, say)
        say(f"quality gate: passed ({manifest.quality_gate.report_html})")

    # 3-4. the template's system handling, then data: sources, val split, the weighted mix, tokenized (or read
    # from the tokenized cache); the held-out records are kept in the run for evaluate
    from dataforge.train.prepare import prepare

    fmt = chat_format(recipe, tokenizer)
    stop_ids = fmt.stop_ids
    check_tool_support(fmt, origin, _every_record(recipe))  # before a long tokenizing pass and any weights
    assistant_only = recipe.train.assistant_only_loss
    if recipe.train.show_labels or not recipe.data.cache:
        _check_records(recipe, fmt, say)  # shown, and failures found before a long tokenizing pass
    data = prepare(recipe, run, fmt, template, say)
    manifest.data, manifest.token_cache = data.data, data.cache
    say(data_summary(manifest.data))
    manifest.chat_template = template_info(fmt, template, origin, data.folded_records, data.without_system)
    say(system_summary(manifest.chat_template))

    # 5. label-mask check on the rows the trainer is given, fresh or cached
    from datasets import Dataset

    from dataforge.train.labels import check_rows

    mask = check_rows([data.train if isinstance(data.train, Dataset) else None, data.val],
                      stop_ids, recipe.train.max_length, assistant_only, limit=recipe.train.mask_check_records,
                      paths=recipe.data.train_paths)
    mask.tool_records = data.tool_records  # counted as the records were read (rows do not say it)
    manifest.label_check = LabelCheck(**mask.as_json())
    say(mask.summary(recipe.train.max_length))

    # 6-8. model, PEFT, trainer
    from dataforge.train.model import load_model, packing_isolation, peft_config, resolve_attention
    from dataforge.train.trainer import build_trainer, trainer_rows

    manifest.attn_implementation = resolve_attention(recipe, base)
    model = load_model(recipe, base, manifest.attn_implementation)
    manifest.packing = PackingInfo(mode=recipe.train.packing,
                                   records_isolated=packing_isolation(recipe, model, manifest.attn_implementation,
                                                                      say))
    train_ds, val_ds = trainer_rows(data.train), trainer_rows(data.val)
    if recipe.data.streaming and isinstance(train_ds, Dataset):  # the cache, read row by row (memory-mapped)
        train_ds = train_ds.to_iterable_dataset()
    has_val = data.val is not None
    trainer = build_trainer(recipe, run, model, tokenizer, peft_config(recipe, tokenizer_path), train_ds, val_ds,
                            callbacks, quiet)
    manifest.trainable_params, manifest.total_params = count_params(trainer.model)
    say(f"training: {recipe.method}, {manifest.trainable_params:,} trainable of {manifest.total_params:,} "
        f"parameters ({100 * manifest.trainable_params / max(manifest.total_params, 1):.3f}%)")
    run.write_manifest(manifest)
    result = trainer.train(resume_from_checkpoint=True if resume else None)

    # 9. adapter, tokenizer, metrics, manifest
    trainer.save_model(str(run.adapter_dir))
    tokenizer.save_pretrained(str(run.adapter_dir))
    history = trainer.state.log_history
    metrics = {"train": result.metrics, "eval": final_eval(trainer, history) if has_val else None,
               "log_history": history}
    run.metrics_path.write_text(json.dumps(metrics, indent=2, default=str) + "\n", encoding="utf-8")
    manifest.status = "completed"
    manifest.global_step = trainer.state.global_step
    manifest.best_checkpoint = trainer.state.best_model_checkpoint
    manifest.train_loss = whole_run_train_loss(history, result.metrics.get("train_loss"))
    manifest.eval_loss = (metrics["eval"] or {}).get("eval_loss")
    run.write_manifest(manifest)
    say(f"done: adapter in {run.adapter_dir}, manifest {run.manifest_path}")
    return run.path


def check_tool_support(fmt, origin: str, records) -> None:
    """Tool-calling records need a template that renders tools, calls and results: most templates without tool
    support drop them silently, and the model would learn answers to results it never saw. Before any weights."""
    if fmt.quirks.tools:
        return
    from dataforge.records import has_tools

    first, count = None, 0
    for r in records:  # a stream over the data files: counted, not kept
        if has_tools(r):
            first, count = first or r, count + 1
    if first is not None:
        raise UsageError(f"the chat template ({origin}) cannot render tool calls (it drops the tool definitions, "
                         f"calls or results), and {count} record(s) have them: set chat.template=chatml "
                         "chat.force=true (the built-in template renders tools), use a model whose template supports "
                         "tools, or remove the tool records",
                         [Problem(str(first.source), first.line, "messages", "first record with tool calls")])


def _every_record(recipe: Recipe):
    """The records of data.train and data.val as they are read (a stream: nothing is kept)."""
    from dataforge.validate import iter_records

    d = recipe.data
    for p in [*d.train_paths, *d.val]:
        yield from iter_records(p, d.format, allow_extra=d.allow_extra)


def _check_records(recipe: Recipe, fmt, say: Say) -> None:
    """--show-labels, and the label check on the first train.mask_check_records records as they are read: with no
    cache (or a stream) a template problem shows before a long pass, not in the middle of training."""
    from itertools import islice

    from dataforge.train.labels import check_labels, render_labels
    from dataforge.validate import iter_records

    d, t = recipe.data, recipe.train
    records = (r for p in d.train_paths for r in iter_records(p, d.format, allow_extra=d.allow_extra))
    first = list(islice(records, max(t.show_labels, t.mask_check_records)))
    for rec in first[: t.show_labels]:
        say(render_labels(fmt, rec, t.max_length, t.assistant_only_loss))
    check_labels(first, fmt, t.max_length, t.assistant_only_loss)


def data_summary(info) -> str:
    text = f"data: {info.train_records} train rows, {info.val_records} val records ({info.val_from})"
    if len(info.sources) > 1 or any(s.weight or s.epochs != 1 or s.max_records for s in info.sources):
        text += "; mix " + ", ".join(
            f"{s.path} {s.rows} rows ({100 * s.realised_share:.1f}%"
            + (f", asked {100 * s.requested_share:.1f}%" if s.requested_share is not None else "")
            + f"; {s.not_drawn} not drawn)" for s in info.sources)
    return text + (" [streaming]" if info.streaming else "")


def template_info(fmt, template: str, origin: str, folded: int, without_system: int) -> ChatTemplateInfo:
    """What the manifest records about the template: its text, end-of-turn tokens and system handling."""
    quirks = fmt.quirks
    return ChatTemplateInfo(source=origin, template=template,
                            end_of_turn=[fmt.tokenizer.convert_ids_to_tokens(i) for i in fmt.stop_ids],
                            system_role=quirks.system, system_policy=fmt.system,
                            folded_records=folded, default_system=quirks.default_system,
                            default_system_policy=fmt.default_system,
                            default_system_records=without_system if quirks.default_system else 0)


def system_summary(info: ChatTemplateInfo) -> str:
    parts = [f"chat template: {info.source}, end of turn {', '.join(info.end_of_turn)}"]
    if info.system_role != "native":
        verb = "rejects" if info.system_role == "rejected" else "drops"
        parts.append(f"the template {verb} system messages: {info.folded_records} record(s) had theirs folded into "
                     "the first user turn (chat.system=fold)")
    if info.default_system:
        action = "kept" if info.default_system_policy == "keep" else "dropped (empty system message)"
        parts.append(f"the template adds a default system prompt {info.default_system[:120]!r} to "
                     f"{info.default_system_records} record(s) without one: {action} "
                     f"(chat.default_system={info.default_system_policy})")
    return "; ".join(parts)


def final_eval(trainer, history: list[dict]) -> dict:
    """The eval metrics at the last step: the trainer's own eval when it ran at that step (an eval_steps multiple,
    or early stopping's last look), else one more evaluation. Evaluating again repeats the same numbers at the
    cost of a whole pass (87 s for 100 records of SmolLM2 on CPU)."""
    step = trainer.state.global_step
    last = next((e for e in reversed(history) if "eval_loss" in e), None)
    if last is not None and last.get("step") == step:
        return {k: v for k, v in last.items() if k.startswith("eval_") or k == "epoch"}
    return trainer.evaluate()


def whole_run_train_loss(history: list[dict], fallback: float | None) -> float | None:
    """The mean of every logged training loss, weighted by the steps each covers. The trainer's own train_loss
    averages only the steps of this process, so after --resume it would describe the resumed part alone."""
    points = sorted((int(e["step"]), float(e["loss"])) for e in history if "loss" in e and "step" in e)
    if not points:
        return fallback
    total, prev = 0.0, 0
    for step, loss in points:
        total += loss * max(step - prev, 1)
        prev = max(step, prev + 1)
    return total / prev


def count_params(model) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())
