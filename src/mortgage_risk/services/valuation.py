"""Value collateral: a JSON request (no database), or a stored property with comparables
drawn from the book's recent appraisals, the active parameter set and the city price index.
Every stored valuation keeps its full breakdown and the parameter version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from mortgage_risk.config import get_settings
from mortgage_risk.datasets import load_house_price_index
from mortgage_risk.domain import DomainError, Role
from mortgage_risk.services import parameters, training_gate
from mortgage_risk.services.errors import InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.tables import PropertyRow, ValuationRow
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.valuation import ValuationParams, ValuationResult
from mortgage_risk.valuation.index import PriceIndex
from mortgage_risk.valuation.request import ValuationRequest

VALUERS = (Role.LOAN_OFFICER, Role.REVIEWER, Role.APPROVER, Role.RISK_MANAGER, Role.ADMIN)
COMPARABLE_WINDOW = timedelta(days=730)
INDEX_START = date(2015, 1, 1)
#: Benchmark land grade assumed from where the property lies, when the file has none.
LAND_GRADE_BY_BRANCH_KIND = {"county_town": "2", "town": "3", "village": "4"}


@dataclass(frozen=True)
class ValuationView:
    id: int | None
    property_id: int | None
    result: dict[str, Any]


@lru_cache(maxsize=4)
def price_index(city: str, house_type: str, segment: str, through: date) -> PriceIndex:
    """The proxy city's series, gaps filled, carried back to 2015 and forward to ``through``."""
    return PriceIndex.from_frame(load_house_price_index(), city, house_type, segment,
                                 extend_to=through, extend_back_to=INDEX_START)


def _index(through: date) -> PriceIndex:
    s = get_settings()
    return price_index(s.price_index_city, s.price_index_house_type, s.price_index_segment,
                       date(through.year, through.month, 1))


def _params(content: Mapping[str, Any]) -> ValuationParams:
    return ValuationParams.from_dict(content)


def _invalid(exc: DomainError) -> InvalidInput:
    return InvalidInput(exc.reason, field=exc.field)


