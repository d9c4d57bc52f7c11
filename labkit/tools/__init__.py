"""Instructor and data tooling, apart from the lesson.

- ``assignments``: solution markers, hide/show, the student release and its leak scan;
- ``export``: the notebooks as a static web site, student and instructor pages;
- ``figures``: the figures' text alternatives, as notebook outputs carry them, for the site;
- ``mnist``: the verified MNIST download and cache behind ``labkit.datasets.load_mnist``;
- ``threads``: numpy's BLAS thread pool sized to the CPUs the process can really use;
- ``sandbox``, ``cgroup``: student kernels in bubblewrap, with memory, process and time limits;
- ``nbgrader_config``, ``feedback``: labkit's nbgrader set-up (sandboxed kernels, feedback without hidden tests);
- ``grade``, ``class_report``: ``labkit grade``, a class autograded N at a time, resumably, and its report;
- ``cli``: the ``labkit`` command that drives them.
"""
