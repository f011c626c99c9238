"""Filing in the e-file: the run's report, tables and manifest as an xdomea 3.0.0 message that validates against
the official schema (read from the shared standards folder, never copied into the repository)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

import pmtool as pt
from pmtool.errors import ConfigError
from pmtool.project import load_project

REPO = Path(__file__).resolve().parents[2]
XDOMEA = REPO.parent / "shared" / "standards" / "xdomea-3.0.0" / "xdomea_3.0.0" / "xdomea.xsd"
MODELS = REPO / "pmtool" / "reference_models"
NS = {"x": "urn:xoev-de:xdomea:schema:3.0.0"}
EFILE = """
[efile]
betreff = "Ist/Soll-Analyse Belehrung nach § 43 IfSG"
aktenzeichen = "53-5421/7/2"
urheber = "SMS Referat 23"
behoerde = "Sächsisches Staatsministerium für Soziales"
datum = 2026-04-02
akte_id = "AKTE-4711"
vertraulichkeit = "nfd"
"""


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    if not XDOMEA.exists():
        pytest.skip(f"xdomea 3.0.0 schemas not found in ../shared/standards ({XDOMEA.name})")
    return etree.XMLSchema(etree.parse(str(XDOMEA)))


def _project(folder: Path, efile: str = EFILE) -> Path:
    (folder / "pmtool.toml").write_text(f"""
