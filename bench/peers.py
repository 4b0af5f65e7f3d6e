"""Benchmarks sportello against scikit-learn and fastText on the same data.

Run through bench/peers.sh, which makes the virtualenv, builds sportello and pins the BLAS
threads. Every measurement is a separate process (start-up included), timed from outside;
peak memory is the command's maximum resident set size as GNU time reports it.
See bench/README.md for what is measured and the caveats.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import defaultdict

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
WORK = os.path.join(BENCH, "work")
TRAIN = os.path.join(ROOT, "data", "requests.jsonl")
TEST = os.path.join(ROOT, "data", "test.jsonl")
CATALOG = os.path.join(ROOT, "data", "services.toml")
PY = sys.executable

TOOLS = ["sportello", "sklearn", "fasttext"]
NAME = {"sportello": "sportello", "sklearn": "scikit-learn", "fasttext": "fastText"}
# Threads each tool uses (sportello: rayon over both cores in training and batch; the peers as
# configured in peer_tool.py / peers.sh).
THREADS = {
    "sportello": {"train": "all cores", "batch": "all cores", "one": "1"},
    "sklearn": {"train": "1", "batch": "1", "one": "1"},
    "fasttext": {"train": f"{os.cpu_count()} (thread=cpu_count)", "batch": "1", "one": "1"},
}
SEED = 20240601


# ---------------------------------------------------------------------------------------------
# Running and measuring one process


TIME = "/usr/bin/time"  # GNU time; peers.sh installs it (Debian package `time`) if missing


def run(cmd, stdout=None, timeout=None, label=""):
    """Runs `cmd` as a child; returns wall seconds, peak RSS (MiB), CPU seconds, exit code.

    Wall time runs from just before the fork to the reaping of the child. The peak RSS is the
    one GNU time reports for the command (%M, its ru_maxrss). The command is started through
    /usr/bin/time rather than straight from here because Linux carries a process's peak RSS
    across exec: a child forked from this (large) Python process would report this process's
    memory as its own, while the small `time` process adds only about 2 MiB.
    """
    os.makedirs(os.path.join(WORK, "logs"), exist_ok=True)
    stem = os.path.join(WORK, "logs", (label or "run").replace("/", "_"))
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    err = open(stem + ".stderr", "wb")
    timed_out = False
    try:
        start = time.perf_counter()
        before = os.times()
        proc = subprocess.Popen([TIME, "-f", "%M %e", "-o", stem + ".time"] + list(cmd),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=ROOT,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)  # time and the command: one session
            proc.wait()
        wall = time.perf_counter() - start
        after = os.times()
    finally:
        if stdout:
            out.close()
        err.close()
    rss = None
    try:
        with open(stem + ".time") as f:
            last = f.read().strip().splitlines()[-1]  # after any "Command exited..." line
        rss = int(last.split()[0]) / 1024.0
    except (OSError, IndexError, ValueError):
        pass
    result = {
        "wall_s": wall,
        "peak_rss_mib": rss,
        "cpu_s": (after.children_user - before.children_user)
        + (after.children_system - before.children_system),
        "exit": proc.returncode,
        "timed_out": timed_out,
    }
    if timed_out or proc.returncode != 0:
        with open(stem + ".stderr", "rb") as f:
            tail = f.read()[-2000:].decode("utf-8", "replace")
        result["stderr_tail"] = tail
        what = "timed out" if timed_out else f"exited with {proc.returncode}"
        print(f"  ! {label} {what} after {wall:.1f} s; stderr tail:\n{tail}", file=sys.stderr)
    return result


def mib(r):
    return "? MiB" if r["peak_rss_mib"] is None else f"{r['peak_rss_mib']:.0f} MiB"


def ok(r):
    return r["exit"] == 0 and not r["timed_out"]


def summarise(runs):
    """Median wall time and worst peak RSS over successful runs."""
    good = [r for r in runs if ok(r) and r["peak_rss_mib"] is not None]
    if not good:
        status = "timeout" if any(r["timed_out"] for r in runs) else "failed"
        return {"status": status, "runs": runs}
    return {
        "status": "ok",
        "wall_s": statistics.median(r["wall_s"] for r in good),
        "wall_s_min": min(r["wall_s"] for r in good),
        "wall_s_max": max(r["wall_s"] for r in good),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in good),
        "cpu_s": statistics.median(r["cpu_s"] for r in good),
        "n": len(good),
        "runs": runs,
    }


def progress(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The tools' commands


def model_path(tool, tag):
    base = os.path.join(WORK, "models", tag)
    os.makedirs(base, exist_ok=True)
    return os.path.join(base, {"sportello": "sportello", "sklearn": "sklearn.pkl",
                               "fasttext": "fasttext.bin"}[tool])


def train_cmd(args, tool, data, model):
    if tool == "sportello":
        return [args.sportello, "train", "--data", data, "--catalog", CATALOG, "--out", model]
    return [PY, os.path.join(BENCH, "peer_tool.py"), "train", tool, data, model]


def batch_cmd(args, tool, model, src, dst):
    """(command, stdout file): sportello writes to standard output, the peers to `dst`."""
    if tool == "sportello":
        return [args.sportello, "classify", "--model", model, "--batch", src, "--json"], dst
    return [PY, os.path.join(BENCH, "peer_tool.py"), "batch", tool, model, src, dst], None


def one_cmd(args, tool, model, text):
    if tool == "sportello":
        return [args.sportello, "classify", "--model", model, "--json", text]
    return [PY, os.path.join(BENCH, "predict_one.py"), tool, model, text]


def size_mib(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)) / 2**20
    return os.path.getsize(path) / 2**20


# ---------------------------------------------------------------------------------------------
# Data


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    """Writes to a temporary file, then renames it: an interrupted run leaves no partial file
    for the next run to reuse."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def file_digest(path):
    """First 12 hex digits of a file's SHA-256: names derived data after its source."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def duplicate_key(text):
    """sportello's duplicate key (src/data.rs): no accents, lowercase, only letters and digits."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def synthetic(rows, n, seed):
    """`n` distinct labelled requests, each the first part of one training text and the last part
    of another of the same label (cut near the middle), labels in the training proportions.
    For timing only: these texts are never used to measure accuracy."""
    rng = random.Random(seed)
    words = defaultdict(list)
    for r in rows:
        words[r["label"]].append(r["text"].split())
    labels = [r["label"] for r in rows]
    seen, out = set(), []
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > 50 * n:
            raise SystemExit(f"could not make {n} distinct synthetic requests")
        label = rng.choice(labels)
        a, b = rng.sample(words[label], 2)
        i = max(1, round(len(a) * rng.uniform(0.35, 0.65)))
        j = min(len(b) - 1, round(len(b) * rng.uniform(0.35, 0.65)))
        text = " ".join(a[:i] + b[j:])
        key = duplicate_key(text)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append({"text": text, "label": label})
    rng.shuffle(out)
    return out


