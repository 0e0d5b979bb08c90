"""Composition: piece counts, disjoint and covering pieces, and agreement with the oracle.

Theorem 2 of Bolte & Pauwels: autodiff (the exact oracle) returns the associated
gradient of the representation at every point; their Lemma 1: forward and backward
modes agree. Both are checked on fixed programs and on random ones, at random
rational points and at points on every piece (the thin ones included).
"""

import random

import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

import pwverify
from pwverify.questions.tie_points import points_in_pieces
from pwverify.questions.wellformed import check_representation
from conftest import case

R = sympy.Rational


@pytest.mark.parametrize("n", range(2, 7))
def test_torch_max_over_n_entries_has_one_piece_per_tie_set(n):
    rep = pwverify.parse("torch.max(x)", shapes={"x": n}).representation()
    assert len(rep.pieces) == 2 ** n - 1
    for piece in rep.pieces:
        tied = [g for g in piece.gradient[0] if g != 0]
        assert len(set(tied)) == 1 and tied[0] == R(1, len(tied))


@pytest.mark.parametrize("n", range(2, 7))
def test_the_max1_loop_has_n_pieces_first_index_winning(tmp_path, n):
    path = tmp_path / "m.py"
    path.write_text(f'def max1(x: "float[{n}]"):\n    res = x[0]\n    for i in range(1, len(x)):\n'
                    f'        if x[i] > res:\n            res = x[i]\n    return res\n')
    rep = pwverify.parse(f"{path}:max1").representation()
    assert len(rep.pieces) == n
    for i, piece in enumerate(rep.pieces):
        assert piece.gradient[0] == tuple(int(j == i) for j in range(n))
    assert pwverify.parse(f"{path}:max1").gradient_at({"x": [0] * n}) == [[1] + [0] * (n - 1)]


@pytest.mark.parametrize("n", range(2, 6))
def test_python_max_has_n_pieces(n):
    rep = pwverify.parse("max(x)", shapes={"x": n}).representation()
    assert len(rep.pieces) == n


def test_pruning_happens_as_pieces_form():
    # t*(1, 2, 3, 4): only three of the 15 tie sets of torch.max are feasible
    rep = pwverify.parse(case("boustany.py:f")).representation()
    steps = {s.op: s for s in rep.stats.steps}
    assert steps["max_even"].pieces_out <= 3 * 2
    assert rep.stats.solver_calls < 40


PROGRAMS = [
    case("boustany.py:f"), case("boustany.py:max1_t"), case("boustany.py:torch_max4"),
    case("maxpool.py:f"), case("upwind.py:flux_branch"), case("upwind.py:flux_relu"),
    case("minmod.py:minmod_relu"), case("minmod.py:minmod_branch"), case("relu_family.py:relu3"),
    case("relu_family.py:identity_minus_zero"), "torch.clamp(x, -1, 1) * y + abs(x - y)",
    "torch.sort(torch.stack([a, b, c])).values[1]", "F.relu6(2 * t - 1) + F.hardtanh(t)",
    "torch.where(x > y, (x - y) * y, 0 * x) + max(x, 0.5)",
]


@pytest.mark.parametrize("spec", PROGRAMS)
def test_pieces_are_disjoint_cover_and_are_not_empty(spec):
    rep = pwverify.parse(spec).representation()
    report = check_representation(rep)
    assert report.disjoint.is_proved and report.cover.is_proved
    assert report.empty_pieces == []
    assert report.continuity.is_proved


def _agree(program, point):
    # Lemma 1 of Bolte & Pauwels 2020: forward and reverse accumulation of the same graph agree
    from pwverify.engines.pointwise import ad
    reverse = ad(program.graph, program.point(point), "reverse").gradient
    forward = ad(program.graph, program.point(point), "forward").gradient
    rep = program.representation()
    assert reverse == forward, point
    assert rep.gradient_at(point) == reverse, point
    assert rep.value_at(point) == program.value_at(point), point


@pytest.mark.parametrize("spec", PROGRAMS)
def test_oracle_equals_the_associated_gradient_everywhere(spec):
    program = pwverify.parse(spec)
    rng = random.Random(0)
    points = [p.point for p in points_in_pieces(program.representation())]
    points += [{n: R(rng.randint(-9, 9), rng.randint(1, 4)) for n in program.inputs} for _ in range(5)]
    for point in points:
        _agree(program, point)


