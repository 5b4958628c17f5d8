"""Validation of raw feed records into clean typed rows, and duplicate detection.

:func:`validate_record` turns a raw record (text from CSV, typed values from Parquet or JSON)
into a clean row of Python values (``int``, ``Decimal``, ``date``, ``bool``, ``str``; months
as ``"YYYY-MM"``), or a :class:`Rejection` naming the line, the first wrong field and why;
``problems`` lists every wrong field of the record.

Checks: required fields, malformed values, allowed values and bounds (so a negative amount),
dates after the as-of date, resident ID check digits, unknown loans, the feed's cross-field
checks. :class:`Deduplicator` then tells a new record from a duplicate (of an already
imported key, or of an identical earlier record in the same file) and from a conflict (same
key, different values, in the same file: quarantined, the first one is kept).
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TypeAlias

from mortgage_risk.domain import DomainError, ResidentId
from mortgage_risk.monitoring.ingest.feeds import Feed, FeedField, FieldType
from mortgage_risk.monitoring.ingest.readers import Malformed, RawRecord

#: A clean row: field name to typed value (``None`` when absent).
CleanRow: TypeAlias = dict[str, object]
#: An idempotency key: the typed values of the feed's key fields, in order.
Key: TypeAlias = tuple[object, ...]

#: The ``field`` of a rejection that concerns the whole line, not one field.
RECORD_FIELD = "<record>"
HASH_PREFIX = "sha256:"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record left out of the import: where (line), what (field) and why (reason).

    ``raw`` is the record as read (a mapping, or the text of a line that could not be read);
    ``problems`` every ``(field, reason)`` found in the record, the first one repeated in
    ``field`` and ``reason``.
    """

    line: int
    field: str
    reason: str
    raw: object = None
    problems: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


class FieldProblem(ValueError):
    """A raw value that cannot become a field's value."""


_DATE_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
_COMPACT_MONTH_RE = re.compile(r"^(\d{4})(\d{2})$")
_INT_RE = re.compile(r"^[+-]?\d+(?:\.0*)?$")
_DECIMAL_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_MASKED_ID_RE = re.compile(r"^[0-9X*]{18}$")
_TRUE = {"true", "t", "yes", "y", "1", "是"}
_FALSE = {"false", "f", "no", "n", "0", "否"}

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_missing(value: object) -> bool:
    """``None``, an empty or blank string, NaN, ``pd.NA`` and ``pd.NaT`` are absent values."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    type_name = type(value).__name__
    return type_name in ("NAType", "NaTType")


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character of a unified social credit code's first 17."""
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def _text(value: object) -> str:
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, bool):
        raise FieldProblem(f"expected text, got {value!r}")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise FieldProblem(f"expected text, got {value!r}")


