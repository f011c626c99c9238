"""The report as an archivable PDF: WeasyPrint renders the same HTML as PDF/A-2a — tagged (headings, tables
with header cells, figures with their alternative text), fonts embedded, sRGB output intent — with title,
author, subject, keywords, language and a creation date taken from the data, never from the clock.

WeasyPrint fetches nothing: only ``data:`` URIs are allowed (the pictures are embedded), so rendering works
offline and cannot reach a server. The document id is a hash of the content, so the same report gives the
same bytes.
"""

from __future__ import annotations

import logging
from typing import Any

from pmtool.errors import Location, RenderError

#: Preferred PDF/A variant: PDF/A-2 level a (accessible, tagged), as the KLA/Bundesarchiv recommend.
PDF_VARIANT = "pdf/a-2a"
_DC = "http://purl.org/dc/elements/1.1/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise RenderError("report.pdf_unavailable", Location(), reason=str(exc).splitlines()[0]) from None
    return weasyprint


def render_pdf(html: str, *, lang: str) -> bytes:
    """``html`` as PDF/A-2a bytes (see the module docstring); :class:`RenderError` when WeasyPrint is
    missing."""
    weasyprint = _weasyprint()
    from weasyprint.pdf.pdfa import VARIANTS

    variant = PDF_VARIANT if PDF_VARIANT in VARIANTS else "pdf/a-2b"
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    # WeasyPrint reports unsupported CSS on its logger; the report uses none on purpose, so stay quiet
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, media_type="print")
        data = document.write_pdf(pdf_variant=variant, pdf_tags=True, pdf_identifier=True,
                                  finisher=lambda doc, pdf: _add_language(pdf, lang))
    finally:
        logger.setLevel(level)
    return bytes(data)


def _add_language(pdf: Any, lang: str) -> None:
    """Add ``dc:language`` to the XMP packet WeasyPrint wrote (it records the language only in the catalog)."""
    ref = pdf.catalog.get("Metadata")
    if ref is None:
        return
    number = int(ref.split()[0])
    stream = pdf.objects[number]
    content = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in stream.stream)
    extra = (f'<rdf:Description xmlns:rdf="{_RDF}" xmlns:dc="{_DC}" rdf:about="">'
             f"<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>"
             "</rdf:Description>").encode()
    if b"</rdf:RDF>" in content:
        stream.stream = [content.replace(b"</rdf:RDF>", extra + b"</rdf:RDF>", 1)]


def engine_check() -> str:
    """Make a one-page PDF/A to prove the PDF engine works here; its name and version.

    Raises :class:`RenderError` when the engine is missing or cannot render."""
    weasyprint = _weasyprint()
    try:
        render_pdf("<html><body><p>pmtool</p></body></html>", lang="de")
    except Exception as exc:  # any failure of the engine means no PDF report on this machine
        raise RenderError("report.pdf_unavailable", Location(), reason=str(exc).splitlines()[0]) from None
    return f"WeasyPrint {weasyprint.__version__}"
