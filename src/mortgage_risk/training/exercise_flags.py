"""Find the risk flags in an application: graded by ``identification.screen``.

The answer names the rule ids the trainee finds; the score is the F-score (beta from the
training data) of those against the rules the engine fires. The explanation gives each fired
rule's message and condition, and why each wrongly named rule does not fire.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from mortgage_risk.identification import Screening, default_schema, policy_values
from mortgage_risk.training import answers
from mortgage_risk.training.engine_calls import screen_case
from mortgage_risk.training.exercise_base import Exercise
from mortgage_risk.training.grades import PartResult

SEVERITY_ZH = {"info": "提示", "warn": "关注", "refer": "提交上级", "reject": "否决"}


def f_score(expected: set[str], given: set[str], beta: float) -> tuple[float, float, float]:
    """Precision, recall and F-beta; nothing expected and nothing given scores 1."""
    if not expected and not given:
        return 1.0, 1.0, 1.0
    hits = len(expected & given)
    if hits == 0:
        return 0.0, 0.0, 0.0
    p, r = hits / len(given), hits / len(expected)
    b2 = beta * beta
    return p, r, (1 + b2) * p * r / (b2 * p + r)


class FlagsExercise(Exercise):
    type: ClassVar[str] = "flags"
    prompt_zh: ClassVar[str] = ("阅读申请资料，按本社风险识别规则找出该笔申请会触发的全部风险信号，"
                                "列出规则编号。")
    prompt_en: ClassVar[str] = ("Read the application and list the id of every identification "
                                "rule of the union it raises.")

    @cached_property
    def screening(self) -> Screening:
        return screen_case(self.case.engine_input, self.engines.rules)

    def expected(self) -> dict[str, Any]:
        return {"rule_ids": list(self.screening.fired)}

    def check(self, answer: Any) -> tuple[str, ...]:
        raw = answers.obj(answer, {"rule_ids"})
        known = {r.id for r in self.engines.rules.enabled}
        return answers.codes(raw["rule_ids"], "answer.rule_ids", known, "rule id")

    def reference(self) -> dict[str, Any]:
        schema = default_schema()
        params = []
        for name, value in policy_values().items():
            fact = schema.get(name)
            params.append({"name": name, "value": value,
                           "zh": None if fact is None else fact.description_zh,
                           "en": None if fact is None else fact.description_en})
        return {
            "ruleset_version": self.engines.rules.version,
            "rules": [{"id": r.id, "category": r.category.value,
                       "category_zh": r.category.label_zh, "severity": r.severity.value,
                       "severity_zh": SEVERITY_ZH.get(r.severity.value, r.severity.value),
                       "message_zh": r.message_zh, "message_en": r.message_en,
                       "condition": r.condition} for r in self.engines.rules.enabled],
            "policy": params,
        }

    def answer_form(self) -> dict[str, Any]:
        return {"fields": {"rule_ids": "list of rule ids / 规则编号列表"},
                "example": {"rule_ids": ["XX01", "XX02"]}}

    def _grade(self, answer: tuple[str, ...]
               ) -> tuple[float, list[PartResult], list[str], list[str]]:
        fired = list(self.screening.fired)
        expected, given = set(fired), set(answer)
        p, r, score = f_score(expected, given, self.config.flags_beta)
        rules = {x.id: x for x in self.engines.rules.rules}
        order = fired + sorted(given - expected)
        parts = [PartResult(rid, 1.0 if (rid in expected) == (rid in given) else 0.0,
                            (rid in expected) == (rid in given), rid in expected, rid in given)
                 for rid in order]
        zh = [f"规则集 {self.screening.ruleset_version}：本申请触发 {len(fired)} 条规则。"]
        en = [f"Rule set {self.screening.ruleset_version}: the application raises "
              f"{len(fired)} rule(s)."]
        for flag in self.screening.flags:
            rule = rules[flag.rule_id]
            mark_zh = "✓ 已找出" if flag.rule_id in given else "✗ 漏选"
            mark_en = "found" if flag.rule_id in given else "missed"
            zh.append(f"{flag.rule_id}【{SEVERITY_ZH.get(flag.severity.value)}】"
                      f"{flag.message_zh}（条件：{rule.condition}）{mark_zh}")
            en.append(f"{flag.rule_id} [{flag.severity.value}] {flag.message_en} "
                      f"(condition: {rule.condition}) — {mark_en}")
        for rid in sorted(given - expected):
            rule = rules[rid]
            zh.append(f"{rid} 未触发：条件 {rule.condition} 不成立（{rule.message_zh}）✗ 误选")
            en.append(f"{rid} does not fire: {rule.condition} is false ({rule.message_en}) "
                      "— wrongly named")
        zh.append(f"查准率 {p:.0%}，查全率 {r:.0%}，得分 {score:.0%}。")
        en.append(f"Precision {p:.0%}, recall {r:.0%}, score {score:.0%}.")
        return score, parts, zh, en
