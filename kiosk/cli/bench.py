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
    "--markdown",
    "markdown_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the figures as a Markdown section (for docs/performance.md).",
)
@click.option("--no-store", is_flag=True, help="Do not record the result in the database.")
@pass_app
def bench(
    app: AppContext,
    quick: bool,
    json_path: Path | None,
    plot_path: Path | None,
    compare_path: Path | None,
    markdown_path: Path | None,
    no_store: bool,
) -> None:
    """Measure the kiosk on bundled and synthesised Russian phrases.

    Streaming pipeline, the sequential baseline and each stage alone, in one run.
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

    old = load_report(compare_path) if compare_path is not None else None
    to_stdout = json_path == Path("-")
    console = Console(stderr=to_stdout)
    say = (lambda msg: console.print(msg, style="dim")) if not to_stdout else (lambda _m: None)
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
    if not no_store:
        from kiosk.store import Store

        with Store.open(app.paths.database) as store:
            store_report(store, report)
    if old is not None:
        changes = compare_reports(old, report)
        worse = [c for c in changes if c.regression]
        console.print(
            f"Сравнение с {compare_path} ({old['created_at']}): "
            f"{len(worse)} ухудшений из {len(changes)} показателей"
        )
        for c in changes:
            mark = "[red]ХУЖЕ[/]" if c.regression else "    "
            console.print(f"  {mark} {c.metric}: {c.old:g} → {c.new:g} ({c.change:+.0%})")
