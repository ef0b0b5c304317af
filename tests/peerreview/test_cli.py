import csv

from click.testing import CliRunner

from agora.cli import main
from peerreview.synthetic import pg1_course


def write_course(tmp_path, n=600, seed=4):
    course = pg1_course(n, 4, seed=seed, careless_share=0.1)
    reviews = tmp_path / "reviews.csv"
    truth = tmp_path / "truth.csv"
    with reviews.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission_id", "reviewer_id", "score"])
        r = course.reviews
        for s, g, score in zip(r.submission, r.grader, r.score, strict=True):
            writer.writerow([f"s{s}", f"u{g}", int(score)])
    with truth.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission_id", "grade"])
        for i, value in enumerate(course.truth):
            writer.writerow([f"s{i}", value])
    return reviews, truth


def run(args):
    result = CliRunner().invoke(main, args)
    return result


def rmse_of(output: str) -> float:
    line = [x for x in output.splitlines() if x.startswith("method=")][0]
    return float(line.split("rmse=")[1].split()[0])


def test_grade_csv_writes_grades_and_reports_accuracy_against_truth(tmp_path):
    reviews, truth = write_course(tmp_path)
    rmse = {}
    for method in ("calibrated", "median", "mean"):
        out = tmp_path / f"{method}.csv"
        result = run(
            [
                "peerreview",
                "grade-csv",
                str(reviews),
                "--method",
                method,
                "--out",
                str(out),
                "--truth",
                str(truth),
                "--min",
                "0",
                "--max",
                "20",
            ]
        )
        assert result.exit_code == 0, result.output
        with out.open() as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 600 and set(rows[0]) == {"submission_id", "grade", "confidence"}
        assert all(0 <= float(r["grade"]) <= 20 for r in rows)
        rmse[method] = rmse_of(result.output)
        assert "within_5pct=" in result.output
    assert rmse["calibrated"] < rmse["median"] and rmse["calibrated"] < rmse["mean"]


def test_grade_csv_rejects_bad_files_with_a_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("submission_id,score\ns1,3\n")
    result = run(["peerreview", "grade-csv", str(bad), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code != 0 and "reviewer_id" in result.output
    bad.write_text("submission_id,reviewer_id,score\ns1,u1,high\n")
    result = run(["peerreview", "grade-csv", str(bad), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code != 0 and "not a number" in result.output