def prepare_data(args):
    data = os.path.join(WORK, "data")
    os.makedirs(data, exist_ok=True)
    test_texts = [r["text"] for r in read_jsonl(TEST)]
    files = {}
    # named after the files they are made from, so new data makes new sets
    path = os.path.join(data, f"batch_{args.batch_size}_{file_digest(TEST)}.jsonl")
    if not os.path.exists(path):
        rng = random.Random(SEED)
        rows = []
        while len(rows) < args.batch_size:
            copy = test_texts[:]
            rng.shuffle(copy)
            rows.extend({"text": t} for t in copy)
        write_jsonl(path, rows[: args.batch_size])
    files["batch"] = path
    train_rows = read_jsonl(TRAIN)
    source = file_digest(TRAIN)
    for n in args.scale:
        path = os.path.join(data, f"synthetic_{n}_{source}.jsonl")
        if not os.path.exists(path):
            progress(f"making {n} synthetic training requests")
            write_jsonl(path, synthetic(train_rows, n, SEED + n))
        files[n] = path
    return files


# ---------------------------------------------------------------------------------------------
# Sections


def section_train(args, results):
    progress(f"training on {os.path.relpath(TRAIN, ROOT)}, {args.reps} run(s) per tool")
    runs = {t: [] for t in args.tools}
    for rep in range(args.reps):  # interleaved, so that a noisy minute hits every tool alike
        for tool in args.tools:
            model = model_path(tool, "base")
            r = run(train_cmd(args, tool, TRAIN, model), timeout=args.timeout,
                    label=f"train-{tool}-{rep}")
            progress(f"  {tool} run {rep + 1}: {r['wall_s']:.2f} s, {mib(r)}")
            runs[tool].append(r)
    out = {}
    for tool in args.tools:
        out[tool] = summarise(runs[tool])
        model = model_path(tool, "base")
        if os.path.exists(model):
            out[tool]["model_mib"] = size_mib(model)
    results["train"] = {"data": os.path.relpath(TRAIN, ROOT), "examples": len(read_jsonl(TRAIN)),
                        "tools": out}


