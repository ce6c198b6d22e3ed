"""A history of runs: a store of run files filed by commit, time, device and machine, the
trends of each row across them, and the commits where a row moved beyond its noise."""
