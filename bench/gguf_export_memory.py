"""Peak memory of writing a GGUF: dataforge's streaming writer against a whole-model baseline.

Baseline ("load-all"): read every tensor of the merged model into float32 first, then quantize and write, as a
straightforward converter does (what dataforge's first version did). dataforge: `write_gguf`, which reads, permutes
and quantizes one tensor at a time and spools it to a temp file. Each variant runs in its own process; the peak RSS
of that process is reported two ways: peak anonymous memory (RssAnon, sampled every 20 ms: the memory the process
really holds) and ru_maxrss (which also counts the pages of the memory-mapped safetensors file the kernel can drop),
with the ratio to the baseline and the wall time.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 python bench/gguf_export_memory.py [--hidden 1024 --layers 8] [--qtype q8_0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_model(out: Path, hidden: int, layers: int) -> int:
    """A random-init Llama saved in bf16 (as hub models are), with a small byte-level BPE tokenizer."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>", "<|im_end|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["Merhaba dünya, bu bir deneme cümlesidir."] * 10, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(fast), hidden_size=hidden, intermediate_size=hidden * 11 // 4,
                      num_hidden_layers=layers, num_attention_heads=hidden // 64, num_key_value_heads=hidden // 256)
    model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(out)
    fast.save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


def _sample_anon(peak: list[int]) -> None:
    while True:
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon:"):
                peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.02)


def run_variant(variant: str, model_dir: Path, out: Path, qtype: str) -> int:
    """Runs in the child process; returns the peak RssAnon in KiB."""
    import threading

    from dataforge.export import gguf_export

    peak = [0]
    threading.Thread(target=_sample_anon, args=(peak,), daemon=True).start()

    if variant == "load-all":
        original = gguf_export._iter_state

        def load_all(model_dir):  # materialise the whole model in float32, then hand it over
            return iter(list(original(model_dir)))

        gguf_export._iter_state = load_all
    gguf_export.write_gguf(model_dir, out, qtype)
    time.sleep(0.05)
    return peak[0]


def measure(variant: str, model_dir: Path, out: Path, qtype: str) -> dict:
    start = time.perf_counter()
    code = ("import sys, resource; sys.path.insert(0, '.'); from bench.gguf_export_memory import run_variant; "
            f"anon = run_variant({variant!r}, __import__('pathlib').Path({str(model_dir)!r}), "
            f"__import__('pathlib').Path({str(out)!r}), {qtype!r}); "
            "print(anon, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    anon_kib, rss_kib = map(int, res.stdout.strip().splitlines()[-1].split())
    return {"variant": variant, "peak_anon_mib": anon_kib / 1024, "peak_rss_mib": rss_kib / 1024,
            "seconds": time.perf_counter() - start, "gguf_mib": out.stat().st_size / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--qtype", default="q8_0", choices=("f16", "q8_0", "q4_0"))
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "model"
        params = build_model(model_dir, args.hidden, args.layers)
        print(f"model: {params / 1e6:.0f}M parameters, bf16 safetensors "
              f"{sum(f.stat().st_size for f in model_dir.glob('*.safetensors')) / 2**20:.0f} MiB; "
              f"float32 in memory {params * 4 / 2**20:.0f} MiB; GGUF {args.qtype}")
        rows = [measure(v, model_dir, Path(tmp) / f"{v}.gguf", args.qtype) for v in ("load-all", "dataforge")]
    base = rows[0]
    print(f"{'variant':<12}{'peak anon MiB':>14}{'vs load-all':>13}{'maxrss MiB':>12}{'vs load-all':>13}"
          f"{'seconds':>9}{'GGUF MiB':>10}")
    for r in rows:
        print(f"{r['variant']:<12}{r['peak_anon_mib']:>14.0f}{r['peak_anon_mib'] / base['peak_anon_mib']:>12.2f}x"
              f"{r['peak_rss_mib']:>12.0f}{r['peak_rss_mib'] / base['peak_rss_mib']:>12.2f}x{r['seconds']:>9.1f}"
              f"{r['gguf_mib']:>10.0f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"params": params, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
