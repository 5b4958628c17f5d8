"""Decide how to handle a warning: the level to confirm, the measures and the verification
deadline, graded by the monitoring rules (the level the signals aggregate to), the handling
policy (measures allowed for the level, deadline in working days over the holiday calendar)
and the rubric of the training data (measures required by level and signal family)."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any, ClassVar

from mortgage_risk.domain import DomainError
from mortgage_risk.monitoring.handling import LEVELS
from mortgage_risk.training import answers
from mortgage_risk.training.engine_calls import warning_of_case
from mortgage_risk.training.exercise_base import Exercise
from mortgage_risk.training.grades import PartResult, weighted

LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}


class WarningHandlingExercise(Exercise):
    type: ClassVar[str] = "warning_handling"
    prompt_zh: ClassVar[str] = ("根据预警信号和借款人情况，确定应确认的预警等级、应采取的处置措施"
                                "和核实截止日。")
    prompt_en: ClassVar[str] = ("From the signals and the borrower's situation, give the level "
                                "to confirm, the measures to take and the verification deadline.")

    @cached_property
    def warning(self) -> dict[str, Any]:
        return warning_of_case(self.case.engine_input)

    @property
    def opened_on(self) -> date:
        return date.fromisoformat(str(self.case.engine_input["opened_on"]))

    @property
    def level(self) -> str:
        return str(self.warning["level"])

    def allowed(self, level: str) -> list[str]:
        return [m.code for m in self.engines.handling.measures_for(level)]

    def required(self, level: str) -> list[str]:
        """Measures the rubric requires at ``level``, in the catalogue's order."""
        rubric = self.config.warning
        allowed = self.allowed(level)
        wanted = set(rubric.required_measures[level])
        for code in wanted:
            if code not in allowed:
                raise DomainError(f"training.grading.warning_handling.required_measures.{level}",
                                  f"{code!r} is not a measure for a {level} warning in "
                                  f"{self.engines.handling.version}")
        for family in self.warning["families"]:
            wanted |= {c for c in rubric.required_by_family.get(str(family), ()) if c in allowed}
        return [c for c in allowed if c in wanted]

    def deadline(self) -> date | None:
        return self.engines.handling.deadline(self.level, self.opened_on)

    def expected(self) -> dict[str, Any]:
        due = self.deadline()
        return {"level": self.level, "measures": self.required(self.level),
                "verification_deadline": None if due is None else due.isoformat()}

    def check(self, answer: Any) -> dict[str, Any]:
        raw = answers.obj(answer, {"level", "measures", "verification_deadline"})
        level = answers.choice(raw["level"], "answer.level", LEVELS, "level")
        measures = answers.codes(raw["measures"], "answer.measures",
                                 set(self.engines.handling.measures), "measure")
        due = answers.iso_date(raw["verification_deadline"], "answer.verification_deadline",
                               nullable=True)
        if due is not None and due < self.opened_on:
            raise DomainError("answer.verification_deadline",
                              f"must not be before the warning date {self.opened_on.isoformat()}")
        return {"level": level, "measures": measures, "verification_deadline": due}

    def reference(self) -> dict[str, Any]:
        h = self.engines.handling
        return {
            "policy_version": h.version,
            "levels": [{"level": lv, "zh": LEVEL_ZH[lv],
                        "verify_within_working_days": h.deadlines[lv]} for lv in LEVELS],
            "measures": [{"code": m.code, "zh": m.zh, "en": m.en, "levels": list(m.levels)}
                         for m in h.measures.values()],
            "level_rule_zh": "预警等级取各信号的最高等级；仅按姓名匹配的信号最高为蓝色。",
            "level_rule_en": "The warning's level is its highest signal's level; a signal "
                             "matched by name only is at most blue.",
            "holidays_years": list(h.calendar.years),
        }

    def answer_form(self) -> dict[str, Any]:
        return {"fields": {"level": "blue / yellow / orange / red",
                           "measures": "list of measure codes / 措施代码列表",
                           "verification_deadline": "YYYY-MM-DD, or null when there is none"},
                "example": {"level": "yellow", "measures": ["watch_list"],
                            "verification_deadline": "2026-01-09"}}

    def _grade(self, answer: dict[str, Any]
               ) -> tuple[float, list[PartResult], list[str], list[str]]:
        rubric = self.config.warning
        level, due = self.level, self.deadline()
        allowed, required = self.allowed(level), self.required(level)
        chosen = list(answer["measures"])
        wrong = [c for c in chosen if c not in allowed]
        hits = [c for c in required if c in chosen]
        denominator = len(required) + len(wrong)
        measures_score = 1.0 if denominator == 0 else len(hits) / denominator
        scores = {"level": 1.0 if answer["level"] == level else 0.0,
                  "measures": measures_score,
                  "deadline": 1.0 if answer["verification_deadline"] == due else 0.0}
        parts = [
            PartResult("level", scores["level"], scores["level"] == 1.0, level, answer["level"]),
            PartResult("measures", measures_score, measures_score == 1.0, required, chosen),
            PartResult("verification_deadline", scores["deadline"], scores["deadline"] == 1.0,
                       due, answer["verification_deadline"]),
        ]
        score = weighted(scores, rubric.weights)
        zh, en = self._explain(level, due, allowed, required, chosen, wrong)
        zh.append(f"得分 {score:.0%}。")
        en.append(f"Score {score:.0%}.")
        return score, parts, zh, en

    def _explain(self, level: str, due: date | None, allowed: list[str], required: list[str],
                 chosen: list[str], wrong: list[str]) -> tuple[list[str], list[str]]:
        h = self.engines.handling
        names = {i.id: i for i in self.engines.indicators.indicators}
        top = str(self.warning["top_indicator_id"])
        top_zh = names[top].name_zh if top in names else top
        zh = [f"预警等级：{LEVEL_ZH[level]}（最高信号 {top} {top_zh}）。"]
        en = [f"Level: {level} (highest signal {top} "
              f"{names[top].name_en if top in names else ''})."]
        for s in self.case.engine_input["signals"]:
            ind = names.get(str(s["indicator_id"]))
            capped = "，按姓名匹配封顶为蓝色" if s.get("capped") else ""
            zh.append(f"· {s['indicator_id']} {ind.name_zh if ind else ''}：值 {s['value']:g}，"
                      f"达到{LEVEL_ZH.get(str(s['level']), s['level'])}{capped}")
            en.append(f"· {s['indicator_id']} {ind.name_en if ind else ''}: value "
                      f"{s['value']:g}, level {s['level']}"
                      f"{' (capped: matched by name only)' if s.get('capped') else ''}")
        days = h.deadlines[level]
        if due is None:
            zh.append(f"{LEVEL_ZH[level]}预警无核实期限，在下次例行检查时核实。")
            en.append(f"A {level} warning has no verification deadline: verify at the next "
                      "routine check.")
        else:
            zh.append(f"{LEVEL_ZH[level]}预警须在 {days} 个工作日内核实：自 "
                      f"{self.opened_on.isoformat()} 起按节假日安排顺延，截止 {due.isoformat()}。")
            en.append(f"A {level} warning is verified within {days} working day(s): from "
                      f"{self.opened_on.isoformat()} over the holiday calendar, by "
                      f"{due.isoformat()}.")
        zh.append("该等级可采取的措施：" + "、".join(
            f"{h.measures[c].zh}（{c}）" for c in allowed) + "。")
        en.append("Measures allowed at this level: " + ", ".join(allowed) + ".")
        zh.append("培训评分要求的措施：" + "、".join(h.measures[c].zh for c in required) + "。")
        en.append("Measures the rubric requires: " + ", ".join(required) + ".")
        missed = [c for c in required if c not in chosen]
        if missed:
            zh.append("漏选：" + "、".join(h.measures[c].zh for c in missed) + "。")
            en.append("Missed: " + ", ".join(missed) + ".")
        if wrong:
            zh.append("不适用于该等级的措施：" + "、".join(h.measures[c].zh for c in wrong) + "。")
            en.append("Not allowed at this level: " + ", ".join(wrong) + ".")
        if h.opens_review(level):
            zh.append(f"确认后须在 {h.review_within_working_days} 个工作日内复核五级分类。")
            en.append(f"Once confirmed, the loans' classification is reviewed within "
                      f"{h.review_within_working_days} working days.")
        return zh, en
