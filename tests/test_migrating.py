"""Every "after" example of MIGRATING.md runs, against the served simulator.

Fences: "python legacy" marks the code of `clx-sdk-xms` 1.0.0 (shown, never run:
that SDK is not installed; each must still be valid Python that uses it);
"python" is an example that must run; "python requires=GATE" is one that needs
a feature landing on another branch (a GATE of `GATES`). While its feature is
missing, a gated block must fail in exactly the way `GATES` says, so a gate
can never hide a broken example; once the feature is there the block must
run, with no change here. After merging, drop the `requires=` from the fence.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from transports.simulator import Simulator, SimulatorServer, serve

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "MIGRATING.md").read_text()
FENCES = re.findall(r"^```([^\n]*)\n(.*?)^```$", GUIDE, flags=re.DOTALL | re.MULTILINE)
LEGACY = [code for info, code in FENCES if info == "python legacy"]
RUN = [code for info, code in FENCES if info == "python"]
GATED = [
    (info.split("=", 1)[1], code) for info, code in FENCES if info.startswith("python requires=")
]


def _has_serialize() -> bool:
    import importlib.util

    return importlib.util.find_spec("xms_core.serialize") is not None


def _sets_compare_equal() -> bool:
    from xms_core.api import MtBatchTextSmsCreate

    recipients = MtBatchTextSmsCreate(recipients=["+46701234567"], body="x").recipients
    return recipients == {"+46701234567"}  # type: ignore[comparison-overlap]


# GATE -> (is the feature there?, what running the block says while it is not)
GATES: dict[str, tuple[Callable[[], bool], str]] = {
    "xms_core.serialize": (_has_serialize, "ImportError: cannot import name 'deserialize'"),
    "set-equality": (_sets_compare_equal, "AssertionError"),
}


@pytest.fixture(scope="module")
def served() -> Iterator[SimulatorServer]:
    simulator = Simulator(service_plan_id="plan", token="token")
    with serve(simulator.handle, callbacks=simulator.take_callbacks) as server:
        yield server


def run(code: str, server: SimulatorServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    prelude = f"SERVICE_PLAN_ID = 'plan'\nTOKEN = 'token'\nENDPOINT = {server.url!r}\n"
    script = tmp_path / "example.py"
    script.write_text(prelude + code)
    return subprocess.run(  # noqa: S603 - our own interpreter on our own script
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_fence_is_of_a_known_kind() -> None:
    kinds = {info for info, _ in FENCES}
    assert kinds <= {"python", "python legacy"} | {f"python requires={g}" for g in GATES}
    assert len(FENCES) == len(LEGACY) + len(RUN) + len(GATED)


def test_every_section_has_a_before_and_an_after() -> None:
    sections = re.split(r"^## ", GUIDE, flags=re.MULTILINE)[1:]
    numbered = [s for s in sections if re.match(r"\d+\. ", s)]
    assert len(numbered) == 8
    for section in numbered:
        title = section.splitlines()[0]
        assert "```python legacy\n" in section, title
        assert "```python\n" in section, title
        before = section.index("```python legacy\n")
        assert section.index("```python\n", before) > before, title


@pytest.mark.parametrize("code", LEGACY, ids=lambda code: code.strip().splitlines()[0][:40])
def test_before_blocks_are_python_against_the_old_sdk(code: str) -> None:
    tree = ast.parse(code)
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(str(name).startswith(("transports", "xms_core")) for name in imported)


@pytest.mark.parametrize("code", RUN, ids=lambda code: code.strip().splitlines()[0][:40])
def test_after_blocks_run(code: str, served: SimulatorServer, tmp_path: Path) -> None:
    done = run(code, served, tmp_path)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "token" not in done.stdout


@pytest.mark.parametrize(("gate", "code"), GATED, ids=[gate for gate, _ in GATED])
def test_gated_blocks_run_once_their_feature_lands(
    gate: str, code: str, served: SimulatorServer, tmp_path: Path
) -> None:
    present, failure = GATES[gate]
    done = run(code, served, tmp_path)
    if present():
        assert done.returncode == 0, (done.stdout, done.stderr)
    else:
        assert done.returncode == 1
        assert done.stderr.strip().splitlines()[-1].startswith(failure), done.stderr


def test_the_readme_links_the_guide() -> None:
    assert "(MIGRATING.md)" in (ROOT / "README.md").read_text()
