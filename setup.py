"""Packaging that pyproject.toml cannot say alone: the course (tutorials/) installs as the
top-level package minigrad_course beside minigrad and layers, lessons, exercises, answers and
pictures included (their file patterns are in pyproject.toml's package-data)."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["minigrad", "minigrad.*", "layers", "layers.*"])
    + ["minigrad_course"],
    package_dir={"minigrad_course": "tutorials"},
)
