"""The command line's exit codes, in one place.

====  =====================================================================
code  meaning
====  =====================================================================
0     every question proved (or the command did its job)
1     something refuted (a witness was found and re-checked exactly)
2     bad input: a program, option or file pwverify cannot read (located)
3     unknown: the solver or a resource limit left a question undecided
4     internal error: a bug in pwverify (please report it with the command)
====  =====================================================================
"""

OK = 0
REFUTED = 1
BAD_INPUT = 2
UNKNOWN = 3
INTERNAL = 4

#: The table above, for ``--help`` texts and the docs.
MEANING = {
    OK: "proved (or done)",
    REFUTED: "refuted",
    BAD_INPUT: "bad input",
    UNKNOWN: "unknown",
    INTERNAL: "internal error (a bug)",
}


def describe() -> str:
    """``0 proved (or done), 1 refuted, ...``: one line for help texts."""
    return ", ".join(f"{code} {text}" for code, text in MEANING.items())
