"""Coalition Desk: the CLI, configuration and wiring of the parts into one process."""

__version__ = "0.1.0"
