"""One headless Debian chromium for the session (Playwright drives it; `playwright install` is never needed), a
page per team signed in through the sign-in form, and the checks every page gets: no console errors and no
serious or critical axe-core violations. Screenshots go to out/test-artifacts/ui (DATAFORGE_UI_ARTIFACTS)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.service.conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed: pip install 'dataforge[dev]'")

CHROMIUM = os.environ.get("DATAFORGE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, MPL-2.0 (vendor/LICENSE), unmodified
ARTIFACTS = Path(os.environ.get("DATAFORGE_UI_ARTIFACTS", ROOT / "out" / "test-artifacts" / "ui"))


@contextmanager
def launch_browser(path: str = CHROMIUM) -> Iterator:
    """The headless chromium at `path`, closed after; the test is skipped when there is none."""
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} is not installed (apt-get install chromium; `make install` does it)")
    pw = sync_api.sync_playwright().start()
    try:
        try:
            b = pw.chromium.launch(executable_path=path, args=ARGS, timeout=60_000)
        except Exception as exc:  # noqa: BLE001 - any launch failure means no browser here, said in the skip
            pytest.skip(f"chromium at {path} could not be started: {str(exc).splitlines()[0]}")
        yield b
        b.close()
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def browser():
    with launch_browser() as b:
        yield b


class UI:
    """A signed-in browser page for one team, recording console errors as it goes."""

    def __init__(self, browser, server, token: str, team: str, locale: str = "en-US"):
        self.server, self.team = server, team
        self.context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"{self.page.url}: {m.text}") if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.page.url}: {e}"))
        self.token = token

    def go(self, path: str) -> None:
        self.page.goto(self.server.url + path)

    def sign_in(self) -> None:
        self.go("/signin")
        self.page.get_by_label(re.compile("API token|API anahtarı")).fill(self.token)
        self.page.get_by_role("button", name=re.compile("Sign in|Giriş yap")).click()
        self.page.wait_for_url(self.server.url + "/")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.team}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self) -> list[str]:
        """Serious and critical axe-core violations of the page as it is now, as 'rule: target' lines."""
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '));
        }""")
        return found

    def check_page(self, name: str, expected_status: int | None = None) -> None:
        """Screenshot, no console errors so far, no serious/critical accessibility violations. A page answered
        on purpose with `expected_status` (404 for another team's object) has chromium's one console line for it."""
        self.page.wait_for_load_state("load")
        self.shot(name)
        errors = [e for e in self.errors if not (expected_status and e.endswith(f"status of {expected_status} "
                                                                                f"(Not Found)"))]
        assert errors == [], errors
        self.errors.clear()
        assert self.axe() == [], f"{name}: accessibility violations"

    def close(self) -> None:
        self.context.close()
