"""Model frameworks: how a Keras model or a PyTorch module is built, trained, transformed
by a recipe's steps, saved, loaded and exported (``keras/``, ``pytorch/``)."""
