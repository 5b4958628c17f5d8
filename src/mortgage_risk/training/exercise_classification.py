"""Classify loans into the five categories: graded by ``monitoring.classification.classify_one``
on each loan of the case; the explanation gives the engine's reasons per loan."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from mortgage_risk.domain import DomainError, FiveCategory
from mortgage_risk.monitoring.classification import ClassificationResult
from mortgage_risk.monitoring.policy import rank
from mortgage_risk.training import answers
from mortgage_risk.training.engine_calls import classify_case
from mortgage_risk.training.exercise_base import Exercise
from mortgage_risk.training.grades import PartResult

#: Codes and Chinese labels a trainee may write.
CATEGORY_WORDS = {**{c.value: c for c in FiveCategory}, **{c.label_zh: c for c in FiveCategory}}


class ClassificationExercise(Exercise):
    type: ClassVar[str] = "classification"
    prompt_zh: ClassVar[str] = ("按《商业银行金融资产风险分类办法》和本社分类政策，确定每笔贷款在"
                                "分类日的五级分类。")
    prompt_en: ClassVar[str] = ("Classify each loan into the five categories on the as-of date "
                                "under the 2023 Measures and the union's policy.")

    @cached_property
    def results(self) -> dict[str, ClassificationResult]:
        return classify_case(self.case.engine_input, self.engines.monitoring)

    def expected(self) -> dict[str, Any]:
        return {"categories": {ref: r.category.value for ref, r in self.results.items()}}

    def check(self, answer: Any) -> dict[str, FiveCategory]:
        raw = answers.obj(answer, {"categories"})["categories"]
        path = "answer.categories"
        if not isinstance(raw, dict):
            raise DomainError(path, f"must be an object of loan: category; got "
                                    f"{type(raw).__name__}")
        refs = list(self.results)
        for key in raw:
            if key not in self.results:
                raise DomainError(f"{path}.{key}", f"unknown loan; the loans are "
                                                   f"{', '.join(refs)}")
        out: dict[str, FiveCategory] = {}
        for ref in refs:
            if ref not in raw:
                raise DomainError(f"{path}.{ref}", "is required: classify every loan")
            word = raw[ref]
            if not isinstance(word, str) or word.strip() not in CATEGORY_WORDS:
                raise DomainError(f"{path}.{ref}", f"unknown category {word!r}; one of "
                                                   f"{', '.join(c.value for c in FiveCategory)}"
                                                   " (or 正常/关注/次级/可疑/损失)")
            out[ref] = CATEGORY_WORDS[word.strip()]
        return out

    def reference(self) -> dict[str, Any]:
        policy = self.engines.monitoring
        rules = policy.classification
        return {
            "policy_version": policy.version,
            "technical_delay_days": rules.technical_delay_days,
            "dpd_floors": [{"above_days": f.above_days, "category": f.category.value,
                            "category_zh": f.category.label_zh} for f in rules.dpd_floors],
            "written_off_category": rules.written_off_category.value,
            "event_overrides": {k: {"min_category": v.min_category.value, "scope": v.scope,
                                    "zh": v.zh, "en": v.en}
                                for k, v in policy.event_overrides.items()},
            "upgrade": {"gate": policy.upgrade.gate, "min_periods": policy.upgrade.min_periods,
                        "min_months": policy.upgrade.min_months},
            "categories": [{"code": c.value, "zh": c.label_zh, "en": c.label_en}
                           for c in FiveCategory],
        }

    def answer_form(self) -> dict[str, Any]:
        refs = list(self.results)
        return {"fields": {"categories": "loan → category code or 正常/关注/次级/可疑/损失"},
                "example": {"categories": dict.fromkeys(refs, "normal")}}

    def _grade(self, answer: dict[str, FiveCategory]
               ) -> tuple[float, list[PartResult], list[str], list[str]]:
        credit = self.config.one_class_off_credit
        policy = self.engines.monitoring
        parts, zh, en = [], [], []
        for ref, result in self.results.items():
            given = answer[ref]
            off = abs(rank(given) - rank(result.category))
            score = 1.0 if off == 0 else (credit if off == 1 else 0.0)
            parts.append(PartResult(ref, score, off == 0, result.category.value, given.value))
            mark_zh = "✓" if off == 0 else f"✗（你的答案：{given.label_zh}）"
            mark_en = "right" if off == 0 else f"wrong (you said {given.label_en})"
            zh.append(f"{ref}：{result.category.label_zh} {mark_zh}；依据："
                      + "；".join(result.explain(policy, "zh")[:len(result.reasons)]))
            en.append(f"{ref}: {result.category.label_en} — {mark_en}; "
                      + "; ".join(result.explain(policy, "en")))
        total = sum(p.score for p in parts) / len(parts) if parts else 1.0
        zh.append(f"得分 {total:.0%}（{sum(p.correct for p in parts)}/{len(parts)} 笔正确）。")
        en.append(f"Score {total:.0%} ({sum(p.correct for p in parts)}/{len(parts)} right).")
        return total, parts, zh, en
