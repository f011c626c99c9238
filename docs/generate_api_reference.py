"""Write the API reference of ``import pmtool as pt`` from its docstrings with pdoc into docs/api/:
``python docs/generate_api_reference.py`` (needs ``pip install -e '.[test]'``), then open docs/api/pmtool.html.

Only the public API is documented (the names in ``pmtool.__all__``); the subpackages are internal. The test
suite builds the same reference into a temporary folder and fails on any warning pdoc gives (an annotation
it cannot resolve, a name in ``__all__`` that does not exist), and runs every docstring example.
"""

from __future__ import annotations

import warnings
from pathlib import Path

TARGET = Path(__file__).resolve().parent / "api"


def build(out: Path) -> list[str]:
    """Render the reference into ``out``; returns pdoc's warnings (empty when everything resolved)."""
    import pdoc
    import pdoc.doc
    import pdoc.render

    from pmtool import __version__

    pdoc.render.configure(docformat="restructuredtext", show_source=False, search=True,
                          footer_text=f"pmtool {__version__}")
    pdoc.doc.Module.from_name.cache_clear()  # a second build in one process must look at the module again
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc("pmtool", r"!pmtool\.", output_directory=out)  # the package page only: its __all__
    return [f"{w.category.__name__}: {w.message}" for w in caught]


if __name__ == "__main__":
    problems = build(TARGET)
    for problem in problems:
        print(problem)
    print(f"wrote {TARGET / 'pmtool.html'}" + (f" with {len(problems)} warnings" if problems else ""))
    raise SystemExit(1 if problems else 0)
