"""The command line. The only place that prints errors and picks exit codes (0 ok, 1 data problems, 2 usage)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

from dataforge import __version__
from dataforge.errors import DataforgeError

FORMAT_CHOICES = ("auto", "alpaca", "chat", "sharegpt", "prompt-completion")


def _emit_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from dataforge.validate import print_problem, validate

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
    from dataforge.validate import print_problem

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


def _add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check records against their format's schema and conversation rules")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".jsonl, .json (one top-level array) or .parquet")
    p.add_argument("--format", default="auto", choices=FORMAT_CHOICES, help="default: detected per file")
    p.add_argument("--out", help="write valid records here (JSONL, original lines)")
    p.add_argument("--rejects", help="write invalid records here (JSONL: file, line, errors, raw)")
    p.add_argument("--allow-extra", action="store_true", help="accept unknown top-level fields")
    p.add_argument("--workers", type=int, default=0, help="processes for large JSONL files (default: up to 2)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="print no per-record problems")


def _add_convert(sub: argparse._SubParsersAction) -> None:
    from dataforge.convert import TARGETS

    p = sub.add_parser("convert", help="convert between alpaca, chat, sharegpt, prompt-completion and parquet")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--to", required=True, choices=TARGETS)
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

    train(recipe, path, skip_gate=args.skip_gate, resume=args.resume, quiet=args.quiet,
          say=(lambda _text: None) if args.quiet else (lambda text: print(text, file=sys.stderr)))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from dataforge.train.plan import estimate, model_config, render
    from dataforge.train.recipes import load_recipe

    recipe, _ = load_recipe(args.recipe, list(args.overrides))
    plan = estimate(recipe, model_config(recipe))
    if args.json:
        _emit_json(plan.as_json())
    else:
        print(render(plan, recipe))
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
    p = sub.add_parser("plan", help="GPU memory estimate of a recipe from the model config alone")
    p.add_argument("recipe", metavar="RECIPE", help="recipe YAML, or a shipped recipe's name")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="override recipe keys")
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")


# command name -> (parser builder, handler). tests/test_cli.py keeps this in sync with the parser.
COMMANDS: dict[str, tuple[Callable, Callable[[argparse.Namespace], int]]] = {
    "validate": (_add_validate, cmd_validate),
    "convert": (_add_convert, cmd_convert),
    "train": (_add_train, cmd_train),
    "plan": (_add_plan, cmd_plan),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataforge", description="Turkish-first SFT data tools.")
    parser.add_argument("--version", action="version", version=f"dataforge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command][1](args)
    except DataforgeError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line; the traceback only on request
        if os.environ.get("DATAFORGE_DEBUG") == "1":
            raise
        print(f"dataforge: internal error: {type(exc).__name__}: {exc} (set DATAFORGE_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 2
