"""SQLAlchemy tables of the mortgage book. Money columns are NUMERIC(18, 2) in CNY.

The tables are plain rows; repositories turn them into domain objects where a process
needs them. The synthetic generator writes the same columns in bulk.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(18, 2, asdecimal=True)
Rate = Numeric(9, 6, asdecimal=True)
Area = Numeric(12, 2, asdecimal=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class BranchRow(Base):
    __tablename__ = "branches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    township: Mapped[str] = mapped_column(String(64))


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BorrowerRow(Base):
    __tablename__ = "borrowers"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    segment: Mapped[str] = mapped_column(String(32))
    township: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    household_income: Mapped[Decimal] = mapped_column(Money)
    dependants: Mapped[int] = mapped_column(Integer, default=0)
    bureau_overdue_accounts: Mapped[int] = mapped_column(Integer, default=0)
    bureau_max_dpd_24m: Mapped[int] = mapped_column(Integer, default=0)
    bureau_hard_inquiries_3m: Mapped[int] = mapped_column(Integer, default=0)
    bureau_npl_elsewhere: Mapped[bool] = mapped_column(Boolean, default=False)
    other_monthly_debt: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class PropertyRow(Base):
    __tablename__ = "properties"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    property_type: Mapped[str] = mapped_column(String(32))
    land_nature: Mapped[str] = mapped_column(String(32))
    structure: Mapped[str | None] = mapped_column(String(32))
    storeys: Mapped[int | None] = mapped_column(Integer)
    build_year: Mapped[int | None] = mapped_column(Integer)
    floor_area: Mapped[Decimal] = mapped_column(Area)
    land_area: Mapped[Decimal] = mapped_column(Area)
    land_term_remaining_years: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    township: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(255))
    ownership_certificate_no: Mapped[str] = mapped_column(String(64), default="")
    land_certificate_no: Mapped[str] = mapped_column(String(64), default="")
    registration_status: Mapped[str] = mapped_column(String(32))
    seized: Mapped[bool] = mapped_column(Boolean, default=False)
    existing_mortgage: Mapped[bool] = mapped_column(Boolean, default=False)
    small_property_rights: Mapped[bool] = mapped_column(Boolean, default=False)
    illegal_building: Mapped[bool] = mapped_column(Boolean, default=False)
    appraised_value: Mapped[Decimal] = mapped_column(Money)
    appraisal_date: Mapped[date] = mapped_column(Date)


class ApplicationRow(Base):
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_no: Mapped[str] = mapped_column(String(32), unique=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    term_months: Mapped[int] = mapped_column(Integer)
    repayment_method: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(64))
    purchase_price: Mapped[Decimal | None] = mapped_column(Money)
    co_owner_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    first_home: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(32))
    submitted_on: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)


class LoanRow(Base):
    __tablename__ = "loans"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contract_no: Mapped[str] = mapped_column(String(32), unique=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    principal: Mapped[Decimal] = mapped_column(Money)
    term_months: Mapped[int] = mapped_column(Integer)
    annual_rate: Mapped[Decimal] = mapped_column(Rate)
    repayment_method: Mapped[str] = mapped_column(String(32))
    origination_date: Mapped[date] = mapped_column(Date)
    maturity_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    outstanding_principal: Mapped[Decimal] = mapped_column(Money)
    overdue_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    five_category: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[date] = mapped_column(Date)


class ScheduleRow(Base):
    __tablename__ = "repayment_schedule"
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    period_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_date: Mapped[date] = mapped_column(Date)
    principal_due: Mapped[Decimal] = mapped_column(Money)
    interest_due: Mapped[Decimal] = mapped_column(Money)
    balance_after: Mapped[Decimal] = mapped_column(Money)


class RepaymentRow(Base):
    __tablename__ = "repayments"
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    period_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_date: Mapped[date] = mapped_column(Date)
    amount_due: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    paid_date: Mapped[date | None] = mapped_column(Date)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)


class ExternalEventRow(Base):
    __tablename__ = "external_events"
    __table_args__ = (Index("ix_external_events_subject", "subject_resident_id"),
                      UniqueConstraint("source", "source_record_id"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    borrower_id: Mapped[int | None] = mapped_column(ForeignKey("borrowers.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    event_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64))
    subject_name: Mapped[str] = mapped_column(String(64))
    subject_resident_id: Mapped[str | None] = mapped_column(String(18))
    match_confidence: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # from an imported feed: the record's own key (re-imports add nothing), its sub-type, the
    # loan it names, the highest warning level a weak match may raise, the feed's fields
    source_record_id: Mapped[str | None] = mapped_column(String(128))
    sub_type: Mapped[str | None] = mapped_column(String(32))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    level_cap: Mapped[str | None] = mapped_column(String(8))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class AuditRow(Base):
    """Append-only, hash-chained record of every write."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class PortfolioSeedRow(Base):
    """Which synthetic book the database holds, so `make run` seeds it only once."""

    __tablename__ = "portfolio_seed"
    __table_args__ = (UniqueConstraint("seed", "loans", "as_of"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seed: Mapped[int] = mapped_column(Integer)
    loans: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    generator_version: Mapped[str] = mapped_column(String(32))


class ScorecardModelRow(Base):
    """A scorecard in the model registry: trained → validated → approved → active → retired.

    At most one active model per loan product, enforced by a partial unique index.
    """

    __tablename__ = "scorecard_models"
    __table_args__ = (
        Index(
            "uq_scorecard_models_one_active",
            "product",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    artifact: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    trained_by: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    validation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    validated_by: Mapped[str | None] = mapped_column(String(64))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApplicationScoreRow(Base):
    """The scorecard's verdict on an application, naming the model version that gave it."""

    __tablename__ = "application_scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("scorecard_models.id"))
    model_version: Mapped[str] = mapped_column(String(64))
    feature_params_version: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    pd: Mapped[Decimal] = mapped_column(Numeric(12, 10))
    grade: Mapped[str] = mapped_column(String(8))
    reason_codes: Mapped[list[Any]] = mapped_column(JSON)
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    scored_by: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ParameterSetRow(Base):
    """A versioned set of parameters (valuation tables, caps, ...) as JSON.

    Drafts are edited by risk managers; activating one retires the kind's previous active set.
    Every stored result names the version it used.
    """

    __tablename__ = "parameter_sets"
    __table_args__ = (
        UniqueConstraint("kind", "version"),
        Index(
            "uq_parameter_sets_one_active",
            "kind",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_by: Mapped[str | None] = mapped_column(String(64))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ValuationRow(Base):
    """A collateral valuation with its full breakdown and the parameter version used."""

    __tablename__ = "valuations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"), index=True)
    valuation_date: Mapped[date] = mapped_column(Date)
    params_version: Mapped[str] = mapped_column(String(64))
    approaches: Mapped[list[str]] = mapped_column(JSON)
    market_value: Mapped[Decimal] = mapped_column(Money)
    mortgage_value: Mapped[Decimal] = mapped_column(Money)
    net_mortgage_value: Mapped[Decimal] = mapped_column(Money)
    eligible: Mapped[bool] = mapped_column(Boolean)
    loan_amount: Mapped[Decimal | None] = mapped_column(Money)
    ltv: Mapped[Decimal | None] = mapped_column(Numeric(10, 6))
    lgd: Mapped[Decimal | None] = mapped_column(Numeric(10, 6))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    valued_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WorkflowEventRow(Base):
    """One step of an application through the origination workflow."""

    __tablename__ = "workflow_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SiteVisitRow(Base):
    """The loan officer's on-site visit (实地调查) with its findings and evidence."""

    __tablename__ = "site_visits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    officer: Mapped[str] = mapped_column(String(64))
    occupancy: Mapped[str] = mapped_column(String(32))
    collateral_condition: Mapped[str] = mapped_column(String(32))
    income_verified: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[Any]] = mapped_column(JSON)
    observed: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AssessmentRow(Base):
    """The engines' verdict on an application; written once, never updated.

    Names the versions of the scorecard, the rule set, the valuation parameters and the credit
    policy that produced it.
    """

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recommendation: Mapped[str] = mapped_column(String(32))
    authority_level: Mapped[str] = mapped_column(String(32))
    pd: Mapped[Decimal] = mapped_column(Numeric(12, 10))
    grade: Mapped[str] = mapped_column(String(8))
    limit_amount: Mapped[Decimal] = mapped_column(Money)
    approved_amount: Mapped[Decimal] = mapped_column(Money)
    annual_rate: Mapped[Decimal] = mapped_column(Rate)
    expected_loss: Mapped[Decimal] = mapped_column(Money)
    valuation_id: Mapped[int | None] = mapped_column(ForeignKey("valuations.id"))
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))


class CreditDecisionRow(Base):
    """A person's decision at review or approval, with override and authority details."""

    __tablename__ = "credit_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    stage: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(32))
    decided_by: Mapped[str] = mapped_column(String(64))
    authority_level: Mapped[str] = mapped_column(String(32))
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[str] = mapped_column(Text, default="")
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    annual_rate: Mapped[Decimal | None] = mapped_column(Rate)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContractRow(Base):
    __tablename__ = "loan_contracts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    contract_no: Mapped[str] = mapped_column(String(32), unique=True)
    signed_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    annual_rate: Mapped[Decimal] = mapped_column(Rate)
    term_months: Mapped[int] = mapped_column(Integer)
    repayment_method: Mapped[str] = mapped_column(String(32))
    signed_by: Mapped[str] = mapped_column(String(64))


class MortgageRegistrationRow(Base):
    """The registry's certificate (不动产登记证明): the mortgage exists from registration."""

    __tablename__ = "mortgage_registrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"), index=True)
    certificate_no: Mapped[str] = mapped_column(String(64), unique=True)
    registered_on: Mapped[date] = mapped_column(Date)
    registry_office: Mapped[str] = mapped_column(String(128))
    recorded_by: Mapped[str] = mapped_column(String(64))


