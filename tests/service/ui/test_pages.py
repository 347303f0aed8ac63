"""The web UI in a real browser against the real server: sign in, upload a broken file and see its errors,
upload the sample, check it and watch the job finish, open the report, clean, train tiny-cpu (slow) and see the
loss plot; Turkish by the browser's language; another team sees none of it. Every page: screenshot, no console
errors, no serious/critical axe-core violations. The tests run in order and share one page per team."""

from __future__ import annotations

import json
import re

import pytest

from tests.service.conftest import SAMPLE, big_chat
from tests.service.ui.conftest import UI

STATE: dict = {}


@pytest.fixture(scope="module")
def teams(server):
    return {"one": server.token("ui-one"), "two": server.token("ui-two")}


@pytest.fixture(scope="module")
def one(browser, server, teams):
    ui = UI(browser, server, teams["one"], "ui-one")
    yield ui
    ui.close()


def finished_job(ui: UI, timeout_ms: int = 180_000) -> str:
    """Wait on a job page until its state (updated in place, then reloaded) says it finished; returns it."""
    state = ui.page.locator("#job-state")
    state.filter(has_text=re.compile("succeeded|failed|cancelled")).wait_for(timeout=timeout_ms)
    ui.page.wait_for_load_state("load")
    return state.inner_text().strip()


def test_sign_in_refuses_a_bad_token_then_shows_the_datasets(one, server):
    one.go("/")
    assert one.page.url == server.url + "/signin"  # not signed in: sent to the sign-in page
    one.page.get_by_label("API token").fill("dfk_not-a-token")
    one.page.get_by_role("button", name="Sign in").click()
    assert one.page.get_by_role("alert").inner_text() == "The token is unknown or revoked."
    one.check_page("signin")
    one.sign_in()
    assert one.page.get_by_role("heading", level=1).inner_text() == "Datasets"
    assert "No datasets yet" in one.page.inner_text("main")
    cookie = next(c for c in one.context.cookies() if c["name"] == "dataforge_token")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert one.page.evaluate("document.cookie") == ""  # page scripts never see the token
    one.check_page("datasets-empty")


def upload(ui: UI, name: str, path) -> None:
    ui.go("/")
    ui.page.get_by_label("Dataset name").fill(name)
    ui.page.get_by_label("File (.jsonl, .json, .parquet)").set_input_files(str(path))
    ui.page.get_by_role("button", name="Upload", exact=True).click()


def row(ui: UI, dataset: str):
    return ui.page.locator("tbody tr").filter(has=ui.page.get_by_role("link", name=dataset, exact=True))


def test_a_broken_file_shows_its_validate_errors_inline(one, server):
    upload(one, "broken", SAMPLE / "broken_chat.jsonl")
    result = one.page.locator("#upload-result")
    result.get_by_role("heading").wait_for()
    with server.client(one.token) as api:
        vid = api.get("/v1/datasets/broken").json()["versions"][0]["id"]
        summary = api.get(f"/v1/datasets/broken/versions/{vid}").json()["summary"]
        rejects = [json.loads(x) for x in api.get(f"/v1/datasets/broken/versions/{vid}/rejects").text.splitlines()]
    expected = [f"{r['line']}: {e}" for r in rejects for e in r["errors"]][:50]
    assert summary["invalid"] > 0 and result.get_by_role("heading").inner_text().startswith(
        f"{summary['invalid']} rejected records")
    assert result.locator("li").all_inner_texts() == expected  # `line: field: message`, in file order
    link = result.get_by_role("link", name="Download all rejects")
    assert link.get_attribute("href") == f"/ui/datasets/broken/versions/{vid}/rejects"
    with one.page.expect_download() as dl:
        link.click()
    assert open(dl.value.path(), encoding="utf-8").read().count("\n") == len(rejects)
    assert one.page.locator("#progress").evaluate("e => e.value") == 100
    one.check_page("upload-broken")


