"""The two peers of the benchmark, as a practitioner would set them up.

    python bench/peer_tool.py train sklearn|fasttext DATA.jsonl MODEL_PATH
    python bench/peer_tool.py batch sklearn|fasttext MODEL_PATH IN.jsonl OUT.jsonl

`train` reads labelled JSON Lines ({"text", "label"}), fits, and saves the model to MODEL_PATH
(a pickle for scikit-learn, a .bin for fastText). `batch` reads JSON Lines with "text", predicts
in chunks and writes one {"service", "confidence"} line per input line, in order.

peers.py runs each of these as its own process, so that interpreter start-up, imports and
model loading are part of what is timed. Imports are done inside the functions for the same
reason: each command pays only for the library it uses.
"""

import json
import os
import re
import sys

# Hyper-parameters, fixed once from 5-fold cross-validation on data/requests.jsonl (never on
# the test file); see bench/README.md.
SKLEARN_C = 10.0
FASTTEXT = dict(
    epoch=50,
    lr=0.5,
    wordNgrams=2,
    minn=2,
    maxn=5,
    dim=50,
    bucket=200_000,
    loss="softmax",
    seed=0,
)
BATCH = 1024  # requests predicted together by `batch`

_TOKEN = re.compile(r"\w+|[^\w\s]")


def ft_tokens(text):
    """fastText splits on whitespace only: lowercase and split punctuation off, as usual."""
    return " ".join(_TOKEN.findall(text.lower()))


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def sklearn_pipeline(C=SKLEARN_C):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    return Pipeline([("tfidf", features), ("lr", LogisticRegression(C=C, max_iter=1000))])


def train_sklearn(data, out):
    import pickle

    rows = list(read_jsonl(data))
    model = sklearn_pipeline().fit([r["text"] for r in rows], [r["label"] for r in rows])
    with open(out, "wb") as f:
        pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)


def train_fasttext(data, out, threads=None):
    import tempfile

    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as tmp:
        for r in read_jsonl(data):
            tmp.write(f"__label__{r['label']} {ft_tokens(r['text'])}\n")
    try:
        model = fasttext.train_supervised(
            input=tmp.name, thread=threads or os.cpu_count() or 1, verbose=0, **FASTTEXT
        )
    finally:
        os.unlink(tmp.name)
    model.save_model(out)


def load(tool, path):
    if tool == "sklearn":
        import pickle

        with open(path, "rb") as f:
            return pickle.load(f)
    import fasttext

    fasttext.FastText.eprint = lambda *a, **k: None  # silence the load_model warning
    return fasttext.load_model(path)


def predict(tool, model, texts):
    """Returns (labels, confidences) for a list of texts."""
    if tool == "sklearn":
        probs = model.predict_proba(texts)
        best = probs.argmax(axis=1)
        classes = model.classes_
        return [classes[i] for i in best], [float(probs[j, i]) for j, i in enumerate(best)]
    labels, probs = model.predict([ft_tokens(t) for t in texts], k=1)
    return [l[0][len("__label__"):] for l in labels], [float(p[0]) for p in probs]


def batch(tool, model_path, src, dst):
    model = load(tool, model_path)
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        chunk = []

        def flush():
            labels, confs = predict(tool, model, chunk)
            for label, conf in zip(labels, confs):
                fout.write(json.dumps({"service": label, "confidence": conf}) + "\n")
            chunk.clear()

        for line in fin:
            if not line.strip():
                continue
            chunk.append(json.loads(line)["text"])
            if len(chunk) == BATCH:
                flush()
        if chunk:
            flush()


def main(argv):
    if len(argv) == 4 and argv[0] == "train" and argv[1] in ("sklearn", "fasttext"):
        (train_sklearn if argv[1] == "sklearn" else train_fasttext)(argv[2], argv[3])
    elif len(argv) == 5 and argv[0] == "batch" and argv[1] in ("sklearn", "fasttext"):
        batch(argv[1], argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
