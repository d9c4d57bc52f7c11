"""The grading benchmark's arithmetic: 300 students from a measured run."""

import pytest

from benchmarks import bench_grading


def test_the_class_takes_the_measured_pace_on_2_cores_and_the_cpu_time_on_16():
    # 6 submissions in 60 s on 2 cores with 96 CPU seconds: the CPUs were 80% busy
    two, sixteen = bench_grading.extrapolate(60.0, 96.0, 6, cores=16, students=300)
    assert two == pytest.approx(300 * 10 / 3600)
    assert sixteen == pytest.approx(300 * 16 / (16 * 0.8) / 3600)
