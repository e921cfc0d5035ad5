"""``kiosk bench``: latency, FPS, A/V sync, memory and accuracy, measured on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kiosk.cli.context import AppContext, pass_app

__all__ = ["bench"]


@click.command()
@click.option("--quick", is_flag=True, help="A small subset of phrases (under a minute).")
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report as JSON to this file ('-' prints it instead of the table).",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a PNG plot (per-stage bars, FPS histogram).",
)
@click.option(
    "--compare",
    "compare_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="An older report (--json) to compare with: regressions are listed.",
)
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="With --compare: exit with status 1 when a figure got worse beyond the tolerance.",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0.0),
    default=0.10,
    show_default=True,
    help="With --compare: relative worsening of a figure that counts as a regression.",
)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the figures as a Markdown section (for docs/performance.md).",
)
@click.option(
    "--readme",
    "readme_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Rewrite the performance table between <!-- bench:start --> and <!-- bench:end --> "
    "in this file (e.g. README.md) from the report.",
)
@click.option("--no-store", is_flag=True, help="Do not record the result in the database.")
@click.option(
    "--from",
    "from_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Measure nothing: show, plot or write Markdown for an earlier report (--json).",
)
@pass_app
def bench(
    app: AppContext,
    quick: bool,
    json_path: Path | None,
    plot_path: Path | None,
    compare_path: Path | None,
    fail_on_regression: bool,
    tolerance: float,
    markdown_path: Path | None,
    readme_path: Path | None,
    no_store: bool,
    from_path: Path | None,
) -> None:
    """Measure the kiosk on bundled and synthesised Russian phrases.

    Streaming pipeline, the sequential baseline and each stage alone, in one run.
    With ``--compare OLD.json --fail-on-regression`` the exit status is 1 when a
    watched figure got worse than in OLD.json by more than ``--tolerance``. With
    ``--from REPORT.json`` nothing is measured or stored: the earlier report is
    printed, plotted or written as Markdown (e.g. a GPU run made on another machine).
    ``--from REPORT.json --readme README.md`` refreshes the README's table from it.
    """
    from rich.console import Console

    from kiosk.bench import (
        compare_reports,
        load_report,
        markdown_report,
        plot_report,
        print_report,
        run_bench,
        store_report,
    )

    if fail_on_regression and compare_path is None:
        raise click.UsageError("--fail-on-regression нужен вместе с --compare СТАРЫЙ.json")
    old = load_report(compare_path) if compare_path is not None else None
    if readme_path is not None:  # markers checked before minutes of measuring
        from kiosk.bench.readme import replace_between_markers

        replace_between_markers(readme_path.read_text(encoding="utf-8"), "")
    to_stdout = json_path == Path("-")
    console = Console(stderr=to_stdout)
    say = (lambda msg: console.print(msg, style="dim")) if not to_stdout else (lambda _m: None)
    if from_path is not None:
        report = load_report(from_path)
        no_store = True
    else:
        report = run_bench(app.settings, app.paths, quick=quick, progress=say)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if to_stdout:
        click.echo(text)
    else:
        print_report(report, console)
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(text + "\n", encoding="utf-8")
            console.print(f"Отчёт: {json_path}")
    if plot_path is not None:
        plot_report(report, plot_path)
        console.print(f"График: {plot_path}")
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(markdown_report(report), encoding="utf-8")
        console.print(f"Markdown: {markdown_path}")
    if readme_path is not None:
        from kiosk.bench.readme import refresh_readme

        refresh_readme(readme_path, report)
        console.print(f"Таблица обновлена: {readme_path}")
    if not no_store:
        from kiosk.store import Store

        with Store.open(app.paths.database) as store:
            store_report(store, report)
    if old is not None:
        changes = compare_reports(old, report, tolerance=tolerance)
        worse = [c for c in changes if c.regression]
        console.print(
            f"Сравнение с {compare_path} ({old['created_at']}): "
            f"{len(worse)} ухудшений из {len(changes)} показателей"
        )
        for c in changes:
            mark = "[red]ХУЖЕ[/]" if c.regression else "    "
            console.print(f"  {mark} {c.metric}: {c.old:g} → {c.new:g} ({c.change:+.0%})")
        if worse and fail_on_regression:
            console.print(f"[red]Есть ухудшения больше допуска {tolerance:.0%}: код выхода 1[/]")
            raise click.exceptions.Exit(1)
