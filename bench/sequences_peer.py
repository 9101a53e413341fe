# SciPy peer for bench/sequences.mjs (one JSON request per line): solves the
# same sequences one system at a time (Darcy by Jacobi-preconditioned cg,
# convection–diffusion and Helmholtz by gmres(restart)), and runs a SciPy
# data-generation loop (draw the field, assemble, cg) for the generator's
# comparison. Every solution's true residual is checked here.
import json, sys, time

try:
    import numpy as np
    import scipy, scipy.sparse as sp, scipy.sparse.linalg as sl
    from darcy_fv import darcy_matrix  # beside this file, so on sys.path
    from scipy_cg import cg as scipy_cg
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

def cg(A, b, rtol):
    # Jacobi-preconditioned, as numlane's sequence runs.
    return scipy_cg(A, b, rtol, sp.diags(1.0 / A.diagonal()))

def gmres(A, b, rtol, restart, max_steps):
    # Steps counted by callback (one per Arnoldi step); maxiter counts restart cycles.
    it = [0]
    def cb(r): it[0] += 1
    cycles = -(-max_steps // restart)
    try:
        x, info = sl.gmres(A, b, rtol=rtol, atol=0.0, restart=restart, maxiter=cycles, callback=cb, callback_type="pr_norm")
    except TypeError:  # SciPy < 1.12 calls rtol "tol"
        x, info = sl.gmres(A, b, tol=rtol, atol=0.0, restart=restart, maxiter=cycles, callback=cb, callback_type="pr_norm")
    return x, it[0]

def residual(A, x, b):
    return float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))

def generate_loop(n, count, seed, modes=8, alpha=2.0, tau=3.0, rtol=1e-8):
    # The same job as numlane's generate darcy: GRF by the truncated cosine
    # expansion at the cell centres, a = exp(g), assemble, cg; keep the solutions.
    rng = np.random.default_rng(seed)
    k = np.arange(modes)
    lam = (np.pi ** 2 * (k[None, :] ** 2 + k[:, None] ** 2) + tau ** 2) ** (-alpha / 2)
    lam[0, 0] = 0.0
    x = (np.arange(n) + 0.5) / n
    B = np.array([np.ones(n) if j == 0 else np.sqrt(2) * np.cos(np.pi * j * x) for j in range(modes)])
    b = np.ones(n * n)
    solutions = np.empty((count, n, n))
    iterations, worst = 0, 0.0
    for s in range(count):
        g = B.T @ (rng.standard_normal((modes, modes)) * lam) @ B
        A = darcy_matrix(np.exp(g))
        xs, it = cg(A, b, rtol)
        solutions[s] = xs.reshape(n, n)
        iterations += it
        worst = max(worst, residual(A, xs, b))
    return iterations, worst

state = {}
for line in sys.stdin:
    msg = json.loads(line)
    op = msg["op"]
    if op == "hello":
        print(json.dumps({"ok": True, "versions": {"numpy": np.__version__, "scipy": scipy.__version__}}), flush=True)
    elif op == "load":
        # A sequence as numlane wrote it: one pattern, every system's values and right-hand side.
        n, count = msg["n"], msg["count"]
        indptr = np.fromfile(msg["indptr"], dtype="<i4")
        indices = np.fromfile(msg["indices"], dtype="<i4")
        values = np.fromfile(msg["values"], dtype="<f8").reshape(count, -1)
        rhs = np.fromfile(msg["rhs"], dtype="<f8").reshape(count, n)
        state[msg["name"]] = [(sp.csr_matrix((values[s], indices, indptr), shape=(n, n)), rhs[s]) for s in range(count)]
        print(json.dumps({"ok": True}), flush=True)
    elif op == "sequence":
        systems, rtol = state[msg["name"]], msg["rtol"]
        t0, c0 = time.perf_counter(), time.process_time()
        xs, total = [], 0
        for A, b in systems:
            x, it = cg(A, b, rtol) if msg["method"] == "cg" else gmres(A, b, rtol, msg["restart"], msg["maxSteps"])
            xs.append(x); total += it
        us, cpu_us = (time.perf_counter() - t0) * 1e6, (time.process_time() - c0) * 1e6
        worst = max(residual(A, x, b) for (A, b), x in zip(systems, xs))
        print(json.dumps({"us": us, "cpuUs": cpu_us, "iterations": total, "worstResidual": worst}), flush=True)
    elif op == "generate":
        t0, c0 = time.perf_counter(), time.process_time()
        total, worst = generate_loop(msg["n"], msg["count"], msg["seed"])
        us, cpu_us = (time.perf_counter() - t0) * 1e6, (time.process_time() - c0) * 1e6
        print(json.dumps({"us": us, "cpuUs": cpu_us, "iterations": total, "worstResidual": worst}), flush=True)
