"""Every command stops within limits the user sets: time, memory, program size."""

import json
import subprocess
import sys

import pytest

from conftest import requires_torch
from pwverify.core.limits import ResourceLimitError, limited, solver_timeout_ms

SLOW_PAIR = ("torch.sort(x).values.sum() + max(x) * x[0]", "torch.sort(x, stable=True).values.sum() + max(x) * x[0]")


def test_a_program_larger_than_max_nodes_is_refused_as_unknown(cli):
    code, out, err = cli("grad", "relu(x) + x * x", "--at", "x=1", "--max-nodes", "3", "--json")
    assert code == 3
    error = json.loads(out)["error"]
    assert error["kind"] == "limit" and "--max-nodes 3" in error["message"]
    code, _, _ = cli("grad", "relu(x) + x * x", "--at", "x=1", "--max-nodes", "10")
    assert code == 0


def test_the_time_limit_stops_a_long_compare_with_unknown(cli):
    code, out, err = cli("compare", *SLOW_PAIR, "--shape", "x=30", "--time-limit", "1")
    # the alarm stops the command, or the solver queries cut to the time left answer unknown
    assert code == 3 and ("--time-limit 1" in err or "unknown" in out), (out, err)


def test_solver_queries_are_cut_to_the_time_left():
    assert solver_timeout_ms(10_000) == 10_000
    with limited(seconds=2):
        assert 1 <= solver_timeout_ms(10_000) <= 2000
    assert solver_timeout_ms(10_000) == 10_000  # restored


@pytest.mark.parametrize("option", ["--time-limit", "--timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "inf", "soon"])
def test_durations_must_be_positive(cli, option, value):
    code, _, err = cli("compare", "relu(x)", "x", option, value)
    assert code == 2 and option in err


def test_nonpositive_limits_are_usage_errors_in_the_api():
    from pwverify.core.errors import UsageError
    for kwargs in ({"seconds": 0}, {"memory_mb": -5}, {"max_nodes": 0}):
        with pytest.raises(UsageError):
            with limited(**kwargs):
                pass


def test_a_memory_cap_below_the_libraries_is_refused_before_it_can_crash(cli):
    code, _, err = cli("grad", "relu(x)", "--at", "x=0", "--max-memory", "10")
    assert code == 2 and "--max-memory" in err


def test_running_out_of_the_memory_cap_is_a_clear_error():
    from pwverify.core.limits import _data_in_use_mb
    cap = _data_in_use_mb() + 400
    with pytest.raises(ResourceLimitError, match=f"--max-memory {cap}"):
        with limited(memory_mb=cap):
            [0] * (10 ** 9)  # 8 GB of pointers


def test_a_memory_capped_command_in_a_fresh_process_answers():
    run = subprocess.run([sys.executable, "-m", "pwverify", "compare", "relu(x)", "relu(-x) + x",
                          "--max-memory", "1000"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "gradient: refuted at x = 0" in run.stdout


def test_long_sums_read_and_too_deep_nesting_is_a_clear_error(cli, tmp_path):
    code, out, err = cli("grad", " + ".join(["relu(x)"] * 2000), "--at", "x=1")
    assert code == 0 and "[2000]" in out, err
    path = tmp_path / "deep.py"
    path.write_text("def f(x):\n    return " + "+".join(["relu(x)"] * 60000) + "\n")
    code, _, err = cli("grad", f"{path}:f", "--at", "x=1")
    assert code == 3 and "nests too deeply" in err and "Traceback" not in err


@pytest.mark.parametrize("constant", ["10**100000", "2**64", "-(2**70)"])
def test_a_constant_no_tensor_can_hold_is_refused_at_its_place(cli, constant):
    code, _, err = cli("grad", f"relu(x) * {constant}", "--at", "x=1")
    assert code == 2 and "<expr>:1:" in err and "2**64" in err


def test_large_constants_that_fit_are_exact(cli):
    code, out, _ = cli("grad", "relu(x) * 2**63", "--at", "x=1")
    assert code == 0 and "[9223372036854775808]" in out


def test_a_tie_rule_that_reaches_nothing_is_a_usage_error(cli):
    code, _, err = cli("grad", "relu(x)", "--at", "x=0", "--tie", "maxtie=1/2")
    assert code == 2 and "maxtie changes nothing" in err
    # a rule that reaches one of the two programs of a compare is fine
    code, out, _ = cli("compare", "relu(x)", "torch.maximum(x, 0 * x)", "--tie", "maxtie=1/2")
    assert code == 1 and "= 1/2" in out


@requires_torch
def test_crosscheck_of_a_builtin_max_that_returns_a_constant(cli):
    code, out, err = cli("crosscheck", "max(0, x)")
    assert code == 0, err
    assert "0 mismatch(es)" in out


def test_a_ten_thousand_term_sum_is_read(cli, tmp_path):
    path = tmp_path / "sum.py"
    path.write_text("def f(x):\n    return " + " + ".join(["relu(x)"] * 10000) + "\n")
    code, out, err = cli("grad", f"{path}:f", "--at", "x=1")
    assert code == 0 and "[10000]" in out, err


def test_huge_exact_values_print_rounded_with_their_size(cli):
    code, out, err = cli("grad", "x**100000", "--at", "x=3")
    assert code == 0, err
    assert "~1.3349714142e+47712 (exact: an integer of 47713 digits)" in out


def test_plot_into_a_missing_folder_is_a_usage_error(cli, tmp_path):
    code, _, err = cli("plot", "relu(x)", "-o", str(tmp_path / "missing" / "a.png"))
    assert code == 2 and "does not exist" in err
