"""``docs/vocabulary.md``, generated from the bundled vocabulary file (``python docs/generate_pages.py``;
a test checks that the page is current)."""

from __future__ import annotations

from pmtool.vocabulary import Vocabulary, bundled

_INTRO = """# The canonical vocabulary

Every office names its activities differently. pmtool compares them in one language: the **canonical
vocabulary**, one stable id and one German name per activity, grouped by process. A mapping profile maps an
export's labels onto it (`[activities.map]`, see [mapping-profiles.md](mapping-profiles.md)); the canonical
name is what the log stores in `activity`, the id what it stores in `activity_code`. Soll models name their
tasks by canonical name or tie them to an id (see [project-file.md](project-file.md), label maps). Rule
packs name activities by id or canonical name ([rule-packs.md](rule-packs.md)). The role is the default role
of the activity; profiles map the export's role values onto these roles or onto the lanes of the Soll.

This page is generated from `pmtool/vocabulary/vocabulary.toml` by `python docs/generate_pages.py`;
a test fails when it is out of date. Ids never change meaning; new activities get new ids.

## A process of your own

A project can bring a process the vocabulary does not have — drinking-water surveillance, or any process
outside infection protection — without touching pmtool: a Soll model, and if wanted a rule pack and a
vocabulary file in the same format, in the project's own folder. Only the model is required: without a
vocabulary file the logs keep their own labels, the Soll's tasks are tied to them by name, and the import
reports mapping coverage 0 % (expected then). What the file adds — canonical names and ids that offices'
differing labels map onto, ids in logs and rule packs, known roles, the process's names — is listed in
[project-file.md](project-file.md#processesid).

```toml
# trinkwasser/TW.vocabulary.toml
[processes.TW]
name = "Trinkwasserüberwachung"
gloss = "Drinking-water surveillance"
activities = [
  { id = "TW-01", name = "Probenahme geplant", gloss = "Sampling planned", role = "Hygienekontrolleur/in" },
  { id = "TW-02", name = "Trinkwasserprobe entnommen", gloss = "Sample taken", role = "Hygienekontrolleur/in" },
  { id = "TW-03", name = "Trinkwasserbefund bewertet", role = "Ärztin/Arzt Infektionsschutz" },
  { id = "TW-04", name = "Maßnahme nach § 61 TrinkwV angeordnet", role = "Amtsärztin/Amtsarzt" },
]
```

```toml
# pmtool.toml
[processes.TW]
vocabulary = "trinkwasser/TW.vocabulary.toml"
model = "trinkwasser/TW_soll.bpmn"
rules = "trinkwasser/TW_soll.rules.toml"
```

The file must define exactly the process of its `[processes.<id>]` table, with a new process id and ids and
names that are not in the vocabulary yet (an error says which one clashes). Every stage — import, discovery,
conformance, comparison, report — then handles the process like P1. The commands that work without a
project take the file with `--vocabulary` (`pmtool ingest --vocabulary …`, likewise `inspect`, `discover`,
`conform`, `aggregate` and `compare`).

| key | required | meaning |
|---|---|---|
| `[processes.<id>]` | yes | The process id (as in the project file). |
| `name` | no (the id) | German name of the process. |
| `gloss` | no | English name. |
| `activities` | yes | {activities} |
""".replace("{activities}", "A list of `{ id, name, gloss, role }`: `id` and `name` are required and unique "
            "across the whole vocabulary; `role` is the activity's default role.")


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "—"


def vocabulary_reference(vocab: Vocabulary | None = None) -> str:
    """The Markdown page listing every process, id, canonical name, gloss and role of ``vocab``."""
    vocab = vocab or bundled()
    out = [_INTRO]
    for proc in vocab.processes.values():
        out.append(f"## {proc.id} {proc.name}\n")
        out.append(f"{proc.gloss}. {len(proc.activities)} activities.\n")
        out.append("| id | canonical name | gloss | role |")
        out.append("|---|---|---|---|")
        for act in proc.activities:
            out.append(f"| `{act.id}` | {_cell(act.name)} | {_cell(act.gloss)} | {_cell(act.role)} |")
        out.append("")
    out.append("## Roles\n")
    out.append("The roles the vocabulary names (profiles map export values onto them, rule packs name them):\n")
    out.append("| role | activities |")
    out.append("|---|---|")
    for role in vocab.roles():
        ids = [a.id for a in vocab.activities if a.role == role]
        out.append(f"| {_cell(role)} | {', '.join(f'`{i}`' for i in ids)} |")
    return "\n".join(out) + "\n"