def section_accuracy(args, results):
    from sklearn.metrics import accuracy_score, f1_score

    progress("macro-F1 on the test file")
    gold = [r["label"] for r in read_jsonl(TEST)]
    pred_dir = os.path.join(WORK, "predictions")
    os.makedirs(pred_dir, exist_ok=True)
    out = {}
    for tool in args.tools:
        model = model_path(tool, "base")
        dst = os.path.join(pred_dir, f"{tool}_test.jsonl")
        cmd, stdout = batch_cmd(args, tool, model, TEST, dst)
        r = run(cmd, stdout=stdout, label=f"test-{tool}")
        if not ok(r):
            out[tool] = {"status": "failed", "run": r}
            continue
        pred = [row["service"] for row in read_jsonl(dst)]
        if len(pred) != len(gold):
            raise SystemExit(f"{tool}: {len(pred)} predictions for {len(gold)} test requests")
        out[tool] = {
            "status": "ok",
            "macro_f1": f1_score(gold, pred, average="macro"),
            "accuracy": accuracy_score(gold, pred),
        }
        progress(f"  {tool}: macro-F1 {out[tool]['macro_f1']:.4f}")
    if "sportello" in args.tools:  # cross-check with sportello's own evaluation
        dst = os.path.join(pred_dir, "sportello_evaluate.json")
        r = run([args.sportello, "evaluate", "--model", model_path("sportello", "base"),
                 "--data", TEST, "--json"], stdout=dst, label="evaluate-sportello")
        if ok(r):
            with open(dst) as f:
                out["sportello"]["evaluate_macro_f1"] = json.load(f)["macro_f1"]
    results["accuracy"] = {"data": os.path.relpath(TEST, ROOT), "examples": len(gold),
                           "tools": out}


