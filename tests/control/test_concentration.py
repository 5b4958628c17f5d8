"""Concentration limits: ratio before and after, headroom, breaches (tier 4 county union)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mortgage_risk.control import BookState, concentration_headroom
from mortgage_risk.control.concentration import share_headroom
from mortgage_risk.domain import DomainError
from tests.control._support import BOOK, POLICY

CO = POLICY.concentration


def test_default_limits_are_tier_4() -> None:
    assert CO.tier == 4
    assert CO.real_estate_max_share == Decimal("0.175")
    assert CO.personal_housing_max_share == Decimal("0.125")
    assert CO.single_borrower_max_of_net_capital == Decimal("0.10")


def test_before_after_and_headroom_by_hand() -> None:
    # Book 1,000 m: real estate 170 m (17%), housing 120 m (12%); net capital 100 m.
    rep = concentration_headroom(BOOK, CO, property_type="urban_housing",
                                 new_amount=Decimal(1_000_000))
    re, ph, single = rep.checks
    assert re.ratio_before == Decimal("0.17")
    assert re.ratio_after == Decimal(171_000_000) / Decimal(1_001_000_000)
    # (17.5% × 1,000 m − 170 m) / (1 − 17.5%) = 5 m / 0.825 = 6,060,606.06
    assert re.headroom == Decimal("6060606.06")
    # (12.5% × 1,000 m − 120 m) / 0.875 = 5,714,285.71
    assert ph.headroom == Decimal("5714285.71")
    assert single.headroom == Decimal(10_000_000) and single.ratio_after == Decimal("0.01")
    assert rep.headroom == Decimal("5714285.71") and rep.binding == "personal_housing_share"
    assert rep.breaches == ()
    # At the headroom the share is still within the limit; a fen more would not be... by < 1 fen.
    after = (Decimal(120_000_000) + ph.headroom) / (Decimal(1_000_000_000) + ph.headroom)
    assert after <= Decimal("0.125")


def test_breach_after_the_new_loan() -> None:
    rep = concentration_headroom(BOOK, CO, property_type="urban_housing",
                                 new_amount=Decimal(6_000_000))
    # Housing 126 m / 1,006 m = 12.525% > 12.5%; real estate 176 / 1,006 = 17.495% ≤ 17.5%.
    assert rep.breaches == ("personal_housing_share",)
    ph = rep.checks[1]
    assert not ph.breached_before and ph.breached_after
    assert ph.ratio_after is not None and ph.ratio_after > Decimal("0.125")


def test_a_shop_counts_only_towards_real_estate() -> None:
    rep = concentration_headroom(BOOK, CO, property_type="shop", new_amount=Decimal(1_000_000))
    assert [c.applies for c in rep.checks] == [True, False, True]
    assert rep.binding == "real_estate_share" and rep.headroom == Decimal("6060606.06")
    # The shop loan still grows all loans, so the housing share falls.
    assert rep.checks[1].ratio_after == Decimal(120_000_000) / Decimal(1_001_000_000)


def test_a_book_already_over_the_limit_has_no_headroom() -> None:
    over = BookState(Decimal(1_000_000_000), Decimal(180_000_000), Decimal(130_000_000),
                     Decimal(100_000_000))
    rep = concentration_headroom(over, CO, property_type="urban_housing",
                                 new_amount=Decimal(100_000))
    assert rep.headroom == 0
    assert rep.checks[0].breached_before and rep.checks[1].breached_before
    assert set(rep.breaches) == {"real_estate_share", "personal_housing_share"}


def test_single_borrower_limit() -> None:
    book = BookState(Decimal(1_000_000_000), Decimal(0), Decimal(0), Decimal(10_000_000),
                     borrower_exposure=Decimal(800_000))
    rep = concentration_headroom(book, CO, property_type="factory_warehouse",
                                 new_amount=Decimal(300_000))
    assert rep.binding == "single_borrower" and rep.headroom == Decimal(200_000)
    assert rep.checks[2].ratio_before == Decimal("0.08")
    assert rep.checks[2].ratio_after == Decimal("0.11")
    assert rep.breaches == ("single_borrower",)


def test_share_headroom_formula() -> None:
    assert share_headroom(Decimal("0.5"), Decimal(40), Decimal(100)) == Decimal(20)
    with pytest.raises(DomainError):
        share_headroom(Decimal(1), Decimal(0), Decimal(1))


@pytest.mark.parametrize(("field", "kwargs"), [
    ("concentration.all_loans", {"all_loans": Decimal(-1)}),
    ("concentration.real_estate_loans", {"real_estate_loans": Decimal(2_000_000_000)}),
    ("concentration.personal_housing_loans", {"personal_housing_loans": Decimal(180_000_000)}),
    ("concentration.net_capital", {"net_capital": Decimal(0)}),
])
def test_bad_book_names_the_field(field: str, kwargs: dict[str, Decimal]) -> None:
    base = {"all_loans": Decimal(1_000_000_000), "real_estate_loans": Decimal(170_000_000),
            "personal_housing_loans": Decimal(120_000_000), "net_capital": Decimal(100_000_000)}
    with pytest.raises(DomainError) as err:
        BookState(**{**base, **kwargs})
    assert err.value.field == field
