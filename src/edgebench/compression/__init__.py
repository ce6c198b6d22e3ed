"""Pure compression math (numpy only): data-free weight quantization, tensor statistics."""
