"""The build chain: model sources and the zoo, training, Keras graph surgery and I/O,
conversion, the artifact pipeline, the content-addressed cache and artifact facts."""
