"""Runtime shared by the API and the workers: settings, Redis, the job store, the CLI."""

__version__ = "0.1.0"
