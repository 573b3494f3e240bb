"""What the process sets up before a command runs: the import finder that spares numba's start its
BLAS probe (:class:`NoBlasProbe`), installed once by :func:`install`."""

from __future__ import annotations

import sys


class NoBlasProbe:
    """An import finder that answers "not installed" for ``scipy.linalg`` when (and only when)
    numba's ``numba.np.arraymath`` module asks for it while it is being initialised.

    Numba sets up its CPU target on the first call of a compiled kernel, cached or not; that
    imports ``numba.np.arraymath``, which probes for a BLAS by importing ``scipy.linalg`` (all of
    it: 0.3 s of CPU, more than a third of the kernels' start).  The probe's answer
    (``numba.np.arraymath._HAVE_BLAS``) decides one thing: whether ``np.correlate`` and
    ``np.convolve`` compiled later in the process call BLAS or a loop.  No kernel of this project
    calls either (``tests/cli/test_cli_start.py`` checks), and every other BLAS user (``np.dot``
    and ``np.linalg`` in a kernel) imports ``scipy.linalg`` when it is compiled, which this finder
    then allows, as it allows every import outside that one module's initialisation.  Where
    numba no longer probes this way the finder is never consulted at such a moment: nothing changes.
    """

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name == "scipy.linalg" or name.startswith("scipy.linalg."):
            probing = sys.modules.get("numba.np.arraymath")
            if probing is not None and getattr(getattr(probing, "__spec__", None), "_initializing", False):
                # only the import asked for by that module's own code on this thread: another
                # thread importing scipy.linalg meanwhile gets it
                frame = sys._getframe(1)
                while frame is not None:
                    if frame.f_globals.get("__name__") == "numba.np.arraymath":
                        raise ModuleNotFoundError(f"{name} is not probed at numba's start (commands.startup.NoBlasProbe)", name=name)
                    frame = frame.f_back
        return None


def install() -> None:
    """Put a :class:`NoBlasProbe` first on ``sys.meta_path`` (once per process)."""
    if not any(isinstance(f, NoBlasProbe) for f in sys.meta_path):
        sys.meta_path.insert(0, NoBlasProbe())
