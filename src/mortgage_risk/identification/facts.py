"""The facts schema: the named, typed inputs identification rules may use.

Each fact has a type (number, integer, boolean, string, enum with allowed values, date, list),
a unit, a Chinese and an English description. Policy parameters are facts named ``policy.*``
with a default value; they hold for every application unless the caller overrides them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

import pandas as pd

from mortgage_risk.domain.enums import (
    BorrowerSegment,
    LabelledEnum,
    LandNature,
    PropertyType,
    RegistrationStatus,
    RepaymentMethod,
    Structure,
)
from mortgage_risk.identification.values import norm

GRADES = ("A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "D", "E")
CHANNELS = ("branch", "village_station", "online", "intermediary", "staff_referral")
COMMERCIAL = ("shop", "office", "factory_warehouse")


class FactType(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    STRING = "string"
    ENUM = "enum"
    DATE = "date"
    LIST = "list"


@dataclass(frozen=True)
class Fact:
    """One input; ``default`` is used only for policy parameters (``policy.*``)."""

    name: str
    type: FactType
    unit: str
    description_zh: str
    description_en: str
    allowed: tuple[str, ...] = ()
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def group(self) -> str:
        return self.name.split(".")[0] if "." in self.name else _GROUP.get(self.name, "other")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type.value, "unit": self.unit,
                "description_zh": self.description_zh, "description_en": self.description_en,
                "allowed": list(self.allowed), "default": self.default,
                "minimum": self.minimum, "maximum": self.maximum, "group": self.group}


@dataclass(frozen=True)
class FactProblem:
    field: str
    reason: str


@dataclass(frozen=True)
class FactsSchema:
    """The facts rules may name; names are unique."""

    facts: tuple[Fact, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for fact in self.facts:
            if fact.name in seen:
                raise ValueError(f"duplicate fact {fact.name!r} in the facts schema")
            seen.add(fact.name)
            if (fact.type is FactType.ENUM) != bool(fact.allowed):
                raise ValueError(f"fact {fact.name!r}: allowed values go with enum facts only")

    @property
    def by_name(self) -> dict[str, Fact]:
        return _index(self)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.facts)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def get(self, name: str) -> Fact | None:
        return self.by_name.get(name)

    def check(self, names: Iterable[str]) -> list[str]:
        """The names that are not facts of this schema, each with a suggestion if one is close."""
        problems = []
        for name in names:
            if name not in self.by_name:
                hint = self.suggest(name)
                problems.append(f"unknown field {name!r}" + (f"; did you mean {hint!r}?"
                                                              if hint else ""))
        return problems

    def suggest(self, name: str) -> str | None:
        close = difflib.get_close_matches(name, self.names, n=1, cutoff=0.75)
        return close[0] if close else None

    def policy_defaults(self) -> dict[str, Any]:
        """``{"policy.dti_cap": 0.5, ...}``: every policy parameter's default."""
        return {f.name: f.default for f in self.facts if f.name.startswith("policy.")}

    def to_dict(self) -> dict[str, Any]:
        return {"facts": [f.to_dict() for f in self.facts]}


@lru_cache(maxsize=16)
def _index(schema: FactsSchema) -> dict[str, Fact]:
    return {f.name: f for f in schema.facts}


def _values(enum: type[LabelledEnum]) -> tuple[str, ...]:
    return tuple(m.value for m in enum)


N, INT, B, S, E, D, L = (FactType.NUMBER, FactType.INTEGER, FactType.BOOLEAN, FactType.STRING,
                       FactType.ENUM, FactType.DATE, FactType.LIST)

