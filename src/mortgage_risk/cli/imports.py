"""`import`: repayment records, external feeds and the house price index into the book, with
the quarantine of bad rows; `import list` and `import rejections` read the batches back."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from mortgage_risk.cli.common import (
    acting_user,
    console,
    fail,
    one_line_errors,
    open_database,
    progress_bar,
    stage_progress,
)

if TYPE_CHECKING:
    from mortgage_risk.services.imports import BatchView, ImportSummary

import_app = typer.Typer(
    help="数据导入：还款记录、外部数据与房价指数，坏行隔离 · Import repayment records, external "
         "feeds and the house price index; bad rows are quarantined with their line numbers, "
         "a re-import adds nothing.",
    no_args_is_help=True)

ActorOption = Annotated[str, typer.Option(
    "--as", help="操作人用户名 · Username of the staff member acting (risk manager or admin).")]
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="数据日期 · Records dated after this day (YYYY-MM-DD) are rejected as in the "
                    "future (default: the configured as-of date, else today).")]
FormatOption = Annotated[str | None, typer.Option(
    "--format", help="文件格式 · csv, parquet, jsonl or json (default: from the file suffix).")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON · Print one JSON object.")]
#: Rejections printed after an import; the rest are shown by `import rejections`.
SHOWN_REJECTIONS = 20


def _day(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        fail(f"as_of: {raw!r} is not a date (YYYY-MM-DD)")


def _run(feed: str, source: str | Path, actor: str, as_of: str | None, as_json: bool,
         **options: Any) -> None:
    from mortgage_risk.config import get_settings
    from mortgage_risk.services.imports import import_feed_into_db

    day = _day(as_of)
    with one_line_errors(), open_database().uow() as uow:
        user = acting_user(uow, actor)
        if as_json:
            summary = import_feed_into_db(uow, actor=user, feed=feed, source=source, as_of=day,
                                          var_dir=get_settings().var_dir, **options)
        else:
            with progress_bar() as progress:
                summary = import_feed_into_db(
                    uow, actor=user, feed=feed, source=source, as_of=day,
                    var_dir=get_settings().var_dir, progress=stage_progress(progress),
                    **options)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        _print_summary(summary, actor)


def _counts_table(title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for label in ("读取 read", "接受 accepted", "拒绝 rejected", "重复 duplicates"):
        table.add_column(label, justify="right")
    return table


def _print_summary(summary: ImportSummary, actor: str) -> None:
    batch = summary.batch
    table = _counts_table(f"导入批次 batch {batch.id} · {batch.feed} · {batch.source}")
    table.add_row(str(batch.total), str(batch.accepted), str(batch.rejected),
                  str(batch.duplicates))
    console.print(table)
    console.print(f"{batch.feed}: {batch.total} read, {batch.accepted} accepted, "
                  f"{batch.rejected} rejected, {batch.duplicates} duplicates "
                  f"(batch {batch.id}, sha256 {batch.sha256})", highlight=False)
    if summary.match_counts:
        console.print("匹配 matching: " + ", ".join(
            f"{k} {v}" for k, v in sorted(summary.match_counts.items())), highlight=False)
    for path in summary.files:
        console.print(f"wrote {path}", highlight=False)
    if summary.rejections:
        _print_rejections(summary.rejections[:SHOWN_REJECTIONS],
                          "隔离记录 quarantined records")
        more = summary.rejections_total - min(len(summary.rejections), SHOWN_REJECTIONS)
        if more > 0:
            console.print(f"… {more} more: mortgage-risk import rejections {batch.id} "
                          f"--as {actor}", highlight=False)


def _print_rejections(rows: list[Any], title: str, *, raw: bool = False) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("行 line", justify="right")
    table.add_column("类型 kind")
    table.add_column("字段 field")
    table.add_column("原因 reason", overflow="fold")
    if raw:
        table.add_column("原始记录 raw", overflow="fold")
    for r in rows:
        cells = ["" if r.line is None else str(r.line), r.kind, r.field, r.reason]
        table.add_row(*(cells + [r.raw] if raw else cells))
    console.print(table)


@import_app.command("repayments")
def repayments(
    file: Annotated[Path, typer.Argument(help="还款记录文件 · Repayment records (CSV, Parquet, "
                                              "JSON lines or a JSON array).")],
    actor: ActorOption,
    as_of: AsOfOption = None,
    format: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """导入还款记录 · Import repayment records: unknown loans, negative amounts, future dates,
    duplicates and unreadable lines are quarantined with their line numbers."""
    _run("repayments", file, actor, as_of, as_json, format=format)


@import_app.command("events")
def events(
    feed: Annotated[str, typer.Argument(help="外部数据类别 · court_enforcement, "
                                             "dishonest_debtors, lawsuits, business_registry, "
                                             "credit_bureau or utility_arrears.")],
    file_or_url: Annotated[str, typer.Argument(help="文件或 http(s) 地址 · A file, or an "
                                                    "http(s) URL of a JSON API to pull.")],
    actor: ActorOption,
    as_of: AsOfOption = None,
    format: FormatOption = None,
    auth_env: Annotated[str | None, typer.Option(
        "--auth-env", help="Name of the environment variable holding the Authorization "
                           "header for the API (the secret stays off the command line).")] = None,
    page_param: Annotated[str | None, typer.Option(
        "--page-param", help="Query parameter that numbers the API's pages (default: follow "
                             "next links).")] = None,
    records_key: Annotated[str | None, typer.Option(
        "--records-key", help="Key of the list of records in each page (default: data, "
                              "records, items or results).")] = None,
    as_json: JsonOption = False,
) -> None:
    """导入外部数据 · Import an external feed (court, registry, credit bureau, utilities),
    matched to borrowers by resident ID number; a name-only match stays low confidence."""
    from mortgage_risk.services.imports import EVENT_FEEDS

    if feed not in EVENT_FEEDS:
        fail(f"feed: {feed!r} is not an external feed; one of {', '.join(EVENT_FEEDS)}")
    auth_header = None
    if auth_env is not None:
        auth_header = os.environ.get(auth_env)
        if not auth_header:
            fail(f"auth_env: the environment variable {auth_env} is not set")
    _run(feed, file_or_url, actor, as_of, as_json, format=format, auth_header=auth_header,
         page_param=page_param, records_key=records_key)


@import_app.command("hpi")
def hpi(
    file: Annotated[Path, typer.Argument(help="房价指数文件 · Index months: month, city, "
                                              "house_type, segment, value.")],
    actor: ActorOption,
    as_of: AsOfOption = None,
    format: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """导入房价指数 · Import house price index months into var/ (the monitoring run reads the
    proxy city's series from var/book/house_price_index.parquet)."""
    _run("house_price_index", file, actor, as_of, as_json, format=format)


def _batch_row(table: Table, b: BatchView) -> None:
    table.add_row(str(b.id), b.feed, b.imported_at.strftime("%Y-%m-%d %H:%M"), b.imported_by,
                  str(b.total), str(b.accepted), str(b.rejected), str(b.duplicates), b.source)


@import_app.command("list")
def list_batches(
    actor: ActorOption,
    feed: Annotated[str | None, typer.Option("--feed", help="Only this feed.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    as_json: JsonOption = False,
) -> None:
    """最近的导入批次 · The most recent import batches, newest first."""
    from mortgage_risk.services.imports import list_batches as list_

    with one_line_errors(), open_database().uow() as uow:
        batches = list_(uow, actor=acting_user(uow, actor), feed=feed, limit=limit)
    if as_json:
        typer.echo(json.dumps([b.to_dict() for b in batches], ensure_ascii=False))
        return
    table = Table(title="导入批次 import batches", title_justify="left")
    for label in ("id", "feed", "imported", "by", "read", "accepted", "rejected",
                  "duplicates", "source"):
        table.add_column(label, justify="right" if label in ("id", "read", "accepted",
                                                             "rejected", "duplicates")
                         else "left", overflow="fold")
    for b in batches:
        _batch_row(table, b)
    console.print(table)


@import_app.command("rejections")
def rejections(
    batch_id: Annotated[int, typer.Argument(help="导入批次编号 · Import batch id.")],
    actor: ActorOption,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOption = False,
) -> None:
    """隔离记录 · The quarantined records of a batch, in line order, with the record as read
    (resident ID numbers masked)."""
    from mortgage_risk.services.imports import get_batch

    with one_line_errors(), open_database().uow() as uow:
        detail = get_batch(uow, actor=acting_user(uow, actor), batch_id=batch_id, limit=limit,
                           offset=offset)
    if as_json:
        typer.echo(json.dumps(detail.to_dict(), ensure_ascii=False))
        return
    b = detail.batch
    console.print(f"batch {b.id} · {b.feed} · {b.source}: {b.rejected} rejected, "
                  f"{b.duplicates} duplicates", highlight=False)
    _print_rejections(detail.rejections,
                      f"隔离记录 quarantined records {offset + 1}–"
                      f"{offset + len(detail.rejections)} of {detail.rejections_total}",
                      raw=True)
