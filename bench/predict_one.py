"""Cold single request: load a saved peer model, classify one text, print one JSON line, exit.

    python bench/predict_one.py sklearn|fasttext MODEL_PATH "TEXT"

The counterpart of `sportello classify --model DIR --json "TEXT"`; peers.py times the whole
process (interpreter start-up, imports, model loading, one prediction).
"""

import json
import sys

from peer_tool import load, predict


def main(argv):
    if len(argv) != 3 or argv[0] not in ("sklearn", "fasttext"):
        sys.exit(__doc__)
    tool, path, text = argv
    labels, confs = predict(tool, load(tool, path), [text])
    print(json.dumps({"service": labels[0], "confidence": confs[0]}))


if __name__ == "__main__":
    main(sys.argv[1:])
