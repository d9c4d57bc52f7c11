"""Mutation score per core module, from the results `mutmut run` leaves in mutants/.

A mutant counts as killed when the tests failed on it (or timed out); it survived when
they passed, and a mutant that no test runs counts as surviving too. The score is
killed / all. Prints one line per module, then the surviving mutants, and exits 1 if a
module is below the target. Equivalent mutants (a change that cannot alter behaviour)
are listed in EQUIVALENT with the reason, and left out of the score.

Run: python -m tests.mutation_report  (after `mutmut run`; `make mutate` does both)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TARGET = 0.90
KILLED = {1, 3, 24, -24, 36, 152, 255}  # tests failed, or the mutant ran into the timeout
SURVIVED = {0, 5, 33}  # tests passed, or no test ran the mutated code

LOWER_CASED = ('an activation or loss name upper-cased in a test problem: get_activation and get_loss look names up '
               'lower-cased, and _network gives binary targets to any loss but "mse" and "cce"')

# mutant name -> why no test can kill it (checked by hand with `mutmut show NAME`)
EQUIVALENT: dict[str, str] = {
    "labkit.activations.xǁSigmoidǁforward__mutmut_12":
        "z > 0 for z >= 0: at z = 0 (or -0.0) both branches give exactly 1 / (1 + 1) = 0.5",
    "labkit.network.xǁDenseNetworkǁfit__mutmut_82":
        "set_postfix(refresh=None) for refresh=False: tqdm only tests `if refresh`, so None and False do the same",
    "labkit.network.x_build_network__mutmut_2":
        "default loss 'BINARY_CROSSENTROPY': get_loss lowercases names, so it is the same BinaryCrossEntropy",
    "labkit.noise.x_noise_terms__mutmut_77":
        "mean(axis=+1) for axis=-1: the squared errors are always 2-D (samples, N), so both are the last axis",
    "labkit.weight_decay.x_eigen_view__mutmut_6":
        "U / sign for U * sign: each sign is +-1 (a unit column's largest |entry| is > 0), and x / +-1 == x * +-1",
    "labkit.checks.xǁCheckǁ__exit____mutmut_15":
        "return True for False when the block raised nothing: with ignores __exit__'s result unless there is an error",
    "labkit.weight_decay.x_quadratic_error__mutmut_13":
        'einsum("...I,IJ,...J->...") for "...i,ij,...j->...": upper-case letters are labels too, the same sum',
    "labkit.exercises.x_delta_output__mutmut_42":
        'Zs[+1] for Zs[-1]: both networks have two layers, so Zs[1] is the last',
    "labkit.exercises.x_delta_output__mutmut_45":
        "activations[+1] for activations[-1]: both networks have two layers, so it is the output's",
    "labkit.exercises.x_delta_output__mutmut_58":
        "deltas[+1] for deltas[-1]: both networks have two layers, so it is the output's",
    "labkit.exercises.x_delta_output__mutmut_56":
        "say(N=...) of DELTA_OUTPUT's messages, none of which names {N}",
    "labkit.exercises.x_delta_output__mutmut_57":
        "say(N=...) of DELTA_OUTPUT's messages, none of which names {N}",
    "labkit.exercises.x_delta_output__mutmut_94":
        "other arguments for _depends_on_arguments: any that differ catch a student who ignores them",
    "labkit.exercises.x_delta_output__mutmut_95":
        "other arguments for _depends_on_arguments: any that differ catch a student who ignores them",
    "labkit.exercises.x_delta_output__mutmut_96":
        "other arguments for _depends_on_arguments: any that differ catch a student who ignores them",
    "labkit.exercises.x_delta_output__mutmut_97":
        "other arguments for _depends_on_arguments: any that differ catch a student who ignores them",
    "labkit.exercises.x_delta_output__mutmut_98":
        "other arguments for _depends_on_arguments: any that differ catch a student who ignores them",
    "labkit.exercises.x_delta_output__mutmut_99":
        "other arguments for _depends_on_arguments: any that differ catch a student who ignores them",
    "labkit.exercises.x_bce__mutmut_6":
        "astype(None) for astype(float): None is numpy's default dtype, float64",
    "labkit.exercises.x_bce__mutmut_10":
        'random() >= 0.5 for > 0.5: a draw of exactly 0.5 has probability 2**-53 (not this seed)',
    "labkit.exercises.x_gradient_descent__mutmut_56":
        'learning rate 1.5 for 0.5 in the written-in test: any two rates give a right step two different steps',
    "labkit.exercises.x_gradient_descent__mutmut_70":
        'learning rate 1.3 for 0.3 in the written-in test: any two rates give a right step two different steps',
    "labkit.exercises.x_hessian_trace__mutmut_88":
        'run(copies=None) for copies=False: run only tests `not copies`',
    "labkit.mistakes.xǁ_PlantedStepsǁ__init____mutmut_3":
        "batch_size 2 for 1 at the start: planted_training sets it to each batch's size before every step",
    "labkit.mistakes.xǁ_PlantedStepsǁupdate__mutmut_6":
        'slice(None, layers) for slice(0, layers): the same first layers',
    "labkit.mistakes.xǁ_PlantedStepsǁupdate__mutmut_8":
        'slice(layers) for slice(0, layers): the same first layers',
    "labkit.mistakes.xǁ_PlantedStepsǁupdate__mutmut_13":
        'slice(None, 0) for slice(0, 0): the same empty slice',
    "labkit.mistakes.xǁ_PlantedStepsǁupdate__mutmut_15":
        'slice(0) for slice(0, 0): the same empty slice',
    "labkit.mistakes.xǁ_PlantedStepsǁupdate__mutmut_16":
        'slice(0, ) for slice(0, 0): the same empty slice',
    "labkit.mistakes.xǁ_PlantedStepsǁupdate__mutmut_17":
        'slice(1, 0) for slice(0, 0): the same empty slice',
    "labkit.differences.x_describe__mutmut_3":
        "got without dtype=float: every relation compares got with the float expected or computes with it, which "
        "makes a bool or int got float",
    "labkit.differences.x_describe__mutmut_5":
        "got without dtype=float: every relation compares got with the float expected or computes with it, which "
        "makes a bool or int got float",
    "labkit.differences.x__transposed__mutmut_1":
        "`... > 1 or _close(got, expected.T)`: got has expected's shape, so only a square got can be close to "
        "expected.T",
    "labkit.differences.x__transposed__mutmut_5":
        'shape[1] == shape[1]: a non-square got cannot be close to expected.T of another shape',
    "labkit.differences.x__transposed__mutmut_8":
        'a 1x1 matrix is its own transpose: close to expected.T is close to expected, which describe is not called for',
    "labkit.differences.x__factor__mutmut_14":
        'abs(factor + 1) for abs(factor - 1): -1 is named by _sign first; a factor near 1 is left out by the 1e-3 test',
    "labkit.differences.x__factor__mutmut_16":
        '<= for < TOLERANCE: a factor within 1e-6 of 1 is left out by the 1e-3 test below as well',
    "labkit.differences.x__rows_reordered__mutmut_14":
        'reshape(len, -2) for (len, -1): numpy takes any negative length as the one it works out',
    "labkit.differences.x__rows_reordered__mutmut_27":
        'reshape(len, -2) for (len, -1): numpy takes any negative length as the one it works out',
    "labkit.differences.x__some_entries__mutmut_19":
        'wrong.sum() > size / 2 for > size // 2: a count of wrong entries is whole, so the two agree',
    "labkit.ownwork.xǁWatchǁ_profile__mutmut_14":
        'rsplit(".") for rsplit(".", 1): the last part of a qualified name is the same',
    "labkit.ownwork.xǁWatchǁ_profile__mutmut_18":
        'rsplit(".", 2) for rsplit(".", 1): the last part of a qualified name is the same',
    "labkit.ownwork.xǁWatchǁ_profile__mutmut_15":
        'split(".", 1) for rsplit: they differ only for a name of 3 parts or more ending in one of ALWAYS, and '
        "labkit has no nested class or nested function of such a name",
    "labkit.ownwork.x__qualified__mutmut_2":
        "another default for the frame's __name__: labkit's frames run in its modules' globals, which hold __name__",
    "labkit.ownwork.x__qualified__mutmut_4":
        "another default for the frame's __name__: labkit's frames run in its modules' globals, which hold __name__",
    "labkit.ownwork.x__qualified__mutmut_7":
        "another default for the frame's __name__: labkit's frames run in its modules' globals, which hold __name__",
    "labkit.ownwork.x__qualified__mutmut_8":
        "another default for the frame's __name__: labkit's frames run in its modules' globals, which hold __name__",
    **dict.fromkeys([
        "labkit.exercises.x_backprop__mutmut_5",
        "labkit.exercises.x_backprop__mutmut_8",
        "labkit.exercises.x_backprop__mutmut_11",
        "labkit.exercises.x_backprop__mutmut_13",
        "labkit.exercises.x_backprop__mutmut_18",
        "labkit.exercises.x_backprop__mutmut_21",
        "labkit.exercises.x_batched_layer__mutmut_5",
        "labkit.exercises.x_batched_layer__mutmut_8",
        "labkit.exercises.x_batched_layer__mutmut_11",
        "labkit.exercises.x_batched_layer__mutmut_13",
        "labkit.exercises.x_batched_layer__mutmut_17",
        "labkit.exercises.x_batched_layer__mutmut_20",
        "labkit.exercises.x_batched_layer__mutmut_23",
        "labkit.exercises.x_column_backprop__mutmut_6",
        "labkit.exercises.x_column_backprop__mutmut_9",
        "labkit.exercises.x_column_backprop__mutmut_12",
        "labkit.exercises.x_column_backprop__mutmut_14",
        "labkit.exercises.x_column_backprop__mutmut_18",
        "labkit.exercises.x_column_backprop__mutmut_21",
        "labkit.exercises.x_column_backprop__mutmut_24",
        "labkit.exercises.x_column_backprop__mutmut_26",
        "labkit.exercises.x_column_backprop__mutmut_30",
        "labkit.exercises.x_column_backprop__mutmut_33",
        "labkit.exercises.x_column_backprop__mutmut_36",
        "labkit.exercises.x_delta_output__mutmut_5",
        "labkit.exercises.x_delta_output__mutmut_8",
        "labkit.exercises.x_delta_output__mutmut_10",
        "labkit.exercises.x_delta_output__mutmut_13",
        "labkit.exercises.x_delta_output__mutmut_16",
        "labkit.exercises.x_epoch__mutmut_38",
        "labkit.exercises.x_epoch__mutmut_41",
        "labkit.exercises.x_epoch__mutmut_43",
        "labkit.exercises.x_forward__mutmut_4",
        "labkit.exercises.x_forward__mutmut_7",
        "labkit.exercises.x_forward__mutmut_10",
        "labkit.exercises.x_forward__mutmut_12",
        "labkit.exercises.x_forward__mutmut_16",
        "labkit.exercises.x_forward__mutmut_19",
        "labkit.exercises.x_train__mutmut_36",
        "labkit.exercises.x_train__mutmut_39",
        "labkit.exercises.x_train__mutmut_41",
    ], LOWER_CASED),
}


def module_results(folder: Path = Path("mutants/labkit")) -> dict[str, dict[str, int | None]]:
    """{module: {mutant name: exit code}} for every module mutmut mutated."""
    results = {}
    for meta in sorted(folder.glob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            results[meta.name.removesuffix(".py.meta")] = codes
    return results


def main() -> int:
    results = module_results()
    if not results:
        print("No mutation results in mutants/: run `mutmut run` first (`make mutate` does both).")
        return 1
    failing, survivors = [], []
    print(f"{'module':<14}{'killed':>8}{'of':>6}{'score':>8}   (equivalent mutants left out)")
    for module, codes in results.items():
        counted = {name: code for name, code in codes.items() if name not in EQUIVALENT}
        unchecked = [name for name, code in counted.items() if code not in KILLED | SURVIVED]
        if unchecked:
            print(f"{module}: {len(unchecked)} mutants not checked or suspicious, e.g. {unchecked[0]}; "
                  "run mutmut again.")
            return 1
        killed = sum(code in KILLED for code in counted.values())
        score = killed / len(counted)
        print(f"{module:<14}{killed:>8}{len(counted):>6}{score:>8.1%}")
        survivors += [name for name, code in counted.items() if code in SURVIVED]
        if score < TARGET:
            failing.append(module)
    if survivors:
        print(f"\n{len(survivors)} surviving mutants (see each with `mutmut show NAME`):")
        print("\n".join(f"  {name}" for name in survivors))
    if EQUIVALENT:
        print(f"\n{len(EQUIVALENT)} equivalent mutants left out:")
        print("\n".join(f"  {name}: {why}" for name, why in EQUIVALENT.items()))
    if failing:
        print(f"\nbelow the {TARGET:.0%} target: {', '.join(failing)}")
        return 1
    print(f"\nevery module at or above {TARGET:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
