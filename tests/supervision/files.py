"""Loan files for supervision tests: a clean file that passes every default check, and edits."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

from mortgage_risk.supervision import LoanFile

AS_OF = date(2026, 6, 30)

Edit = Callable[[dict[str, Any]], None]


def clean_file(file_id: int = 101, *, branch_id: int = 3, officer: str = "li.wei"
               ) -> dict[str, Any]:
    """A disbursed mortgage whose file is in order: maker, reviewer and approver differ; the
    visit and a fresh valuation precede the approval; the contract follows it; the mortgage is
    registered before the money leaves; the loan is current and its one warning was verified
    in time."""
    return {
        "application": {"id": file_id, "no": f"AP20260105{file_id:06d}", "branch_id": branch_id,
                        "officer": officer, "amount": "400000.00",
                        "submitted_on": "2026-01-05", "status": "disbursed"},
        "events": [
            {"step": "submit", "actor": officer, "at": "2026-01-05T09:00:00+08:00"},
            {"step": "record_visit", "actor": officer, "at": "2026-01-07T16:00:00+08:00"},
            {"step": "assess", "actor": officer, "at": "2026-01-08T10:00:00+08:00"},
            {"step": "review", "actor": "zhao.min", "at": "2026-01-09T11:00:00+08:00"},
            {"step": "approve", "actor": "wang.fang", "at": "2026-01-12T15:00:00+08:00"},
            {"step": "sign_contract", "actor": officer, "at": "2026-01-14T10:00:00+08:00"},
            {"step": "register_mortgage", "actor": officer, "at": "2026-01-20T10:00:00+08:00"},
            {"step": "disburse", "actor": officer, "at": "2026-01-22T10:00:00+08:00"},
        ],
        "visits": [{"visited_on": "2026-01-07", "officer": officer}],
        "assessments": [{"created_at": "2026-01-08T10:00:00+08:00",
                         "authority_level": "branch_head", "recommendation": "approve",
                         "versions": {"rules": "identification-rules-2026.1"}}],
        "decisions": [{"stage": "approval", "decision": "approve", "decided_by": "wang.fang",
                       "decider_role": "approver", "decider_level": "branch_head",
                       "authority_level": "branch_head", "override": False, "reasons": "",
                       "at": "2026-01-12T15:00:00+08:00"}],
        "valuation_dates": ["2025-12-20"],
        "contract_signed_on": "2026-01-14",
        "registered_on": "2026-01-20",
        "disbursed_on": "2026-01-22",
        "loan": {"id": 9000 + file_id, "days_past_due": 0, "five_category": "normal",
                 "status": "active", "origination_date": "2026-01-22",
                 "first_missed_due_on": None},
        "warnings": [{"id": 1, "level": "yellow", "opened_on": "2026-03-02",
                      "deadline": "2026-03-09", "verified_on": "2026-03-05",
                      "closed_on": "2026-03-10", "closed_by": "zhao.min", "status": "closed",
                      "assigned_to": officer}],
    }


def edited(*edits: Edit, file_id: int = 101, officer: str = "li.wei") -> LoanFile:
    data = copy.deepcopy(clean_file(file_id, officer=officer))
    for edit in edits:
        edit(data)
    return LoanFile.from_dict(data)


# --------------------------------------------------------------------------- edits

def decision(**changes: Any) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d["decisions"][0].update(changes)
    return edit


def step_actor(step: str, actor: str) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        for e in d["events"]:
            if e["step"] == step:
                e["actor"] = actor
    return edit


def setting(key: str, value: Any) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d[key] = value
    return edit


def loan(**changes: Any) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d["loan"].update(changes)
    return edit


def warning(**changes: Any) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d["warnings"][0].update(changes)
    return edit


def recommendation(value: str) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d["assessments"][0]["recommendation"] = value
    return edit


def add_review_decision(by: str) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d["decisions"].insert(0, {"stage": "review", "decision": "agree", "decided_by": by,
                                  "decider_role": "reviewer", "decider_level": None,
                                  "authority_level": None, "override": False, "reasons": "",
                                  "at": "2026-01-09T11:00:00+08:00"})
    return edit


OVERRIDE_OK = decision(override=True, reasons="借款人追加保证人，风险可控",
                       decider_role="risk_manager", decider_level="credit_committee")
