"""What both commands share: the project's errors, where it writes, atomic writes, progress bars,
library versions and command-line argument types. ``featurize`` and ``classify`` import from here,
never from each other's internals for these."""
