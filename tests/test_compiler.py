"""The compiler's own promises, beyond equal numbers: the source it writes, its constants, memory and checks.

tests/test_jit.py shows that compiled values and gradients equal the eager engine's. This file checks what
:mod:`~tinygrad_nnd.engine.compiler` promises on top of that, each a property a learner or a caller can see:

- the source (``.source()``) is meant to be read: every backward line carries its op's rule in words, a
  gradient is named ``dJ_dv`` after its node, the contributions of a node used several times are numbered
  and summed under the node's own name, and a broadcast operand's gradient is summed over exactly the axes
  broadcasting added or stretched;
- constants keep the value they were traced with, and writing the program evaluates the traced values
  without a warning (the program, when it runs, warns as NumPy does);
- arguments get names that cannot clash with NumPy, the program's own names or each other;
- the buffer plan (``out=``) and the program that ``detect_anomaly`` runs give the same arrays, of the same
  dtypes, as the plain program;
- a traceback through a program shows the program's lines, and says which program it was.
"""

from __future__ import annotations

import linecache
import re
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from named_functions import large_cost

from tinygrad_nnd import OPS, AnomalyError, Op, Tensor, detect_anomaly, jit, value_and_grad
from tinygrad_nnd.engine import ops
from tinygrad_nnd.engine.compiler import MIN_BUFFER_BYTES, CompileError, build
from tinygrad_nnd.engine.functions import concatenate
from tinygrad_nnd.engine.tensor import apply
from tinygrad_nnd.testing import op_inputs

OP_NAMES = sorted(OPS)

#: A backward line of a program: ``    target = expression  # comment``.
LINE = re.compile(r"^    (\w+) = (.*?)(?:  # (.*))?$")

#: Enough float64 elements for an array to get a buffer of the plan (and float32 ones: twice as many).
LARGE = MIN_BUFFER_BYTES // 8


def lines_of(source: str) -> dict[str, tuple[str, str]]:
    """Each assignment of a program's source: target -> (expression, comment)."""
    found = {}
    for line in source.splitlines():
        m = LINE.match(line)
        if m and not line.lstrip().startswith("#"):
            found[m[1]] = (m[2], m[3] or "")
    return found


def in_words(rule: str) -> str:
    """An op's rule as a reader sees it: its fields ``{a}``, ``{c}`` written as the bare letters."""
    return re.sub(r"\{(\w+)\}", r"\1", rule)


#: How the comment calls input i of an op: a and b as in the rules, then by position, like the templates' fields.
INPUT_LETTERS = ("a", "b", "in_2", "in_3")


# ---------------------------------------------------------------- the source a learner reads


@pytest.mark.parametrize("name", OP_NAMES)
def test_each_backward_line_carries_its_ops_rule_in_words_for_that_input(name):
    """For every op: the line that computes an input's gradient says which op, which input, and the op's rule
    for that input in words (the rule's own text, its fields shown as letters and pow's exponent as its
    value), as the eager explanation does."""
    op_class = OPS[name]

    @given(op_inputs(name))
    @settings(max_examples=3, derandomize=True, database=None)
    def check(case):
        leaves = [Tensor(a, requires_grad=True, name=f"x{k}") for k, a in enumerate(case.inputs)]
        out = case.apply(*leaves)
        weight = Tensor(np.linspace(-1.0, 1.0, out.data.size).reshape(out.shape), name="w")
        program = build((out * weight).sum(), leaves, [weight], gradient=True)
        lines = lines_of(program.source)
        for k in range(len(leaves)):
            target = next(t for t in (f"dJ_dx{k}_broadcast", f"dJ_dx{k}") if t in lines)
            words = op_class.rule[k] if len(op_class.rule) > 1 else op_class.rule[0]  # one rule: every input's
            if "exponent" in case.params:  # pow's {p} is its exponent, as in the graph views
                words = words.replace("{p}", str(case.params["exponent"]))
            assert lines[target][1] == f"{name}: dJ/d{INPUT_LETTERS[k]} = {in_words(words)}", program.source

    check()


