"""The documented schema of every ingestion feed (数据接入规范), and the ``FEEDS`` registry.

A feed is one kind of record the monitoring run reads: the core system's repayment records and
the external ("Internet big data", reference-regulation.md §5.1) feeds. Each field has a name, a
type, whether it is required, its allowed values or bounds, and a Chinese and English
description. :func:`feed_docs` renders all of it as markdown for the user documentation.

Compliance (reference-regulation.md §5.2), enforced by the schemas:

- credit-bureau data comes only from a licensed agency (``source`` is restricted to the PBOC
  credit reference centre, 百行征信 and 朴道征信) and carries the borrower's written
  authorisation reference; it is matched only by resident ID number, never by name;
- public judicial and registry records keep their source, the time received and the matching
  confidence; a name-only match is low confidence (see ``matching``);
- only the fields listed here are kept (minimum data): any other column is dropped.

Idempotency key per feed: repayments ``(loan_id, period_no)``; external events
``(source, source_record_id)``, where a missing ``source_record_id`` is replaced by
``sha256:<content hash>``; the house price index ``(month, city, house_type, segment)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from mortgage_risk.domain import EventType


class FieldType(StrEnum):
    """The value types a feed field can have, with the accepted raw spellings."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    MONTH = "month"
    BOOLEAN = "boolean"
    RESIDENT_ID = "resident_id"
    MASKABLE_RESIDENT_ID = "maskable_resident_id"
    CREDIT_CODE = "credit_code"


FIELD_TYPE_DOCS: Final[dict[FieldType, tuple[str, str]]] = {
    FieldType.STRING: ("文本", "text; surrounding spaces are removed"),
    FieldType.INTEGER: ("整数", "whole number (`12`, `12.0`)"),
    FieldType.DECIMAL: ("数值", "decimal number (`1200.50`, `1,200.50`); no exponent"),
    FieldType.DATE: ("日期", "date: `2024-05-31`, `2024/5/31`, `20240531`, `2024年5月31日`"),
    FieldType.MONTH: ("月份", "month: `2024-05`, `2024/5`, `202405`, `2024年5月`"),
    FieldType.BOOLEAN: ("是否", "`true`/`false`, `1`/`0`, `yes`/`no`, `是`/`否`"),
    FieldType.RESIDENT_ID: (
        "居民身份证号码",
        "18-character resident ID number; the check digit is verified",
    ),
    FieldType.MASKABLE_RESIDENT_ID: (
        "居民身份证号码（可部分隐去）",
        "resident ID number, full (check digit verified) or masked with `*` as public "
        "court lists publish it (18 positions)",
    ),
    FieldType.CREDIT_CODE: (
        "统一社会信用代码",
        "18-character unified social credit code (GB 32100-2015); the check character is "
        "verified",
    ),
}


class FeedKind(StrEnum):
    REPAYMENT = "repayment"
    EXTERNAL_EVENT = "external_event"
    MARKET = "market"


#: Event type of registry changes that ``EventType`` has no member for yet (legal
#: representative or address change, equity freeze, administrative penalty).
REGISTRY_CHANGE: Final = "business_registry_change"

#: Money amounts are NUMERIC(18, 2) in storage.
MONEY_DECIMALS: Final = 2
EARLIEST_RECORD_DATE: Final = date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class FeedField:
    """One column of a feed.

    ``min_value`` is a lower bound (inclusive, or exclusive with ``exclusive_min``);
    ``decimals`` the most decimal places allowed; ``not_future`` refuses a date (or month)
    after the import's as-of date; ``default`` fills an absent optional value.
    """

    name: str
    type: FieldType
    required: bool
    zh: str
    en: str
    allowed: tuple[str, ...] = ()
    min_value: Decimal | None = None
    exclusive_min: bool = False
    decimals: int | None = None
    max_length: int | None = None
    not_future: bool = False
    earliest: date | None = None
    default: object = None

    def constraints(self) -> str:
        """The field's limits in words (for the documentation)."""
        parts: list[str] = []
        if self.allowed:
            parts.append("one of " + ", ".join(f"`{v}`" for v in self.allowed))
        if self.min_value is not None:
            parts.append(f"{'>' if self.exclusive_min else '≥'} {self.min_value}")
        if self.decimals is not None:
            parts.append(f"at most {self.decimals} decimals")
        if self.max_length is not None:
            parts.append(f"at most {self.max_length} characters")
        if self.earliest is not None:
            parts.append(f"not before {self.earliest.isoformat()}")
        if self.not_future:
            parts.append("not after the as-of date")
        if self.default is not None:
            parts.append(f"default `{self.default}`")
        return "; ".join(parts)


