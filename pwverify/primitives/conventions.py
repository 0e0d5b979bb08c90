"""Framework profiles: which rule a call follows.

A call written with a framework's namespace (``torch.maximum``, ``jnp.abs``,
``tf.nn.relu``) follows that framework: its qualified name is registered in
:mod:`pwverify.primitives`. Framework-neutral spellings follow the chosen
**profile**: bare names (``relu(x)``, Python's ``abs``), and ``numpy.``/``math.``
names that exist in every framework (``np.maximum``). Python's own builtins
(``max``, ``min``, ``sorted``) keep Python's semantics in every profile.

>>> resolve_name("abs", "jax")
'jax.numpy.abs'
>>> resolve_name("builtins.abs", "torch")
'torch.abs'
>>> resolve_name("numpy.maximum", "tensorflow")
'tensorflow.maximum'

A ``custom`` profile starts from a framework and overrides single tie rules, e.g.
relu'(0) = 1/2 for a lecture on Després 2024b §4.1:

>>> Profile.parse("torch", ["relu0=1/2"]).overrides
{'relu0': Fraction(1, 2)}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

from ..core.errors import UsageError

FRAMEWORKS = ("torch", "jax", "tensorflow")

#: The framework versions every rule was checked against (docs/reference/frameworks-measured.md, and the
#: differential tests in tests/). ``pwverify crosscheck`` warns when another is installed.
CHECKED_VERSIONS = {"torch": "2.13.0", "jax": "0.10.2", "tensorflow": "2.21.0"}

# neutral name -> qualified name, per framework
_NEUTRAL: dict[str, dict[str, str | None]] = {
    "relu": {"torch": "torch.relu", "jax": "jax.nn.relu", "tensorflow": "tensorflow.nn.relu"},
    "abs": {"torch": "torch.abs", "jax": "jax.numpy.abs", "tensorflow": "tensorflow.abs"},
    "maximum": {"torch": "torch.maximum", "jax": "jax.numpy.maximum", "tensorflow": "tensorflow.maximum"},
    "minimum": {"torch": "torch.minimum", "jax": "jax.numpy.minimum", "tensorflow": "tensorflow.minimum"},
    "clamp": {"torch": "torch.clamp", "jax": "jax.numpy.clip", "tensorflow": "tensorflow.clip_by_value"},
    "clip": {"torch": "torch.clip", "jax": "jax.numpy.clip", "tensorflow": "tensorflow.clip_by_value"},
    "where": {"torch": "torch.where", "jax": "jax.numpy.where", "tensorflow": "tensorflow.where"},
    "relu6": {"torch": "torch.nn.functional.relu6", "jax": "jax.nn.relu6", "tensorflow": "tensorflow.nn.relu6"},
    "leaky_relu": {"torch": "torch.nn.functional.leaky_relu", "jax": "jax.nn.leaky_relu",
                   "tensorflow": "tensorflow.nn.leaky_relu"},
    "sigmoid": {"torch": "torch.sigmoid", "jax": "jax.nn.sigmoid", "tensorflow": "tensorflow.sigmoid"},
    "softplus": {"torch": "torch.nn.functional.softplus", "jax": "jax.nn.softplus",
                 "tensorflow": "tensorflow.nn.softplus"},
    "amax": {"torch": "torch.amax", "jax": "jax.numpy.amax", "tensorflow": "tensorflow.reduce_max"},
    "amin": {"torch": "torch.amin", "jax": "jax.numpy.amin", "tensorflow": "tensorflow.reduce_min"},
    # torch.sort returns (values, indices): numpy's sort is its values
    "sort": {"torch": "numpy_on_torch.sort", "jax": "jax.numpy.sort", "tensorflow": "tensorflow.sort"},
}
_NEUTRAL.update({
    "sign": {"torch": "torch.sign", "jax": "jax.numpy.sign", "tensorflow": "tensorflow.sign"},
    "fmax": {"torch": "torch.fmax", "jax": "jax.numpy.fmax", "tensorflow": None},
    "fmin": {"torch": "torch.fmin", "jax": "jax.numpy.fmin", "tensorflow": None},
    "elu": {"torch": "torch.nn.functional.elu", "jax": "jax.nn.elu", "tensorflow": "tensorflow.nn.elu"},
    "selu": {"torch": "torch.nn.functional.selu", "jax": "jax.nn.selu", "tensorflow": "tensorflow.nn.selu"},
    "hardtanh": {"torch": "torch.nn.functional.hardtanh", "jax": "jax.nn.hard_tanh", "tensorflow": None},
    "hard_tanh": {"torch": "torch.nn.functional.hardtanh", "jax": "jax.nn.hard_tanh", "tensorflow": None},
    "hardsigmoid": {"torch": "torch.nn.functional.hardsigmoid", "jax": "jax.nn.hard_sigmoid",
                    "tensorflow": "keras.activations.hard_sigmoid"},
    "hard_sigmoid": {"torch": "torch.nn.functional.hardsigmoid", "jax": "jax.nn.hard_sigmoid",
                     "tensorflow": "keras.activations.hard_sigmoid"},
    "hardswish": {"torch": "torch.nn.functional.hardswish", "jax": "jax.nn.hard_swish",
                  "tensorflow": "keras.activations.hard_silu"},
    "hard_swish": {"torch": "torch.nn.functional.hardswish", "jax": "jax.nn.hard_swish",
                   "tensorflow": "keras.activations.hard_silu"},
    "argmax": {"torch": "torch.argmax", "jax": "jax.numpy.argmax", "tensorflow": "tensorflow.argmax"},
    "argmin": {"torch": "torch.argmin", "jax": "jax.numpy.argmin", "tensorflow": "tensorflow.argmin"},
    # numpy's median is the mean of the two middle entries (torch.median is the lower one):
    # under torch it is torch.quantile(x, 0.5), as are numpy's quantile and percentile
    "median": {"torch": "numpy_on_torch.median", "jax": "jax.numpy.median", "tensorflow": None},
    "quantile": {"torch": "numpy_on_torch.quantile", "jax": "jax.numpy.quantile", "tensorflow": None},
    "percentile": {"torch": "numpy_on_torch.percentile", "jax": "jax.numpy.percentile", "tensorflow": None},
    "norm": {"torch": "torch.linalg.norm", "jax": "jax.numpy.linalg.norm", "tensorflow": "tensorflow.norm"},
})
for _fn in ("exp", "log", "sqrt", "sin", "cos", "tanh", "log1p", "expm1", "square"):
    _NEUTRAL[_fn] = {"torch": f"torch.{_fn}", "jax": f"jax.numpy.{_fn}", "tensorflow": f"tensorflow.math.{_fn}"}

# Python's abs and numpy's spellings of the neutral names follow the profile too.
_SPELLINGS = {"builtins.abs": "abs", "numpy.abs": "abs", "numpy.absolute": "abs",
              "numpy.maximum": "maximum", "numpy.minimum": "minimum", "numpy.clip": "clip",
              "numpy.where": "where", "numpy.sort": "sort", "numpy.amax": "amax", "numpy.amin": "amin",
              "numpy.sign": "sign", "numpy.fmax": "fmax", "numpy.fmin": "fmin", "numpy.argmax": "argmax",
              "numpy.argmin": "argmin", "numpy.median": "median", "numpy.quantile": "quantile",
              "numpy.percentile": "percentile", "numpy.linalg.norm": "norm"}

#: Calls that compute a numpy function with torch's operations where torch's namesake
#: computes something else; ``pwverify crosscheck`` runs the same construction.
NUMPY_ON_TORCH = ("numpy_on_torch.sort", "numpy_on_torch.median", "numpy_on_torch.quantile",
                  "numpy_on_torch.percentile")


def resolve_name(name: str, framework: str) -> str | None:
    """The qualified name a neutral spelling means under ``framework`` (None: not neutral)."""
    neutral = _SPELLINGS.get(name, name)
    table = _NEUTRAL.get(neutral)
    return table.get(framework) if table else None


def is_neutral(name: str) -> bool:
    """Is ``name`` a framework-neutral spelling (whether or not the profile defines it)?"""
    return _SPELLINGS.get(name, name) in _NEUTRAL


def neutral_frameworks(name: str) -> list[str]:
    """The frameworks that define a neutral name (``fmax``: torch and jax)."""
    table = _NEUTRAL.get(_SPELLINGS.get(name, name), {})
    return [fw for fw in FRAMEWORKS if table.get(fw)]


def neutral_names() -> list[str]:
    return sorted(set(_NEUTRAL) | set(_SPELLINGS))


@dataclass(frozen=True)
class Profile:
    """A framework plus optional overrides of single tie rules (the custom profile)."""

    framework: str = "torch"
    overrides: dict = field(default_factory=dict, hash=False, compare=False)
    mode: str = "reverse"
    #: The overridden rules some operation of the program read so far applied.
    used: set = field(default_factory=set, hash=False, compare=False, repr=False)

    @staticmethod
    def parse(framework: str, ties: list[str] | None = None, mode: str = "reverse") -> "Profile":
        if framework not in FRAMEWORKS:
            raise UsageError(f"unknown framework {framework!r}", hint=", ".join(FRAMEWORKS))
        if mode not in ("reverse", "forward"):
            raise UsageError(f"unknown mode {mode!r}", hint="reverse, forward")
        overrides: dict = {}
        for item in ties or []:
            key, _, value = item.partition("=")
            key = key.strip()
            if key not in TIE_RULES:
                raise UsageError(f"unknown tie rule {key!r}", hint=", ".join(sorted(TIE_RULES)))
            try:
                overrides[key] = Fraction(value.strip())
            except (ValueError, ZeroDivisionError):
                raise UsageError(f"tie rule {key} needs an exact number, got {value!r}",
                                 hint=f"{key}=1/2") from None
        return Profile(framework, overrides, mode)

    def substitute(self, prim: str, params: tuple) -> tuple[str, tuple]:
        """The primitive (and parameters) this profile applies where ``prim`` is asked for.

        >>> Profile.parse("torch", ["relu0=1"]).substitute("relu", ())
        ('relu_custom', (Fraction(1, 1),))
        """
        for key, value in self.overrides.items():
            rule = TIE_RULES[key]
            if prim in rule.primitives:
                self.used.add(key)
                return rule.replace(prim, value)
        variant = FRAMEWORK_VARIANTS.get((self.framework, prim, self.mode)) or \
            FRAMEWORK_VARIANTS.get((self.framework, prim), prim)
        return variant, params

    @property
    def name(self) -> str:
        if not self.overrides:
            return self.framework
        rules = ",".join(f"{k}={v}" for k, v in self.overrides.items())
        return f"custom({self.framework}; {rules})"


@dataclass(frozen=True)
class TieRule:
    """A tie rule a custom profile may set: which primitives it replaces, and by what."""

    meaning: str
    primitives: tuple[str, ...]
    replace: Callable[[str, Fraction], tuple[str, tuple]]


#: Primitives a framework computes its own way wherever they occur, norms and losses
#: included: (framework, primitive) or (framework, primitive, mode) -> the framework's variant.
FRAMEWORK_VARIANTS = {
    ("tensorflow", "sqrt"): "sqrt_tf",
    ("tensorflow", "relu"): "relu_mul", ("tensorflow", "clamp_strict"): "clamp_strict_mul",
    ("jax", "sign"): "sign_jax",
    ("jax", "maximum_split"): "maximum_split_mul", ("jax", "minimum_split"): "minimum_split_mul",
    ("torch", "maximum_split", "forward"): "maximum_split_mul",
    ("torch", "minimum_split", "forward"): "minimum_split_mul",
    ("torch", "maximum_second", "forward"): "maximum_second_mul",
}


#: Rules a custom profile may override (``--tie relu0=1/2`` or a ``--ties FILE``). Every
#: application of the listed primitives, wherever the program reaches them, is replaced.
TIE_RULES: dict[str, TieRule] = {
    "relu0": TieRule("relu'(0): the derivative every relu returns at 0 (Després 2024b §4.1)", ("relu",),
                     lambda prim, z: ("relu_custom", (z,))),
    "abs0": TieRule("abs'(0): the derivative every abs returns at 0 (torch/tf 0, jax 1)",
                    ("abs_sign0", "abs_nonneg"), lambda prim, z: ("abs_custom", (z,))),
    "maxtie": TieRule("the share of a binary max/min tie given to the first argument "
                      "(torch/jax 1/2, tf 1, jnp.fmax 0)",
                      ("maximum_split", "maximum_first", "maximum_second",
                       "minimum_split", "minimum_first", "minimum_second"),
                      lambda prim, w: (prim.split("_")[0] + "_custom", (w,))),
}


def read_tie_file(path: str) -> list[str]:
    """The rules of a TOML tie file, as ``["rule=value", ...]`` for :meth:`Profile.parse`.

    The file sets single rules at its top level or in a ``[ties]`` table; values are
    numbers or strings holding exact numbers::

        # relu'(0) = 1/2, abs'(0) = 1
        relu0 = "1/2"
        abs0 = 1
    """
    import tomllib
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read the tie file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})", hint='relu0 = "1/2"') from None
    rules = dict(data.pop("ties", {}))
    for key, value in data.items():
        if isinstance(value, dict):
            raise UsageError(f"{path}: unexpected table [{key}]", hint="rules at the top level or in [ties]")
        rules[key] = value
    out = []
    for key, value in rules.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise UsageError(f"{path}: {key} must be a number, got {value!r}", hint=f'{key} = "1/2"')
        if isinstance(value, float):
            raise UsageError(f"{path}: write {key} as an exact number in quotes, not the float {value!r}",
                             hint=f'{key} = "{value}"')
        out.append(f"{key}={value}")
    return out
