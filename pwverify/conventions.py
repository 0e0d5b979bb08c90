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
relu'(0) = 1/2 for a lecture on seed 001 §4.1:

>>> Profile.parse("torch", ["relu0=1/2"]).overrides
{'relu0': Fraction(1, 2)}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .errors import UsageError

FRAMEWORKS = ("torch", "jax", "tensorflow")

# neutral name -> qualified name, per framework
_NEUTRAL: dict[str, dict[str, str]] = {
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
    "sort": {"torch": "torch.sort", "jax": "jax.numpy.sort", "tensorflow": "tensorflow.sort"},
}
for _fn in ("exp", "log", "sqrt", "sin", "cos", "tanh", "log1p", "expm1", "square"):
    _NEUTRAL[_fn] = {"torch": f"torch.{_fn}", "jax": f"jax.numpy.{_fn}", "tensorflow": f"tensorflow.math.{_fn}"}

# Python's abs and numpy's spellings of the neutral names follow the profile too.
_SPELLINGS = {"builtins.abs": "abs", "numpy.abs": "abs", "numpy.absolute": "abs",
              "numpy.maximum": "maximum", "numpy.minimum": "minimum", "numpy.clip": "clip",
              "numpy.where": "where", "numpy.sort": "sort", "numpy.amax": "amax", "numpy.amin": "amin"}


def resolve_name(name: str, framework: str) -> str | None:
    """The qualified name a neutral spelling means under ``framework`` (None: not neutral)."""
    neutral = _SPELLINGS.get(name, name)
    table = _NEUTRAL.get(neutral)
    return table.get(framework) if table else None


def neutral_names() -> list[str]:
    return sorted(set(_NEUTRAL) | set(_SPELLINGS))


@dataclass(frozen=True)
class Profile:
    """A framework plus optional overrides of single tie rules (the custom profile)."""

    framework: str = "torch"
    overrides: dict = field(default_factory=dict, hash=False, compare=False)
    mode: str = "reverse"

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

    @property
    def name(self) -> str:
        if not self.overrides:
            return self.framework
        rules = ",".join(f"{k}={v}" for k, v in self.overrides.items())
        return f"custom({self.framework}; {rules})"


#: Rules a custom profile may override: name -> (what it sets, the primitive whose calls
#: it rewrites, the rewrite ``(builder, bound arguments, value) -> value``).
TIE_RULES = {
    "relu0": ("relu'(0): the derivative every relu call returns at 0 (seed 001 §4.1)", "relu",
              lambda b, bound, z: b.map("relu_custom", bound["input"], params=(z,))),
}
