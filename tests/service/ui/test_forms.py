"""The UI's pieces without a browser: the language choice, forms built from the typed configs and read back,
and the CSRF token."""

from dataforge.service.schemas import CheckParams
from dataforge.service.ui import forms
from dataforge.service.ui.i18n import TR, pick_language, translator
from dataforge.service.ui.web import csrf_for


def test_turkish_only_when_the_browser_ranks_it_above_english():
    assert pick_language("tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7") == "tr"
    assert pick_language("en-US,en;q=0.9,tr;q=0.8") == "en"
    assert pick_language("de-DE,tr;q=0.5") == "tr"
    assert pick_language("en;q=0.3,tr;q=0.6") == "tr"
    assert pick_language("") == "en" and pick_language("fr,de") == "en"


def test_every_turkish_word_has_an_english_key_and_missing_ones_fall_back():
    tr = translator("tr")
    assert tr("Datasets") == "Veri kümeleri" and tr("a phrase nobody translated") == "a phrase nobody translated"
    assert translator("en")("Datasets") == "Datasets"
    assert all(v.strip() for v in TR.values())


def test_check_form_comes_from_check_params_with_its_help_text():
    by_name = {f.name: f for f in forms.fields("check")}
    assert by_name["suite"].kind == "select" and by_name["suite"].choices == ["turkish_sft", "generic_sft"]
    assert by_name["suite"].help == CheckParams.model_fields["suite"].description
    assert by_name["max_seq_len"].kind == "number" and by_name["max_seq_len"].step == "1"
    assert by_name["max_seq_len"].optional and by_name["max_seq_len"].default is None
    assert forms.fields("clean")[0].kind == "checkbox"
    assert {f.name for f in forms.fields("augment")} == {"method", "variants", "ratio", "seed"}


def test_form_values_become_params_and_empty_fields_keep_defaults():
    assert forms.params_from_form("check", {"p.suite": "generic_sft", "p.lang": "en", "p.max_seq_len": ""}) == {
        "suite": "generic_sft", "lang": "en"}
    assert forms.params_from_form("clean", {"p.dedup": "on"}) == {
        "dedup": True, "redact_pii": False, "fix_mojibake": False}
    assert forms.params_from_form("split", {"p.val": "0.2", "p.seed": "3"}) == {"val": 0.2, "seed": 3}
    assert forms.params_from_form("split", {"p.seed": "x"}) == {"seed": "x"}  # the service names the bad field
    assert forms.train_params({"recipe": "tiny-cpu", "max_steps": "20"}) == {
        "recipe": "tiny-cpu", "overrides": {"train.max_steps": 20}}
    assert forms.train_params({"recipe": "lora", "max_steps": ""}) == {"recipe": "lora", "overrides": {}}


def test_the_csrf_token_is_tied_to_the_session_token():
    assert csrf_for("dfk_a") == csrf_for("dfk_a") != csrf_for("dfk_b")
    assert "dfk_a" not in csrf_for("dfk_a") and len(csrf_for("dfk_a")) == 64