#: A check across fields of a clean row: ``(field, reason)`` when the row is wrong.
CrossCheck = Callable[[Mapping[str, object]], "tuple[str, str] | None"]


@dataclass(frozen=True, slots=True, eq=False)
class Feed:
    """One feed: its fields, idempotency key and, for events, how records become events.

    ``hash_key_field`` is the key field filled with ``sha256:<content hash>`` when a record
    lacks it. ``loan_field`` is checked against the known loans. ``type_field`` picks the
    event type through ``event_types``; feeds without it use ``default_event_type``.
    ``id_match_only`` forbids matching a borrower by name alone.
    """

    name: str
    kind: FeedKind
    zh: str
    en: str
    source_zh: str
    source_en: str
    fields: tuple[FeedField, ...]
    key: tuple[str, ...]
    hash_key_field: str | None = None
    loan_field: str | None = None
    type_field: str | None = None
    event_types: Mapping[str, str] = field(default_factory=dict)
    default_event_type: str | None = None
    id_match_only: bool = False
    compliance: str = ""
    cross_checks: tuple[CrossCheck, ...] = ()

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"feed {self.name}: duplicated field names")
        for name in (*self.key, self.hash_key_field, self.loan_field, self.type_field):
            if name is not None and name not in names:
                raise ValueError(f"feed {self.name}: {name} is not a field")
        if self.type_field is not None:
            missing = set(self.field(self.type_field).allowed) - set(self.event_types)
            if missing:
                raise ValueError(f"feed {self.name}: no event type for {sorted(missing)}")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def is_event(self) -> bool:
        return self.kind is FeedKind.EXTERNAL_EVENT

    def field(self, name: str) -> FeedField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"feed {self.name} has no field {name!r}")

    def event_type_of(self, row: Mapping[str, object]) -> str | None:
        """The event type (an ``EventType`` value, or ``REGISTRY_CHANGE``) of a clean row."""
        if self.type_field is not None:
            return self.event_types[str(row[self.type_field])]
        return self.default_event_type


def _money(name: str, zh: str, en: str, *, required: bool) -> FeedField:
    return FeedField(name, FieldType.DECIMAL, required, zh, en, min_value=Decimal(0),
                     decimals=MONEY_DECIMALS)


def _count(name: str, zh: str, en: str, *, required: bool) -> FeedField:
    return FeedField(name, FieldType.INTEGER, required, zh, en, min_value=Decimal(0))


def _text(name: str, zh: str, en: str, *, required: bool = False, length: int = 128,
          allowed: tuple[str, ...] = ()) -> FeedField:
    return FeedField(name, FieldType.STRING, required, zh, en, allowed=allowed, max_length=length)


