"""Printouts on A4 with reportlab: the `documents` laid out for paper.

Every document starts on a new page; the header names the document, its branch or van and the
date, the footer numbers the pages within the document ("Sida 1 / 3"). A crate's or a stop's
block is never split over two pages; long lists flow, their column heads repeated. Item and
crate ids are printed as Code 128 barcodes with the id beneath. Text is set in the standard
Helvetica fonts, which cover the Swedish letters (and the rest of Latin-1).
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from logistics.documents import TEXT, Block, Document, Label

PAGE_W, PAGE_H = A4
MARGIN_X = 15 * mm
MARGIN_Y = 18 * mm  # the header and footer live in these margins
TEXT_W = PAGE_W - 2 * MARGIN_X
FRAME_H = PAGE_H - 2 * MARGIN_Y
MODULE = 0.34 * mm  # narrowest bar: 0.30 mm already fails to decode from a 200 dpi scan
FONT, BOLD = "Helvetica", "Helvetica-Bold"

CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10)
HEAD = ParagraphStyle("head", fontName=BOLD, fontSize=8.5, leading=10)
HEADING = ParagraphStyle("heading", fontName=BOLD, fontSize=10, leading=12.5)
CODE = ParagraphStyle("code", fontName=FONT, fontSize=7.5, leading=9, leftIndent=3 * mm)
NOTE = ParagraphStyle("note", fontName=FONT, fontSize=10, leading=13)


def write_pdf(docs: list[Document], out: Path | io.BytesIO) -> None:
    """Lay out the documents, each from a new page, into one PDF file."""
    story: list[Flowable] = []
    for n, doc in enumerate(docs):
        if n:
            story.append(PageBreak())
        story.append(_Start(n, doc))
        story.extend(_labels(doc) if doc.kind == "labels" else _body(doc))
    template = BaseDocTemplate(
        out if isinstance(out, io.BytesIO) else str(out),
        pagesize=A4,
        title=", ".join(dict.fromkeys(d.title for d in docs)) or "bokflyt",
        author="bokflyt",
    )
    frame = Frame(MARGIN_X, MARGIN_Y, TEXT_W, FRAME_H, 0, 0, 0, 0, id="body")
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    template.build(story, canvasmaker=_NumberedCanvas)


def pdf_bytes(docs: list[Document]) -> bytes:
    """The PDF of `write_pdf` in memory (for the service)."""
    buffer = io.BytesIO()
    write_pdf(docs, buffer)
    return buffer.getvalue()


def _body(doc: Document) -> list[Flowable]:
    out: list[Flowable] = []
    for block in doc.blocks:
        out.extend(_block(block))
        out.append(Spacer(1, 4 * mm))
    for line in doc.totals:
        out.append(Paragraph(escape(line), HEADING))
    if doc.signature:
        t = TEXT[doc.lang]
        out.append(Spacer(1, 10 * mm))
        line = "_" * 38
        sign = Table(
            [[f"{t['sign_driver']}:", line, f"{t['sign_date']}:", "_" * 22]],
            colWidths=[0.12 * TEXT_W, 0.43 * TEXT_W, 0.17 * TEXT_W, 0.28 * TEXT_W],
        )
        sign.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 10)]))
        out.append(sign)
    return out


def _block(block: Block) -> list[Flowable]:
    parts: list[Flowable] = []
    if block.note:
        return [Paragraph(escape(block.note), NOTE)]
    heading: Flowable = Paragraph(escape(block.heading), HEADING)
    if block.barcode:
        code = _barcode(block.barcode, MODULE, 9 * mm)
        heading = Table(
            [[heading, [code, Paragraph(escape(block.barcode), CODE)]]],
            colWidths=[TEXT_W - code.width - 4 * mm, code.width + 4 * mm],
            style=TableStyle([
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
            ]),
        )  # fmt: skip
    parts.append(heading)
    if block.rows:
        head = [Paragraph(escape(c), HEAD) for c in block.columns]
        body = [
            [
                [_barcode(value, MODULE, 7 * mm), Paragraph(escape(value), CODE)]
                if col == block.barcode_column
                else Paragraph(escape(value), CELL)
                for col, value in enumerate(row)
            ]
            for row in block.rows
        ]
        table = Table(
            [head, *body],
            colWidths=[w * TEXT_W for w in block.widths],
            repeatRows=1,
        )
        table.setStyle(
            TableStyle([
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ])
        )  # fmt: skip
        parts.append(table)
    return [KeepTogether(parts)] if block.keep else parts


def _barcode(value: str, module: float, height: float) -> Flowable:
    """A Code 128 barcode of `value` (quiet zones included)."""
    return Code128(value, barWidth=module, barHeight=height, humanReadable=False)


def _labels(doc: Document) -> list[Flowable]:
    """Two labels an A4 page, a cut line between them."""
    if not doc.labels:
        return [Paragraph(escape(TEXT[doc.lang]["nothing"]), NOTE)]
    out: list[Flowable] = []
    for n, label in enumerate(doc.labels):
        if n % 2:
            out.append(_CutLine(TEXT[doc.lang]["cut"]))
        elif n:
            out.append(PageBreak())
        out.append(_LabelFlowable(label, doc.lang))
    return out


class _Start(Flowable):  # type: ignore[misc]
    """Marks where a document begins, so the page decorations know which one they are on."""

    def __init__(self, index: int, doc: Document) -> None:
        super().__init__()
        self.index, self.doc = index, doc
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv.bokflyt_doc = (self.index, self.doc)


LABEL_H = (FRAME_H - 14 * mm) / 2  # two labels and the cut line fill the frame


class _CutLine(Flowable):  # type: ignore[misc]
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.width, self.height = TEXT_W, 14 * mm

    def draw(self) -> None:
        c = self.canv
        y = self.height / 2
        c.setDash(4, 3)
        c.setLineWidth(0.6)
        c.line(-MARGIN_X + 5 * mm, y, TEXT_W + MARGIN_X - 5 * mm, y)
        c.setDash()
        c.setFont(FONT, 7)
        c.setFillColor(colors.white)
        w = stringWidth(self.text, FONT, 7)
        c.rect(TEXT_W / 2 - w / 2 - 2, y - 3, w + 4, 8, stroke=0, fill=1)
        c.setFillColor(colors.black)
        c.drawCentredString(TEXT_W / 2, y - 2, self.text)


class _LabelFlowable(Flowable):  # type: ignore[misc]
    """One crate label: the destination large enough to read across a sorting room."""

    def __init__(self, label: Label, lang: str) -> None:
        super().__init__()
        self.label, self.lang = label, lang
        self.width, self.height = TEXT_W, LABEL_H

    def draw(self) -> None:
        c, lab, t = self.canv, self.label, TEXT[self.lang]
        c.setLineWidth(1.2)
        c.rect(0, 0, self.width, self.height)
        x, top = 8 * mm, self.height - 8 * mm
        c.setFont(FONT, 11)
        c.drawString(x, top - 4 * mm, f"{t['destination']}:")
        name_size = _fit(lab.destination_name, BOLD, 34, self.width - 16 * mm)
        c.setFont(BOLD, name_size)
        c.drawString(x, top - 4 * mm - name_size, lab.destination_name)
        c.setFont(BOLD, 64)
        c.drawString(x, top - 4 * mm - name_size - 64, lab.destination_id)
        c.setFont(FONT, 12)
        y = top - 4 * mm - name_size - 64 - 10 * mm
        c.drawString(x, y, f"{t['from']}: {lab.from_name} ({lab.from_id})")
        c.drawString(
            x,
            y - 6 * mm,
            f"{lab.day.isoformat()} · {t['van']} {lab.van_id} · {t['departs']} {lab.departure}",
        )
        c.setFont(BOLD, 16)
        c.drawRightString(self.width - x, y - 6 * mm, f"{lab.items} {t['items']}")
        code = Code128(lab.crate_id, barWidth=0.5 * mm, barHeight=22 * mm, humanReadable=False)
        code.drawOn(c, x, 14 * mm)
        c.setFont(FONT, 12)
        c.drawString(x, 8 * mm, f"{t['crate']} {lab.crate_id}")


def _fit(text: str, font: str, size: float, width: float) -> float:
    """The largest font size up to `size` at which `text` fits `width`."""
    return min(size, size * width / max(float(stringWidth(text, font, size)), 1.0))


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Draws the header and footer once all pages are known, numbering each document's pages
    by themselves ("1 / 3")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self.bokflyt_doc: tuple[int, Document] | None = None

    def showPage(self) -> None:  # reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        totals = Counter(state["bokflyt_doc"][0] for state in self._pages if state["bokflyt_doc"])
        seen: Counter[int] = Counter()
        for state in self._pages:
            self.__dict__.update(state)
            if self.bokflyt_doc is not None:
                index, doc = self.bokflyt_doc
                seen[index] += 1
                self._decorate(doc, seen[index], totals[index])
            super().showPage()
        super().save()

    def _decorate(self, doc: Document, page: int, pages: int) -> None:
        self.saveState()
        top = PAGE_H - 10 * mm
        self.setFont(BOLD, 13)
        self.drawString(MARGIN_X, top, doc.title)
        self.setFont(FONT, 10)
        self.drawString(MARGIN_X, top - 5 * mm, doc.subject)
        self.drawRightString(PAGE_W - MARGIN_X, top, doc.day_text)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, top - 7 * mm, PAGE_W - MARGIN_X, top - 7 * mm)
        self.setFont(FONT, 9)
        page_word = TEXT[doc.lang]["page"]
        self.drawCentredString(PAGE_W / 2, 9 * mm, f"{page_word} {page} / {pages}")
        self.drawRightString(PAGE_W - MARGIN_X, 9 * mm, "bokflyt")
        self.restoreState()
