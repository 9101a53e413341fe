# Darcy's cell-centred finite-volume matrix in SciPy, written from the
# stencil's definition (harmonic-mean transmissibilities, half-cell Dirichlet
# boundary), independently of src/problems.ts: the SciPy peer solves with it
# (bench/sequences_peer.py) and test/problems.test.ts checks numlane's
# assembly against it.
import numpy as np
import scipy.sparse as sp

def darcy_matrix(a):
    n = a.shape[0]
    harm = lambda p, q: 2 * p * q / (p + q)
    tx, ty = harm(a[:, :-1], a[:, 1:]), harm(a[:-1, :], a[1:, :])
    d = np.zeros_like(a)
    d[:, :-1] += tx; d[:, 1:] += tx; d[:-1, :] += ty; d[1:, :] += ty
    d[:, 0] += 2 * a[:, 0]; d[:, -1] += 2 * a[:, -1]; d[0, :] += 2 * a[0, :]; d[-1, :] += 2 * a[-1, :]
    idx = np.arange(n * n).reshape(n, n)
    r = [idx, idx[:, :-1], idx[:, 1:], idx[:-1, :], idx[1:, :]]
    c = [idx, idx[:, 1:], idx[:, :-1], idx[1:, :], idx[:-1, :]]
    v = [d, -tx, -tx, -ty, -ty]
    cat = lambda xs: np.concatenate([x.ravel() for x in xs])
    return sp.csr_matrix((cat(v) * n * n, (cat(r), cat(c))), shape=(n * n, n * n))
