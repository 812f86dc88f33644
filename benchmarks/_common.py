"""Shared helpers for the side-by-side benchmarks (not a benchmark itself).

- ``machine()``: date, CPU, memory, Python and package versions, one line.
- ``update_readme(name, markdown)``: rewrite one benchmark's block inside the
  README section between ``<!-- benchmarks:start -->`` and ``<!-- benchmarks:end -->``.
- ``Server``: a benchmark server (``benchmarks/_server.py``) in a separate
  process on 127.0.0.1, with request counting and optional body recording.
- ``schemathesis_cmd`` / ``runcontract_cmd``: the two command lines, built the
  same way by every benchmark.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = ROOT / "README.md"
SPEC = ROOT.parent / "shared" / "specs" / "openai-openapi-2.3.0.yaml"
BIN = Path(sys.executable).parent
PYTHON = sys.executable
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
ORDER = ("intro", "generation", "throughput", "coverage", "bugs")
AUTH_HEADERS = {"Authorization": "Bearer sk-x", "OpenAI-Beta": "assistants=v2"}


# ------------------------------------------------------------------ machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def versions(*names: str) -> str:
    out = []
    for name in names:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} (absent)")
    return ", ".join(out)


def machine() -> str:
    """``2026-05-01; 2 CPUs (nproc), AMD EPYC, 23 GiB; Python 3.11.7; runcontract 0.1.0, ...``."""
    today = datetime.date.today().isoformat()
    pkgs = versions("runcontract", "schemathesis", "hypothesis", "httpx", "uvicorn", "starlette", "jsonschema_rs")
    return (
        f"{today}; {os.cpu_count()} CPUs (nproc), {_cpu_model()}, {_memory_gib():.0f} GiB RAM; "
        f"{platform.python_implementation()} {platform.python_version()} on {platform.system()}; {pkgs}"
    )


# ------------------------------------------------------------------- README


def _block(name: str, text: str) -> str:
    return f"<!-- bench:{name} -->\n{text.strip()}\n<!-- /bench:{name} -->"


INTRO = """\
`benchmarks/` holds side-by-side measurements of runcontract and Schemathesis
(`python benchmarks/<name>.py`, add `--update-readme` to rewrite the block
below; `python benchmarks/run_all.py` runs the four and rewrites them all).
Each block states when and on what machine it was measured. Both tools run
against the same reference server (a separate process on 127.0.0.1, serving
the contract of the document; for throughput one process for both, one tool
after the other), with the published document `../shared/specs/openai-openapi-2.3.0.yaml`
(operation `createRun`, headers `Authorization: Bearer sk-x` and
`OpenAI-Beta: assistants=v2`). Other scripts here (`validation.py`,
`plugin_import.py`) only print."""


def update_readme(name: str, markdown: str, readme: Path = README) -> None:
    """Replace (or add) block ``name`` inside the benchmarks section; other blocks are kept."""
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: markers {START} / {END} not found")
    head, rest = text.split(START, 1)
    body, tail = rest.split(END, 1)
    blocks = dict(re.findall(r"<!-- bench:(\w+) -->\n(.*?)\n<!-- /bench:\1 -->", body, flags=re.S))
    blocks["intro"] = INTRO
    blocks[name] = markdown
    names = [n for n in ORDER if n in blocks] + sorted(n for n in blocks if n not in ORDER)
    new = "\n\n".join(_block(n, blocks[n]) for n in names)
    readme.write_text(f"{head}{START}\n{new}\n{END}{tail}", encoding="utf-8")
    print(f"README.md: benchmarks block {name!r} updated")


def md_table(header: list[str], rows: list[list[Any]], align: str | None = None) -> str:
    """A Markdown table; ``align`` is one char per column (l/r)."""
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for j, row in enumerate(cells):
        out.append(
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# ------------------------------------------------------------------ servers


class Server:
    """``benchmarks/_server.py`` in its own process: ``with Server(record=path) as s: s.base_url``.

    ``faulty`` names an entry of ``tests/faulty_servers.FAULTY`` (None: the
    reference server). ``stats()`` returns the request counts the server kept;
    ``reset()`` zeroes them. Leaving sends SIGINT (uvicorn's clean shutdown),
    then SIGKILL after 5 s.
    """

    def __init__(self, *, record: Path | None = None, faulty: str | None = None, spec: Path | None = None) -> None:
        cmd = [PYTHON, str(HERE / "_server.py"), "--port", "0"]
        if record is not None:
            cmd += ["--record", str(record)]
        if faulty is not None:
            cmd += ["--faulty", faulty]
        if spec is not None:
            cmd += ["--spec", str(spec)]
        self.cmd = cmd
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The SDK-style base URL, so the document's ``/threads/{thread_id}/runs`` lands on ``/v1/threads/...``."""
        return self.origin + "/v1"

    def start(self) -> Server:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "port N" once the socket is bound
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        self.port = int(line.split()[1])
        deadline = time.monotonic() + 20
        while True:
            try:
                self.stats()
                return self
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("benchmark server did not answer") from None
                time.sleep(0.02)

    def _get(self, what: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.origin}/__bench/{what}", timeout=10) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def stats(self) -> dict[str, Any]:
        return self._get("stats")

    def reset(self) -> dict[str, Any]:
        return self._get("reset")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# ----------------------------------------------------------------- commands


def schemathesis_cmd(
    base_url: str,
    *,
    max_examples: int,
    seed: int | None = None,
    checks: str = "all",
    exclude_checks: str | None = None,
    report_json: Path | None = None,
    continue_on_failure: bool = True,
    spec: Path = SPEC,
) -> list[str]:
    cmd = [
        str(BIN / "schemathesis"),
        "run",
        str(spec),
        "--url",
        base_url,
        "--include-operation-id",
        "createRun",
        "--max-examples",
        str(max_examples),
        "--checks",
        checks,
        "--generation-database",
        "none",
        "--no-color",
    ]
    for name, value in AUTH_HEADERS.items():
        cmd += ["-H", f"{name}: {value}"]
    if exclude_checks:
        cmd += ["--exclude-checks", exclude_checks]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if continue_on_failure:
        cmd.append("--continue-on-failure")
    if report_json is not None:
        cmd += ["--report", "json", "--report-json-path", str(report_json)]
    return cmd


def runcontract_cmd(
    base_url: str,
    *,
    max_examples: int,
    seed: int | None = None,
    report_json: Path | None = None,
    spec: Path | None = SPEC,
) -> list[str]:
    cmd = [str(BIN / "runcontract"), "fuzz", "--base-url", base_url, "--max-examples", str(max_examples)]
    cmd += ["--db", "", "--quiet", "--api-key-env", "BENCH_OPENAI_KEY"]
    if spec is not None:
        cmd += ["--spec", str(spec)]
    for name, value in AUTH_HEADERS.items():
        if name != "Authorization":  # the key comes from --api-key-env, as a user would pass it
            cmd += ["--header", f"{name}: {value}"]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if report_json is not None:
        cmd += ["--report-json", str(report_json)]
    return cmd


def tool_env() -> dict[str, str]:
    """The environment both tools run in: the bench key, no CI profile, no colour."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI",)}
    env["BENCH_OPENAI_KEY"] = AUTH_HEADERS["Authorization"].split()[1]
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return env


def run_timed(
    cmd: list[str], *, timeout: float, cwd: Path | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``cmd`` to completion (killed after ``timeout``); return (wall seconds, result)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=tool_env(), cwd=cwd or tempfile.gettempdir()
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n(killed after {timeout}s)"
    wall = time.perf_counter() - start
    return wall, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def tests_on_path() -> None:
    """Make ``tests/faulty_servers.py`` importable."""
    path = str(ROOT / "tests")
    if path not in sys.path:
        sys.path.insert(0, path)
