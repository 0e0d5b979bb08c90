"""``pwverify demo``: the main job runs every study, prints the verdicts and the papers'
numbers next to pwverify's, writes the figures."""

import io
import json
import os
import re
import shutil

import pytest

from conftest import CASES, ROOT


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory):
    """One run of every study, in two processes, with figures (shared by the tests below).
    In a process of its own: this one may have threads (jax's), and then the studies
    would run one by one."""
    import subprocess
    import sys
    folder = tmp_path_factory.mktemp("figures")
    r = subprocess.run([sys.executable, "-m", "pwverify", "demo", "--json", "--jobs", "2", "--out", str(folder)],
                       cwd=ROOT, capture_output=True, text=True, timeout=1200)
    return r.returncode, json.loads(r.stdout), r.stderr, folder


def test_demo_runs_every_study_and_writes_the_figures(demo_json):
    code, data, err, folder = demo_json
    assert code == 0, err
    assert data["ok"] and len(data["studies"]) == 10
    assert all(row["ok"] for row in data["studies"])
    rows = {row["study"]: row for row in data["studies"]}
    assert rows["boustany"]["papers_numbers"] == "9/9 match"
    assert rows["boustany"]["witness"] == "x0 = 0, x1 = 0, x2 = 0, x3 = 0: [1, 0, 0, 0] vs [1/4, 1/4, 1/4, 1/4]"
    assert rows["maxpool"]["gradient"] == "refuted" and rows["max_xx"]["gradient"] == "proved"
    figures = sorted(os.listdir(folder))
    assert len(figures) == sum(len(row["figures"]) for row in data["studies"]) >= 10
    assert all(name.endswith(".png") for name in figures)
    assert err == ""  # no progress bar when the output is JSON (nor when stderr is not a terminal)


def test_demo_json_carries_the_papers_numbers_and_no_timings(demo_json):
    _, data, _, _ = demo_json
    rows = {row["study"]: row for row in data["studies"]}
    table2 = next(t for t in rows["boustany"]["tables"] if t["source"] == "Table 2")
    assert table2["paper"] == table2["pwverify"] == "0, 0, 0, -3/2, 0, 0, 0" and table2["ok"]
    table3 = next(t for t in rows["maxpool"]["tables"] if t["source"] == "Table 3")
    assert table3["pwverify"] == "0, 0, 0, -3, 0, 0, 0"
    relu = [t["pwverify"] for t in rows["relu"]["tables"]]
    assert relu[:4] == ["0", "1", "1/2", "1"] and relu[4] == "1, 0, 1"
    assert "seconds" not in data and not any("seconds" in row for row in data["studies"])


def _summary(cli, *extra):
    code, out, err = cli("demo", "--no-figures", "--jobs", "1", *extra)
    assert code == 0, err
    return out


