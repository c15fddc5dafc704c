"""The shape of the code (issue 17): no function body over 60 lines without a reason.

A long function is allowed when its docstring says why ("Long because: ..."); the docstring
itself does not count. Everything else should be split into named steps.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "ordertrack"
LIMIT = 60


def _long_functions() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            doc = ast.get_docstring(node) or ""
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body = body[1:]
            if not body:
                continue
            length = body[-1].end_lineno - body[0].lineno + 1
            if length > LIMIT and "Long because" not in doc:
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_body_is_over_60_lines_without_a_reason():
    assert _long_functions() == []
