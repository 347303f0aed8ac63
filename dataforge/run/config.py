"""The training recipe as a typed config: YAML file + dotted `key=value` overrides, every problem reported at once.

Keys scripts rely on (stable): model.name, data.train, data.val, output_dir, method, seed, train.epochs,
train.max_steps, train.learning_rate, train.batch_size, train.max_length.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Method = Literal["qlora", "lora", "dora", "prompt-tuning", "prefix-tuning", "p-tuning", "ia3"]
PROMPT_METHODS = ("prompt-tuning", "prefix-tuning", "p-tuning")
LLAMA_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# transformers' SchedulerType values (checked against transformers 5 by tests/run/test_config.py), so a typo is a
# config error at once instead of a crash 20 s later when the trainer is built
Scheduler = Literal["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                    "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
                    "warmup_stable_decay"]
Logger = Literal["tensorboard", "mlflow", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelSection(_Strict):
    name: str | None = Field(None, description="Hub id or local directory of the base model, or a GGUF (a .gguf "
                             "file, a folder holding one, package:DIST for one a pip package ships), converted once "
                             "into a cached HF folder. Unset: build a tiny random-init Llama and BPE tokenizer "
                             "locally into the run directory (tests).")
    tokenizer: str | None = Field(None, description="Tokenizer to load when it differs from model.name.")
    dtype: Literal["bfloat16", "float16", "float32"] = Field(
        "bfloat16", description="dtype of the unquantised weights and of LoRA compute.")
    attn_implementation: Literal["auto", "sdpa", "eager", "flash_attention_2"] = Field(
        "auto", description="auto: flash_attention_2 when installed on a GPU and the model supports it, else sdpa "
        "when the model supports it, else eager (Gemma-2). sdpa is built into torch; flash_attention_2 needs its "
        "package and a GPU; a backend the model cannot use is a config error.")
    trust_remote_code: bool = Field(False, description="Run model code from the hub repo (off: only known models).")


class QuantSection(_Strict):
    load_in_4bit: bool = Field(False, description="Load the base weights in 4 bit with bitsandbytes (QLoRA).")
    quant_type: Literal["nf4", "fp4"] = Field("nf4", description="NF4 is the QLoRA paper's normal-float 4-bit type.")
    double_quant: bool = Field(True, description="Quantise the per-block scales too (saves ~0.37 bit/param).")
    compute_dtype: Literal["bfloat16", "float16", "float32"] = Field(
        "bfloat16", description="dtype the 4-bit weights are dequantised to for each matmul.")
    quant_storage: Literal["uint8", "bfloat16", "float16", "float32"] = Field(
        "uint8", description="Container dtype of the packed 4-bit weights; bfloat16 for FSDP, which can only "
        "shard floating-point tensors.")


class LoraSection(_Strict):
    r: int = Field(16, gt=0, description="Rank of the update BA; 8-64 is usual, 16 a good default.")
    alpha: int = Field(32, gt=0, description="Scaling: the update is multiplied by alpha/r (2x r is common).")
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the adapter input; 0.05 for small data.")
    target_modules: list[str] = Field(default_factory=lambda: list(LLAMA_LINEAR),
                                      description="Module names to adapt (Llama names: attention and MLP).")
    bias: Literal["none", "all", "lora_only"] = Field("none", description="Which biases to train.")


class PromptSection(_Strict):
    num_virtual_tokens: int = Field(20, gt=0, description="Learned virtual tokens (prompt/prefix/p-tuning).")
    init_text: str | None = Field(None, description="prompt-tuning: initialise the virtual tokens from this text.")
    encoder_hidden_size: int = Field(128, gt=0, description="p-tuning: hidden size of the prompt encoder MLP.")


class IA3Section(_Strict):
    target_modules: list[str] = Field(default_factory=lambda: ["k_proj", "v_proj", "down_proj"],
                                      description="Modules whose activations get a learned scale.")
    feedforward_modules: list[str] = Field(default_factory=lambda: ["down_proj"],
                                           description="Of those, the feed-forward ones (scaled on their input).")


class TrainSource(_Strict):
    """One weighted source of a training mix: `- {path: a.jsonl, weight: 0.7}`."""

    path: str = Field(description="The file (.jsonl/.json/.parquet, any supported format).")
    weight: float | None = Field(None, gt=0, allow_inf_nan=False,
                                 description="Share of the mix (weights are normalised). Either every source of "
                                 "data.train has one or none does.")
    epochs: float = Field(1.0, gt=0, allow_inf_nan=False,
                          description="Passes over this source: 2 repeats every record twice, 0.5 draws half.")
    max_records: int | None = Field(None, gt=0, description="Use at most this many of the source's records (a "
                                    "seeded draw); the rest are counted as not drawn.")


class DataSection(_Strict):
    train: list[str | TrainSource] = Field(
        default_factory=list, description="Training files (.jsonl/.json/.parquet, any supported format): paths, or "
        "weighted sources {path, weight, epochs, max_records} mixed by a seeded sampler (see Mixes in "
        "docs/train.md). A single path is accepted too.")
    val: list[str] = Field(default_factory=list, description="Validation files; unset: split val_fraction off.")
    val_fraction: float = Field(0.1, ge=0, lt=1, description="Held out from train when data.val is unset (0: "
                                "no eval, and early stopping is off).")
    format: Literal["auto", "alpaca", "chat", "sharegpt", "prompt-completion"] = Field(
        "auto", description="Input format of every data file.")
    allow_extra: bool = Field(False, description="Accept unknown top-level fields in the data files (kept under "
                              "meta, never trained on), as --allow-extra does in the other commands.")
    streaming: bool = Field(False, description="Read the training files lazily while training instead of into "
                            "memory: memory stays flat however large the data. Needs train.max_steps, and data.val or "
                            "data.val_fraction=0 (a near-duplicate-aware split needs every record at once).")
    cache: bool = Field(True, description="Keep the tokenized data in $DATAFORGE_CACHE/tokenized/<key>/ and reuse it "
                        "when the data, tokenizer, chat template, max_length, packing and dataforge version are the "
                        "same (`dataforge cache ls|rm`).")

    @field_validator("train", "val", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, (str, dict)) else ([] if v is None else v)

    @model_validator(mode="after")
    def _weights_all_or_none(self) -> DataSection:
        weighted = [s.weight is not None for s in self.sources()]
        if any(weighted) and not all(weighted):
            raise ValueError("data.train: give every source a weight or none (a source without a weight has no "
                             "share of the mix)")
        return self

    def sources(self) -> list[TrainSource]:
        """data.train as sources (a plain path is a source of weight None, one epoch, no cap)."""
        return [TrainSource(path=s) if isinstance(s, str) else s for s in self.train]

    @property
    def train_paths(self) -> list[str]:
        return [s.path for s in self.sources()]


class ChatSection(_Strict):
    template: str | None = Field(None, description="Jinja chat template used when the tokenizer has none (or "
                                 "always with chat.force). 'chatml' names the built-in ChatML template.")
    force: bool = Field(False, description="Use chat.template even when the tokenizer has its own.")
    end_of_turn: str | None = Field(None, description="Token that ends an assistant turn; unset: the template's "
                                    "known stop token or the tokenizer's EOS. It must carry loss.")
    system: Literal["fold", "refuse"] = Field(
        "fold", description="When the template has no system role (Gemma rejects it, Mistral v0.3 drops it from "
        "training renders): fold puts the system text before the first user turn (blank line between); refuse "
        "stops, naming the records.")
    default_system: Literal["keep", "drop"] = Field(
        "keep", description="When the template adds a default system prompt to records without one (Qwen2.5): "
        "keep it (inference adds it too) or drop it (those records get an empty system message).")


class TrainSection(_Strict):
    epochs: float = Field(1.0, gt=0, allow_inf_nan=False,
                          description="Passes over the training data (ignored when max_steps > 0).")
    max_steps: int = Field(-1, ge=-1, description="Stop after this many optimizer steps; -1: use epochs.")
    learning_rate: float = Field(2e-4, gt=0, description="Peak LR; 2e-4 is the QLoRA paper's for 7B adapters.")
    batch_size: int = Field(1, gt=0, description="Sequences per device per step.")
    grad_accum: int = Field(1, gt=0, description="Steps accumulated per optimizer update.")
    max_length: int = Field(1024, gt=0, description="Tokens per sequence; longer ones are truncated (counted).")
    lr_scheduler: Scheduler = Field("cosine", description="transformers scheduler name (cosine, linear, constant...).")
    warmup_ratio: float = Field(0.03, ge=0, lt=1, description="Share of steps spent warming up the LR (3%).")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay; adapters rarely need it.")
    max_grad_norm: float = Field(0.3, gt=0, description="Gradient clipping; 0.3 follows the QLoRA paper.")
    optim: str = Field("adamw_torch", description="transformers optimizer name: paged_adamw_8bit for QLoRA "
                       "(8-bit states, paged to CPU on spikes), adamw_torch on CPU.")
    gradient_checkpointing: bool = Field(True, description="Recompute activations in backward: far less memory, "
                                         "about 30% more compute.")
    packing: Literal["none", "bfd", "padding_free"] = Field(
        "none", description="none: one record per row, padded to the batch's longest; bfd: records packed into "
        "max_length rows by best-fit decreasing (TRL); padding_free: each batch's records concatenated with no "
        "padding. bfd and padding_free keep records apart through position_ids, which needs an attention backend "
        "that honours them (checked on the loaded model: padding_free refuses one that does not, bfd warns).")
    assistant_only_loss: bool = Field(True, description="Loss only on the assistant's content and end-of-turn "
                                      "token, found by rendering the model's own template (no {% generation %} "
                                      "markers needed).")
    precision: Literal["auto", "bf16", "fp16", "fp32"] = Field(
        "auto", description="Mixed precision; auto: bf16 on a GPU that has it, fp32 on CPU.")
    logging_steps: int = Field(10, gt=0, description="Log loss and LR every N steps.")
    eval_steps: int = Field(50, gt=0, description="Evaluate (and checkpoint) every N steps.")
    save_steps: int = Field(50, gt=0, description="Checkpoint every N steps (equal to eval_steps for early stop).")
    save_total_limit: int | None = Field(3, ge=1, description="Keep at most N checkpoints (the best is always kept); "
                                         "null: keep all.")
    early_stopping_patience: int | None = Field(
        3, ge=1, description="Stop when val loss has stayed above its best for N evals in a row while train loss "
                             "falls (the overfitting detector of `dataforge evaluate`); the best checkpoint is "
                             "kept and loaded at the end. null: off.")
    overfitting_min_delta: float = Field(0.01, ge=0, description="A val loss rise (nats) above its best smaller "
                                         "than this is noise, not overfitting (0.01 nats is about 1% perplexity).")
    report_to: list[Logger] = Field(default_factory=lambda: ["tensorboard"],
                                 description="Loggers: tensorboard, mlflow (dataforge[mlflow]), none.")
    show_labels: int = Field(0, ge=0, description="Print the loss mask of this many records before training.")
    mask_check_records: int = Field(2000, gt=0, description="Records tokenised by the label-mask check.")
    dataloader_workers: int = Field(0, ge=0, description="DataLoader worker processes.")
    num_gpus: int = Field(1, ge=0, description="GPUs of a service train job: on Ray (`dataforge serve "
                          "--ray-address`) its task asks the cluster for this many and sees only them (0: CPU, no "
                          "GPU visible); more than 1 runs `accelerate launch --num_processes N` inside the job. "
                          "`dataforge train` itself uses the GPUs it sees (--num-processes for more than one).")

    @field_validator("report_to", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("packing", mode="before")
    @classmethod
    def _packing_bool(cls, v: Any) -> Any:
        # recipes and runs from before the three modes said true/false (true was TRL's BFD)
        return {True: "bfd", False: "none"}.get(v, v) if isinstance(v, bool) else v

    @field_validator("max_steps")
    @classmethod
    def _no_zero_steps(cls, v: int) -> int:
        if v == 0:  # transformers would train one step anyway
            raise ValueError("0 steps trains nothing: give a positive number, or -1 to use train.epochs")
        return v


class GateSection(_Strict):
    suite: str | None = Field(None, description="Expectation suite for the gate; unset: the Turkish SFT default.")
    lang: str = Field("tr", description="Expected language of the data.")


class Recipe(_Strict):
    name: str = Field("run", description="Run name: the run directory is runs/<name> unless output_dir is set.")
    method: Method = Field("qlora", description="PEFT method: qlora, lora, dora, prompt-tuning, prefix-tuning, "
                           "p-tuning, ia3.")
    seed: int = Field(42, description="Seeds data split, init and shuffling: same seed, same run.")
    output_dir: str | None = Field(None, description="Run directory; unset: runs/<name>.")
    model: ModelSection = Field(default_factory=ModelSection, description="Base model.")
    quant: QuantSection = Field(default_factory=QuantSection, description="4-bit loading (qlora).")
    lora: LoraSection = Field(default_factory=LoraSection, description="LoRA/DoRA/QLoRA adapter.")
    prompt: PromptSection = Field(default_factory=PromptSection, description="Prompt-learning methods.")
    ia3: IA3Section = Field(default_factory=IA3Section, description="IA3 scales.")
    data: DataSection = Field(default_factory=DataSection, description="Training and validation data.")
    chat: ChatSection = Field(default_factory=ChatSection, description="Chat template.")
    train: TrainSection = Field(default_factory=TrainSection, description="Trainer settings.")
    gate: GateSection = Field(default_factory=GateSection, description="Quality gate before training.")

    @field_validator("name")
    @classmethod
    def _one_segment(cls, v: str) -> str:
        # a run name is one folder under runs/: "../x" or "a/b" would put the run somewhere else
        if not v or v in (".", "..") or "/" in v or "\\" in v or "\x00" in v:
            raise ValueError("a run name is one folder name (no '/', '\\', '.' or '..'): use output_dir for "
                             "another place")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        if self.method == "qlora" and not self.quant.load_in_4bit:
            raise ValueError("method qlora needs quant.load_in_4bit=true (or use method=lora)")
        if self.method != "qlora" and self.quant.load_in_4bit:
            raise ValueError(f"quant.load_in_4bit=true is for method qlora, not {self.method}")
        if self.method in PROMPT_METHODS and self.train.packing != "none":
            # PEFT's prompt-learning models drop position_ids ("Position ids are not supported"), so packed records
            # would attend to each other and to the virtual tokens of the record before
            raise ValueError(f"train.packing={self.train.packing} cannot keep records apart with method "
                             f"{self.method} (PEFT ignores position_ids for prompt learning): set train.packing=none")
        if self.data.streaming and self.train.max_steps < 0:
            raise ValueError("data.streaming=true needs train.max_steps: a stream has no length to count epochs "
                             "by; set train.max_steps=N (plan prints the steps per epoch)")
        if self.data.streaming and not self.data.val and self.data.val_fraction > 0:
            raise ValueError("data.streaming=true cannot split data.val_fraction off (the near-duplicate-aware "
                             "split needs every record at once): give data.val=FILE or set data.val_fraction=0")
        return self

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir or f"runs/{self.name}")
