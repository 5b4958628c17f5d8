"""HTML to PDF with the machine's headless Chromium (Debian's `chromium` package).

Chinese text needs a CJK font; the project's set-up installs Debian's `fonts-noto-cjk`, and the
report styles ask for "Noto Sans CJK SC" first. The PDF is written to a temporary file and
renamed into place, so a failure leaves no partial file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
)


class ReportError(RuntimeError):
    """A report could not be produced (no browser, or the browser failed)."""


def chromium_path() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ReportError("Chromium is not installed; `make setup` installs Debian's chromium")


def html_to_pdf(html: str, out: Path, *, timeout_s: float = 120) -> Path:
    """Render ``html`` (self-contained: inline CSS and SVG) to the PDF file ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mortgage-risk-pdf-") as work:
        page = Path(work) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(work) / "report.pdf"
        cmd = [chromium_path(), *FLAGS, f"--user-data-dir={work}/profile",
               f"--print-to-pdf={target}", page.as_uri()]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout_s)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"Chromium could not print the report: {exc}") from None
        if not target.exists() or target.stat().st_size == 0:
            raise ReportError("Chromium produced no PDF")
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        os.close(fd)
        shutil.move(str(target), tmp)
        os.replace(tmp, out)
    return out
