"""The credit policy as versioned data: load, validate, round-trip to JSON.

The default set ships as ``data/policy-default.json`` (version ``credit-policy-2026.1``).
Every number the decision engine uses is here: the LPR, DTI caps, product limits, PD cut-offs,
grade rules, pricing components, risk-weight method, concentration limits and the authority
matrix. LTV caps are *not* here: they come from the valuation (its cap table, ``max_loan``).

Rates and amounts are exact Decimals (decimal strings in the JSON); PD cut-offs and IRB floors
are floats, like the PDs they are compared with. An invalid value raises
:class:`~mortgage_risk.domain.DomainError` whose field is the path in the JSON
(``policy.pricing.capital_ratio``). ``_source`` notes are kept in ``sources`` and written back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from mortgage_risk.control.enums import AuthorityLevel, Recommendation, Severity
from mortgage_risk.domain import DomainError, PropertyType
from mortgage_risk.domain.param_data import as_object as _obj
from mortgage_risk.domain.param_data import (
    collect_sources,
    iso_date,
    packaged_json,
    parse_json,
    put_source,
)
from mortgage_risk.domain.param_data import entries as _items
from mortgage_risk.domain.param_data import flag as _bool
from mortgage_risk.domain.param_data import number as _num
from mortgage_risk.domain.param_data import policy_error as _err
from mortgage_risk.domain.param_data import required as _get
from mortgage_risk.domain.param_data import text as _str
from mortgage_risk.domain.param_data import whole as _int

RISK_WEIGHT_METHODS: Final = ("flat_50", "ltv_bands", "irb")
DEFAULT_RESOURCE: Final = "policy-default.json"


# --------------------------------------------------------------------------- readers









def _dec(value: Any, path: str, *, low: Decimal | None = None,
         high: Decimal | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _err(path, f"must be a decimal string; got {value!r}")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise _err(path, f"{value!r} is not a number") from None
    if not result.is_finite():
        raise _err(path, f"must be finite; got {value!r}")
    if (low is not None and result < low) or (high is not None and result > high):
        raise _err(path, f"must be within [{low}, {high}]; got {value}")
    return result


def _rate(value: Any, path: str) -> Decimal:
    return _dec(value, path, low=Decimal(0), high=Decimal(1))










def _level(value: Any, path: str) -> AuthorityLevel:
    try:
        return AuthorityLevel(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in AuthorityLevel)
        raise _err(path, f"unknown authority level {value!r}; allowed: {allowed}") from None


# --------------------------------------------------------------------------- sections

@dataclass(frozen=True)
class Lpr:
    """The loan prime rate the price is quoted over (贷款市场报价利率)."""

    tenor: str
    rate: Decimal
    as_of: date


@dataclass(frozen=True)
class AffordabilityPolicy:
    """DTI caps on monthly income (housing: this loan + property fee; total: + other debts)."""

    housing_dti_cap: Decimal
    total_dti_cap: Decimal
    assessment_rate_spread: Decimal


@dataclass(frozen=True)
class ProductLimits:
    min_amount: Decimal
    max_amount: Decimal
    max_term_months: int


@dataclass(frozen=True)
class PdCutoffs:
    """PD above ``refer_above`` refers the case; above ``decline_above`` declines it."""

    refer_above: float
    decline_above: float


@dataclass(frozen=True)
class GradeRules:
    order: tuple[str, ...]
    decline: tuple[str, ...]
    refer: tuple[str, ...]
    conditions: tuple[str, ...]

    def rank(self, grade: str) -> int:
        """0 for the best grade; an unknown grade names the allowed ones."""
        try:
            return self.order.index(grade)
        except ValueError:
            raise DomainError("grade", f"unknown grade {grade!r}; allowed: "
                                       f"{', '.join(self.order)}") from None

    def effect(self, grade: str) -> Recommendation | None:
        """The recommendation a grade asks for by itself (None: no rule)."""
        self.rank(grade)
        if grade in self.decline:
            return Recommendation.DECLINE
        if grade in self.refer:
            return Recommendation.REFER
        if grade in self.conditions:
            return Recommendation.APPROVE_WITH_CONDITIONS
        return None


@dataclass(frozen=True)
class AmountPolicy:
    reduce_with_conditions_up_to: Decimal
    limit_rounding: Decimal


@dataclass(frozen=True)
class LtvBand:
    """Risk weight for ``LTV ≤ max_ltv`` (above the previous band); None: no upper bound."""

    max_ltv: Decimal | None
    risk_weight: Decimal


@dataclass(frozen=True)
class IrbSettings:
    pd_floor: float
    lgd_floor: float


@dataclass(frozen=True)
class PricingPolicy:
    funding_spread: Decimal
    operating_cost: Decimal
    hurdle_rate: Decimal
    capital_ratio: Decimal
    pd_horizon_years: Decimal
    risk_weight_method: str
    flat_risk_weight: Decimal
    ltv_bands: tuple[LtvBand, ...]
    irb: IrbSettings
    min_spread: Decimal
    max_spread: Decimal


@dataclass(frozen=True)
class ExposureClass:
    """Which book-share limits a loan on a property type counts towards."""

    real_estate: bool
    personal_housing: bool


@dataclass(frozen=True)
class ConcentrationPolicy:
    tier: int
    real_estate_max_share: Decimal
    personal_housing_max_share: Decimal
    single_borrower_max_of_net_capital: Decimal
    classification: Mapping[str, ExposureClass]

    def exposure_class(self, property_type: str) -> ExposureClass:
        try:
            return self.classification[property_type]
        except KeyError:
            raise DomainError("property_type", f"no concentration class for {property_type!r}; "
                                               f"known: {sorted(self.classification)}") from None


@dataclass(frozen=True)
class AuthorityTier:
    """One row of the authority matrix: the largest amount and the worst grade it may approve."""

    level: AuthorityLevel
    zh: str
    en: str
    max_amount: Decimal | None
    max_grade: str | None


@dataclass(frozen=True)
class AuthorityMatrix:
    tiers: tuple[AuthorityTier, ...]
    by_recommendation: Mapping[Recommendation, AuthorityLevel]
    by_flag_severity: Mapping[Severity, AuthorityLevel]
    by_flag_category: Mapping[str, AuthorityLevel]
    by_rule_id: Mapping[str, AuthorityLevel]
    override_steps: int

    def tier(self, level: AuthorityLevel) -> AuthorityTier:
        return next(t for t in self.tiers if t.level is level)


@dataclass(frozen=True)
class CreditPolicy:
    """Every parameter of the decision engine, with its version and effective date."""

    version: str
    effective_date: date
    notes: str
    lpr: Lpr
    affordability: AffordabilityPolicy
    products: Mapping[str, ProductLimits]
    pd_cutoffs: PdCutoffs
    grade_rules: GradeRules
    amount: AmountPolicy
    pricing: PricingPolicy
    concentration: ConcentrationPolicy
    authority: AuthorityMatrix
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def product(self, property_type: str) -> ProductLimits:
        try:
            return self.products[property_type]
        except KeyError:
            raise DomainError("property_type", f"no product for {property_type!r}; "
                                               f"known: {sorted(self.products)}") from None

    # ---- loading

    @classmethod
    def load_default(cls) -> CreditPolicy:
        return cls.from_dict(packaged_json("mortgage_risk.control", DEFAULT_RESOURCE))

    @classmethod
    def from_json(cls, text: str) -> CreditPolicy:
        return cls.from_dict(parse_json(text))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CreditPolicy:
        """Validate ``raw`` (the JSON layout of ``data/policy-default.json``)."""
        _obj(raw, "")
        sources: dict[str, str] = {}
        collect_sources(raw, "", sources)
        version = _str(_get(raw, "version", ""), "version")
        effective = iso_date(_get(raw, "effective_date", ""), "effective_date")

        lp = _get(raw, "lpr", "")
        try:
            as_of = date.fromisoformat(_str(_get(lp, "as_of", "lpr"), "lpr.as_of"))
        except ValueError:
            raise _err("lpr.as_of", "must be an ISO date (YYYY-MM-DD)") from None
        lpr = Lpr(tenor=_str(_get(lp, "tenor", "lpr"), "lpr.tenor"),
                  rate=_dec(_get(lp, "rate", "lpr"), "lpr.rate", low=Decimal(0),
                            high=Decimal("0.24")),
                  as_of=as_of)

        af = _get(raw, "affordability", "")
        affordability = AffordabilityPolicy(
            housing_dti_cap=_rate(_get(af, "housing_dti_cap", "affordability"),
                                  "affordability.housing_dti_cap"),
            total_dti_cap=_rate(_get(af, "total_dti_cap", "affordability"),
                                "affordability.total_dti_cap"),
            assessment_rate_spread=_dec(_get(af, "assessment_rate_spread", "affordability"),
                                        "affordability.assessment_rate_spread",
                                        low=Decimal("-0.05"), high=Decimal("0.10")),
        )
        if affordability.housing_dti_cap > affordability.total_dti_cap:
            raise _err("affordability.housing_dti_cap",
                       "must not exceed affordability.total_dti_cap")

        products: dict[str, ProductLimits] = {}
        known_types = {t.value for t in PropertyType}
        for name, p in _items(_get(raw, "products", ""), "products"):
            path = f"products.{name}"
            if name not in known_types:
                raise _err(path, f"unknown property type; known: {sorted(known_types)}")
            lo = _dec(_get(p, "min_amount", path), f"{path}.min_amount", low=Decimal(0))
            hi = _dec(_get(p, "max_amount", path), f"{path}.max_amount", low=Decimal(0))
            if lo > hi:
                raise _err(f"{path}.min_amount", f"must not exceed max_amount ({hi})")
            products[name] = ProductLimits(lo, hi, _int(_get(p, "max_term_months", path),
                                                        f"{path}.max_term_months", low=1))
        if not products:
            raise _err("products", "must define at least one product")

        pc = _get(raw, "pd_cutoffs", "")
        cutoffs = PdCutoffs(
            refer_above=_num(_get(pc, "refer_above", "pd_cutoffs"), "pd_cutoffs.refer_above",
                             low=0.0, high=1.0),
            decline_above=_num(_get(pc, "decline_above", "pd_cutoffs"),
                               "pd_cutoffs.decline_above", low=0.0, high=1.0))
        if cutoffs.refer_above > cutoffs.decline_above:
            raise _err("pd_cutoffs.refer_above", "must not exceed pd_cutoffs.decline_above")

        gr = _get(raw, "grade_rules", "")

        def grades(key: str) -> tuple[str, ...]:
            value = _get(gr, key, "grade_rules")
            if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
                raise _err(f"grade_rules.{key}", "must be a list of grade labels")
            return tuple(value)

        order = grades("order")
        if not order or len(set(order)) != len(order):
            raise _err("grade_rules.order", "must list each grade once")
        rules = GradeRules(order, grades("decline"), grades("refer"), grades("conditions"))
        for key in ("decline", "refer", "conditions"):
            unknown = [g for g in getattr(rules, key) if g not in order]
            if unknown:
                raise _err(f"grade_rules.{key}", f"unknown grades {unknown}")

        am = _get(raw, "amount", "")
        amount = AmountPolicy(
            reduce_with_conditions_up_to=_rate(_get(am, "reduce_with_conditions_up_to",
                                                    "amount"),
                                               "amount.reduce_with_conditions_up_to"),
            limit_rounding=_dec(_get(am, "limit_rounding", "amount"), "amount.limit_rounding",
                                low=Decimal("0.01")))

        pricing = _pricing(_get(raw, "pricing", ""))
        concentration = _concentration(_get(raw, "concentration", ""))
        authority = _authority(_get(raw, "authority", ""), order)

        return cls(version=version, effective_date=effective, notes=str(raw.get("notes", "")),
                   lpr=lpr, affordability=affordability, products=products,
                   pd_cutoffs=cutoffs, grade_rules=rules, amount=amount, pricing=pricing,
                   concentration=concentration, authority=authority, sources=sources)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data that ``from_dict`` reads back to an equal policy."""
        pr = self.pricing
        co = self.concentration
        au = self.authority
        out: dict[str, Any] = {
            "version": self.version,
            "effective_date": self.effective_date.isoformat(),
            "notes": self.notes,
            "lpr": {"tenor": self.lpr.tenor, "rate": str(self.lpr.rate),
                    "as_of": self.lpr.as_of.isoformat()},
            "affordability": {k: str(v) for k, v in vars(self.affordability).items()},
            "products": {k: {"min_amount": str(p.min_amount), "max_amount": str(p.max_amount),
                             "max_term_months": p.max_term_months}
                         for k, p in self.products.items()},
            "pd_cutoffs": {"refer_above": self.pd_cutoffs.refer_above,
                           "decline_above": self.pd_cutoffs.decline_above},
            "grade_rules": {k: list(v) for k, v in vars(self.grade_rules).items()},
            "amount": {k: str(v) for k, v in vars(self.amount).items()},
            "pricing": {
                **{k: str(getattr(pr, k)) for k in (
                    "funding_spread", "operating_cost", "hurdle_rate", "capital_ratio",
                    "pd_horizon_years")},
                "risk_weight_method": pr.risk_weight_method,
                "flat_risk_weight": str(pr.flat_risk_weight),
                "ltv_bands": [{"max_ltv": None if b.max_ltv is None else str(b.max_ltv),
                               "risk_weight": str(b.risk_weight)} for b in pr.ltv_bands],
                "irb": {"pd_floor": pr.irb.pd_floor, "lgd_floor": pr.irb.lgd_floor},
                "min_spread": str(pr.min_spread),
                "max_spread": str(pr.max_spread),
            },
            "concentration": {
                "tier": co.tier,
                "real_estate_max_share": str(co.real_estate_max_share),
                "personal_housing_max_share": str(co.personal_housing_max_share),
                "single_borrower_max_of_net_capital": str(co.single_borrower_max_of_net_capital),
                "classification": {k: {"real_estate": c.real_estate,
                                       "personal_housing": c.personal_housing}
                                   for k, c in co.classification.items()},
            },
            "authority": {
                "tiers": [{"level": t.level.value, "zh": t.zh, "en": t.en,
                           "max_amount": None if t.max_amount is None else str(t.max_amount),
                           "max_grade": t.max_grade} for t in au.tiers],
                "by_recommendation": {k.value: v.value for k, v in au.by_recommendation.items()},
                "by_flag_severity": {k.value: v.value for k, v in au.by_flag_severity.items()},
                "by_flag_category": {k: v.value for k, v in au.by_flag_category.items()},
                "by_rule_id": {k: v.value for k, v in au.by_rule_id.items()},
                "override_steps": au.override_steps,
            },
        }
        for path, note in self.sources.items():
            put_source(out, path, note)
        return out


