"""Office-specific activity labels: what each case software calls the canonical activities.

Three hand-written label sets (OctoWare-like short German, SurvNet-like, abbreviations) and derived
styles (canonical name, upper case, English gloss, task codes). Within a process every style gives
distinct labels, so the mapping profile maps each back to exactly one vocabulary id.

>>> labels("task", "P1")["IS-10"]
'CASE_TRANSMITTED_TO_LUA'
"""

from __future__ import annotations

import re
from functools import cache

from pmtool.vocabulary import vocabulary

OCTOWARE = {
    "IS-01": "Meldung erfasst (DEMIS)",
    "IS-02": "Meldung gesichtet",
    "IS-03": "Zuständigkeit geprüft",
    "IS-03a": "Weiterleitung an zust. GA",
    "IS-04": "Meldung zu Fall zugeordnet",
    "IS-05": "Fall neu angelegt",
    "IS-06": "Ärztliche Erstbewertung",
    "IS-07": "Erstkontakt",
    "IS-08": "Ermittlung fertig",
    "IS-09": "Falldefinition geprüft",
    "IS-10": "Übermittlung LS",
    "IS-11": "Weiterleitung RKI",
    "IS-12": "KP ermittelt",
    "IS-13": "KP beraten",
    "IS-14": "Anordnung mündlich",
    "IS-15": "Bescheid Entwurf",
    "IS-16": "Bescheid gezeichnet",
    "IS-17": "Bescheid versendet",
    "IS-18": "Probe angefordert",
    "IS-19": "Probenversand LUA",
    "IS-20": "Probeneingang LUA",
    "IS-21": "Befund LUA",
    "IS-22": "Befund bewertet",
    "IS-23": "Korrekturmeldung",
    "IS-24": "Maßnahme aufgehoben",
    "IS-25": "Fall abgeschlossen",
    "IS-26": "E-Akte abgelegt",
    "IS-90": "Abgabe an anderes GA",
    "IS-91": "Ausbruchszuordnung",
    "IS-92": "Dublette zusammengeführt",
    "AB-01": "Signal",
    "AB-02": "Ausbruch bestätigt",
    "AB-03": "Ausbruch angelegt",
    "AB-04": "Teamsitzung",
    "AB-05": "Begehung Einrichtung",
    "AB-06": "Diagnostik LUA",
    "AB-07": "Falldefinition Ausbruch",
    "AB-08": "Fallsuche",
    "AB-09": "Linelist aktualisiert",
    "AB-10": "Hypothese",
    "AB-11": "Hypothesenprüfung",
    "AB-12": "Maßnahmen angeordnet",
    "AB-13": "Fälle zugeordnet",
    "AB-14": "Übermittlung Ausbruch",
    "AB-15": "Kommunikation",
    "AB-16": "Ausbruch beendet",
    "AB-17": "Abschlussbericht",
    "AB-18": "Ausbruch archiviert",
    "BL-01": "Termin gebucht",
    "BL-02": "Ausweis geprüft",
    "BL-03": "Gebührenbefreiung",
    "BL-04": "Belehrung",
    "BL-05": "Verständnisprüfung",
    "BL-06": "Erklärung unterschrieben",
    "BL-07": "Bescheinigung",
    "BL-08": "Gebühr bezahlt",
    "BL-09": "Zweitschrift",
    "BL-90": "Nicht erschienen",
}
SURVNET = {
    "IS-01": "Meldungseingang",
    "IS-02": "Meldung anzeigen/prüfen",
    "IS-03": "Meldelandkreis prüfen",
    "IS-03a": "Meldung weitergeleitet",
    "IS-04": "Meldung mit Fall verknüpft",
    "IS-05": "Fall anlegen",
    "IS-06": "Priorisierung",
    "IS-07": "Ermittlung Beginn",
    "IS-08": "Ermittlung Ende",
    "IS-09": "Falldefinitionsstatus gesetzt",
    "IS-10": "Transport an LS",
    "IS-11": "Transport LS an RKI",
    "IS-12": "Kontaktpersonen erfasst",
    "IS-13": "Kontaktperson informiert",
    "IS-14": "Maßnahme mündlich",
    "IS-15": "Bescheid erstellt",
    "IS-16": "Bescheid unterschrieben",
    "IS-17": "Bescheid abgesandt",
    "IS-18": "Probenahme",
    "IS-19": "Probe versandt",
    "IS-20": "Probe eingegangen",
    "IS-21": "Laborbefund",
    "IS-22": "Laborbefund bewertet",
    "IS-23": "Fallversion geändert",
    "IS-24": "Wiederzulassung",
    "IS-25": "Bearbeitungsstatus abgeschlossen",
    "IS-26": "Archivierung",
    "IS-90": "Fallabgabe",
    "IS-91": "Ausbruch zugeordnet",
    "IS-92": "Fälle zusammengeführt",
    "AB-01": "Häufung erkannt",
    "AB-02": "Ausbruchsbestätigung",
    "AB-03": "Ausbruchsdatensatz angelegt",
    "AB-04": "Ausbruchsteam",
    "AB-05": "Vor-Ort-Begehung",
    "AB-06": "Proben an LUA",
    "AB-07": "Falldefinition festgelegt",
    "AB-08": "Aktive Fallsuche",
    "AB-09": "Epikurve erstellt",
    "AB-10": "Hypothesenbildung",
    "AB-11": "Analytische Studie",
    "AB-12": "Kontrollmaßnahmen",
    "AB-13": "Fall dem Ausbruch zugeordnet",
    "AB-14": "Transport Ausbruch an LS",
    "AB-15": "Risikokommunikation",
    "AB-16": "Ausbruchsende",
    "AB-17": "Abschlussbericht erstellt",
    "AB-18": "Ausbruch abgeschlossen",
    "BL-01": "Terminbuchung",
    "BL-02": "Identitätsprüfung",
    "BL-03": "Befreiung geprüft",
    "BL-04": "Belehrung durchgeführt",
    "BL-05": "Test bestanden",
    "BL-06": "Erklärung",
    "BL-07": "Bescheinigung erteilt",
    "BL-08": "Zahlung eingegangen",
    "BL-09": "Zweitschrift erteilt",
    "BL-90": "Termin versäumt",
}
ABBREV = {
    "IS-01": "MLD-EIN",
    "IS-02": "MLD-SICHT",
    "IS-03": "ZUST-PRF",
    "IS-03a": "MLD-WEITER",
    "IS-04": "MLD-ZUORD",
    "IS-05": "FALL-NEU",
    "IS-06": "ARZT-BEW",
    "IS-07": "ERM-START",
    "IS-08": "ERM-ENDE",
    "IS-09": "FD-BEW",
    "IS-10": "UEB-LS",
    "IS-11": "UEB-RKI",
    "IS-12": "KP-ERM",
    "IS-13": "KP-INFO",
    "IS-14": "ANO-MDL",
    "IS-15": "BESCH-ERST",
    "IS-16": "BESCH-ZEICH",
    "IS-17": "BESCH-VERS",
    "IS-18": "PROBE-VERANL",
    "IS-19": "PROBE-VERS",
    "IS-20": "PROBE-EING",
    "IS-21": "BEFUND-LUA",
    "IS-22": "BEFUND-BEW",
    "IS-23": "FALL-KORR",
    "IS-24": "MASSN-AUFH",
    "IS-25": "FALL-ABSCHL",
    "IS-26": "EAKTE",
    "IS-90": "FALL-ABGABE",
    "IS-91": "AUSBR-ZUORD",
    "IS-92": "FALL-MERGE",
    "AB-01": "AUS-SIGNAL",
    "AB-02": "AUS-BEST",
    "AB-03": "AUS-ANLAGE",
    "AB-04": "AUS-TEAM",
    "AB-05": "AUS-BEGEH",
    "AB-06": "AUS-DIAG",
    "AB-07": "AUS-FALLDEF",
    "AB-08": "AUS-SUCHE",
    "AB-09": "AUS-LINELIST",
    "AB-10": "AUS-HYP",
    "AB-11": "AUS-HYP-PRF",
    "AB-12": "AUS-MASSN",
    "AB-13": "AUS-FALL-ZU",
    "AB-14": "AUS-UEB",
    "AB-15": "AUS-KOMM",
    "AB-16": "AUS-ENDE",
    "AB-17": "AUS-BERICHT",
    "AB-18": "AUS-ARCHIV",
    "BL-01": "TERMIN",
    "BL-02": "ID-PRF",
    "BL-03": "GEB-BEFR",
    "BL-04": "BELEHR",
    "BL-05": "VERST-PRF",
    "BL-06": "ERKL-UNT",
    "BL-07": "BESCHEIN",
    "BL-08": "GEB-ZAHL",
    "BL-09": "ZWEITSCHR",
    "BL-90": "NO-SHOW",
}
STYLES = (
    "octoware",
    "octoware_upper",
    "survnet",
    "abbrev",
    "abbrev_lower",
    "canonical",
    "upper",
    "gloss",
    "task",
    "task_lower",
)


