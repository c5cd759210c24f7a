"""The generator's parts, one job a module; `codegen/generate.py` runs them."""
