"""Text from outside made safe to print: no control characters, no spreadsheet formulas.

Model and file names, device descriptions and whatever a run file holds reach terminals,
Markdown, HTML and CSV. An escape sequence in a file name can rewrite a terminal's screen;
a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` runs as a formula when the file
is opened in a spreadsheet. Pure functions.
"""

from __future__ import annotations

import re
import unicodedata

#: bidirectional overrides and isolates: they reorder how the rest of a line reads.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain(text: object, keep_newlines: bool = False) -> str:
    """``text`` with every control character (C0, DEL, C1) and bidi override replaced by
    ``?`` (newlines kept with ``keep_newlines``).

    >>> plain("net\\x1b[2J.tflite")
    'net?[2J.tflite'
    """
    out = []
    for char in str(text):
        if keep_newlines and char == "\n":
            out.append(char)
        elif char in _BIDI or unicodedata.category(char) == "Cc":
            out.append("?")
        else:
            out.append(char)
    return "".join(out)


def csv_cell(text: object) -> str:
    """A CSV cell a spreadsheet shows as text: ``plain``, and a leading ``'`` before a cell
    that would start a formula (numbers such as ``-0.50`` stay numbers).

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("-0.50")
    ("'=HYPERLINK(1)", '-0.50')
    """
    cell = plain(text)
    if cell.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
