"""PyTorch models: modules saved and loaded without pickles, trained within the step
budget, pruned (Torch-Pruning, ``torch.nn.utils.prune``) and exported.

Every module here imports torch lazily: nothing in edgebench's core path needs it.
"""
