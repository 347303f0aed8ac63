"""`dataforge plan`: GPU memory of a recipe from the model's config.json alone; no weights, no torch.

Every figure is a count of bytes with its reason, so the table can be checked by hand. Activations follow what
torch saves for backward in a Llama-style block (sdpa attention, so no seq x seq score matrix is stored).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from dataforge.errors import UsageError
from dataforge.run.config import PROMPT_METHODS, Recipe

GiB = 1024**3
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
# Adam keeps two states per trainable parameter: fp32 (4+4 bytes) or 8-bit blockwise (1+1 bytes, bitsandbytes)
OPTIM_BYTES = {"adamw_8bit": 2, "paged_adamw_8bit": 2, "adamw_bnb_8bit": 2, "paged_adamw_32bit": 8, "sgd": 0}
# TRL's fused LM head scores the vocabulary in [4096 tokens x 32768 vocab] tiles instead of full logits
LM_TILE_TOKENS, LM_TILE_VOCAB = 4096, 32768


@dataclass
class Shape:
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied: bool

    @classmethod
    def from_config(cls, cfg: dict) -> Shape:
        cfg = cfg.get("text_config", cfg)
        try:
            h, heads = cfg["hidden_size"], cfg["num_attention_heads"]
            return cls(h, cfg["intermediate_size"], cfg["num_hidden_layers"], heads,
                       cfg.get("num_key_value_heads") or heads, cfg.get("head_dim") or h // heads,
                       cfg["vocab_size"], bool(cfg.get("tie_word_embeddings", False)))
        except KeyError as exc:
            raise UsageError(f"model config has no {exc.args[0]}: plan knows Llama-style decoders only") from exc

    def linears(self) -> dict[str, tuple[int, int]]:
        """(in, out) features of each projection of one block."""
        q, kv, h, i = self.heads * self.head_dim, self.kv_heads * self.head_dim, self.hidden, self.intermediate
        return {"q_proj": (h, q), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (q, h),
                "gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h)}

    def block_linear_params(self) -> int:
        return self.layers * sum(a * b for a, b in self.linears().values())

    def other_params(self) -> int:
        """Embeddings, LM head (unless tied) and norms: never quantised."""
        emb = self.vocab * self.hidden
        return emb * (1 if self.tied else 2) + (2 * self.layers + 1) * self.hidden


def lora_params(in_features: int, out_features: int, r: int) -> int:
    """A is r x in, B is out x r."""
    return r * (in_features + out_features)


def trainable_params(recipe: Recipe, shape: Shape) -> int:
    m, lin = recipe.method, shape.linears()
    if m in ("lora", "qlora", "dora"):
        targets = [lin[t] for t in recipe.lora.target_modules if t in lin]
        per_layer = sum(lora_params(i, o, recipe.lora.r) for i, o in targets)
        if m == "dora":
            per_layer += sum(o for _, o in targets)  # one magnitude per output feature
        return shape.layers * per_layer
    if m == "ia3":
        ff = set(recipe.ia3.feedforward_modules)
        return shape.layers * sum(lin[t][0] if t in ff else lin[t][1] for t in recipe.ia3.target_modules if t in lin)
    n, h = recipe.prompt.num_virtual_tokens, shape.hidden
    if m == "prompt-tuning":
        return n * h
    if m == "p-tuning":  # embedding + MLP h -> e -> e -> h with biases
        e = recipe.prompt.encoder_hidden_size
        return n * h + (h * e + e) + (e * e + e) + (e * h + h)
    if m == "prefix-tuning":  # a key and a value prefix for every layer
        return n * shape.layers * 2 * shape.kv_heads * shape.head_dim
    raise UsageError(f"method: plan does not know {m!r}")


@dataclass
class Plan:
    rows: list[tuple[str, float, str]] = field(default_factory=list)
    trainable: int = 0
    total_params: int = 0
    gpu_bytes: int | None = None

    @property
    def total(self) -> float:
        return sum(b for _, b, _ in self.rows)

    def add(self, name: str, nbytes: float, why: str) -> None:
        self.rows.append((name, nbytes, why))

    def as_json(self) -> dict:
        return {"rows": [{"name": n, "bytes": int(b), "why": w} for n, b, w in self.rows],
                "total_bytes": int(self.total), "trainable_params": self.trainable,
                "total_params": self.total_params, "gpu_bytes": self.gpu_bytes}


def weight_bytes(recipe: Recipe, shape: Shape) -> tuple[float, str]:
    dtype = DTYPE_BYTES[recipe.model.dtype]
    linear, other = shape.block_linear_params(), shape.other_params()
    if recipe.method != "qlora":
        return (linear + other) * dtype, f"{linear + other:,} params in {recipe.model.dtype}"
    # 4-bit: half a byte per weight plus one absmax per 64-weight block: fp32 (4 B), or with double quant an 8-bit
    # absmax plus one fp32 scale per 256 blocks
    scales = (1 + 4 / 256) / 64 if recipe.quant.double_quant else 4 / 64
    dq = "double quant" if recipe.quant.double_quant else "fp32 block scales"
    return (linear * (0.5 + scales) + other * dtype,
            f"{linear:,} block weights in 4-bit {recipe.quant.quant_type} ({dq}), {other:,} embedding/head/norm "
            f"params in {recipe.model.dtype}")


def block_activation_bytes(recipe: Recipe, shape: Shape) -> float:
    """Bytes saved for backward by one block, per token."""
    h, kv, i = shape.hidden, shape.kv_heads * shape.head_dim, shape.intermediate
    q = shape.heads * shape.head_dim
    half = 2 if recipe.method == "qlora" else DTYPE_BYTES[recipe.model.dtype]
    # norm outputs (2h), q/k/v before and after RoPE (2(q+2kv)), attention output (q), MLP gate/up/act/product (4i)
    elems = 2 * h + 2 * (q + 2 * kv) + q + 4 * i
    if recipe.method in ("lora", "qlora", "dora") and recipe.lora.dropout > 0:
        lin = shape.linears()
        elems += sum(lin[t][0] for t in recipe.lora.target_modules if t in lin)  # each adapter's dropout output
    return elems * half + 2 * h * 4  # + the two RMSNorm inputs, kept in fp32


def estimate(recipe: Recipe, cfg: dict) -> Plan:
    shape = Shape.from_config(cfg)
    t = recipe.train
    trainable = trainable_params(recipe, shape)
    # counted as PEFT counts them (what `train` reports): the base model's parameters plus the adapter's
    plan = Plan(trainable=trainable, total_params=shape.block_linear_params() + shape.other_params() + trainable)
    nbytes, why = weight_bytes(recipe, shape)
    plan.add("weights", nbytes, why)
    # PEFT keeps adapters in fp32 (autocast_adapter_dtype) and their gradients too
    plan.add("adapter", plan.trainable * 4, f"{plan.trainable:,} trainable params in fp32")
    plan.add("gradients", plan.trainable * 4, "fp32, adapter only (the base model is frozen)")
    per = OPTIM_BYTES.get(t.optim, 8)
    paged = " (paged: spills to CPU memory instead of failing)" if t.optim.startswith("paged") else ""
    plan.add("optimizer", plan.trainable * per, f"{t.optim}: {per} bytes per trainable param{paged}")
    tokens = t.batch_size * t.max_length
    act_dtype = 2 if recipe.method == "qlora" else DTYPE_BYTES[recipe.model.dtype]
    block = block_activation_bytes(recipe, shape) * tokens
    checkpointing = t.gradient_checkpointing and recipe.method not in PROMPT_METHODS
    if checkpointing:
        plan.add("activations", shape.layers * tokens * shape.hidden * act_dtype + block,
                 f"checkpointed: each block's input for {tokens:,} tokens (batch {t.batch_size} x {t.max_length}) "
                 f"+ one block recomputed ({block / GiB:.2f} GiB; without checkpointing "
                 f"{shape.layers * block / GiB:.2f} GiB)")
    else:
        plan.add("activations", shape.layers * block,
                 f"all {shape.layers} blocks for {tokens:,} tokens (batch {t.batch_size} x {t.max_length}); with "
                 f"checkpointing {(shape.layers * tokens * shape.hidden * act_dtype + block) / GiB:.2f} GiB")
    tile = min(tokens, LM_TILE_TOKENS) * min(shape.vocab, LM_TILE_VOCAB) * act_dtype
    plan.add("lm head", tile + tokens * shape.hidden * 4,
             "TRL's fused head: one logits tile + fp32 gradient of the last hidden states (no full logits)")
    plan.gpu_bytes = visible_gpu_bytes()
    return plan


def visible_gpu_bytes() -> int | None:
    """Memory of the first visible GPU via nvidia-smi (so plan needs no torch); None when there is none."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10)
        return int(out.stdout.split()[0]) * 1024**2 if out.returncode == 0 else None
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None


