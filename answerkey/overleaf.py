"""``answerkey build --zip``: the question sheet and the key as a zip to upload to Overleaf.

The zip holds ``questions.tex`` and ``key.tex`` rendered *portable*: their preamble picks
T1 fonts under pdfTeX and fontspec under LuaTeX or XeTeX (iftex), and maps the characters
they use in a way every engine reads, so the project compiles as uploaded on Overleaf's
default pdfLaTeX and on LuaLaTeX or XeLaTeX. Figures are TikZ inside the sources: there are
no other files. Entries are sorted and dated 1980-01-01, so the zip is byte-identical for the
same spec.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from answerkey.render import Rendered

ZIP_NAME = "overleaf.zip"
EPOCH = (1980, 1, 1, 0, 0, 0)


def write_zip(path: Path, rendered: Rendered) -> Path:
    """Write the portable ``rendered`` sources into the zip ``path``."""
    files = {"key.tex": rendered.key, "questions.tex": rendered.questions}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name].encode("utf-8"))
    return path
