#!/usr/bin/env python3
"""A tiny stand-in for a training script, for `make demo` and the tests.

Prints one line per epoch, `Epoch i/N | train_loss=... val_loss=...`, and a
final `Epoch N/N | MSE=... MAE=...` line, like the forecasting runs of the
article.  The numbers depend only on --lr, --lambda_se and --seed, so
results are reproducible; it takes --epoch-seconds per epoch.
"""
import argparse
import math
import random
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.01)
p.add_argument("--lambda_se", type=float, default=0.0)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--epoch-seconds", type=float, default=0.4)
a = p.parse_args()

rng = random.Random(a.seed * 7919 + int(a.lr * 1e6) + int(a.lambda_se * 1e6))
# a loss landscape with its best point near lr=0.01, lambda_se=0.05
base = 0.38 + 0.9 * (math.log10(a.lr) + 2) ** 2 / 10 + 0.4 * (a.lambda_se - 0.05) ** 2
for e in range(1, a.epochs + 1):
    time.sleep(a.epoch_seconds)
    decay = math.exp(-e / 2.0)
    train = base * (1 + 1.5 * decay) + rng.gauss(0, 0.004)
    val = base * (1 + 1.7 * decay) + rng.gauss(0, 0.006)
    print("Epoch %d/%d | train_loss=%.4f val_loss=%.4f" % (e, a.epochs, train, val), flush=True)
mse = base + rng.gauss(0, 0.004)
mae = math.sqrt(mse) * 0.66 + rng.gauss(0, 0.003)
print("Epoch %d/%d | MSE=%.4f MAE=%.4f" % (a.epochs, a.epochs, mse, mae), flush=True)
sys.exit(0)
