"""The package's structure: the backend contract, the one code table, and no import cycle
between the modules (counting the imports made inside functions, which defer a cycle to
run time without removing it)."""
import ast
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _modules():
    """Dotted name -> path of every module of kernels/ and nn/."""
    found = {}
    for package in ("kernels", "nn"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name, path, modules):
    """The package modules that module `name` imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            edges.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + [base] if base else up)
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
            edges.update(subs if len(subs) == len(node.names) else subs + [base])
    return {e for e in edges if e in modules and e != name}


def _cycle(graph):
    """One import cycle of `graph` as a list of modules, or None."""
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return trail[trail.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, trail + [nxt])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_import_cycle_counting_function_level_imports():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph["nn.base"] >= {"nn.model_io", "kernels"}  # the graph sees the imports
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_every_backend_keeps_the_written_contract():
    """`kernels.contract`: each backend exports every op with the reference's signature and
    a docstring (the reference's where it writes none), and nothing else public; each
    backend's trainer answers the trainer methods. The check itself finds a departure."""
    import importlib
    from types import SimpleNamespace

    from kernels import contract, reference
    from kernels.spec import NetSpec, OptSpec
    spec, opt = NetSpec((3, 4, 1), "relu", "sigmoid"), OptSpec("adam")
    X, Y = np.zeros((5, 3)), np.zeros((5, 1))
    for path in ("kernels.reference", "kernels.cpu", "kernels.cuda"):
        module = importlib.import_module(path)
        assert contract.violations(module) == [], path
        assert module.linear_forward.__doc__.strip() == reference.linear_forward.__doc__.strip()
        theta = np.zeros(spec.n_params)
        trainer = module.make_trainer(theta, (theta.copy(), theta.copy()), X, Y, spec, opt, 2,
                                      0)
        missing = [m for m in contract.TRAINER if not hasattr(trainer, m)]
        assert not missing and isinstance(trainer, contract.Trainer), path
        assert trainer.check_finite() and trainer.steps_per_epoch == 3, path
    ops = {op: getattr(reference, op) for op in contract.OPS[1:]}
    wrong = SimpleNamespace(**dict(ops, linear_backward=lambda dZ, A_prev, W: None,
                                   extra=lambda: None))
    wrong.extra.__module__ = "kernels.extra"
    assert contract.violations(wrong) == [
        "linear_forward is missing",
        "linear_backward(dZ, A_prev, W) differs from "
        "linear_backward(dZ, A_prev, W, l2=0.0, need_dA_prev=True)",
        "linear_backward has no docstring",
        "extra is public but not in the contract",
        "name is not a string"]


def test_one_code_table_for_every_backend():
    """The activation and optimizer codes come from `kernels.spec`'s table alone: every
    kernel module that names a code holds the table's value as a plain int (what compiled
    code reads as a constant), and the name maps and name lists agree with the table."""
    import importlib

    from kernels import spec
    assert spec.ACTIVATION_CODES == {a.name.lower(): a.value for a in spec.Activation}
    assert spec.OPTIMIZER_CODES == {o.name.lower(): o.value for o in spec.Optimizer}
    assert set(spec.HIDDEN_ACTIVATIONS + spec.OUTPUT_ACTIVATIONS) == set(spec.ACTIVATION_CODES)
    assert set(spec.OPTIMIZERS) == set(spec.OPTIMIZER_CODES)
    members = {**spec.Activation.__members__, **spec.Optimizer.__members__}
    seen = 0
    for path in ("kernels.scalar", "kernels.cpu.ops", "kernels.cpu.layers", "kernels.cpu.updates",
                 "kernels.cpu.small", "kernels.cpu.network", "kernels.cuda.ops",
                 "kernels.cuda.network", "kernels.cuda.device"):
        names = vars(importlib.import_module(path))
        for name in members.keys() & names.keys():
            assert type(names[name]) is int and names[name] == members[name], (path, name)
            seen += 1
    assert seen >= 20
    # ... and no other module writes the table again
    import ast
    import pathlib
    root = pathlib.Path(spec.__file__).parent
    for path in root.rglob("*.py"):
        if path.name == "spec.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign):
                targets = [t for target in node.targets
                           for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
                written = {t.id for t in targets if isinstance(t, ast.Name)} & members.keys()
                assert not written, f"{path.relative_to(root)} defines {sorted(written)} again"


def test_every_package_goes_into_the_wheel():
    """pyproject.toml's package list covers every package folder of kernels/ and nn/, so
    that a plain (not editable) install has them all."""
    import pytest
    tomllib = pytest.importorskip("tomllib")
    setuptools = pytest.importorskip("setuptools")
    with open(ROOT / "pyproject.toml", "rb") as fh:
        include = tomllib.load(fh)["tool"]["setuptools"]["packages"]["find"]["include"]
    listed = set(setuptools.find_packages(str(ROOT), include=include))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for package in ("kernels", "nn") for p in (ROOT / package).rglob("__init__.py")}
    assert {"kernels.cpu", "kernels.cuda", "kernels.reference"} <= on_disk <= listed


def test_modules_stay_short():
    """No module of kernels/ or nn/ is over 500 lines, each backend's __init__.py only
    gathers the contract's names (the work lives in modules named for it), and only
    `kernels.clone` copies function bodies."""
    lines = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for package in ("kernels", "nn") for p in (ROOT / package).rglob("*.py")}
    assert {p: n for p, n in lines.items() if n > 500} == {}
    for backend in ("reference", "cpu", "cuda"):
        assert lines[f"kernels/{backend}/__init__.py"] <= 40, backend
    # one way to compile a second copy of a body: kernels.clone
    copiers = [str(p.relative_to(ROOT)) for p in (ROOT / "kernels").rglob("*.py")
               if "from types import FunctionType" in p.read_text()]
    assert copiers == ["kernels/clone.py"]
