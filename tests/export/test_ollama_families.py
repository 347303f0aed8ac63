"""The Modelfile TEMPLATE of every supported family, rendered as Ollama renders it (Go's text/template, by the
tiny renderer in render_template.go), gives the token ids the model's own HF chat template gives.

Templates: TRL's verbatim copies (trl/chat_templates/) for Llama-3/3.1/3.2, Qwen2.5/3 and Gemma-2/3, Mistral
v0.3's from its tokenizer_config.json (fixtures/), SmolLM2-135M-Instruct's as its GGUF ships it, and dataforge's
ChatML. The tokenizer is a small byte-level BPE trained here with every family's special tokens: what matters is
that the markers are single special tokens, as in the real vocabularies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dataforge.export.inference_template import inference_template, renders_bos
from dataforge.export.ollama import CHECKS, FOLD_SEPARATOR, derive_wrappers, go_template, stop_tokens

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[1] / "sample_data" / "chat_tr.jsonl"
SMOLLM2 = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>"
           "system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
           "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
           "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
            "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<s>", "</s>", "[INST]", "[/INST]", "<bos>", "<eos>",
            "<start_of_turn>", "<end_of_turn>", "<think>", "</think>"]
LLAMA = dict(bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
QWEN = dict(eos_token="<|im_end|>", pad_token="<|endoftext|>")
GEMMA = dict(bos_token="<bos>", eos_token="<eos>")
# family -> (template source, special tokens, the system placement the derivation must find, stops)
FAMILIES = {
    "llama3": ("trl:llama3", LLAMA, "own turn", ["<|eot_id|>", "<|start_header_id|>"]),
    "llama3.1": ("trl:llama3_1", LLAMA, "own turn", ["<|eot_id|>", "<|start_header_id|>"]),
    "llama3.2": ("trl:llama3_2", LLAMA, "own turn", ["<|eot_id|>", "<|start_header_id|>"]),
    "qwen2.5": ("trl:qwen2_5", QWEN, "own turn", ["<|im_end|>", "<|im_start|>"]),
    "qwen3": ("trl:qwen3", QWEN, "own turn", ["<|im_end|>", "<|im_start|>"]),
    "mistral-v0.3": ("file:mistral_v0.3.jinja", dict(bos_token="<s>", eos_token="</s>"), "last",
                     ["</s>", "[INST]", "[/INST]"]),
    "gemma2": ("trl:gemma", GEMMA, "first", ["<end_of_turn>", "<start_of_turn>", "<eos>"]),
    "gemma3": ("trl:gemma3", GEMMA, "first", ["<end_of_turn>", "<start_of_turn>", "<eos>"]),
    "smollm2": ("smollm2", dict(bos_token="<|im_start|>", eos_token="<|im_end|>"), "own turn",
                ["<|im_end|>", "<|im_start|>"]),
    "chatml": ("chatml", QWEN, "own turn", ["<|im_end|>", "<|im_start|>"]),
}


def template_text(source: str) -> str:
    if source.startswith("trl:"):
        import trl

        return (Path(trl.__file__).parent / "chat_templates" / f"{source[4:]}.jinja").read_text(encoding="utf-8")
    if source.startswith("file:"):
        return (HERE / "fixtures" / source[5:]).read_text(encoding="utf-8")
    if source == "smollm2":
        return SMOLLM2
    from dataforge.train.chat_template import CHATML

    return inference_template(CHATML)


@pytest.fixture(scope="module")
def bpe():
    """A byte-level BPE trained on the sample chats, with the families' markers as special tokens."""
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    texts = [m["content"] for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()
             for m in json.loads(line)["messages"]]
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=2000, special_tokens=SPECIALS,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return tok


def family_tokenizer(bpe, family: str):
    from transformers import PreTrainedTokenizerFast

    source, special, _, _ = FAMILIES[family]
    return PreTrainedTokenizerFast(tokenizer_object=bpe, chat_template=template_text(source), **special)


