"""Export dialects: how each office's case software writes its event export, and the profile that reads it.

Every office exports in a different dialect: file format, delimiter and encoding, column names, date
format (German with or without seconds, ISO with offsets, UTC "Z", split date and time, typed Excel or
Parquet timestamps), case-id format, how staff appear (names, user ids, numbers), what system events carry
as user, and the activity labels. :func:`profile_toml` writes the mapping profile
(``docs/mapping-profiles.md``) that maps the export back onto the canonical log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from pmtool.simulate.labels import labels

#: timestamp styles: (format with time, format for a date-only value or None) as the profile reads them
TS_FORMATS: dict[str, tuple[str, ...]] = {
    "de_min": ("%d.%m.%Y %H:%M", "%d.%m.%Y"),
    "de_sec": ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y"),
    "iso_offset": ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"),
    "iso_utc_z": ("%Y-%m-%dT%H:%M:%S%z",),
    "split_de": ("%d.%m.%Y %H:%M", "%d.%m.%Y"),
    "split_iso": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
    "iso_naive": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
    "excel_split": ("%Y-%m-%d %H:%M", "%Y-%m-%d"),
    "excel_datetime": ("%Y-%m-%dT%H:%M:%S",),
    "excel_text": ("%d.%m.%Y %H:%M", "%d.%m.%Y"),
    "xes": (),
    "typed_utc": (),
}
#: styles that can carry a date without a time, and styles that write local wall-clock time
DATE_ONLY_STYLES = {
    "de_min",
    "de_sec",
    "iso_offset",
    "split_de",
    "split_iso",
    "iso_naive",
    "excel_split",
    "excel_text",
}
NAIVE_LOCAL_STYLES = {
    "de_min",
    "de_sec",
    "split_de",
    "split_iso",
    "iso_naive",
    "excel_split",
    "excel_datetime",
    "excel_text",
}
#: system and outside actors → resource value per dialect kind
SYSTEM_USERS = {
    "none": {
        "DEMIS": None,
        "TRANSPORT": None,
        "LUA_LAB": "LUA {site}",
        "LUA_LS": "Landesstelle (LUA)",
        "CITIZEN": None,
        "CONTRACTOR": "Online-Dienstleister",
    },
    "ids": {
        "DEMIS": "demis-import",
        "TRANSPORT": "transport-job",
        "LUA_LAB": "lua-lims-{site_id}",
        "LUA_LS": "lua-landesstelle",
        "CITIZEN": "buergerportal",
        "CONTRACTOR": "dienstleister-online",
    },
    "upper": {
        "DEMIS": "DEMIS",
        "TRANSPORT": "TRANSPORT",
        "LUA_LAB": "LUA_{SITE}",
        "LUA_LS": "LUA_LS",
        "CITIZEN": None,
        "CONTRACTOR": "EXTERN_ONLINE",
    },
}


@dataclass(frozen=True)
class Dialect:
    name: str
    software: str
    format: str  # csv | excel | xes | parquet
    suffix: str
    columns: dict[str, str | tuple[str, str]]  # case_id, activity, timestamp, resource, role, attribute
    ts_style: str
    labels: str
    case_ids: str
    resources: str
    system_users: str = "none"
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | None = None
    sort: str = "case"  # rows by case then time, or all by time
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def date_only(self) -> bool:
        return self.ts_style in DATE_ONLY_STYLES

    @property
    def naive_local(self) -> bool:
        return self.ts_style in NAIVE_LOCAL_STYLES


def _cols(case: str, act: str, ts: str | tuple[str, str], res: str, role: str, attr: str) -> dict:
    return {
        "case_id": case,
        "activity": act,
        "timestamp": ts,
        "resource": res,
        "role": role,
        "attribute": attr,
    }


DIALECTS: dict[str, Dialect] = {
    d.name: d
    for d in (
        Dialect(
            "octoware-csv",
            "OctoWare TN",
            "csv",
            "csv",
            _cols("Aktenzeichen", "Tätigkeit", "Datum/Uhrzeit", "Bearbeiter/in", "Funktion", "Erreger"),
            "de_min",
            "octoware",
            "octoware",
            "name",
            delimiter=";",
            encoding="cp1252",
            description="Aufgabenliste der Fallsoftware (Semikolon, Windows-1252, deutsches Datum)",
        ),
        Dialect(
            "sormas-csv",
            "SORMAS",
            "csv",
            "csv",
            _cols("uuid", "taskType", "statusChangeDate", "assigneeUser", "assigneeRole", "disease"),
            "iso_offset",
            "task",
            "uuid",
            "userid",
            "ids",
            delimiter=",",
            encoding="utf-8-sig",
            sort="time",
            description="task export of a contact-management system (comma, UTF-8-BOM, ISO 8601)",
        ),
        Dialect(
            "survnet-tsv",
            "SurvNet",
            "csv",
            "tsv",
            _cols("Aktenzeichen", "Vorgang", ("Datum", "Uhrzeit"), "Benutzer", "Rolle", "Erreger"),
            "split_de",
            "survnet",
            "survnet",
            "role_dotted",
            "upper",
            delimiter="\t",
            description="Versionshistorie (Tabulator, UTF-8, Datum und Uhrzeit getrennt)",
        ),
        Dialect(
            "excel-split",
            "Tabellenführung",
            "excel",
            "xlsx",
            _cols("Fall-Nr.", "Schritt", ("Datum", "Uhrzeit"), "Mitarbeiter/in", "Rolle", "Erreger"),
            "excel_split",
            "abbrev",
            "numeric",
            "initial",
            sheet="Export",
            description="Excel-Liste mit Datumszellen und Uhrzeit als Text",
        ),
        Dialect(
            "excel-datetime",
            "Fachverfahren (Berichtsexport)",
            "excel",
            "xlsx",
            _cols("Vorgang", "Aktivität", "Zeitstempel", "Sachbearbeiter", "Funktion", "Erreger"),
            "excel_datetime",
            "canonical",
            "octoware",
            "userid",
            "ids",
            sheet="Vorgänge",
            description="Excel-Bericht mit Datum-Uhrzeit-Zellen",
        ),
        Dialect(
            "xes",
            "Prozessexport (XES)",
            "xes",
            "xes.gz",
            _cols(
                "case:concept:name",
                "concept:name",
                "time:timestamp",
                "org:resource",
                "org:role",
                "case:Erreger",
            ),
            "xes",
            "survnet",
            "xes",
            "initial",
            "ids",
            description="IEEE 1849 XES, gzip-komprimiert",
        ),
        Dialect(
            "parquet-text",
            "Data Warehouse",
            "parquet",
            "parquet",
            _cols("fall_id", "aktivitaet", "zeitpunkt", "mitarbeiter", "rolle", "erreger"),
            "iso_naive",
            "gloss",
            "slash",
            "userid",
            "ids",
            description="Parquet-Auszug, Zeitstempel als Text in Ortszeit",
        ),
        Dialect(
            "octoware-upper",
            "OctoWare TN (Altversion)",
            "csv",
            "csv",
            _cols("AZ", "TAETIGKEIT", "ZEITPUNKT", "BENUTZER", "ROLLE", "ERREGER"),
            "de_sec",
            "octoware_upper",
            "octoware",
            "upper",
            "upper",
            delimiter=";",
            encoding="cp1252",
            description="Altexport in Großbuchstaben mit Sekunden",
        ),
        Dialect(
            "webapp-utc",
            "Web-Fallverwaltung",
            "csv",
            "csv",
            _cols("case_uuid", "event", "event_time_utc", "user", "user_role", "pathogen"),
            "iso_utc_z",
            "task_lower",
            "uuid",
            "number",
            "ids",
            delimiter=",",
            sort="time",
            description="web application log (comma, UTF-8, UTC with Z)",
        ),
        Dialect(
            "pipe-split",
            "Kreissoftware",
            "csv",
            "txt",
            _cols("AKTENZ", "TAETIGKEIT", ("DATUM", "ZEIT"), "BEARB", "ROLLE", "ERREGER"),
            "split_iso",
            "abbrev_lower",
            "survnet",
            "initial",
            "upper",
            delimiter="|",
            description="Textexport mit senkrechtem Strich, ISO-Datum und Zeit getrennt",
        ),
        Dialect(
            "xes-english",
            "Process export (XES, English)",
            "xes",
            "xes.gz",
            _cols(
                "case:concept:name",
                "concept:name",
                "time:timestamp",
                "org:resource",
                "org:role",
                "case:pathogen",
            ),
            "xes",
            "gloss",
            "xes",
            "name",
            "ids",
            description="IEEE 1849 XES with English labels, gzip-compressed",
        ),
        Dialect(
            "parquet-typed",
            "Analyseplattform",
            "parquet",
            "parquet",
            _cols("case", "step", "ts", "user", "role", "pathogen"),
            "typed_utc",
            "canonical",
            "numeric",
            "number",
            "ids",
            description="Parquet mit typisierten UTC-Zeitstempeln",
        ),
        Dialect(
            "excel-text",
            "Tabellenführung (Text)",
            "excel",
            "xlsx",
            _cols("Az.", "Tätigkeit", "Zeitpunkt", "Bearbeiter", "Rolle", "Erreger"),
            "excel_text",
            "upper",
            "octoware",
            "name",
            sheet="Vorgänge",
            description="Excel-Liste mit Zeitpunkten als Text",
        ),
    )
}
#: rows of one Excel worksheet (header included): an export with more rows does not fit into one sheet
SHEET_ROWS = 1_048_576
#: how a spreadsheet writes its cells as text when the rows go to CSV instead: the cell formats of the workbook
_CSV_STYLE = {"excel_split": "split_de", "excel_datetime": "de_min", "excel_text": "de_min"}


def sheet_overflow(dialect: Dialect, rows: int) -> str | None:
    """Why an export of ``rows`` data rows does not fit the dialect's file (only a worksheet has a limit),
    ``None`` when it fits."""
    if dialect.format != "excel" or rows + 1 <= SHEET_ROWS:
        return None
    return f"{rows} rows and the header do not fit one worksheet ({SHEET_ROWS} rows)"


def csv_instead(dialect: Dialect) -> Dialect:
    """The same system's CSV export of an Excel dialect, for an export too long for one worksheet.

    Same columns, labels, case ids and staff; semicolon and UTF-8 with BOM ("CSV UTF-8" of a German
    spreadsheet); timestamps as text in the workbook's cell formats, so date-only stamps and local wall-clock
    time (with its summer-time gaps) stay what they were.
    """
    assert dialect.format == "excel", dialect.name
    return replace(
        dialect,
        name=f"{dialect.name}-csv",
        format="csv",
        suffix="csv",
        ts_style=_CSV_STYLE[dialect.ts_style],
        delimiter=";",
        encoding="utf-8-sig",
        sheet=None,
        description=f"CSV-Export statt {dialect.description}: mehr Zeilen, als ein Arbeitsblatt fasst "
        "(Semikolon, UTF-8-BOM, Zeitpunkte als Text)",
    )


_UUID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PROCESS_DIGIT = {"P1": 1, "P2": 2, "P3a": 3}


def case_id(style: str, office: int, process: str, year: int, seq: int, seed: int) -> str:
    """The raw case id of the ``seq``-th case (chronological) in the dialect's ``style``."""
    if style == "octoware":
        mid = {"P1": "", "P2": "AUS-", "P3a": "BEL-"}[process]
        return f"{office:02d}-{mid}{year}-{seq:05d}"
    if style == "survnet":
        if process == "P2":
            return f"Outbreak{year}-{office:02d}{seq:04d}"
        return f"{year}-{office:03d}-{_PROCESS_DIGIT[process]}{seq:06d}"
    if style == "numeric":
        return f"{office:02d}{year % 100:02d}{_PROCESS_DIGIT[process]}{seq:06d}"
    if style == "slash":
        return f"GA{office:02d}/{process}/{year}/{seq:06d}"
    if style == "xes":
        return f"GA{office:02d}-{process}-{seq:06d}"
    if style == "uuid":
        digest = hashlib.blake2b(f"{seed}|{office}|{process}|{seq}".encode(), digest_size=12).digest()
        chars = "".join(_UUID_ALPHABET[b % 32] for b in digest)
        return f"{chars[:4]}-{chars[4:8]}-{chars[8:12]}"
    raise ValueError(f"unknown case-id style {style}")


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return f'"{escaped}"'