def _event_fields(
    *specific: FeedField,
    date_zh: str,
    date_en: str,
    sources: tuple[str, ...] = (),
    record_id_required: bool = False,
    id_type: FieldType = FieldType.MASKABLE_RESIDENT_ID,
    id_required: bool = False,
    subject_zh: str = "被查询人姓名",
    subject_en: str = "name of the person concerned",
) -> tuple[FeedField, ...]:
    """The columns every external event carries, then the feed's own."""
    return (
        FeedField("source", FieldType.STRING, True, "数据来源",
                  "where the record came from (site, agency or provider)", allowed=sources,
                  max_length=64),
        FeedField("source_record_id", FieldType.STRING, record_id_required, "来源记录编号",
                  "the provider's identifier of this record (unique per record); when absent "
                  "a content hash is used", max_length=128),
        FeedField("event_date", FieldType.DATE, True, date_zh, date_en, not_future=True,
                  earliest=EARLIEST_RECORD_DATE),
        FeedField("subject_name", FieldType.STRING, True, subject_zh, subject_en, max_length=64),
        FeedField("subject_resident_id", id_type, id_required, "身份证号码",
                  "resident ID number of the person concerned"),
        *specific,
        _text("detail", "详情", "free-text detail from the source", length=2000),
    )


def _paid_needs_date(row: Mapping[str, object]) -> tuple[str, str] | None:
    paid = row.get("amount_paid")
    if isinstance(paid, Decimal) and paid > 0 and row.get("paid_date") is None:
        return "paid_date", "required when amount_paid is above zero"
    return None


REPAYMENTS = Feed(
    name="repayments",
    kind=FeedKind.REPAYMENT,
    zh="还款记录",
    en="repayment records",
    source_zh="核心系统（每期一条：应还、实还、还款日期、逾期天数）",
    source_en="core banking system: one record per scheduled period (due, paid, date paid, DPD)",
    fields=(
        FeedField("loan_id", FieldType.INTEGER, True, "贷款编号", "loan id in the book",
                  min_value=Decimal(1)),
        FeedField("period_no", FieldType.INTEGER, True, "期次", "instalment number, from 1",
                  min_value=Decimal(1)),
        FeedField("due_date", FieldType.DATE, True, "应还日期",
                  "due date of the period; a record describes a period already due",
                  not_future=True, earliest=EARLIEST_RECORD_DATE),
        _money("amount_due", "应还金额（元）", "amount due, CNY", required=True),
        _money("amount_paid", "实还金额（元）", "amount paid, CNY", required=True),
        FeedField("paid_date", FieldType.DATE, False, "实还日期",
                  "date paid; required when something was paid", not_future=True,
                  earliest=EARLIEST_RECORD_DATE),
        FeedField("days_past_due", FieldType.INTEGER, False, "逾期天数", "days past due",
                  min_value=Decimal(0), default=0),
    ),
    key=("loan_id", "period_no"),
    loan_field="loan_id",
    compliance="Internal data of the union; no consent beyond the loan contract.",
    cross_checks=(_paid_needs_date,),
)

COURT_ENFORCEMENT = Feed(
    name="court_enforcement",
    kind=FeedKind.EXTERNAL_EVENT,
    zh="被执行人信息（含限制高消费、终本案件、财产查封）",
    en="court enforcement: judgment debtors, spending restrictions, terminated cases, seizures",
    source_zh="中国执行信息公开网",
    source_en="China Enforcement Information Disclosure (zxgk.court.gov.cn)",
    fields=_event_fields(
        _text("record_type", "记录类型", "kind of enforcement record", required=True,
              allowed=("judgment_debtor", "spending_restriction", "terminated_case",
                       "asset_seizure")),
        _text("case_no", "案号", "case number", required=True, length=64),
        _text("court", "执行法院", "enforcing court", length=64),
        _money("amount", "执行标的（元）", "amount to enforce, CNY", required=False),
        _money("unpaid_amount", "未履行金额（元）", "amount still unpaid, CNY", required=False),
        _text("property_certificate_no", "查封财产权证号",
              "certificate number of the seized property (compared with the collateral)",
              length=64),
        date_zh="立案或发布日期", date_en="filing or publication date",
    ),
    key=("source", "source_record_id"),
    hash_key_field="source_record_id",
    type_field="record_type",
    event_types={
        "judgment_debtor": EventType.COURT_ENFORCEMENT.value,
        "spending_restriction": EventType.COURT_ENFORCEMENT.value,
        "terminated_case": EventType.COURT_ENFORCEMENT.value,
        "asset_seizure": EventType.COURT_ENFORCEMENT.value,
    },
    compliance="Public judicial data: keep source, time and matching confidence (§5.2).",
)

