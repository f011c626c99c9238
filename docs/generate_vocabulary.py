"""Rewrite docs/vocabulary.md from pmtool's vocabulary file: ``python docs/generate_vocabulary.py``."""

from pathlib import Path

from pmtool.vocabulary.reference import vocabulary_reference

if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "vocabulary.md"
    target.write_text(vocabulary_reference(), encoding="utf-8")
    print(f"wrote {target}")