# --------------------------------------------------------------------------- monitoring


class ImportBatchRow(Base):
    """One import of one feed file or pull: what came in and where each record went."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImportRejectionRow(Base):
    """A quarantined record: its line, the field and the reason, and the record as read."""

    __tablename__ = "import_rejections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    line: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="rejected")  # or "duplicate"


class MonitoringRunRow(Base):
    """A published monitoring run for an as-of date (a re-run replaces the row)."""

    __tablename__ = "monitoring_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, unique=True)
    run_id: Mapped[str] = mapped_column(String(32))
    engine: Mapped[str] = mapped_column(String(16))
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    classification: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Numeric(12, 3, asdecimal=False))
    run_by: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WarningCaseRow(Base):
    """A warning on a borrower and its handling: assigned, verified, measures, closed."""

    __tablename__ = "warning_cases"
    __table_args__ = (Index("ix_warning_cases_status_deadline", "status", "deadline"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    level_rank: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    opened_on: Mapped[date] = mapped_column(Date)
    last_seen_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    low_confidence_only: Mapped[bool] = mapped_column(Boolean, default=False)
    indicator_ids: Mapped[list[str]] = mapped_column(JSON)
    loan_ids: Mapped[list[int]] = mapped_column(JSON)
    top_indicator_id: Mapped[str] = mapped_column(String(64))
    signal_count: Mapped[int] = mapped_column(Integer)
    verified_level: Mapped[str | None] = mapped_column(String(8))
    false_positive: Mapped[bool | None] = mapped_column(Boolean)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(64))


class WarningActionRow(Base):
    """One step in handling a warning: who, when, what, with evidence or a measure."""

    __tablename__ = "warning_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warning_cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    on_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WarningMeasureRow(Base):
    """A measure taken on a confirmed warning, with its due date and completion."""

    __tablename__ = "warning_measures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warning_cases.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)


class LoanClassificationRow(Base):
    """A loan's five-category class at a run, with the reasons and the policy version."""

    __tablename__ = "loan_classifications"
    __table_args__ = (UniqueConstraint("loan_id", "as_of"),
                      Index("ix_loan_classifications_as_of", "as_of"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    as_of: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(16))
    previous_category: Mapped[str | None] = mapped_column(String(16))
    dpd_floor_category: Mapped[str] = mapped_column(String(16))
    driver: Mapped[str] = mapped_column(String(24))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    policy_version: Mapped[str] = mapped_column(String(64))


class ManualClassificationRow(Base):
    """A person's classification of a loan: a downgrade applies at once, an upgrade once a
    second person approves it."""

    __tablename__ = "manual_classifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(12))  # downgrade | upgrade
    status: Mapped[str] = mapped_column(String(12))  # effective | pending | rejected
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_on: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[date | None] = mapped_column(Date)
    effective_date: Mapped[date | None] = mapped_column(Date)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("classification_reviews.id"))