def model_config(recipe: Recipe) -> dict:
    """config.json of model.name: a local directory or file, the tiny demo model, or a hub id (via the cache)."""
    name = recipe.model.name
    if name is None:  # the tiny demo model train builds: its vocabulary is the BPE trained on data.train
        from dataforge.train.tiny import TINY_LLAMA, texts_of, train_bpe

        return {**TINY_LLAMA, "vocab_size": train_bpe(texts_of(recipe.data.train_paths)).get_vocab_size()}
    from dataforge.run.loading import resolve_model_source

    name = resolve_model_source(name, "model.name")  # a GGUF: its cached HF folder (converted once)
    path = Path(name)
    if path.is_dir():
        path = path / "config.json"
        if not path.is_file():
            raise UsageError(f"model.name: {name}: no config.json inside: plan needs the model's config")
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    try:
        from transformers import AutoConfig

        return AutoConfig.from_pretrained(name, trust_remote_code=recipe.model.trust_remote_code).to_dict()
    except OSError as exc:
        raise UsageError(f"model.name: cannot read the config of {name!r} ({str(exc).splitlines()[0]}); "
                         "give a local directory or a config.json") from exc


def render(plan: Plan, recipe: Recipe) -> str:
    lines = [f"memory plan for {recipe.name} ({recipe.method}, {recipe.model.name or 'tiny local model'})",
             f"{'component':<12} {'GiB':>8}  why"]
    lines += [f"{n:<12} {b / GiB:>8.3f}  {w}" for n, b, w in plan.rows]
    lines.append(f"{'total':<12} {plan.total / GiB:>8.3f}  (CUDA context and allocator slack come on top)")
    share = 100 * plan.trainable / max(plan.total_params, 1)
    lines.append(f"trainable parameters: {plan.trainable:,} of {plan.total_params:,} ({share:.3f}%)")
    if plan.gpu_bytes is None:
        lines.append("no GPU visible: nothing to compare with")
    elif plan.total > plan.gpu_bytes:
        lines.append(f"WARNING: the estimate exceeds the visible GPU memory ({plan.gpu_bytes / GiB:.1f} GiB): lower "
                     "train.batch_size or train.max_length, turn on train.gradient_checkpointing, or use qlora")
    else:
        lines.append(f"fits the visible GPU ({plan.gpu_bytes / GiB:.1f} GiB)")
    return "\n".join(lines)