# -- random programs -----------------------------------------------------------------------------
_LEAVES = st.sampled_from(["x", "y", "1", "-2", "0.5"])


def _node(children):
    unary = st.sampled_from(["relu({})", "abs({})", "torch.clamp({}, -1, 1)", "-({})", "2 * ({})",
                             "F.relu6({})", "torch.clamp({}, min=0)"])
    binary = st.sampled_from(["({}) + ({})", "({}) - ({})", "torch.maximum({}, {})", "torch.minimum({}, {})",
                              "max({}, {})", "min({}, {})", "({}) * ({})"])
    return st.one_of(
        st.builds(lambda f, a: f.format(a), unary, children),
        st.builds(lambda f, a, b: f.format(a, b), binary, children, children),
        st.builds(lambda a, b, c, d: f"(({a}) if ({b}) > ({c}) else ({d}))", children, children, children, children),
        st.builds(lambda a, b, c: f"torch.max(torch.stack([{a}, {b}, {c}]))", children, children, children),
    )


PROGRAM_TEXT = st.recursive(_LEAVES, _node, max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAM_TEXT, st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=2, max_size=4))
def test_random_programs(text, coords):
    program = pwverify.parse(f"0 * (x + y) + {text}")
    rep = program.representation()
    report = check_representation(rep)
    assert report.disjoint.is_proved and report.cover.is_proved, text
    assert report.empty_pieces == [], text
    points = [p.point for p in points_in_pieces(rep)] + [{"x": R(a, 2), "y": R(b, 2)} for a, b in coords]
    for point in points:
        _agree(program, point)


# -- a layer's choices decided depth first, and the merges' shortcuts -------------------------------
LAYERS = [
    # ReLUs of one layer, some tied at the origin, one with a zero outgoing weight
    "relu(x + y) - 2*relu(x - y) + 0*relu(2*x + 1) + relu(-x - y + 1)",
    # where / clamp / abs / max over a layer (ties at 0 and between entries)
    "torch.where(x > 0, x, 0) + torch.clamp(y, min=0) + abs(x - y) + max(x, y, 0)",
    # an undefined argument on some pieces (log): those pieces go node by node
    "relu(log(x)) + relu(y - 1) + relu(x - y)",
    # a nonlinear atom (x*y > 0): the piece goes node by node
    "relu(x*y) + relu(x) + relu(y)",
]


def _pieces(rep):
    return [(piece.where, piece.value, piece.trace, piece.possibly_empty, piece.explicit_gradient)
            for piece in rep.pieces], list(rep.outside)


@pytest.mark.parametrize("text", LAYERS)
def test_a_layer_decided_depth_first_gives_the_node_by_node_pieces(text, monkeypatch):
    from pwverify.engines import pieces as engine
    program = pwverify.parse(text)
    depth_first = program.representation()
    assert any(step.op in ("relu", "select", "clamp", "abs", "max") for step in depth_first.stats.steps)
    monkeypatch.setattr(engine, "MAX_RUN", 1)    # no run: every node on every piece in turn
    node_by_node = pwverify.parse(text).representation()
    assert _pieces(depth_first) == _pieces(node_by_node)
    check_representation(depth_first)


def test_two_layers_decided_depth_first_give_the_node_by_node_pieces(tmp_path, monkeypatch):
    """The second layer's ReLUs are asked once per first-layer piece, then, on its
    sub-pieces, only those that cross it: the same pieces, traces and merges."""
    from pwverify.engines import pieces as engine
    path = tmp_path / "net.py"
    path.write_text("import torch\n\n\ndef net(x: \"float[2]\"):\n"
                    "    W = torch.tensor([[1, 2], [2, -1], [-1, 1], [3, 1], [1, -3], [-2, -1]])\n"
                    "    h = torch.relu(W @ x + torch.tensor([0, 1, 2, -1, 2, 1]))\n"
                    "    V = torch.tensor([[1, -2, 1, 0, 1, 2], [2, 1, -1, 1, 0, -1], [-1, 1, 1, -2, 1, 0],\n"
                    "                      [1, 1, -1, 1, -2, 1]])\n"
                    "    h = torch.relu(V @ h + torch.tensor([1, -1, 0, 2]))\n"
                    "    return h.sum()\n")
    depth_first = pwverify.parse(f"{path}:net").representation()
    monkeypatch.setattr(engine, "MAX_RUN", 1)
    node_by_node = pwverify.parse(f"{path}:net").representation()
    assert _pieces(depth_first) == _pieces(node_by_node)
    assert len(depth_first.pieces) == 36 and depth_first.stats.merged == 12
    check_representation(depth_first)


