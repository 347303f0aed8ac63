"""Augmentation leaves alone what a record's task depends on, and says so when the input is not Turkish."""

import json
from pathlib import Path

import orjson
import pytest

from dataforge.augment import build_filters, run
from dataforge.augment.config import load_config
from dataforge.augment.synonym import SynonymAugmenter
from dataforge.augment.task import read_task
from dataforge.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.mark.parametrize("instruction, transform", [
    ("Aşağıdaki cümleyi günümüz Türkçesiyle, daha sade bir biçimde yeniden yaz.", True),
    ("Aşağıdaki cümledeki yazım hatalarını düzelt.", True),
    ("Bu paragrafı İngilizceye çevir.", True),
    ("Metni sadeleştirir misin?", True),
    ("Aşağıdaki kelimeleri isim, fiil ve sıfat olarak grupla.", True),  # a weak verb, pointing at given text
    ("İklim değişikliğinin nedenlerini sırala.", False),  # the same kind of verb, nothing given: a list
    ("Menemen nasıl yapılır? Kısaca anlat.", False),
])
def test_transforming_tasks_are_recognised(instruction, transform):
    assert read_task(instruction, "x").transform is transform


def test_named_words_and_pointed_at_input():
    g = read_task('Bağlaç olan "de/da" ile "kent" kelimesini açıkla.')
    assert {"de", "da", "kent"} <= g.named and not g.keep_input
    g = read_task("Aşağıdaki atasözünün anlamını açıkla.", "Damlaya damlaya göl olur.")
    assert g.keep_input and {"damlaya", "göl", "olur"} <= g.named
    assert read_task("Değişken kavramını açıkla.").named == {"değişken"}


def write(tmp_path, records):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_a_run_leaves_task_text_answers_and_named_words_alone(tmp_path, morphology, shipped_lexicon):
    path = write(tmp_path, [
        {"instruction": "Aşağıdaki cümleyi günümüz Türkçesiyle sade bir biçimde yeniden yaz.",
         "input": "Mevzubahis yönetmelik mucibince müracaatlar muayyen müddet zarfında yapılmalıdır.",
         "output": "Bu yönetmeliğe göre başvurular belli bir süre içinde yapılmalıdır."},
        {"instruction": "\"Kent\" kelimesinin anlamını açıkla ve bir örnek ver.",
         "output": "Kent, nüfusu kalabalık büyük yerleşim yeridir. Kentte yaşayan insanlar küçük bir şehirden "
                   "farklı bir hayat sürer."},
        {"instruction": "Aşağıdaki atasözünün anlamını açıkla.", "input": "Küçük adımlar büyük yol açar.",
         "output": "Bu atasözü, küçük ama düzenli çabaların zamanla büyük bir sonuç verdiğini anlatır."},
    ])
    cfg = load_config({"method": "synonym", "seed": 2, "ratio": 1.0, "max_similarity": 0.99, "only_new": True,
                       "min_length_ratio": 0.1})
    aug = SynonymAugmenter(shipped_lexicon, morphology, ratio=1.0)
    out = tmp_path / "out.jsonl"
    s = run.augment_file(str(path), str(out), cfg, aug, build_filters(cfg), progress=False).as_json()
    m = s["methods"]["synonym"]
    assert m["rejected"].get("task_text") == 1 and m["kept"] == 2
    kent, proverb = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert kent["output"].startswith("Kent,") and "Kentte" in kent["output"]
    assert kent["output"] != "Kent, nüfusu kalabalık büyük yerleşim yeridir. Kentte yaşayan insanlar küçük bir " \
                             "şehirden farklı bir hayat sürer."  # the rest was rewritten
    assert proverb["input"] == "Küçük adımlar büyük yol açar."
    assert "küçük" in proverb["output"] and "büyük" in proverb["output"]  # the proverb's words, as it names them


def test_input_that_is_not_turkish_is_one_line(tmp_path, capsys, morphology):
    path = write(tmp_path, [{"instruction": f"Explain how {x} works in two sentences.",
                             "output": f"The {x} is a common tool that many people use every day at home."}
                            for x in ("a kettle", "a bicycle", "a compass")])
    code = main(["augment", str(path), "-o", str(tmp_path / "o.jsonl"), "--method", "synonym", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == [f"{path}: 0 of 3 records are Turkish: synonym augmentation is for Turkish text"]


def test_progress_says_zemberek_is_loading_and_the_bar_has_a_total(tmp_path, capsys, morphology):
    code = main(["augment", str(SAMPLE / "sharegpt_tr.jsonl"), "-o", str(tmp_path / "o.jsonl"),
                 "--method", "synonym"])
    err = capsys.readouterr().err
    assert code == 0 and "loading Turkish morphology (zemberek" in err and "12/12" in err
