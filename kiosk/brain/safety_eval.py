"""How well the safety check works: block rate on a red-team set, false blocks on ordinary talk.

The prompt sets are ``content/safety/eval/redteam.toml`` (a table per expected
category; ``strict = true`` tables are grown-up topics that only the strict level
steers away from) and ``ordinary.toml`` (what a 12-year-old ordinarily says, with
tricky-but-fine sentences). ``evaluate_safety`` runs ``check_input`` over them;
``kiosk bench`` and the tests call it. ``heldout.toml`` holds rounds of prompts
nobody tuned the lists on (``load_heldout``): the honest measure of generalisation.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.brain.safety import (
    SAFETY_DIR,
    SAFETY_LEVELS,
    SafetyLevel,
    WordLists,
    check_input,
    load_word_lists,
)
from kiosk.errors import ConfigError

__all__ = [
    "EVAL_DIR",
    "HELDOUT_FILE",
    "CategoryRate",
    "PromptSet",
    "SafetyRates",
    "evaluate_safety",
    "heldout_rounds",
    "load_heldout",
    "load_prompt_sets",
]

_LOGGER = logging.getLogger(__name__)

EVAL_DIR = SAFETY_DIR / "eval"
"""Where the red-team and ordinary prompt sets live."""

HELDOUT_FILE = EVAL_DIR / "heldout.toml"
"""Held-out rounds (``[roundN.redteam.<category>]``, ``[roundN.ordinary.<group>]``)."""


@dataclass(frozen=True, slots=True)
class PromptSet:
    """The prompts of one evaluation."""

    red_team: dict[str, tuple[str, ...]]
    """Expected category → prompts the standard level must block."""
    strict_topics: dict[str, tuple[str, ...]]
    """Expected category → grown-up prompts only the strict level steers away from."""
    ordinary: dict[str, tuple[str, ...]]
    """Group → ordinary prompts nothing should block."""


@dataclass(frozen=True, slots=True)
class CategoryRate:
    """How one red-team category fared."""

    total: int
    """Prompts in the category."""
    blocked: int
    """Prompts the check blocked (any category)."""
    same_category: int
    """Blocked with the expected category (the right redirect and alert kind)."""


@dataclass(frozen=True, slots=True)
class SafetyRates:
    """Result of ``evaluate_safety``; rates are fractions in [0, 1]."""

    level: SafetyLevel
    """The level evaluated."""
    red_team_total: int
    """Red-team prompts that this level must block (strict adds the grown-up topics)."""
    blocked: int
    """Of them, how many were blocked."""
    block_rate: float
    """``blocked / red_team_total``."""
    ordinary_total: int
    """Ordinary prompts checked."""
    false_blocks: int
    """Ordinary prompts wrongly blocked."""
    false_block_rate: float
    """``false_blocks / ordinary_total``."""
    per_category: dict[str, CategoryRate] = field(default_factory=dict)
    """Expected category → counts, for every red-team table evaluated."""
    missed: tuple[tuple[str, str], ...] = ()
    """(expected category, prompt) that passed although they should not."""
    false_blocked: tuple[tuple[str, str], ...] = ()
    """(category given, prompt) of ordinary prompts that were blocked."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (for ``kiosk bench --json``)."""
        return {
            "level": self.level,
            "red_team_total": self.red_team_total,
            "blocked": self.blocked,
            "block_rate": round(self.block_rate, 4),
            "ordinary_total": self.ordinary_total,
            "false_blocks": self.false_blocks,
            "false_block_rate": round(self.false_block_rate, 4),
            "per_category": {
                name: {"total": c.total, "blocked": c.blocked, "same_category": c.same_category}
                for name, c in self.per_category.items()
            },
            "missed": [list(m) for m in self.missed],
            "false_blocked": [list(f) for f in self.false_blocked],
        }


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(
            f"Safety prompt set {path} not found", "reinstall the kiosk: content/ ships with it"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}", "fix the TOML syntax on that line") from exc


def _prompts(path: Path, name: str, table: Any) -> tuple[str, ...]:
    prompts = table.get("prompts") if isinstance(table, dict) else None
    if not isinstance(prompts, list) or not all(isinstance(p, str) and p for p in prompts):
        raise ConfigError(
            f'{path}: table [{name}] needs prompts = ["...", ...]',
            "write each prompt as a non-empty string in a prompts list",
        )
    return tuple(prompts)


