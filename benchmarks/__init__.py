"""Medidas de rendimiento del proyecto (`make bench`)."""