def _task(gloss: str) -> str:
    words = re.sub(r"\(.*?\)", "", gloss).replace("/", " ").replace("&", "and")
    return "_".join(re.findall(r"[A-Za-z0-9]+", words)).upper()


@cache
def labels(style: str, process: str) -> dict[str, str]:
    """Activity id → the label ``style`` uses, for every activity of ``process``."""
    acts = vocabulary().processes[process].activities
    out: dict[str, str] = {}
    for a in acts:
        if style in ("octoware", "survnet", "abbrev"):
            label = {"octoware": OCTOWARE, "survnet": SURVNET, "abbrev": ABBREV}[style].get(a.id, a.name)
        elif style == "octoware_upper":
            label = OCTOWARE.get(a.id, a.name).upper()
        elif style == "abbrev_lower":
            label = ABBREV.get(a.id, a.id).lower().replace("-", "_")
        elif style == "canonical":
            label = a.name
        elif style == "upper":
            label = a.name.upper()
        elif style == "gloss":
            label = a.gloss
        elif style == "task":
            label = _task(a.gloss)
        elif style == "task_lower":
            label = _task(a.gloss).lower()
        else:
            raise ValueError(f"unknown label style {style}")
        out[a.id] = label
    if len(set(out.values())) != len(out):
        raise ValueError(f"label style {style} is not unique in {process}")
    return out
