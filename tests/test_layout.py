"""The package's shape: stages import only stages below them, and no module imports itself back.

Pipeline order (README, "How the code is laid out"): music facts and the request spec at the
bottom, then data, model, compose and audio, analysis, the Python API, and at the top the web
studio and the CLI. Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sonatina

PACKAGE = Path(sonatina.__file__).parent
RANK = {"errors": 0, "music": 1, "request": 2, "data": 2, "model": 3, "compose": 4, "audio": 4,
        "analysis": 5, "api": 6, "web": 7, "cli": 8, "__main__": 9}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if "migrations" in parts:
            continue
        name = ".".join(("sonatina", *parts)).removesuffix(".__init__")
        found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Sonatina modules a file imports (a `from X import y` where X.y is a module counts as X.y)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("sonatina")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sonatina"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.add(full if full in known else node.module)
    return out & known


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "errors"  # the package itself holds only __version__


def test_every_stage_imports_only_stages_at_or_below_it():
    found = modules()
    wrong = []
    for name, path in found.items():
        for target in imports_of(path, set(found)):
            if RANK[stage(target)] > RANK[stage(name)]:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports against the pipeline order:\n" + "\n".join(sorted(wrong))


def test_no_module_imports_another_that_imports_it_back():
    found = modules()
    graph = {name: imports_of(path, set(found)) - {name} for name, path in found.items()}
    cycles = []

    def visit(node, trail):
        for nxt in graph[node]:
            if nxt in trail:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in done:
                visit(nxt, trail + [nxt])
        done.add(node)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    # a package's __init__ that re-exports its own modules is not a cycle of meaning
    real = [c for c in cycles if not all(part.rsplit(".", 1)[0] in c.split(" -> ")[0] for part in c.split(" -> "))]
    assert not real, "import cycles:\n" + "\n".join(sorted(set(real)))


def test_no_blueprint_imports_another():
    found = modules()
    blueprints = {"api", "auth", "library", "studio"}
    wrong = [f"{name} imports {target}" for name, path in found.items() if name.startswith("sonatina.web.")
             and name.split(".")[2] in blueprints
             for target in imports_of(path, set(found))
             if target.startswith("sonatina.web.") and target.split(".")[2] in blueprints - {name.split(".")[2]}]
    assert not wrong, "\n".join(wrong)
