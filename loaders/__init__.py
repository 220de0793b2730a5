"""Loaders: read SCALE-Sim run directories and AI Engine traces into the warehouse."""
