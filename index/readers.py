"""Rows of catalog and review files: JSONL, JSON arrays and CSV, in whatever encoding.

:func:`read_rows` yields ``(line, record)`` with the line a user finds the row at (JSONL: its
line; CSV: the physical line where the row starts, quoted newlines counted; JSON array: the
line where the object starts). Files that are not UTF-8 are decoded as GB18030 (Chinese) or
Windows-1252 (Western) with a warning; a file that is none of these fails with a clear error.
It does not interpret fields (:mod:`index.ingest` does).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from index.schema import RowError

log = logging.getLogger(__name__)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff]")


class IngestError(ValueError):
    """Bad input; ``errors`` lists the rows at fault (the message names the first ones)."""

    def __init__(self, message: str, errors: list[RowError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def decode(data: bytes, name: str) -> str:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 with BOM, else a guessed legacy encoding."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        position = error.start
    if b"\x00" in data[:4096]:
        raise IngestError(f"{name}: not a text file (NUL bytes); save it as UTF-8")
    for encoding, looks_right in (("gb18030", _mostly_cjk), ("cp1252", lambda _: True)):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if looks_right(text):
            line = data.count(b"\n", 0, position) + 1
            log.warning("%s: not UTF-8 (first bad byte on line %d); read as %s", name, line, encoding.upper())
            return text
    raise IngestError(f"{name}: not UTF-8, GB18030 or Windows-1252 text; save it as UTF-8")


def _mostly_cjk(text: str) -> bool:
    non_ascii = [char for char in text if ord(char) > 127]
    return bool(non_ascii) and sum(1 for char in non_ascii if _CJK.match(char)) / len(non_ascii) > 0.8


OnBadRow = Callable[[RowError], None]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Where a JSON array's next object may start after a broken one: "{" after a comma.
_NEXT_OBJECT = re.compile(r",\s*\{")


def read_rows(path: Path, on_bad_row: OnBadRow | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, record)`` for each row of a JSONL, JSON-array or CSV file (by content, not name).

    A row that cannot be read at all (a JSONL line that is not JSON, a broken object in a JSON
    array, a CSV row the parser rejects) goes to ``on_bad_row`` as a :class:`RowError` with an
    empty field, and reading goes on with the next row; without ``on_bad_row`` it raises
    :class:`IngestError`.
    """
    report = on_bad_row or _raise
    text = decode(path.read_bytes(), path.name)
    stripped = text.lstrip()
    if path.suffix.lower() == ".csv" or not stripped.startswith(("{", "[")):
        yield from _csv_rows(text, path.name, report)
    elif stripped.startswith("["):
        yield from _json_array_rows(text, path.name, report)
    else:
        # Only CR/LF end a JSONL line: U+2028, U+0085 and the like are valid inside JSON strings.
        yield from _json_objects(_LINE_BREAK.split(text), path.name, report)


def jsonl_objects(path: Path, error: type[Exception]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a UTF-8 JSON-lines file (BOM allowed).

    A line that is not a JSON object raises ``error("<path>:<line>: ...")``; for labelled and
    evaluation data, where a bad line means a bad file (catalogs go through :func:`read_rows`,
    which skips such lines).
    """

    def fail(row: RowError) -> None:
        raise error(str(row))

    with open(path, encoding="utf-8-sig") as handle:
        yield from _json_objects(handle, str(path), fail)


def _raise(row: RowError) -> None:
    raise IngestError(str(row), [row])


def _json_objects(lines: Iterable[str], name: str, report: OnBadRow) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a line that is not a JSON object is reported."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as problem:
            report(RowError(name, number, "", f"not valid JSON ({problem.msg})"))
            continue
        if not isinstance(record, dict):
            report(RowError(name, number, "", f"expected a JSON object, got {type(record).__name__}"))
            continue
        yield number, record


def _json_array_rows(text: str, name: str, report: OnBadRow) -> Iterator[tuple[int, dict[str, Any]]]:
    """Objects of a JSON array; after a broken one, reading resumes at the next ``, {``."""
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    line, counted = 1, 0  # the line of ``position``; newlines are counted once, as reading advances
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        line += text.count("\n", counted, position)
        counted = position
        if position >= len(text):
            report(RowError(name, line, "", "JSON array is not closed (file cut short?)"))
            return
        if text[position] == "]":
            return
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            where = f" at line {error.lineno}" if error.lineno != line else ""
            report(RowError(name, line, "", f"not valid JSON ({error.msg}{where})"))
            resume = _NEXT_OBJECT.search(text, max(error.pos, position + 1))
            if resume is None:
                return
            position = resume.end() - 1
            continue
        if not isinstance(record, dict):
            report(RowError(name, line, "", f"expected a JSON object, got {type(record).__name__}"))
            continue
        yield line, record


def _csv_rows(text: str, name: str, report: OnBadRow) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        raise IngestError(f"{name}:1: the CSV header cannot be read ({error})") from None
    columns = [column.strip() or f"column_{index + 1}" for index, column in enumerate(header)]
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            report(RowError(name, start, "", f"not a readable CSV row ({error})"))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        record = {column: cell for column, cell in zip(columns, row, strict=False)}
        for index in range(len(columns), len(row)):
            record[f"column_{index + 1}"] = row[index]
        yield line, record
