"""``tinygrad-nnd train``: fit a network to built-in data or a CSV file, report, optionally save."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO, cast

from ..io import save_model
from ..nn import GRADIENT_METHODS, NeuralNetwork, Trainer
from .data import (
    Dataset,
    Preprocessing,
    Scaling,
    accuracy,
    fit_scaling,
    load_dataset,
    load_matching,
    split_dataset,
)
from .errors import CLIError
from .network import build_network
from .options import (
    add_data_and_network_options,
    parse_fraction,
    parse_maxiter,
    parse_method,
    parse_path,
)
from .output import OutputThatMayClose, ProgressReport, check_new_file, new_parent_folders, plural

__all__ = ["register", "run"]

DESCRIPTION = """\
Train a network with scipy.optimize.minimize (Part VI) and report the cost after
every iteration, then the final training and test cost (and the accuracy when
the targets are classes).

Inputs are divided by the training rows' column maxima, as in the series (the
test rows by the same numbers); targets by 100 for the sleep/study scores, by
their training maxima for a CSV file (so they must be >= 0), not at all for
classes. --save writes the model as one .npz file, in one step, with the column
names and these scales inside it, which predict uses.
"""


def register(subparsers: Any) -> None:
    """Add the ``train`` command."""
    parser = subparsers.add_parser(
        "train",
        help="train a network on sleep, iris or a CSV file",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_and_network_options(parser)
    parser.add_argument(
        "--method",
        type=parse_method,
        default="BFGS",
        help=f"the SciPy method (default: BFGS; any of {', '.join(GRADIENT_METHODS)})",
    )
    parser.add_argument("--maxiter", type=parse_maxiter, default=200, help="iteration limit (default: 200)")
    held_out = parser.add_mutually_exclusive_group()
    held_out.add_argument(
        "--test-split",
        type=parse_fraction,
        metavar="FRACTION",
        help="hold out this share of the rows as a test set (shuffled by --seed)",
    )
    held_out.add_argument(
        "--test", type=parse_path, metavar="PATH.csv", help="a test set: a CSV file with the same columns"
    )
    parser.add_argument(
        "--save",
        type=parse_path,
        metavar="MODEL.npz",
        help="write the trained model here (its folder is created if missing)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing --save file (only ever a model file; never --data or --test)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not report every iteration")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load, split, scale, train, save, report.

    With ``--save``, the files to write are checked before any work, the model is
    saved before the final report is printed, and a reader of the output that goes
    away early (``| head``) stops neither training nor saving.
    """
    if args.save:
        _check_save_paths(args)
    out = cast(TextIO, OutputThatMayClose(sys.stdout)) if args.save else sys.stdout
    training, test = _training_and_test(args)
    N = build_network(args, training)
    scaling = fit_scaling(training)
    _describe_setup(out, args, training, test, N, scaling)
    trainer = _train(out, args, N, scaling, training, test)
    if args.save:
        _save(args, N, Preprocessing(training.input_names, training.target_names, scaling))
    _report(out, trainer, N, scaling, training, test)
    warning = training_warning(trainer, N, scaling, training)
    if warning:
        print(f"tinygrad-nnd: warning: {warning}", file=sys.stderr)
    if args.save:
        print(f"saved {args.save} (with its column names and scaling)", file=out)
    if isinstance(out, OutputThatMayClose):
        out.finish()  # if the reader went away, say so now that the model is safe
    return 0


def _check_save_paths(args: argparse.Namespace) -> None:
    """Check, before any work, the file ``--save`` writes (see :func:`.output.check_new_file`).

    It must be writable, replace nothing without ``--force`` and, with it, only a
    model file; never the ``--data`` or ``--test`` file.
    """
    check_new_file(
        args.save, args.force, kind="model", option="--save", sources={"--data": args.data, "--test": args.test}
    )


def _training_and_test(args: argparse.Namespace) -> tuple[Dataset, Dataset | None]:
    """The training rows and the test rows (None without --test or --test-split)."""
    data = load_dataset(args.data, args.target, args.one_hot)
    if args.test_split is not None:
        return split_dataset(data, args.test_split, args.seed)
    if args.test is None:
        return data, None
    return data, load_matching(args.test, data)


