"""`ckb cypher`: typed parameters, read transactions unless --write, the time limit, how
nodes, relationships and paths read in a table, CSV and JSON, the prompt's multi-line
statements, and the one-line answer on the embedded store. Against a scripted driver,
and a real Neo4j when CKB_TEST_NEO4J_URI is set."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Graph, Node, Relationship
from neo4j.graph import Path as GraphPath

import graph.cypher_shell as shell_module
from api.cli.main import main
from graph.cypher_shell import CypherParameterError, parse_param, parse_value, split_statements
from tests.support.commands import run_ckb
from tests.support.neo4j_fakes import Answer, ScriptedNeo4j
from tests.support.paths import REPO
from tests.support.real_neo4j import NEO4J_SKIP, NEO4J_URI


def _graph() -> tuple[Node, Node, Relationship]:
    g = Graph()
    ann = Node(g, "4:x:1", 1, ["Customer"], {"id": "C1", "name": "Ann"})
    acct = Node(g, "4:x:2", 2, ["Holding"], {"id": "A1", "balance": 10.5})
    holds = g.relationship_type("HOLDS")(g, "5:x:9", 9, {"role": "primary"})
    holds._start_node, holds._end_node = ann, acct  # as the driver's hydration sets them
    return ann, acct, holds


@pytest.fixture
def neo(monkeypatch: pytest.MonkeyPatch) -> ScriptedNeo4j:
    ann, acct, holds = _graph()

    def respond(query: str, params: dict[str, Any]) -> Answer:
        if query.startswith("CREATE"):
            raise neo4j_errors.Neo4jError._hydrate_neo4j(
                code="Neo.ClientError.Statement.AccessMode",
                message="Writing in read access mode not allowed.",
            )
        if query.startswith("SLOW"):
            raise neo4j_errors.Neo4jError._hydrate_neo4j(
                code="Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
                message="The transaction has been terminated.",
            )
        if "p =" in query:
            return ["p"], [[GraphPath(ann, holds)]]
        return ["c", "r", "h", "tags", "n"], [[ann, holds, acct, ["a", "b"], 3]]

    driver = ScriptedNeo4j(respond)
    monkeypatch.setattr(shell_module.GraphDatabase, "driver", lambda uri, **kw: driver)
    monkeypatch.setenv("CKB_GRAPH", "neo4j://db:7687")
    monkeypatch.setenv("NEO4J_PASSWORD", "pw")
    monkeypatch.setenv("NEO4J_DATABASE", "kb")
    return driver


# ----------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("42", 42),
        ("-7", -7),
        ("4.5", 4.5),
        ("1e3", 1000.0),
        ("true", True),
        ("false", False),
        ("null", None),
        ('["C1", "C2"]', ["C1", "C2"]),
        ('{"tier": "gold", "n": 2}', {"tier": "gold", "n": 2}),
        ('"42"', "42"),
        ("gold", "gold"),
        ("Ann Lee", "Ann Lee"),
        ("2026-01-31", "2026-01-31"),
    ],
)
def test_parameters_are_typed(raw: str, value: Any) -> None:
    parsed = parse_value(raw)
    assert parsed == value
    assert type(parsed) is type(value)


def test_bad_parameters_say_what_is_wrong() -> None:
    with pytest.raises(CypherParameterError, match="NAME=VALUE"):
        parse_param("tier")
    with pytest.raises(CypherParameterError, match="not valid JSON"):
        parse_param("ids=[1, 2")
    assert parse_param("$first=5") == ("first", 5)


def test_statements_end_at_semicolons_outside_strings_and_comments() -> None:
    text = "MATCH (c) WHERE c.name = 'a;b' // x;y\nRETURN c;\nRETURN 1; RETURN"
    statements, rest = split_statements(text)
    assert statements == ["MATCH (c) WHERE c.name = 'a;b' // x;y\nRETURN c", "RETURN 1"]
    assert rest == " RETURN"


# ----------------------------------------------------------------------- one statement


def test_a_statement_runs_read_only_with_typed_parameters_and_a_timeout(
    neo: ScriptedNeo4j, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "cypher",
            "MATCH (c:Customer)-[r:HOLDS]->(h) WHERE c.value_tier = $tier RETURN c, r, h LIMIT $n",
            "--param",
            "tier=gold",
            "-p",
            "n=5",
            "-p",
            'ids=["C1"]',
            "--timeout",
            "7.5",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    [sent] = neo.sent
    assert (sent.mode, sent.database, sent.timeout) == ("read", "kb", 7.5)
    assert sent.params == {"tier": "gold", "n": 5, "ids": ["C1"]}
    lines = out.splitlines()
    assert lines[0].split(" | ")[0].strip() == "c"
    assert '(:Customer {id: "C1", name: "Ann"})' in lines[2]
    assert '[:HOLDS {role: "primary"}]' in lines[2]
    assert '(:Holding {balance: 10.5, id: "A1"})' in lines[2]
    assert '["a", "b"]' in lines[2]
    assert "1 row" in err


def test_json_and_csv_output(neo: ScriptedNeo4j, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cypher", "MATCH (c) RETURN c", "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["c"] == {"labels": ["Customer"], "properties": {"id": "C1", "name": "Ann"}}
    assert row["r"]["type"] == "HOLDS"
    assert row["r"]["start"]["properties"]["id"] == "C1"
    assert row["r"]["end"]["properties"]["id"] == "A1"
    assert row["tags"] == ["a", "b"]
    assert row["n"] == 3
    assert main(["cypher", "MATCH (c) RETURN c", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "c,r,h,tags,n"
    assert lines[1].endswith(',"[""a"", ""b""]",3')


def test_paths_read_as_a_chain(neo: ScriptedNeo4j, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cypher", "MATCH p = (:Customer)-[:HOLDS]->() RETURN p"]) == 0
    out = capsys.readouterr().out
    assert (
        '(:Customer {id: "C1", name: "Ann"})-[:HOLDS {role: "primary"}]->'
        '(:Holding {balance: 10.5, id: "A1"})'
    ) in out
    assert main(["cypher", "MATCH p = () RETURN p", "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert [n["properties"]["id"] for n in row["p"]["nodes"]] == ["C1", "A1"]
    assert row["p"]["relationships"] == [{"type": "HOLDS", "properties": {"role": "primary"}}]


def test_writes_need_write_and_a_refusal_is_one_line(
    neo: ScriptedNeo4j, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cypher", "CREATE (:Customer {id: 'x'})"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "ckb: error: this statement writes; run it again with --write (read-only by default)"
    )
    assert main(["cypher", "MATCH (c) SET c.seen = true RETURN c", "--write"]) == 0
    assert neo.sent[-1].mode == "write"


def test_the_time_limit_is_named(neo: ScriptedNeo4j, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cypher", "SLOW", "--timeout", "2"]) == 1
    assert "longer than the 2 s limit (--timeout)" in capsys.readouterr().err


def test_results_go_to_a_file(
    neo: ScriptedNeo4j, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "res" / "rows.json"
    assert main(["cypher", "MATCH (c) RETURN c", "--format", "json", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())[0]["n"] == 3


# ----------------------------------------------------------------------- the prompt


def test_the_prompt_reads_multi_line_statements_and_parameters(
    neo: ScriptedNeo4j, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = (
        ":param tier=gold\n"
        "MATCH (c:Customer)\n"
        "WHERE c.value_tier = $tier\n"
        "RETURN c;\n"
        ":param n=2\n"
        "CREATE (x);\n"  # refused: reported, and the prompt goes on
        "MATCH (c) RETURN c LIMIT $n;\n"
        ":exit\n"
        "MATCH (never) RETURN never;\n"
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(script))
    assert main(["cypher", "--format", "csv"]) == 1  # one statement failed
    out, err = capsys.readouterr()
    assert [s.query for s in neo.sent] == [
        "MATCH (c:Customer)\nWHERE c.value_tier = $tier\nRETURN c",
        "CREATE (x)",
        "MATCH (c) RETURN c LIMIT $n",
    ]
    assert neo.sent[0].params == {"tier": "gold"}
    assert neo.sent[2].params == {"tier": "gold", "n": 2}
    assert out.count("c,r,h,tags,n") == 2
    assert "error: this statement writes" in err


_TERMINAL_CHILD = """
import sys
import graph.cypher_shell as shell
from tests.support.neo4j_fakes import ScriptedNeo4j
shell.GraphDatabase.driver = lambda uri, **kw: ScriptedNeo4j(lambda q, p: (["q", "p"], [[q, p]]))
from api.cli.main import main
sys.exit(main(["cypher"]))
"""


def _read_until(fd: int, done: Callable[[bytes], bool], seen: bytearray) -> None:
    deadline = time.monotonic() + 20
    while not done(bytes(seen)) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                return


def test_the_terminal_prompt_continues_statements_and_keeps_history(tmp_path: Path) -> None:
    history = tmp_path / "history"
    pid, fd = pty.fork()
    if pid == 0:  # the child: ckb cypher on a terminal, against the scripted driver
        os.chdir(REPO)
        os.environ.update(
            CKB_GRAPH="neo4j://db:7687", NEO4J_PASSWORD="pw", CKB_CYPHER_HISTORY=str(history)
        )
        os.execv(sys.executable, [sys.executable, "-c", _TERMINAL_CHILD])
    seen = bytearray()
    status = None
    try:
        _read_until(fd, lambda b: b"cypher>" in b, seen)
        for line, wait_for in (
            (b":param n=5\r", b"$n = 5"),
            (b"MATCH (c)\r", b"...>"),
            (b"RETURN $n;\r", b"1 row"),
        ):
            os.write(fd, line)
            _read_until(fd, lambda b, w=wait_for: w in b, seen)  # type: ignore[misc]
        os.write(fd, b":exit\r")
        deadline = time.monotonic() + 20
        while status is None and time.monotonic() < deadline:
            _read_until(fd, lambda b: True, seen)  # drain what is there
            child, code = os.waitpid(pid, os.WNOHANG)
            status = code if child else None
            time.sleep(0.05)
    finally:
        if status is None:
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = seen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "   ...> " in text  # the second line of a statement is a continuation
    assert "MATCH (c) RETURN $n | {n: 5}" in text
    assert "+RETURN $n;" in history.read_text()


# ----------------------------------------------------------------------- embedded store


def test_the_embedded_store_answers_in_one_line_how_to_get_to_neo4j(tmp_path: Path) -> None:
    done = run_ckb(
        "cypher",
        "MATCH (n) RETURN count(n)",
        env={"CKB_GRAPH": f"embedded:{tmp_path / 'x.sqlite'}"},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ckb: error: ckb cypher needs Neo4j")
    assert "ckb export neo4j" in lines[0]
    assert "ckb copy --to neo4j://" in lines[0]


# ----------------------------------------------------------------------- a real Neo4j


@pytest.mark.neo4j
def test_against_a_real_neo4j(tmp_path: Path) -> None:
    if not NEO4J_URI:
        pytest.skip(NEO4J_SKIP)
    env = {"CKB_GRAPH": NEO4J_URI, "NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j")}
    done = run_ckb(
        "cypher",
        "RETURN $n + 1 AS next, $tags AS tags, $who AS who",
        "-p",
        "n=41",
        "-p",
        'tags=["a","b"]',
        "-p",
        "who=Ann",
        "--format",
        "json",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"next": 42, "tags": ["a", "b"], "who": "Ann"}]
    refused = run_ckb("cypher", "CREATE (:CkbCypherProbe)", env=env)
    assert refused.returncode == 1
    assert "--write" in refused.stderr
