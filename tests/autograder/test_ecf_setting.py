"""The error-carried-forward switch: in the course configuration, passed to the kernel."""

from __future__ import annotations


def test_the_course_configuration_has_the_switch_and_the_kernel_gets_it(tmp_path):
    from autograder import course, sandbox

    cfg = course.load_config(tmp_path)
    assert list(cfg.SandboxedExecute.no_ecf) == []  # on for every assignment unless listed
    assert sandbox.kernel_environment(tmp_path)["LSTMLAB_ECF"] == "1"
    assert sandbox.kernel_environment(tmp_path, ecf=False)["LSTMLAB_ECF"] == "0"