_BORROWER = (
    Fact("age", N, "years", "借款人申请时年龄", "borrower's age at application", minimum=0),
    Fact("age_at_maturity", N, "years", "贷款到期时借款人年龄",
         "borrower's age when the loan matures", minimum=0),
    Fact("segment", E, "", "客户类别", "borrower segment", _values(BorrowerSegment)),
    Fact("household_income", N, "CNY/year", "家庭年收入", "household income per year", minimum=0),
    Fact("monthly_income", N, "CNY/month", "月收入（用于月供收入比）",
         "monthly income used for the DTI", minimum=0),
    Fact("dependants", INT, "persons", "供养人口", "dependants", minimum=0),
    Fact("bureau_overdue_accounts", INT, "accounts", "征信逾期账户数",
         "accounts overdue in the credit report", minimum=0),
    Fact("bureau_max_dpd_24m", INT, "days", "近24个月最长逾期天数",
         "longest days past due in the last 24 months", minimum=0),
    Fact("bureau_hard_inquiries_3m", INT, "inquiries", "近3个月贷款审批查询次数",
         "hard inquiries in the last 3 months", minimum=0),
    Fact("bureau_npl_elsewhere", B, "", "他行不良贷款", "non-performing loan at another bank"),
    Fact("other_monthly_debt", N, "CNY/month", "其他债务月还款额",
         "other monthly debt payments", minimum=0),
    Fact("income_verified", B, "", "收入已核实", "income verified (statements, tax, visit)"),
    Fact("court_enforcement", B, "", "被执行人", "judgment debtor (court enforcement)"),
    Fact("dishonest_debtor", B, "", "失信被执行人", "dishonest judgment debtor"),
    Fact("spending_restricted", B, "", "限制高消费", "under a spending restriction (限高)"),
    Fact("lawsuits_pending", INT, "cases", "未结诉讼（作为被告）", "pending lawsuits as defendant",
         minimum=0),
    Fact("abnormal_operation", B, "", "经营主体列入经营异常名录",
         "borrower's business is on the abnormal-operation list"),
    Fact("related_staff", L, "staff ids", "与借款人有关联关系的本社员工",
         "staff of the union related to the borrower (related parties)"),
    Fact("officer_related", B, "", "经办客户经理与借款人有关联",
         "the loan officer is related to the borrower"),
    Fact("resident_id_valid", B, "", "身份证号码校验通过", "resident ID number passes its check"),
    Fact("has_other_housing", B, "", "借款人有其他稳定住所", "borrower has other stable housing"),
    Fact("name_only_match", B, "", "外部负面信息仅按姓名匹配",
         "an external adverse record matched by name only (needs an ID check)"),
)

_LOAN = (
    Fact("application_date", D, "date", "申请日期", "application date"),
    Fact("amount", N, "CNY", "申请金额", "loan amount", minimum=0),
    Fact("term_months", INT, "months", "贷款期限（月）", "term in months", minimum=1),
    Fact("repayment_method", E, "", "还款方式", "repayment method", _values(RepaymentMethod)),
    Fact("purpose", S, "", "贷款用途（如 购房、建房、经营周转）",
         "loan purpose (free text, e.g. 购房, 建房, 经营周转)"),
    Fact("annual_rate", N, "ratio/year", "年利率", "annual interest rate", minimum=0),
    Fact("monthly_installment", N, "CNY/month", "本笔贷款月供", "this loan's monthly installment",
         minimum=0),
    Fact("dti", N, "ratio", "房产支出收入比（月供÷月收入）",
         "housing expense ratio: this loan's installment / monthly income", minimum=0),
    Fact("total_dti", N, "ratio", "总债务收入比（全部月还款÷月收入）",
         "total debt ratio: all monthly debt payments / monthly income", minimum=0),
    Fact("down_payment_ratio", N, "ratio", "首付比例", "down payment / purchase price",
         minimum=0, maximum=1),
    Fact("purchase_price", N, "CNY", "购房价格（购房贷款）", "purchase price (purchase loans)",
         minimum=0),
    Fact("first_home", B, "", "首套住房", "first home"),
)

