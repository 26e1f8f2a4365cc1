"""Helpers of the package build (used by build_ffi.py and setup.py; not installed)."""
