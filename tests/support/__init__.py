"""Builders and helpers shared by several test modules."""
