"""The data: datasets (built-in, files, online loaders) and preprocessing to a model's input."""
