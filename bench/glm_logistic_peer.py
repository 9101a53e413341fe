# scikit-learn peer for bench/glm-logistic.mjs, one JSON request per line.
# "data": loads a dataset (scikit-learn's breast_cancer, also with standardised
# columns as breast_cancer_scaled, or digits, or wine_scaled / digits_scaled, or a sparse Gaussian set (CSR:
# data to xfile, indptr and indices as int32 to xfile.indptr, .indices), or the
# synthetic Gaussian set, seeded), writes X (row-major f64) and y (f64) to the
# given files for the JavaScript side, and keeps them. "fit": one
# LogisticRegression fit, timed in CPU seconds, with its objective in numlane's
# scaling: ½‖W‖², ‖W‖₁ or ρ‖w‖₁ + (1 − ρ)/2‖w‖², + C·Σ loss.
import json, sys, time, warnings
warnings.filterwarnings("ignore")  # lbfgs@100 stops at max_iter on purpose: its ConvergenceWarning each round

try:
    import numpy as np
    import sklearn
    from scipy.special import logsumexp
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

data = {}

def load(msg):
    name = msg["name"]
    if name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
    elif name == "breast_cancer_scaled":
        X, y = load_breast_cancer(return_X_y=True)
        X = StandardScaler().fit_transform(X)
    elif name == "digits":
        X, y = load_digits(return_X_y=True)
    elif name in ("wine_scaled", "digits_scaled"):
        X, y = (load_wine if name == "wine_scaled" else load_digits)(return_X_y=True)
        X = StandardScaler().fit_transform(X)
    elif name == "sparse":  # n×p, `density` of entries N(0, 1) at uniform positions; labels from a 5%-sparse plane
        import scipy.sparse as sp
        rs = np.random.RandomState(msg["seed"])
        n, p = msg["n"], msg["p"]
        k = int(n * p * msg["density"])
        X = sp.csr_matrix((rs.randn(k), (rs.randint(0, n, k), rs.randint(0, p, k))), shape=(n, p))
        X.sum_duplicates()
        w = rs.randn(p) * (rs.uniform(size=p) < 0.05)
        y = (X @ w + 0.3 * rs.randn(n) > 0).astype(float)
        data[name] = (X, y)
        X.data.tofile(msg["xfile"])
        X.indptr.astype(np.int32).tofile(msg["xfile"] + ".indptr")
        X.indices.astype(np.int32).tofile(msg["xfile"] + ".indices")
        np.asarray(y, dtype=np.float64).tofile(msg["yfile"])
        return {"n": n, "p": p, "nnz": int(X.nnz)}
    else:  # synthetic: Gaussian design, labels from a 10%-sparse plane plus noise
        rs = np.random.RandomState(msg["seed"])
        n, p = msg["n"], msg["p"]
        X = rs.randn(n, p)
        w = rs.randn(p) * (rs.uniform(size=p) < 0.1)
        y = (X @ w + 0.5 * rs.randn(n) > 0).astype(float)
    X = np.ascontiguousarray(X, dtype=np.float64)
    data[name] = (X, y)
    X.tofile(msg["xfile"])
    np.asarray(y, dtype=np.float64).tofile(msg["yfile"])
    return {"n": X.shape[0], "p": X.shape[1]}

def objective(X, y, m, C, penalty, l1_ratio=None):
    W, b = m.coef_, m.intercept_
    Z = X @ W.T + b
    if W.shape[0] == 1:
        loss = np.logaddexp(0, -np.where(y == 1, 1, -1) * Z[:, 0]).sum()
    else:
        loss = (logsumexp(Z, axis=1) - Z[np.arange(len(y)), y.astype(int)]).sum()
    rho = {"l1": 1.0, "l2": 0.0}.get(penalty, l1_ratio)
    pen = rho * np.abs(W).sum() + (1 - rho) / 2 * (W * W).sum()
    return float(pen + C * loss)

def fit(msg):
    X, y = data[msg["name"]]
    m = LogisticRegression(penalty=msg["penalty"], C=msg["C"], solver=msg["solver"], tol=msg["tol"],
                           max_iter=msg["maxIter"], fit_intercept=msg["fitIntercept"], l1_ratio=msg.get("l1Ratio"))
    t0 = time.process_time()
    m.fit(X, y)
    t = time.process_time() - t0
    return {"seconds": t, "objective": objective(X, y, m, msg["C"], msg["penalty"], msg.get("l1Ratio")), "iterations": int(np.max(m.n_iter_))}

for line in sys.stdin:
    msg = json.loads(line)
    try:
        if msg["op"] == "hello":
            out = {"ok": True, "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__}}
        elif msg["op"] == "rss":  # this process's peak resident set so far
            import resource
            out = {"maxRssKB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
        elif msg["op"] == "data":
            out = load(msg)
        else:
            out = fit(msg)
    except Exception as e:
        out = {"error": repr(e)}
    print(json.dumps(out), flush=True)
