"""Package list for setuptools; everything else is in pyproject.toml.

The shipped data stays in the top-level ``resources/`` folder of the repository and is
installed as the package ``fashion_annotator._resources`` (found with ``importlib.resources``,
see ``fashion_annotator/resources.py``); ``pyproject.toml`` alone cannot map a folder outside
the package into it while still finding the packages automatically.
"""

from setuptools import find_packages, setup

RESOURCES = "fashion_annotator._resources"

setup(
    packages=[*find_packages(include=["fashion_annotator*", "training*"]), RESOURCES],
    package_dir={RESOURCES: "resources"},
    package_data={"fashion_annotator": ["py.typed"], RESOURCES: ["**/*"]},
    exclude_package_data={RESOURCES: ["**/__pycache__/*", "**/*.pyc"]},
)
