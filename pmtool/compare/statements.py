"""Findings in words, generated from the numbers (German by default, English on request)."""

from __future__ import annotations

from typing import Any

from pmtool.i18n import t


def percent(value: float | None, lang: str, places: int | None = None) -> str:
    """23 % (German, with a narrow no-break space) or 23% (English); one decimal below 10 %, or ``places``
    decimals throughout."""
    if value is None:
        return "—"
    pct = value * 100
    if places is not None:
        text = f"{pct:.{places}f}"
    else:
        text = f"{pct:.1f}" if 0 < pct < 9.95 else f"{pct:.0f}"
    if lang == "de":
        return text.replace(".", ",") + "\u202f%"
    return text + "%"


def statement(row: dict[str, Any], lang: str) -> str:
    """One sentence for a finding row of :func:`pmtool.compare.compare.compare`."""
    code = row["code"]
    params = {"office": row["office"], "rate": percent(row["rate"], lang),
              "others": percent(row["rate_others"], lang), "activity": row.get("activity") or ""}
    if row.get("rule_id"):
        title = (row.get("rule_title_en") if lang == "en" else None) or row.get("rule_title") or row["rule_id"]
        source = f" ({row['legal_source']})" if row.get("legal_source") else ""
        key = "deadline" if code == "DEADLINE" else "rule"
        return t(f"compare.statement.{key}", lang, title=title, source=source, **params)
    return t(f"compare.statement.{code}", lang, **params)
