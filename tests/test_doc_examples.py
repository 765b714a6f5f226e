"""Every example in README.md and docs/*.md runs, verbatim, against a small demo.

The demo store is built by the same `ckb` commands as `make demo` (read from the
Makefile's `demo` recipe, with fewer customers), in a scratch folder laid out like a
clone (`.venv/bin/ckb`, `./data/ckb.sqlite`), and served by `ckb serve` as `make demo`
serves it. Then each ```sh block runs line by line in bash with the virtualenv activated
(commands joined across trailing backslashes), and each ```graphql block is posted with
the demo key. An example fails if it exits non-zero, prints an error, or answers empty
(`[]`, `null`, no rows, `totalCount: 0`) where the doc shows data.

A block the test cannot run (it needs Docker or Neo4j, or it is `make demo` itself) is
marked in the Markdown by the line before its fence: `<!-- not run: why -->`. Synopses
(`ckb load KIND FILE`) are ```text blocks, not examples. The only change made to a
command is the port: the demo listens on a free port, not 8000.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.serve import free_port

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DEMO_CUSTOMERS = 400
DEMO_KEY = "ckb-demo-key"
FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"^<!-- not run: (.+) -->$")
PORT_IN_DOCS = re.compile(r"(localhost|127\.0\.0\.1):8000")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Example:
    doc: str
    line: int  # where the command or block starts, 1-based
    kind: str  # sh | graphql
    text: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}"


def _blocks(path: Path) -> Iterator[tuple[int, str, list[str], str | None]]:
    """(first line, language, lines, not-run reason) for each fenced block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        before = NOT_RUN.match(lines[i - 1].strip()) if i else None
        start, body = i + 2, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        yield start, m.group(1), body, before.group(1) if before else None


def _commands(start: int, body: list[str]) -> Iterator[tuple[int, str]]:
    """Shell commands of a block: continuation lines joined, comments and blanks dropped."""
    pending: list[str] = []
    first = start
    for n, raw in enumerate(body, start):
        line = raw.rstrip()
        if not pending:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            first = n
        pending.append(line)
        if line.endswith("\\") or not _complete("\n".join(pending)):
            continue
        yield first, "\n".join(pending)
        pending = []
    if pending:
        yield first, "\n".join(pending)


def _complete(command: str) -> bool:
    """Whether a command's quotes are closed (a JSON body may span lines)."""
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return False
    return True


ANSWERS = re.compile(r"^(\.venv/bin/)?ckb |^curl ")
LOADS = re.compile(r"^(\.venv/bin/)?ckb load")


def collect() -> tuple[list[Example], list[tuple[str, str]]]:
    examples: list[Example] = []
    skipped: list[tuple[str, str]] = []
    for path in DOCS:
        doc = str(path.relative_to(REPO))
        for start, lang, body, reason in _blocks(path):
            if lang not in ("sh", "graphql"):
                continue
            if reason:
                skipped.append((f"{doc}:{start}", reason))
                continue
            if lang == "graphql":
                examples.append(Example(doc, start, lang, "\n".join(body)))
            else:
                examples.extend(Example(doc, n, lang, cmd) for n, cmd in _commands(start, body))
    return examples, skipped


EXAMPLES, SKIPPED = collect()


def _demo_commands() -> list[str]:
    """The `ckb` lines of the Makefile's demo recipe, before it serves."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    commands = []
    for raw in recipe.splitlines()[1:]:
        line = raw.strip()
        if not line.startswith("$(BIN)/ckb"):
            continue
        if " serve" in line:
            break
        commands.append(
            line.replace("$(BIN)/ckb", "ckb")
            .replace("$(DEMO_CUSTOMERS)", str(DEMO_CUSTOMERS))
            .replace("$(DEMO_SAMPLE)", "data/sample")
        )
    assert any(c.startswith("ckb load-dir") for c in commands), commands
    return commands


@dataclass
class Demo:
    root: Path
    port: int
    env: dict[str, str]


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CKB_")}
    venv = root / ".venv"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("clone")
    (root / ".venv").symlink_to(Path(sys.prefix))
    if not (root / ".venv" / "bin" / "ckb").exists():
        pytest.skip("the ckb command is not installed beside this Python: run `make test`")
    env = _env(root)
    for command in _demo_commands():
        done = subprocess.run(
            command,
            shell=True,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    port = free_port()
    serve_env = {**env, "CKB_API_KEYS": f"demo:analyst+agent+loader:{DEMO_KEY}"}
    log = root / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            ["ckb", "serve", "--port", str(port)],
            cwd=root,
            env=serve_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "ckb serve did not become ready"
            time.sleep(0.2)
        yield Demo(root, port, env)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _empty(value: Any) -> bool:
    """No data where a doc shows data: an empty answer, an empty top-level list, a
    zero total, or an object whose every field is empty."""
    if value is None or value == [] or value == {} or value == "":
        return True
    if isinstance(value, dict):
        if value.get("totalCount") == 0:
            return True
        return all(_empty(v) for v in value.values())
    return False


def _check_json_output(example: Example, out: str) -> None:
    try:
        answer = json.loads(out)
    except ValueError:
        return  # not JSON: a table or a summary line
    if isinstance(answer, dict) and "errors" in answer:
        pytest.fail(f"{example}: GraphQL errors: {answer['errors']}")
    if isinstance(answer, dict) and answer.get("rejected"):  # push ingest's answer
        pytest.fail(f"{example}: the doc's own records were rejected: {out[:500]}")
    data = answer.get("data") if isinstance(answer, dict) and "data" in answer else answer
    assert not _empty(data), f"{example}: empty answer where the doc shows data: {out[:500]}"


def test_the_docs_have_examples_and_say_why_any_is_not_run() -> None:
    assert len(EXAMPLES) >= 40, [str(e) for e in EXAMPLES]
    assert {e.kind for e in EXAMPLES} == {"sh", "graphql"}
    for where, reason in SKIPPED:
        assert len(reason) > 10, f"{where}: say why the example is not run"
    assert len(SKIPPED) <= 6, SKIPPED


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_example_runs_verbatim(demo: Demo, example: Example) -> None:
    if example.kind == "graphql":
        r = httpx.post(
            f"http://127.0.0.1:{demo.port}/graphql",
            json={"query": example.text},
            headers={"authorization": f"Bearer {DEMO_KEY}"},
            timeout=60,
        )
        assert r.status_code == 200, f"{example}: HTTP {r.status_code} {r.text[:500]}"
        _check_json_output(example, r.text)
        return
    command = PORT_IN_DOCS.sub(f"127.0.0.1:{demo.port}", example.text)
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=demo.root,
        env=demo.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (
        f"{example}: exit {done.returncode}\n{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    )
    if ANSWERS.match(command):
        assert done.stdout.strip(), f"{example}: printed nothing\n{command}\n{done.stderr[-2000:]}"
    if LOADS.match(command):  # a doc's own example data loads cleanly
        assert not re.search(r"rejected [1-9]", done.stdout), f"{example}: {done.stdout}"
    assert "Traceback" not in done.stderr, f"{example}: {done.stderr[-2000:]}"
    _check_json_output(example, done.stdout)