def test_an_op_whose_rule_does_not_cover_each_input_shows_its_code_templates_instead(registry_restored):
    """A user's two-input op with one formula in ``rule`` (not an op of any number of inputs): the comments show
    each input's own code template, never the first input's rule on the second input's line."""

    class ScaledSum(Op):
        name = "scaled_sum_for_this_test"
        n_inputs = 2
        rule = ("g * 2",)  # the rule of a only
        forward_code = "2.0 * {a} + 3.0 * {b}"
        backward_code = ("2.0 * {g}", "3.0 * {g}")
        __slots__ = ()

        def forward(self, a, b):
            return 2.0 * a + 3.0 * b

        def backward(self, g, out, a, b):
            return 2.0 * g, 3.0 * g

    x, y = Tensor(1.0, requires_grad=True, name="x"), Tensor(2.0, requires_grad=True, name="y")
    w = Tensor(5.0, name="w")  # data: the gradient arriving at the op is a value, not a constant folded away
    program = build(apply(ScaledSum(), x, y) * w, [x, y], [w], gradient=True)
    lines = lines_of(program.source)
    assert lines["dJ_dx"][1] == "scaled_sum_for_this_test: dJ/da = 2.0 * g"
    assert lines["dJ_dy"][1] == "scaled_sum_for_this_test: dJ/db = 3.0 * g"
    assert program(np.array(1.0), np.array(2.0), np.array(5.0))[1:] == (10.0, 15.0)


def test_the_third_input_of_a_concatenation_is_named_by_its_position():
    """Inputs past the second are in_2, in_3, ... in the comments, as in the templates' fields."""
    xs = [Tensor(np.full(2, float(k + 1)), requires_grad=True, name=f"x{k}") for k in range(4)]
    w = Tensor(np.arange(8.0), name="w")
    program = build((concatenate(xs) * w).sum(), xs, [w], gradient=True)
    lines = lines_of(program.source)
    rule = in_words(OPS["concatenate"].rule[0])
    for k, letter in enumerate(INPUT_LETTERS):
        assert lines[f"dJ_dx{k}"][1] == f"concatenate: dJ/d{letter} = {rule}"
    _J, *grads = program(*(x.data for x in xs), w.data)
    np.testing.assert_array_equal(np.concatenate(grads), w.data)  # d(sum(concat * w))/dx_k is w's slice


class WordlessExp(ops.Exp):  # no `name` of its own: not registered in OPS
    rule = ()


def test_an_op_without_a_rule_in_words_shows_its_code_template_instead():
    """Without words the comment shows the backward template, its fields (g, out, a) written as names."""
    x = Tensor(np.array([0.5, 1.0]), requires_grad=True, name="x")
    w = Tensor(np.array([2.0, 3.0]), name="w")
    program = build((apply(WordlessExp(), x) * w).sum(), [x], [w], gradient=True)
    assert lines_of(program.source)["dJ_dx"] == ("dJ_dexp_1 * exp_1", "exp: dJ/da = g * out")


