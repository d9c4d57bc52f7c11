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

# mutant name -> why no test can kill it (checked by hand with `mutmut show NAME`)
EQUIVALENT: dict[str, str] = {
    "labkit.activations.xǁSigmoidǁforward__mutmut_12":
        "z > 0 for z >= 0: at z = 0 (or -0.0) both branches give exactly 1 / (1 + 1) = 0.5",
    "labkit.network.xǁDenseNetworkǁfit__mutmut_88":
        "set_postfix(refresh=None) for refresh=False: tqdm only tests `if refresh`, so None and False do the same",
    "labkit.network.x_build_network__mutmut_2":
        "default loss 'BINARY_CROSSENTROPY': get_loss lowercases names, so it is the same BinaryCrossEntropy",
    "labkit.noise.x_noise_terms__mutmut_77":
        "mean(axis=+1) for axis=-1: the squared errors are always 2-D (samples, N), so both are the last axis",
    "labkit.weight_decay.x_eigen_view__mutmut_6":
        "U / sign for U * sign: each sign is +-1 (a unit column's largest |entry| is > 0), and x / +-1 == x * +-1",
    "labkit.checks.xǁcheckǁ__exit____mutmut_6":
        "return True for False when the block raised nothing: with ignores __exit__'s result unless there is an error",
    "labkit.checks.x__backprop_mistakes__mutmut_7":
        "planted network without an optimizer: gradients() reads it only for a divergence, which net.gradients() "
        "raises first (same weights, same forward pass)",
    "labkit.checks.x__planted_losses__mutmut_66":
        "parameter_gradients(None, ...): the weights are read only for weight decay, which _planted_losses never "
        "passes",
    "labkit.checks.x_expect_training__mutmut_133":
        "planted(weights_move=None) for False: _planted_losses only tests `if weights_move`, None is false too",
    "labkit.checks.x_expect_training__mutmut_134":
        "planted(biases_move=None) for False: _planted_losses only tests `if biases_move`, None is false too",
    "labkit.checks.x_expect_training__mutmut_141":
        "planted(biases_move=None) for False: _planted_losses only tests `if biases_move`, None is false too",
    "labkit.checks.x_expect_epoch__mutmut_155":
        "planted(shuffle=None) for False: _planted_losses only tests `if shuffle`, None is false too",
    "labkit.checks.x_expect_epoch__mutmut_179":
        "planted(weights_move=None) for False: _planted_losses only tests `if weights_move`, None is false too",
    "labkit.checks.x_expect_epoch__mutmut_180":
        "planted(biases_move=None) for False: _planted_losses only tests `if biases_move`, None is false too",
    "labkit.checks.x_expect_epoch__mutmut_187":
        "planted(biases_move=None) for False: _planted_losses only tests `if biases_move`, None is false too",
    "labkit.exercises.x_batched_layer__mutmut_69":
        'einsum("NI,NJ->IJ") for "ni,nj->ij": einsum takes upper-case letters as labels too, the same sum',
    "labkit.weight_decay.x_quadratic_error__mutmut_13":
        'einsum("...I,IJ,...J->...") for "...i,ij,...j->...": upper-case letters are labels too, the same sum',
    "labkit.exercises.x_softmax__mutmut_27":
        "e.sum(axis=0) without keepdims: the column sums, shape (3,), broadcast over the rows as (1, 3) does",
    "labkit.exercises.x_softmax__mutmut_29":
        "e.sum(axis=0, keepdims=False): the column sums, shape (3,), broadcast over the rows as (1, 3) does",
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
