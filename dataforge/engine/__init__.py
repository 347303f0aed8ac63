"""Where data work runs: on this machine (the default, the stages' own code) or on a Ray cluster (`ray_*`
modules). The Ray engine calls the same per-record functions as the local one, block by block, and does the
global steps (exact and near duplicates) by grouping across blocks, so its results equal the local engine's.
Nothing below this floor imports it; `ray` is imported only inside the functions that need it."""
