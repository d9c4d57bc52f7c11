"""labkit's nbgrader configuration, in one place. A course's ``nbgrader_config.py`` calls it::

    c = get_config()
    from labkit.tools.nbgrader_config import configure
    configure(c)

It makes ``nbgrader autograde`` (also when ``labkit grade`` runs it, or formgrader) start
every student kernel in labkit's sandbox (``labkit.tools.sandbox``), and ``nbgrader
generate_feedback`` leave out the hidden tests and marking schemes (``labkit.tools.feedback``).
Settings given after ``configure(c)`` or on nbgrader's command line win, e.g.
``c.SandboxedKernelManager.memory_mib = 4096``.
"""

from __future__ import annotations

SANDBOX = "labkit.tools.sandbox.SandboxedKernelManager"
FEEDBACK = [  # nbgrader's own GenerateFeedback.preprocessors, with the instructors' parts taken out
    "nbgrader.preprocessors.GetGrades",
    "labkit.tools.feedback.ShortTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]


def configure(c) -> None:
    """Set labkit's grading configuration on the traitlets config ``c`` of an nbgrader_config.py."""
    c.Execute.kernel_manager_class = SANDBOX
    c.GenerateFeedback.preprocessors = FEEDBACK


def is_configured(config) -> bool:
    """Whether a loaded nbgrader configuration runs student kernels in labkit's sandbox."""
    manager = config.get("Execute", {}).get("kernel_manager_class")
    if isinstance(manager, type):
        manager = f"{manager.__module__}.{manager.__name__}"
    return manager == SANDBOX