@pytest.fixture(scope="module")
def go_renderer(tmp_path_factory):
    """The renderer compiled once; skipped, saying why, when Go is missing."""
    if shutil.which("go") is None:
        pytest.skip("Go is not installed (`make system` installs Debian's golang-go): Ollama's template engine "
                    "is Go's text/template, so the TEMPLATEs cannot be rendered as Ollama renders them")
    out = tmp_path_factory.mktemp("go") / "render_template"
    cache = tmp_path_factory.mktemp("gocache")
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "GOCACHE": str(cache), "GOPATH": str(cache / "path"),
           "HOME": str(cache), "GOFLAGS": "-mod=mod", "GO111MODULE": "off", "GOTOOLCHAIN": "local"}
    subprocess.run(["go", "build", "-o", str(out), str(HERE / "render_template.go")], check=True, env=env,
                   capture_output=True)

    def render(template: str, conversations: list[list[dict]]) -> list[str]:
        proc = subprocess.run([str(out)], input=json.dumps({"template": template, "conversations": conversations}),
                              capture_output=True, text=True, check=True)
        return json.loads(proc.stdout)
    return render


@pytest.mark.parametrize("family", list(FAMILIES))
def test_ollama_template_gives_the_hf_template_token_ids(bpe, go_renderer, family):
    tok = family_tokenizer(bpe, family)
    w = derive_wrappers(tok)
    _, _, placement, stops = FAMILIES[family]
    assert ("own turn" if w.system else w.fold) == placement
    # (the shared test vocabulary holds every family's markers, so other families' end-of-turn tokens follow)
    assert stop_tokens(tok, w)[0] == stops[0] and set(stops) <= set(stop_tokens(tok, w))
    rendered = go_renderer(go_template(w), CHECKS)
    add_bos = renders_bos(tok.chat_template)  # what the GGUF's add_bos_token says (gguf_vocab.py writes it)
    assert add_bos == (family.startswith(("llama", "mistral", "gemma")))
    for conv, go_text in zip(CHECKS, rendered):
        hf_conv = conv
        if family == "gemma2" and conv[0]["role"] == "system":  # Gemma-2 rejects a system role: folded by hand
            hf_conv = [{"role": "user", "content": conv[0]["content"] + FOLD_SEPARATOR + conv[1]["content"]}]
            hf_conv += conv[2:]
        hf_ids = tok.apply_chat_template(hf_conv, tokenize=False, add_generation_prompt=True)
        hf_ids = tok(hf_ids, add_special_tokens=False)["input_ids"]
        ollama_ids = ([tok.bos_token_id] if add_bos else []) + tok(go_text, add_special_tokens=False)["input_ids"]
        assert ollama_ids == hf_ids, (family, conv, go_text)


def test_smollm2_template_keeps_its_first_im_start_and_default_system(bpe, go_renderer):
    """SmolLM2's bos_token is <|im_start|>, but its template never writes bos_token: the TEMPLATE must keep the
    first <|im_start|> (the GGUF says add_bos_token=false), and add the default system prompt as HF does."""
    w = derive_wrappers(family_tokenizer(bpe, "smollm2"))
    assert w.bos == "" and w.default_system == "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    text = go_renderer(go_template(w), [[{"role": "user", "content": "Merhaba!"}]])[0]
    assert text == ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                    "<|im_end|>\n<|im_start|>user\nMerhaba!<|im_end|>\n<|im_start|>assistant\n")


def test_mistral_system_joins_the_last_user_turn(bpe, go_renderer):
    w = derive_wrappers(family_tokenizer(bpe, "mistral-v0.3"))
    assert w.user == ("[INST] ", "[/INST]") and w.assistant == (" ", "</s>") and w.generation == ""
    text = go_renderer(go_template(w), [CHECKS[2]])[0]
    assert text == "[INST] Merhaba![/INST] Merhaba, buyrun.</s>[INST] Kısa cevap ver.\n\nNasılsın?[/INST]"
