"""Build the 100k-record benchmark file for `bench/check`: chats assembled from sentences of sample_data/ (and the
shared Turkish seeds when present) with seeded perturbations, plus planted exact and near duplicates, PII,
mojibake, English and empty turns. Writes bench/data/check_<n>.jsonl and check_<n>.truth.json (planted pairs).

    python bench/check/make_data.py [--records 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import glob
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = [
    "The weather is lovely today, so we decided to walk to the old harbour.",
    "Please send me the quarterly report before the meeting on Thursday.",
    "Machine learning models need clean data more than clever tricks.",
    "She opened the window and listened to the rain for a while.",
    "Remember to back up your files before installing the update.",
]
ASCII = str.maketrans("çğıöşüÇĞİÖŞÜ", "cgiosuCGIOSU")


def _texts() -> tuple[list[str], list[str]]:
    questions, sentences = [], []
    for path in glob.glob(str(ROOT / "sample_data" / "*_tr.jsonl")):
        for line in open(path, encoding="utf-8"):
            obj = json.loads(line)
            msgs = obj.get("messages") or obj.get("conversations") or []
            for m in msgs:
                role = m.get("role") or m.get("from")
                text = m.get("content") or m.get("value") or ""
                (questions if role in ("user", "human") else sentences).append(text)
            for key in ("instruction", "prompt"):
                if obj.get(key):
                    questions.append(obj[key])
            for key in ("output", "completion"):
                if obj.get(key):
                    sentences.append(obj[key])
    for path in glob.glob("/work/shared/seeds/*.txt"):
        sentences.extend(Path(path).read_text(encoding="utf-8").splitlines())
    split = [s.strip() for t in sentences for s in re.split(r"(?<=[.!?])\s+", t)]
    return [q for q in questions if q.strip()], [s for s in split if len(s.split()) >= 4]


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    kind = rng.choice(["drop", "swap", "typo", "asciify"])
    if kind == "asciify":
        return text.translate(ASCII)
    i = rng.randrange(len(words))
    if kind == "drop" and len(words) > 5:
        del words[i]
    elif kind == "swap" and len(words) > 5:
        j = min(i + 1, len(words) - 1)
        words[i], words[j] = words[j], words[i]
    else:
        words[i] = words[i] + rng.choice("ae")
    return " ".join(words)


def build(n: int, seed: int) -> tuple[list[dict], dict]:
    rng = random.Random(seed)
    questions, sentences = _texts()
    records: list[dict] = []
    truth: dict = {"exact": [], "near": [], "pii": [], "mojibake": [], "english": [], "empty": []}
    for i in range(n):
        r = rng.random()
        if i > 10 and r < 0.01:
            j = rng.randrange(i)
            records.append(json.loads(json.dumps(records[j])))
            truth["exact"].append([j, i])
            continue
        if i > 10 and r < 0.03:
            j = rng.randrange(i)
            while not records[j]["messages"][-1]["content"].strip():
                j = rng.randrange(i)
            msgs = [dict(m) for m in records[j]["messages"]]
            msgs[-1]["content"] = _perturb(msgs[-1]["content"], rng)
            records.append({"messages": msgs})
            truth["near"].append([j, i])
            continue
        user = rng.choice(questions) + " " + rng.choice(sentences)
        answer = " ".join(rng.sample(sentences, rng.randint(3, 7)))
        if r > 0.998:
            contact = rng.choice(["0532 412 45 67", "ali.veli@ornek.com.tr", "10000000146"])
            answer += f" Bana {contact} üzerinden ulaşın."
            truth["pii"].append(i)
        elif r > 0.996:
            answer = answer.encode("utf-8").decode("latin-1")
            truth["mojibake"].append(i)
        elif r > 0.993:
            user, answer = rng.choice(ENGLISH), " ".join(rng.sample(ENGLISH, 3))
            truth["english"].append(i)
        elif r > 0.992:
            answer = "   "
            truth["empty"].append(i)
        records.append({"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]})
    return records, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", default=str(ROOT / "bench" / "data"))
    args = ap.parse_args()
    records, truth = build(args.records, args.seed)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"check_{args.records}.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    (out / f"check_{args.records}.truth.json").write_text(json.dumps(truth))
    print(f"{path}: {len(records)} records; planted: " + ", ".join(f"{k} {len(v)}" for k, v in truth.items()))


if __name__ == "__main__":
    main()