DISHONEST_DEBTORS = Feed(
    name="dishonest_debtors",
    kind=FeedKind.EXTERNAL_EVENT,
    zh="失信被执行人名单",
    en="dishonest judgment debtor list",
    source_zh="中国执行信息公开网（失信被执行人查询）",
    source_en="China Enforcement Information Disclosure, dishonest-debtor list",
    fields=_event_fields(
        _text("record_type", "记录类型", "put on the list, or taken off it", required=True,
              allowed=("listed", "removed")),
        _text("case_no", "案号", "case number", required=True, length=64),
        _text("court", "执行法院", "enforcing court", length=64),
        _text("performance", "履行情况", "how far the obligation was performed",
              allowed=("unperformed", "partially_performed", "performed")),
        _text("behaviour", "失信行为情形", "the dishonest behaviour found", length=500),
        date_zh="发布日期", date_en="publication date",
    ),
    key=("source", "source_record_id"),
    hash_key_field="source_record_id",
    type_field="record_type",
    event_types={
        "listed": EventType.DISHONEST_DEBTOR.value,
        "removed": EventType.DISHONEST_DEBTOR.value,
    },
    compliance="Public judicial data: keep source, time and matching confidence (§5.2).",
)

LAWSUITS = Feed(
    name="lawsuits",
    kind=FeedKind.EXTERNAL_EVENT,
    zh="涉诉信息（立案、开庭公告、裁判文书）",
    en="lawsuits and judgments: filings, court-session notices, judgments",
    source_zh="中国裁判文书网、人民法院公告网",
    source_en="China Judgments Online; People's Court Announcements",
    fields=_event_fields(
        _text("record_type", "记录类型", "kind of court record", required=True,
              allowed=("filing", "court_session", "judgment")),
        _text("role", "诉讼地位", "the person's role in the case", required=True,
              allowed=("defendant", "plaintiff", "third_party")),
        _text("case_no", "案号", "case number", required=True, length=64),
        _text("case_cause", "案由", "cause of action", length=128),
        _text("court", "法院", "court", length=64),
        _money("amount", "涉案金额（元）", "amount in dispute, CNY", required=False),
        date_zh="立案、开庭或裁判日期", date_en="filing, session or judgment date",
    ),
    key=("source", "source_record_id"),
    hash_key_field="source_record_id",
    type_field="record_type",
    event_types={
        "filing": EventType.LAWSUIT.value,
        "court_session": EventType.LAWSUIT.value,
        "judgment": EventType.LAWSUIT.value,
    },
    compliance="Public judicial data: keep source, time and matching confidence (§5.2).",
)

BUSINESS_REGISTRY = Feed(
    name="business_registry",
    kind=FeedKind.EXTERNAL_EVENT,
    zh="工商登记变更与经营异常名录",
    en="business registry changes and the abnormal-operation list",
    source_zh="国家企业信用信息公示系统、信用中国",
    source_en="National Enterprise Credit Information Publicity System; Credit China",
    fields=_event_fields(
        _text("record_type", "记录类型", "kind of registry record", required=True,
              allowed=("legal_rep_change", "address_change", "equity_freeze",
                       "administrative_penalty", "abnormal_operation_listed",
                       "abnormal_operation_removed", "serious_violation_listed",
                       "deregistration", "bankruptcy")),
        _text("company_name", "企业名称", "enterprise name", required=True, length=128),
        FeedField("credit_code", FieldType.CREDIT_CODE, False, "统一社会信用代码",
                  "unified social credit code of the enterprise"),
        _text("subject_role", "关联身份", "the person's link to the enterprise", required=True,
              allowed=("legal_representative", "owner", "shareholder", "employee")),
        _text("reason", "列入或变更事由", "reason for the listing or change", length=500),
        date_zh="变更、列入或决定日期", date_en="date of the change, listing or decision",
        subject_zh="关联自然人姓名",
        subject_en="name of the person linked to the enterprise (the borrower)",
    ),
    key=("source", "source_record_id"),
    hash_key_field="source_record_id",
    type_field="record_type",
    event_types={
        "legal_rep_change": REGISTRY_CHANGE,
        "address_change": REGISTRY_CHANGE,
        "equity_freeze": REGISTRY_CHANGE,
        "administrative_penalty": REGISTRY_CHANGE,
        "abnormal_operation_listed": EventType.ABNORMAL_OPERATION.value,
        "abnormal_operation_removed": EventType.ABNORMAL_OPERATION.value,
        "serious_violation_listed": EventType.ABNORMAL_OPERATION.value,
        "deregistration": EventType.BUSINESS_DEREGISTRATION.value,
        "bankruptcy": EventType.BUSINESS_DEREGISTRATION.value,
    },
    compliance="Public registry data: keep source, time and matching confidence (§5.2).",
)

