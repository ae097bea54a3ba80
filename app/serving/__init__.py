"""Serving: admission (the bounded waiting room), engine worker pools that own the engines and batch
tasks, the task types the pipelines submit, the split-mode engine client (remote.py) and version facts."""
