#!/usr/bin/env python3
"""Writes a dedup benchmark input: N canonical records (chat rows with a ~150-word answer), of which about
10% are exact duplicates of an earlier row (up to spacing), 10% near duplicates (1 to 4 words of the answer
changed) and 80% distinct. Deterministic (seed 7). Usage: dedup-bench-input.py N OUT_DIR [FILES]"""
import json
import os
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
files = int(sys.argv[3]) if len(sys.argv) > 3 else 4
rnd = random.Random(7)
vocab = ["w%d" % i for i in range(20000)]
os.makedirs(os.path.join(out, "data"), exist_ok=True)
answers = []
rows = []
for i in range(n):
    k = rnd.random()
    if answers and k < 0.1:
        j = rnd.randrange(len(rows))
        q, a = rows[j]
        rows.append((q + "  ", " " + a))
        continue
    if answers and k < 0.2:
        words = list(answers[rnd.randrange(len(answers))])
        for _ in range(rnd.randint(1, 4)):
            words[rnd.randrange(len(words))] = "edit%d" % rnd.randrange(1000)
    else:
        words = [rnd.choice(vocab) for _ in range(150)]
    answers.append(words)
    rows.append(("Question %d: tell me about %s." % (i, words[0]), " ".join(words)))
per = (n + files - 1) // files
for f in range(files):
    with open(os.path.join(out, "data", "part-%05d.jsonl" % f), "w") as fh:
        for i in range(f * per, min(n, (f + 1) * per)):
            q, a = rows[i]
            fh.write(json.dumps({"id": "r%d" % i, "messages": [
                {"role": "user", "content": q, "train": False},
                {"role": "assistant", "content": a, "train": True}], "meta": {"design": "general"}}) + "\n")
