"""Reads of CRMs and their data, one module per domain."""
