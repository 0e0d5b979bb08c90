"""Classes of the analysed file: instances, attributes, methods, ``super()``, ``nn.Module``.

A class is read, never executed: calling it makes an :class:`Instance` and inlines its
``__init__``; ``self.x = ...`` sets the instance's attributes (constants, layers,
parameters); calling an ``nn.Module`` instance inlines its ``forward`` (any other
instance: its ``__call__``). Modules run in evaluation mode (``self.training`` is
False). Layers from the registry (``nn.Linear``, ...) are :class:`~pwverify.primitives.layers.Layer`
objects; their parameters are named with their ``state_dict`` keys when the program's
module is built (:mod:`.weights`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ArityError, UnknownNameError
from ..primitives.layers import Layer, Param
from .objects import Function, QualName, State, kind

#: Base classes that make a class a module (called through ``forward``).
MODULE_BASES = ("torch.nn.Module", "torch.nn.modules.module.Module", "torch.nn.modules.loss._Loss",
                "torch.nn.modules.loss._WeightedLoss", "torch.jit.ScriptModule", "torch.nn.Sequential")


@dataclass(eq=False)
class ClassValue:
    """A class defined in an analysed file."""

    node: ast.ClassDef
    scope: Any
    bases: list = field(default_factory=list)     # ClassValue or QualName
    values: dict = field(default_factory=dict)    # class attributes, evaluated when first read

    @property
    def name(self) -> str:
        return self.node.name

    def describe_value(self) -> str:
        return f"the class {self.name}"

    def mro(self) -> list["ClassValue"]:
        out: list[ClassValue] = [self]
        for base in self.bases:
            if isinstance(base, ClassValue):
                out.extend(c for c in base.mro() if c not in out)
        return out

    def framework_bases(self) -> list[str]:
        return [b.name for c in self.mro() for b in c.bases if isinstance(b, QualName)]

    @property
    def is_module(self) -> bool:
        return any(name in MODULE_BASES or name.startswith("torch.nn.") for name in self.framework_bases())

    def find(self, attr: str, after: "ClassValue | None" = None) -> tuple["ClassValue", ast.AST] | None:
        """Where ``attr`` is defined in the class body (searching the MRO, after ``after``)."""
        chain = self.mro()
        if after is not None and after in chain:
            chain = chain[chain.index(after) + 1:]
        for cls in chain:
            for stmt in cls.node.body:
                if isinstance(stmt, ast.FunctionDef) and stmt.name == attr:
                    return cls, stmt
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr
                                                        for t in stmt.targets):
                    return cls, stmt.value
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and \
                        stmt.target.id == attr and stmt.value is not None:
                    return cls, stmt.value
        return None


class Instance:
    """An object made by calling a class of the analysed file."""

    def __init__(self, cls: ClassValue):
        self.cls = cls
        self.attrs: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<{self.cls.name} instance>"

    def describe_value(self) -> str:
        return f"an instance of {self.cls.name}"


@dataclass(frozen=True)
class Super:
    """``super()`` inside a method of ``owner`` called on ``receiver``."""

    owner: ClassValue
    receiver: Any

    def describe_value(self) -> str:
        return "super()"


@dataclass(frozen=True)
class NoOp:
    """A call with no effect on the computed function (``super().__init__()`` of nn.Module)."""

    what: str

    def describe_value(self) -> str:
        return self.what


@dataclass(frozen=True)
class SelfMethod:
    """A built-in method of a module instance (``self.register_buffer``)."""

    receiver: Instance
    name: str

    def describe_value(self) -> str:
        return f"the method .{self.name}()"


def _decorator_names(fdef: ast.FunctionDef) -> set[str]:
    names = set()
    for deco in fdef.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        names.add(ast.unparse(target).split(".")[-1])
    return names


class ClassesMixin:
    """Classes, instances and their attributes."""

    def class_value(self, node: ast.ClassDef, scope) -> ClassValue:
        key = id(node)
        if key not in self.classes_read:
            cls = ClassValue(node, scope)
            self.classes_read[key] = cls
            saved, self.scope = self.scope, scope
            try:
                for base in node.bases:
                    value = self.eval(base, State({}))
                    if not isinstance(value, (ClassValue, QualName)):
                        self.fail(base, f"the base class {ast.unparse(base)} is {kind(value)}")
                    cls.bases.append(value)
            finally:
                self.scope = saved
        return self.classes_read[key]

    def instantiate(self, cls: ClassValue, positional: list, keywords: dict, node: ast.AST) -> Instance:
        inst = Instance(cls)
        found = cls.find("__init__")
        if found is not None and isinstance(found[1], ast.FunctionDef):
            self.call(self.method(found, inst), positional, keywords, node)
        elif positional or keywords:
            self.fail(node, f"{cls.name}() takes no arguments (the class defines no __init__)", kind=ArityError)
        return inst

    def method(self, found: tuple[ClassValue, ast.FunctionDef], receiver: Any) -> Any:
        owner, fdef = found
        fn = Function(fdef, {}, owner.scope)
        fn = self.decorate(fn, skip=("staticmethod", "classmethod", "property"))
        deco = _decorator_names(fdef)
        if "staticmethod" in deco:
            return fn
        if "classmethod" in deco:
            return fn.bind(owner, owner)
        if receiver is None:
            return fn  # read on the class: the caller passes self
        return fn.bind(receiver, owner)

    # -- attributes ---------------------------------------------------------------------------
    def instance_attribute(self, inst: Instance, attr: str, node: ast.AST) -> Any:
        if attr in inst.attrs:
            value = inst.attrs[attr]
            return self.b.param_value(value) if isinstance(value, Param) else value
        found = inst.cls.find(attr)
        if found is not None:
            return self.class_member(found, inst, attr, node)
        if inst.cls.is_module:
            if attr == "training":
                return False
            if attr in ("register_buffer", "register_parameter", "add_module", "eval", "train",
                        "requires_grad_", "zero_grad", "to", "cuda", "cpu", "double", "float"):
                return SelfMethod(inst, attr)
        self.fail(node, f"{inst.cls.name} has no attribute {attr!r}",
                  "attributes set in __init__ (self.x = ...) and methods of the class", kind=UnknownNameError)

    def class_member(self, found, receiver, attr: str, node: ast.AST) -> Any:
        owner, what = found
        if isinstance(what, ast.FunctionDef):
            member = self.method(found, receiver)
            if "property" in _decorator_names(what):
                return self.call(member, [], {}, node)
            return member
        if attr not in owner.values:
            saved, self.scope = self.scope, owner.scope
            try:
                owner.values[attr] = self.eval(what, State({}))
            finally:
                self.scope = saved
        return owner.values[attr]

    def class_attribute(self, cls: ClassValue, attr: str, node: ast.AST) -> Any:
        found = cls.find(attr)
        if found is None:
            self.fail(node, f"class {cls.name} has no attribute {attr!r}", kind=UnknownNameError)
        return self.class_member(found, None, attr, node)

    def super_attribute(self, sup: Super, attr: str, node: ast.AST) -> Any:
        found = sup.receiver.cls.find(attr, after=sup.owner) if isinstance(sup.receiver, Instance) else None
        if found is not None:
            return self.class_member(found, sup.receiver, attr, node)
        if attr == "__init__":
            return NoOp("super().__init__")
        self.fail(node, f"super() of {sup.owner.name} has no method {attr!r} pwverify can read",
                  "methods defined in the analysed files")

    def set_attribute(self, obj: Any, attr: str, value: Any, node: ast.AST) -> None:
        if not isinstance(obj, Instance):
            self.fail(node, f"cannot set the attribute {attr!r} of {kind(obj)}", "self.x = ... on instances")
        if self.symbolic_depth:
            self.fail(node, f"self.{attr} is assigned under a condition that depends on the inputs",
                      "assign a local variable, and self.x outside the if")
        obj.attrs[attr] = value

    def layer_attribute(self, layer: Layer, attr: str, node: ast.AST) -> Any:
        return layer.get(self.b, attr)

    # -- calls ----------------------------------------------------------------------------------
    def call_object(self, func: Any, positional: list, keywords: dict, node: ast.AST) -> Any:
        """Calls of class-level values: classes, instances, super(), built-in module methods."""
        if isinstance(func, ClassValue):
            return self.instantiate(func, positional, keywords, node)
        if isinstance(func, Instance):
            name = "forward" if func.cls.is_module else "__call__"
            found = func.cls.find(name)
            if found is None or not isinstance(found[1], ast.FunctionDef):
                self.fail(node, f"{func.cls.name} defines no {name}() to call", kind=UnknownNameError)
            return self.call(self.method(found, func), positional, keywords, node)
        if isinstance(func, NoOp):
            return None
        if isinstance(func, SelfMethod):
            return self._module_method(func, positional, keywords, node)
        if isinstance(func, Layer):
            return func.call(self.b, positional, keywords)
        return NotImplemented

    def _module_method(self, m: SelfMethod, positional: list, keywords: dict, node: ast.AST) -> Any:
        inst, name = m.receiver, m.name
        if name in ("eval", "train", "requires_grad_", "zero_grad", "to", "cuda", "cpu", "double", "float"):
            if name == "train" and (positional[:1] or [True])[0]:
                self.fail(node, "training mode is not modelled (dropout is random, batch norm uses the "
                                "batch's statistics)", "evaluation mode")
            return inst
        args = positional + list(keywords.values())
        if len(args) < 2:
            self.fail(node, f"{name}(name, value)", kind=ArityError)
        key, value = args[0], args[1]
        if name == "register_buffer":
            data = self.b.to_array(value)
            value = Param(data.shape, data, trainable=False)
        inst.attrs[str(key)] = value
        return None

    def make_super(self, positional: list, node: ast.AST) -> Super:
        if positional:
            if len(positional) != 2 or not isinstance(positional[0], ClassValue):
                self.fail(node, "super(Class, self) or super()", kind=ArityError)
            return Super(positional[0], positional[1])
        if not self.method_stack:
            self.fail(node, "super() outside a method")
        owner, receiver = self.method_stack[-1]
        return Super(owner, receiver)


def is_object_value(value: Any) -> bool:
    return isinstance(value, (ClassValue, Instance, Super, NoOp, SelfMethod, Layer))

