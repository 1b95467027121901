"""Knowledge fixtures: the real embedding model loaded once, a real index built once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.services import knowledge as service
from api.settings import PROJECT_ROOT, Settings

SHARED = PROJECT_ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings whose index holds the curated entries and the ingested seed documents."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    settings = Settings(data_dir=tmp_path_factory.mktemp("kb"))
    service.build_index(settings, extra_documents=sorted(SEEDS.glob("*.txt")), progress=False)
    yield settings
    service.reset()
