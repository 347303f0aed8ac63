import json

from dataforge.quality.split import assign, split
from tests.quality.helpers import BASE, SAMPLE, chat


def _lines(path):
    return [json.loads(x) for x in open(path, encoding="utf-8") if x.strip()]


def test_near_duplicate_clusters_never_straddle(tmp_path):
    src = tmp_path / "d.jsonl"
    lines = (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines()
    family = [chat("Kahve telvesi?", BASE + suffix) for suffix in ("", " Ek.", " Ek bilgi.", " Bir ek daha.")]
    lines += [json.dumps(r, ensure_ascii=False) for r in family * 2]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for seed in range(5):
        out = tmp_path / f"s{seed}"
        s = split(str(src), str(out), val=0.2, test=0.1, seed=seed)
        assert s.adds_up and s.records == 74 + 8
        assert s.clusters == 1 and s.clustered_records == 8 and s.kept_together == 1
        homes = [name for name in ("train", "val", "test") for r in _lines(out / f"{name}.jsonl")
                 if r["messages"][1]["content"].startswith(BASE[:40])]
        assert len(homes) == 8 and len(set(homes)) == 1


def test_split_is_seeded_and_sizes_follow_the_shares(tmp_path):
    a = split(str(SAMPLE / "chat_tr.jsonl"), str(tmp_path / "a"), val=0.1, test=0.1, seed=3)
    b = split(str(SAMPLE / "chat_tr.jsonl"), str(tmp_path / "b"), val=0.1, test=0.1, seed=3)
    assert a.counts == b.counts == {"train": 60, "val": 7, "test": 7}
    assert (tmp_path / "a" / "val.jsonl").read_bytes() == (tmp_path / "b" / "val.jsonl").read_bytes()
    split(str(SAMPLE / "chat_tr.jsonl"), str(tmp_path / "c"), val=0.1, test=0.1, seed=4)
    assert (tmp_path / "c" / "val.jsonl").read_bytes() != (tmp_path / "a" / "val.jsonl").read_bytes()


def test_assign_deals_whole_groups_without_overshooting():
    groups = [[0, 1, 2, 3, 4], [5], [6], [7, 8], [9]]
    where = assign(groups, 10, val=0.2, test=0.0, seed=0)
    assert sum(v == "val" for v in where.values()) == 2
    assert len({where[i] for i in groups[0]}) == 1
