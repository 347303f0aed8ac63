import unicodedata

import polars as pl

from dataforge.text.normalize import normalize, normalize_expr


def test_nfc_and_whitespace():
    decomposed = unicodedata.normalize("NFD", "gümüş")
    assert decomposed != "gümüş"
    assert normalize(f"  {decomposed}\u00a0\u00a0kolye \r\n\r\n\r\n\r\nson\u200b  ") == "gümüş kolye\n\nson"


def test_indentation_and_lines_stay():
    code = "def f():\n    return 1   \n"
    assert normalize(code) == "def f():\n    return 1"


def test_polars_version_matches_python_version():
    texts = ["  a  b\u00a0\u00a0c \r\n\r\n\r\n  kod:\n    x = 1  \n\u200bson  ", "x  y  z", "a\tb  \t\nc",
             "\u200b", "İ  I\u0307", "a  \tb", unicodedata.normalize("NFD", "şüphe  ve  ölçü")]
    got = pl.DataFrame({"t": texts}).select(normalize_expr(pl.col("t")))["t"].to_list()
    assert got == [normalize(t) for t in texts]


def test_polars_version_matches_python_version_on_generated_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from(list("aıİIçşğüö xyz\t\n\r\u00a0\u200b\u2003\ufeff\u0307") + ["  ", "\r\n", "\n\n\n"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(alphabet, max_size=40).map("".join))
    def same(text):
        got = pl.DataFrame({"t": [text]}).select(normalize_expr(pl.col("t")))["t"][0]
        assert got == normalize(text)

    same()
