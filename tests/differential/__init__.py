"""Helpers of the differential (model-based) tests.

The reference model is the host filesystem driven through :mod:`os`: the same
operations run on a ``local://`` filesystem through the SDK and on a temporary
host directory, and every result and every errno are compared.
"""
