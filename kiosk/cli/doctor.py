"""``kiosk doctor``: a report of what works and what to fix."""

from __future__ import annotations

import json
import sys

import click

from kiosk.cli.context import AppContext, pass_app
from kiosk.doctor import run_checks

__all__ = ["doctor"]

_MARK = {
    "ok": ("✔", "green"),
    "info": ("•", "cyan"),
    "warn": ("!", "yellow"),
    "error": ("✘", "red"),
}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@pass_app
def doctor(app: AppContext, as_json: bool) -> None:
    """Check config, data, models, GPU, audio and display; say how to fix what is missing."""
    checks = run_checks(app.config_path)
    failed = any(c.level == "error" for c in checks)
    if as_json:
        click.echo(
            json.dumps(
                {"ok": not failed, "checks": [c.as_dict() for c in checks]}, ensure_ascii=False
            )
        )
    else:
        for check in checks:
            mark, colour = _MARK[check.level]
            click.echo(f"{click.style(mark, fg=colour)} {check.area:<11} {check.message}")
            if check.fix and check.level != "ok":
                click.echo(f"  {'':<11} → {check.fix}")
        click.echo("")
        click.echo(
            "Есть ошибки: исправьте отмеченное ✘." if failed else "Всё необходимое на месте."
        )
    sys.exit(1 if failed else 0)
