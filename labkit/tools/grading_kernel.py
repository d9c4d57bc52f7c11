"""The kernel a graded notebook runs in: labkit's grading sentinel, armed before anything of the notebook runs.

``python -m labkit.tools.grading_kernel -f CONNECTION_FILE --labkit-sentinel=LOG_FD:KEY_FD`` arms
``labkit.tools.sentinel`` with the log and key descriptors it inherited from the grader, then is the
ordinary IPython kernel. ``labkit.tools.grading.GradingExecute`` starts it.
"""

from __future__ import annotations

import sys

FLAG = "--labkit-sentinel="


def main() -> None:
    specs = [arg for arg in sys.argv[1:] if arg.startswith(FLAG)]
    sys.argv = [sys.argv[0], *(arg for arg in sys.argv[1:] if not arg.startswith(FLAG))]
    if specs:
        sys.dont_write_bytecode = True  # the notebook's own modules stay source: bytecode it left would be held
        _load_font_list()
        from labkit.tools import sentinel

        log_fd, key_fd = (int(part) for part in specs[-1][len(FLAG):].split(":"))
        sentinel.arm_from_descriptors(log_fd, key_fd)
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


def _load_font_list() -> None:
    """matplotlib's font list, built now if this user has none cached: building it runs fc-list, a subprocess,
    which the sentinel would hold against the notebook cell that first imports matplotlib."""
    try:
        import matplotlib.font_manager  # noqa: F401
    except ImportError:
        pass


if __name__ == "__main__":
    main()
