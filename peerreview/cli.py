"""`agora peerreview …`: offline grading of reviews exported from any platform."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import click
import numpy as np

from peerreview.grading import METHODS, Reviews, accuracy, grade


def read_reviews(path: Path) -> tuple[np.ndarray, Reviews, np.ndarray]:
    """Returns the submission ids (in index order), the reviews, and the raw scores."""
    subs, graders, scores = [], [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"submission_id", "reviewer_id", "score"} - set(reader.fieldnames or ())
        if missing:
            raise click.ClickException(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                score = float(row["score"])
            except (TypeError, ValueError):
                raise click.ClickException(f"{path}:{line}: score is not a number") from None
            if not math.isfinite(score):
                raise click.ClickException(f"{path}:{line}: score is not a finite number")
            subs.append(row["submission_id"])
            graders.append(row["reviewer_id"])
            scores.append(score)
    if not subs:
        raise click.ClickException(f"{path}: no reviews")
    sub_ids, sub_index = np.unique(np.array(subs), return_inverse=True)
    _, grader_index = np.unique(np.array(graders), return_inverse=True)
    score_array = np.array(scores)
    return sub_ids, Reviews.of(sub_index, grader_index, score_array), score_array


def read_truth(path: Path, sub_ids: np.ndarray) -> np.ndarray:
    position = {sid: i for i, sid in enumerate(sub_ids.tolist())}
    truth = np.full(sub_ids.size, np.nan)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not {"submission_id", "grade"} <= set(reader.fieldnames or ()):
            raise click.ClickException(f"{path}: needs columns submission_id,grade")
        for line, row in enumerate(reader, start=2):
            i = position.get(row["submission_id"])
            if i is None:
                continue
            try:
                truth[i] = float(row["grade"])
            except ValueError:
                raise click.ClickException(f"{path}:{line}: grade is not a number") from None
    return truth


@click.group("peerreview")
def peerreview_group() -> None:
    """Peer review tools."""


@peerreview_group.command("grade-csv")
@click.argument("reviews_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(METHODS), default="calibrated", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--truth", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--min", "lo", type=float, help="Lowest possible score (default: lowest seen).")
@click.option("--max", "hi", type=float, help="Highest possible score (default: highest seen).")
def grade_csv(
    reviews_csv: Path,
    method: str,
    out: Path,
    truth: Path | None,
    lo: float | None,
    hi: float | None,
) -> None:
    """Grade REVIEWS_CSV (submission_id,reviewer_id,score) into --out
    (submission_id,grade,confidence); with --truth (submission_id,grade) print RMSE and the
    share of grades within 5% of the score range. Same model code as the service."""
    sub_ids, reviews, scores = read_reviews(reviews_csv)
    lo = float(scores.min()) if lo is None else lo
    hi = float(scores.max()) if hi is None else hi
    if hi <= lo:
        raise click.ClickException("the score range is empty; pass --min and --max")
    result = grade(reviews, method, lo=lo, hi=hi)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission_id", "grade", "confidence"])
        for sid, g, c in zip(
            sub_ids.tolist(), result.grade.tolist(), result.confidence.tolist(), strict=True
        ):
            writer.writerow([sid, f"{g:.4f}", f"{c:.4f}"])
    click.echo(
        f"graded {sub_ids.size} submissions from {reviews.score.size} reviews "
        f"({method}) into {out}",
        err=True,
    )
    if truth is not None:
        known = read_truth(truth, sub_ids)
        rmse, within = accuracy(result.grade, known, hi - lo)
        click.echo(
            f"method={method} rmse={rmse:.4f} within_5pct={within:.4f} "
            f"n={int(np.isfinite(known).sum())}"
        )


COMMANDS = [peerreview_group]

if __name__ == "__main__":
    sys.exit(peerreview_group())
