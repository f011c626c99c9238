"""The message catalogue: every key used in the code exists, in German and English, with the same fields."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from pmtool.errors import InputError, Location
from pmtool.i18n import LANGUAGES, PLURAL_FORMS, catalogue, t, tn

PACKAGE = Path(__file__).resolve().parents[1] / "pmtool"
# t("key" …), Error("key" …), f-string keys are checked by their prefix
USED = re.compile(r"""(?:\bt|Error)\(\s*f?["']([a-z_]+(?:\.[a-z_{}.]+)+)["']""")
# tn("key", count …): a counted text, which needs both of its forms
COUNTED = re.compile(r"""\btn\(\s*["']([a-z_]+(?:\.[a-z_.]+)+)["']""")


def used_keys() -> set[str]:
    keys = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text("utf-8")
        keys.update(USED.findall(text))
        keys.update(f"{key}.{form}" for key in COUNTED.findall(text) for form in PLURAL_FORMS)
    return keys


def test_every_entry_has_both_languages_with_the_same_fields():
    for key, entry in catalogue().items():
        assert set(entry) == set(LANGUAGES), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in LANGUAGES]
        assert fields[0] == fields[1], f"{key}: placeholders differ between languages"


def test_every_key_used_in_the_code_exists():
    known = set(catalogue())
    used = used_keys()
    assert len(used) > 30
    missing = []
    for key in sorted(used):
        if "{" in key:  # an f-string: some key with this prefix must exist
            prefix = key.split("{")[0]
            if not any(k.startswith(prefix) for k in known):
                missing.append(key)
        elif key not in known:
            missing.append(key)
    assert not missing, f"keys missing from messages.toml: {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_renders_in_each_language(lang):
    err = InputError("read.not_found", Location("a.csv", 3, "Datum"))
    text = err.render(lang)
    assert text.startswith("a.csv, ")
    assert t("location.line", lang, n=3) in text


def test_error_rebuilt_from_its_text_keeps_the_text():
    # polars re-raises exceptions from inside expressions by calling the class with the message alone
    err = InputError("read.not_found", Location("a.csv"))
    rebuilt = InputError(str(err))
    assert str(rebuilt) == str(err)


def test_counted_texts_agree_with_their_number():
    assert tn("report.n.offices", 1, "de") == "1 Amt" and tn("report.n.offices", 2, "de") == "2 Ämter"
    assert tn("report.n.offices", 1, "en") == "1 office" and tn("report.n.offices", 0, "en") == "0 offices"
    counted = {k.rsplit(".", 1)[0] for k in catalogue() if k.endswith(".one")}
    assert counted, "the catalogue has counted texts"
    for key in counted:
        assert f"{key}.other" in catalogue(), f"{key}: a counted text needs both forms"
