"""Scorecard work on files: train from a CSV, evaluate on a sample, score a file in chunks.

Outputs are written to a temporary file and renamed into place, so a failure leaves no
partial output.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mortgage_risk.scoring import FeatureSelector, Scorecard, artifact
from mortgage_risk.scoring.metrics import validation_report
from mortgage_risk.services.errors import InvalidInput

CHUNK_ROWS = 100_000


def read_table(path: Path, field: str = "data") -> pd.DataFrame:
    """A whole CSV or Parquet file, refusing an empty one."""
    if not path.exists():
        raise InvalidInput(f"no file {path}", field=field)
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{path} is empty", field=field) from None
    if frame.empty:
        raise InvalidInput(f"{path} has a header but no rows", field=field)
    return frame


def _split_target(
    frame: pd.DataFrame, target: str, exclude: list[str]
) -> tuple[pd.DataFrame, pd.Series]:
    if target not in frame.columns:
        raise InvalidInput(f"column {target!r} is not in the data", field="target")
    unknown = [c for c in exclude if c not in frame.columns]
    if unknown:
        raise InvalidInput(f"column {unknown[0]!r} is not in the data", field="exclude")
    return frame.drop(columns=[target, *exclude]), frame[target]


def _categoricals(frame: pd.DataFrame) -> list[str]:
    return [
        str(c)
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    ]


def train(
    data: Path,
    *,
    target: str,
    out: Path,
    exclude: list[str] | None = None,
    bad_value: Any = None,
    model_version: str | None = None,
    select: bool = True,
) -> Scorecard:
    """Fit a scorecard on ``data`` and save its JSON artifact to ``out``."""
    from mortgage_risk.scoring import BinningProcess

    frame = read_table(data)
    X, y = _split_target(frame, target, exclude or [])
    model = Scorecard(
        binning_process=BinningProcess(categorical_variables=_categoricals(X)),
        selector=FeatureSelector() if select else None,
        bad_value=bad_value,
    )
    try:
        model.fit(X, y)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(str(exc), field="data") from None
    artifact.save(model, out, model_version=model_version)
    return model


def load_model(path: Path) -> Scorecard:
    if not path.exists():
        raise InvalidInput(f"no file {path}", field="model")
    try:
        return artifact.load(path)
    except artifact.ArtifactError as exc:
        raise InvalidInput(str(exc), field="model") from None


def evaluate(
    model_path: Path, data: Path, *, target: str, base: Path | None = None, bad_value: Any = None
) -> dict[str, Any]:
    """Validation metrics of a saved model on ``data`` (PSI and CSI against ``base``)."""
    model = load_model(model_path)
    frame = read_table(data)
    X, y = _split_target(frame, target, [])
    base_X = read_table(base, field="base") if base is not None else None
    try:
        return validation_report(model, X, y.to_numpy(), base_X, bad_value=bad_value)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(str(exc), field="data") from None


def _chunks(path: Path) -> Iterator[pd.DataFrame]:
    if path.suffix == ".parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
            yield batch.to_pandas()
    else:
        try:
            yield from pd.read_csv(path, chunksize=CHUNK_ROWS)
        except pd.errors.EmptyDataError:
            raise InvalidInput(f"{path} is empty", field="data") from None


@contextmanager
def _atomic(out: Path) -> Iterator[Path]:
    fd, tmp = tempfile.mkstemp(
        prefix=f".{out.name}.", suffix=out.suffix, dir=out.parent if str(out.parent) else "."
    )
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def scored_chunk(model: Scorecard, chunk: pd.DataFrame) -> pd.DataFrame:
    reasons = model.reason_codes(chunk)
    out = chunk.copy()
    out["score"] = model.score(chunk)
    out["pd"] = model.pd(chunk)
    out["grade"] = model.grade(chunk)
    for i in range(1, model.n_reason_codes + 1):
        if f"reason_{i}" in reasons:
            out[f"reason_{i}"] = reasons[f"reason_{i}"].to_numpy()
    return out


def score_file(
    model_path: Path, data: Path, out: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Score ``data`` chunk by chunk into ``out`` (CSV or Parquet); returns the row count."""
    model = load_model(model_path)
    if not data.exists():
        raise InvalidInput(f"no file {data}", field="data")
    rows = 0
    with _atomic(out) as tmp:
        writer: pq.ParquetWriter | None = None
        try:
            for i, chunk in enumerate(_chunks(data)):
                try:
                    scored = scored_chunk(model, chunk)
                except (ValueError, KeyError, TypeError) as exc:
                    raise InvalidInput(
                        f"rows {rows + 1}-{rows + len(chunk)}: {exc}", field="data"
                    ) from None
                if out.suffix == ".parquet":
                    table = pa.Table.from_pandas(scored, preserve_index=False)
                    writer = writer or pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table.cast(writer.schema))
                else:
                    scored.to_csv(tmp, mode="w" if i == 0 else "a", header=i == 0, index=False)
                rows += len(chunk)
                if progress:
                    progress(len(chunk))
        finally:
            if writer is not None:
                writer.close()
        if rows == 0:
            raise InvalidInput(f"{data} has no rows", field="data")
    return rows
