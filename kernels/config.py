"""Compilation and launch settings shared by the Numba backends, in one place.

FASTMATH
    LLVM fast-math flags for every Numba CPU kernel. ``nnan`` and ``ninf`` are
    left out on purpose: with them LLVM may assume no NaN or infinity exists
    and delete the checks that stop training on a non-finite cost. ``reassoc``
    and ``contract`` let LLVM vectorize reductions and fuse multiply-adds,
    which moves results by a few ulps, far inside the tests' 1e-12; ``nsz``
    ignores the sign of zero and ``arcp`` allows reciprocals. ``afn``
    (approximate exp, tanh) is left out as well, so activations match NumPy's.
ERROR_MODEL
    Numba's error model for every CPU kernel: ``"numpy"``, so that a division by zero
    gives an infinity or a NaN, as it does in the NumPy reference (and then stops
    training as a non-finite cost), instead of raising ZeroDivisionError. It also
    matters for speed: under Python's model each division carries a zero check, a
    branch that keeps LLVM from vectorizing the loop around it.
PARALLEL_MIN_WORK
    A kernel runs its ``prange`` version only when its work (multiply-adds, or
    elements for element-wise kernels) reaches this; below it the serial compilation
    of the same body runs. Waking Numba's sleeping workers costs more than a small
    pass's work, so only large passes pay for it (measured side by side; figures in the
    README).
FUSED_MAX_WORK
    A network trains through the fused loop of ``kernels/cpu/small.py`` when every
    kernel of a mini-batch step (each layer's product, the gather, the optimizer update)
    has less work than this; larger ones train through the layer loop of
    ``kernels/cpu/network.py``, which calls a dozen or more kernels and BLAS products a
    step from Python. Below it those calls cost more than the fused loop's own products;
    above it BLAS's products win (measured side by side on 2 cores; figures in the
    README). Tests set it to 0 to run the layer loop on small networks.
COMPILE_HELPERS
    Whether a first fused fit on an empty cache may start a second Python process that
    compiles its training loop into Numba's cache on an idle core, while the fit steps
    from Python (``kernels.cpu.engine._loop_compiled_here``). Turn it off where every core is
    already busy, as under ``pytest -n auto``: there the helper takes time from the other
    workers instead of from an idle core. ``NN_COMPILE_HELPERS=0`` turns it off.
CUDA_FUSED_MAX_WORK
    The same threshold on the GPU, between the one-block loop of small networks
    (``train_small``) and the layer kernels.
BLAS_MIN_WORK
    Matrix products of at least this many multiply-adds call BLAS (``np.dot``
    inside compiled code); smaller ones run the explicit blocked loops.
    Measured on a 2-core x86-64 machine; see the README.
COLUMN_BLOCK
    Columns (examples) per block in the column-blocked kernels: each prange
    iteration owns one block of the output, so no two threads write the same
    element.
THREADS_PER_BLOCK
    CUDA threads per block of the 1-D kernels (a power of two, for the tree
    reductions); tests lower it so that the multi-block paths run on small shapes.
CUDA_TILE
    The blocks of the CUDA matrix products (and other 2-D kernels) are
    CUDA_TILE x CUDA_TILE threads; a product steps through its inner dimension
    CUDA_TILE at a time.
CUDA_REG_TILE
    Each thread of a CUDA matrix product computes CUDA_REG_TILE x CUDA_REG_TILE
    output elements, held in registers, so that a block covers an output tile of
    side CUDA_TILE * CUDA_REG_TILE and every value read from shared memory serves
    CUDA_REG_TILE multiply-adds.
CUDA_REG_MIN_TILES_PER_SM
    A product runs register-blocked only when that leaves at least this many
    output tiles per multiprocessor; with fewer, too few blocks run at once, and
    the products of one element per thread are faster (the crossover, measured on an
    H100 over W3's products, is in the README).
CUDA_MAX_BLOCKS
    Upper bound on the blocks along each grid dimension; grid-stride loops cover
    the rest (tests lower it so those loops run).
"""
import os

FASTMATH = frozenset({"nsz", "arcp", "contract", "reassoc"})
ERROR_MODEL = "numpy"
PARALLEL_MIN_WORK = int(os.environ.get("NN_PARALLEL_MIN_WORK", 1 << 21))
BLAS_MIN_WORK = int(os.environ.get("NN_BLAS_MIN_WORK", 1 << 15))
FUSED_MAX_WORK = int(os.environ.get("NN_FUSED_MAX_WORK", 1 << 18))
COMPILE_HELPERS = os.environ.get("NN_COMPILE_HELPERS", "1") != "0"
CUDA_FUSED_MAX_WORK = int(os.environ.get("NN_CUDA_FUSED_MAX_WORK", 1 << 15))
COLUMN_BLOCK = 64
THREADS_PER_BLOCK = int(os.environ.get("NN_THREADS_PER_BLOCK", 128))
CUDA_TILE = int(os.environ.get("NN_CUDA_TILE", 16))
CUDA_REG_TILE = int(os.environ.get("NN_CUDA_REG_TILE", 4))
CUDA_REG_MIN_TILES_PER_SM = 1.5
CUDA_MAX_BLOCKS = 1024
