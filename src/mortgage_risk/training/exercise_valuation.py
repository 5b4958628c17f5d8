"""Value a property: newness rate, land value and mortgage value, graded against the result of
``valuation.request`` (the JSON valuation request the system runs) within the tolerances of the
training data. The explanation is the engine's breakdown, step by step."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar

from mortgage_risk.domain import DomainError
from mortgage_risk.training import answers
from mortgage_risk.training.engine_calls import value_case
from mortgage_risk.training.exercise_base import Exercise
from mortgage_risk.training.grades import PartResult, weighted
from mortgage_risk.valuation import ValuationResult
from mortgage_risk.valuation.request import ValuationRequest

CENT = Decimal("0.01")
FIELDS = ("newness_rate", "land_value", "mortgage_value")


class ValuationExercise(Exercise):
    type: ClassVar[str] = "valuation"
    prompt_zh: ClassVar[str] = ("按成本法评估该抵押物：给出综合成新率（小数）、土地价值和抵押价值"
                                "（元）。")
    prompt_en: ClassVar[str] = ("Value the collateral by the cost approach: give the combined "
                                "newness rate (a fraction), the land value and the mortgage value "
                                "(CNY).")

    @cached_property
    def result(self) -> ValuationResult:
        return value_case(self.case.engine_input, self.engines.valuation)

    def _land_value(self) -> Decimal:
        cost = self.result.cost
        return Decimal(0) if cost is None else cost.land.value.quantize(CENT)

    def expected(self) -> dict[str, Any]:
        newness = self.result.newness
        return {"newness_rate": None if newness is None else round(newness, 4),
                "land_value": str(self._land_value()),
                "mortgage_value": str(self.result.mortgage_value.quantize(CENT))}

    def check(self, answer: Any) -> dict[str, Any]:
        raw = answers.obj(answer, set(FIELDS))
        newness: float | None
        if raw["newness_rate"] is None and self.result.newness is None:
            newness = None
        else:
            newness = answers.fraction(raw["newness_rate"], "answer.newness_rate")
        return {"newness_rate": newness,
                "land_value": answers.amount(raw["land_value"], "answer.land_value"),
                "mortgage_value": answers.amount(raw["mortgage_value"], "answer.mortgage_value")}

    def reference(self) -> dict[str, Any]:
        params = self.engines.valuation
        request = ValuationRequest.from_dict(self.case.engine_input["request"])
        s = request.subject
        out: dict[str, Any] = {"params_version": params.version,
                               "age_weight": params.observed.age_weight,
                               "report_rounding": str(params.reconciliation.report_rounding)}
        try:
            if s.structure is not None:
                use = s.resolved_building_use()
                life, residual, _ = params.life_and_residual(s.structure.value, use)
                out["building"] = {
                    "building_use": use, "economic_life": life, "residual_rate": residual,
                    "unit_replacement_cost": str(params.unit_cost(
                        s.structure.value, s.construction_grade, float(s.floor_area)))}
                if s.storeys is not None:
                    out["building"]["observed_weights"] = list(
                        params.observed.weights_for(s.structure.value, s.storeys))
            land_use = s.resolved_land_use(params)
            bench = params.land.benchmark.get(land_use) if land_use is not None else None
            if bench is not None:
                out["land"] = {
                    "land_use": land_use, "grade": s.land_grade,
                    "benchmark_price": (None if s.land_grade is None
                                        else str(bench.prices.get(s.land_grade))),
                    "r": bench.r, "reference_term": bench.term,
                    "factor_coefficients": {f: bench.factors.get(f, {}).get(level)
                                            for f, level in s.land_factor_levels.items()},
                    "homestead_pilot": bool(params.pilot_county.get("rural_housing", False))}
        except DomainError:
            pass
        kinds = params.priority_claims.kinds
        out["claim_kinds"] = {k: {"zh": v.zh, "en": v.en} for k, v in kinds.items()}
        return out

    def answer_form(self) -> dict[str, Any]:
        return {"fields": {"newness_rate": "fraction in [0, 1] / 成新率（小数）",
                           "land_value": "CNY / 元", "mortgage_value": "CNY / 元"},
                "example": {"newness_rate": 0.75, "land_value": "120000.00",
                            "mortgage_value": "300000"}}

    def _within(self, given: Decimal, expected: Decimal, share: float) -> bool:
        tol = max(abs(expected) * Decimal(str(share)), self.config.valuation.minimum_cny)
        return abs(given - expected) <= tol

    def _grade(self, answer: dict[str, Any]
               ) -> tuple[float, list[PartResult], list[str], list[str]]:
        g = self.config.valuation
        exp = self.expected()
        q = self.result.newness
        given_q = answer["newness_rate"]
        newness_ok = (given_q is None and q is None) or (
            given_q is not None and q is not None and abs(given_q - q) <= g.newness_points + 1e-9)
        land = self._land_value()
        mortgage = self.result.mortgage_value
        ok = {"newness_rate": newness_ok,
              "land_value": self._within(answer["land_value"], land, g.land_share),
              "mortgage_value": self._within(answer["mortgage_value"], mortgage,
                                             g.mortgage_share)}
        parts = [PartResult(k, 1.0 if ok[k] else 0.0, ok[k], exp[k],
                            answer[k] if k == "newness_rate" else str(answer[k]))
                 for k in FIELDS]
        score = weighted({k: 1.0 if ok[k] else 0.0 for k in FIELDS}, g.weights)
        zh, en = explain(self.result)
        zh.append(f"容差：成新率 ±{g.newness_points * 100:g} 个百分点，价值 ±{g.land_share:.0%}"
                  f"（至少 {g.minimum_cny} 元）。得分 {score:.0%}。")
        en.append(f"Tolerances: newness ±{g.newness_points * 100:g} points, values "
                  f"±{g.land_share:.0%} (at least CNY {g.minimum_cny}). Score {score:.0%}.")
        return score, parts, zh, en


def explain(result: ValuationResult) -> tuple[list[str], list[str]]:
    """The engine's breakdown as Chinese and English lines."""
    zh = [f"估值参数 {result.params_version}，估值日 {result.valuation_date.isoformat()}。"]
    en = [f"Parameters {result.params_version}, valuation date "
          f"{result.valuation_date.isoformat()}."]
    cost = result.cost
    if cost is not None and cost.building is not None:
        n = cost.building.newness
        cut_zh = "（土地年限截断，R=0）" if n.truncated_by_land_term else ""
        cut_en = " (truncated by the land term, R = 0)" if n.truncated_by_land_term else ""
        zh.append(f"年限法成新率：房龄 t={n.age:g} 年，经济耐用年限 N={n.economic_life:g}"
                  f"{cut_zh}，残值率 R={n.residual_rate:.0%}；q_age = 1 − (1 − R)·t/N = "
                  f"{n.q_age:.4f}（不低于 R）。")
        en.append(f"Age-life newness: age {n.age:g}, economic life {n.economic_life:g}{cut_en}, "
                  f"residual {n.residual_rate:.0%}: q_age = 1 − (1 − R)·t/N = {n.q_age:.4f} "
                  "(floored at R).")
        if n.q_score is not None and n.score_weights is not None:
            w = n.score_weights
            zh.append(f"打分法成新率：权重 {w[0]:g}/{w[1]:g}/{w[2]:g}，q_score = {n.q_score:.4f}；"
                      f"综合成新率 = {n.w_age:g}×q_age + {1 - n.w_age:g}×q_score = "
                      f"{n.newness_rate:.4f}。")
            en.append(f"Observed newness: weights {w[0]:g}/{w[1]:g}/{w[2]:g}, q_score = "
                      f"{n.q_score:.4f}; combined = {n.w_age:g}×q_age + {1 - n.w_age:g}×q_score "
                      f"= {n.newness_rate:.4f}.")
        else:
            zh.append(f"无打分法成新率：综合成新率 = 年限法成新率 = {n.newness_rate:.4f}。")
            en.append(f"No observed score: newness = age-life newness = {n.newness_rate:.4f}.")
        b = cost.building
        zh.append(f"建筑物：重置单价 {b.unit_replacement_cost} 元/㎡ × {b.floor_area} ㎡ = "
                  f"{b.replacement_cost:.2f}；× 成新率 = {b.depreciated:.2f}；减功能折旧 "
                  f"{b.functional_obsolescence}、外部折旧 {b.external_obsolescence} = "
                  f"{b.value:.2f} 元。")
        en.append(f"Building: unit cost {b.unit_replacement_cost} × {b.floor_area} m² = "
                  f"{b.replacement_cost:.2f}; × newness = {b.depreciated:.2f}; less functional "
                  f"{b.functional_obsolescence} and external {b.external_obsolescence} = "
                  f"{b.value:.2f}.")
    if cost is not None:
        land = cost.land
        if land.method == "benchmark_land_price":
            ky = "" if land.m is None else f"，K_y（r={land.r:g}，m={land.m:g}，n={land.n:g}）"
            zh.append(f"土地（基准地价系数修正法）：P_b={land.benchmark_price}，ΣK={land.sum_k:+.4f}，"
                      f"K_t={land.kt:g}，K_v={land.kv:g}{ky}={land.ky:.6f}；单价 "
                      f"{land.unit_price:.2f} × {land.area} ㎡ = {land.value:.2f} 元。")
            en.append(f"Land (benchmark price correction): P_b={land.benchmark_price}, "
                      f"ΣK={land.sum_k:+.4f}, K_t={land.kt:g}, K_v={land.kv:g}, "
                      f"K_y={land.ky:.6f}; unit {land.unit_price:.2f} × {land.area} m² = "
                      f"{land.value:.2f}.")
        elif land.method == "homestead_not_valued":
            zh.append("土地：宅基地在非试点县不估值，土地价值为 0。")
            en.append("Land: homestead land is valued at 0 outside a pilot county.")
        else:
            zh.append(f"土地（{land.method}）：{land.value:.2f} 元。")
            en.append(f"Land ({land.method}): {land.value:.2f}.")
        zh.append(f"成本法价值 = 土地 + 建筑物 = {cost.value:.2f}；取整后市场价值 "
                  f"{result.market_value} 元。")
        en.append(f"Cost value = land + building = {cost.value:.2f}; rounded market value "
                  f"{result.market_value}.")
    layers = result.layers
    zh.append(f"法定优先受偿款 {layers.priority_claims_total:.2f} 元；"
              f"抵押价值 = 市场价值 − 优先受偿款 = {result.mortgage_value} 元。")
    en.append(f"Statutory priority claims {layers.priority_claims_total:.2f}; mortgage value = "
              f"market value − claims = {result.mortgage_value}.")
    if result.warnings:
        zh.append("引擎提示：" + "；".join(result.warnings))
        en.append("Engine notes: " + "; ".join(result.warnings))
    return zh, en
