"""``answerkey canvas``: a Canvas quiz of a spec's variants as an IMS QTI 1.2 package (zip).

Written with the standard library's ElementTree: no maintained Python library that writes
Canvas's QTI 1.2 dialect is packaged for this project's registries. The package holds
``imsmanifest.xml``, the assessment ``<id>/<id>.xml`` and the figures; Canvas imports it with
"Import course content → QTI .zip file". Each part is a ``<section>`` drawing one of its
variants (``selection_number`` 1). A part with one count or real is a
``numerical_question`` (exact for counts, a range of ± 0.5 % for reals; each named
misconception a response condition whose feedback names it); a part with several values is a
``fill_in_multiple_blanks_question`` with one ``[blank]`` per number, answered exactly.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from typing import Any

from answerkey.lms.content import Question, blank_label
from answerkey.lms.moodle import REAL_TOLERANCE, _component, _mistake_values, number

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
FILEBASE = "$IMS-CC-FILEBASE$"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # zip entry dates: the same inputs give the same bytes


def _ident(text: str) -> str:
    return "g" + re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _meta(item: ET.Element, fields: dict[str, str]) -> None:
    md = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
    for label, entry in fields.items():
        f = ET.SubElement(md, "qtimetadatafield")
        ET.SubElement(f, "fieldlabel").text = label
        ET.SubElement(f, "fieldentry").text = entry


def _mattext(parent: ET.Element, text: str) -> None:
    ET.SubElement(
        ET.SubElement(parent, "material"), "mattext", {"texttype": "text/html"}
    ).text = text


def _images(q: Question) -> str:
    return "".join(
        f'<p><img src="{FILEBASE}/figures/{html.escape(f.name)}" alt="figure"></p>'
        for f in q.figures
    )


def _feedback(item: ET.Element, ident: str, text: str) -> None:
    fb = ET.SubElement(item, "itemfeedback", {"ident": ident})
    flow = ET.SubElement(fb, "flow_mat")
    ET.SubElement(ET.SubElement(flow, "material"), "mattext", {"texttype": "text/html"}).text = text


def _range(parent: ET.Element, low: str, high: str) -> None:
    cond = ET.SubElement(parent, "conditionvar")
    ET.SubElement(cond, "vargte", {"respident": "response1"}).text = low
    ET.SubElement(cond, "varlte", {"respident": "response1"}).text = high


def numerical(q: Question, ident: str) -> ET.Element:
    it = q.items[0]
    item = ET.Element("item", {"ident": ident, "title": q.name})
    _meta(item, {"question_type": "numerical_question", "points_possible": f"{q.points:g}"})
    pres = ET.SubElement(item, "presentation")
    _mattext(pres, q.text_html)
    rs = ET.SubElement(pres, "response_str", {"ident": "response1", "rcardinality": "Single"})
    ET.SubElement(
        ET.SubElement(rs, "render_fib", {"fibtype": "Decimal"}),
        "response_label",
        {"ident": "answer1"},
    )
    rp = ET.SubElement(item, "resprocessing")
    ET.SubElement(
        ET.SubElement(rp, "outcomes"),
        "decvar",
        {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"},
    )
    for n, (_, value) in enumerate(_mistake_values(it, None), 1):
        rc = ET.SubElement(rp, "respcondition", {"continue": "Yes"})
        _range(rc, number(value), number(value))
        ET.SubElement(rc, "displayfeedback", {"feedbacktype": "Response", "linkrefid": f"m{n}"})
    rc = ET.SubElement(rp, "respcondition", {"continue": "No"})
    width = float(it.expected) * float(REAL_TOLERANCE) if it.kind == "real" else 0.0
    low, high = _bounds(it.expected, width)
    _range(rc, low, high)
    ET.SubElement(rc, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    _feedback(item, "general_fb", q.solution_html + _images(q))
    for n, (m, _) in enumerate(_mistake_values(it, None), 1):
        _feedback(item, f"m{n}", html.escape(f"Not quite: {m.text}."))
    return item


def _bounds(value: Any, width: float) -> tuple[str, str]:
    if width == 0:
        return number(value), number(value)
    v = float(value)
    return f"{v - abs(width):.6g}", f"{v + abs(width):.6g}"


def blanks(q: Question, ident: str) -> ET.Element:
    """A fill-in-multiple-blanks question: one ``[bN]`` per number of the part."""
    part = q.name.rsplit(" ", 1)[0] if q.variant else q.name
    fields: list[tuple[str, str]] = []
    rows = []
    for it in q.items:
        dims = range(len(it.expected)) if it.kind == "shape" else [None]
        cells = []
        for d in dims:
            name = f"b{len(fields) + 1}"
            fields.append((name, number(_component(it.expected, d))))
            cells.append(f"[{name}]")
        rows.append(
            f"<tr><td>{html.escape(blank_label(it, part))}</td><td>{' × '.join(cells)}</td></tr>"
        )
    item = ET.Element("item", {"ident": ident, "title": q.name})
    _meta(
        item,
        {"question_type": "fill_in_multiple_blanks_question", "points_possible": f"{q.points:g}"},
    )
    pres = ET.SubElement(item, "presentation")
    _mattext(pres, q.text_html + f"<table>{''.join(rows)}</table>")
    for name, value in fields:
        rl = ET.SubElement(pres, "response_lid", {"ident": f"response_{name}"})
        _mattext(rl, name)
        choice = ET.SubElement(rl, "render_choice")
        lab = ET.SubElement(choice, "response_label", {"ident": f"{name}_right"})
        _mattext(lab, value)
    rp = ET.SubElement(item, "resprocessing")
    ET.SubElement(
        ET.SubElement(rp, "outcomes"),
        "decvar",
        {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"},
    )
    share = f"{100 / len(fields):.4f}"
    for name, _ in fields:
        rc = ET.SubElement(rp, "respcondition")
        ET.SubElement(
            ET.SubElement(rc, "conditionvar"), "varequal", {"respident": f"response_{name}"}
        ).text = f"{name}_right"
        ET.SubElement(rc, "setvar", {"varname": "SCORE", "action": "Add"}).text = share
    _feedback(item, "general_fb", q.solution_html + _images(q))
    return item


def assessment(questions: Sequence[Question], title: str) -> str:
    """The QTI document: a section per part, each drawing one of its variants."""
    root = ET.Element("questestinterop", {"xmlns": QTI_NS})
    asmt = ET.SubElement(root, "assessment", {"ident": _ident(title), "title": title})
    top = ET.SubElement(asmt, "section", {"ident": "root_section"})
    for category in dict.fromkeys(q.category for q in questions):
        group = [q for q in questions if q.category == category]
        sec = ET.SubElement(top, "section", {"ident": _ident(category), "title": category})
        sel = ET.SubElement(ET.SubElement(sec, "selection_ordering"), "selection")
        ET.SubElement(sel, "selection_number").text = "1"
        extension = ET.SubElement(sel, "selection_extension")
        ET.SubElement(extension, "points_per_item").text = f"{group[0].points:g}"
        for q in group:
            single = len(q.items) == 1 and q.items[0].kind in ("count", "real")
            sec.append((numerical if single else blanks)(q, _ident(q.name)))
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def manifest(ident: str, figures: Sequence[str]) -> str:
    ns = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
    root = ET.Element("manifest", {"identifier": f"{ident}_manifest", "xmlns": ns})
    ET.SubElement(root, "organizations")
    res = ET.SubElement(root, "resources")
    r = ET.SubElement(
        res,
        "resource",
        {"identifier": ident, "type": "imsqti_xmlv1p2", "href": f"{ident}/{ident}.xml"},
    )
    ET.SubElement(r, "file", {"href": f"{ident}/{ident}.xml"})
    for name in figures:
        w = ET.SubElement(
            res,
            "resource",
            {"identifier": _ident(name), "type": "webcontent", "href": f"figures/{name}"},
        )
        ET.SubElement(w, "file", {"href": f"figures/{name}"})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def package(questions: Sequence[Question], title: str) -> bytes:
    """The zip Canvas imports: manifest, assessment and figures, with fixed dates."""
    ident = _ident(title)
    figures = {f.name: f.png for q in questions for f in q.figures}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        entries = {
            "imsmanifest.xml": manifest(ident, sorted(figures)).encode(),
            f"{ident}/{ident}.xml": assessment(questions, title).encode(),
            **{f"figures/{n}": figures[n] for n in sorted(figures)},
        }
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)
    return buf.getvalue()
