"""Every op in the registry carries, beside its forward and backward, its rule in words and its code templates."""

import string

import pytest

from tinygrad_nnd import OPS, Op


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_states_its_backward_rule_for_each_input(name: str) -> None:
    """``rule`` has one formula per input (one for all of them where any number is taken), each
    mentioning the gradient arriving (``g``) or saying it is zero."""
    cls = OPS[name]
    expected = 1 if cls.n_inputs is None else cls.n_inputs
    assert len(cls.rule) == expected, f"{cls.__name__}.rule needs one formula per input"
    assert all("g" in formula or formula.startswith("0") for formula in cls.rule)
    # rule_terms fills in only these labels: any other field would raise when the graph views print it
    fields = {
        field for formula in cls.rule for _, field, _, _ in string.Formatter().parse(formula) if field is not None
    }
    assert fields <= {"a", "b", "c", "p"}, f"{cls.__name__}.rule uses {sorted(fields)}"


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_code_templates_for_the_compiler(name: str) -> None:
    """``forward_code`` and ``backward_code`` (or an own ``code``) let jit compile a graph of this op."""
    cls = OPS[name]
    has_templates = cls.forward_code is not None and cls.backward_code is not None
    assert has_templates or cls.code is not Op.code, f"{cls.__name__} has no code templates"
    if cls.backward_code is not None:
        assert len(cls.backward_code) == cls.n_inputs


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_class_is_named_as_its_registry_entry(name: str) -> None:
    """The class a reader finds in ops.py and the name graphs and errors show are one word
    (``Dot`` is "dot", ``ScatterAdd`` is "scatter_add", ``LogSumExp`` is "logsumexp")."""
    cls = OPS[name]
    assert cls.__name__.lower() == name.replace("_", ""), f"{cls.__name__} is registered as {name!r}"


def test_an_op_of_any_number_of_inputs_states_its_one_rule_for_each() -> None:
    """concatenate's single formula is given to every input, however many there are."""
    from tinygrad_nnd.engine.ops import Concatenate
    from tinygrad_nnd.viz import rule_explanation

    text = rule_explanation(Concatenate(), ("x", "y", "z"), "c", (True, False, True))
    formula = Concatenate.rule[0]
    assert text == f"concatenate backward: x gets {formula}; z gets {formula} (y is a constant: no gradient)"


def test_rule_in_words_writes_the_given_names_for_inputs_output_and_the_word_g_only() -> None:
    """{a}, {b} and {c} become the names given, the word g the gradient's name (not the g inside sign or
    log_softmax), and pow's {p} its exponent; an op without an exponent shows {p} as the letter p."""
    from tinygrad_nnd.engine.ops import Abs, Dot, LogSoftmax, Pow, Sigmoid

    assert Dot().rule_in_words(("a_2", "W_2"), "z_3", g="delta_3") == ("delta_3 @ W_2.T", "a_2.T @ delta_3")
    assert Sigmoid().rule_in_words(("z_3",), "y_hat", g="dJ/dy_hat") == ("dJ/dy_hat * y_hat * (1 - y_hat)",)
    assert Abs().rule_in_words(("x",), "y", g="delta") == ("delta * sign(x)",)
    assert LogSoftmax().rule_in_words(("x",), "y", g="G") == ("G - exp(y) * sum(G, axis)",)
    assert Pow(3.0).rule_in_words(("x",), "y") == ("g * 3.0 * x**(3.0 - 1)",)
    assert Dot().rule_in_words(("x",), "y") is None  # one name for two inputs: no formula fits

    class ScaledBy(Op):  # a user's op whose rule names an exponent it does not have
        rule = ("g * {p}",)
        __slots__ = ()

    assert ScaledBy().rule_in_words(("x",), "y", g="delta") == ("delta * p",)
