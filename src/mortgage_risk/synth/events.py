"""External events: court enforcement, dishonest-debtor listings, lawsuits, business
deregistration and the like, from public sources. Defaulters are hit some months ahead of
default (early warnings), others at random (false alarms); some records carry only a name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mortgage_risk.synth.applicants import Applicants
from mortgage_risk.synth.frames import nullable_int
from mortgage_risk.synth.months import month_date
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.synth.performance import Performance

_DETAIL = {
    "court_enforcement": "被列为被执行人，执行标的{amt}元",
    "dishonest_debtor": "被列入失信被执行人名单，执行标的{amt}元",
    "lawsuit": "民间借贷纠纷被诉，诉讼标的{amt}元",
    "business_deregistration": "个体工商户注销登记",
    "abnormal_operation": "被列入经营异常名录：未按期公示年度报告",
    "collateral_seizure": "抵押物被法院查封，查封期限三年",
    "death_or_illness": "重大疾病住院或户籍注销",
}


def _events_of_type(
    rng: np.random.Generator,
    ev: dict[str, Any],
    etype: str,
    eligible: np.ndarray,
    o: np.ndarray,
    default_month: np.ndarray,
    t_asof: int,
    as_of64: np.datetime64,
) -> tuple[np.ndarray, np.ndarray]:
    """(loan position, event date) of the events of one type: ahead of default for the
    defaulters hit, any month after origination for the false alarms."""
    n = len(o)
    defaulted = default_month >= 0
    hit_def = defaulted & eligible & (rng.random(n) < ev["defaulter_probability"][etype])
    hit_fa = ~defaulted & eligible & (rng.random(n) < ev["false_alarm_probability"][etype])
    idx_d = np.flatnonzero(hit_def)
    idx_f = np.flatnonzero(hit_fa)
    lead_lo, lead_hi = ev["lead_months"]
    m_d = default_month[idx_d] + rng.integers(lead_lo, lead_hi + 1, len(idx_d))
    span = np.maximum(t_asof - o[idx_f], 1)
    m_f = o[idx_f] + 1 + np.floor(rng.random(len(idx_f)) * span).astype(np.int64)
    idx = np.r_[idx_d, idx_f]
    mon = np.clip(np.r_[m_d, m_f], o[idx] + 1, t_asof)
    day = month_date(mon, rng.integers(1, 29, len(idx)))
    return idx, np.minimum(day, as_of64)


def external_events(
    rng: np.random.Generator,
    params: SynthParams,
    la: Applicants,
    borrower_id: np.ndarray,
    name: np.ndarray,
    rid: np.ndarray,
    perf: Performance,
    t_asof: int,
    as_of64: np.datetime64,
    offset: int,
) -> pd.DataFrame:
    """Events about the loans' borrowers, in date order, with ids from ``offset + 1``."""
    ev = params.events
    n = len(borrower_id)
    business = la["segment"] == "business_owner"
    parts = []
    for etype, src in ev["sources"].items():
        eligible = business if etype in ev["business_only"] else np.ones(n, dtype=bool)
        idx, day = _events_of_type(
            rng, ev, etype, eligible, la["orig_m"], perf.default_month, t_asof, as_of64
        )
        parts.append(
            pd.DataFrame({"i": idx, "event_type": etype, "source": src, "event_date": day})
        )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["event_date", "i", "event_type"], kind="stable").reset_index(
        drop=True
    )
    return _event_records(rng, ev, frame, borrower_id, name, rid, offset)


def _event_records(
    rng: np.random.Generator,
    ev: dict[str, Any],
    frame: pd.DataFrame,
    borrower_id: np.ndarray,
    name: np.ndarray,
    rid: np.ndarray,
    offset: int,
) -> pd.DataFrame:
    """The external_events rows: matched by resident ID or by name only, with a detail text
    and the time the union received the record."""
    k = len(frame)
    i = frame["i"].to_numpy()
    name_only = rng.random(k) < ev["name_only_share"]
    amt = (np.round(rng.lognormal(11.0, 0.8, k), -2)).astype(np.int64)
    detail = [
        _DETAIL[t].format(amt=f"{x:,}") for t, x in zip(frame["event_type"], amt, strict=True)
    ]
    received = (
        pd.to_datetime(frame["event_date"])
        + pd.to_timedelta(rng.integers(1, 11, k), unit="D")
        + pd.to_timedelta(rng.integers(8 * 3600, 20 * 3600, k), unit="s")
    ).dt.tz_localize("Asia/Shanghai")
    ids = offset + 1 + np.arange(k)
    missing = np.full(k, None, dtype=object)
    return pd.DataFrame(
        {
            "id": ids,
            "borrower_id": nullable_int(borrower_id[i], ~name_only),
            "event_type": frame["event_type"].to_numpy(dtype=object),
            "event_date": pd.to_datetime(frame["event_date"]).astype("datetime64[ns]"),
            "source": frame["source"].to_numpy(dtype=object),
            "subject_name": name[i],
            "subject_resident_id": np.where(name_only, None, rid[i]),
            "match_confidence": np.where(name_only, "name_only", "resident_id").astype(object),
            "detail": np.asarray(detail, dtype=object),
            "received_at": received.to_numpy(),
            # the feed's own record key (re-imports add nothing); the rest only for imports
            "source_record_id": np.asarray([f"SYN-{x}" for x in ids], dtype=object),
            "sub_type": pd.array(missing, dtype="string"),
            "loan_id": pd.array([None] * k, dtype="Int64"),
            "level_cap": pd.array(np.where(name_only, "blue", None), dtype="string"),
            "payload": pd.array(missing, dtype="string"),
            "import_batch_id": pd.array([None] * k, dtype="Int64"),
        }
    )
