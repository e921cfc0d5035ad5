"""A small learned second opinion after the word lists: hashed n-grams, logistic regression.

The lists catch what they name; a child who paraphrases ("уйти из жизни", "швыряет в
меня вещи") slips past them. ``SafetyModel`` scores the child's words per category
(one-vs-rest logistic regression over ``MODEL_CATEGORIES``) from hashed features:
character 3–5-grams of the normalised text and lemma unigrams and bigrams. Scoring
is a sum of a few hundred weights (well under a millisecond); only numpy is needed.

``check_input`` asks it only when the lists and blocked topics found nothing
(``brain.safety_model``). Each category has its own threshold, fitted by 5-fold
cross-validation on the training set: recall is favoured for the alert kinds (a
paraphrased disclosure must reach the parent), precision for the rest (false blocks
annoy children). Replies (``check_output``) stay on the lists: the model learned how
children talk, not how the persona answers, and runs per token there.

Train with ``python -m kiosk.brain.safety_model train`` (writes ``content/safety/model/``);
``python -m kiosk.brain.safety_model eval`` prints the held-out rates with and without it.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import sys
import tomllib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.brain.safety import (
    ALERT_CATEGORIES,
    SAFETY_DIR,
    STANDARD_CATEGORIES,
    lemmatise,
    normalise,
)
from kiosk.errors import ConfigError

__all__ = [
    "FALSE_ALERT_BUDGET",
    "MODEL_CATEGORIES",
    "MODEL_DIR",
    "MODEL_FILE",
    "TRAIN_DIR",
    "SafetyModel",
    "features",
    "fit",
    "load_model",
    "main",
    "training_set",
]

_LOGGER = logging.getLogger(__name__)

MODEL_DIR = SAFETY_DIR / "model"
"""Where the fitted weights (``weights.npz``) and ``metrics.json`` ship."""

MODEL_FILE = MODEL_DIR / "weights.npz"
"""The shipped model."""

TRAIN_DIR = SAFETY_DIR / "train"
"""Extra training sentences (``[category] prompts = [...]``; ``ordinary.toml`` is all ok)."""

MODEL_CATEGORIES: tuple[str, ...] = ("ok", *ALERT_CATEGORIES, *STANDARD_CATEGORIES)
"""What the model scores: ``ok`` and the standard-level categories (strict topics stay lists)."""

N_FEATURES = 1 << 14
"""Hash buckets."""

_WORD = re.compile(r"[а-яa-z0-9]+")
_FOLDS = 5
_STEPS = 150


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (N_FEATURES - 1)


def features(text: str) -> np.ndarray:
    """Sorted unique hash buckets of ``text``: char 3–5-grams, lemma 1- and 2-grams."""
    norm = normalise(text)
    chars = " " + " ".join(_WORD.findall(norm)) + " "
    names = [chars[i : i + n] for n in (3, 4, 5) for i in range(len(chars) - n + 1)]
    lemmas = [w for w in lemmatise(norm).split() if _WORD.fullmatch(w)]
    names += ["w|" + w for w in lemmas]
    names += [f"b|{a}_{b}" for a, b in zip(lemmas, lemmas[1:], strict=False)]
    return np.unique(np.fromiter((_bucket(n) for n in names), dtype=np.int64, count=len(names)))


@dataclass(frozen=True, slots=True)
class SafetyModel:
    """Fitted weights and per-category thresholds (``load_model`` or ``fit``)."""

    weights: np.ndarray
    """``N_FEATURES`` × categories."""
    bias: np.ndarray
    """Per category."""
    thresholds: np.ndarray
    """Per category: the probability at which it blocks (unused for ``ok``)."""
    categories: tuple[str, ...] = MODEL_CATEGORIES
    """Column names."""

    def scores(self, text: str) -> np.ndarray:
        """Per-category probability (one-vs-rest, so they need not sum to 1)."""
        index = features(text)
        scale = 1.0 / math.sqrt(max(len(index), 1))
        logits = self.weights[index].sum(axis=0, dtype=np.float64) * scale + self.bias
        return 1.0 / (1.0 + np.exp(-logits))

    def predict(self, text: str) -> tuple[str, float]:
        """(category, probability): the most probable category over its threshold, or ``ok``."""
        return _decide(self.scores(text)[None, :], self.thresholds, self.categories)[0]

    def save(self, path: Path = MODEL_FILE) -> None:
        """Write the weights (float16, compressed) and thresholds to ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            thresholds=self.thresholds.astype(np.float32),
            categories=np.array(self.categories),
        )


def _decide(
    probs: np.ndarray, thresholds: np.ndarray, categories: Sequence[str]
) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    over = probs - thresholds
    over[:, 0] = -np.inf  # "ok" never blocks
    for row, margins in zip(probs, over, strict=True):
        best = int(np.argmax(np.where(margins >= 0, row, -np.inf)))
        if margins[best] >= 0:
            out.append((categories[best], float(row[best])))
        else:
            out.append(("ok", float(row[0])))
    return out


