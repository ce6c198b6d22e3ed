"""The reference pages in docs/reference are what the code declares: regenerate them with
``python -m edgebench.reference docs/reference`` when an option, a record field, a recipe
step or a built-in extension changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgebench.reference import PAGES

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_committed_reference_page_is_what_the_code_declares(name):
    committed = (DOCS / "reference" / name).read_text()
    assert committed == PAGES[name](), (
        f"docs/reference/{name} is stale: python -m edgebench.reference docs/reference"
    )


def test_every_page_is_in_the_site_navigation():
    nav = (DOCS.parent / "mkdocs.yml").read_text()
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert {p for p in pages if p not in nav} == set()


def test_the_readme_is_a_guide_not_a_lab_notebook():
    lines = (DOCS.parent / "README.md").read_text().splitlines()
    assert len(lines) <= 250
    assert "    pytest tests/" in lines  # the README's test command, which .ci/run runs