def load_prompt_sets(directory: Path = EVAL_DIR) -> PromptSet:
    """Read ``redteam.toml`` and ``ordinary.toml`` (raises ``ConfigError``)."""
    red_path, ordinary_path = directory / "redteam.toml", directory / "ordinary.toml"
    red_team: dict[str, tuple[str, ...]] = {}
    strict: dict[str, tuple[str, ...]] = {}
    for name, table in _read(red_path).items():
        target = strict if isinstance(table, dict) and table.get("strict") else red_team
        target[name] = _prompts(red_path, name, table)
    ordinary = {name: _prompts(ordinary_path, name, t) for name, t in _read(ordinary_path).items()}
    return PromptSet(red_team, strict, ordinary)


def heldout_rounds(path: Path = HELDOUT_FILE) -> tuple[str, ...]:
    """Names of the held-out rounds in ``path``, oldest first (``round1``, ``round2``...)."""
    return tuple(_read(path))


def load_heldout(round_name: str, path: Path = HELDOUT_FILE) -> PromptSet:
    """One held-out round as a ``PromptSet`` for ``evaluate_safety`` (raises ``ConfigError``)."""
    rounds = _read(path)
    data = rounds.get(round_name)
    if not isinstance(data, dict) or not isinstance(data.get("redteam"), dict):
        raise ConfigError(
            f"{path}: no held-out round [{round_name}.redteam.<category>]",
            f"use one of: {', '.join(rounds) or 'none'}",
        )
    red_team: dict[str, tuple[str, ...]] = {}
    strict: dict[str, tuple[str, ...]] = {}
    for name, table in data["redteam"].items():
        target = strict if isinstance(table, dict) and table.get("strict") else red_team
        target[name] = _prompts(path, f"{round_name}.redteam.{name}", table)
    ordinary = {
        name: _prompts(path, f"{round_name}.ordinary.{name}", table)
        for name, table in data.get("ordinary", {}).items()
    }
    return PromptSet(red_team, strict, ordinary)


def evaluate_safety(
    level: SafetyLevel = "standard",
    *,
    prompts: PromptSet | None = None,
    lists: WordLists | None = None,
    model: bool = True,
) -> SafetyRates:
    """Block rate on the red-team set and false-block rate on ordinary prompts at ``level``.

    ``standard`` is measured on the red-team tables without ``strict = true``;
    ``strict`` on all of them. ``model``: with the learned second opinion
    (``kiosk.brain.safety_model``), as ``check_input`` runs by default. Takes a few
    milliseconds.
    """
    if level not in SAFETY_LEVELS:
        raise ValueError(f"level must be one of {SAFETY_LEVELS}, not {level!r}")
    sets = prompts or load_prompt_sets()
    words = lists or load_word_lists()
    tables = dict(sets.red_team)
    if level == "strict":
        tables.update(sets.strict_topics)
    per_category: dict[str, CategoryRate] = {}
    missed: list[tuple[str, str]] = []
    for expected, texts in tables.items():
        verdicts = [check_input(text, words, level=level, model=model) for text in texts]
        per_category[expected] = CategoryRate(
            total=len(texts),
            blocked=sum(not v.ok for v in verdicts),
            same_category=sum(v.category == expected for v in verdicts),
        )
        missed += [(expected, t) for t, v in zip(texts, verdicts, strict=True) if v.ok]
    false_blocked: list[tuple[str, str]] = []
    ordinary_total = 0
    for texts in sets.ordinary.values():
        ordinary_total += len(texts)
        for text in texts:
            verdict = check_input(text, words, level=level, model=model)
            if not verdict.ok:
                false_blocked.append((verdict.category, text))
    total = sum(c.total for c in per_category.values())
    blocked = sum(c.blocked for c in per_category.values())
    rates = SafetyRates(
        level=level,
        red_team_total=total,
        blocked=blocked,
        block_rate=blocked / total if total else 0.0,
        ordinary_total=ordinary_total,
        false_blocks=len(false_blocked),
        false_block_rate=len(false_blocked) / ordinary_total if ordinary_total else 0.0,
        per_category=per_category,
        missed=tuple(missed),
        false_blocked=tuple(false_blocked),
    )
    _LOGGER.info(
        "safety %s: blocked %d/%d, false blocks %d/%d",
        level,
        blocked,
        total,
        rates.false_blocks,
        ordinary_total,
    )
    return rates
