"""Every page renders on the demo data without an exception (streamlit.testing AppTest)."""

from __future__ import annotations

import pytest

PAGES = ["home", "options", "screening", "appraisal", "portfolio", "programme", "policies", "report"]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(app, page):
    at = app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"page {page} shows no title"
