"""What tools can rely on: with --json, errors are JSON objects on stdout with the exit
code of the error; JSON output is the same bytes run to run (timings only with
--timings); and the messages a person reads say what they mean."""

import io
import json

import pytest

from conftest import requires_torch

#: A syntax error in the program, for every command that reads one (with --json).
COMMANDS = {
    "pieces": ["pieces", "relu(t"],
    "grad": ["grad", "relu(t", "--at", "t=0"],
    "compare": ["compare", "relu(t", "t"],
    "check": ["check", "relu(t"],
    "ties": ["ties", "relu(t"],
    "crosscheck": ["crosscheck", "relu(t"],
    "clarke": ["clarke", "relu(t", "--at", "t=0"],
    "critical": ["critical", "relu(t"],
    "directional": ["directional", "relu(t", "--at", "t=0", "--direction", "t=1"],
    "primitives": ["primitives", "--framework", "cobol"],
    "demo": ["demo", "--only", "nope"],
}


def _error(cli, *argv):
    code, out, err = cli(*argv)
    data = json.loads(out)
    assert set(data) == {"error", "exit_code"} and data["exit_code"] == code, out
    assert set(data["error"]) == {"kind", "message", "location", "hint"}
    assert err.strip(), "the message is on stderr too"
    return code, data["error"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_reports_errors_as_json(cli, command):
    code, error = _error(cli, *COMMANDS[command], "--json")
    assert code == 2
    if command in ("primitives", "demo"):
        assert error["kind"] == "usage"
    else:
        assert error["kind"] == "syntax" and error["location"] == {"file": "<expr>", "line": 1, "col": 5}


def test_without_json_errors_stay_plain_text(cli):
    code, out, err = cli("grad", "relu(t", "--at", "t=0")
    assert code == 2 and out == "" and err.startswith("<expr>:1:5: error:")


@pytest.mark.parametrize("argv, kind", [
    (["pieces", "frobnicate(t)"], "unknown_name"),
    (["pieces", "torch.relu(a, b)"], "arity"),
    (["pieces", "torch.relu(t)", "--framework", "jax"], "framework"),
    (["grad", "relu(t)"], "usage"),
    (["grad", "log(x)", "--at", "x=-1"], "domain"),
    (["compare", "relu(t)"], "usage"),
])
def test_each_kind_of_error(cli, argv, kind):
    code, error = _error(cli, *argv, "--json")
    assert code == 2 and error["kind"] == kind, error
    assert error["message"]


def test_an_unsupported_construct_is_located_in_its_file(cli, tmp_path):
    path = tmp_path / "prog.py"
    path.write_text("def f(t):\n    while t > 0:\n        t = t - 1\n    return t\n")
    code, error = _error(cli, "pieces", f"{path}:f", "--json")
    assert code == 2 and error["kind"] == "unsupported"
    assert error["location"] == {"file": str(path), "line": 2, "col": 5} and "range" in error["hint"]


def test_a_malformed_representation_file(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[piece]]\nwhere = "t >"\n')
    code, error = _error(cli, "check", str(path), "--json")
    assert code == 2 and error["kind"] == "representation_file" and error["location"]["file"] == str(path)


def test_unknown_is_exit_code_three_and_internal_four(cli, monkeypatch):
    from pwverify.cli import core
    from pwverify.engines.pieces import DecompositionUnknown

    def undecided(*_):
        raise DecompositionUnknown("the solver timed out on a piece")
    monkeypatch.setattr(core, "cmd_pieces", undecided)
    monkeypatch.setattr("pwverify.cli.build_parser", _parser_with(core.cmd_pieces))
    code, error = _error(cli, "pieces", "relu(t)", "--json")
    assert code == 3 and error["kind"] == "unknown"

    def crash(*_):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr("pwverify.cli.build_parser", _parser_with(crash))
    monkeypatch.delenv("PWVERIFY_DEBUG", raising=False)
    code, error = _error(cli, "pieces", "relu(t)", "--json")
    assert code == 4 and error["kind"] == "internal" and "ZeroDivisionError" in error["message"]
    assert "PWVERIFY_DEBUG" in error["hint"]


def _parser_with(handler):
    """The real parser, with ``pieces`` handled by ``handler``."""
    import pwverify.cli as cli_module
    build = cli_module.__dict__.get("_real_build_parser") or cli_module.build_parser
    cli_module._real_build_parser = build

    def build_parser():
        parser = build()
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        sub.choices["pieces"].set_defaults(handler=handler)
        return parser
    return build_parser


def test_interrupts_are_json_too(cli, monkeypatch):
    def interrupted(*_):
        raise KeyboardInterrupt
    monkeypatch.setattr("pwverify.cli.build_parser", _parser_with(interrupted))
    code, error = _error(cli, "pieces", "relu(t)", "--json")
    assert code == 130 and error["kind"] == "interrupted"


# -- the same bytes run to run ------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["compare", "relu(t)", "relu(-t) + t"],
    ["pieces", "max(a, b) + relu(a - b)"],
    ["check", "abs(t) + relu(t)"],
    ["ties", "maximum(a, b)"],
    ["clarke", "abs(t)", "--at", "t=0"],
    ["critical", "abs(t - 1)"],
    ["grad", "relu(t)", "--at", "t=0"],
])
def test_json_output_is_the_same_bytes_run_to_run(cli, argv):
    first = cli(*argv, "--json")
    second = cli(*argv, "--json")
    assert first[0] in (0, 1) and first[1] == second[1]
    assert '"seconds"' not in first[1]


