"""The shape of the source: lines per module, the longest functions, the public functions with
numpydoc and keyword-only options, and import cycles.

Run from the repository's root::

    python -m bench.house                 # the working tree
    python -m bench.house --rev HEAD~3    # a commit, read from git (for before/after figures)

Writes ``cache/bench/house.json`` (see :mod:`bench.common`) and prints the figures.
"""

import argparse
import ast
import subprocess

from bench.common import ROOT, save_results

PACKAGES = ("featurize", "classify", "moodclass", "beetsplug")


def sources(rev):
    """``{module path: text}`` of the packages' Python files, in the tree or at `rev`."""
    if rev is None:
        return {str(p.relative_to(ROOT)): p.read_text() for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "--", *PACKAGES], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    return {n: subprocess.run(["git", "show", f"{rev}:{n}"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout for n in names if n.endswith(".py")}


def code_lines(text, tree):
    """Lines of code: not blank, not a comment, not in a docstring."""
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                    and isinstance(first.value.value, str):
                docs.update(range(first.lineno, first.end_lineno + 1))
    return sum(1 for i, line in enumerate(text.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#") and i not in docs)


def module_name(path):
    return path[:-3].replace("/", ".").removesuffix(".__init__")


def public_functions(tree):
    """Module-level public functions and public methods of public classes (``__init__`` included)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, node
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and (not item.name.startswith("_") or item.name == "__init__"):
                    yield f"{node.name}.{item.name}", item


def describes_parameters(node):
    """Has a numpydoc ``Parameters`` section, or no parameter to describe (an ``__init__``'s are the class's)."""
    args = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs if a.arg not in ("self", "cls")]
    if not args or node.name == "__init__":
        return True
    doc = ast.get_docstring(node) or ""
    return "Parameters\n" in doc and "----------" in doc


#: scikit-learn's positional API (``fit(X, y=None)``, ``get_feature_names_out(input_features=None)``).
SKLEARN_POSITIONAL = ("X", "y", "input_features")


def keyword_only_options(node):
    """Every parameter with a default is keyword-only (or there is none), scikit-learn's positional
    ``X``, ``y`` and ``input_features`` aside."""
    positional = node.args.posonlyargs + node.args.args
    with_default = positional[len(positional) - len(node.args.defaults):]
    return all(a.arg in SKLEARN_POSITIONAL for a in with_default)


def imports(tree, package_modules):
    """Project modules a module imports, at the top or deferred."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in package_modules}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def measure(rev=None):
    texts = sources(rev)
    trees = {p: ast.parse(t) for p, t in texts.items()}
    modules = {module_name(p): p for p in texts}
    lines = {p: len(t.splitlines()) for p, t in texts.items()}
    functions = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                functions.append((node.end_lineno - node.lineno + 1, f"{path}:{node.lineno} {node.name}"))
    public = [(p, name, node) for p, tree in trees.items() if not p.endswith("__main__.py")
              for name, node in public_functions(tree)]
    graph = {m: imports(trees[p], modules) - {m} for m, p in modules.items()}
    # A package's __init__ importing its own modules is not a cycle between concerns.
    graph = {m: {w for w in ws if not (m.count(".") == 0 and w.startswith(m + "."))} for m, ws in graph.items()}
    return {
        "revision": rev or "working tree",
        "lines_total": sum(lines.values()),
        "code_lines_total": sum(code_lines(texts[p], trees[p]) for p in texts),
        "code_lines": {p: code_lines(texts[p], trees[p]) for p in sorted(texts, key=lambda p: -lines[p])},
        "lines": dict(sorted(lines.items(), key=lambda kv: -kv[1])),
        "longest_functions": [f"{n} lines  {where}" for n, where in sorted(functions, reverse=True)[:10]],
        "public_functions": len(public),
        "with_numpydoc": sum(describes_parameters(n) for _, _, n in public),
        "with_keyword_only_options": sum(keyword_only_options(n) for _, _, n in public),
        "by_package": {pkg: {"public": sum(p.startswith(pkg + "/") for p, _, _ in public),
                             "with_numpydoc": sum(p.startswith(pkg + "/") and describes_parameters(n) for p, _, n in public),
                             "keyword_only": sum(p.startswith(pkg + "/") and keyword_only_options(n) for p, _, n in public)}
                       for pkg in PACKAGES if any(p.startswith(pkg + "/") for p in texts)},
        "positional_options": sorted(f"{p} {name}" for p, name, n in public if not keyword_only_options(n)),
        "import_cycles": cycles(graph),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rev", help="a git revision (default: the working tree)")
    p.add_argument("--all", action="store_true", help="list every module and every positional option")
    args = p.parse_args()
    r = measure(args.rev)
    path = save_results("house" if args.rev is None else f"house-{args.rev.replace('/', '_')}", r)
    print(f"{r['revision']}: {r['lines_total']} lines in {len(r['lines'])} modules, {r['code_lines_total']} of them "
          "code (not blank, comment or docstring); per module, lines (code):")
    for module, n in list(r["lines"].items())[: None if args.all else 12]:
        print(f"  {n:5d} ({r['code_lines'][module]:4d})  {module}")
    print("longest functions:")
    for line in r["longest_functions"]:
        print(f"  {line}")
    print(f"public functions and methods: {r['public_functions']}; with numpydoc Parameters (or none to describe): "
          f"{r['with_numpydoc']}; with every option keyword-only: {r['with_keyword_only_options']}")
    for pkg, c in r["by_package"].items():
        print(f"  {pkg}: {c['public']} public, {c['with_numpydoc']} with numpydoc, {c['keyword_only']} keyword-only")
    if args.all:
        print("  options not keyword-only: " + ", ".join(r["positional_options"]))
    print(f"import cycles: {r['import_cycles'] or 'none'}")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
