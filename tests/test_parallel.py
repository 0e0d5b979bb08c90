"""Batches and split comparisons on a real Dask cluster give the bytes of a serial run.

One local cluster of two worker processes serves the module (``--scheduler``);
``--workers 2`` starts its own. The batch mixes a proof, refutations with witnesses, a
pair that does not parse and programs with three outputs.
"""

import json
import os

import pytest

from conftest import ROOT

distributed = pytest.importorskip("dask.distributed")

PAIRS = [
    {"id": "relu", "a": "relu(t)", "b": "relu(-t) + t"},
    {"id": "abs", "a": "abs(t)", "b": "relu(t) + relu(-t)"},
    {"id": "max4", "a": "casestudies/boustany.py:max1_t", "b": "casestudies/boustany.py:max2_t"},
    {"id": "broken", "a": "relu(t", "b": "t"},
    {"id": "sort", "a": "casestudies/sorting.py:sort3", "b": "casestudies/sorting.py:network3"},
    {"id": "wrong", "a": "max(x[0], x[1])", "b": "min(x[0], x[1])", "shapes": {"x": 2}},
]


@pytest.fixture(scope="module")
def scheduler():
    """The address of a local cluster of two worker processes (one thread each) that
    import this checkout of pwverify."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = ROOT + (os.pathsep + old if old else "")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, silence_logs=40,
                                       scheduler_kwargs={"dashboard_address": ":0"})
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


@pytest.fixture
def batch_file(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = tmp_path / "pairs.jsonl"
    path.write_text("# pairs\n" + "\n".join(json.dumps(p) for p in PAIRS) + "\n\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def serial(cli, batch_file):
    code, out, _ = cli("batch", batch_file)
    return code, out


def test_serial_batch_lines(serial):
    code, out = serial
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [line["id"] for line in lines] == [p["id"] for p in PAIRS]
    assert [line["exit_code"] for line in lines] == [1, 0, 1, 2, 1, 1]
    relu, _, max4, broken, sort, wrong = lines
    assert relu["gradient"]["witness"] == {"point": {"t": "0"}, "gradient_a": [["0"]], "gradient_b": [["1"]]}
    assert max4["gradient"]["witness"]["gradient_b"] == [["1/4"] * 4]
    assert broken["error"]["kind"] == "syntax" and broken["error"]["location"]["col"] == 5
    assert "function" not in broken
    assert len(sort["gradient"]["witness"]["gradient_a"]) == 3  # three outputs
    assert wrong["function"]["verdict"] == "refuted"
    point = wrong["function"]["witness"]["point"]
    assert point["x0"] != point["x1"]
    assert all("seconds" not in json.dumps(line) for line in lines)


def test_batch_on_a_scheduler_is_byte_identical(cli, batch_file, serial, scheduler):
    code, out, _ = cli("batch", batch_file, "--scheduler", scheduler)
    assert (code, out) == serial


def test_batch_with_local_workers_is_byte_identical(cli, batch_file, serial, tmp_path):
    target = tmp_path / "out.jsonl"
    code, out, _ = cli("batch", batch_file, "--workers", "2", "--out", str(target))
    assert out == ""
    assert (code, target.read_text(encoding="utf-8")) == serial


def test_compare_split_on_a_scheduler(cli, scheduler, monkeypatch):
    """Sub-questions per output and per question: the serial split's bytes; the verdicts
    and witness of a plain compare."""
    from pwverify.cli.common import emit_json
    from pwverify.questions.compare_split import compare_split, plan
    import io
    monkeypatch.chdir(ROOT)
    a, b = "casestudies/sorting.py:sort3", "casestudies/sorting.py:network3"
    code, out, _ = cli("compare", a, b, "--json", "--scheduler", scheduler)
    expected = io.StringIO()
    emit_json(compare_split(a, b), expected)
    assert out == expected.getvalue() and code == 1
    data = json.loads(out)
    assert data["stats"]["subquestions"] == 6  # 2 questions x 3 outputs
    _, plain, _ = cli("compare", a, b, "--json")
    plain = json.loads(plain)
    for q in ("function", "gradient"):
        assert data[q]["verdict"] == plain[q]["verdict"]
    assert data["gradient"]["witness"] == plain["gradient"]["witness"]
    options = {"framework": None, "shapes": {"x": 2}, "ties": [], "mode": "reverse", "weights": None,
               "wrt": None, "timeout_ms": 1000}
    total = ("torch.stack([abs(x[0]), x[1]])", "torch.stack([abs(x[0]), relu(x[1])])")
    partial = ("torch.stack([torch.log(x[0]), x[1]])", "torch.stack([x[0] - 1, torch.log(x[1])])")
    assert len(plan(*total, options)) == 4
    assert len(plan(*partial, options)) == 2  # where log's argument is not positive, every output is undefined


def test_compare_split_text_and_domains(cli):
    """A partial program is not split by output (a domain belongs to all outputs)."""
    code, out, _ = cli("compare", "relu(t)", "relu(-t) + t", "--workers", "1")
    assert code == 1 and "gradient: refuted at t = 0" in out and "{t == 0}" in out


def test_toml_form_and_bad_files(cli, tmp_path, monkeypatch):
    from pwverify.cli.batch_cmds import read_pairs
    path = tmp_path / "pairs.toml"
    path.write_text('[defaults]\nshapes = {x = 2}\n\n[[pair]]\nid = "wrong"\na = "max(x[0], x[1])"\n'
                    'b = "min(x[0], x[1])"\n', encoding="utf-8")
    (tmp_path / "one.jsonl").write_text(json.dumps(PAIRS[-1]) + "\n", encoding="utf-8")
    assert read_pairs(str(path)) == read_pairs(str(tmp_path / "one.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": "t", "b": "t"}\n{"a": "t", "c": 1}\n', encoding="utf-8")
    code, out, _ = cli("batch", str(bad), "--json")
    error = json.loads(out)["error"]
    assert code == 2 and error["location"]["line"] == 2 and "unknown key c" in error["message"]


def test_time_limit_interrupts_a_job():
    from pwverify.questions.parallel import TimeLimit, time_limited

    def forever():
        while True:
            pass
    with pytest.raises(TimeLimit):
        time_limited(forever, 0.2)
    assert time_limited(lambda: 7, 5) == 7
