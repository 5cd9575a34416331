"""What the autograder's Python can import: its standard library and numpy, and nothing else.

The course's autograder runs Python 3.9.12 with numpy 1.23.0 alone (the handout's instructions). Python 3.9 has no
sys.stdlib_module_names (it came in 3.10), and the Python running grade.py may be another version, so the list is
shipped here: every top-level module name of CPython 3.9's standard library on Linux, read off Python 3.9.18
(sys.builtin_module_names, then pkgutil.iter_modules over the stdlib folder and lib-dynload). Windows-only modules
(msvcrt, winreg, ...) are not in it: the autograder runs Linux. The Tk modules are in the standard library but need
Tk, which a headless image such as the autograder's lacks: importing turtle (an editor's auto-import, `from turtle
import update`) fails there with "No module named 'tkinter'", so they count as absent.
"""
STANDARD_LIBRARY_3_9 = frozenset((
    "__future__", "_abc", "_aix_support", "_ast", "_asyncio", "_bisect", "_blake2", "_bootlocale", "_bootsubprocess",
    "_bz2", "_codecs", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw",
    "_collections", "_collections_abc", "_compat_pickle", "_compression", "_contextvars", "_crypt", "_csv",
    "_ctypes", "_ctypes_test", "_curses", "_curses_panel", "_datetime", "_decimal", "_elementtree", "_functools",
    "_hashlib", "_heapq", "_imp", "_io", "_json", "_locale", "_lsprof", "_lzma", "_markupbase", "_md5",
    "_multibytecodec", "_multiprocessing", "_opcode", "_operator", "_osx_support", "_peg_parser", "_pickle",
    "_posixshmem", "_posixsubprocess", "_py_abc", "_pydecimal", "_pyio", "_queue", "_random", "_sha1", "_sha256",
    "_sha3", "_sha512", "_signal", "_sitebuiltins", "_socket", "_sqlite3", "_sre", "_ssl", "_stat", "_statistics",
    "_string", "_strptime", "_struct", "_symtable", "_testbuffer", "_testcapi", "_testimportmultiple",
    "_testinternalcapi", "_testmultiphase", "_thread", "_threading_local", "_tkinter", "_tracemalloc", "_uuid",
    "_warnings", "_weakref", "_weakrefset", "_xxsubinterpreters", "_xxtestfuzz", "_zoneinfo", "abc", "aifc",
    "antigravity", "argparse", "array", "ast", "asynchat", "asyncio", "asyncore", "atexit", "audioop", "base64",
    "bdb", "binascii", "binhex", "bisect", "builtins", "bz2", "cProfile", "calendar", "cgi", "cgitb", "chunk",
    "cmath", "cmd", "code", "codecs", "codeop", "collections", "colorsys", "compileall", "concurrent",
    "configparser", "contextlib", "contextvars", "copy", "copyreg", "crypt", "csv", "ctypes", "curses",
    "dataclasses", "datetime", "dbm", "decimal", "difflib", "dis", "distutils", "doctest", "email", "encodings",
    "ensurepip", "enum", "errno", "faulthandler", "fcntl", "filecmp", "fileinput", "fnmatch", "formatter",
    "fractions", "ftplib", "functools", "gc", "genericpath", "getopt", "getpass", "gettext", "glob", "graphlib",
    "grp", "gzip", "hashlib", "heapq", "hmac", "html", "http", "idlelib", "imaplib", "imghdr", "imp", "importlib",
    "inspect", "io", "ipaddress", "itertools", "json", "keyword", "lib2to3", "linecache", "locale", "logging",
    "lzma", "mailbox", "mailcap", "marshal", "math", "mimetypes", "mmap", "modulefinder", "multiprocessing", "netrc",
    "nis", "nntplib", "ntpath", "nturl2path", "numbers", "opcode", "operator", "optparse", "os", "ossaudiodev",
    "parser", "pathlib", "pdb", "pickle", "pickletools", "pipes", "pkgutil", "platform", "plistlib", "poplib",
    "posix", "posixpath", "pprint", "profile", "pstats", "pty", "pwd", "py_compile", "pyclbr", "pydoc", "pydoc_data",
    "pyexpat", "queue", "quopri", "random", "re", "readline", "reprlib", "resource", "rlcompleter", "runpy", "sched",
    "secrets", "select", "selectors", "shelve", "shlex", "shutil", "signal", "site", "smtpd", "smtplib", "sndhdr",
    "socket", "socketserver", "spwd", "sqlite3", "sre_compile", "sre_constants", "sre_parse", "ssl", "stat",
    "statistics", "string", "stringprep", "struct", "subprocess", "sunau", "symbol", "symtable", "sys", "sysconfig",
    "syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios", "test", "textwrap", "this", "threading",
    "time", "timeit", "tkinter", "token", "tokenize", "trace", "traceback", "tracemalloc", "tty", "turtle",
    "turtledemo", "types", "typing", "unicodedata", "unittest", "urllib", "uu", "uuid", "venv", "warnings", "wave",
    "weakref", "webbrowser", "wsgiref", "xdrlib", "xml", "xmlrpc", "xxlimited", "xxsubtype", "zipapp", "zipfile",
    "zipimport", "zlib", "zoneinfo"))
NEEDS_TK = frozenset(("tkinter", "_tkinter", "turtle", "turtledemo", "idlelib"))
ON_THE_AUTOGRADER = (STANDARD_LIBRARY_3_9 - NEEDS_TK) | {"numpy"}


def absent(module: str) -> bool:
    """Whether importing this module (dotted or not) fails on the autograder: its top-level package is not there."""
    return module.split(".")[0] not in ON_THE_AUTOGRADER


def why_absent(module: str) -> str:
    """Why the autograder cannot import it, in a few words."""
    top = module.split(".")[0]
    if top in NEEDS_TK:
        return f"{top} needs Tk (tkinter), which the autograder's Python lacks"
    return f"the autograder has only Python 3.9's standard library and numpy, not {top}"