class ClassificationReviewRow(Base):
    """A classification review of a loan, opened by a confirmed orange or red warning."""

    __tablename__ = "classification_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warning_cases.id"), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # open | decided
    category_before: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class RestructuringRow(Base):
    """A restructuring of a loan (重组), which the classification watches in observation."""

    __tablename__ = "restructurings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    restructure_date: Mapped[date] = mapped_column(Date)
    pre_category: Mapped[str] = mapped_column(String(16))
    observation_start: Mapped[date | None] = mapped_column(Date)
    difficulty_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))


class ApiTokenRow(Base):
    """An API token for an integration (the core banking system): only the SHA-256 of the
    secret is kept; ``prefix`` (its first 8 characters) lets a user tell tokens apart."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------- supervision


class SupervisionRunRow(Base):
    """A run of the compliance checks over every loan file, with the check set's version."""

    __tablename__ = "supervision_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    checkset_version: Mapped[str] = mapped_column(String(64))
    files_checked: Mapped[int] = mapped_column(Integer)
    findings_opened: Mapped[int] = mapped_column(Integer)
    findings_seen: Mapped[int] = mapped_column(Integer)
    chain_intact: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_by: Mapped[str] = mapped_column(String(64))
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FindingRow(Base):
    """A supervision finding: the failed check, the file, who answers for it, the deadline to
    rectify, and its state (open → rectifying → rectified → closed by a supervisor)."""

    __tablename__ = "supervision_findings"
    __table_args__ = (Index("ix_supervision_findings_status_deadline", "status", "deadline"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_runs.id"), index=True)
    check_id: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(12))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    file_key: Mapped[str] = mapped_column(String(64), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    responsible: Mapped[str] = mapped_column(String(64), index=True)
    responsible_role: Mapped[str] = mapped_column(String(32))
    opened_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    checkset_version: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[list[Any] | None] = mapped_column(JSON)
    rectified_on: Mapped[date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class FindingActionRow(Base):
    """One step in following up a finding: who, when, what."""

    __tablename__ = "supervision_finding_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("supervision_findings.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SupervisionSampleRow(Base):
    """Loan files drawn for manual review: the method, the seed and why each was picked."""

    __tablename__ = "supervision_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    method: Mapped[str] = mapped_column(String(12))  # random | risk
    seed: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    items: Mapped[list[Any]] = mapped_column(JSON)
    checkset_version: Mapped[str] = mapped_column(String(64))
    drawn_by: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------- training


class ExerciseSetRow(Base):
    """A trainer's exercise set: cases from a reproducible case library, a topic, a pass mark."""

    __tablename__ = "training_sets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(32), index=True)
    library_seed: Mapped[int] = mapped_column(Integer)
    library_size: Mapped[int] = mapped_column(Integer)
    case_ids: Mapped[list[str]] = mapped_column(JSON)
    pass_mark: Mapped[float | None] = mapped_column(Numeric(5, 4, asdecimal=False))
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    config_version: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AttemptRow(Base):
    """A staff member's attempt at a set: the answers, each grade and the score."""

    __tablename__ = "training_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("training_sets.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    grades: Mapped[list[Any]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Numeric(6, 4, asdecimal=False))
    passed: Mapped[bool] = mapped_column(Boolean)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)


class CertificationRow(Base):
    """A certification by topic, granted by a passed attempt, valid until ``expires_on``."""

    __tablename__ = "certifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str] = mapped_column(String(32))
    granted_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("training_attempts.id"))
    config_version: Mapped[str] = mapped_column(String(64))
