"""Domain value objects: resident ID, money, entities and repayment schedules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mortgage_risk.domain import (
    DomainError,
    LandNature,
    Loan,
    Money,
    Property,
    PropertyType,
    RepaymentMethod,
    ResidentId,
    Structure,
    build_schedule,
)
from mortgage_risk.domain.enums import BorrowerSegment, parse_enum
from mortgage_risk.domain.resident_id import check_character, mask
from mortgage_risk.domain.schedule import add_months, level_payment
from tests.helpers import resident_id


class TestResidentId:
    def test_known_valid_number(self) -> None:
        # GB 11643-1999's published example: 11010519491231002X
        rid = ResidentId("11010519491231002X")
        assert rid.birth_date == date(1949, 12, 31)
        assert rid.province == "北京"
        assert not rid.is_male
        assert rid.age_on(date(2026, 11, 28)) == 76

    def test_lower_case_x_is_normalised(self) -> None:
        assert ResidentId("11010519491231002x").value == "11010519491231002X"

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("11010519491231002", "must have 18 characters"),
            ("1101051949123100AX", "17 digits"),
            ("110105194912310021", "check digit is 1, expected X"),
            ("990105194912310020", "unknown province code 99"),
            ("110000194912310020", "is a province"),
            ("110105194902300020", "not a calendar date"),
            ("110105189912310020", "before 1900"),
        ],
    )
    def test_invalid_numbers_name_the_reason(self, raw: str, reason: str) -> None:
        if "check digit" not in reason and len(raw) == 18 and raw[:17].isdigit():
            raw = raw[:17] + check_character(raw[:17])
        with pytest.raises(DomainError) as err:
            ResidentId(raw)
        assert err.value.field == "resident_id"
        assert reason in err.value.reason

    def test_future_birth_date_is_refused(self) -> None:
        with pytest.raises(DomainError, match="future"):
            ResidentId.parse(resident_id(birth="20250101"), today=date(2024, 1, 1))

    def test_masking_keeps_region_and_hides_birth_date(self) -> None:
        rid = ResidentId(resident_id())
        assert rid.masked() == "450321********001*"
        assert "1985" not in rid.masked()
        assert mask(rid.value) == rid.masked()

    @given(
        region=st.sampled_from(["450321", "110105", "510104", "650102"]),
        born=st.dates(min_value=date(1930, 1, 1), max_value=date(2008, 12, 31)),
        seq=st.integers(min_value=0, max_value=999),
        wrong=st.integers(min_value=1, max_value=10),
    )
    def test_any_wrong_check_character_is_caught(
        self, region: str, born: date, seq: int, wrong: int
    ) -> None:
        first17 = f"{region}{born:%Y%m%d}{seq:03d}"
        good = check_character(first17)
        assert ResidentId(first17 + good).birth_date == born
        chars = "0123456789X"
        bad = chars[(chars.index(good) + wrong) % 11]
        with pytest.raises(DomainError):
            ResidentId(first17 + bad)


class TestMoney:
    def test_floats_are_refused(self) -> None:
        with pytest.raises(DomainError, match="not a float"):
            Money.of(0.1)

    def test_exact_arithmetic_and_display_rounding(self) -> None:
        total = Money.of("0.1") + Money.of("0.2")
        assert total.amount == Decimal("0.3")
        assert str(Money.of("1234567.125")) == "¥1,234,567.13"

    def test_garbage_names_the_field(self) -> None:
        with pytest.raises(DomainError) as err:
            Money.of("abc", "household_income")
        assert err.value.field == "household_income"


def test_unknown_enum_value_lists_allowed_values() -> None:
    with pytest.raises(DomainError) as err:
        parse_enum(BorrowerSegment, "fisherman", "segment")
    assert err.value.field == "segment"
    assert "farmer" in err.value.reason
    assert BorrowerSegment.FARMER.label_zh == "农户"


class TestProperty:
    def _house(self, **overrides: object) -> Property:
        fields: dict[str, object] = {
            "property_type": PropertyType.URBAN_HOUSING,
            "land_nature": LandNature.STATE_GRANTED,
            "township": "城关镇",
            "address": "解放路8号",
            "floor_area": Decimal("118.5"),
            "land_area": Decimal("20"),
            "structure": Structure.REINFORCED_CONCRETE,
            "storeys": 6,
            "build_year": 2012,
        }
        fields.update(overrides)
        return Property(**fields)  # type: ignore[arg-type]

    def test_negative_area_is_refused(self) -> None:
        with pytest.raises(DomainError) as err:
            self._house(floor_area=Decimal("-1"))
        assert err.value.field == "floor_area"

    def test_build_year_after_as_of(self) -> None:
        with pytest.raises(DomainError) as err:
            self._house(build_year=2027).check_as_of(date(2026, 11, 28))
        assert err.value.field == "build_year"

    def test_land_right_needs_no_building(self) -> None:
        land = self._house(
            property_type=PropertyType.LAND_MANAGEMENT_RIGHT,
            land_nature=LandNature.COLLECTIVE_CONSTRUCTION,
            floor_area=0,
            structure=None,
            storeys=None,
            build_year=None,
            land_area=3000,
        )
        assert land.age_on(date(2026, 1, 1)) is None


class TestSchedule:
    def test_equal_installment_worked_example(self) -> None:
        # 100,000 over 12 months at 4.9%: the textbook annuity is 8,556.17 a month.
        loan = Loan(
            "C1",
            Money.of(100000),
            12,
            Decimal("0.049"),
            RepaymentMethod.EQUAL_INSTALLMENT,
            date(2020, 1, 31),
        )
        lines = build_schedule(loan)
        assert lines[0].amount_due.amount == Decimal("8556.17")
        assert lines[0].interest_due.amount == Decimal("408.33")
        assert lines[0].due_date == date(2020, 2, 29)
        assert lines[-1].balance_after.amount == 0

    def test_equal_principal_declines(self) -> None:
        loan = Loan(
            "C2",
            Money.of(120000),
            24,
            Decimal("0.0435"),
            RepaymentMethod.EQUAL_PRINCIPAL,
            date(2021, 3, 15),
        )
        lines = build_schedule(loan)
        assert all(a.amount_due > b.amount_due for a, b in zip(lines, lines[1:], strict=False))
        assert lines[0].principal_due.amount == Decimal("5000.00")

    def test_bullet_pays_principal_at_the_end(self) -> None:
        loan = Loan(
            "C3",
            Money.of(300000),
            36,
            Decimal("0.05"),
            RepaymentMethod.INTEREST_ONLY_BULLET,
            date(2022, 1, 1),
        )
        lines = build_schedule(loan)
        assert [ln.principal_due.amount for ln in lines[:-1]] == [0] * 35
        assert lines[-1].principal_due.amount == 300000
        assert lines[0].interest_due.amount == Decimal("1250.00")

    @given(
        principal=st.integers(min_value=10_000, max_value=5_000_000),
        months=st.integers(min_value=1, max_value=360),
        rate_bp=st.integers(min_value=0, max_value=1200),
        method=st.sampled_from(list(RepaymentMethod)),
    )
    def test_principal_always_sums_exactly(
        self, principal: int, months: int, rate_bp: int, method: RepaymentMethod
    ) -> None:
        loan = Loan(
            "P", Money.of(principal), months, Decimal(rate_bp) / 10000, method, date(2019, 5, 31)
        )
        lines = build_schedule(loan)
        assert len(lines) == months
        assert sum(ln.principal_due.amount for ln in lines) == principal
        assert all(ln.principal_due.amount >= 0 and ln.interest_due.amount >= 0 for ln in lines)
        assert lines[-1].balance_after.amount == 0

    def test_month_end_clamping(self) -> None:
        assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
        assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)

    def test_zero_rate_level_payment(self) -> None:
        assert level_payment(Decimal(1200), Decimal(0), 12) == 100
