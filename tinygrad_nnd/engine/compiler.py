"""Compile a recorded graph into one straight-line Python function of NumPy calls: forward and backward.

The eager engine runs each op's ``forward`` and ``backward`` one call at a
time, with Python bookkeeping around every op. This module writes the same
computation out once, as source text: one statement per op, taken from the
code templates that each op carries beside its rules (``forward_code`` and
``backward_code`` in :mod:`~tinygrad_nnd.engine.ops`), with the graph's names
(``z_2``, ``a_2``, ``y_hat``) for values and ``dJ_dz_3`` for gradients. The
text is compiled by Python and called like any function.

Building the program, in order:

1. **Forward statements**, one per node, inputs first.
2. **Backward statements**, nodes in reverse order, only for the inputs whose
   gradient someone asked for; a gradient summed back to its input's shape
   where broadcasting stretched it (the eager :func:`unbroadcast`), and summed
   over the uses of a node used more than once (as :func:`accumulate`).
   While it writes them the compiler runs each backward statement once on the
   traced values, which tells it every shape and dtype, and **folds** a
   statement that reads only constants into a constant (``dJ/dJ * 0.5``).
3. **Dead-code elimination**: statements whose result nobody reads are dropped.
4. **Buffer plan**: a large array (:data:`MIN_BUFFER_BYTES` or more) made by
   one NumPy ufunc or ``@`` is written with ``out=`` into a buffer allocated once
   per signature; a buffer is reused (in place too, ``expit(z_2, out=z_2's
   buffer)``) as soon as no value that may share its memory is read again.
   Small arrays are cheaper to make than to manage, so they are left to NumPy.
5. The results come back as fresh arrays the caller owns.

Nothing a user passes becomes source text: names are identifiers (a name that
is not one is replaced), and constants, op parameters and shapes are bound to
the function as variables.
"""

from __future__ import annotations

import ast
import builtins
import functools
import keyword
import linecache
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit

from .backprop import topological_order
from .modes import check_finite, state
from .ops import TEMPLATE_FUNCTIONS, Op, broadcast_axes
from .tensor import Tensor

#: Arrays of at least this many bytes made by one ufunc or ``@`` get a buffer of their own, reused from
#: call to call; smaller ones are cheaper for NumPy to allocate than for us to pass around with ``out=``.
MIN_BUFFER_BYTES = 64 * 1024

#: What the templates may use.
NAMESPACE: dict[str, Any] = {"np": np, "expit": expit, **TEMPLATE_FUNCTIONS}

_BINARY_UFUNCS = {ast.Add: "np.add", ast.Sub: "np.subtract", ast.Mult: "np.multiply", ast.Div: "np.divide"}
_UNARY_UFUNCS = {"expit", "np.exp", "np.log", "np.tanh", "np.maximum", "np.negative"}


class CompileError(TypeError):
    """A graph that cannot be compiled: an op without code templates."""


@dataclass
class Statement:
    """``target = expr``: one NumPy operation of the program."""

    target: str
    expr: str
    reads: tuple[str, ...]
    comment: str = ""
    stage: str = "forward"
    #: For detect_anomaly: the op and stage whose result this is (None for sums and temporaries).
    check: tuple[str, str, tuple[tuple[int, ...], ...]] | None = None
    #: Whether the result is a new array (not a view of, or the same object as, something else).
    fresh: bool = False
    buffer: int | None = None