CREDIT_BUREAU = Feed(
    name="credit_bureau",
    kind=FeedKind.EXTERNAL_EVENT,
    zh="征信更新",
    en="credit bureau updates",
    source_zh="人民银行征信中心（二代征信）或持牌个人征信机构（百行征信、朴道征信）",
    source_en="PBOC Credit Reference Center, or a licensed personal credit agency "
              "(Baihang, Pudao)",
    fields=_event_fields(
        _text("authorisation_ref", "借款人授权书编号",
              "reference of the borrower's written authorisation to query", required=True,
              length=64),
        _count("overdue_accounts", "他行逾期账户数", "accounts overdue at other lenders",
               required=True),
        _count("max_days_past_due", "他行最长逾期天数", "longest DPD at other lenders",
               required=False),
        _count("hard_inquiries_3m", "近3个月硬查询次数", "hard inquiries in 3 months",
               required=False),
        _money("total_debt", "负债总额（元）", "total debt, CNY", required=False),
        _money("monthly_debt_service", "月还款额（元）", "monthly debt service, CNY",
               required=False),
        FeedField("npl_elsewhere", FieldType.BOOLEAN, True, "他行不良",
                  "a non-performing loan at another lender"),
        date_zh="报告日期", date_en="report date",
        sources=("pboc_crc", "baihang", "pudao"),
        record_id_required=True,
        id_type=FieldType.RESIDENT_ID,
        id_required=True,
        subject_zh="借款人姓名", subject_en="borrower's name",
    ),
    key=("source", "source_record_id"),
    default_event_type=EventType.CREDIT_BUREAU_UPDATE.value,
    id_match_only=True,
    compliance="Credit information (征信业务管理办法): only from a licensed agency, with the "
               "borrower's written authorisation; matched by resident ID only (§5.2).",
)

UTILITY_ARREARS = Feed(
    name="utility_arrears",
    kind=FeedKind.EXTERNAL_EVENT,
    zh="水电燃气欠费",
    en="utility arrears",
    source_zh="供水、供电、燃气、供暖公司（经借款人授权）",
    source_en="water, power, gas and heating companies (with the borrower's consent)",
    fields=_event_fields(
        _text("utility", "费用类别", "which utility", required=True,
              allowed=("water", "electricity", "gas", "heating")),
        _text("account_no", "户号", "utility account number", length=64),
        _money("arrears_amount", "欠费金额（元）", "amount in arrears, CNY", required=True),
        _count("months_in_arrears", "欠费月数", "months in arrears", required=True),
        _text("address", "用户地址", "service address", length=200),
        date_zh="统计日期", date_en="date the arrears were measured",
    ),
    key=("source", "source_record_id"),
    hash_key_field="source_record_id",
    default_event_type=EventType.UTILITY_ARREARS.value,
    compliance="Personal data under PIPL: separate consent, minimum fields (§5.2).",
)

