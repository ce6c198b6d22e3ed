"""Hostile Keras model files for tests/test_hostile_files.py: a Lambda layer whose function
touches MARKER when it runs, saved as HDF5, as HDF5 renamed .keras, as a Keras v3 archive and
as a SavedModel folder; and a model with a registered custom layer. Run in a subprocess:

    python tests/data/make_hostile.py OUT_FOLDER MARKER

Building the model runs the Lambda once; the marker is removed before this script ends,
so a marker found later was made by whoever loaded a file.
"""

import os
import shutil
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tf_keras as keras  # noqa: E402

out, marker = sys.argv[1], sys.argv[2]
touch = eval(f"lambda x: (__import__('pathlib').Path({marker!r}).touch(), x)[1]")  # noqa: S307
inputs = keras.Input((4,))
hidden = keras.layers.Lambda(touch, name="evil")(inputs)
model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
model.save(f"{out}/evil.h5")
shutil.copy(f"{out}/evil.h5", f"{out}/evil_h5.keras")
model.save(f"{out}/evil.keras")
model.save(f"{out}/evil_saved", save_format="tf")


@keras.saving.register_keras_serializable(package="mine")
class Twice(keras.layers.Layer):
    def call(self, x):
        return x * 2


inputs = keras.Input((4,))
custom = keras.Model(inputs, Twice(name="twice")(inputs))
custom.save(f"{out}/custom.keras")
custom.save(f"{out}/custom.h5")
if os.path.exists(marker):
    os.remove(marker)
print("made")