@dataclass
class Program:
    """A compiled graph: ``program(*arrays)`` returns its outputs as fresh arrays.

    Attributes
    ----------
    source : str
        The Python source of the function (what runs).
    arguments : list of str
        The names of its array arguments, in order.
    outputs : list of str
        What it returns, in order.
    buffers : list of (shape, dtype)
        The arrays of the buffer plan, allocated once per thread that calls at the same time.
    plan : dict
        Variable name -> index into ``buffers`` for the values written with ``out=``.
    """

    source: str
    arguments: list[str]
    outputs: list[str]
    buffers: list[tuple[tuple[int, ...], np.dtype]]
    plan: dict[str, int]
    constants: dict[str, Any]
    checked_source: str = ""
    _function: Any = None
    _checked: Any = None
    _free: list[list[np.ndarray]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._function = _define(self.source, self.constants, "compiled")

    def __call__(self, *arrays: np.ndarray) -> Any:
        if state.anomaly:
            return self._run_checked(arrays)
        if not self.buffers:
            return self._function(*arrays, ())
        # Each concurrent call takes a set of buffers of its own: list.pop and append are atomic.
        free = self._free
        try:
            buffers = free.pop()
        except IndexError:
            buffers = [np.empty(shape, dtype) for shape, dtype in self.buffers]
        try:
            return self._function(*arrays, buffers)
        finally:
            free.append(buffers)

    def _run_checked(self, arrays: Sequence[np.ndarray]) -> Any:
        """The same program with every op's result checked for NaN and inf (:func:`detect_anomaly`)."""
        with self._lock:
            if self._checked is None:
                self._checked = _define(self.checked_source, {**self.constants, "_check": check_finite}, "checked")
        buffers = [np.empty(shape, dtype) for shape, dtype in self.buffers]
        with np.errstate(all="ignore"):  # the check names the op instead of a warning
            return self._checked(*arrays, buffers)


def _define(source: str, constants: dict[str, Any], what: str) -> Any:
    """Run ``source`` (one ``def``) with the templates' names and the constants bound; return the function."""
    filename = f"<tinygrad_nnd {what} {abs(hash(source)):x}>"
    # Registered so that a traceback through the program shows its lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace = {**NAMESPACE, **constants}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["program"]


# ==================================================================== building


class _Builder:
    """Writes the statements of one program while it evaluates them on the traced values."""

    def __init__(self) -> None:
        self.used: set[str] = set(NAMESPACE) | set(dir(builtins)) | {"program", "_buffers", "_check"}
        self.values: dict[str, Any] = {}  # every name: its value on the traced inputs
        self.constants: dict[str, Any] = {}
        self.statements: list[Statement] = []
        self.n_temps = 0

    def name(self, wanted: str | None, fallback: str) -> str:
        """A new variable name: ``wanted`` if it is a usable identifier, else ``fallback``; numbered if taken."""
        base = wanted if wanted and wanted.isidentifier() and not keyword.iskeyword(wanted) else fallback
        if base.startswith("_"):  # the program's own names start with an underscore
            base = fallback
        name, k = base, 1
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name

    def constant(self, wanted: str, value: Any) -> str:
        name = self.name(wanted, "c")
        self.constants[name] = value
        self.values[name] = value
        return name

    def evaluate(self, expr: str) -> Any:
        """The value of ``expr`` on the traced values (which tells the compiler its shape and dtype)."""
        with np.errstate(all="ignore"):  # the traced values may be anything; the program checks nothing here
            return eval(expr, {**NAMESPACE, **self.values})  # our own template text, never user input

    def emit(
        self, target: str, expr: str, comment: str = "", check: Any = None, value: Any = None, stage: str = "backward"
    ) -> str:
        """Add ``target = expr`` (``value``: its value, else evaluated); folded into a constant if it reads only constants."""
        reads = _names(expr, self.values)
        if value is None:
            value = self.evaluate(expr)
        if all(r in self.constants for r in reads):
            self.constants[target] = self.values[target] = _frozen(value)
            return target
        self.values[target] = value
        self.statements.append(Statement(target, expr, reads, comment, stage, check, fresh=_is_fresh(expr)))
        return target


@functools.lru_cache(maxsize=4096)
def _parsed(expr: str) -> ast.Expression:
    """``expr`` parsed once (the compiler asks several questions of each statement; callers must not mutate it)."""
    return ast.parse(expr, mode="eval")


def _names(expr: str, known: dict[str, Any]) -> tuple[str, ...]:
    """The variable names an expression reads (those of the program, not ``np`` or builtins)."""
    found = []
    for node in ast.walk(_parsed(expr)):
        if isinstance(node, ast.Name) and node.id in known and node.id not in found:
            found.append(node.id)
    return tuple(found)


def _ufunc_call(node: ast.AST) -> str | None:
    """The NumPy function an expression's outermost operation is, if it can write with ``out=``."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.MatMult):
            return "np.matmul"
        return _BINARY_UFUNCS.get(type(node.op))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return "np.negative"
    if isinstance(node, ast.Call) and not node.keywords:
        name = ast.unparse(node.func)
        return name if name in _UNARY_UFUNCS else None
    return None


def _is_fresh(expr: str) -> bool:
    """Whether an expression certainly makes a new array: its last operation is arithmetic."""
    return _ufunc_call(_parsed(expr).body) is not None


def _rule_comment(op: Op, i: int, n_inputs: int, template: str, root: str) -> str:
    """The comment of input ``i``'s backward line: the op's rule in words (its code template if it has none)."""
    letters = tuple("ab"[k] if k < 2 else f"in_{k}" for k in range(n_inputs))
    words = op.rule_in_words(letters, "c")
    return f"{op.name}: d{root}/d{letters[i]} = {words[i] if words else template.format_map(_Letters())}"


class _Letters(dict):
    """Template fields shown as themselves (``{g} @ {b}.T`` -> ``g @ b.T``)."""

    def __missing__(self, key: str) -> str:
        return key


def build(
    root: Tensor,
    wrt: Sequence[Tensor],
    data: Sequence[Tensor],
    gradient: bool,
    value_as_float: bool = False,
) -> Program:
    """Compile the graph of ``root``: its value, and with ``gradient`` its gradient with respect to each of ``wrt``.

    Parameters
    ----------
    root : Tensor
        The traced result.
    wrt, data : sequence of Tensor
        The leaves that become the function's arguments, in this order; the
        gradient is taken with respect to ``wrt`` only. Every other leaf of the
        graph is a constant, bound to the function with the value it has now.
    gradient : bool
        Also compute the gradient (``root`` must have one element).
    value_as_float : bool
        Return the value as a Python float (it must have one element).

    Raises
    ------
    CompileError
        If an op of the graph has no code templates.
    """
    if any(leaf._op is not None for leaf in list(wrt) + list(data)):
        raise ValueError("compile: every argument must be a leaf (a Tensor no recorded op made)")
    if gradient and root.data.size != 1:
        raise ValueError(f"compile: a gradient needs a result with one element, got shape {root.shape}")
    builder = _Builder()
    var: dict[Tensor, str] = {}
    arguments: list[str] = []
    for leaf in list(wrt) + list(data):
        var[leaf] = builder.name(leaf.name, "x" if not arguments else f"arg_{len(arguments)}")
        builder.values[var[leaf]] = leaf.data
        arguments.append(var[leaf])
    order = topological_order(root) if root.requires_grad else [root]
    wanted = set(wrt)
    depends: set[Tensor] = set()  # nodes whose value depends on a leaf of `wrt`
    number: dict[Tensor, int] = {}  # ops numbered 1, 2, ... in the order they run, for names
    bound: dict[Tensor, dict[str, str]] = {}  # per node: template field -> the bound constant's name
    for node in order:
        if node in var:
            continue
        if node._op is None:  # a leaf that is not an argument: a constant
            var[node] = builder.constant(node.name or "c", _frozen(node.data))
            continue
        op = node._op
        k = number[node] = len(number) + 1
        inputs = []
        for p in node._parents:
            if p not in var:  # a constant operand
                var[p] = builder.constant(p.name or "c", _frozen(p.data))
            inputs.append(var[p])
        if any(p in wanted or p in depends for p in node._parents):
            depends.add(node)
        shapes = tuple(p.data.shape for p in node._parents)
        forward, _, params = _templates(op, shapes, node.data.shape)
        bound[node] = {key: builder.constant(f"{key}_{k}", value) for key, value in params.items()}
        fields = {**_input_fields(inputs), **bound[node]}
        target = builder.name(node.name or ("J" if node is root else None), f"{op.name}_{k}")
        var[node] = target
        builder.emit(target, forward.format(**fields), op.name, (op.name, "forward", shapes), node.data, "forward")
    J = var[root] if root in var and root._op is not None else "J"
    outputs = [var[root]]
    if gradient:
        outputs += _backward(builder, root, order, var, bound, wrt, depends, J)
    statements = _eliminate_dead_code(builder.statements, outputs)
    statements = _lower(builder, statements)
    statements = _eliminate_dead_code(statements, outputs)
    buffers, plan = _plan_buffers(builder, statements, outputs)
    dtypes = [None] + [x.data.dtype for x in wrt] if gradient else [None]
    returns = [
        _returned(builder, statements, name, value_as_float and i == 0, dtype)
        for i, (name, dtype) in enumerate(zip(outputs, dtypes))
    ]
    header = f"def program({', '.join(arguments + ['_buffers'])}):"
    unpack = [f"    {', '.join(f'_b{i}' for i in range(len(buffers)))}, = _buffers"] if buffers else []

    def body(checked: bool) -> list[str]:
        lines = list(unpack)
        section = None
        for s in statements:
            if s.stage != section:
                title = "forward" if s.stage == "forward" else f"backward: {_gradient_name(J, 'v')} is d{J}/dv"
                lines.append(f"    # {title}")
                section = s.stage
            rhs = s.expr if s.buffer is None else _with_out(s.expr, f"_b{s.buffer}")
            line = f"    {s.target} = {rhs}"
            lines.append(f"{line}  # {s.comment}" if s.comment else line)
            if checked and s.check is not None:
                op_name, stage, shapes = s.check
                lines.append(f"    _check({op_name!r}, {stage!r}, {s.target}, {shapes!r})")
        lines.append(f"    return {', '.join(returns)}" + ("," if len(returns) == 1 else ""))
        return lines

    source = "\n".join([header] + body(False)) + "\n"
    checked_source = "\n".join([header] + body(True)) + "\n"
    return Program(source, arguments, outputs, buffers, plan, dict(builder.constants), checked_source)


def _input_fields(inputs: Sequence[str]) -> dict[str, str]:
    """Template fields for the inputs: ``{a}``, ``{b}``, and ``{in_0}``, ``{in_1}``, ... for ops of any number of inputs."""
    return {**dict(zip(("a", "b"), inputs)), **{f"in_{i}": name for i, name in enumerate(inputs)}}


def _templates(
    op: Op, shapes: tuple[tuple[int, ...], ...], out_shape: tuple[int, ...]
) -> tuple[str, tuple[str, ...], dict]:
    forward, backward, params = op.code(shapes, out_shape)
    if forward is None or backward is None:
        raise CompileError(
            f"jit: the op {op.name!r} ({type(op).__name__}) has no code templates (forward_code and "
            "backward_code in engine/ops.py), so a graph that uses it cannot be compiled; call the "
            "function without jit, or add the templates"
        )
    return forward, backward, params


def _frozen(value: np.ndarray) -> np.ndarray:
    """A read-only copy of a constant: the program keeps the value it was traced with."""
    copy = np.array(value)
    copy.flags.writeable = False
    return copy


def _gradient_name(J: str, name: str) -> str:
    return f"d{J}_d{name}"


def _backward(
    builder: _Builder,
    root: Tensor,
    order: list[Tensor],
    var: dict[Tensor, str],
    bound: dict[Tensor, dict[str, str]],
    wrt: Sequence[Tensor],
    depends: set[Tensor],
    J: str,
) -> list[str]:
    """Write the backward statements (as :func:`~tinygrad_nnd.engine.backprop.backpropagate`); the gradient names."""
    wanted = set(wrt)
    carries = wanted | depends  # nodes a gradient flows into
    uses: dict[Tensor, int] = {}  # how many gradients each node receives
    for node in order:
        if node in depends:
            for p in node._parents:
                if p in carries:
                    uses[p] = uses.get(p, 0) + 1
    seed = builder.constant(_gradient_name(J, J), np.ones_like(root.data))
    pending: dict[Tensor, str] = {root: seed} if root in carries or root in wanted else {}
    received: dict[Tensor, int] = {}
    for node in reversed(order):
        g = pending.get(node)
        if g is None or node._op is None:
            continue
        del pending[node]
        op = node._op
        shapes = tuple(p.data.shape for p in node._parents)
        _, backward, _ = _templates(op, shapes, node.data.shape)
        fields = {"g": g, "out": var[node], **_input_fields([var[p] for p in node._parents])}
        fields.update(bound[node])
        for i, p in enumerate(node._parents):
            if p not in carries:
                continue
            received[p] = received.get(p, 0) + 1
            final = _gradient_name(J, var[p])
            name = f"{final}_{received[p]}" if uses[p] > 1 else final
            expr = backward[i].format(**fields)
            value = builder.evaluate(expr)
            stretched = np.shape(value) != p.data.shape  # broadcasting stretched p: sum back (unbroadcast)
            comment = _rule_comment(op, i, len(node._parents), backward[i], J)
            check = (op.name, "backward", shapes)
            contribution = builder.emit(
                builder.name(f"{name}_broadcast" if stretched else name, "g"), expr, comment, check, value
            )
            if stretched:
                contribution = _unbroadcast(builder, contribution, p.data.shape, builder.name(name, "g"))
            if p in pending:  # a node used more than once: its gradient is the sum over its uses
                total = builder.name(final if received[p] == uses[p] else f"{final}_sum", "g")
                pending[p] = builder.emit(total, f"{pending[p]} + {contribution}", f"{final} sums its {uses[p]} uses")
            else:
                pending[p] = contribution
    names = []
    for x in wrt:
        g = pending.get(x)
        if g is None:  # the result does not depend on x
            g = builder.emit(
                builder.name(_gradient_name(J, var[x]), "g"), f"np.zeros_like({var[x]})", "no path to the result"
            )
        names.append(g)
    return names


def _unbroadcast(builder: _Builder, g: str, shape: tuple[int, ...], target: str) -> str:
    """``g`` summed over the axes broadcasting added or stretched (:func:`~tinygrad_nnd.engine.ops.unbroadcast`)."""
    axes = builder.constant("axes", broadcast_axes(np.shape(builder.values[g]), shape))
    target_shape = builder.constant("shape", shape)
    return builder.emit(
        target,
        f"np.add.reduce({g}, axis={axes}, keepdims=True).reshape({target_shape})",
        "unbroadcast: sum over the broadcast axes",
    )


def _eliminate_dead_code(statements: list[Statement], outputs: list[str]) -> list[Statement]:
    """Drop statements whose result is read by no kept statement and is not an output."""
    live = set(outputs)
    kept = []
    for s in reversed(statements):
        if s.target in live:
            kept.append(s)
            live.update(s.reads)
    return kept[::-1]


def _lower(builder: _Builder, statements: list[Statement]) -> list[Statement]:
    """Split the arithmetic inside a large statement into one statement per operation, so each can get a buffer.

    ``dJ_dz_2 = (1.0 - a_2) * a_2 * dJ_da_2`` on a large ``a_2`` becomes three
    statements; the arithmetic, and so every rounding, stays the same.
    """
    result = []
    for s in statements:
        value = builder.values[s.target]
        if not _is_large(value) or _ufunc_call(_parsed(s.expr).body) is None:
            result.append(s)
            continue
        tree = ast.parse(s.expr, mode="eval").body  # a tree of its own: splitting rewrites it
        pieces: list[Statement] = []

        def split(node: ast.AST) -> ast.AST:
            for name, child in ast.iter_fields(node):
                if isinstance(child, ast.AST) and _ufunc_call(child) is not None:
                    setattr(node, name, split_out(child))
                elif isinstance(child, list):
                    setattr(node, name, [split_out(c) if _ufunc_call(c) is not None else c for c in child])
            return node

        def split_out(node: ast.AST) -> ast.AST:
            split(node)
            expr = ast.unparse(node)
            builder.n_temps += 1
            temp = builder.name(f"t_{builder.n_temps}", "t")
            with np.errstate(all="ignore"):
                builder.values[temp] = eval(expr, {**NAMESPACE, **builder.values})  # our own template text
            # split_out is called within this iteration only, so the loop's s and pieces are the current ones
            pieces.append(Statement(temp, expr, _names(expr, builder.values), stage=s.stage, fresh=True))  # noqa: B023
            return ast.Name(temp)

        top = split(tree)
        expr = ast.unparse(top)
        result.extend(pieces)
        result.append(Statement(s.target, expr, _names(expr, builder.values), s.comment, s.stage, s.check, fresh=True))
    return result


def _is_large(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.nbytes >= MIN_BUFFER_BYTES


def _plan_buffers(
    builder: _Builder, statements: list[Statement], outputs: list[str]
) -> tuple[list[tuple[tuple[int, ...], np.dtype]], dict[str, int]]:
    """Give each large ufunc result a buffer that no value still to be read shares memory with.

    A value's *storage* is the set of buffers it may share memory with: its own
    buffer, or, for a view or a pass-through (``g.T``, ``g.reshape(...)``, ``g``
    itself), everything its operands may share. A buffer is free for statement
    ``i`` once every value that may share it is read for the last time before
    ``i``, or at ``i`` itself by an elementwise operation, which may write over
    its own input.
    """
    last_use: dict[str, int] = {}
    for i, s in enumerate(statements):
        for r in s.reads:
            last_use[r] = i
    end = len(statements)
    for name in outputs:
        last_use[name] = end  # outputs are read by the return
    buffers: list[tuple[tuple[int, ...], np.dtype]] = []
    busy_until: list[int] = []
    storage: dict[str, frozenset[int]] = {}
    plan: dict[str, int] = {}
    for i, s in enumerate(statements):
        value = builder.values[s.target]
        call = _ufunc_call(_parsed(s.expr).body)
        eligible = call is not None and _is_large(value) and s.target not in outputs
        if eligible and call == "np.matmul":
            # 2-D only, as a precaution: NumPy does not promise that a 1-D product written
            # through ``out=`` (a gemv) rounds as the one without it does (on NumPy 2.4 it does).
            eligible = all(np.ndim(builder.values[r]) == 2 for r in s.reads)
        if eligible:
            elementwise = call != "np.matmul"
            key = (value.shape, value.dtype)
            choice = next(
                (
                    k
                    for k, spec in enumerate(buffers)
                    if spec == key and (busy_until[k] < i or (elementwise and busy_until[k] == i))
                ),
                None,
            )
            if choice is None:
                buffers.append(key)
                busy_until.append(-1)
                choice = len(buffers) - 1
            s.buffer = choice
            plan[s.target] = choice
            storage[s.target] = frozenset({choice})
        elif s.fresh:
            storage[s.target] = frozenset()
        else:  # may be a view of (or the same array as) any operand
            storage[s.target] = frozenset().union(*(storage.get(r, frozenset()) for r in s.reads))
        for k in storage[s.target]:
            busy_until[k] = max(busy_until[k], last_use.get(s.target, i))
    return buffers, plan


def _with_out(expr: str, buffer: str) -> str:
    """``expr`` (one ufunc operation) as a call that writes into ``buffer``: ``a - b`` -> ``np.subtract(a, b, out=_b0)``."""
    node = _parsed(expr).body
    call = _ufunc_call(node)
    if isinstance(node, ast.BinOp):
        args = [ast.unparse(node.left), ast.unparse(node.right)]
    elif isinstance(node, ast.UnaryOp):
        args = [ast.unparse(node.operand)]
    else:
        assert isinstance(node, ast.Call)
        args = [ast.unparse(a) for a in node.args]
    return f"{call}({', '.join(args)}, out={buffer})"


def _returned(builder: _Builder, statements: list[Statement], name: str, as_float: bool, dtype: np.dtype | None) -> str:
    """How an output is returned: as it is when it is a fresh array (of the leaf's dtype), else as a copy."""
    if as_float:
        return f"{name}.item()"
    fresh = next((s.fresh and s.buffer is None for s in statements if s.target == name), False)
    if dtype is not None and np.result_type(builder.values[name]) != dtype:
        return f"np.array({name}, dtype={builder.constant('dtype', dtype)})"
    # Arithmetic on 0-d arrays gives NumPy scalars: those come back as 0-d arrays, like the eager results.
    return name if fresh and np.ndim(builder.values[name]) > 0 else f"np.array({name})"
