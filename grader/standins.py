"""Stand-ins for the modules the autograder lacks, so that feedback can go past a blocking import.

A file that imports pandas or matplotlib at the top fails at that import on the autograder, and
its grade stays what that run earns. For feedback only (grader/cli.py marks it as earning no
points), the run is repeated with each such module replaced by a file of the same name in the
run's folder (the script's folder comes first on sys.path): importing it, or any module under
it, works; using anything from it raises ModuleNotFoundError naming what was used, at the line
of the submission that used it. What the rest of the file does is then seen: the outputs it
writes, or where it needs the missing module.
"""
from typing import Dict, Iterable

# The stand-in's source, for the module TOP. It runs in the submission's process: standard library only.
TEMPLATE = '''"""A stand-in for {top!r}, which the autograder lacks (grade.py's feedback): using it fails."""
import importlib.abc
import importlib.machinery
import sys
import types

TOP = {top!r}


def _missing(path):
    return ModuleNotFoundError("No module named " + repr(TOP) + " (a stand-in for the autograder, where it is "
                               "missing: " + path + " was used)", name=TOP)


class StandIn:
    """Anything reached from the module: its attributes are stand-ins too; using it raises."""

    def __init__(self, path):
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return StandIn(self._path + "." + name)

    def __call__(self, *args, **kwargs):
        raise _missing(self._path + "()")

    def __getitem__(self, key):
        raise _missing(self._path + "[...]")

    def __iter__(self):
        raise _missing(self._path)

    def __bool__(self):
        raise _missing(self._path)

    def __setattr__(self, name, value):
        raise _missing(self._path + "." + name)


def _attribute(prefix):
    def __getattr__(name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return StandIn(prefix + "." + name)
    return __getattr__


class _Submodules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """TOP.anything imports as a stand-in module too."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith(TOP + "."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = _attribute(spec.name)
        return module

    def exec_module(self, module):
        pass


__path__ = []
__getattr__ = _attribute(TOP)
sys.meta_path.insert(0, _Submodules())
'''


def files(modules: Iterable[str]) -> Dict[str, bytes]:
    """The stand-in files for these modules (dotted names allowed), by the file name each has in the run's folder."""
    return {f"{top}.py": TEMPLATE.format(top=top).encode() for top in sorted({m.split(".")[0] for m in modules})}
