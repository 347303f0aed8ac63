"""TRL's SFTTrainer configured from a recipe. This file only maps recipe fields to SFTConfig; TRL does the work."""

from __future__ import annotations

import os

from dataforge.run.config import PROMPT_METHODS, Recipe
from dataforge.run.run_dir import RunDir


def device_args(recipe: Recipe) -> dict[str, bool]:
    import torch

    choice = recipe.train.precision
    if choice == "auto":
        choice = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    # use_cpu lets bf16 autocast run on CPU (slowly) instead of transformers refusing the setup
    return {"bf16": choice == "bf16", "fp16": choice == "fp16", "use_cpu": not torch.cuda.is_available()}


def checkpointing_args(on: bool) -> dict:
    """transformers 5 renamed gradient_checkpointing to activation_checkpointing (the old name warns)."""
    from trl import SFTConfig

    name = "activation_checkpointing" if "activation_checkpointing" in SFTConfig.__dataclass_fields__ \
        else "gradient_checkpointing"
    return {name: on, f"{name}_kwargs": {"use_reentrant": False}}


def packing_args(mode: str, max_length: int) -> dict:
    """train.packing as SFTConfig fields. The rows come cut at max_length (prepare.py).
    none: TRL pads each batch to its longest row. bfd: TRL packs rows into max_length sequences (best-fit
    decreasing) and, in TRL 1.16, feeds them padding-free with position_ids restarting per record. padding_free: no
    packing, each batch's rows concatenated with position_ids; TRL wants max_length=None there, because it would not
    enforce it, and the rows are already cut."""
    if mode == "bfd":
        return {"packing": True, "packing_strategy": "bfd", "max_length": max_length}
    if mode == "padding_free":
        return {"packing": False, "padding_free": True, "max_length": None}
    return {"packing": False, "max_length": max_length}


def trainer_rows(ds):
    """Only the columns TRL trains from (the cache's length/source/line stay out of the batches)."""
    return ds.select_columns(["input_ids", "assistant_masks"]) if ds is not None else None


def sft_config(recipe: Recipe, run: RunDir, has_eval: bool, quiet: bool):
    from trl import SFTConfig

    t = recipe.train
    early_stop = has_eval and t.early_stopping_patience is not None
    # tensorboard writes under the run directory, not under checkpoints/runs/<date>
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(run.logs_dir)
    return SFTConfig(
        output_dir=str(run.checkpoints_dir),
        seed=recipe.seed,
        data_seed=recipe.seed,
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum,
        **packing_args(t.packing, t.max_length),
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a share of the steps (transformers 5)
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        optim=t.optim,
        # prompt-learning methods prepend virtual tokens outside the layers; checkpointing them gains nothing
        **checkpointing_args(t.gradient_checkpointing and recipe.method not in PROMPT_METHODS),
        # the datasets come pre-tokenised with their assistant mask (labels.py); TRL's own assistant_only_loss
        # would ask the template for {% generation %} markers instead
        assistant_only_loss=False,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=t.eval_steps,
        save_strategy="steps",
        save_steps=t.eval_steps if early_stop else t.save_steps,
        save_total_limit=t.save_total_limit,
        load_best_model_at_end=early_stop,
        metric_for_best_model="eval_loss" if early_stop else None,
        greater_is_better=False if early_stop else None,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        report_to=[r for r in t.report_to if r != "none"] or "none",
        run_name=recipe.name,
        dataloader_num_workers=t.dataloader_workers,
        disable_tqdm=quiet,
        dataset_num_proc=None,
        **device_args(recipe),
    )


def build_trainer(recipe: Recipe, run: RunDir, model, tokenizer, peft_config, train_ds, eval_ds, callbacks: list,
                  quiet: bool = False):
    from trl import SFTTrainer

    from dataforge.run.overfitting import OverfittingCallback, OverfittingConfig

    args = sft_config(recipe, run, eval_ds is not None, quiet)
    callbacks = list(callbacks)
    if args.load_best_model_at_end:
        # the same detector `dataforge evaluate` runs on the logs, so training and evaluation never disagree
        config = OverfittingConfig(patience=recipe.train.early_stopping_patience,
                                   min_delta=recipe.train.overfitting_min_delta)
        callbacks.append(OverfittingCallback(config))
    if quiet:  # --quiet: no dataset progress bars, and no printed log rows (they still go to logs/ and metrics.json)
        import datasets

        datasets.disable_progress_bars()
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                         processing_class=tokenizer, peft_config=peft_config, callbacks=callbacks)
    if quiet:
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    return trainer
