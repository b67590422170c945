"""CSV exports that a spreadsheet opens safely."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """User-written text that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_response(filename: str, header: Sequence[object], rows: Iterable[Iterable[object]]) -> Response:
    """A CSV download, streamed; text cells are defused for spreadsheets.

    Header names marked with `_l` are written in the reader's language; plain names (machine-style
    column names such as `created_at`, which scripts read) are written as they are.
    """
    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([str(name) for name in header])
        for row in rows:
            writer.writerow([csv_safe(cell) if isinstance(cell, str) else cell for cell in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(lines()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store",
    })
