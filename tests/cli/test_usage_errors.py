"""A mistyped command or option value gets Click's usage message and exit code 2, never a
traceback (Typer raises its own vendored Click exceptions, which the CLI had let through)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nosuch",), "No such command 'nosuch'"),
        (("analyze", "themes", "--min-n", "abc"), "Invalid value for '--min-n'"),
        (("analyze", "themes", "--bogus"), "No such option: --bogus"),
        (("text", "score"), "Missing argument 'INPUT'"),
    ],
)
def test_usage_errors_are_messages(cli, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