def profile_toml(dialect: Dialect, office: str, process: str, title: str) -> str:
    """The mapping profile for this office's export of ``process``."""
    cols = dialect.columns
    lines = [
        f"# Mapping profile of {office}, {title}: synthetic export ({dialect.description}).",
        "# Generated by `pmtool simulate`; see docs/mapping-profiles.md.",
        f"office = {_quote(office)}",
        f"source_system = {_quote(dialect.software)}",
        f"description = {_quote(title + ' (synthetisch)')}",
        "",
        "[file]",
        f"format = {_quote(dialect.format)}",
    ]
    if dialect.format == "csv":
        lines += [f"delimiter = {_quote(dialect.delimiter)}", f"encoding = {_quote(dialect.encoding)}"]
    if dialect.sheet:
        lines.append(f"sheet = {_quote(dialect.sheet)}")
    lines += ["", "[columns]"]
    for canon in ("case_id", "activity", "timestamp", "resource", "role"):
        value = cols[canon]
        if isinstance(value, tuple):
            lines.append(f"{canon} = [{', '.join(_quote(v) for v in value)}]")
        else:
            lines.append(f"{canon} = {_quote(value)}")
    lines += ["", "[timestamps]", 'timezone = "Europe/Berlin"']
    formats = TS_FORMATS[dialect.ts_style]
    if formats:
        lines.append(f"formats = [{', '.join(_quote(f) for f in formats)}]")
    lines += [
        'ambiguous = "earliest"',
        'nonexistent = "quarantine"',
        "",
        "[activities]",
        "require_full_map = true",
        "",
        "[activities.map]",
    ]
    for activity_id, label in sorted(labels(dialect.labels, process).items(), key=lambda kv: kv[1]):
        lines.append(f"{_quote(label)} = {_quote(activity_id)}")
    return "\n".join(lines) + "\n"
