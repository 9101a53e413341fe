# SciPy's conjugate gradients as the peers call it: rtol relative to ‖b‖, no
# atol, iterations counted by callback, across SciPy's rename of tol to rtol.
import scipy.sparse.linalg as sl

def cg(A, b, rtol, M=None):
    """x and the iteration count of scipy.sparse.linalg.cg (M: the preconditioner, or None)."""
    it = [0]
    def cb(xk): it[0] += 1
    try:
        x, info = sl.cg(A, b, rtol=rtol, atol=0.0, maxiter=100000, M=M, callback=cb)
    except TypeError:  # SciPy < 1.12 calls rtol "tol"
        x, info = sl.cg(A, b, tol=rtol, atol=0.0, maxiter=100000, M=M, callback=cb)
    return x, it[0]
