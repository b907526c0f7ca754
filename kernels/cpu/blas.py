"""Matrix products through BLAS's gemm, from compiled code.

``gemm(A, a_t, B, b_t, C)`` sets C = op(A) op(B), op transposing where the literal flag
a_t or b_t is True, for C-contiguous 2-D arrays of one float dtype. It calls the BLAS that
Numba's ``np.dot`` calls (scipy's, through Numba's ``numba_xxgemm`` helper), without what
``np.dot(a, b, out)`` compiles around it: a specialization per operand layout, and a shape
check whose error message builds strings in compiled code, which Numba compiles anew on a
machine's first run. The shape check here raises a constant message.

Row-major C = op(A) op(B) is, read column-major, C^T = op(B)^T op(A)^T: B's data goes to
BLAS first, with the transposition flags as given.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic
from numba.np.linalg import ensure_blas, get_blas_kind

_CHAR = ir.IntType(8)
_VOID_P = ir.IntType(8).as_pointer()


def _flag(ty, name):
    if not isinstance(ty, types.BooleanLiteral):
        raise TypingError(f"gemm: {name} must be a literal True or False")
    return ty.literal_value


@intrinsic(prefer_literal=True)
def gemm(typingctx, A, a_t, B, b_t, C):
    """C = op(A) op(B) in place; see the module docstring."""
    arrays = (A, B, C)
    if not all(isinstance(t, types.Array) and t.ndim == 2 and t.layout == "C" for t in arrays):
        raise TypingError("gemm takes C-contiguous 2-D arrays")
    if not (A.dtype == B.dtype == C.dtype and A.dtype in (types.float32, types.float64)):
        raise TypingError("gemm takes float32 or float64 arrays of one dtype")
    transpose_a, transpose_b = _flag(a_t, "a_t"), _flag(b_t, "b_t")
    ensure_blas()

    def codegen(context, builder, signature, args):
        a, b, c = (context.make_array(signature.args[i])(context, builder, args[i])
                   for i in (0, 2, 4))
        a_rows, a_cols = cgutils.unpack_tuple(builder, a.shape, 2)
        b_rows, b_cols = cgutils.unpack_tuple(builder, b.shape, 2)
        c_rows, c_cols = cgutils.unpack_tuple(builder, c.shape, 2)
        m, k = (a_cols, a_rows) if transpose_a else (a_rows, a_cols)
        k_b, n = (b_cols, b_rows) if transpose_b else (b_rows, b_cols)
        fits = builder.and_(builder.and_(builder.icmp_signed("==", m, c_rows),
                                         builder.icmp_signed("==", n, c_cols)),
                            builder.icmp_signed("==", k, k_b))
        with builder.if_then(builder.not_(fits), likely=False):
            context.call_conv.return_user_exc(builder, ValueError,
                                              ("gemm: the shapes do not match",))
        one = ir.Constant(m.type, 1)

        def leading(dim):  # BLAS wants a leading dimension of at least 1, even when empty
            return builder.select(builder.icmp_signed("<", dim, one), one, dim)

        dtype = signature.args[0].dtype
        alpha = cgutils.alloca_once_value(builder, context.get_constant(dtype, 1.0))
        beta = cgutils.alloca_once_value(builder, context.get_constant(dtype, 0.0))
        fnty = ir.FunctionType(ir.IntType(32), [_CHAR, _CHAR, _CHAR, m.type, m.type, m.type,
                                                _VOID_P, _VOID_P, m.type, _VOID_P, m.type,
                                                _VOID_P, _VOID_P, m.type])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
        trans = {True: ir.Constant(_CHAR, ord("t")), False: ir.Constant(_CHAR, ord("n"))}
        status = builder.call(fn, (
            ir.Constant(_CHAR, ord(get_blas_kind(dtype))), trans[transpose_b], trans[transpose_a],
            n, m, k, builder.bitcast(alpha, _VOID_P),
            builder.bitcast(b.data, _VOID_P), leading(b_cols),
            builder.bitcast(a.data, _VOID_P), leading(a_cols), builder.bitcast(beta, _VOID_P),
            builder.bitcast(c.data, _VOID_P), leading(c_cols)))
        with builder.if_then(cgutils.is_not_null(builder, status), likely=False):
            context.call_conv.return_user_exc(builder, RuntimeError,
                                              ("gemm: BLAS returned an error",))
        return context.get_dummy_value()

    return types.none(A, a_t, B, b_t, C), codegen
