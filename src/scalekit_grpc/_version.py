"""The package version, used in the x-sdk-version and user-agent headers.

Kept equal to pyproject.toml's version (a test checks it), so that reading it costs no
importlib.metadata lookup at import time.
"""

__version__ = "0.1.0"