[project]
name = "Belehrung"
output = "out"
as_of = 2026-03-31T23:59:00+02:00
tables = ["csv"]
[sources]
folder = "logs"
[processes.P3a]
model = "{MODELS / 'P3a_belehrung_43.bpmn'}"
rules = "{MODELS / 'P3a_belehrung_43.rules.toml'}"
{efile}""", encoding="utf-8")
    return folder / "pmtool.toml"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("efile")
    pt.simulate_logs(folder / "logs", offices=2, scale=0.2, processes=["P3a"])
    pt.run(pt.load_project(_project(folder)), key=pt.demo_key(), lang="de")
    return folder


def test_the_message_validates_and_holds_report_tables_and_manifest(run_folder, schema):
    message = pt.file_report(load_project(run_folder / "pmtool.toml"))
    assert message.message == "FVDaten.SGOAblegen.0605" and message.path.parent == run_folder / "out" / "efile"
    archive = zipfile.ZipFile(message.path)
    stem = message.path.name.removesuffix(".zip")
    xml = etree.fromstring(archive.read(f"{stem}.xml"))
    assert etree.QName(xml).localname == "FVDaten.SGOAblegen.0605"
    assert schema.validate(xml), schema.error_log
    # every primary document named in the message is in the zip, byte for byte the file the run wrote
    files = xml.xpath("//x:Primaerdokument", namespaces=NS)
    assert len(files) == len(message.documents) == len(archive.namelist()) - 1
    out = run_folder / "out"
    for f in files:
        original = f.findtext("x:DateinameOriginal", namespaces=NS)
        inside = archive.read(f.findtext("x:Dateiname", namespaces=NS))
        on_disk = (out / "manifest.json") if original == "manifest.json" else next((out / "report").rglob(original))
        assert inside == on_disk.read_bytes()
    names = message.documents
    assert names[0] == "bericht.pdf" and names[1] == "bericht-anhang.pdf" and names[-1] == "manifest.json"
    assert any(n.endswith(".csv") for n in names)
    vorgang = xml.find("x:SchriftgutobjektZumAblegen/x:Schriftgutobjekt/x:Vorgang", NS)
    assert vorgang.findtext("x:AllgemeineMetadaten/x:Kennzeichen", namespaces=NS) == "53-5421/7/2"
    assert vorgang.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=NS).startswith("Ist/Soll-Analyse")
    assert xml.findtext("x:SchriftgutobjektZumAblegen/x:IDContainer", namespaces=NS) == "AKTE-4711"
    assert xml.findtext("x:Kopf/x:Erstellungszeitpunkt", namespaces=NS) == "2026-03-31T21:59:00Z"
    assert {d.findtext("x:DatumDesSchreibens", namespaces=NS) for d in vorgang.findall("x:Dokument", NS)} == {
        "2026-04-02"}
    assert xml.findtext("x:Kopf/x:Absender/x:Organisationseinheit/x:Name", namespaces=NS) == "SMS Referat 23"


def test_the_report_tables_keep_the_privacy_rules(run_folder):
    tables = sorted((run_folder / "out" / "report" / "bericht-tabellen").glob("*.csv"))
    assert tables, "the report's tables are written beside it"
    text = "\n".join(p.read_text("utf-8") for p in tables)
    assert "C-" not in text  # no case pseudonyms: only what the report prints


def test_packing_twice_gives_the_same_bytes_and_the_schema_catches_a_broken_message(run_folder, schema, tmp_path):
    project = load_project(run_folder / "pmtool.toml")
    first = pt.file_report(project, out=tmp_path / "a")
    second = pt.file_report(project, out=tmp_path / "b")
    assert first.path.name == second.path.name and first.path.read_bytes() == second.path.read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(first.path.read_bytes()))
    xml = etree.fromstring(archive.read(first.path.name.removesuffix(".zip") + ".xml"))
    head = xml.find("x:Kopf", NS)
    head.remove(head.find("x:Erstellerkennung", NS))
    assert not schema.validate(xml)  # the validation is real: a required element missing fails it


@pytest.mark.parametrize(("efile", "key"), [
    ('[efile]\nbetreff = "x"\nurheber = "y"\n', "efile.aktenzeichen"),
    ('[efile]\nbetreff = "x"\naktenzeichen = "1"\nurheber = "y"\nakten_id = "z"\n', "efile.akten_id"),
    ('[efile]\nbetreff = "x"\naktenzeichen = "1"\nurheber = "y"\ndatum = "gestern"\n', "efile.datum"),
    ('[efile]\nbetreff = "x"\naktenzeichen = "1"\nurheber = "y"\nvertraulichkeit = "intern"\n',
     "efile.vertraulichkeit"),
    ('[efile]\nbetreff = ""\naktenzeichen = "1"\nurheber = "y"\n', "efile.betreff"),
])
def test_the_efile_table_is_checked_strictly(tmp_path, efile, key):
    (tmp_path / "logs" / "P3a").mkdir(parents=True)
    (tmp_path / "logs" / "P3a" / "GA-01_P3a.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_project(_project(tmp_path, efile))
    assert key in str(err.value)


def test_cli_files_the_run_and_refuses_without_efile_metadata(run_folder, tmp_path):
    from typer.testing import CliRunner

    from pmtool.cli.app import app

    result = CliRunner().invoke(app, ["--lang", "en", "efile", "--project", str(run_folder / "pmtool.toml"),
                                      "--out", str(tmp_path / "zip")])
    assert result.exit_code == 0, result.output
    assert "FVDaten.SGOAblegen.0605" in result.output and len(list((tmp_path / "zip").iterdir())) == 1
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "logs").symlink_to(run_folder / "logs")
    result = CliRunner().invoke(app, ["--lang", "en", "efile", "--project", str(_project(bare, "")),
                                      "--results", str(run_folder / "out")])
    assert result.exit_code == 2 and "[efile]" in result.output


def test_no_cell_of_the_report_tables_is_a_formula():
    from pmtool.report.context import Cell, Table
    from pmtool.report.xdomea import report_tables

    table = Table("adoption-offices-P1", "caption", ("Amt", "Niveau"),
                  (("=HYPERLINK(\"x\")", (Cell("+24,7 Pp."),)), ("GA-02", (Cell("−4,2 Pp."),))))
    import csv

    text = report_tables({"t": table})["adoption-offices-P1.csv"].decode("utf-8")
    assert list(csv.reader(io.StringIO(text))) == [["Amt", "Niveau"], ["'=HYPERLINK(\"x\")", "'+24,7 Pp."],
                                                   ["GA-02", "−4,2 Pp."]]