HOUSE_PRICE_INDEX = Feed(
    name="house_price_index",
    kind=FeedKind.MARKET,
    zh="房价指数（70个大中城市）",
    en="house price index (70 cities)",
    source_zh="国家统计局70个大中城市商品住宅销售价格变动情况",
    source_en="NBS 70-city residential sales price index, monthly",
    fields=(
        FeedField("month", FieldType.MONTH, True, "月份", "month of the index",
                  not_future=True),
        _text("city", "城市", "city", required=True, length=32),
        _text("house_type", "住宅类型", "new or second-hand homes", required=True,
              allowed=("新房", "二手房")),
        _text("segment", "面积段", "floor-area segment", required=True,
              allowed=("整体", "90m2及以下", "90-144m2", "144m2以上")),
        FeedField("value", FieldType.DECIMAL, True, "指数值", "index value",
                  min_value=Decimal(0), exclusive_min=True, decimals=6),
        _text("source", "数据来源", "publisher", length=64),
    ),
    key=("month", "city", "house_type", "segment"),
    compliance="Public statistics.",
)

FEEDS: Final[dict[str, Feed]] = {
    feed.name: feed
    for feed in (REPAYMENTS, COURT_ENFORCEMENT, DISHONEST_DEBTORS, LAWSUITS, BUSINESS_REGISTRY,
                 CREDIT_BUREAU, UTILITY_ARREARS, HOUSE_PRICE_INDEX)
}


def get_feed(feed: Feed | str) -> Feed:
    """The feed itself, or the registered feed of that name."""
    if isinstance(feed, Feed):
        return feed
    try:
        return FEEDS[feed]
    except KeyError:
        raise KeyError(f"unknown feed {feed!r}; known: {', '.join(FEEDS)}") from None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def feed_docs(feeds: Mapping[str, Feed] | None = None) -> str:
    """Markdown documentation of every feed: source, key, event types and a field table."""
    chosen = FEEDS if feeds is None else feeds
    out: list[str] = [
        "# 数据接入规范 / Ingestion feeds",
        "",
        "Files may be CSV (UTF-8, header on line 1, one record per line), Parquet, JSON lines "
        "or a JSON array; feeds can also be pulled over HTTP. Columns not listed are dropped. "
        "A rejected record is quarantined with its line number, field and reason; the other "
        "records of the file are kept. Re-importing a file adds nothing.",
        "",
        "Value types:",
        "",
    ]
    out += [f"- `{t.value}` ({zh}): {en}" for t, (zh, en) in FIELD_TYPE_DOCS.items()]
    for feed in chosen.values():
        out += ["", f"## `{feed.name}`: {feed.zh} ({feed.en})", "",
                f"- 来源 / source: {feed.source_zh}; {feed.source_en}",
                f"- 幂等键 / idempotency key: ({', '.join(f'`{k}`' for k in feed.key)})"
                + (f"; `{feed.hash_key_field}` defaults to `sha256:<content hash>`"
                   if feed.hash_key_field else "")]
        if feed.loan_field:
            out.append(f"- `{feed.loan_field}` must be a loan in the book")
        if feed.is_event:
            if feed.type_field:
                pairs = ", ".join(f"`{k}` → `{v}`" for k, v in feed.event_types.items())
                out.append(f"- event type by `{feed.type_field}`: {pairs}")
            else:
                out.append(f"- event type: `{feed.default_event_type}`")
            out.append("- borrower matching: "
                       + ("by resident ID number only" if feed.id_match_only else
                          "by resident ID number; a name-only match is low confidence and "
                          "raises at most a blue warning"))
        if feed.compliance:
            out.append(f"- 合规 / compliance: {feed.compliance}")
        out += ["", "| field | type | required | allowed values / limits | 中文 | English |",
                "| --- | --- | --- | --- | --- | --- |"]
        for f in feed.fields:
            out.append(f"| `{f.name}` | {f.type.value} | {'yes' if f.required else 'no'} | "
                       f"{_cell(f.constraints())} | {_cell(f.zh)} | {_cell(f.en)} |")
    return "\n".join(out) + "\n"
