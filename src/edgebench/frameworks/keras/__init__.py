"""Keras (tf_keras): training, graph surgery, safe loading and saving of model files.

Every module here imports TensorFlow lazily: a warm run imports none of it.
"""