def _integer(value: object) -> int:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise FieldProblem(f"expected a whole number, got {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float | Decimal):
        if not math.isfinite(value) or value != int(value):
            raise FieldProblem(f"expected a whole number, got {value!r}")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INT_RE.match(text):
            return int(text.split(".")[0])
    raise FieldProblem(f"expected a whole number, got {value!r}")


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise FieldProblem(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, numbers.Integral):
        result = Decimal(int(value))
    elif isinstance(value, numbers.Real):
        result = Decimal(repr(float(value)))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if _GROUPED_RE.match(text):
            text = text.replace(",", "")
        if not _DECIMAL_RE.match(text):
            raise FieldProblem(f"expected a number, got {value!r}")
        result = Decimal(text)
    else:
        raise FieldProblem(f"expected a number, got {value!r}")
    if not result.is_finite():
        raise FieldProblem(f"expected a finite number, got {value!r}")
    return result


def _date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise FieldProblem(f"{value!r} is not a calendar date") from None
    raise FieldProblem(f"expected a date like 2024-05-31, got {value!r}")


def _month(value: object) -> str:
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        match = _MONTH_RE.match(text) or _COMPACT_MONTH_RE.match(text)
        if match and 1 <= int(match[2]) <= 12:
            return f"{int(match[1]):04d}-{int(match[2]):02d}"
        if match is None:
            try:
                return _month(_date(text))
            except FieldProblem:
                pass
    raise FieldProblem(f"expected a month like 2024-05, got {value!r}")


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(int(value))
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise FieldProblem(f"expected true or false, got {value!r}")


def _resident_id(value: object, as_of: date, *, maskable: bool) -> str:
    text = _text(value).upper()
    if maskable and "*" in text:
        if not _MASKED_ID_RE.match(text):
            raise FieldProblem("a masked resident ID keeps 18 positions of digits, X or *")
        return text
    try:
        return ResidentId.parse(text, today=as_of).value
    except DomainError as exc:
        raise FieldProblem(f"invalid resident ID: {exc.reason}") from None


def _credit_code(value: object) -> str:
    text = _text(value).upper()
    if len(text) != 18 or any(c not in _CREDIT_CHARS for c in text):
        raise FieldProblem("a unified social credit code has 18 digits or capital letters "
                           "(no I, O, S, V, Z)")
    expected = credit_code_check_char(text[:17])
    if text[17] != expected:
        raise FieldProblem(f"check character is {text[17]}, expected {expected}")
    return text


def clean_value(spec: FeedField, value: object, *, as_of: date) -> object:
    """The typed value of one present raw value, or :class:`FieldProblem` saying why not."""
    result: object
    match spec.type:
        case FieldType.STRING:
            text = _text(value)
            if spec.allowed:
                text = _allowed(spec, text)
            if spec.max_length is not None and len(text) > spec.max_length:
                raise FieldProblem(f"longer than {spec.max_length} characters")
            result = text
        case FieldType.INTEGER | FieldType.DECIMAL:
            number: int | Decimal = (_integer(value) if spec.type is FieldType.INTEGER
                                     else _decimal(value))
            _check_bounds(spec, number)
            if isinstance(number, Decimal) and spec.decimals is not None:
                number = number.quantize(Decimal(1).scaleb(-spec.decimals))
            result = number
        case FieldType.DATE:
            day = _date(value)
            if spec.earliest is not None and day < spec.earliest:
                raise FieldProblem(f"{day.isoformat()} is before {spec.earliest.isoformat()}")
            if spec.not_future and day > as_of:
                raise FieldProblem(f"{day.isoformat()} is in the future (as of "
                                   f"{as_of.isoformat()})")
            result = day
        case FieldType.MONTH:
            month = _month(value)
            if spec.not_future and month > f"{as_of.year:04d}-{as_of.month:02d}":
                raise FieldProblem(f"{month} is in the future (as of {as_of.isoformat()})")
            result = month
        case FieldType.BOOLEAN:
            result = _boolean(value)
        case FieldType.RESIDENT_ID | FieldType.MASKABLE_RESIDENT_ID:
            result = _resident_id(value, as_of,
                                  maskable=spec.type is FieldType.MASKABLE_RESIDENT_ID)
        case FieldType.CREDIT_CODE:
            result = _credit_code(value)
    return result


def _allowed(spec: FeedField, text: str) -> str:
    if text in spec.allowed:
        return text
    folded = {v.lower(): v for v in spec.allowed}
    if text.lower() in folded:
        return folded[text.lower()]
    raise FieldProblem(f"unknown value {text!r}; allowed: {', '.join(spec.allowed)}")


def _check_bounds(spec: FeedField, number: int | Decimal) -> None:
    if spec.min_value is not None:
        if spec.exclusive_min and number <= spec.min_value:
            raise FieldProblem(f"must be above {spec.min_value}, got {number}")
        if number < spec.min_value:
            if spec.min_value == 0:
                raise FieldProblem(f"must not be negative, got {number}")
            raise FieldProblem(f"must be at least {spec.min_value}, got {number}")
    if isinstance(number, Decimal) and spec.decimals is not None:
        if number != 0 and number.adjusted() >= 18 - spec.decimals:
            raise FieldProblem(f"too large: {number}")
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > spec.decimals:
            raise FieldProblem(f"has more than {spec.decimals} decimal places: {number}")


def validate_record(
    feed: Feed,
    raw: RawRecord | Malformed,
    *,
    line: int,
    as_of: date,
    known_loans: Collection[int] | None = None,
) -> CleanRow | Rejection:
    """The clean row of ``raw``, or why it is rejected (with every problem found)."""
    if isinstance(raw, Malformed):
        return Rejection(line, RECORD_FIELD, raw.reason, raw.text,
                         ((RECORD_FIELD, raw.reason),))
    if not isinstance(raw, Mapping):
        reason = f"a record must be a mapping of fields, not {type(raw).__name__}"
        return Rejection(line, RECORD_FIELD, reason, raw, ((RECORD_FIELD, reason),))
    row: CleanRow = {}
    problems: list[tuple[str, str]] = []
    for spec in feed.fields:
        value = raw.get(spec.name)
        if is_missing(value):
            if spec.required:
                problems.append((spec.name, "required field is missing"))
            row[spec.name] = spec.default
            continue
        try:
            row[spec.name] = clean_value(spec, value, as_of=as_of)
        except FieldProblem as exc:
            problems.append((spec.name, str(exc)))
            row[spec.name] = None
    if not problems and feed.loan_field is not None:
        if known_loans is None:
            raise ValueError(f"feed {feed.name} needs known_loans to check {feed.loan_field}")
        if row[feed.loan_field] not in known_loans:
            problems.append((feed.loan_field, f"unknown loan {row[feed.loan_field]}"))
    if not problems:
        for check in feed.cross_checks:
            found = check(row)
            if found is not None:
                problems.append(found)
    if problems:
        return Rejection(line, problems[0][0], problems[0][1], dict(raw), tuple(problems))
    return row


def canonical_value(value: object) -> object:
    """A JSON-ready, format-independent form of a clean value."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def content_hash(feed: Feed, row: Mapping[str, object]) -> str:
    """SHA-256 of the row's schema fields, the same whichever file format the row came from.

    The ``hash_key_field`` is left out, so a record hashes alike with or without its id filled.
    """
    payload = {name: canonical_value(row.get(name)) for name in feed.field_names
               if name != feed.hash_key_field}
    text = json.dumps([feed.name, payload], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fill_key(feed: Feed, row: CleanRow) -> str:
    """Fill a missing ``hash_key_field`` with ``sha256:<hash>``; return the content hash."""
    digest = content_hash(feed, row)
    if feed.hash_key_field is not None and row.get(feed.hash_key_field) is None:
        row[feed.hash_key_field] = HASH_PREFIX + digest
    return digest


def record_key(feed: Feed, row: Mapping[str, object]) -> Key:
    """The idempotency key of a clean row: its key fields' values, in the feed's order."""
    return tuple(row[name] for name in feed.key)


class Verdict(Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


class Deduplicator:
    """Tracks keys across one import: already imported ones, and those seen in this file."""

    def __init__(self, feed: Feed, known_keys: Collection[Key] = ()) -> None:
        self.feed = feed
        self._known = {tuple(k) for k in known_keys}
        self._seen: dict[Key, tuple[int, str]] = {}

    def check(self, line: int, key: Key, digest: str,
              raw: object) -> tuple[Verdict, Rejection | None]:
        """The verdict on a record, with a Rejection describing a duplicate or conflict.

        A NEW record is remembered, so a later copy in the same file is a duplicate.
        """
        field = ",".join(self.feed.key)
        shown = ", ".join(str(canonical_value(v)) for v in key)
        if key in self._known:
            reason = f"already imported ({shown})"
            return Verdict.DUPLICATE, Rejection(line, field, reason, raw, ((field, reason),))
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = (line, digest)
            return Verdict.NEW, None
        first_line, first_digest = first
        if first_digest == digest:
            reason = f"duplicate of line {first_line} ({shown})"
            return Verdict.DUPLICATE, Rejection(line, field, reason, raw, ((field, reason),))
        reason = f"same key as line {first_line} ({shown}) with different values"
        return Verdict.CONFLICT, Rejection(line, field, reason, raw, ((field, reason),))