def test_the_gradient_of_a_node_used_three_times_is_its_numbered_uses_summed_under_its_own_name():
    """x * x * x: each of x's three contributions is numbered in the order it arrives, the running sum is
    dJ_dx_sum, and the total, which the program returns, carries x's gradient name dJ_dx."""
    program = build(
        (lambda x: (x * x * x).sum())(x := Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")),
        [x],
        [],
        gradient=True,
    )
    lines = lines_of(program.source)
    assert lines["dJ_dx_1"] == ("dJ_dmul_2 * mul_1", "mul: dJ/db = g * a")
    assert lines["dJ_dx_2"] == ("dJ_dmul_1 * x", "mul: dJ/da = g * b")
    assert lines["dJ_dx_sum"] == ("dJ_dx_1 + dJ_dx_2", "dJ_dx sums its 3 uses")
    assert lines["dJ_dx_3"] == ("dJ_dmul_1 * x", "mul: dJ/db = g * a")
    assert lines["dJ_dx"] == ("dJ_dx_sum + dJ_dx_3", "dJ_dx sums its 3 uses")
    assert program.outputs == ["J", "dJ_dx"]
    assert program(np.array([1.0, 2.0]))[1].tolist() == [3.0, 12.0]  # 3 x^2


def test_the_result_op_reading_x_twice_starts_from_dJ_dJ_and_sums_two_uses():
    """J = x . x: the dot's rules read the seed dJ/dJ (named dJ_dJ), and x's two contributions sum as dJ_dx."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, name="x")
    program = build(x.dot(x), [x], [], gradient=True)
    lines = lines_of(program.source)
    assert set(lines) == {"J", "dJ_dx_1", "dJ_dx_2", "dJ_dx"}
    assert "dJ_dJ" in program.constants and lines["dJ_dx_1"][0].startswith("(dJ_dJ.reshape(")
    assert lines["dJ_dx"] == ("dJ_dx_1 + dJ_dx_2", "dJ_dx sums its 2 uses")
    assert "    # backward: dJ_dv is dJ/dv\n" in program.source
    assert program(np.array([1.0, 2.0, 3.0]))[1].tolist() == [2.0, 4.0, 6.0]


@pytest.mark.parametrize(
    "x_shape, y_shape, axes",
    [
        ((1, 4, 1), (3, 1, 1, 5), (0, 3)),  # one axis added, one stretched, and a size-1 axis left alone
        ((4, 1), (2, 3, 4, 5), (0, 1, 3)),  # two added, one stretched
        ((3, 1, 5), (3, 4, 5), (1,)),  # only stretched
        ((5,), (2, 5), (0,)),  # only added
    ],
)
def test_a_broadcast_operands_gradient_is_summed_over_exactly_the_broadcast_axes(x_shape, y_shape, axes):
    """x * y with x broadcast: the rule's value, of the result's shape, is named dJ_dx_broadcast, and one
    unbroadcast line sums it over the axes broadcasting added (leading) or stretched (size 1 in x, not in the
    result), keeping x's other size-1 axes, back to x's shape. The axes are the listed ones, worked out by hand."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=x_shape), requires_grad=True, name="x")
    y = Tensor(rng.normal(size=y_shape), name="y")
    program = build((x * y).sum(), [x], [y], gradient=True)
    lines = lines_of(program.source)
    assert lines["dJ_dx_broadcast"] == ("dJ_dmul_1 * y", "mul: dJ/da = g * b")
    assert lines["dJ_dx"] == (
        "np.add.reduce(dJ_dx_broadcast, axis=axes, keepdims=True).reshape(shape)",
        "unbroadcast: sum over the broadcast axes",
    )
    assert program.constants["axes"] == axes and program.constants["shape"] == x_shape
    _, g = program(x.data, y.data)
    assert g.shape == x_shape
    # d(sum(x * y))/dx is y summed over the broadcast axes; the same additions, so 1e-12 relative covers
    # only a different order of summation.
    stretched_y = np.broadcast_to(y.data, np.broadcast_shapes(x_shape, y_shape))
    np.testing.assert_allclose(g, stretched_y.sum(axis=axes, keepdims=True).reshape(x_shape), rtol=1e-12)


# ---------------------------------------------------------------- constants, names, warnings


def test_constants_are_read_only_copies_of_their_traced_values():
    """A constant leaf, and a value folded from constants, are bound as read-only copies: changing the
    traced array afterwards changes nothing, and nobody can write into the program's constants."""
    c = np.array([2.0, 3.0])
    x = Tensor(np.array([1.0, 1.0]), requires_grad=True, name="x")
    program = build((x * Tensor(c, name="k")).sum(), [x], [], gradient=True)
    c[:] = 100.0
    J, g = program(np.array([1.0, 1.0]))
    assert J.item() == 5.0 and g.tolist() == [2.0, 3.0]
    arrays = {name: v for name, v in program.constants.items() if isinstance(v, np.ndarray) and v.ndim > 0}
    assert "k" in arrays and "dJ_dmul_1" in arrays  # the leaf, and the sum's rule folded on constants
    for name in ("k", "dJ_dmul_1"):
        assert not arrays[name].flags.writeable, name


def test_argument_names_never_clash_with_numpy_the_program_or_each_other():
    """Leaves named like NumPy (np), the templates' functions (expit), the program itself, a keyword, the
    program's own underscore names, or one another, get usable names of their own and the right results."""
    names = ["np", "expit", "program", "lambda", "_b0", "_buffers", "w", "w", "not an identifier"]
    rng = np.random.default_rng(1)
    leaves = [Tensor(rng.normal(size=3), requires_grad=True, name=n) for n in names]
    J = leaves[0]
    for leaf in leaves[1:]:
        J = J * leaf.sigmoid()
    program = build(J.sum(), leaves, [], gradient=True)
    assert program.arguments == ["np_2", "expit_2", "program_2", "arg_3", "arg_4", "arg_5", "w", "w_2", "arg_8"]
    got = program(*(leaf.data for leaf in leaves))
    want = value_and_grad(lambda *xs: _chain(xs), argnums=tuple(range(len(names))))(*(leaf.data for leaf in leaves))
    assert got[0] == want[0]
    for g, w in zip(got[1:], want[1]):
        np.testing.assert_array_equal(g, w)  # the same operations in the same order: equal to the last bit


def _chain(xs):
    J = xs[0]
    for x in xs[1:]:
        J = J * x.sigmoid()
    return J.sum()


def test_a_constant_named_like_the_program_or_numpy_keeps_its_value():
    """Constants are bound beside the templates' names: one called program, np or 'c c' is still itself."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    consts = [Tensor(np.array([3.0, 5.0]), name=n) for n in ("program", "np", "c c")]
    program = build(((x * consts[0]) * consts[1] * consts[2]).sum(), [x], [], gradient=True)
    J, g = program(np.array([1.0, 2.0]))
    assert J.item() == 3.0**3 + 2.0 * 5.0**3 and g.tolist() == [27.0, 125.0]
    assert {"program_2", "np_2", "c"} <= set(program.constants)


def test_writing_the_program_is_silent_and_running_it_warns_as_numpy_does():
    """Tracing evaluates each backward line (also split into pieces, on large arrays) on the traced values,
    which may divide by zero: that is no warning of the caller's. Running the program at that point warns
    as the eager engine does."""
    f = jit(lambda x: (x**0.5).sum())
    for n in (2, 2 * LARGE):  # small, and large enough to be split into one NumPy operation per line
        x = np.zeros(n)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            f.source(x)
        with pytest.warns(RuntimeWarning, match="divide by zero"):
            f.grad(x)
        with pytest.warns(RuntimeWarning, match="divide by zero"):
            value_and_grad(f.f)(x)


# ---------------------------------------------------------------- buffers and the checked program


def test_a_large_negation_is_written_into_a_buffer_and_equals_the_eager_result():
    """-a is a ufunc too (np.negative): on a large array it gets out= like the others, with the same values."""
    f = jit(lambda x: (-(x * 2.0)).exp().sum())
    x = np.linspace(-1.0, 1.0, LARGE)
    lines = lines_of(f.source(x))
    assert lines["neg_2"][0].startswith("np.negative(mul_1, out=_b")
    assert lines["dJ_dmul_1"][0].startswith("np.negative(dJ_dneg_2, out=_b")
    J, g = f.value_and_grad(x)
    J_eager, g_eager = value_and_grad(f.f)(x)
    assert J_eager == J
    np.testing.assert_array_equal(g, g_eager)  # the same NumPy operations in the same order


def test_float32_programs_with_buffers_give_float32_results_checked_or_not():
    """With float32 arrays large enough for the buffer plan, the plain program, the detect_anomaly program and
    the eager engine give the same float32 arrays: the buffers have the values' dtype and shape."""
    rng = np.random.default_rng(2)
    n = 2 * MIN_BUFFER_BYTES // (4 * 16)  # n x 16 float32 arrays get buffers
    w, X, y = (rng.normal(size=s).astype(np.float32) for s in ((4, 16), (n, 4), (n, 1)))
    f = jit(large_cost)
    J, g = f.value_and_grad(w, X, y)
    program = next(iter(f._programs.values()))
    assert program.buffers and all(dtype == np.float32 for _, dtype in program.buffers)
    J_eager, g_eager = value_and_grad(large_cost)(w, X, y)
    with detect_anomaly():
        J_checked, g_checked = f.value_and_grad(w, X, y)
        J_checked_again, g_checked_again = f.value_and_grad(w, X, y)
    for got in (g, g_checked, g_checked_again):
        assert got.dtype == np.float32 and got.shape == w.shape
        # The same float32 operations in the same order; a 2-D product written through out= is the same
        # BLAS call (gemm) writing into a given array instead of a new one, so it rounds the same.
        np.testing.assert_array_equal(got, g_eager)
    assert J == J_eager == J_checked == J_checked_again


def _frames(error: BaseException) -> list[traceback.FrameSummary]:
    return traceback.extract_tb(error.__traceback__)


def test_a_traceback_through_the_program_shows_its_line_and_names_the_program():
    """Each program's source is registered under a name of its own: an error inside it shows the line that
    failed, from that program and not from another one compiled after it."""
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    first = build((x * Tensor(np.arange(3.0), name="k")).sum(), [x], [], gradient=True)
    build((x.exp() * 2.0).sum(), [x], [], gradient=True)  # another program, compiled later
    with pytest.raises(ValueError) as error:
        first(np.ones(4))  # a shape the program was not written for
    frame = _frames(error.value)[-1]
    assert frame.filename.startswith("<tinygrad_nnd compiled ")
    assert frame.line == "mul_1 = x * k  # mul"
    assert "".join(linecache.getlines(frame.filename)) == first.source  # what debuggers and inspect read


def test_a_traceback_through_the_detect_anomaly_program_shows_its_check_and_names_that_program():
    """Under detect_anomaly the checked program runs: the traceback says so and shows the check that raised."""
    x = Tensor(np.array([1.0, 4.0]), requires_grad=True, name="x")
    program = build(x.log().sum(), [x], [], gradient=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^log forward produced inf") as error:
        program(np.array([0.0, 1.0]))
    frame = next(f for f in _frames(error.value) if f.filename.startswith("<tinygrad_nnd"))
    assert frame.filename.startswith("<tinygrad_nnd checked ")
    assert frame.line == "_check('log', 'forward', log_1, ((2,),))"


def test_a_gradient_with_no_path_to_the_result_is_zeros_of_the_arguments_shape_and_dtype():
    """An argument the result does not read still gets its gradient: one line of zeros, named and explained."""
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True, name="x")
    a = Tensor(np.array([2.0, 3.0], dtype=np.float32), requires_grad=True, name="a")
    program = build((a * a).sum(), [a, x], [], gradient=True)
    assert lines_of(program.source)["dJ_dx"] == ("np.zeros_like(x)", "no path to the result")
    _J, g_a, g_x = program(np.array([2.0, 3.0], dtype=np.float32), np.ones(3, dtype=np.float32))
    assert g_x.dtype == np.float32 and g_x.tolist() == [0.0, 0.0, 0.0]
    assert g_a.tolist() == [4.0, 6.0]


def test_the_source_has_one_forward_and_one_backward_section_named_after_the_result():
    """The result's own name names the gradients (dloss_dx for a result called loss), and the two halves
    of the program each get one heading, in order."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    w = Tensor(np.array([3.0, -1.0]), name="w")
    loss = (x.tanh() * w).sum()
    loss.name = "loss"
    program = build(loss, [x], [w], gradient=True)
    headings = [line for line in program.source.splitlines() if line.lstrip().startswith("#")]
    assert headings == ["    # forward", "    # backward: dloss_dv is dloss/dv"]
    lines = lines_of(program.source)
    assert lines["loss"] == ("np.add.reduce(mul_2, axis=axis_3, keepdims=keepdims_3)", "sum")
    assert lines["dloss_dx"] == ("dloss_dtanh_1 * (1.0 - tanh_1 * tanh_1)", "tanh: dloss/da = g * (1 - c**2)")
    assert program.outputs == ["loss", "dloss_dx"]
    assert program.source.splitlines()[-1] == "    return np.array(loss), dloss_dx"


def test_unnamed_leaves_are_x_then_arg_k_and_unnamed_constants_c():
    """Arguments without a name are x, arg_1, arg_2 in order; constants without one are c, c_2; a leaf that
    requires a gradient but is not an argument is a constant too."""
    xs = [Tensor(np.full(2, float(k + 1)), requires_grad=True) for k in range(3)]
    frozen = Tensor(np.array([5.0, 7.0]), requires_grad=True)  # requires a gradient, but no argument
    named = Tensor(np.array([0.5, 0.5]), requires_grad=True, name="bias")  # the same, with a name of its own
    J = (xs[0] * xs[1] * xs[2] * Tensor(np.array([1.0, -1.0])) + frozen + named).sum()
    program = build(J, xs[:2], [xs[2]], gradient=True)
    assert program.arguments == ["x", "arg_1", "arg_2"]
    assert {"c", "c_2"} <= set(program.constants) and program.constants["bias"].tolist() == [0.5, 0.5]
    bound = sorted(tuple(program.constants[name].tolist()) for name in ("c", "c_2"))
    assert bound == [(1.0, -1.0), (5.0, 7.0)]
    J_value, g_0, g_1 = program(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0]))
    assert J_value.item() == (1 * 3 * 5 - 2 * 4 * 6) + 12.0 + 1.0
    assert g_0.tolist() == [15.0, -24.0] and g_1.tolist() == [5.0, -12.0]


def test_what_build_refuses_is_named_word_for_word_and_a_value_needs_no_single_element():
    """An inner node as an argument, or a gradient of a result with more than one element, is a ValueError
    that says so; the value alone of a result of any shape compiles and comes back in that shape."""
    w = Tensor(np.ones(2), requires_grad=True, name="w")
    h = w * 3.0
    with pytest.raises(ValueError) as error:
        build((h * h).sum(), [h], [], gradient=True)
    assert str(error.value) == "compile: every argument must be a leaf (a Tensor no recorded op made)"
    with pytest.raises(ValueError) as error:
        build(w * w, [w], [], gradient=True)
    assert str(error.value) == "compile: a gradient needs a result with one element, got shape (2,)"
    value = build(w * w, [w], [], gradient=False)
    (got,) = value(np.array([2.0, 3.0]))
    assert got.tolist() == [4.0, 9.0]


class ForwardOnlyExp(ops.Exp):  # no `name` of its own: not registered in OPS
    backward_code = None


def test_an_op_with_a_forward_template_but_no_backward_one_is_refused_by_name():
    """Both templates are needed: the error names the op and its class, and says what to do."""
    x = Tensor(np.ones(2), requires_grad=True, name="x")
    with pytest.raises(CompileError) as error:
        build(apply(ForwardOnlyExp(), x).sum(), [x], [], gradient=True)
    assert str(error.value) == (
        "jit: the op 'exp' (ForwardOnlyExp) has no code templates (forward_code and backward_code in "
        "engine/ops.py), so a graph that uses it cannot be compiled; call the function without jit, or add "
        "the templates"
    )


# ---------------------------------------------------------------- returned values and their dtypes


def test_float32_values_and_gradients_stay_float32_even_beside_float64_constants():
    """The value of float32 arguments is float32 as in the eager engine; a float32 argument's gradient is
    float32 also where a float64 constant made the traced gradient float64 (it is cast back, as the
    eager engine does)."""
    x32 = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    f = jit(lambda x: x.sigmoid() * 2.0)
    assert f(x32).dtype == np.float32
    scale = np.array([1.0, 2.0, 3.0])  # float64
    g = jit(lambda x: (x * scale).sum())
    got = g.grad(x32)
    want = value_and_grad(g.f)(x32)[1]
    assert got.dtype == want.dtype == np.float32 and got.tolist() == want.tolist()
    assert g.source(x32).splitlines()[-1] == "    return J.item(), np.array(dJ_dx, dtype=dtype)"
    same = jit(lambda x: (x * x).sum())  # float32 throughout: nothing to cast, the fresh product is returned
    assert same.source(x32).splitlines()[-1] == "    return J.item(), dJ_dx"


def test_a_zero_dimensional_arguments_gradient_comes_back_as_a_zero_dimensional_array():
    """Arithmetic on 0-d arrays gives NumPy scalars: the program hands back 0-d ndarrays, like the eager engine."""
    x = Tensor(np.array(3.0), requires_grad=True, name="x")
    program = build(x * x * x, [x], [], gradient=True)
    J, g = program(np.array(2.0))
    assert type(J) is np.ndarray and J.shape == () and J == 8.0
    assert type(g) is np.ndarray and g.shape == () and g == 12.0


def test_every_result_belongs_to_the_caller_even_a_view_of_a_buffered_array_or_a_folded_constant():
    """A later call, with other arguments, changes no result of an earlier one: a gradient that is a reshape
    of a large intermediate (which lives in a reused buffer) is copied out, and a gradient folded into a
    constant comes back as a writable array of its own."""
    n = 2 * LARGE

    def f(x, y, w):
        return (y * y).sum() + (x.reshape((n,)) * w).sum()

    args = [np.linspace(0.0, 1.0, n).reshape((n, 1)), np.ones(2), np.linspace(-1.0, 1.0, n)]
    jitted = jit(f, argnums=(0, 1))
    _J, (g_x, g_y) = jitted.value_and_grad(*args)
    program = next(iter(jitted._programs.values()))
    assert program.plan  # the reshaped product lives in a buffer
    kept = g_x.copy(), g_y.copy()
    g_y[...] = -1.0  # the caller may write into a result
    jitted.value_and_grad(args[0] * 2.0, args[1] * 5.0, args[2] * 7.0)
    np.testing.assert_array_equal(g_x, kept[0])
    g_const = jit(lambda x: (x * 3.0).sum()).grad(np.ones(3))
    assert g_const.flags.writeable and g_const.tolist() == [3.0, 3.0, 3.0]
    g_const[...] = 0.0
    assert jit(lambda x: (x * 3.0).sum()).grad(np.ones(3)).tolist() == [3.0, 3.0, 3.0]


# ---------------------------------------------------------------- the buffer plan, split lines, checks on large arrays


def test_a_view_of_a_buffered_array_keeps_that_buffer_until_the_view_is_read():
    """u = x * 2 gets a buffer; t = u.T is a view of it; y = x * 3 (same shape) must not be written over
    u while t is still to be read. Compiled equals eager to the last bit."""
    side = 128  # 128 x 128 float64: large

    def f(x, w):
        u = x * 2.0
        t = u.transpose()
        y = x * 3.0
        return (t * y * w).sum()

    x = np.arange(side * side, dtype=np.float64).reshape(side, side) / side**2
    w = np.linspace(-1.0, 1.0, side * side).reshape(side, side)
    J, g = jit(f).value_and_grad(x, w)
    J_eager, g_eager = value_and_grad(f)(x, w)
    assert J_eager == J
    np.testing.assert_array_equal(g, g_eager)


def test_a_large_vector_matrix_product_equals_the_eager_one():
    """A large product of a vector and a matrix (the plan writes only 2-D products with out=): the same bits
    as the eager engine, value and both gradients."""
    rng = np.random.default_rng(3)
    v, W = rng.normal(size=7), rng.normal(size=(7, 2 * LARGE))

    def f(v, W):
        return ((v @ W).sigmoid() * 2.0).sum()

    J, (g_v, g_W) = jit(f, argnums=(0, 1)).value_and_grad(v, W)
    J_eager, (e_v, e_W) = value_and_grad(f, argnums=(0, 1))(v, W)
    assert J_eager == J
    np.testing.assert_array_equal(g_v, e_v)
    np.testing.assert_array_equal(g_W, e_W)


def test_the_networks_buffer_plan_is_the_documented_one_from_exactly_MIN_BUFFER_BYTES():
    """docs/backward-pass-as-code.md: two buffers serve five arrays: a_2 over z_2, dJ_da_2 in the second,
    the sigmoid's rule split into one operation per line (dJ_da_2 * a_2 over dJ_da_2, 1 - a_2 over a_2, their
    product over that), and the results returned as the fresh arrays they are. Arrays of exactly
    MIN_BUFFER_BYTES already get a buffer; on a few rows nothing does, and each rule stays one line."""
    from tinygrad_nnd import NeuralNetwork

    N = NeuralNetwork((2, 8, 1), seed=0)
    n = MIN_BUFFER_BYTES // (8 * 8)  # z_2 is n x 8 float64: exactly MIN_BUFFER_BYTES
    rng = np.random.default_rng(0)
    X, y = rng.random((n, 2)), rng.random((n, 1))
    program = N._compiled_cost(X, y)
    assert program.plan == {"z_2": 0, "a_2": 0, "dJ_da_2": 1, "t_1": 1, "t_2": 0, "dJ_dz_2": 0}
    assert program.buffers == [((n, 8), np.dtype(np.float64))] * 2
    source = N.cost_and_gradients_source(X, y)
    for line in (
        "    _b0, _b1, = _buffers",
        "    a_2 = expit(z_2, out=_b0)  # sigmoid",
        "    dJ_da_2 = np.matmul(dJ_dz_3, W_2.T, out=_b1)  # dot: dJ/da = g @ b.T",
        "    t_1 = np.multiply(dJ_da_2, a_2, out=_b1)",
        "    t_2 = np.subtract(1.0, a_2, out=_b0)",
        "    dJ_dz_2 = np.multiply(t_1, t_2, out=_b0)  # sigmoid: dJ/da = g * c * (1 - c)",
        "    return J.item(), dJ_dW_1, dJ_dW_2",
    ):
        assert line in source.splitlines(), line
    headings = [line for line in source.splitlines() if line.lstrip().startswith("#")]
    assert headings == ["    # forward", "    # backward: dJ_dv is dJ/dv"]
    np.testing.assert_allclose(N.compute_gradients(X, y), N.compute_gradients_by_hand(X, y), rtol=1e-12)
    small = N._compiled_cost(X[:3], y[:3])
    assert small.buffers == [] and small.plan == {}
    assert "    dJ_dz_2 = dJ_da_2 * a_2 * (1.0 - a_2)  # sigmoid: dJ/da = g * c * (1 - c)" in small.source.splitlines()


def test_a_large_result_is_returned_as_the_fresh_array_its_last_line_made():
    """A gradient whose rule was split into pieces is made by its last piece, a new array: returned as it is,
    not copied once more."""
    w = np.linspace(-1.0, 1.0, 2 * LARGE)
    f = jit(lambda x: (x.sigmoid() * w).sum())
    source = f.source(np.zeros(2 * LARGE))
    assert source.splitlines()[-1] == "    return J.item(), dJ_dx"
    assert lines_of(source)["dJ_dx"] == ("t_1 * t_2", "sigmoid: dJ/da = g * c * (1 - c)")


def test_a_large_rule_inside_a_call_is_split_too():
    """logsumexp's rule g * np.exp(a - c): on large arrays the subtraction inside the call gets its own line."""
    f = jit(lambda x: x.logsumexp())
    x = np.linspace(-2.0, 2.0, 2 * LARGE)
    lines = lines_of(f.source(x))
    pieces = [expr for target, (expr, _) in lines.items() if target.startswith("t_")]
    assert any(expr.startswith("np.subtract(x, ") for expr in pieces), pieces
    assert any(expr.startswith("np.exp(t_") for expr in pieces), pieces
    np.testing.assert_allclose(f.grad(x), value_and_grad(f.f)(x)[1], rtol=1e-12)  # same operations