def pick_request():
    """A test request of about median length (deterministic)."""
    texts = sorted((r["text"] for r in read_jsonl(TEST)), key=lambda t: (len(t), t))
    return texts[len(texts) // 2]


def section_latency(args, results):
    text = pick_request()
    progress(f"cold single request, {args.latency_reps} run(s) per tool (+1 warm-up)")
    runs = {t: [] for t in args.tools}
    answers = {}
    for rep in range(args.latency_reps + 1):
        for tool in args.tools:
            cmd = one_cmd(args, tool, model_path(tool, "base"), text)
            dst = os.path.join(WORK, "predictions", f"{tool}_one.json")
            r = run(cmd, stdout=dst, label=f"one-{tool}-{rep}")
            if rep == 0:  # warm-up: page cache, first exec
                with open(dst) as f:
                    answers[tool] = json.loads(f.read() or "null") if ok(r) else None
                continue
            runs[tool].append(r)
    out = {t: summarise(runs[t]) for t in args.tools}
    for t in args.tools:
        if answers.get(t):
            out[t]["service"] = answers[t]["service"]
    # Context: what the interpreter alone costs the peers.
    baseline = {}
    for name, code in [("python -c pass", "pass"),
                       ("python -c 'import sklearn...'",
                        "import sklearn.pipeline, sklearn.linear_model, "
                        "sklearn.feature_extraction.text"),
                       ("python -c 'import fasttext'", "import fasttext")]:
        baseline[name] = summarise([run([PY, "-c", code], label="baseline")
                                    for _ in range(args.latency_reps)])
    results["latency"] = {"request": text, "chars": len(text), "tools": out,
                          "python_baseline": baseline}


def section_batch(args, files, results):
    src = files["batch"]
    progress(f"batch throughput on {args.batch_size} requests, {args.reps} run(s) per tool")
    runs = {t: [] for t in args.tools}
    for rep in range(args.reps):
        for tool in args.tools:
            cmd, stdout = batch_cmd(args, tool, model_path(tool, "base"), src, os.devnull)
            r = run(cmd, stdout=stdout, timeout=args.timeout, label=f"batch-{tool}-{rep}")
            progress(f"  {tool} run {rep + 1}: {r['wall_s']:.2f} s")
            runs[tool].append(r)
    out = {}
    for tool in args.tools:
        s = summarise(runs[tool])
        if s["status"] == "ok":
            s["requests_per_s"] = args.batch_size / s["wall_s"]
        out[tool] = s
    results["batch"] = {"requests": args.batch_size, "tools": out}


def section_scale(args, files, results):
    out = {}
    for n in args.scale:
        progress(f"training on {n} synthetic requests, {args.scale_reps} run(s) per tool")
        out[n] = {}
        for tool in args.tools:
            runs = []
            for rep in range(args.scale_reps):
                model = model_path(tool, f"scale_{n}")
                r = run(train_cmd(args, tool, files[n], model), timeout=args.timeout,
                        label=f"scale{n}-{tool}-{rep}")
                took = "timeout" if r["timed_out"] else f"{r['wall_s']:.1f} s"
                progress(f"  {tool}: {took}, {mib(r)}, exit {r['exit']}")
                runs.append(r)
                if not ok(r):
                    break
            out[n][tool] = summarise(runs)
    results["scale"] = {"timeout_s": args.timeout, "sizes": out}


# ---------------------------------------------------------------------------------------------
# Tables


def fmt(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def ratio(x, base):
    return "—" if x is None or not base else f"{x / base:.2f}×"


def get(d, key):
    return d.get(key) if d and d.get("status") == "ok" else None


def status_or(d, key, digits=2, scale=1.0):
    if d and d.get("status") == "ok":
        return fmt(d[key] * scale, digits)
    return d.get("status", "—") if d else "—"


def tables(results):
    lines = []
    add = lines.append
    if "train" in results:
        t = results["train"]
        base = t["tools"].get("sportello")
        add(f"### Training on {t['data']} ({t['examples']} requests)\n")
        add("| tool | threads | wall s (median) | / sportello | peak RSS MiB | / sportello | model MiB |")
        add("|---|---|---:|---:|---:|---:|---:|")
        for tool, d in t["tools"].items():
            add(f"| {NAME[tool]} | {THREADS[tool]['train']} | {status_or(d, 'wall_s')} "
                f"| {ratio(get(d, 'wall_s'), get(base, 'wall_s'))} "
                f"| {status_or(d, 'peak_rss_mib', 0)} "
                f"| {ratio(get(d, 'peak_rss_mib'), get(base, 'peak_rss_mib'))} "
                f"| {fmt(d.get('model_mib'), 1)} |")
        add("")
    if "accuracy" in results:
        a = results["accuracy"]
        base = a["tools"].get("sportello")
        add(f"### Accuracy on {a['data']} ({a['examples']} requests; argmax, no abstention)\n")
        add("| tool | macro-F1 | − sportello | accuracy |")
        add("|---|---:|---:|---:|")
        for tool, d in a["tools"].items():
            f1, b = get(d, "macro_f1"), get(base, "macro_f1")
            diff = "—" if f1 is None or b is None else f"{f1 - b:+.4f}"
            add(f"| {NAME[tool]} | {status_or(d, 'macro_f1', 4)} | {diff} "
                f"| {status_or(d, 'accuracy', 4)} |")
        if base and base.get("evaluate_macro_f1") is not None:
            add(f"\n(`sportello evaluate --json` reports macro_f1 = {base['evaluate_macro_f1']:.4f}.)")
        add("")
    if "latency" in results:
        lt = results["latency"]
        base = lt["tools"].get("sportello")
        n = next((d["n"] for d in lt["tools"].values() if d.get("status") == "ok"), 0)
        add(f"### Cold single request (fresh process: start, load model, classify one "
            f"{lt['chars']}-char request, exit; median of {n})\n")
        add("| tool | ms (median) | min–max ms | / sportello | peak RSS MiB | / sportello |")
        add("|---|---:|---:|---:|---:|---:|")
        for tool, d in lt["tools"].items():
            spread = (f"{d['wall_s_min'] * 1000:.0f}–{d['wall_s_max'] * 1000:.0f}"
                      if d.get("status") == "ok" else "—")
            add(f"| {NAME[tool]} | {status_or(d, 'wall_s', 1, 1000)} | {spread} "
                f"| {ratio(get(d, 'wall_s'), get(base, 'wall_s'))} "
                f"| {status_or(d, 'peak_rss_mib', 0)} "
                f"| {ratio(get(d, 'peak_rss_mib'), get(base, 'peak_rss_mib'))} |")
        pieces = [f"{k}: {v['wall_s'] * 1000:.0f} ms / {v['peak_rss_mib']:.0f} MiB"
                  for k, v in lt.get("python_baseline", {}).items() if v.get("status") == "ok"]
        if pieces:
            add("\nPython alone, for context: " + "; ".join(pieces) + ".")
        add("")
    if "batch" in results:
        bt = results["batch"]
        base = bt["tools"].get("sportello")
        add(f"### Batch throughput ({bt['requests']} requests in one process, output discarded)\n")
        add("| tool | threads | requests/s (median) | / sportello | wall s | peak RSS MiB | / sportello |")
        add("|---|---|---:|---:|---:|---:|---:|")
        for tool, d in bt["tools"].items():
            add(f"| {NAME[tool]} | {THREADS[tool]['batch']} | {status_or(d, 'requests_per_s', 0)} "
                f"| {ratio(get(d, 'requests_per_s'), get(base, 'requests_per_s'))} "
                f"| {status_or(d, 'wall_s')} | {status_or(d, 'peak_rss_mib', 0)} "
                f"| {ratio(get(d, 'peak_rss_mib'), get(base, 'peak_rss_mib'))} |")
        add("")
    if "scale" in results:
        sc = results["scale"]
        add(f"### Training at scale (synthetic requests, timing only; timeout "
            f"{sc['timeout_s']:.0f} s)\n")
        add("| requests | tool | wall s | / sportello | peak RSS MiB | / sportello |")
        add("|---:|---|---:|---:|---:|---:|")
        for n, tools in sc["sizes"].items():
            base = tools.get("sportello")
            for tool, d in tools.items():
                add(f"| {n} | {NAME[tool]} | {status_or(d, 'wall_s', 1)} "
                    f"| {ratio(get(d, 'wall_s'), get(base, 'wall_s'))} "
                    f"| {status_or(d, 'peak_rss_mib', 0)} "
                    f"| {ratio(get(d, 'peak_rss_mib'), get(base, 'peak_rss_mib'))} |")
        add("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def machine(args):
    import importlib.metadata as md

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "src", "Cargo.toml",
                                     "Cargo.lock"], cwd=ROOT, capture_output=True,
                                    text=True).stdout.strip())
    except OSError:
        commit, dirty = None, None
    versions = {}
    for pkg in ["scikit-learn", "numpy", "scipy", "fasttext-wheel"]:
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    try:
        sp = subprocess.run([args.sportello, "--version"], capture_output=True, text=True)
        versions["sportello"] = sp.stdout.strip()
        with open(args.sportello, "rb") as f:
            versions["sportello_sha256"] = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info

        import numpy  # noqa: F401
        import scipy.linalg  # noqa: F401

        pools = [{k: p.get(k) for k in ("internal_api", "num_threads", "architecture",
                                        "version")} for p in threadpool_info()]
    except ImportError:
        pools = None
    env = {k: v for k, v in os.environ.items()
           if k.startswith(("OMP_", "OPENBLAS_", "MKL_")) or k == "RAYON_NUM_THREADS"}
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
        "sportello_commit": commit, "sportello_src_dirty": dirty, "versions": versions,
        "threadpools": pools, "env": env, "loadavg_at_start": load,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sportello", default=os.path.join(ROOT, "target", "release", "sportello"))
    p.add_argument("--quick", action="store_true",
                   help="fewer repetitions, and no 100k-request training")
    p.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of "
                   + ",".join(TOOLS))
    p.add_argument("--sections", default="train,accuracy,latency,batch,scale",
                   help="comma-separated subset (accuracy, latency and batch use the models "
                   "that train saved)")
    p.add_argument("--timeout", type=float, default=1200, help="seconds per training or batch run")
    p.add_argument("--out", default=os.path.join(BENCH, "results.json"))
    args = p.parse_args()
    args.tools = [t for t in args.tools.split(",") if t]
    bad = set(args.tools) - set(TOOLS)
    if bad:
        p.error(f"unknown tool(s): {', '.join(sorted(bad))}")
    sections = [s for s in args.sections.split(",") if s]
    args.reps = 1 if args.quick else 3
    args.latency_reps = 5 if args.quick else 11
    args.scale_reps = 1
    args.batch_size = 100_000
    args.scale = [10_000] if args.quick else [10_000, 100_000]
    if "scale" not in sections:
        args.scale = []

    os.makedirs(WORK, exist_ok=True)
    results = {"quick": args.quick, "machine": machine(args),
               "config": {"reps": args.reps, "latency_reps": args.latency_reps,
                          "batch_requests": args.batch_size, "scale": args.scale,
                          "timeout_s": args.timeout, "seed": SEED, "threads": THREADS}}
    sys.path.insert(0, BENCH)
    import peer_tool

    results["config"]["sklearn"] = {"C": peer_tool.SKLEARN_C, "word_ngrams": [1, 2],
                                    "char_wb_ngrams": [2, 5], "sublinear_tf": True,
                                    "max_iter": 1000}
    results["config"]["fasttext"] = peer_tool.FASTTEXT
    files = prepare_data(args)
    started = time.perf_counter()
    for name, fn in [("train", lambda: section_train(args, results)),
                     ("accuracy", lambda: section_accuracy(args, results)),
                     ("latency", lambda: section_latency(args, results)),
                     ("batch", lambda: section_batch(args, files, results)),
                     ("scale", lambda: section_scale(args, files, results))]:
        if name in sections:
            fn()
            with open(args.out, "w") as f:  # keep what we have if a later section fails
                json.dump(results, f, indent=2)
    results["total_s"] = time.perf_counter() - started
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    md = tables(results)
    with open(os.path.join(WORK, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    progress(f"done in {results['total_s'] / 60:.1f} min; raw numbers in "
             f"{os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