@functools.cache
def load_model(path: Path = MODEL_FILE) -> SafetyModel | None:
    """The shipped model (cached), or ``None`` with a warning when it is missing or broken."""
    try:
        with np.load(path) as data:
            model = SafetyModel(
                weights=data["weights"].astype(np.float32),
                bias=data["bias"].astype(np.float64),
                thresholds=data["thresholds"].astype(np.float64),
                categories=tuple(str(c) for c in data["categories"]),
            )
    except (OSError, KeyError, ValueError) as exc:
        _LOGGER.warning(
            "safety model %s cannot be read (%s); only the word lists check the child's words"
            " — run: python -m kiosk.brain.safety_model train",
            path,
            exc,
        )
        return None
    if model.weights.shape != (N_FEATURES, len(model.categories)):
        _LOGGER.warning("safety model %s has the wrong shape; retrain it", path)
        return None
    return model


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", "fix or restore that training file") from exc


def _list_entries(path: Path) -> list[str]:
    """Plain (non-regex, input-side) entries of a word list, as training phrases."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "out:")):
            continue
        line = line.removeprefix("in:").removeprefix("~")
        if not line.startswith("re:"):
            out.append(line.replace("*", ""))
    return out


def training_set(directory: Path = SAFETY_DIR) -> tuple[list[str], np.ndarray]:
    """(texts, label index per text) to train on; never reads ``eval/heldout.toml``.

    From ``eval/redteam.toml`` (standard tables), ``eval/ordinary.toml``, the plain
    entries of the word lists and ``train/*.toml``.
    """
    index = {name: i for i, name in enumerate(MODEL_CATEGORIES)}
    texts: list[str] = []
    labels: list[int] = []

    def add(category: str, prompts: Sequence[str]) -> None:
        if category in index:
            texts.extend(prompts)
            labels.extend([index[category]] * len(prompts))

    for name, table in _read_toml(directory / "eval" / "redteam.toml").items():
        if not table.get("strict"):
            add(name, table["prompts"])
    for table in _read_toml(directory / "eval" / "ordinary.toml").values():
        add("ok", table["prompts"])
    for category in MODEL_CATEGORIES[1:]:
        stem = "jailbreak" if category == "persona" else category
        if (directory / f"{stem}.txt").is_file():
            add(category, _list_entries(directory / f"{stem}.txt"))
    for path in sorted((directory / "train").glob("*.toml")):
        for name, table in _read_toml(path).items():
            add("ok" if path.stem == "ordinary" else name, table["prompts"])
    return texts, np.array(labels, dtype=np.int64)


def _matrix(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sparse rows as (bucket, value, row of each entry, row starts)."""
    rows = [features(t) for t in texts]
    starts = np.cumsum([0] + [len(r) for r in rows[:-1]])
    idx = np.concatenate(rows)
    vals = np.concatenate([np.full(len(r), 1.0 / math.sqrt(max(len(r), 1))) for r in rows])
    row_of = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    return idx, vals, row_of, starts


def _train(
    matrix: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    labels: np.ndarray,
    *,
    l2: float = 1e-4,
    steps: int = _STEPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch Adam on class-balanced one-vs-rest logistic loss; deterministic."""
    idx, vals, row_of, starts = matrix
    n, n_cat = len(labels), len(MODEL_CATEGORIES)
    target = np.zeros((n, n_cat))
    target[np.arange(n), labels] = 1.0
    positives = target.sum(axis=0).clip(min=1.0)
    # Each class's positives weigh as much as its negatives.
    sample_w = np.where(target > 0, 0.5 * n / positives, 0.5 * n / (n - positives).clip(min=1.0))
    weights, bias = np.zeros((N_FEATURES, n_cat)), np.zeros(n_cat)
    m_w, v_w, m_b, v_b = (
        np.zeros_like(weights),
        np.zeros_like(weights),
        np.zeros(n_cat),
        np.zeros(n_cat),
    )
    rate, beta1, beta2 = 0.05, 0.9, 0.999
    for step in range(1, steps + 1):
        logits = np.add.reduceat(weights[idx] * vals[:, None], starts, axis=0) + bias
        grad_out = (1.0 / (1.0 + np.exp(-logits)) - target) * sample_w / n
        per_entry = grad_out[row_of] * vals[:, None]
        grad_w: np.ndarray = (
            np.stack(
                [np.bincount(idx, per_entry[:, c], minlength=N_FEATURES) for c in range(n_cat)],
                axis=1,
            ).astype(np.float64)
            + l2 * weights
        )
        grad_b = grad_out.sum(axis=0)
        for param, grad, m, v in ((weights, grad_w, m_w, v_w), (bias, grad_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + 1e-8)
    return weights, bias


def _probs(weights: np.ndarray, bias: np.ndarray, matrix: tuple[np.ndarray, ...]) -> np.ndarray:
    idx, vals, _, starts = matrix
    logits = np.add.reduceat(weights[idx] * vals[:, None], starts, axis=0) + bias
    return 1.0 / (1.0 + np.exp(-logits))


FALSE_ALERT_BUDGET: dict[str, float] = {
    "self_harm": 0.01,
    "abuse": 0.01,
    "bullying": 0.01,
    "danger": 0.01,
}
"""Share of ordinary training sentences each alert kind may flag out of fold.

A false self-harm alert on sad talk would cost only a warm "tell a grown-up" answer
and a note for the parent, so self-harm may be raised here; but 2-3% (tried in session
4) also flagged neutral wishes ("Я хочу побить свой рекорд в беге"), so all stay at 1%
until the training set can tell them apart. Other categories get none (precision first).
"""


def _threshold(probs: np.ndarray, is_ok: np.ndarray, category: str) -> float:
    """The lowest cut (fewest misses) whose out-of-fold false blocks stay within budget."""
    budget = int(FALSE_ALERT_BUDGET.get(category, 0.0) * is_ok.sum())
    for cut in np.arange(0.2, 0.951, 0.025):
        if np.sum(is_ok & (probs >= cut)) <= budget:
            return float(cut)
    return 0.95


def fit(texts: Sequence[str], labels: np.ndarray) -> tuple[SafetyModel, dict[str, Any]]:
    """Fit on everything, thresholds from 5-fold out-of-fold scores; returns (model, CV metrics)."""
    folds = np.arange(len(texts)) % _FOLDS
    oof = np.zeros((len(texts), len(MODEL_CATEGORIES)))
    for fold in range(_FOLDS):
        train, test = folds != fold, folds == fold
        weights, bias = _train(
            _matrix([t for t, k in zip(texts, train, strict=True) if k]), labels[train]
        )
        oof[test] = _probs(
            weights, bias, _matrix([t for t, k in zip(texts, test, strict=True) if k])
        )
    is_ok = labels == 0
    thresholds = np.full(len(MODEL_CATEGORIES), 1.0)
    for c, name in enumerate(MODEL_CATEGORIES[1:], start=1):
        thresholds[c] = _threshold(oof[:, c], is_ok, name)
    decided = [name for name, _ in _decide(oof, thresholds, MODEL_CATEGORIES)]
    metrics: dict[str, Any] = {
        "samples": len(texts),
        "cv_false_blocks": sum(d != "ok" for d, k in zip(decided, is_ok, strict=True) if k),
        "cv_ok_total": int(is_ok.sum()),
        "cv_recall": {
            name: round(
                sum(d != "ok" for d, lab in zip(decided, labels, strict=True) if lab == c)
                / max(int((labels == c).sum()), 1),
                3,
            )
            for c, name in enumerate(MODEL_CATEGORIES[1:], start=1)
        },
        "thresholds": {
            n: round(float(t), 3) for n, t in zip(MODEL_CATEGORIES[1:], thresholds[1:], strict=True)
        },
    }
    weights, bias = _train(_matrix(texts), labels)
    return SafetyModel(weights.astype(np.float32), bias, thresholds), metrics


def heldout_report(model_on: bool) -> dict[str, Any]:
    """Rates of every held-out round at both levels, with or without the model."""
    from kiosk.brain.safety import SAFETY_LEVELS
    from kiosk.brain.safety_eval import evaluate_safety, heldout_rounds, load_heldout

    report: dict[str, Any] = {}
    for name in heldout_rounds():
        prompts = load_heldout(name)
        for level in SAFETY_LEVELS:
            rates = evaluate_safety(level, prompts=prompts, model=model_on)
            report[f"{name}/{level}"] = {
                "blocked": f"{rates.blocked}/{rates.red_team_total}",
                "false_blocks": f"{rates.false_blocks}/{rates.ordinary_total}",
                "alert_recall": {
                    k: f"{rates.per_category[k].blocked}/{rates.per_category[k].total}"
                    for k in ALERT_CATEGORIES
                    if k in rates.per_category
                },
            }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``train``: fit and write ``content/safety/model/``; ``eval``: print held-out rates."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    if command == "train":
        out = Path(args[1]) if len(args) > 1 else MODEL_DIR
        texts, labels = training_set()
        model, metrics = fit(texts, labels)
        model.save(out / MODEL_FILE.name)
        load_model.cache_clear()
        metrics["heldout_lists_only"] = heldout_report(False)
        if out == MODEL_DIR:
            metrics["heldout_lists_and_model"] = heldout_report(True)
        (out / "metrics.json").write_text(
            json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(json.dumps(metrics, ensure_ascii=False, indent=1))
        return 0
    if command == "eval":
        report = {"lists_only": heldout_report(False), "lists_and_model": heldout_report(True)}
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    print("usage: python -m kiosk.brain.safety_model train [DIR] | eval", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