def test_upload_the_sample_then_check_it_and_watch_the_job_finish(one):
    upload(one, "chat", SAMPLE / "chat_tr.jsonl")
    one.page.wait_for_url(re.compile(r"/datasets/chat/versions/[0-9a-f]{64}$"))
    STATE["version_url"] = one.page.url
    STATE["version"] = one.page.url.rsplit("/", 1)[1]
    records = sum(1 for x in (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines() if x.strip())
    counts = one.page.locator("dl.counts")
    assert f"Records\n{records}" in counts.inner_text() and "Rejected\n0" in counts.inner_text()
    assert "not checked" in counts.inner_text()
    gate = one.page.locator("#train-form .gate")
    assert "Never checked: run a check first." in gate.inner_text()
    assert one.page.get_by_role("button", name="Start: train").is_disabled()
    # the form is built from CheckParams: its fields and their help text
    check = one.page.locator("form", has=one.page.get_by_role("button", name="Start: check"))
    assert check.get_by_label("suite").input_value() == "turkish_sft"
    assert "a shipped suite" in check.inner_text()
    one.check_page("version-unchecked")

    check.get_by_role("button", name="Start: check").click()
    one.page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    assert finished_job(one) == "succeeded"
    assert "passed" in one.page.locator("main").inner_text()
    one.check_page("job-check")

    one.page.goto(STATE["version_url"])
    assert "passed" in one.page.locator("dl.counts").inner_text()
    assert "The gate passed" in one.page.locator("#train-form .gate").inner_text()
    assert one.page.get_by_role("button", name="Start: train").is_enabled()
    report = one.page.frame_locator("iframe.report")
    assert "kural seti turkish_sft" in report.locator("body").inner_text()  # report.html embedded
    one.check_page("version-checked")


def test_the_report_opens_and_clean_makes_a_child_version(one):
    one.page.goto(STATE["version_url"])
    one.page.get_by_role("link", name="Quality report ↗").click()
    one.page.wait_for_url(re.compile(r"/files/report\.html$"))
    body = one.page.inner_text("body")  # the check's own report.html (written in Turkish)
    assert "kural seti turkish_sft" in body and "Kalite kapısı: GEÇTİ" in body
    one.shot("report")

    one.page.goto(STATE["version_url"])
    clean = one.page.locator("form", has=one.page.get_by_role("button", name="Start: clean"))
    clean.get_by_label("dedup").check()
    clean.get_by_role("button", name="Start: clean").click()
    one.page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    assert finished_job(one) == "succeeded"
    one.page.get_by_role("link", name=re.compile("^clean [0-9a-f]{12}$")).click()
    one.page.wait_for_url(re.compile(r"/datasets/chat/versions/[0-9a-f]{64}$"))
    lineage = one.page.locator(".lineage").inner_text()
    assert STATE["version"][:12] in lineage and "clean (clean)" in lineage
    one.check_page("version-clean")
    one.page.get_by_role("button", name="Start: check").click()  # the cleaned version, checked in turn
    assert finished_job(one) == "succeeded"
    one.go("/")
    rows = {r.split("\t")[0]: r.split("\t") for r in one.page.locator("tbody tr").all_inner_texts()}
    assert rows["chat"][1:5] == ["2", "74", "chat", "passed"]  # versions, records of the newest, format, badge
    assert rows["broken"][4] == "not checked"
    assert row(one, "chat").locator(".badge").evaluate(
        "e => getComputedStyle(e).backgroundColor") == "rgb(211, 243, 218)"  # green
    one.check_page("datasets")
    one.go("/jobs")
    kinds = one.page.locator("tbody tr td:nth-child(2)").all_inner_texts()
    states = one.page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert kinds == ["check", "clean", "check"] and states == ["succeeded"] * 3  # newest first
    one.check_page("jobs")


def test_a_failed_gate_names_its_checks_and_disables_train_and_a_job_can_be_cancelled(one, tmp_path):
    lines = (SAMPLE / "chat_tr.jsonl").read_bytes()
    dups = tmp_path / "dups.jsonl"
    dups.write_bytes(lines + lines[: lines.index(b"\n") + 1])  # one exact duplicate
    upload(one, "dups", dups)
    one.page.wait_for_url(re.compile(r"/datasets/dups/versions/[0-9a-f]{64}$"))
    version_url = one.page.url
    one.page.get_by_role("button", name="Start: check").click()
    assert finished_job(one) == "succeeded"
    assert "Failed checks: exact_duplicates" in one.page.inner_text("main")
    one.page.goto(version_url)
    gate = one.page.locator("#train-form .gate").inner_text()
    assert "The gate failed: training is disabled." in gate and "exact_duplicates" in gate
    assert one.page.get_by_role("button", name="Start: train").is_disabled()
    one.check_page("version-gate-failed")
    one.go("/")
    assert row(one, "dups").locator(".badge").inner_text() == "failed"

    big = tmp_path / "big.jsonl"
    big.write_bytes(big_chat(3000))  # a check long enough to be caught queued or running
    upload(one, "big", big)
    one.page.wait_for_url(re.compile(r"/datasets/big/versions/[0-9a-f]{64}$"))
    one.page.get_by_role("button", name="Start: check").click()
    one.page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    job_url = one.page.url
    one.go("/jobs")  # the list follows the unfinished job in place, without reloading the page
    one.page.evaluate("window.notReloaded = true")
    first = one.page.locator("tbody tr").first
    assert first.get_attribute("data-live-job") == job_url.rsplit("/", 1)[1]
    first.locator("td").nth(2).filter(has_text="running").wait_for(timeout=60_000)
    assert one.page.evaluate("window.notReloaded === true")
    one.page.goto(job_url)
    one.page.get_by_role("button", name="Cancel").click()
    assert finished_job(one, timeout_ms=60_000) == "cancelled"
    one.check_page("job-cancelled")


def test_turkish_when_the_browser_asks_and_the_switch_goes_back_to_english(browser, server, teams):
    ui = UI(browser, server, teams["one"], "ui-one-tr", locale="tr-TR")
    try:
        ui.sign_in()
        assert ui.page.get_by_role("heading", level=1).inner_text() == "Veri kümeleri"
        assert ui.page.locator("html").get_attribute("lang") == "tr"
        ui.check_page("datasets-tr")
        ui.page.get_by_role("link", name="EN", exact=True).click()
        assert ui.page.get_by_role("heading", level=1).inner_text() == "Datasets"
    finally:
        ui.close()


def test_another_team_sees_none_of_the_first_teams_data(browser, server, teams, one):
    two = UI(browser, server, teams["two"], "ui-two")
    try:
        two.sign_in()
        assert "No datasets yet" in two.page.inner_text("main")
        assert "chat" not in two.page.inner_text("main") and "broken" not in two.page.inner_text("main")
        two.go("/jobs")
        assert "No jobs yet." in two.page.inner_text("main")
        two.go("/runs")
        assert "No runs yet." in two.page.inner_text("main")
        resp = two.page.goto(STATE["version_url"])
        assert resp.status == 404 and "not found" in two.page.get_by_role("alert").inner_text()
        two.check_page("other-team", expected_status=404)
        # and a form posted without the page's CSRF token is refused
        r = two.page.request.post(server.url + "/ui/jobs", form={"kind": "check", "input": STATE["version"]})
        assert r.status == 403
        r = two.page.request.post(server.url + "/signin", form={"token": teams["two"]},
                                  headers={"Origin": "http://elsewhere.example"}, max_redirects=0)
        assert r.status == 403  # no sign-in from another site's form either
        two.go("/")
        two.page.get_by_role("button", name="Sign out").click()
        two.page.wait_for_url(server.url + "/signin")
        two.go("/jobs")
        assert two.page.url == server.url + "/signin"
    finally:
        two.close()


@pytest.mark.slow
def test_train_tiny_cpu_then_see_the_loss_plot_on_the_run_page(one):
    one.page.goto(STATE["version_url"])
    train = one.page.locator("#train-form")
    train.get_by_label("Recipe for training").select_option("tiny-cpu")
    train.get_by_label("max_steps").fill("20")
    train.get_by_role("button", name="Start: train").click()
    one.page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    assert finished_job(one, timeout_ms=600_000) == "succeeded", one.page.inner_text("#job-log")
    one.page.get_by_role("link", name=re.compile(r"^Run [0-9a-f]{12}$")).click()
    one.page.get_by_role("button", name="Start: evaluate").click()
    assert finished_job(one, timeout_ms=300_000) == "succeeded", one.page.inner_text("#job-log")
    one.go("/runs")
    one.page.locator("tbody a").first.click()
    plot = one.page.get_by_role("img", name=re.compile("^Loss curves"))
    assert plot.evaluate("img => img.complete && img.naturalWidth > 0")
    text = one.page.inner_text("main")
    assert "tiny-cpu" in text and STATE["version"] in text and "Best checkpoint" in text
    one.check_page("run")
    one.page.goto(STATE["version_url"])  # the version's lineage names the run trained on it
    assert re.search(r"Trained runs\ntiny-cpu [0-9a-f]{8} \(succeeded\)", one.page.locator(".lineage").inner_text())
