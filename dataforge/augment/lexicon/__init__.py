"""Turkish synonym lexicons: the curated one shipped in this folder, and KeNet as an optional extra.

A lexicon answers one question: `synonyms(lemma, pos) -> list[str]`, lemmas and POS as zemberek writes them
(verbs as infinitives: `başlamak`; POS one of Noun, Verb, Adj, Adv). Every word also has a register
(`registers_tr.tsv`: modern, archaic, formal, colloquial; a word not listed there is modern) that the swap policy
(augment/swap_policy.py) reads with its frequency band: a register is a property of the word, so it applies to
whichever lexicon (shipped, KeNet, your TSV) proposed the synonym.
"""

from __future__ import annotations

from importlib import resources

from dataforge.errors import MissingDependency, UsageError

POS = ("Noun", "Verb", "Adj", "Adv")
SHIPPED = "synonyms_tr.tsv"
REGISTERS_FILE = "registers_tr.tsv"
REGISTERS = ("modern", "archaic", "formal", "colloquial")


class Lexicon:
    """A (lemma, POS) -> synonyms table. Entries are kept in file order so sampling from them is deterministic."""

    def __init__(self, table: dict[tuple[str, str], list[str]], name: str, registers: dict[str, str] | None = None):
        self.table = table
        self.name = name
        self.registers = registers if registers is not None else {}

    def register(self, word: str) -> str:
        return self.registers.get(word, "modern")

    def synonyms(self, lemma: str, pos: str) -> list[str]:
        return self.table.get((lemma, pos), [])

    def __len__(self) -> int:
        return len(self.table)

    def merged(self, other: Lexicon) -> Lexicon:
        """This lexicon's synonyms first, then the other's that are new."""
        table = {k: list(v) for k, v in self.table.items()}
        for key, syns in other.table.items():
            have = table.setdefault(key, [])
            have.extend(s for s in syns if s not in have)
        return Lexicon(table, f"{self.name}+{other.name}", {**other.registers, **self.registers})


def parse_tsv(text: str, name: str) -> Lexicon:
    """Read `lemma<TAB>POS<TAB>syn1|syn2` lines under a `lemma\\tpos\\tsynonyms` header. Every bad line is reported."""
    lines = text.splitlines()
    if not lines or lines[0].strip().split("\t") != ["lemma", "pos", "synonyms"]:
        raise UsageError(f"{name}:1: header: expected 'lemma<TAB>pos<TAB>synonyms'")
    table: dict[tuple[str, str], list[str]] = {}
    problems = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] not in POS or not parts[2].strip():
            problems.append(f"{name}:{number}: line: expected lemma<TAB>{'|'.join(POS)}<TAB>syn1|syn2, got {line!r}")
            continue
        lemma, pos, syns = parts
        have = table.setdefault((lemma.strip(), pos), [])
        have.extend(s.strip() for s in syns.split("|") if s.strip() and s.strip() not in have)
    if problems:
        raise UsageError("\n".join(problems))
    return Lexicon(table, name)


def load_shipped() -> Lexicon:
    """The curated lexicon inside the package (found with importlib.resources, so it works from a wheel)."""
    text = resources.files("dataforge.augment.lexicon").joinpath(SHIPPED).read_text(encoding="utf-8")
    lexicon = parse_tsv(text, SHIPPED)
    lexicon.registers = load_registers()
    return lexicon


def load_file(path: str) -> Lexicon:
    try:
        with open(path, encoding="utf-8") as f:
            return parse_tsv(f.read(), path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read lexicon: {exc.strerror}; give a TSV file to --lexicon") from None


_KENET_POS = {"NOUN": "Noun", "VERB": "Verb", "ADJECTIVE": "Adj", "ADVERB": "Adv"}


def load_kenet() -> Lexicon:
    """KeNet, the Turkish wordnet, through NlpToolkit-WordNet. It is GPL-3.0, so it is an optional extra
    (`pip install 'dataforge[kenet]'`) and never imported unless asked for with `--lexicon kenet`."""
    try:
        from WordNet.WordNet import WordNet
    except ImportError:
        raise MissingDependency("NlpToolkit-WordNet (KeNet, GPL-3.0)", "kenet") from None
    table: dict[tuple[str, str], list[str]] = {}
    for synset in WordNet().synSetList():
        pos = _KENET_POS.get(getattr(synset.getPos(), "name", ""))
        synonym = synset.getSynonym()
        literals = [synonym.getLiteral(i) for i in range(synonym.literalSize())]
        # Multi-word literals cannot take suffixes on one stem. A word takes synonyms only from the synset of
        # its first (most common) sense: wordnets list rare senses too (güzel ~ yanıltıcı), and without word
        # sense disambiguation a rare sense's synonyms are usually wrong in context.
        names = [lit.getName() for lit in literals if " " not in lit.getName()]
        if pos is None or len(names) < 2:
            continue
        for lit in literals:
            name = lit.getName()
            if " " in name or lit.getSense() != 1:
                continue
            have = table.setdefault((name, pos), [])
            have.extend(n for n in names if n != name and n not in have)
    return Lexicon(table, "kenet")


def parse_registers(text: str, name: str) -> dict[str, str]:
    """Read `word<TAB>register` lines under a `word\tregister` header; `#` lines are comments."""
    lines = text.splitlines()
    if not lines or lines[0].strip().split("\t") != ["word", "register"]:
        raise UsageError(f"{name}:1: header: expected 'word<TAB>register'")
    out, problems = {}, []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or parts[1].strip() not in REGISTERS:
            problems.append(f"{name}:{number}: line: expected word<TAB>{'|'.join(REGISTERS)}, got {line!r}")
            continue
        out[parts[0].strip()] = parts[1].strip()
    if problems:
        raise UsageError("\n".join(problems))
    return out


def load_registers() -> dict[str, str]:
    text = resources.files("dataforge.augment.lexicon").joinpath(REGISTERS_FILE).read_text(encoding="utf-8")
    return parse_registers(text, REGISTERS_FILE)


def load(spec: str) -> Lexicon:
    """`shipped`, `kenet`, `shipped+kenet`, or a path to a TSV file in the shipped format; with the shipped
    registers attached whatever the source."""
    parts = spec.split("+")
    loaded = [load_shipped() if p == "shipped" else load_kenet() if p == "kenet" else load_file(p) for p in parts]
    out = loaded[0]
    for more in loaded[1:]:
        out = out.merged(more)
    out.registers = load_registers()
    return out
