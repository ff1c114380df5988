"""Every sync twin is generated from its async original; the committed files must match."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import unasync


def test_every_sync_twin_is_generated_from_its_async_original() -> None:
    assert unasync.problems() == []


def test_the_check_mode_fails_on_a_stale_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    twin = unasync.TWINS[1]
    stale = unasync.generate(twin).replace("def send(", "def sent(")
    original = unasync.Path.read_text

    def read_text(path: unasync.Path, *args: object, **kwargs: object) -> str:
        if path == unasync.ROOT / twin.target:
            return stale
        return original(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(unasync.Path, "read_text", read_text)
    assert unasync.problems() == [f"{twin.target} is out of date: run `./dev unasync`"]


def test_the_check_mode_fails_on_a_substitution_that_matched_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(unasync, "TOKENS", (*unasync.TOKENS, (r"\bAsyncNothing\b", "Nothing")))
    assert unasync.problems()[-1] == "the token '\\\\bAsyncNothing\\\\b' matched no source"


def test_dev_unasync_check_runs_from_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.unasync", "--check"],
        cwd=unasync.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
