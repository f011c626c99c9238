"""Rewrite docs/cli.md from the ``--help`` of every pmtool command: ``python docs/generate_cli_reference.py``."""

from pathlib import Path

from pmtool.cli.reference import cli_reference

if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "cli.md"
    target.write_text(cli_reference(), encoding="utf-8")
    print(f"wrote {target}")
