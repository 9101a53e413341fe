# SciPy peer for bench/krylov.mjs: times scipy.sparse.linalg.cg on request
# (one JSON request per line), on the same matrices and right-hand sides.
import json, sys, time

try:
    import numpy as np
    import scipy, scipy.io, scipy.sparse as sp, scipy.sparse.linalg as sl
    from scipy_cg import cg  # beside this file, so on sys.path
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

def lap3d(k):
    one = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(k, k))
    eye = sp.identity(k)
    return (sp.kron(sp.kron(one, eye), eye) + sp.kron(sp.kron(eye, one), eye) + sp.kron(sp.kron(eye, eye), one)).tocsr()

problem = {}

def convection_diffusion(N, wx, wy):
    # −Δu + w·∇u on an N×N grid, h = 1/(N+1), central differences (as bench/krylov.mjs).
    h = 1.0 / (N + 1)
    I, J, V = [], [], []
    for a in range(N):
        for c in range(N):
            r = a * N + c
            I.append(r); J.append(r); V.append(4.0)
            for aa, cc, v in ((a, c - 1, -1 - wx * h / 2), (a, c + 1, -1 + wx * h / 2), (a - 1, c, -1 - wy * h / 2), (a + 1, c, -1 + wy * h / 2)):
                if 0 <= aa < N and 0 <= cc < N:
                    I.append(r); J.append(aa * N + cc); V.append(v)
    return sp.csr_matrix((V, (I, J)), shape=(N * N, N * N))

def gmres_sequence(family, rtol, restart, recycle_k):
    # GMRES(restart) on each system, or gcrotmk(m=restart−k, k) with its CU carried.
    total = 0
    CU = []
    for A, b in family:
        it = [0]
        if recycle_k:
            counted = sl.LinearOperator(A.shape, matvec=lambda v, A=A: (it.__setitem__(0, it[0] + 1), A @ v)[1], dtype=float)
            try:
                x, info = sl.gcrotmk(counted, b, rtol=rtol, atol=0.0, m=restart - recycle_k, k=recycle_k, CU=CU, discard_C=True, maxiter=100000)
            except TypeError:
                x, info = sl.gcrotmk(counted, b, tol=rtol, atol=0.0, m=restart - recycle_k, k=recycle_k, CU=CU, discard_C=True, maxiter=100000)
        else:
            def cb(r): it[0] += 1
            try:
                x, info = sl.gmres(A, b, rtol=rtol, atol=0.0, restart=restart, maxiter=100000, callback=cb, callback_type="pr_norm")
            except TypeError:
                x, info = sl.gmres(A, b, tol=rtol, atol=0.0, restart=restart, maxiter=100000, callback=cb, callback_type="pr_norm")
        total += it[0]
    return total

for line in sys.stdin:
    msg = json.loads(line)
    op = msg["op"]
    if op == "hello":
        print(json.dumps({"ok": True, "versions": {"numpy": np.__version__, "scipy": scipy.__version__}}), flush=True)
    elif op == "setup":
        A = scipy.io.mmread(msg["path"]).tocsr() if "path" in msg else lap3d(msg["k"])
        b = A @ np.ones(A.shape[0])
        M = sp.diags(1.0 / A.diagonal()) if msg.get("jacobi") else None
        problem.update(A=A, b=b, M=M, rtol=msg["rtol"])
        print(json.dumps({"ok": True, "iterations": cg(A, b, msg["rtol"], M)[1]}), flush=True)
    elif op == "sequence":
        N = msg["N"]
        family = []
        for t, (wx, wy) in enumerate(msg["winds"]):
            family.append((convection_diffusion(N, wx, wy), 1 + np.sin(np.arange(N * N) * 0.05 + 0.2 * t)))
        problem.update(family=family, rtol=msg["rtol"], restart=msg["restart"], k=msg["k"])
        print(json.dumps({"ok": True, "gmres": gmres_sequence(family, msg["rtol"], msg["restart"], 0),
                          "gcrotmk": gmres_sequence(family, msg["rtol"], msg["restart"], msg["k"])}), flush=True)
    elif op == "sequence_time":
        t0 = time.perf_counter()
        gmres_sequence(problem["family"], problem["rtol"], problem["restart"], problem["k"] if msg["recycle"] else 0)
        print(json.dumps({"us": (time.perf_counter() - t0) * 1e6}), flush=True)
    else:  # time one solve
        t0 = time.perf_counter()
        cg(problem["A"], problem["b"], problem["rtol"], problem["M"])
        print(json.dumps({"us": (time.perf_counter() - t0) * 1e6}), flush=True)
