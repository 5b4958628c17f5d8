"""PDF reports through headless Chromium keep Chinese text."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from mortgage_risk.reports.pdf import ReportError, html_to_pdf


def test_chinese_text_survives_in_the_pdf(tmp_path: Path) -> None:
    html = ("<html><head><meta charset='utf-8'><style>body{font-family:'Noto Sans CJK SC',"
            "sans-serif}</style></head><body><h1>抵押物估价报告</h1><p>市场价值 ¥1,234,500</p>"
            "</body></html>")
    out = html_to_pdf(html, tmp_path / "r.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "抵押物估价报告" in text
    assert "1,234,500" in text
    assert list(tmp_path.iterdir()) == [out]


def test_missing_browser_is_a_clear_error(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ReportError, match="Chromium is not installed"):
        html_to_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