# --------------------------------------------------------------------------- section parsers

def _pricing(pr: Any) -> PricingPolicy:
    p = "pricing"
    method = _str(_get(pr, "risk_weight_method", p), f"{p}.risk_weight_method")
    if method not in RISK_WEIGHT_METHODS:
        raise _err(f"{p}.risk_weight_method",
                   f"must be one of {', '.join(RISK_WEIGHT_METHODS)}; got {method!r}")
    raw_bands = _get(pr, "ltv_bands", p)
    if not isinstance(raw_bands, list) or not raw_bands:
        raise _err(f"{p}.ltv_bands", "must be a non-empty list")
    bands: list[LtvBand] = []
    for i, b in enumerate(raw_bands):
        bp = f"{p}.ltv_bands[{i}]"
        top = _get(b, "max_ltv", bp)
        bands.append(LtvBand(None if top is None else _dec(top, f"{bp}.max_ltv",
                                                           low=Decimal(0)),
                             _dec(_get(b, "risk_weight", bp), f"{bp}.risk_weight",
                                  low=Decimal(0), high=Decimal("12.5"))))
    tops = [b.max_ltv for b in bands]
    if tops[-1] is not None or any(t is None for t in tops[:-1]):
        raise _err(f"{p}.ltv_bands", "only the last band may (and must) have max_ltv null")
    finite = [t for t in tops if t is not None]
    if any(a >= b for a, b in zip(finite, finite[1:], strict=False)):
        raise _err(f"{p}.ltv_bands", "max_ltv must increase from band to band")
    irb_raw = _get(pr, "irb", p)
    irb = IrbSettings(
        pd_floor=_num(_get(irb_raw, "pd_floor", f"{p}.irb"), f"{p}.irb.pd_floor",
                      low=0.0, high=1.0),
        lgd_floor=_num(_get(irb_raw, "lgd_floor", f"{p}.irb"), f"{p}.irb.lgd_floor",
                       low=0.0, high=1.0))
    pol = PricingPolicy(
        funding_spread=_dec(_get(pr, "funding_spread", p), f"{p}.funding_spread",
                            low=Decimal("-0.05"), high=Decimal("0.10")),
        operating_cost=_dec(_get(pr, "operating_cost", p), f"{p}.operating_cost",
                            low=Decimal(0), high=Decimal("0.10")),
        hurdle_rate=_rate(_get(pr, "hurdle_rate", p), f"{p}.hurdle_rate"),
        capital_ratio=_dec(_get(pr, "capital_ratio", p), f"{p}.capital_ratio",
                           low=Decimal("0.001"), high=Decimal(1)),
        pd_horizon_years=_dec(_get(pr, "pd_horizon_years", p), f"{p}.pd_horizon_years",
                              low=Decimal("0.25"), high=Decimal(10)),
        risk_weight_method=method,
        flat_risk_weight=_dec(_get(pr, "flat_risk_weight", p), f"{p}.flat_risk_weight",
                              low=Decimal(0), high=Decimal("12.5")),
        ltv_bands=tuple(bands), irb=irb,
        min_spread=_dec(_get(pr, "min_spread", p), f"{p}.min_spread",
                        low=Decimal("-0.10"), high=Decimal("0.24")),
        max_spread=_dec(_get(pr, "max_spread", p), f"{p}.max_spread",
                        low=Decimal("-0.10"), high=Decimal("0.24")))
    if pol.min_spread > pol.max_spread:
        raise _err(f"{p}.min_spread", f"must not exceed {p}.max_spread ({pol.max_spread})")
    return pol


