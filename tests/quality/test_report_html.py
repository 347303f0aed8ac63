"""report.html renders: open it in headless Chromium and check that the screenshot is not blank."""

import shutil
import subprocess

import pytest

from tests.quality.helpers import write_planted

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_page_is_self_contained(tmp_path):
    from dataforge.quality.gate import run_gate

    res = run_gate([str(write_planted(tmp_path / "p.jsonl"))], report_dir=str(tmp_path / "r"), data_docs=False)
    html = open(res.report_html, encoding="utf-8").read()
    assert "Gate FAILED" in html and html.count("data:image/png;base64,") >= 3
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert f"{tmp_path / 'p.jsonl'}:61" in html  # examples carry file:line


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; make install "
                                             "does it): cannot screenshot report.html")
def test_screenshot_is_not_blank(tmp_path):
    import numpy as np
    from matplotlib.image import imread

    from dataforge.quality.gate import run_gate

    res = run_gate([str(write_planted(tmp_path / "p.jsonl"))], report_dir=str(tmp_path / "r"), data_docs=False)
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1200,1600", f"file://{res.report_html}"],
                   check=True, capture_output=True, timeout=120)
    img = imread(str(shot))[..., :3]
    assert img.shape[0] == 1600 and img.shape[1] == 1200
    dark = (img.mean(axis=2) < 0.5).mean()  # share of pixels with text or plot ink
    assert img.std() > 0.05 and 0.005 < dark < 0.6
    assert ((img[..., 0] > 0.5) & (img[..., 1] < 0.3)).any()  # the "Gate FAILED" verdict is drawn in red
    assert np.unique(img.reshape(-1, 3), axis=0).shape[0] > 50  # plots, not a flat page
