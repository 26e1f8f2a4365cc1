"""Version of the dingofs package (the single source of truth)."""

#: The package version; also the version the bundled engine must report.
__version__ = "0.1.0"
