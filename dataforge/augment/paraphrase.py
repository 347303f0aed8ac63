"""`--method paraphrase`: rewrite each text with an LLM, told to keep meaning, numbers, names, links and code.

Backends: an OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, ...) with a concurrency limit and
retries, or a local causal LM through transformers. Each text is sampled with its own seed (sent as `seed` to
servers that honour it; `torch.manual_seed` locally), and every answer is cached on disk, so reruns repeat.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from dataforge.augment.cache import AnswerCache
from dataforge.augment.config import AugmentConfig
from dataforge.augment.retry import BackendError, Cancelled, RateLimit, Secrets, Transient, with_retries
from dataforge.errors import UsageError

PROMPT = (
    "Sen dikkatli bir Türkçe editörsün. Kullanıcının verdiği metni aynı anlamı koruyarak, doğal ve dilbilgisi "
    "açısından doğru bir Türkçeyle yeniden yaz. Sayıları, özel isimleri, bağlantıları (URL), e-posta adreslerini "
    "ve kod parçalarını olduğu gibi bırak. Yeni bilgi ekleme, bilgi çıkarma. Yalnızca yeniden yazılmış metni "
    "döndür; açıklama, tırnak ya da başlık ekleme."
)


class OpenAIChat:
    """POST {base_url}/chat/completions, one text per request, `concurrency` requests in flight."""

    def __init__(self, base_url: str, model: str, *, temperature: float, timeout: float, retries: int,
                 concurrency: int, rate_limit: float = 0.0, api_key_env: str | None = None, backoff: float = 0.5):
        import httpx

        headers = {}
        if api_key_env:
            if not os.environ.get(api_key_env):
                raise UsageError(f"--api-key-env: the environment variable {api_key_env} is not set")
            headers["Authorization"] = f"Bearer {os.environ[api_key_env]}"
        self.secrets = Secrets(os.environ.get(api_key_env) if api_key_env else None)
        self.httpx = httpx
        self.client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)
        self.model, self.temperature = model, temperature
        self.retries, self.backoff, self.concurrency = retries, backoff, concurrency
        self.limit = RateLimit(rate_limit)
        self.where = f"chat endpoint {base_url}"
        self.key = f"openai|{base_url}|{model}|t={temperature}"

    def _one(self, text: str, seed: int) -> str:
        self.limit.wait()
        body = {"model": self.model, "temperature": self.temperature, "seed": seed,
                "messages": [{"role": "system", "content": PROMPT}, {"role": "user", "content": text}]}
        try:
            r = self.client.post("/chat/completions", json=body)
        except self.httpx.TimeoutException:
            raise Transient("timed out") from None
        except self.httpx.TransportError as exc:
            raise Transient(f"cannot connect ({type(exc).__name__})") from None
        if r.status_code == 429 or r.status_code >= 500:
            wait = r.headers.get("Retry-After")
            raise Transient(f"HTTP {r.status_code}", float(wait) if wait and wait.isdigit() else None)
        if r.status_code != 200:
            hint = " (check the key in --api-key-env)" if r.status_code in (401, 403) else ""
            raise BackendError(f"{self.where}: HTTP {r.status_code}{_error_message(r, self.secrets)}{hint}")
        try:
            answer = r.json()["choices"][0]["message"]["content"].strip()
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            # The body is not shown: a server that echoes the request would put the key on stderr.
            raise BackendError(f"{self.where}: the answer is not an OpenAI chat completion "
                               f"({len(r.content)} bytes, {r.headers.get('Content-Type', 'no content type')}): "
                               "is --base-url the /v1 root of an OpenAI-compatible server?") from None
        return self.secrets.redact(answer)  # never store or write a key the server echoed

    def generate(self, texts: list[str], seeds: list[int], store) -> None:
        """Paraphrase every text; `store(i, answer)` is called as each one arrives (so it is cached at once).
        The first failure that cannot succeed stops the rest: pending texts are cancelled, workers in flight
        make no further attempt, and that failure is raised."""
        stop = threading.Event()

        def work(i: int) -> None:
            try:
                store(i, with_retries(lambda: self._one(texts[i], seeds[i]), retries=self.retries,
                                      backoff=self.backoff, what=self.where, stop=stop))
            except BaseException:
                stop.set()  # before this thread takes another text, so none starts after a failure
                raise

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(work, i) for i in range(len(texts))]
            wait(futures, return_when=FIRST_EXCEPTION)
            if stop.is_set():
                for future in futures:
                    future.cancel()
        failures = [f.exception() for f in futures if f.done() and not f.cancelled() and f.exception()]
        real = [e for e in failures if not isinstance(e, Cancelled)]
        if failures:
            raise (real or failures)[0]


def _error_message(r, secrets: Secrets) -> str:
    """The `error.message` of an OpenAI-style error body, redacted and cut short; never the raw body."""
    try:
        error = r.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        return ""
    return f": {secrets.redact(str(message))[:200]}" if isinstance(message, str) and message else ""


class LocalCausalLM:
    """A causal LM through transformers; its chat template when it has one, a plain prompt otherwise."""

    def __init__(self, model: str, *, temperature: float, max_new_tokens: int, device: str = "auto"):
        from dataforge.augment.seq2seq import load_local

        self.torch, self.device, self.tokenizer, self.model = load_local(model, "AutoModelForCausalLM", "causal LM",
                                                                         device)
        self.temperature, self.max_new_tokens = temperature, max_new_tokens
        self.key = f"local-lm|{model}|t={temperature}|n={max_new_tokens}"

    def _prompt(self, text: str) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            msgs = [{"role": "system", "content": PROMPT}, {"role": "user", "content": text}]
            return self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        return f"{PROMPT}\n\nMetin: {text}\nYeniden yazılmış metin:"

    def generate(self, texts: list[str], seeds: list[int], store) -> None:
        for i, (text, seed) in enumerate(zip(texts, seeds, strict=True)):
            enc = self.tokenizer(self._prompt(text), return_tensors="pt").to(self.device)
            self.torch.manual_seed(seed)  # one seed per text: the answer does not depend on batch or order
            sample = self.temperature > 0
            kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": sample}
            if sample:
                kwargs["temperature"] = self.temperature
            if self.tokenizer.pad_token_id is None:
                kwargs["pad_token_id"] = self.tokenizer.eos_token_id
            with self.torch.inference_mode():
                ids = self.model.generate(**enc, **kwargs)
            store(i, self.tokenizer.decode(ids[0, enc["input_ids"].shape[1]:], skip_special_tokens=True).strip())


class ParaphraseAugmenter:
    method_name = "paraphrase"

    def __init__(self, backend, cache: AnswerCache, params: dict[str, Any]):
        self.backend, self.cache, self._params = backend, cache, params
        self.lock = threading.Lock()

    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def augment_texts(self, texts: list[str], seeds: list[int]) -> list[str]:
        keys = [AnswerCache.key("paraphrase", self.backend.key, str(s), t) for t, s in zip(texts, seeds, strict=True)]
        found = self.cache.get_many(keys)
        todo = [i for i, k in enumerate(keys) if k not in found]

        def store(j: int, answer: str) -> None:
            with self.lock:
                found[keys[todo[j]]] = answer
                self.cache.put_many({keys[todo[j]]: answer})

        self.backend.generate([texts[i] for i in todo], [seeds[i] for i in todo], store)
        return [found[k] for k in keys]


def build_paraphraser(cfg: AugmentConfig) -> ParaphraseAugmenter:
    if cfg.backend == "openai":
        backend = OpenAIChat(cfg.base_url, cfg.model, temperature=cfg.temperature, timeout=cfg.timeout,
                             retries=cfg.retries, concurrency=cfg.concurrency, rate_limit=cfg.rate_limit,
                             api_key_env=cfg.api_key_env)
    else:
        backend = LocalCausalLM(cfg.model, temperature=cfg.temperature, max_new_tokens=cfg.max_new_tokens,
                                device=cfg.device)
    params = {"backend": cfg.backend, "model": cfg.model, "temperature": cfg.temperature}
    return ParaphraseAugmenter(backend, AnswerCache(cfg.cache), params)