def valuate_document(document: Mapping[str, Any],
                     params_content: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The whole breakdown of a JSON valuation request, with the default or given params."""
    try:
        params = (ValuationParams.load_default() if params_content is None
                  else _params(params_content))
        return ValuationRequest.from_dict(document).run(params).to_dict()
    except DomainError as exc:
        raise _invalid(exc) from None


def _subject(prop: PropertyRow, branch_kind: str, overrides: Mapping[str, Any]
             ) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "property_type": prop.property_type, "land_nature": prop.land_nature,
        "floor_area": str(prop.floor_area), "land_area": str(prop.land_area),
        "structure": prop.structure, "storeys": prop.storeys, "build_year": prop.build_year,
        "land_term_remaining": (None if prop.land_term_remaining_years is None
                                else float(prop.land_term_remaining_years)),
        "township": prop.township, "seized": prop.seized,
        "small_property_rights": prop.small_property_rights,
        "illegal_building": prop.illegal_building,
        "land_grade": LAND_GRADE_BY_BRANCH_KIND.get(branch_kind, "3"),
    }
    subject.update(overrides)
    return {k: v for k, v in subject.items() if v is not None}


def _comparables(uow: UnitOfWork, prop: PropertyRow, valuation_date: date, index: PriceIndex
                 ) -> list[dict[str, Any]]:
    if prop.floor_area <= 0:
        return []
    since = valuation_date - COMPARABLE_WINDOW
    frame = uow.comparables.recent(property_type=prop.property_type, township=prop.township,
                                   since=since, until=valuation_date,
                                   exclude_property_id=prop.id, limit=8)
    if len(frame) < 3:
        frame = uow.comparables.recent(property_type=prop.property_type, township=None,
                                       since=since, until=valuation_date,
                                       exclude_property_id=prop.id, limit=8)
    comps = []
    for rec in frame.to_dict("records"):
        appraised_on: date = rec["appraisal_date"]
        area = Decimal(str(rec["floor_area"]))
        unit = (Decimal(str(rec["appraised_value"])) / area).quantize(Decimal("0.01"))
        comps.append({
            "id": f"P{rec['property_id']}", "unit_price": str(unit),
            "transaction_date": appraised_on.isoformat(),
            "price_index_at_transaction": index.level(appraised_on),
            "area": str(area), "property_type": str(rec["property_type"]),
        })
    return comps


def valuate_property(uow: UnitOfWork, user: CurrentUser, property_id: int, *,
                     valuation_date: date | None = None, loan_amount: Decimal | None = None,
                     request: Mapping[str, Any] | None = None) -> ValuationView:
    """Value a stored property, store the result with its versions, and audit it.

    ``request`` may add what the file lacks (observed scores, income, claims, approaches,
    an explanation, subject overrides such as a land grade); it uses the JSON request format.
    """
    view, _ = record_valuation(uow, user, property_id, valuation_date=valuation_date,
                               loan_amount=loan_amount, request=request)
    uow.commit()
    return view


def record_valuation(uow: UnitOfWork, user: CurrentUser, property_id: int, *,
                     valuation_date: date | None = None, loan_amount: Decimal | None = None,
                     request: Mapping[str, Any] | None = None
                     ) -> tuple[ValuationView, ValuationResult]:
    """Value and store within the caller's transaction (no commit)."""
    if user.role not in VALUERS:
        raise PermissionDenied(f"the role {user.role.value} may not value collateral")
    training_gate.require_certified(uow, user, "submit_valuation")
    context = uow.valuations.property_context(property_id)
    if context is None:
        raise NotFound(f"no property {property_id}", field="property_id")
    prop, owner, branch = context
    scope = user.branch_scope()
    if scope is not None and owner.branch_id != scope:
        raise NotFound(f"no property {property_id}", field="property_id")
    day = valuation_date or date.today()
    extra = dict(request or {})
    index = _index(day)
    document: dict[str, Any] = {
        "valuation_date": day.isoformat(),
        "subject": _subject(prop, branch.kind, extra.pop("subject", {})),
        "comparables": extra.pop("comparables", None) or _comparables(uow, prop, day, index),
        "region_kind": branch.kind,
        "price_index_at_valuation": index.level(day),
    }
    if loan_amount is not None:
        document["loan_amount"] = str(loan_amount)
    document.update({k: v for k, v in extra.items() if v is not None})
    params: ValuationParams = parameters.active_typed(uow, "valuation")
    try:
        result: ValuationResult = ValuationRequest.from_dict(document).run(params)
    except DomainError as exc:
        raise _invalid(exc) from None
    data = result.to_dict()
    data["comparables_used"] = len(document["comparables"])
    row = uow.valuations.add(ValuationRow(
        property_id=property_id, valuation_date=day, params_version=result.params_version,
        approaches=sorted(result.approaches), market_value=result.market_value,
        mortgage_value=result.mortgage_value, net_mortgage_value=result.net_mortgage_value,
        eligible=result.eligibility.eligible, loan_amount=loan_amount,
        ltv=None if result.ltv is None else Decimal(str(round(result.ltv, 6))),
        lgd=None if result.lgd is None else Decimal(str(round(result.lgd.lgd, 6))),
        result=data, valued_by=user.username, created_at=datetime.now(UTC)))
    uow.audit.record(actor=user.username, action="valuate", entity="property",
                     entity_id=property_id,
                     after={"valuation_id": row.id, "market_value": str(result.market_value),
                            "mortgage_value": str(result.mortgage_value),
                            "params_version": result.params_version,
                            "approaches": sorted(result.approaches)})
    return ValuationView(row.id, property_id, data), result


def get_valuation(uow: UnitOfWork, user: CurrentUser, valuation_id: int) -> ValuationView:
    row = uow.valuations.get(valuation_id)
    if row is None:
        raise NotFound(f"no valuation {valuation_id}", field="valuation_id")
    context = uow.valuations.property_context(row.property_id)
    scope = user.branch_scope()
    if scope is not None and (context is None or context[1].branch_id != scope):
        raise NotFound(f"no valuation {valuation_id}", field="valuation_id")
    return ValuationView(row.id, row.property_id, row.result)
