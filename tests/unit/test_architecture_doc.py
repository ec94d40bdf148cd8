"""docs/architecture.md's "where is it" table names files and definitions that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "architecture.md"
# `path` or `path:Name` or `path:Class.method`, with a file suffix the repository uses.
REFERENCE = re.compile(r"`([\w./-]+\.(?:py|yml|toml|md))(?::([\w.]+))?`")


def where_is_it() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("\n## Where is it\n", 1)[1].split("\n## ", 1)[0]


def defines(tree: ast.Module, symbol: str) -> bool:
    """Whether ``symbol`` (``name`` or ``Class.method``) is defined in ``tree``: a function,
    class or assigned name anywhere in the module (nested handlers count)."""
    owner, _, member = symbol.rpartition(".")
    scopes: list[ast.AST] = [tree]
    if owner:
        scopes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == owner]
    for scope in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if node.name == member:
                    return True
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == member for t in targets):
                    return True
    return False


def test_the_table_follows_every_action_through_its_hops() -> None:
    section = where_is_it()
    for action in ("Cancel", "priority", "Retry", "Bulk retry", "quota", "queue depth"):
        assert action in section, action
    references = REFERENCE.findall(section)
    assert len(references) >= 30, "the table lost its references"


def test_every_path_and_name_in_the_table_exists() -> None:
    missing = []
    for path, symbol in REFERENCE.findall(where_is_it()):
        file = REPO / path
        if not file.is_file():
            missing.append(f"{path}: no such file")
        elif symbol and not defines(ast.parse(file.read_text(encoding="utf-8")), symbol):
            missing.append(f"{path}: {symbol} is not defined there")
    assert not missing, "docs/architecture.md is out of date:\n" + "\n".join(missing)


def test_the_checker_sees_a_wrong_name() -> None:
    tree = ast.parse("class A:\n    def b(self) -> None: ...\n\n_X = 1\n")
    assert defines(tree, "A.b") and defines(tree, "_X") and defines(tree, "A")
    assert not defines(tree, "A.c") and not defines(tree, "B.b") and not defines(tree, "b_")
