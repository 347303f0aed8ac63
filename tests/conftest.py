import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# the tokenized cache of the tests goes to a temporary folder, never to the user's ~/.cache/dataforge
if "DATAFORGE_TOKEN_CACHE" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["DATAFORGE_TOKEN_CACHE"] = tempfile.mkdtemp(prefix="dataforge-token-cache-")
    atexit.register(shutil.rmtree, os.environ["DATAFORGE_TOKEN_CACHE"], True)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


def chat(*turns: str, system: str | None = None) -> dict:
    """A chat record from alternating user/assistant texts."""
    msgs = [{"role": "system", "content": system}] if system else []
    msgs += [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)]
    return {"messages": msgs}


def write_lines(path: Path, lines: list) -> Path:
    """Write objects as JSON lines and bytes/str as they are."""
    with open(path, "wb") as f:
        for line in lines:
            if isinstance(line, bytes):
                f.write(line)
            elif isinstance(line, str):
                f.write(line.encode())
            else:
                f.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
    return path


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    from dataforge.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def read_jsonl(path: Path) -> list:
    """Records of a JSONL file (split on \\n only: str.splitlines would also split on U+0085 and U+2028)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").split("\n") if line]


# Session fixtures for tests/evaluate and tests/export: one tiny base model and two trained tiny runs.
@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    import torch

    torch.set_num_threads(1)  # tiny models: one thread is ~4x faster than two contended ones
    return tmp_path_factory.getbasetemp() / "tiny_runs"


@pytest.fixture(scope="session")
def tiny_base(tiny_root):
    from tests.evaluate import tiny

    return tiny.build_base(tiny_root / "base")


@pytest.fixture(scope="session")
def overfit_run(tiny_root):
    from tests.evaluate import tiny

    return tiny.overfit_run(tiny_root)


@pytest.fixture(scope="session")
def healthy_run(tiny_root):
    from tests.evaluate import tiny

    return tiny.healthy_run(tiny_root)
