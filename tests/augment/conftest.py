import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tiny_models.py


@pytest.fixture(scope="session")
def morphology():
    """zemberek loads in ~10 s: one instance for the whole test session."""
    from dataforge.augment.morphology import get_morphology

    return get_morphology()


@pytest.fixture(scope="session")
def shipped_lexicon():
    from dataforge.augment.lexicon import load_shipped

    return load_shipped()


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory):
    from tiny_models import build_marian

    return build_marian(tmp_path_factory.mktemp("marian"))
