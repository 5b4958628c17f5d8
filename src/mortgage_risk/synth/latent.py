"""The latent default model (docs/synthetic-portfolio-model.md): a loan's monthly hazard of
entering delinquency is the logistic of a static predictor (segment, property type, location,
DTI, frailty) plus revalued LTV, seasoning and macro stress terms."""

from __future__ import annotations

import numpy as np

from mortgage_risk.synth.params import SynthParams


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def static_predictor(params: SynthParams, a: dict[str, np.ndarray]) -> np.ndarray:
    """The part of the linear predictor fixed at origination."""
    lm = params.latent_model
    seg = np.vectorize(lm["segment_effect"].get, otypes=[float])(a["segment"])
    pt = np.vectorize(lm["property_type_effect"].get, otypes=[float])(a["ptype"])
    loc = np.vectorize(lm["location_effect"].get, otypes=[float])(a["branch_kind"])
    dti = lm["dti_coef"] * (np.minimum(a["dti"], 1.0) - lm["dti_center"])
    return lm["intercept"] + seg + pt + loc + dti + a["frailty"]


def macro_weights(params: SynthParams, segment: np.ndarray) -> np.ndarray:
    """How strongly each borrower's segment feels the macro stress path."""
    weights = params.latent_model["macro_stress_weight"]
    return np.vectorize(weights.get, otypes=[float])(segment)


def hpi_amplitudes(params: SynthParams, ptype: np.ndarray) -> np.ndarray:
    """How much of the proxy city's price index moves each property type's value."""
    return np.vectorize(lambda t: params.property_types[t]["hpi_amplitude"], otypes=[float])(ptype)


def seasoning(params: SynthParams, age: np.ndarray) -> np.ndarray:
    s = params.latent_model["seasoning"]
    x = np.maximum(age, 0) / s["peak_month"]
    return s["peak_effect"] * x * np.exp(1.0 - x)


def monthly_hazard(
    params: SynthParams,
    static: np.ndarray,
    ltv: np.ndarray,
    age: np.ndarray,
    macro: float | np.ndarray,
    macro_w: np.ndarray,
) -> np.ndarray:
    """P(a current loan misses this month's installment)."""
    lm = params.latent_model
    lp = (
        static
        + lm["ltv_coef"] * (ltv - lm["ltv_center"])
        + seasoning(params, age)
        + macro * macro_w
    )
    return logistic(lp)


def default_reach_probability(params: SynthParams) -> float:
    """P(a delinquency spell starting at 1 installment behind reaches 4 behind)."""
    ch = params.delinquency_chain
    q = 1.0
    for k in range(3):
        c, s = ch["cure"][k], ch["stay"][k]
        roll = 1.0 - c - s
        q *= roll / (roll + c)
    return q


def pd_12m(
    params: SynthParams,
    static: np.ndarray,
    age0: np.ndarray,
    ltv: np.ndarray,
    macro: float | np.ndarray,
    macro_w: np.ndarray,
) -> np.ndarray:
    """True 12-month default probability from loan age ``age0`` with LTV and macro held."""
    q = default_reach_probability(params)
    surv = np.ones(len(static))
    for step in range(1, 13):
        surv *= 1.0 - monthly_hazard(params, static, ltv, age0 + step, macro, macro_w) * q
    return 1.0 - surv
