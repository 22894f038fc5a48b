"""A pytest plugin for the project's test command: a skipped test fails the run.

Odoo skips browser tests quietly when Chromium or websocket-client is missing, and a run that
says "0 failed" without them proves nothing. Here every skip is reported and turns the exit
status into a failure.
"""

import pytest

_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report)


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.section("skipped tests make this run fail", sep="=", red=True)
        for report in _skipped:
            reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
            terminalreporter.line(f"{report.nodeid}: {reason}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
