"""The case library: reproducible, anonymised, JSON-ready, every type present."""

from __future__ import annotations

import json
import re

import pytest

from mortgage_risk.domain import DomainError, ResidentId
from mortgage_risk.synth import SyntheticBook
from mortgage_risk.training import (
    EXERCISE_TYPES,
    Case,
    CaseLibrary,
    TrainingConfig,
    build_cases,
)
from tests.training.conftest import AS_OF, BOOK_LOANS, PER_TYPE, SEED


def test_the_fixture_book_is_the_library_book(library: CaseLibrary,
                                              config: TrainingConfig) -> None:
    assert config.cases.as_of == AS_OF and config.cases.book_loans == BOOK_LOANS
    assert library.seed == SEED and library.as_of == AS_OF
    assert library.book["loans"] == BOOK_LOANS
    assert library.versions["training"] == "training-2026.1"


def test_every_exercise_type_has_its_cases(library: CaseLibrary,
                                           config: TrainingConfig) -> None:
    for t in EXERCISE_TYPES:
        cases = library.of_type(t)
        assert len(cases) == PER_TYPE, t
        assert {c.topic for c in cases} == {config.topic_of(t)}
    levels = {c.engine_input["signals"][0]["level"] for c in library.of_type("warning_handling")}
    assert len(levels) > 1  # levels drawn in turn
    assert {c.difficulty for c in library.cases} <= {"easy", "medium", "hard"}


def test_cases_are_plain_json_and_round_trip(library: CaseLibrary) -> None:
    text = library.to_json()
    again = CaseLibrary.from_dict(json.loads(text))
    assert again.to_json() == text
    assert library.get(library.cases[0].id) == library.cases[0]
    with pytest.raises(DomainError) as err:
        library.get("NO-SUCH-CASE")
    assert err.value.field == "case_id"


def test_same_seed_gives_byte_identical_cases() -> None:
    first = build_cases(21, 2, book_loans=80)
    second = build_cases(21, 2, book_loans=80)
    other = build_cases(22, 2, book_loans=80)
    assert first.to_json().encode("utf-8") == second.to_json().encode("utf-8")
    assert other.to_json() != first.to_json()
    assert [c.material for c in other.cases] != [c.material for c in first.cases]


def _text_values(value: object) -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in [str(k), *_text_values(v)]]
    if isinstance(value, list):
        return [t for v in value for t in _text_values(v)]
    return [value] if isinstance(value, str) else []


def test_no_name_resident_id_address_or_certificate_of_the_book_appears(
        library: CaseLibrary, book: SyntheticBook) -> None:
    text = library.to_json()
    values = set(_text_values(json.loads(text)))
    names = set(book.borrowers["name"]) | set(book.external_events["subject_name"].dropna())
    ids = set(book.borrowers["resident_id"]) | set(
        book.external_events["subject_resident_id"].dropna())
    assert not [n for n in names if n and n in text]
    assert not [i for i in ids if i in text]
    for column in ("address", "ownership_certificate_no", "land_certificate_no"):
        leaked = [v for v in book.properties[column].dropna() if v and v in text]
        assert not leaked, column
    for column, frame in (("contract_no", book.loans),
                          ("application_no", book.applications)):
        assert not set(frame[column]) & values, column


def test_placeholders_and_synthetic_ids(library: CaseLibrary, config: TrainingConfig) -> None:
    prefix = config.cases.placeholder_prefix
    for case in library.of_type("flags"):
        applicant = case.material["applicant"]
        assert re.fullmatch(rf"{prefix}-\d{{4}}", applicant["name"])
        rid = applicant["resident_id"]
        assert rid.startswith(config.cases.synthetic_region_code)
        valid = case.engine_input["facts"]["resident_id_valid"]
        if valid:
            assert ResidentId(rid).value == rid
        else:
            with pytest.raises(DomainError):
                ResidentId(rid)
        assert re.fullmatch(r".+[镇乡]", applicant["address"])  # generalised to the township
    for case in library.of_type("warning_handling"):
        assert case.material["borrower"]["name"].startswith(prefix)


def test_a_case_refuses_unknown_type_topic_or_difficulty() -> None:
    base = {"id": "X-1", "type": "flags", "topic": "identification", "difficulty": "easy",
            "material": {}, "engine_input": {}}
    assert Case.from_dict(base).id == "X-1"
    for key, bad in (("type", "quiz"), ("topic", "cooking"), ("difficulty", "brutal")):
        with pytest.raises(DomainError) as err:
            Case.from_dict({**base, key: bad})
        assert err.value.field == f"case.{key}"
    with pytest.raises(DomainError) as err:
        build_cases(1, 1, types=["quiz"])
    assert err.value.field == "types"
