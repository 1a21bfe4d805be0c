"""Running a student's code: a time limit per call, their printing kept aside, their
exceptions turned into readable messages.

Every call into the student's functions goes through Runner.call. It runs the function in a
worker thread and waits at most `timeout` seconds: an endless loop becomes one line naming
the function instead of a grader that never returns. The abandoned thread is a daemon (it
cannot keep the process alive) and is asked to stop by raising an exception inside it, which
CPython delivers at the loop's next bytecode. What the function prints goes to Printed, which
keeps the first lines and counts the rest, so a forward that prints on every call cannot
bury the report.
"""
from __future__ import annotations

import contextlib
import contextvars
import copy
import ctypes
import inspect
import os
import textwrap
import threading
import traceback

DEFAULT_TIMEOUT = 5.0      # seconds per call: the notebooks' layers take milliseconds


class StudentError(Exception):
    """The student's function raised, hung or returned something unusable.

    kind: "error", "unfinished" (NotImplementedError, or None where a result belongs: the
    assignment's templates) or "hang" (the time limit ran out).
    """

    def __init__(self, message, kind="error"):
        super().__init__(message)
        self.kind = kind


class _Abandoned(BaseException):
    """Raised inside a thread that ran past its time limit, to stop it."""


class Printed:
    """What the student's code printed: the first `keep` lines, and how many there were."""

    def __init__(self, keep=12):
        self.keep = keep
        self.lines = []
        self.count = 0
        self._partial = ""

    def write(self, text):
        text = self._partial + str(text)
        *complete, self._partial = text.split("\n")
        for line in complete:
            self.count += 1
            if len(self.lines) < self.keep:
                self.lines.append(line[:200])
        return len(text)

    def flush(self):
        pass

    def summary(self):
        """The kept lines and a count of the rest; '' when nothing was printed."""
        if self._partial:
            self.write("\n")
        if not self.count:
            return ""
        shown = "\n".join("    | " + line for line in self.lines)
        rest = self.count - len(self.lines)
        more = f"\n    | ... and {rest} more line{'s' * (rest != 1)}" if rest else ""
        return (f"your code printed {self.count} line{'s' * (self.count != 1)} "
                f"(the first {len(self.lines)} shown):\n{shown}{more}")


class Runner:
    """Calls the student's functions with a time limit, capturing what they print."""

    def __init__(self, timeout=DEFAULT_TIMEOUT):
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"check_backward: timeout is a number of seconds > 0 (or None for "
                             f"no limit), got {timeout!r}")
        self.timeout = timeout
        self.printed = Printed()

    def call(self, fn, role, *args, **kwargs):
        """fn(*args, **kwargs), or StudentError naming fn when it raises or hangs.

        Dict arguments (CS231n's bn_param, conv_param, ...) are copied for every call, since
        a student's forward may store running averages in them."""
        args = [copy.deepcopy(a) if isinstance(a, dict) else a for a in args]
        kwargs = {k: copy.deepcopy(v) if isinstance(v, dict) else v for k, v in kwargs.items()}
        outcome = {}

        def work():
            try:
                outcome["value"] = fn(*args, **kwargs)
            except _Abandoned:
                pass
            except (Exception, SystemExit) as exc:  # sys.exit(0) must not end a grading as a pass
                outcome["error"] = exc

        # redirected here, in the waiting thread, so that it is undone here on time too
        with contextlib.redirect_stdout(self.printed), contextlib.redirect_stderr(self.printed):
            if self.timeout is None:
                work()
            else:
                context = contextvars.copy_context()   # np.errstate and the like carry over
                worker = threading.Thread(target=context.run, args=(work,), daemon=True,
                                          name=f"student {role}")
                worker.start()
                worker.join(self.timeout)
        if self.timeout is not None and worker.is_alive():
            _stop(worker)
            raise StudentError(f"{name_of(fn, role)} (your {role}) did not return within "
                               f"{self.timeout:g} s: an endless loop? (the limit is "
                               f"--timeout / timeout=)", "hang")
        if "error" in outcome:
            exc = outcome["error"]
            kind = "unfinished" if isinstance(exc, NotImplementedError) else "error"
            raise StudentError(describe(fn, role, exc), kind) from exc
        return outcome.get("value")


def _stop(thread):
    """Ask a runaway thread to stop: raise _Abandoned inside it (CPython's async exception)."""
    set_async = getattr(getattr(ctypes, "pythonapi", None), "PyThreadState_SetAsyncExc", None)
    if set_async is not None and thread.ident is not None:
        set_async(ctypes.c_ulong(thread.ident), ctypes.py_object(_Abandoned))


def name_of(fn, default):
    return getattr(fn, "__name__", None) or default


def describe(fn, role, exc):
    """'batchnorm_backward raised ZeroDivisionError: ... at file.py:12 `line`'."""
    name = name_of(fn, role)
    if isinstance(exc, SystemExit):
        head = f"{name} (your {role}) called sys.exit({exc.code!r}); return your results instead"
    elif isinstance(exc, NotImplementedError):
        head = f"{name} (your {role}) is not done yet"
        head += ":\n" + textwrap.indent(str(exc), "    ") if str(exc) else "."
    else:
        head = f"{name} (your {role}) raised {type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)[1:]   # drop the runner's own frame
    code = getattr(inspect.unwrap(fn), "__code__", None)    # through a wrapper, to theirs
    mine = [f for f in frames if code is not None and f.filename == code.co_filename]
    if mine or frames:
        f = (mine or frames)[-1]
        code_line = (f.line or "").strip()
        head += f"\n    at {_short(f.filename)}, line {f.lineno}, in {f.name}:\n        {code_line}"
    return head


def _short(path):
    """The path relative to the working directory when it lies below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:                 # another drive on Windows
        return path
    return path if relative.startswith("..") else relative