def test_timings_only_when_asked(cli):
    code, out, _ = cli("compare", "relu(t)", "relu(-t) + t", "--json", "--timings")
    data = json.loads(out)
    assert code == 1 and isinstance(data["stats"]["seconds"], float)
    code, out, _ = cli("compare", "relu(t)", "relu(-t) + t", "--json")
    assert "seconds" not in json.dumps(json.loads(out)) and json.loads(out)["stats"]["direct"]["solver_calls"] > 0
    code, out, _ = cli("pieces", "relu(t)", "--json", "--timings")
    assert "seconds" in json.loads(out)["stats"]
    code, out, _ = cli("pieces", "relu(t)")
    assert not out.rstrip().endswith(" s")


# -- messages ----------------------------------------------------------------------------------
def _help(cli, *argv):
    from pwverify.cli import build_parser
    parser = build_parser()
    if not argv:
        return parser.format_help()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices[argv[0]].format_help()


def test_help_lists_only_options_that_apply(cli):
    graph = _help(cli, "graph")
    assert "--timeout" not in graph and "--mode" not in graph and "--tie " in graph
    assert "--timeout" not in _help(cli, "grad") and "--mode" in _help(cli, "grad")
    assert "--timeout" in _help(cli, "compare")
    code, _, err = cli("graph", "relu(t)", "--timeout", "3")
    assert code == 2 and "--timeout" in err


def test_main_help_lists_the_exit_codes():
    from pwverify.core import exitcodes
    text = _help(None)
    assert exitcodes.describe() in " ".join(text.split())
    assert "4 internal error" in text and "PWVERIFY_DEBUG" in text and '"exit_code"' in text


def test_primitives_prints_numbers_and_cites_the_recorded_data(cli):
    code, out, _ = cli("primitives")
    assert code == 0 and "Fraction(" not in out
    assert "alpha=1/5" in out.replace("\n", " ") or "alpha=1/5" in out
    assert "docs/reference/conventions.json" in out
    rules = [line for line in out.splitlines() if "frameworks-measured.md" in line]
    assert len(rules) == 1 and rules[0].startswith("measured:")  # the footer, not the rules
    code, out, _ = cli("primitives", "--json")
    rows = json.loads(out)
    assert "Fraction(" not in out and all("frameworks-measured" not in r["rule"] for r in rows)


def test_plot_component_is_named_as_the_option_is(cli, tmp_path):
    code, _, err = cli("plot", "relu(t)", "-o", str(tmp_path / "x.png"), "--component", "5")
    assert code == 2 and "--component 5" in err and "--output" not in err and "1 output" in err
    code, _, err = cli("plot", "torch.sort(x).values", "--shape", "x=3", "-o", str(tmp_path / "x.png"),
                       "--component", "3")
    assert code == 2 and "--component 0 to 2" in err


def test_clarke_exit_code_is_documented_and_kept(cli):
    assert "1 when it is not" in " ".join(_help(cli, "clarke").split())
    code, out, _ = cli("clarke", "t - (relu(-t) + t - relu(t))", "--at", "t=0")
    assert code == 1 and "NOT in ∂f" in out
    code, out, _ = cli("clarke", "abs(t)", "--at", "t=0")
    assert code == 0 and "is in ∂f" in out


def test_compare_names_each_sides_framework(cli):
    code, out, _ = cli("compare", "torch.abs(t)", "jnp.abs(t)")
    assert code == 1 and out.startswith("A: torch.abs(t) (torch); B: jnp.abs(t) (jax)")
    code, out, _ = cli("compare", "torch.abs(t)", "jnp.abs(t)", "--json")
    assert json.loads(out)["frameworks"] == {"a": "torch", "b": "jax"}


class _OrderedErr(io.StringIO):
    """stderr that notes whether the program's module-level code had run when it was written to."""

    def __init__(self, marker):
        super().__init__()
        self.marker, self.before = marker, []

    def write(self, text):
        if text.strip():
            self.before.append((text, self.marker.exists()))
        return super().write(text)


@requires_torch
def test_crosscheck_says_it_runs_the_file_before_running_it_and_prints_names_as_they_are(tmp_path):
    from pwverify.cli import main
    marker = tmp_path / "ran"
    path = tmp_path / "emo.py"
    path.write_text(f"import torch\nopen({str(marker)!r}, 'w').close()\n\n\ndef ok(t):\n    return torch.relu(t)\n")
    out, err = io.StringIO(), _OrderedErr(marker)
    code = main(["crosscheck", f"{path}:ok", "--count", "1", "--random", "1", "--mode", "reverse"], out, err)
    assert code == 0, err.getvalue()
    assert marker.exists()
    note = next((text, ran) for text, ran in err.before if "imports" in text)
    assert not note[1], "the note came after the file ran"
    assert "module-level code" in " ".join(err.getvalue().split()) and str(path) in err.getvalue()
    assert out.getvalue().startswith(f"{path}:ok: ran torch") and "🆗" not in out.getvalue()