def _describe_setup(
    out: TextIO, args: argparse.Namespace, training: Dataset, test: Dataset | None, N: NeuralNetwork, scaling: Scaling
) -> None:
    print(f"data: {training.describe()}", file=out)
    if test is not None:
        how = f"--test-split {args.test_split:g}, shuffled with seed {args.seed}" if args.test_split else test.source
        print(f"test set: {plural(test.n_rows, 'row')} ({how})", file=out)
    print("inputs divided by the training maxima: " + ", ".join(f"{v:g}" for v in scaling.input_scale), file=out)
    print("targets divided by: " + ", ".join(f"{v:g}" for v in scaling.target_scale), file=out)
    print(f"network: {N!r}, {N.n_params} weights from seed {args.seed}", file=out)
    print(f"training with {args.method} (maxiter {args.maxiter})", file=out)


def _train(
    out: TextIO, args: argparse.Namespace, N: NeuralNetwork, scaling: Scaling, training: Dataset, test: Dataset | None
) -> Trainer:
    trainer = Trainer(N, method=args.method, maxiter=args.maxiter)
    progress = None if args.quiet else ProgressReport(out)
    test_data = (None, None) if test is None else (scaling.inputs(test.X), scaling.targets(test.y))
    try:
        trainer.train(scaling.inputs(training.X), scaling.targets(training.y), *test_data, callback=progress)
    finally:
        if progress is not None:
            progress.finish()
    return trainer


def _report(
    out: TextIO, trainer: Trainer, N: NeuralNetwork, scaling: Scaling, training: Dataset, test: Dataset | None
) -> None:
    result = trainer.optimization_results
    print(f"{trainer.method}: {result.message} ({result.nit} iterations, {result.nfev} cost evaluations)", file=out)
    parts = [("training", training)] + ([("test", test)] if test is not None else [])
    for name, part in parts:
        X, y = scaling.inputs(part.X), scaling.targets(part.y)
        print(f"final {name} cost J = {N.cost_function(X, y):.6e} ({plural(part.n_rows, 'row')})", file=out)
    if training.is_classification:
        for name, part in parts:
            share = accuracy(N.forward(scaling.inputs(part.X)), part.y)
            correct = round(share * part.n_rows)
            print(f"{name} accuracy: {correct}/{part.n_rows} = {share:.1%}", file=out)


#: What to try when training learned nothing.
_TRY = "try --init fan-in, another --seed, or other --layers"


def training_warning(trainer: Trainer, N: NeuralNetwork, scaling: Scaling, training: Dataset) -> str | None:
    """One line when training reported success but learned nothing, else None.

    That is, when it stopped at iteration 0 (the gradient all but zero at the
    start, as when wide sigmoid layers saturate), or, for classes, when the
    training accuracy is no better than always answering the most common class.
    """
    if trainer.optimization_results.nit == 0:
        return (
            "training stopped at iteration 0: the gradient was all but zero at the initial weights "
            f"(wide sigmoid layers saturate with the default ones); {_TRY}"
        )
    if not training.is_classification:
        return None
    share = accuracy(N.forward(scaling.inputs(training.X)), training.y)
    if training.y.shape[1] == 1:
        chance = max(float(training.y.mean()), 1 - float(training.y.mean()))
    else:
        chance = float(training.y.mean(axis=0).max())
    if share > chance + 1e-12:
        return None
    return (
        f"training ended no better than chance: {share:.1%} of the training rows right, as many as always "
        f"answering the most common class would get ({chance:.1%}); {_TRY}"
    )


def _save(args: argparse.Namespace, N: NeuralNetwork, preprocessing: Preprocessing) -> None:
    """Write the model, its preprocessing inside, to ``--save`` in one step (creating its folder)."""
    model = Path(args.save)
    with new_parent_folders(model):
        try:
            save_model(N, model, overwrite=args.force, preprocessing=preprocessing.to_json())
        except FileExistsError:  # appeared since the check at the start
            raise CLIError(f"{model} already exists; use --force to overwrite it") from None
        except OSError as error:
            raise CLIError(f"cannot write {model}: {error.strerror or error}") from None
        except ValueError as error:  # NaN weights, or the file became a link or device since the check
            raise CLIError(f"cannot write {model}: {error}") from None
