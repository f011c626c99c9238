"""``pmtool report`` from the user's side: a project file in, the report out; one-line errors, exit 2."""

from __future__ import annotations

from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app

runner = CliRunner()


def _project(tmp_path, processes=("P3a",)):
    lines = ["[project]", 'name = "CLI-Probe"', 'as_of = "2026-03-31T23:59:00+02:00"',
             f'output = "{tmp_path / "default"}"', "[sources]", f'folder = "{SAMPLE_LOGS}"']
    for pid in processes:
        lines += [f"[processes.{pid}]", f'model = "{MODELS / MODEL_FILES[pid]}"']
    path = tmp_path / "pmtool.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_report_command_writes_the_html(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["--lang", "en", "report", "--project", str(_project(tmp_path)), "--out", str(out),
                                 "--format", "html", "--lang", "en"], env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text("utf-8")
    assert '<html lang="en">' in html and "P3a" in html and "Summary" in html
    assert "report.html" in result.output and not (out / "report.pdf").exists()


def test_report_command_refuses_without_key_and_with_bad_options(tmp_path):
    project = str(_project(tmp_path))
    no_key = runner.invoke(app, ["--lang", "en", "report", "--project", project, "--format", "html"])
    assert no_key.exit_code == 2 and "no pseudonymisation key" in no_key.output
    bad = runner.invoke(app, ["--lang", "en", "report", "--project", project, "--format", "html,docx"],
                        env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert bad.exit_code == 2 and "docx" in bad.output and "html, pdf" in bad.output
    lang = runner.invoke(app, ["--lang", "en", "report", "--project", project, "--lang", "fr"],
                         env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert lang.exit_code == 2 and "fr" in lang.output
    missing = runner.invoke(app, ["--lang", "en", "report", "--project", str(tmp_path / "nope.toml")],
                            env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert missing.exit_code == 2 and "nope.toml" in missing.output
    assert not (tmp_path / "default").exists(), "nothing is written when the command cannot run"