_COLLATERAL = (
    Fact("property_type", E, "", "抵押物类型", "collateral type", _values(PropertyType)),
    Fact("land_nature", E, "", "土地性质", "land nature", _values(LandNature)),
    Fact("structure", E, "", "建筑结构", "building structure", _values(Structure)),
    Fact("build_year", INT, "year", "建成年份", "year built", minimum=1800),
    Fact("property_age", N, "years", "房龄", "age of the building", minimum=0),
    Fact("remaining_economic_life", N, "years", "剩余经济耐用年限",
         "remaining economic life of the building"),
    Fact("floor_area", N, "m²", "建筑面积", "floor area", minimum=0),
    Fact("seized", B, "", "被查封、扣押、监管", "sealed up, seized or under supervision"),
    Fact("existing_mortgage", B, "", "已设定抵押", "already mortgaged"),
    Fact("disputed", B, "", "权属不清或有争议", "ownership unclear or disputed"),
    Fact("small_property_rights", B, "", "小产权房", "small-property-rights housing"),
    Fact("illegal_building", B, "", "违法、违章建筑", "illegal or unauthorised building"),
    Fact("dangerous_building", B, "", "危房", "dangerous building"),
    Fact("public_welfare", B, "", "非营利法人公益设施", "public-welfare facility of a non-profit"),
    Fact("co_owner_consent", B, "", "共有人同意抵押", "co-owner consent to the mortgage"),
    Fact("collective_consent", B, "", "集体经济组织同意宅基地一并处置",
         "the collective agrees in writing that the homestead goes with the house"),
    Fact("registration_status", E, "", "抵押登记状态", "mortgage registration status",
         _values(RegistrationStatus)),
    Fact("land_term_remaining", N, "years", "土地使用权剩余年限", "land use right: years remaining",
         minimum=0),
    Fact("months_since_purchase", N, "months", "取得房产至今月数（购房贷款为空）",
         "months since the borrower acquired the property (empty for a purchase loan)",
         minimum=0),
    Fact("same_property_other_applications", INT, "applications", "同一抵押物的其他在途申请",
         "other open applications on the same property", minimum=0),
    Fact("buyer_seller_related", B, "", "买卖双方存在关联关系", "buyer and seller are related"),
    Fact("appraised_value", N, "CNY", "评估价值", "appraised value", minimum=0),
    Fact("appraisal_age_days", INT, "days", "评估报告距今天数", "days since the appraisal",
         minimum=0),
    Fact("comparable_value", N, "CNY", "可比案例价值（中位数）",
         "value implied by comparable sales (median)", minimum=0),
    Fact("market_value", N, "CNY", "市场价值", "market value", minimum=0),
    Fact("mortgage_value", N, "CNY", "抵押价值（扣除法定优先受偿款）",
         "mortgage value (net of statutory priority claims)", minimum=0),
    Fact("ltv", N, "ratio", "贷款价值比（贷款÷抵押价值）", "loan / mortgage value", minimum=0),
    Fact("cltv", N, "ratio", "合并贷款价值比（含在先抵押）",
         "combined LTV including prior liens", minimum=0),
    Fact("ltv_cap", N, "ratio", "该类抵押物的抵押率上限", "LTV cap for this collateral",
         minimum=0, maximum=1),
    Fact("lgd", N, "ratio", "违约损失率", "loss given default", minimum=0, maximum=1),
    Fact("eligible_collateral", B, "", "抵押物合规可抵押（估值模块）",
         "collateral eligible (valuation check)"),
)

_OPERATIONS = (
    Fact("visit_done", B, "", "已实地调查", "on-site visit done"),
    Fact("documents_complete", B, "", "资料齐全", "documents complete"),
    Fact("id_document_verified", B, "", "身份证件已核验（联网核查）",
         "identity document verified (online check)"),
    Fact("bureau_authorised", B, "", "已取得征信查询书面授权",
         "written authorisation for the credit-report query"),
    Fact("face_to_face_signed", B, "", "已面谈面签", "interviewed and signed face to face"),
    Fact("application_channel", E, "", "申请渠道", "application channel", CHANNELS),
    Fact("income_documents_inconsistent", B, "", "收入证明与流水不一致",
         "income documents inconsistent with account flows"),
    Fact("shared_contact_applications", INT, "applications", "与其他申请人共用联系电话或地址",
         "other applicants sharing a phone number or address", minimum=0),
)

