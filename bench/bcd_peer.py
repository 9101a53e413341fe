# scikit-learn / SciPy peer for bench/bcd.mjs, one JSON request per line:
# Lasso fits (fit_intercept=False) for the nl.lasso rows; for the nl.bcd rows
# ElasticNet/Lasso, LogisticRegression (binary, multinomial) and a direct
# sparse solve of label propagation, each reporting its objective in nl.bcd's
# scaling so both sides' answers can be compared.
import json, sys, time

try:
    import numpy as np
    import sklearn
    import scipy, scipy.io, scipy.sparse as sp
    from scipy.sparse.linalg import spsolve
    from scipy.special import logsumexp
    from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

def fit_problem(pr):
    """Fits pr (from setup_problem) once; returns (iterations, objective in nl.bcd's scaling)."""
    kind, X, y, n = pr["kind"], pr.get("X"), pr.get("y"), pr.get("n")
    if kind == "least-squares":
        l1, l2 = pr["l1"], pr["l2"]
        m = (Lasso(alpha=l1, fit_intercept=False, tol=pr["tol"], max_iter=100000) if l2 == 0 else
             ElasticNet(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2), fit_intercept=False, tol=pr["tol"], max_iter=100000)).fit(X, y)
        w = m.coef_
        return int(m.n_iter_), float(((X @ w - y) ** 2).sum() / (2 * n) + l1 * np.abs(w).sum() + 0.5 * l2 * w @ w)
    if kind in ("logistic", "softmax"):
        l2 = pr["l2"]
        m = LogisticRegression(C=1 / (n * l2), fit_intercept=False, tol=pr["tol"], max_iter=100000).fit(X, y)
        W = m.coef_
        if kind == "logistic":
            z = X @ W.ravel()
            loss = np.logaddexp(0, -np.where(y == 1, 1, -1) * z).mean()
        else:
            z = X @ W.T
            loss = (logsumexp(z, axis=1) - z[np.arange(n), y]).mean()
        return int(np.max(m.n_iter_)), float(loss + 0.5 * l2 * (W * W).sum())
    # label propagation: the exact minimiser by a sparse direct solve
    W, lab, yl = pr["W"], pr["lab"], pr["yl"]
    U = ~lab
    L = sp.diags(np.asarray(W.sum(axis=1)).ravel()) - W
    x = np.where(lab, yl, 0.0)
    x[U] = spsolve(L[U][:, U].tocsc(), -(L[U][:, lab] @ yl[lab]))
    return 1, float(0.5 * (x @ (L @ x)))

def setup_problem(msg):
    kind = msg["kind"]
    pr = {"kind": kind, "tol": msg.get("tol", 1e-4), "l1": msg.get("l1", 0.0), "l2": msg.get("l2", 0.0)}
    if kind == "label-propagation":
        A = sp.csr_matrix(scipy.io.mmread(msg["mtx"]))
        W = abs(A - sp.diags(A.diagonal())).tocsr()
        W.eliminate_zeros()
        k = np.arange(W.shape[0])
        pr.update(W=W, lab=k % 7 == 0, yl=np.where(k < W.shape[0] / 2, 1.0, -1.0))
        return pr
    if "csv" in msg:
        d = np.loadtxt(msg["csv"], delimiter=",", skiprows=1)
        X, y = d[:, :-1], d[:, -1]
    else:  # the synthetic problems, built as in bench/bcd.mjs
        n, p = msg["n"], msg["p"]
        i = np.arange(n * p, dtype=np.float64)
        X = np.sin(i * 1.3 + 0.2).reshape(n, p)
        y = X[:, ::7].sum(axis=1) + 0.1 * np.cos(np.arange(n) * 0.7)
    if kind == "logistic":
        y = np.where(y == msg.get("positive", 1), 1, -1) if "csv" in msg else np.where(y > 0, 1, -1)
    if kind == "softmax":
        y = y.astype(int)
    pr.update(X=np.asfortranarray(X), y=y, n=len(y))
    return pr

data = {}
problem = None
for line in sys.stdin:
    msg = json.loads(line)
    if msg["op"] == "hello":
        print(json.dumps({"ok": True, "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__}}), flush=True)
    elif msg["op"] == "setup-bcd":
        problem = setup_problem(msg)
        iters, obj = fit_problem(problem)
        print(json.dumps({"ok": True, "iterations": iters, "objective": obj}), flush=True)
    elif msg["op"] == "fit-bcd":
        t0 = time.perf_counter()
        fit_problem(problem)
        print(json.dumps({"us": (time.perf_counter() - t0) * 1e6}), flush=True)
    elif msg["op"] == "setup-csr":
        # A CSR design and target written by bench/bcd.mjs as raw little-endian arrays.
        base, n, p = msg["base"], msg["n"], msg["p"]
        X = sp.csr_matrix((np.fromfile(base + ".data", dtype="<f8"), np.fromfile(base + ".indices", dtype="<i4"),
                           np.fromfile(base + ".indptr", dtype="<i4")), shape=(n, p))
        data.update(csr=X, b=np.fromfile(base + ".b", dtype="<f8"), csrLam=msg["lambda"], csrTol=msg["tol"])
        m = Lasso(alpha=data["csrLam"], fit_intercept=False, tol=data["csrTol"], max_iter=1000000).fit(data["csr"], data["b"])
        w = m.coef_
        obj = float(((X @ w - data["b"]) ** 2).sum() / (2 * n) + data["csrLam"] * np.abs(w).sum())
        print(json.dumps({"ok": True, "iterations": int(m.n_iter_), "objective": obj, "x": w.tolist()}), flush=True)
    elif msg["op"] == "fit-csr":
        t0 = time.process_time()
        Lasso(alpha=data["csrLam"], fit_intercept=False, tol=data["csrTol"], max_iter=1000000).fit(data["csr"], data["b"])
        print(json.dumps({"us": (time.process_time() - t0) * 1e6}), flush=True)
    elif msg["op"] == "setup":
        if "csv" in msg:
            d = np.loadtxt(msg["csv"], delimiter=",", skiprows=1)
            A, b = d[:, :-1], d[:, -1]
        else:  # the synthetic problem, built the same way as in bench/bcd.mjs
            n, p = msg["n"], msg["p"]
            i = np.arange(n * p, dtype=np.float64)
            A = np.sin(i * 1.3 + 0.2).reshape(n, p)
            b = A[:, ::7].sum(axis=1) + 0.1 * np.cos(np.arange(n) * 0.7)
        data.update(A=np.asfortranarray(A), b=b, lam=msg["lambda"], tol=msg["tol"])
        m = Lasso(alpha=data["lam"], fit_intercept=False, tol=data["tol"], max_iter=100000).fit(data["A"], data["b"])
        print(json.dumps({"ok": True, "iterations": int(m.n_iter_)}), flush=True)
    else:
        t0 = time.perf_counter()
        Lasso(alpha=data["lam"], fit_intercept=False, tol=data["tol"], max_iter=100000).fit(data["A"], data["b"])
        print(json.dumps({"us": (time.perf_counter() - t0) * 1e6}), flush=True)
