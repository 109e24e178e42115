"""The `tiered` commands, one module per group; `parser` builds the arguments. `tiered.cli.main`
runs them (locks, config use, errors as one line)."""
