"""Instructor and data tooling, apart from the lesson.

- ``assignments``: solution markers, hide/show, the student release and its leak scan;
- ``mnist``: the verified MNIST download and cache behind ``labkit.datasets.load_mnist``;
- ``cli``: the ``labkit`` command that drives both.
"""