_SCORING = (
    Fact("pd", N, "ratio", "违约概率（评分卡）", "probability of default (scorecard)",
         minimum=0, maximum=1),
    Fact("grade", E, "", "信用等级（主标尺）", "grade (master scale)", GRADES),
    Fact("score", N, "points", "评分", "scorecard points"),
)


def _policy(name: str, type_: FactType, unit: str, zh: str, en: str, default: Any) -> Fact:
    return Fact(f"policy.{name}", type_, unit, zh, en, default=default)


_POLICY = (
    _policy("max_age_at_maturity", N, "years", "贷款到期时借款人最高年龄",
            "maximum age at maturity", 65),
    _policy("min_age", N, "years", "借款人最低年龄", "minimum borrower age", 18),
    _policy("dti_cap", N, "ratio", "房产支出收入比上限（2004指引第36条）",
            "housing expense ratio cap (2004 guideline art. 36)", 0.5),
    _policy("dti_watch", N, "ratio", "房产支出收入比关注线", "housing expense ratio watch level",
            0.4),
    _policy("total_dti_cap", N, "ratio", "总债务收入比上限", "total debt ratio cap", 0.55),
    _policy("max_term_months", INT, "months", "住房贷款最长期限", "maximum term, housing", 360),
    _policy("max_term_commercial_months", INT, "months", "商业用房贷款最长期限",
            "maximum term, commercial property", 120),
    _policy("max_term_interest_only_months", INT, "months", "按月付息到期还本最长期限",
            "maximum term for interest-only with bullet", 60),
    _policy("min_down_payment", N, "ratio", "住房首付比例下限（首套、二套，2024年9月起）",
            "minimum down payment, first and second home (since 24 Sep 2024)", 0.15),
    _policy("min_down_payment_commercial", N, "ratio", "商业用房首付比例下限（以当地政策为准）",
            "minimum down payment, commercial property (check local policy)", 0.5),
    _policy("max_hard_inquiries_3m", INT, "inquiries", "近3个月查询次数达到此数即提交上级",
            "hard inquiries in 3 months at which a case is referred (6 or more)", 6),
    _policy("max_overdue_accounts", INT, "accounts", "征信逾期账户数上限",
            "most overdue accounts accepted", 2),
    _policy("serious_dpd_days", INT, "days", "严重逾期天数",
            "days past due counted as serious", 90),
    _policy("remortgage_min_months", INT, "months", "取得房产后最短再抵押间隔",
            "minimum months between acquiring a property and mortgaging it", 6),
    _policy("pilot_county", B, "", "本县为农民住房财产权抵押试点县",
            "this county is a rural-housing (homestead house) mortgage pilot", False),
    _policy("pilot_collective_land", B, "", "本县为集体经营性建设用地抵押试点县",
            "this county accepts collective construction land", False),
    _policy("pilot_land_management_right", B, "", "本县开展土地经营权抵押",
            "this county accepts land management rights", False),
    _policy("max_ltv", N, "ratio", "住房贷款成数上限（2004指引）",
            "regulatory LTV ceiling for housing (2004 guideline)", 0.8),
    _policy("max_cltv", N, "ratio", "合并贷款价值比上限", "combined LTV ceiling", 0.8),
    _policy("max_pd", N, "ratio", "违约概率提交上级阈值", "PD above which a case is referred",
            0.10),
    _policy("max_lgd", N, "ratio", "违约损失率提交上级阈值", "LGD above which a case is referred",
            0.45),
    _policy("appraisal_max_age_days", INT, "days", "评估报告有效期", "appraisal validity", 365),
    _policy("appraisal_tolerance", N, "ratio", "评估价高于可比价或成交价的容忍度",
            "tolerance of appraised value over comparables or price", 0.30),
    _policy("old_property_years", N, "years", "老旧房屋房龄", "age of an old building", 30),
    _policy("old_property_max_term_months", INT, "months", "老旧房屋最长贷款期限",
            "maximum term on an old building", 180),
    _policy("many_dependants", INT, "persons", "供养人口较多", "dependants counted as many", 4),
    _policy("low_income_annual", N, "CNY/year", "低收入家庭年收入线", "low household income",
            36000),
    _policy("implausible_income_farmer", N, "CNY/year", "农户家庭年收入合理上限",
            "farmer household income above which it is implausible", 300000),
    _policy("implausible_income_migrant", N, "CNY/year", "外出务工人员家庭年收入合理上限",
            "migrant-worker household income above which it is implausible", 240000),
)

