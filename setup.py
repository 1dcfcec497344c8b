"""Build hook: a wheel carries the repository's ontologies/ and warehouse/migrations/ inside the
package (``harmonize/_data``), where :mod:`harmonize.resources` finds them once installed."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = {"ontologies": "ontologies", "warehouse/migrations": "migrations"}


class BuildWithData(build_py):
    """``build_py`` plus a copy of the data folders."""

    def run(self) -> None:
        super().run()
        for src, dst in BUNDLED.items():
            if Path(src).is_dir():
                self.copy_tree(src, str(Path(self.build_lib) / "harmonize" / "_data" / dst))


setup(cmdclass={"build_py": BuildWithData})
