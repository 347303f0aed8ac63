"""What a record's task depends on, so augmentation leaves it alone (issue 13).

Measured before: a record asking to rewrite an archaic sentence in plain Turkish got an archaic word injected into
its answer; a synonym in the sentence to be corrected, or in the list of words to be grouped, changes what the
right answer is. Three rules, read from the user turns (the instruction):

1. A task that transforms given text (rewrite, translate, correct, simplify, summarise, convert, extract, group,
   merge, make negative ...) is not augmented at all: its input is the object of the task and its answer is tied to
   that input word by word. The candidate is counted under `task_text`.
2. Text the instruction points at (`aşağıdaki ...`, `verilen ...`, `şu ...`: alpaca's `input`) stays as it is.
3. Words the instruction names (in quotes, before kelime/sözcük/terim/kavram, or the whole pointed-at input) are
   kept wherever they occur in the record; a candidate that lost one is rejected as `task_words_changed`.

Patterns over surface text, on purpose: a false alarm costs one candidate, a miss can teach a model a wrong answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dataforge.augment.protect import QUOTED, WORD
from dataforge.text.casing import tr_lower

# Verb stems of transforming tasks, Turkish and English; any suffix may follow (düzelt, düzeltin, düzeltir misin).
TRANSFORM = re.compile(
    r"\b(?:yeniden yaz|baştan yaz|tekrar yaz|yeniden ifade|başka (?:bir )?(?:şekilde|biçimde|sözcüklerle)|"
    r"sadeleştir|basitleştir|düzelt|çevir|tercüme et|özetle|dönüştür|olumsuz yap|olumlu yap|eş anlamlı|"
    r"zıt anlamlı|karşıt anlamlı|noktala|rewrite|paraphrase|translate|correct|simplify|summari[sz]e|convert)\w*",
    re.I)
# Verbs that transform only when the instruction points at given text ("nedenlerini sırala" lists reasons;
# "aşağıdaki sayıları sırala" sorts the given numbers).
TRANSFORM_GIVEN = re.compile(r"\b(?:birleştir|ayır|grupla|sırala|çıkar|aktar|sınıflandır|yap)\w*", re.I)
POINTS_AT = re.compile(r"\b(?:aşağıdaki|aşağıda|verilen|şu|bu (?:metn|metin|cümle|kelime|sözcük|paragraf))\w*", re.I)
NAMING = re.compile(r"([^\W\d_]+)\s+(?:kelime|sözcük|terim|kavram|deyim|ifade)\w*", re.I)


@dataclass
class TaskGuard:
    transform: bool = False  # rule 1: the record is not augmented
    keep_input: bool = False  # rule 2: alpaca `input` stays
    named: set[str] = field(default_factory=set)  # rule 3: lower-cased words to keep everywhere


def read_task(instruction: str, given_input: str | None = None) -> TaskGuard:
    """The guard for one record from its instruction text (user turns, without the alpaca input) and input."""
    points = bool(POINTS_AT.search(instruction))
    guard = TaskGuard(transform=bool(TRANSFORM.search(instruction) or points and TRANSFORM_GIVEN.search(instruction)))
    guard.keep_input = bool(given_input) and points
    for m in QUOTED.finditer(instruction):
        guard.named |= {tr_lower(w) for w in WORD.findall(m.group())}
    guard.named |= {tr_lower(m.group(1)) for m in NAMING.finditer(instruction)}
    if guard.keep_input:
        guard.named |= {tr_lower(w) for w in WORD.findall(given_input or "")}
    return guard


def is_named(word: str, named: set[str]) -> bool:
    """Is `word` (lower case) a named word or an inflection of one? Inflections start with the named word less
    its last letter (kitap -> kitabı, kitaplar); words under 4 letters (de, bir) must match exactly, or every
    word starting with `de` would count."""
    return word in named or any(len(w) >= 4 and word.startswith(w[:-1]) for w in named)


def mentions(text: str, named: set[str]) -> list[str]:
    """The words of `text` that are named words or their inflections, in order (compared before and after)."""
    return [w for w in (tr_lower(x) for x in WORD.findall(text)) if is_named(w, named)]


def instruction_text(messages, given_input: str | None) -> str:
    """The user turns of a record, without the alpaca `input` (that is what the instruction points at)."""
    users = [m.text() for m in messages if m.role == "user"]
    if given_input and users and users[-1].endswith("\n" + given_input):
        users[-1] = users[-1][: -len(given_input) - 1]
    return "\n".join(users)


def is_turkish(texts: list[str]) -> list[bool]:
    """Which record texts are Turkish (or asciified Turkish), by the quality area's language ID. Text under 20
    characters is not judged (as the `language` post-filter): a short record is given the benefit of the doubt."""
    from dataforge.quality.language import detect_languages

    langs = detect_languages(texts)
    return [len(t.strip()) < 20 or lang in ("tr", "asciified") for t, (lang, _) in zip(texts, langs, strict=True)]
