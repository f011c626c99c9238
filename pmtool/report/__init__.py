"""The gap report for the steering committee: German (or English) HTML and archivable PDF/A with pictures.

>>> from pmtool.report import build_report  # doctest: +SKIP
>>> build_report(analysis, Path("reports"), lang="de", formats=("html", "pdf"))  # doctest: +SKIP
"""

from pmtool.report.build import FORMATS, ReportFiles, build_report

__all__ = ["FORMATS", "ReportFiles", "build_report"]
