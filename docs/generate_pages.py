"""Rewrite the generated pages of docs/ from pmtool's code: ``python docs/generate_pages.py`` — the vocabulary
(from pmtool/vocabulary/vocabulary.toml), the columns of every table and of the bundle, and the codes
(pmtool/dictionary.py). A test checks that every page is current."""

from pathlib import Path

from pmtool.dictionary import PAGES

if __name__ == "__main__":
    for name, page in PAGES.items():
        target = Path(__file__).resolve().parent / name
        target.write_text(page(), encoding="utf-8")
        print(f"wrote {target}")
