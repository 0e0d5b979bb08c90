"""``pwverify demo``: the main job runs every study, prints one table, writes the figures."""

import json
import os
import shutil

from conftest import CASES


def test_demo_runs_every_study_and_writes_the_figures(cli, tmp_path):
    code, out, err = cli("demo", "--json", "--out", str(tmp_path))
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] and len(data["studies"]) == 10
    assert all(row["ok"] for row in data["studies"])
    rows = {row["study"]: row for row in data["studies"]}
    assert rows["boustany"]["papers_numbers"] == "9/9 match"
    assert rows["boustany"]["witness"] == "x0 = 0, x1 = 0, x2 = 0, x3 = 0: [1, 0, 0, 0] vs [1/4, 1/4, 1/4, 1/4]"
    assert rows["maxpool"]["gradient"] == "refuted" and rows["max_xx"]["gradient"] == "proved"
    figures = sorted(os.listdir(tmp_path))
    assert len(figures) == sum(len(row["figures"]) for row in data["studies"]) >= 10
    assert all(name.endswith(".png") for name in figures)


def test_demo_table(cli):
    code, out, err = cli("demo", "--no-figures", "--only", "boustany,maxpool")
    assert code == 0, err
    assert "boustany" in out and "maxpool" in out and "lax_wendroff" not in out
    assert "9/9 match" in out and "2/2 studies match their expectations" in out
    for column in ("study", "claim", "function", "gradient", "witness", "paper's numbers"):
        assert column in out


def test_demo_fails_when_a_study_drifts(cli, tmp_path):
    folder = tmp_path / "casestudies"
    shutil.copytree(CASES, folder, ignore=shutil.ignore_patterns("figures", "__pycache__"))
    study = folder / "_study.py"
    text = study.read_text()
    assert 'Table("f", _T, [0, 0, 0, Fraction(-3, 2), 0, 0, 0], "Table 2")' in text
    study.write_text(text.replace('Table("f", _T, [0, 0, 0, Fraction(-3, 2), 0, 0, 0], "Table 2")',
                                  'Table("f", _T, [0, 0, 0, Fraction(-1, 2), 0, 0, 0], "Table 2")'))
    code, out, _ = cli("demo", "--studies", str(folder), "--only", "boustany", "--no-figures")
    assert code == 1 and "DIFFERS" in out and "8/9 match" in out


def test_demo_rejects_an_unknown_study(cli):
    code, _, err = cli("demo", "--only", "nope")
    assert code == 2 and "unknown study nope" in err