def test_detect_anomaly_checks_a_split_line_on_large_arrays_and_names_its_op():
    """The check belongs to the op's line, also when it is split into pieces: sqrt's slope at 0 is named."""
    f = jit(lambda x: (x**0.5).sum())
    x = np.ones(2 * LARGE)
    f.grad(x)  # compiled outside
    x[5] = 0.0
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^pow backward produced inf"):
        f.grad(x)


def test_a_result_that_is_an_argument_itself_has_the_seed_as_its_gradient():
    """J = x (one element): no line computes anything; the value comes back as a copy and the gradient is
    dJ/dJ = 1, the seed, under its own name."""
    x = Tensor(np.array([2.5]), requires_grad=True, name="x")
    program = build(x, [x], [], gradient=True)
    assert program.source.splitlines()[1:] == ["    return np.array(x), np.array(dJ_dJ)"]
    given = np.array([4.0])
    J, g = program(given)
    assert J.tolist() == [4.0] and g.tolist() == [1.0] and not np.shares_memory(J, given)


def test_a_gradient_that_reads_only_constants_is_folded_into_one_constant():
    """What depends on constants alone is computed once, when the program is written: for (3x + 4x).sum() the
    seed, the sum's rule, both of x's contributions and their sum are bound values, and no backward line runs."""
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    program = build((x * 3.0 + x * 4.0).sum(), [x], [], gradient=True)
    assert "# backward" not in program.source
    folded = program.constants["dJ_dx"]
    assert folded.tolist() == [7.0, 7.0, 7.0] and not folded.flags.writeable
    J, g = program(np.array([1.0, 2.0, 3.0]))
    assert J.item() == 42.0 and g.tolist() == [7.0, 7.0, 7.0]


def test_a_matrix_product_never_writes_into_the_buffer_of_its_own_operand():
    """An elementwise operation may write over an input read for the last time, a product may not (each output
    element reads a whole row): in sigmoid(sigmoid(x @ W) @ V), the second product gets a buffer of its own
    although its operand is not needed after it. The values are the eager ones."""
    rng = np.random.default_rng(4)
    x, W, V = rng.normal(size=(2 * LARGE // 8, 8)), rng.normal(size=(8, 8)), rng.normal(size=(8, 8))

    def f(x, W, V):
        return ((x @ W).sigmoid() @ V).sigmoid().sum()

    jitted = jit(f)
    lines = lines_of(jitted.source(x, W, V, kind="value"))
    assert lines["sigmoid_2"][0] == "expit(dot_1, out=_b0)"  # written over the product it reads
    assert lines["dot_3"][0] == "np.matmul(sigmoid_2, V, out=_b1)"  # not over its operand
    assert jitted(x, W, V) == f(Tensor(x), W, V).data  # out= on a 2-D product: the same gemm, the same bits