_GROUP = {f.name: g for g, fs in (("borrower", _BORROWER), ("loan", _LOAN),
                                  ("collateral", _COLLATERAL), ("operations", _OPERATIONS),
                                  ("scoring", _SCORING))
          for f in fs}


@lru_cache(maxsize=1)
def default_schema() -> FactsSchema:
    """The schema of an application with the union's default policy parameters."""
    return FactsSchema(_BORROWER + _LOAN + _COLLATERAL + _OPERATIONS + _SCORING + _POLICY)


def _flatten(facts: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in facts.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


def validate_facts(facts: Mapping[str, Any],
                   schema: FactsSchema | None = None) -> list[FactProblem]:
    """Every problem with ``facts``: unknown names, wrong types, values not allowed or out of
    range. Missing facts (absent or None) are not problems; nested ``{"policy": {...}}`` works."""
    schema = schema or default_schema()
    problems: list[FactProblem] = []
    for name, raw in _flatten(facts):
        fact = schema.get(name)
        if fact is None:
            hint = schema.suggest(name)
            problems.append(FactProblem(name, "unknown fact" + (f"; did you mean {hint!r}?"
                                                                if hint else "")))
            continue
        reason = _check_value(fact, raw)
        if reason:
            problems.append(FactProblem(name, reason))
    return problems


def _check_value(fact: Fact, raw: Any) -> str | None:
    value = norm(raw)
    if value is None:
        missing = raw is None or (pd.api.types.is_scalar(raw) and bool(pd.isna(raw)))
        return None if missing else f"unsupported value {raw!r}"
    t = fact.type
    if t in (FactType.NUMBER, FactType.INTEGER):
        if isinstance(value, bool) or not isinstance(value, float):
            return f"expected a number, got {raw!r}"
        if t is FactType.INTEGER and not value.is_integer():
            return f"expected a whole number, got {raw!r}"
        if fact.minimum is not None and value < fact.minimum:
            return f"must be at least {fact.minimum:g}, got {value:g}"
        if fact.maximum is not None and value > fact.maximum:
            return f"must be at most {fact.maximum:g}, got {value:g}"
        return None
    if t is FactType.BOOLEAN:
        return None if isinstance(value, bool) else f"expected true or false, got {raw!r}"
    if t is FactType.DATE:
        if isinstance(raw, str):
            try:
                date.fromisoformat(raw)
                return None
            except ValueError:
                return f"expected an ISO date (YYYY-MM-DD), got {raw!r}"
        return None if isinstance(raw, date | datetime) or isinstance(value, date) else \
            f"expected a date, got {raw!r}"
    if t is FactType.LIST:
        return None if isinstance(value, tuple) else f"expected a list, got {raw!r}"
    if not isinstance(value, str):
        return f"expected text, got {raw!r}"
    if t is FactType.ENUM and value not in fact.allowed:
        return f"unknown value {value!r}; allowed: {', '.join(fact.allowed)}"
    return None
