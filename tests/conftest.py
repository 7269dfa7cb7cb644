"""Fixtures every tier may use; shared data and helpers live in tests/support/."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.support.smtp import Collect, smtp_server
from tests.support.workflow import workflow_folder


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A workflow folder in `tmp_path` (tests/support/workflow.py `workflow_folder`)."""
    return workflow_folder(tmp_path, monkeypatch)


@pytest.fixture
def smtp() -> Iterator[tuple[Collect, int]]:
    """A running SMTP server: (what it received, its port)."""
    with smtp_server() as server:
        yield server
