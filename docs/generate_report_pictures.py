"""Render pages 1 and 2 of the demo report (Part A) as the PNG pictures the README shows.

Run after ``pmtool demo``: ``python docs/generate_report_pictures.py [reports/demo/report/bericht.pdf]``.
Each picture stays below 300 KB (a palette of 64 colours at 110 dpi).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium

DOCS = Path(__file__).resolve().parent
DPI = 110


def main(pdf_path: Path) -> None:
    pdf = pdfium.PdfDocument(pdf_path)
    for index in (0, 1):
        image = pdf[index].render(scale=DPI / 72).to_pil().convert("RGB")
        target = DOCS / "img" / f"report-page{index + 1}.png"
        image.quantize(colors=64).save(target, optimize=True)
        print(target, target.stat().st_size)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("reports/demo/report/bericht.pdf"))
