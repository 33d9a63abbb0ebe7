"""Calibration of behavioural parameters against published figures."""