def test_demo_summary_shows_the_papers_numbers_next_to_pwverifys(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    out = _summary(cli, "--only", "relu,boustany,maxpool")
    assert max(len(line) for line in out.splitlines()) <= 100, out
    lines = out.splitlines()
    table2 = next(line for line in lines if line.strip().startswith("f'(t) at t = -1") and "-3/2" in line)
    assert table2.count("0, 0, 0, -3/2, 0, 0, 0") == 2 and table2.rstrip().endswith("✓")
    table3 = next(line for line in lines if "0, 0, 0, -3, 0, 0, 0" in line)
    assert table3.count("0, 0, 0, -3, 0, 0, 0") == 2
    relu = next(line for line in lines if line.strip().startswith("relu'(0), relu2'(0), relu3'(0), zero'(0)"))
    assert relu.count("0, 1, 1/2, 1") == 2
    assert "3/3 studies match their expectations" in out
    for column in ("study", "function", "gradient", "witness", "paper", "pwverify"):
        assert column in out
    assert not re.search(r"\d\.\d s\b", out)  # no timing unless --timings


def test_every_study_fits_a_console_of_100_columns():
    from pwverify.cli.demo_cmds import find_studies, print_summary
    studies = find_studies(CASES)
    outcomes = studies.run_all(None, ["sorting", "lax_wendroff", "frameworks", "torch_max_table"])
    out = io.StringIO()
    print_summary(outcomes, None, None, out, width=100)
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 100, text
    assert "[3/8, 3/8, 1/4]" in text and "pieces of max2_table.toml" in text
    assert "(1/2, 1/2)" in text and "(1, 0)" in text


def test_demo_timings_only_when_asked(cli):
    code, out, _ = cli("demo", "--no-figures", "--only", "maxpool", "--json", "--timings")
    data = json.loads(out)
    assert code == 0 and isinstance(data["seconds"], float) and "seconds" in data["studies"][0]
    code, out, _ = cli("demo", "--no-figures", "--only", "maxpool", "--timings")
    assert code == 0 and re.search(r"; \d+\.\d s\b", out)


def test_demo_json_is_the_same_bytes_run_to_run(cli):
    first = cli("demo", "--no-figures", "--only", "maxpool,minmod", "--json")
    second = cli("demo", "--no-figures", "--only", "maxpool,minmod", "--json")
    assert first[0] == 0 and first[1] == second[1]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_demo_shows_a_progress_bar_on_a_terminal_only():
    from pwverify.cli import main
    out, err = io.StringIO(), _Terminal()
    assert main(["demo", "--no-figures", "--only", "maxpool", "--jobs", "1"], out, err) == 0
    assert "━" in err.getvalue() and "1/1" in err.getvalue() and "━" not in out.getvalue()
    out, err = io.StringIO(), _Terminal()
    assert main(["demo", "--no-figures", "--only", "maxpool", "--json"], out, err) == 0
    assert err.getvalue() == ""


def test_demo_fails_when_a_study_drifts(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")  # the row below is read as one line
    folder = tmp_path / "casestudies"
    shutil.copytree(CASES, folder, ignore=shutil.ignore_patterns("figures", "__pycache__"))
    study = folder / "_study.py"
    text = study.read_text()
    assert 'Table("f", _T, [0, 0, 0, Fraction(-3, 2), 0, 0, 0], "Table 2")' in text
    study.write_text(text.replace('Table("f", _T, [0, 0, 0, Fraction(-3, 2), 0, 0, 0], "Table 2")',
                                  'Table("f", _T, [0, 0, 0, Fraction(-1, 2), 0, 0, 0], "Table 2")'))
    code, out, _ = cli("demo", "--studies", str(folder), "--only", "boustany", "--no-figures")
    assert code == 1 and "✗" in out and "DIFFERS" in out
    line = next(line for line in out.splitlines() if line.strip().startswith("f'(t) at t = -1"))
    assert "0, 0, 0, -1/2, 0, 0, 0" in line and "0, 0, 0, -3/2, 0, 0, 0" in line


def test_demo_rejects_an_unknown_study(cli):
    code, _, err = cli("demo", "--only", "nope")
    assert code == 2 and "unknown study nope" in err
    code, _, err = cli("demo", "--jobs", "0")
    assert code == 2 and "--jobs" in err


def test_figures_drawn_from_the_same_sources_are_kept(demo_json, cli):
    """A second run keeps the figures (their PNGs carry the fingerprint of what they were
    drawn from) and skips the work only they need; --redraw draws them again."""
    from pwverify.cli.demo_cmds import find_studies
    _, data, _, folder = demo_json
    studies = find_studies(CASES)
    runner = studies._runner
    study = next(s for s in studies.STUDIES if s.key == "boustany")
    path = folder / "boustany.png"
    assert runner.png_text(str(path))[runner.FIGURE_KEY] == runner.figure_fingerprint(study, study.figures[0])
    assert runner.figure_is_current(study, study.figures[0], str(folder))
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    code, out, err = cli("demo", "--out", str(folder), "--only", "boustany,maxpool", "--jobs", "1")
    assert code == 0, err
    assert "(0 drawn, 2 already current)" in " ".join(out.split())
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    code, out, err = cli("demo", "--out", str(folder), "--only", "maxpool", "--jobs", "1", "--redraw")
    assert code == 0 and (folder / "maxpool.png").stat().st_mtime_ns != before["maxpool.png"]
    changed = studies.Figure(**{**study.figures[0].__dict__, "window": (-2, 2)})
    assert not runner.figure_is_current(study, changed, str(folder))
