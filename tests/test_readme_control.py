"""The README's control-API session runs, as written, against a real `xms simulate`.

The block is fenced as `console control-api`: its first line starts the
simulator (here on a free port instead of 8080), the other `$` lines run in one
bash script with `xms` standing for this checkout's command line, and every
output line the README shows that does not depend on the time of day must
appear in what the script printed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SESSIONS = re.findall(r"```console control-api\n(.*?)```", README, flags=re.DOTALL)
START = "xms simulate --clock manual --port 8080 &"


def commands_and_output(session: str) -> tuple[list[str], list[str]]:
    commands: list[str] = []
    output: list[str] = []
    for line in session.splitlines():
        if line.startswith("$ "):
            commands.append(line[2:])
        elif line.strip():
            output.append(line)
    return commands, output


def test_the_readme_has_one_control_session() -> None:
    assert len(SESSIONS) == 1
    commands, _ = commands_and_output(SESSIONS[0])
    assert commands[0] == START


def test_the_control_session_runs_as_written(tmp_path: Path) -> None:
    assert shutil.which("curl"), "curl is needed for the README's control session"
    assert shutil.which("jq"), "jq is needed for the README's control session"
    commands, shown = commands_and_output(SESSIONS[0])
    environ = {k: v for k, v in os.environ.items() if not k.startswith("XMS_")}
    environ["PYTHONPATH"] = str(ROOT)
    simulator = subprocess.Popen(
        [sys.executable, "-m", "transports.cli", "simulate", "--clock", "manual", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        assert simulator.stdout is not None
        url = simulator.stdout.readline().split()[3]
        authority = url.removeprefix("http://").removesuffix("/xms")
        script = "\n".join(
            [
                "set -euo pipefail",
                f'xms() {{ "{sys.executable}" -m transports.cli "$@"; }}',
                # curl prints JSON without a final newline; the terminal's prompt would follow.
                *(f"{c.replace('127.0.0.1:8080', authority)}\necho" for c in commands[1:]),
            ]
        )
        (tmp_path / "session.sh").write_text(script + "\n")
        done = subprocess.run(  # noqa: S603 - bash on our own script
            ["bash", str(tmp_path / "session.sh")],  # noqa: S607 - bash from PATH
            capture_output=True,
            text=True,
            timeout=120,
            env=environ,
            cwd=tmp_path,
            check=False,
        )
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.communicate(timeout=10)
    assert done.returncode == 0, (done.stdout, done.stderr)
    printed = done.stdout.splitlines()
    timeless = [line for line in shown if not re.search(r"\d{4}-\d\d-\d\dT|\.\.\.", line)]
    assert len(timeless) >= 12
    for line in timeless:
        assert line in printed, (line, done.stdout)
    status = [line for line in printed if line.strip()][-1]
    assert '"inbounds":1' in status
    assert '"manual_clock":true' in status
