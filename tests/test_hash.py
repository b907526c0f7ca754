"""The dropout hash, bit for bit, against a pure-Python-integer implementation."""
import numpy as np
import pytest

from kernels import hashing
from tests import naive


@pytest.mark.parametrize("seed", [0, 1, 2 ** 63 + 12345, 2 ** 64 - 1])
def test_hash_bits_match_python_integers(seed):
    with np.errstate(over="ignore"):
        key = hashing.stream_key(np.uint64(seed), np.uint64(17), np.uint64(3))
        for unit in (0, 1, 99):
            rk = hashing.row_key(key, np.uint64(unit))
            for example in (0, 5, 2 ** 40):
                got = hashing.uniform(rk, np.uint64(example))
                assert got == naive.dropout_uniform(seed, 17, 3, unit, example)


def test_known_value():
    # Pinned so that a change of the hash (and so of every model's dropout) cannot go unnoticed.
    assert naive._mix(0x9E3779B97F4A7C15) == 0xE220A8397B1DCDAF
    with np.errstate(over="ignore"):
        assert int(hashing.mix64(np.uint64(0x9E3779B97F4A7C15))) == 0xE220A8397B1DCDAF


def test_mask_statistics():
    from kernels.reference import dropout_mask
    D = dropout_mask(7, 1, 1, (200, 500), 0.8)
    assert abs(D.mean() - 0.8) < 0.01
    assert not np.array_equal(D, dropout_mask(7, 2, 1, (200, 500), 0.8))
    assert not np.array_equal(D, dropout_mask(7, 1, 2, (200, 500), 0.8))
    assert not np.array_equal(D, dropout_mask(8, 1, 1, (200, 500), 0.8))


def test_every_backend_exports_the_same_ops():
    """One op per function, with the same names and signatures on every backend."""
    import importlib
    import inspect
    modules = {name: importlib.import_module(path) for name, path in
               {"numpy": "kernels.reference", "numba": "kernels.cpu",
                "cuda": "kernels.cuda"}.items()}

    def ops(module):
        return {n: inspect.signature(o) for n, o in vars(module).items()
                if inspect.isfunction(o) and not n.startswith("_")
                and o.__module__.startswith("kernels")}

    reference = ops(modules["numpy"])
    assert len(reference) >= 25
    for name, module in modules.items():
        assert ops(module) == reference, name


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
    for path in ("kernels.scalar", "kernels.cpu", "kernels.cpu.layers", "kernels.cpu.updates",
                 "kernels.cpu.small", "kernels.cpu.network", "kernels.cuda",
                 "kernels.cuda.device"):
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
