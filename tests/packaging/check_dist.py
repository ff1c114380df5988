"""Build the wheel and the sdist, check what they hold, and smoke-test fresh installs.

    python -m tests.packaging.check_dist [--keep]

Run by `./dev test` (so by CI) after the test suite. Steps:

1. Build both artefacts from a copy of the tree (nothing is written into it).
2. Check the wheel: `py.typed` in both packages, no tests or benchmarks, the
   metadata (name, version, Python floor, base dependencies, extras, the `xms`
   command and the `pytest11` plugin entry point) and the sdist's essentials.
3. Install the wheel into three fresh virtual environments, one per variant:
   `xms` alone, `xms[trio]` and `xms[trio-asyncio]` (plus pytest, and
   pytest-trio where trio is), reusing pip's cache.
4. Run `smoke.py` in each, from an empty directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from email.parser import Parser
from pathlib import Path

from xms_core._version import __version__

ROOT = Path(__file__).resolve().parents[2]
SMOKE = Path(__file__).with_name("smoke.py")
VARIANTS = {"base": "", "trio": "[trio]", "trio-asyncio": "[trio-asyncio]"}
TEST_RUNNERS = {"base": ["pytest"], "trio": ["pytest", "pytest-trio"]}
TEST_RUNNERS["trio-asyncio"] = TEST_RUNNERS["trio"]
BASE_DEPENDENCIES = {"attrs", "h11", "requests"}
EXTRAS = {"trio", "trio-asyncio", "dev"}
SKIPPED = {
    ".git",
    ".venv",
    "build",
    "dist",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "benchmarks",
}


def build(work: Path) -> tuple[Path, Path]:
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=lambda _folder, names: [
            n for n in names if n in SKIPPED or n.endswith(".egg-info") or n.startswith(".venv")
        ],
    )
    dist = work / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "--outdir",
            str(dist),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(dist.iterdir())
    return wheels[0], sdists[0]


def check_wheel(wheel: Path, expected_version: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(info).decode())
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    for package in ("xms_core", "transports"):
        assert f"{package}/py.typed" in names, f"{package}/py.typed is missing from the wheel"
    tops = {name.split("/")[0] for name in names}
    strays = tops - {"xms_core", "transports", info.split("/")[0]}
    assert not strays, f"the wheel holds more than the two packages: {sorted(strays)}"
    assert not [n for n in names if "/tests/" in n or "benchmarks" in n], "tests in the wheel"
    assert metadata["Name"] == "xms", metadata["Name"]
    assert metadata["Version"] == expected_version, metadata["Version"]
    assert metadata["Requires-Python"] == ">=3.10", metadata["Requires-Python"]
    requirements = metadata.get_all("Requires-Dist") or []
    base = {
        r.split(">")[0].split("=")[0].split("<")[0].strip()
        for r in requirements
        if "extra ==" not in r
    }
    assert base == BASE_DEPENDENCIES, f"base dependencies {sorted(base)}"
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert extras >= EXTRAS, f"extras {sorted(extras)}"
    assert any(r.startswith("trio") and 'extra == "trio"' in r for r in requirements)
    assert any(
        r.startswith("trio-asyncio") and 'extra == "trio-asyncio"' in r for r in requirements
    )
    assert "xms = transports.cli:main" in entry_points, entry_points
    assert "[pytest11]" in entry_points and "xms = transports.pytest_plugin" in entry_points
    print(f"  ok  wheel {wheel.name}: {len(names)} files, py.typed x2, no tests, metadata")


def check_sdist(sdist: Path) -> None:
    import tarfile

    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[-1] for name in archive.getnames()}
    for needed in ("pyproject.toml", "README.md", "xms_core/py.typed", "transports/py.typed"):
        assert needed in names, f"{needed} is missing from the sdist"
    print(f"  ok  sdist {sdist.name}: {len(names)} entries")


def smoke(variant: str, wheel: Path, work: Path, expected_version: str) -> tuple[str, str, float]:
    started = time.monotonic()
    env = work / f"venv-{variant}"
    log: list[str] = []

    def run(*command: str, cwd: Path | None = None) -> None:
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
        log.append(done.stdout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    # A venv without its own pip, filled by this interpreter's pip: seconds faster.
    run(sys.executable, "-m", "venv", "--without-pip", str(env))
    python = str(env / "bin" / "python")
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--disable-pip-version-check",
        "-q",
        f"{wheel}{VARIANTS[variant]}",
        *TEST_RUNNERS[variant],
    )
    empty = work / f"cwd-{variant}"
    empty.mkdir()
    shutil.copy(SMOKE, empty / "smoke.py")
    run(python, "-I", "smoke.py", variant, expected_version, cwd=empty)
    return variant, "".join(log), time.monotonic() - started


def main() -> int:
    started = time.monotonic()
    expected_version = __version__
    with tempfile.TemporaryDirectory(prefix="xms-dist-") as folder:
        work = Path(folder)
        wheel, sdist = build(work)
        check_wheel(wheel, expected_version)
        check_sdist(sdist)
        with ThreadPoolExecutor(max_workers=len(VARIANTS)) as pool:
            jobs = [pool.submit(smoke, v, wheel, work, expected_version) for v in VARIANTS]
            for job in jobs:
                variant, log, seconds = job.result()
                extra = VARIANTS[variant] or " (no extras)"
                print(f"pip install xms{extra}: smoke test passed in {seconds:.0f} s")
                print(log, end="")
    print(f"packaging check passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
