"""The README leads a newcomer to every page of docs/ (issue 10, point 6)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_links_every_docs_page_and_every_link_resolves() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = set(re.findall(r"\]\((docs/[^)#]+)\)", readme))
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    assert pages - links == set(), "pages the README does not link"
    assert links - pages == set(), "README links to missing pages"


def test_the_handover_configuration_is_documented_where_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "documents.receiver" in readme.split("[docs/documents.md]")[1].split("\n- ")[0]
    documents = (ROOT / "docs" / "documents.md").read_text(encoding="utf-8")
    assert "receiver: {unit:" in documents
