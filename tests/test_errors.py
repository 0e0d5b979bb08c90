"""Bad input gets one clear, located message and exit code 2, never a traceback."""

import re

import pytest

import pwverify
from pwverify.core.errors import (ArityError, FrameworkError, ProgramSyntaxError, PwverifyError,
                             UnknownNameError, UnsupportedError, UsageError)

LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): error: ")

PROGRAMS = {
    # name: (source of f, error class, line, words the message must contain)
    "while": ("def f(t):\n    while t > 0:\n        t = t - 1\n    return t\n", UnsupportedError, 2,
              ["while", "range"]),
    "symbolic range": ("def f(t):\n    s = 0\n    for i in range(t):\n        s = s + i\n    return s\n",
                       UnsupportedError, 3, ["range", "constant"]),
    "try": ("def f(t):\n    try:\n        return t\n    except Exception:\n        return t\n",
            UnsupportedError, 2, ["try/except", "supported"]),
    "unknown function": ("def f(t):\n    return torch.frobnicate(t)\n", UnknownNameError, 2,
                         ["torch.frobnicate"]),
    "unknown name": ("def f(t):\n    return t + undefined_thing\n", UnknownNameError, 2,
                     ["undefined_thing"]),
    "arity of a primitive": ("def f(a, b):\n    return torch.relu(a, b)\n", ArityError, 2,
                             ["positional"]),
    "arity of a helper": ("def g(a):\n    return a\n\ndef f(t):\n    return g(t, t)\n", ArityError, 5,
                          ["g()", "1 arguments"]),
    "symbolic index": ('def f(x: "float[3]", t):\n    return x[t]\n', UnsupportedError, 2,
                       ["index", "constant"]),
    "symbolic power": ("def f(a, b):\n    return a ** b\n", UnsupportedError, 2, ["exponent"]),
    "set": ("def f(t):\n    d = {t, 1}\n    return t\n", UnsupportedError, 2, ["set"]),
    "mixed frameworks": ("import torch\nimport jax.numpy as jnp\n\ndef f(t):\n"
                         "    return torch.relu(t) + jnp.abs(t)\n", FrameworkError, 5, ["torch", "jax"]),
    "symbolic break": ('def f(x: "float[3]"):\n    for v in x:\n        if v > 0:\n            break\n'
                       '    return v\n', UnsupportedError, 4, ["break"]),
    "recursion": ("def g(t):\n    return g(t)\n\ndef f(t):\n    return g(t)\n", UnsupportedError, 2,
                  ["recursive"]),
    "branches of different shapes": ('def f(t):\n    if t > 0:\n        v = [t, t]\n    else:\n'
                                     '        v = [t]\n    return v[0]\n', UnsupportedError, 2, ["v"]),
    "returns a truth value": ("def f(t):\n    return t > 0\n", UnsupportedError, 1, ["truth value"]),
    "undefined on a path": ("def f(t):\n    if t > 0:\n        y = t\n    return y\n", UnsupportedError, 4,
                            ["only some paths"]),
    "log of a constant out of its domain": ("import math\n\ndef f(t):\n    return t + math.log(0)\n",
                                            UnsupportedError, 4, ["log", "domain"]),
    "syntax": ("def f(t):\n    return (t +\n", ProgramSyntaxError, 2, ["syntax"]),
}


def write(tmp_path, text):
    path = tmp_path / "prog.py"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", PROGRAMS)
def test_api_error_is_typed_and_located(tmp_path, name):
    source, kind, line, words = PROGRAMS[name]
    path = write(tmp_path, source)
    with pytest.raises(kind) as info:
        pwverify.parse(f"{path}:f").representation()
    message = str(info.value)
    match = LOCATED.match(message)
    assert match, message
    assert match.group("file") == path and int(match.group("line")) == line, message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("name", PROGRAMS)
def test_cli_error_exit_code_two_without_traceback(tmp_path, cli, name):
    source = PROGRAMS[name][0]
    path = write(tmp_path, source)
    code, out, err = cli("pieces", f"{path}:f")
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1
    assert LOCATED.match(err), err


def test_unsupported_constructs_name_what_is_supported(tmp_path):
    path = write(tmp_path, PROGRAMS["try"][0])
    with pytest.raises(UnsupportedError) as info:
        pwverify.parse(f"{path}:f")
    assert "(supported: " in str(info.value)


@pytest.mark.parametrize("argv, words", [
    (["pieces", "nofile.py:f"], ["no such file"]),
    (["pieces", "relu(t"], ["syntax"]),
    (["grad", "relu(t)", "--at", "x=0"], ["x is not an input"]),
    (["grad", "relu(t)", "--at", "t=abc"], ["not an exact number"]),
    (["grad", "relu(a) + b", "--at", "a=0"], ["no value for b"]),
    (["pieces", "relu(t)", "--shape", "x=4"], ["do not occur"]),
    (["pieces", "relu(t)", "--shape", "t=two"], ["bad --shape"]),
    (["pieces", "torch.relu(t)", "--framework", "jax"], ["--framework jax"]),
    (["pieces", "relu(t)", "--tie", "relu0=much"], ["exact number"]),
    (["pieces", "relu(t)", "--tie", "sort0=1"], ["unknown tie rule"]),
    (["grad", "relu(t)"], ["--at"]),
    (["frobnicate"], ["invalid choice"]),
])
def test_cli_usage_errors(cli, argv, words):
    code, out, err = cli(*argv)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    for word in words:
        assert word in err, err


def test_missing_function_lists_the_functions(tmp_path, cli):
    path = write(tmp_path, "def g(t):\n    return t\n\ndef h(t):\n    return t\n")
    code, _, err = cli("pieces", f"{path}:f")
    assert code == 2 and "no top-level function 'f'" in err and "g, h" in err
    code, _, err = cli("pieces", path)
    assert code == 2 and "say which one" in err


def test_a_point_outside_the_domain(cli):
    code, _, err = cli("grad", "log(x)", "--at", "x=-1")
    assert code == 2 and "undefined" in err


def test_every_user_error_is_a_pwverify_error():
    for kind in (ArityError, FrameworkError, ProgramSyntaxError, UnknownNameError, UnsupportedError, UsageError):
        assert issubclass(kind, PwverifyError)


def test_a_program_that_fails_under_the_framework_is_reported_not_crashed(tmp_path, cli):
    pytest.importorskip("torch", reason="torch is not installed: pip install -e '.[torch]'")
    path = tmp_path / "np_model.py"
    path.write_text("import numpy as np\n\n\ndef f(x, y):\n    return np.maximum(x, y) + np.asarray(x).sum()\n")
    code, out, err = cli("crosscheck", f"{path}:f", "--framework", "torch", "--count", "2")
    assert code == 2 and "Traceback" not in err
    note, error = err.splitlines()[0], err.splitlines()[-1]
    assert note.startswith("note: crosscheck imports") and "module-level code" in note
    assert error.startswith(f"{path}:4:1: error: running") and "under torch raised" in error
