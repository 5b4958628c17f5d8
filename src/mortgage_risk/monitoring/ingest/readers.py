"""Readers of feed files: each yields ``(line_number, record)`` pairs, never stopping at a bad line.

Line numbers are what the user sees in the file:

- CSV: physical line numbers, the header being line 1 (so the first record is line 2). One
  record per line: quoted commas and doubled quotes are fine, a line break inside quotes is
  not (a broken quote then spoils one line, never the rest of the file).
- JSON lines: physical line numbers from 1.
- JSON array: the line where each element starts.
- Parquet: has no lines; the row number from 1.

A line that cannot be read yields a :class:`Malformed` in place of the record, so the caller
quarantines it with its line number and keeps the rest. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

#: A record as read: column name to raw value (text from CSV, typed from Parquet or JSON).
RawRecord: TypeAlias = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line (or element) that could not be read as a record."""

    reason: str
    text: str = ""


ReadItem: TypeAlias = tuple[int, RawRecord | Malformed]

FORMATS = ("csv", "parquet", "jsonl", "json")
_SUFFIXES = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
             ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
_SNIPPET = 500


def detect_format(path: str | Path) -> str:
    """The file format from the suffix (``.csv``, ``.parquet``, ``.jsonl``, ``.json``)."""
    suffix = Path(path).suffix.lower()
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise ValueError(f"cannot tell the format of {path}; give one of {FORMATS}") from None


def read_records(path: str | Path, *, format: str | None = None,
                 encoding: str = "utf-8-sig") -> Iterator[ReadItem]:
    """Read any supported file; ``format`` overrides the suffix."""
    fmt = format or detect_format(path)
    if fmt == "csv":
        return read_csv(path, encoding=encoding)
    if fmt == "parquet":
        return read_parquet(path)
    if fmt == "jsonl":
        return read_json_lines(path, encoding=encoding)
    if fmt == "json":
        return read_json(path, encoding=encoding)
    raise ValueError(f"unknown format {fmt!r}; give one of {FORMATS}")


def _decode(raw: bytes, encoding: str) -> str | Malformed:
    try:
        return raw.decode(encoding).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return Malformed(f"not valid {encoding} text at byte {exc.start} "
                         "(wrong file encoding?)", raw[:_SNIPPET].decode(encoding, "replace"))


def read_csv(path: str | Path, *, encoding: str = "utf-8-sig",
             delimiter: str = ",") -> Iterator[ReadItem]:
    """CSV with a header line; a header that cannot be read makes the whole file malformed."""
    header: list[str] | None = None
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            text = _decode(raw, encoding)
            if isinstance(text, Malformed):
                yield line_no, text
                if header is None:
                    return
                continue
            if not text.strip():
                continue
            try:
                cells = next(csv.reader([text], delimiter=delimiter, strict=True))
            except csv.Error as exc:
                yield line_no, Malformed(f"broken CSV quoting: {exc}", text[:_SNIPPET])
                if header is None:
                    return
                continue
            if header is None:
                header = [c.strip().lstrip("\ufeff") for c in cells]
                problem = _header_problem(header)
                if problem:
                    yield line_no, Malformed(problem, text[:_SNIPPET])
                    return
                continue
            if len(cells) != len(header):
                yield line_no, Malformed(
                    f"has {len(cells)} fields, the header has {len(header)}", text[:_SNIPPET])
                continue
            yield line_no, dict(zip(header, cells, strict=True))


def _header_problem(header: list[str]) -> str | None:
    if any(not name for name in header):
        return "header line has an empty column name"
    seen: set[str] = set()
    for name in header:
        if name in seen:
            return f"header line repeats column {name!r}"
        seen.add(name)
    return None


def read_json_lines(path: str | Path, *, encoding: str = "utf-8-sig") -> Iterator[ReadItem]:
    """One JSON object per line."""
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            text = _decode(raw, encoding)
            if isinstance(text, Malformed):
                yield line_no, text
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line_no, Malformed(f"invalid JSON: {exc.msg} at column {exc.colno}",
                                         text[:_SNIPPET])
                continue
            yield line_no, _as_record(value, text)


def _as_record(value: object, text: str) -> RawRecord | Malformed:
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return Malformed(f"a record must be a JSON object, not {type(value).__name__}",
                     text[:_SNIPPET])


def read_json(path: str | Path, *, encoding: str = "utf-8-sig") -> Iterator[ReadItem]:
    """A JSON array of objects (or, if the file does not start with ``[``, JSON lines).

    A broken element is reported at its line; reading resumes at the next line that starts an
    object, so one bad element does not lose the rest of the array.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        yield line, Malformed(f"not valid {encoding} text at byte {exc.start}")
        return
    start = _skip_ws(text, 0)
    if start >= len(text):
        return
    if text[start] != "[":
        yield from read_json_lines(path, encoding=encoding)
        return
    yield from _array_elements(text, start + 1)


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _array_elements(text: str, pos: int) -> Iterator[ReadItem]:
    decoder = json.JSONDecoder()
    while True:
        pos = _skip_ws(text, pos)
        if pos >= len(text):
            yield _line_of(text, pos), Malformed("invalid JSON: the array is not closed")
            return
        if text[pos] == "]":
            return
        line = _line_of(text, pos)
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield line, Malformed(f"invalid JSON: {exc.msg} (line {exc.lineno}, column "
                                  f"{exc.colno})", text[pos:pos + _SNIPPET])
            resume = _next_object_start(text, exc.pos if exc.pos > pos else pos + 1)
            if resume is None:
                return
            pos = resume
            continue
        yield line, _as_record(value, text[pos:end][:_SNIPPET])
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "]":
            yield _line_of(text, pos), Malformed("invalid JSON: expected ',' or ']' after an "
                                                 "element", text[pos:pos + _SNIPPET])
            resume = _next_object_start(text, pos)
            if resume is None:
                return
            pos = resume


def _next_object_start(text: str, pos: int) -> int | None:
    """The first position from ``pos`` on where a line starts with ``{`` (after indentation):
    ``pos`` itself when it is such a place (an unclosed element followed by the next one)."""
    line_start = text.rfind("\n", 0, pos) + 1
    if pos < len(text) and text[pos] == "{" and not text[line_start:pos].strip():
        return pos
    while True:
        newline = text.find("\n", pos)
        if newline < 0:
            return None
        candidate = _skip_ws(text, newline + 1)
        if candidate < len(text) and text[candidate] == "{":
            return candidate
        if candidate < len(text) and text[candidate] == "]":
            return candidate
        pos = newline + 1


def read_parquet(path: str | Path, *, batch_size: int = 65_536) -> Iterator[ReadItem]:
    """Parquet rows in order, numbered from 1; values keep their Parquet types."""
    import pyarrow.parquet as pq

    row_no = 0
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=batch_size):
        for record in batch.to_pylist():
            row_no += 1
            yield row_no, record
