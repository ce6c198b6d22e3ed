"""The model zoo (one module per architecture) and user-dropped model files.

A zoo module defines ``build(keras, input_shape, num_classes, **params)`` returning a
Keras 2 model, plus ``DEFAULTS`` (builder parameters), ``TRAINING`` (epochs, batch
size, learning rate) and ``MIN_INPUT_SIZE``. Model files dropped here (``*.keras``,
``*.h5``, SavedModel folders, ``*.onnx``, ``*.tflite``) are benchmarked as provided.
"""