def test_a_union_whose_midpoint_lies_outside_is_not_convex():
    from pwverify.core.atoms import Atom
    from pwverify.engines.regions import union_not_convex
    x, y = sympy.symbols("x y")
    left, right = (Atom.make(x, "<", 0),), (Atom.make(x, ">", 1),)
    middle = (Atom.make(x, ">=", 0), Atom.make(x, "<=", 1))
    points = [{x: R(-1), y: R(0)}, {x: R(2), y: R(0)}]
    assert union_not_convex([left, right], points, left + right)
    assert not union_not_convex([left, right, middle], points, left + right + middle)
    # nonlinear and != atoms are never judged: their conjunctions need not be convex
    ring = (Atom.make(x**2 + y**2, ">", 1),)
    assert not union_not_convex([ring, ring], points, ring + ring)
    punctured = (Atom.make(x - 1, "!=", 0),)
    assert not union_not_convex([punctured, punctured], [{x: R(0), y: R(0)}, {x: R(2), y: R(0)}],
                                 punctured + punctured)


def test_two_pieces_split_by_one_atom_merge_into_the_rest_without_the_solver():
    from pwverify.engines.pieces import _Composer
    program = pwverify.parse("relu(x) + relu(y)")
    composer = _Composer(program.graph, None, 10_000, True, True, False)
    x, y = composer.inputs
    from pwverify.core.atoms import Atom
    rest, a = (Atom.make(y, ">", 0),), Atom.make(x, ">", 0)
    calls = composer.smt.stats.checks
    assert composer._try_merge([rest + (a,), rest + (a.negated(),)], [None, None]) == rest
    assert composer.smt.stats.checks == calls


def test_pieces_split_by_atoms_that_no_longer_matter_join_without_the_solver():
    """Four pieces C and ±a and ±b (a ReLU layer whose outputs are then multiplied by 0)
    become C; a piece missing from the square keeps the others apart."""
    from pwverify.core.atoms import Atom
    from pwverify.engines.pieces import _Composer, _State
    program = pwverify.parse("relu(x) + relu(y)")
    composer = _Composer(program.graph, None, 10_000, True, True, False)
    x, y = composer.inputs
    c, a, b = Atom.make(x + y, ">", 1), Atom.make(x, ">", 0), Atom.make(y, ">", 0)
    square = [(c, a, b), (c, a, b.negated()), (c, a.negated(), b), (c, a.negated(), b.negated())]
    calls = composer.smt.stats.checks
    joined = composer._join_complements([_State(w, {}) for w in square])
    assert [p.where for p in joined] == [(c,)] and composer.smt.stats.checks == calls
    three = composer._join_complements([_State(w, {}) for w in square[:3]])
    assert sorted(len(p.where) for p in three) == [2, 3]   # C and a, C and not a and b


def test_atoms_with_a_neighbour_across_them_are_kept_without_a_question(monkeypatch):
    """The simplified pieces are the same whether or not the atoms a neighbouring piece
    certifies are asked about, and asking fewer questions."""
    from pwverify.engines import pieces as engine
    text = "relu(x - y) + 2*relu(x + y - 1) - relu(2*x - y + 1) + relu(y - 2)"
    certified = pwverify.parse(text).representation()
    monkeypatch.setattr(engine, "facets_with_a_neighbour", lambda states: [frozenset()] * len(states))
    asked = pwverify.parse(text).representation()
    assert _pieces(certified) == _pieces(asked)
    assert certified.stats.solver_calls < asked.stats.solver_calls


def test_a_facet_is_certified_only_by_a_piece_that_is_surely_not_empty():
    from pwverify.core.atoms import Atom
    from pwverify.engines.pieces import _State
    from pwverify.engines.regions import facets_with_a_neighbour
    x, y = sympy.symbols("x y")
    c, a = Atom.make(x, ">", 0), Atom.make(y, ">", 0)
    one, other = _State((c, a), {}), _State((c, a.negated()), {})
    assert facets_with_a_neighbour([one, other]) == [frozenset({a}), frozenset({a.negated()})]
    unsure = _State((c, a.negated()), {}, possibly_empty=True)
    assert facets_with_a_neighbour([one, unsure]) == [frozenset(), frozenset({a.negated()})]
