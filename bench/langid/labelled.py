"""The labelled set for the language-ID benchmark: Turkish from sample_data/ (answers and short questions),
asciified copies of the Turkish answers, and English and Azerbaijani sentences written for this benchmark."""

from __future__ import annotations

import glob
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASCII = str.maketrans("çğıöşüÇĞİÖŞÜâîû", "cgiosuCGIOSUaiu")

ENGLISH = [
    "Could you explain how compound interest works on a savings account?",
    "The train to Manchester was delayed by forty minutes because of a signal failure.",
    "Add the onions to the pan and cook them slowly until they turn golden brown.",
    "Our team released the new version of the library last Tuesday.",
    "What is the difference between weather and climate?",
    "She finally finished the marathon in just under four hours.",
    "Please make sure the door is locked before you leave the office.",
    "The museum is closed on Mondays but open late on Fridays.",
    "How many hours of sleep does a teenager need each night?",
    "Photosynthesis converts light energy into chemical energy stored in sugar.",
    "I would rather walk to the market than wait for the bus in the rain.",
    "The committee postponed its decision until more data is available.",
    "Why do cats purr when they are being stroked?",
    "Write a short poem about the sea at night.",
    "Regular exercise lowers the risk of heart disease and improves mood.",
    "The river floods almost every spring when the snow melts in the mountains.",
    "Summarise the main arguments of the article in three sentences.",
    "He forgot his umbrella again, so he arrived at work soaking wet.",
    "A good password is long, unique and hard to guess.",
    "The bakery on the corner sells the best bread in town.",
    "Is it safe to eat raw cookie dough?",
    "Translate the following sentence into French, please.",
    "Our flight leaves at seven, so we should be at the airport by five.",
    "The children built a sandcastle and watched the tide wash it away.",
    "Learning a new language takes patience, practice and a bit of courage.",
]

AZERBAIJANI = [
    "Bu gün hava çox gözəldir, parka gedək.",
    "Mən səhər tezdən oyanıb idmana gedirəm.",
    "Bakı Xəzər dənizinin sahilində yerləşən böyük bir şəhərdir.",
    "Zəhmət olmasa, qapını bağlayın.",
    "Sən nə vaxt evə qayıdacaqsan?",
    "Uşaqlar həyətdə top oynayırlar.",
    "Bu kitabı oxumağı sənə məsləhət görürəm.",
    "Nənəm hər bazar günü bizə şirniyyat bişirir.",
    "Qatar saat doqquzda stansiyadan yola düşür.",
    "Mənim qardaşım universitetdə riyaziyyat oxuyur.",
    "Çay içmək istəyirsənmi, yoxsa qəhvə?",
    "Qış gələndə dağlar qarla örtülür.",
    "Bazarda təzə meyvə və tərəvəz satılır.",
    "Azərbaycan mətbəxi çox zəngin və dadlıdır.",
    "Biz bu layihəni gələn həftə bitirməliyik.",
    "Onun səsi çox yumşaq və xoşdur.",
    "Xahiş edirəm, bu sənədi diqqətlə oxuyun.",
    "Dostlarımla birlikdə kinoya getdik.",
    "Həkim mənə çoxlu su içməyi məsləhət gördü.",
    "Şəhərin mərkəzində yeni bir kitabxana açılıb.",
    "Mən azərbaycanca danışıram, amma türkcəni də başa düşürəm.",
    "Yay tətilində dənizə getməyi planlaşdırırıq.",
    "Bu məsələ haqqında fikrin nədir?",
    "Qonşumuz bağında alma və armud ağacları əkib.",
    "Sabah imtahanım var, ona görə bu axşam dərs oxuyacağam.",
]


def _sample_turns() -> tuple[list[str], list[str]]:
    questions, answers = [], []
    for path in sorted(glob.glob(str(ROOT / "sample_data" / "*_tr.jsonl"))):
        for line in open(path, encoding="utf-8"):
            obj = json.loads(line)
            for m in obj.get("messages") or []:
                (questions if m["role"] == "user" else answers).append(m["content"])
            if obj.get("instruction"):
                questions.append(obj["instruction"])
            if obj.get("output"):
                answers.append(obj["output"])
    return questions, answers


def labelled() -> list[tuple[str, str, str]]:
    """(group, expected label, text)."""
    questions, answers = _sample_turns()
    out = [("turkish answer", "tr", t) for t in answers]
    out += [("turkish question", "tr", q) for q in questions if len(q) <= 80]
    asciified = [a.translate(ASCII) for a in answers]
    out += [("asciified", "asciified", a) for a, orig in zip(asciified, answers, strict=True)
            if a != orig and sum(c.isalpha() for c in a) >= 50]
    out += [("english", "en", t) for t in ENGLISH]
    out += [("azerbaijani", "az", t) for t in AZERBAIJANI]
    return out