def _concentration(co: Any) -> ConcentrationPolicy:
    p = "concentration"
    classes: dict[str, ExposureClass] = {}
    for name, c in _items(_get(co, "classification", p), f"{p}.classification"):
        cp = f"{p}.classification.{name}"
        classes[name] = ExposureClass(
            real_estate=_bool(_get(c, "real_estate", cp), f"{cp}.real_estate"),
            personal_housing=_bool(_get(c, "personal_housing", cp), f"{cp}.personal_housing"))
        if classes[name].personal_housing and not classes[name].real_estate:
            raise _err(cp, "a personal housing loan is also a real-estate loan")
    return ConcentrationPolicy(
        tier=_int(_get(co, "tier", p), f"{p}.tier", low=1),
        real_estate_max_share=_rate(_get(co, "real_estate_max_share", p),
                                    f"{p}.real_estate_max_share"),
        personal_housing_max_share=_rate(_get(co, "personal_housing_max_share", p),
                                         f"{p}.personal_housing_max_share"),
        single_borrower_max_of_net_capital=_rate(
            _get(co, "single_borrower_max_of_net_capital", p),
            f"{p}.single_borrower_max_of_net_capital"),
        classification=classes)


def _authority(au: Any, grade_order: tuple[str, ...]) -> AuthorityMatrix:
    p = "authority"
    raw_tiers = _get(au, "tiers", p)
    if not isinstance(raw_tiers, list):
        raise _err(f"{p}.tiers", "must be a list")
    tiers: list[AuthorityTier] = []
    for i, t in enumerate(raw_tiers):
        tp = f"{p}.tiers[{i}]"
        amount = _get(t, "max_amount", tp)
        grade = _get(t, "max_grade", tp)
        if grade is not None and grade not in grade_order:
            raise _err(f"{tp}.max_grade", f"unknown grade {grade!r}")
        tiers.append(AuthorityTier(
            level=_level(_get(t, "level", tp), f"{tp}.level"),
            zh=_str(_get(t, "zh", tp), f"{tp}.zh"), en=_str(_get(t, "en", tp), f"{tp}.en"),
            max_amount=None if amount is None else _dec(amount, f"{tp}.max_amount",
                                                        low=Decimal(0)),
            max_grade=grade))
    if tuple(t.level for t in tiers) != tuple(AuthorityLevel):
        raise _err(f"{p}.tiers", "must list branch_officer, branch_head, credit_committee "
                                 "in this order")
    if tiers[-1].max_amount is not None or tiers[-1].max_grade is not None:
        raise _err(f"{p}.tiers[{len(tiers) - 1}]",
                   "the highest level must have no amount or grade bound (null)")
    for i, (a, b) in enumerate(zip(tiers, tiers[1:], strict=False)):
        if a.max_amount is None or a.max_grade is None:
            raise _err(f"{p}.tiers[{i}]", "only the highest level may be unbounded")
        if b.max_amount is not None and b.max_amount < a.max_amount:
            raise _err(f"{p}.tiers[{i + 1}].max_amount", "must not be below the level under it")
        if b.max_grade is not None and grade_order.index(b.max_grade) < grade_order.index(
                a.max_grade):
            raise _err(f"{p}.tiers[{i + 1}].max_grade", "must not be better than the level "
                                                        "under it")

    by_rec: dict[Recommendation, AuthorityLevel] = {}
    for k, v in _items(_get(au, "by_recommendation", p), f"{p}.by_recommendation"):
        try:
            rec = Recommendation(k)
        except ValueError:
            raise _err(f"{p}.by_recommendation.{k}", "unknown recommendation") from None
        by_rec[rec] = _level(v, f"{p}.by_recommendation.{k}")
    missing = [r.value for r in Recommendation if r not in by_rec]
    if missing:
        raise _err(f"{p}.by_recommendation", f"missing {missing}")

    by_sev: dict[Severity, AuthorityLevel] = {}
    for k, v in _items(_get(au, "by_flag_severity", p), f"{p}.by_flag_severity"):
        try:
            sev = Severity(k)
        except ValueError:
            raise _err(f"{p}.by_flag_severity.{k}", "unknown severity") from None
        by_sev[sev] = _level(v, f"{p}.by_flag_severity.{k}")

    def mapping(key: str) -> dict[str, AuthorityLevel]:
        return {k: _level(v, f"{p}.{key}.{k}") for k, v in _items(_get(au, key, p),
                                                                  f"{p}.{key}")}

    return AuthorityMatrix(
        tiers=tuple(tiers), by_recommendation=by_rec, by_flag_severity=by_sev,
        by_flag_category=mapping("by_flag_category"), by_rule_id=mapping("by_rule_id"),
        override_steps=_int(_get(au, "override_steps", p), f"{p}.override_steps", low=1))
