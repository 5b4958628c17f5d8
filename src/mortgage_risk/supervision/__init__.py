"""Post-loan supervision (贷后监督): compliance checks over loan files, sampling for manual
review, findings with rectification, accountability and statistics.

Pure: no database, web or file I/O beyond the package's own default check set. The checks are
written in the identification rule language over the facts of :mod:`.facts`.
"""

from mortgage_risk.supervision.accountability import (
    AccountabilityRecord,
    accountability,
    accountability_frame,
)
from mortgage_risk.supervision.checks import (
    Check,
    CheckSet,
    check_audit_chain,
    check_frame,
    default_checkset,
    run_checks,
)
from mortgage_risk.supervision.facts import (
    ChainBreak,
    ChainReport,
    FactParameters,
    audit_facts,
    facts_frame,
    file_facts,
    file_schema,
    responsible_staff,
)
from mortgage_risk.supervision.findings import (
    Finding,
    FindingDraft,
    FindingEvent,
    FindingSeverity,
    FindingStatus,
    RectificationTerms,
    ResponsibleRole,
    StaffRef,
    open_finding,
)
from mortgage_risk.supervision.loan_file import (
    ApplicationRecord,
    AssessmentRecord,
    CreditDecision,
    LoanFile,
    LoanRecord,
    SiteVisit,
    WarningCase,
    WorkflowEvent,
)
from mortgage_risk.supervision.sampling import (
    SampledFile,
    SamplingWeights,
    random_sample,
    risk_sample,
    sampling_profile,
)
from mortgage_risk.supervision.statistics import (
    branch_statistics,
    files_frame,
    findings_frame,
    officer_statistics,
    statistics,
    warnings_frame,
)

__all__ = [
    "AccountabilityRecord", "ApplicationRecord", "AssessmentRecord", "ChainBreak", "ChainReport",
    "Check", "CheckSet", "CreditDecision", "FactParameters", "Finding", "FindingDraft",
    "FindingEvent", "FindingSeverity", "FindingStatus", "LoanFile", "LoanRecord",
    "RectificationTerms", "ResponsibleRole", "SampledFile", "SamplingWeights", "SiteVisit",
    "StaffRef", "WarningCase", "WorkflowEvent", "accountability", "accountability_frame",
    "audit_facts", "branch_statistics", "check_audit_chain", "check_frame", "default_checkset",
    "facts_frame", "file_facts", "file_schema", "files_frame", "findings_frame",
    "officer_statistics", "open_finding", "random_sample", "responsible_staff", "risk_sample",
    "run_checks", "sampling_profile", "statistics", "warnings_frame",
]
