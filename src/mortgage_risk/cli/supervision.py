"""`supervise`: the compliance checks over every loan file, samples of files for manual review
and the quarterly supervision report."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

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

supervise_app = typer.Typer(
    help="贷后监督：合规检查、抽查与季度报告 · Post-loan supervision: the compliance checks over "
         "every loan file and the audit log, samples of files for manual review, the quarterly "
         "report.",
    no_args_is_help=True)

ActorOption = Annotated[str, typer.Option(
    "--as", help="操作人用户名 · Username of the staff member acting (supervisor, risk manager "
                 "or admin).")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON · Print one JSON object.")]
SEVERITIES = ("critical", "high", "medium", "low")


def _day(raw: str | None, name: str = "as_of") -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        fail(f"{name}: {raw!r} is not a date (YYYY-MM-DD)")


@supervise_app.command("run")
def run(
    actor: ActorOption,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="检查基准日 · Day the files are checked as of (YYYY-MM-DD, default "
                        "today).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the active check set over every loan file and the audit chain; open the new
    findings and print the findings summary (a re-run opens nothing new)."""
    from mortgage_risk.services.supervision import run_supervision

    day = _day(as_of) or date.today()
    with one_line_errors(), open_database().uow() as uow:
        user = acting_user(uow, actor)
        if as_json:
            summary = run_supervision(uow, user, day)
        else:
            with progress_bar() as progress:
                summary = run_supervision(uow, user, day, progress=stage_progress(progress))
    summary.pop("statistics", None)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    _print_summary(summary)


def _print_summary(s: dict[str, Any]) -> None:
    chain = s["audit_chain"]
    files = s["files"]
    console.print(
        f"监督检查 supervision run {s['run_id']} as of {s['as_of']} · {s['checkset_version']} "
        f"({s['seconds']:.1f} s)\n"
        f"  files checked {s['files_checked']:,} (system {files.get('system', 0):,}, "
        f"book {files.get('book', 0):,}); failed checks {s['failed']:,}; opened "
        f"{s['opened']:,}; already open {s['already_open']:,}; closed before "
        f"{s['closed_before']:,}; unassigned {s['unassigned']['count']:,}\n"
        f"  audit chain: {chain['records']:,} records, "
        + ("intact" if chain["intact"] else
           f"BROKEN at record {chain['first_break']['record_id']}: "
           f"{chain['first_break']['reason']}"), highlight=False)
    table = Table(title="按严重程度 by severity", title_justify="left")
    table.add_column("严重程度 severity")
    table.add_column("本次新开 opened", justify="right")
    table.add_column("未销号 unclosed", justify="right")
    unclosed = s["open_findings"]["by_severity"]
    for sev in SEVERITIES:
        table.add_row(sev, str(s["opened_by_severity"].get(sev, 0)), str(unclosed.get(sev, 0)))
    console.print(table)
    checks = sorted(set(s["failed_by_check"]) | set(s["open_findings"]["by_check"]))
    table = Table(title="按检查项 by check", title_justify="left")
    for label in ("检查项 check", "未通过 failed", "本次新开 opened", "未指定责任人 unassigned",
                  "未销号 unclosed"):
        table.add_column(label, justify="left" if label.startswith("检查项") else "right")
    for c in checks:
        table.add_row(c, str(s["failed_by_check"].get(c, 0)), str(s["opened_by_check"].get(c, 0)),
                      str(s["unassigned"]["by_check"].get(c, 0)),
                      str(s["open_findings"]["by_check"].get(c, 0)))
    if checks:
        console.print(table)
    else:
        console.print("no check failed and no finding is open", highlight=False)


@supervise_app.command("sample")
def sample(
    actor: ActorOption,
    method: Annotated[str, typer.Option("--method", help="random or risk")],
    n: Annotated[int, typer.Option("--n", help="抽取份数 · Files to draw.")],
    seed: Annotated[int, typer.Option("--seed", help="随机种子 · The same seed draws the same "
                                                    "files.")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="基准日 · Day the files are read as of (default today).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Draw loan files for manual review, at random or weighted towards risk."""
    from mortgage_risk.services.supervision import draw_sample

    day = _day(as_of)
    with one_line_errors(), open_database().uow() as uow:
        user = acting_user(uow, actor)
        result = draw_sample(uow, user, method, n, seed, as_of=day)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    table = Table(title=f"抽查 sample {result['id']} · {result['method']} · seed {result['seed']}"
                        f" · {result['size']} of {result['population']} files · "
                        f"{result['checkset_version']}", title_justify="left")
    for label in ("档案 file", "编号 number", "网点 branch", "客户经理 officer",
                  "原因 reasons", "权重 weight", "未通过检查 failed checks"):
        table.add_column(label)
    for i in result["items"]:
        table.add_row(i["file_key"], str(i["number"]), str(i["branch_id"]),
                      str(i["officer"] or "—"), ", ".join(i["reasons"]), f"{i['weight']:g}",
                      ", ".join(i["failed_checks"]))
    console.print(table)


@supervise_app.command("report")
def report(
    actor: ActorOption,
    quarter: Annotated[str, typer.Option("--quarter", help="季度 · e.g. 2026Q3")],
    out: Annotated[Path, typer.Option("--out", help="输出文件 · .pdf or .html")],
) -> None:
    """Write the quarterly supervision report (Chinese; PDF through headless Chromium)."""
    from mortgage_risk.services.supervision_report import quarterly_report

    with one_line_errors(), open_database().uow() as uow:
        user = acting_user(uow, actor)
        path = quarterly_report(uow, user, quarter, out)
    console.print(f"wrote {path}", highlight=False)
