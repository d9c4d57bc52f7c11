"""labkit's nbgrader configuration, in one place. A course's ``nbgrader_config.py`` calls it::

    c = get_config()
    from labkit.tools.nbgrader_config import configure
    configure(c)

It makes ``nbgrader autograde`` (also when ``labkit grade`` runs it, or formgrader) start
every student kernel in labkit's sandbox (``labkit.tools.sandbox``) with the grading sentinel
armed, and score each check by its signed verdict (``labkit.tools.grading``), and ``nbgrader
generate_feedback`` leave out the hidden tests and marking schemes (``labkit.tools.feedback``).
Settings given after ``configure(c)`` or on nbgrader's command line win, e.g.
``c.SandboxedKernelManager.memory_mib = 4096``.
"""

from __future__ import annotations

SANDBOX = "labkit.tools.sandbox.SandboxedKernelManager"
FEEDBACK = [  # nbgrader's own GenerateFeedback.preprocessors, with the instructors' parts taken out
    "nbgrader.preprocessors.GetGrades",
    "labkit.tools.feedback.ShortTracebacks",
    "labkit.tools.feedback.QuotedHiddenTests",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]


AUTOGRADE = [  # nbgrader's own Autograde.autograde_preprocessors, with labkit's Execute
    "labkit.tools.grading.GradingExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def configure(c) -> None:
    """Set labkit's grading configuration on the traitlets config ``c`` of an nbgrader_config.py."""
    c.Execute.kernel_manager_class = SANDBOX  # GradingExecute is an Execute: it takes Execute's settings
    c.Autograde.autograde_preprocessors = AUTOGRADE
    c.GenerateFeedback.preprocessors = FEEDBACK


def is_configured(config) -> bool:
    """Whether a loaded nbgrader configuration runs student kernels in labkit's sandbox, graded by their verdicts."""
    manager = config.get("Execute", {}).get("kernel_manager_class")
    if isinstance(manager, type):
        manager = f"{manager.__module__}.{manager.__name__}"
    preprocessors = [p if isinstance(p, str) else f"{p.__module__}.{p.__name__}"
                     for p in config.get("Autograde", {}).get("autograde_preprocessors", [])]
    return manager == SANDBOX and AUTOGRADE[0] in preprocessors
