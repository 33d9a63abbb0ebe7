"""Keep the core's freed temporaries in the process instead of handing them back.

A month of a world-scale batch builds a few hundred (runs, firms) arrays of
a few MB and frees them again. glibc's ``malloc`` serves blocks that large
with ``mmap`` and returns them to the kernel on ``free``, so the next month
asks for the same memory again and pays a page fault for every 4 kB of it;
on the virtual machines measured that was about a tenth of the core's time
(the same runs, 6-20% faster with the settings below, 4 Dec 2026;
docs/performance.md). :func:`keep_freed_arrays` raises glibc's thresholds
once per process so those blocks come from the heap and stay there:

* ``M_MMAP_THRESHOLD`` 32 MiB (glibc's maximum): blocks below it come from
  the heap (a metric array of a thousand runs, larger, still maps and
  unmaps as before);
* ``M_TRIM_THRESHOLD`` 1 GiB: free memory at the top of the heap is kept up
  to that, not returned after every month;
* ``M_TOP_PAD`` 64 MiB: the heap grows in steps of that much.

The cost is that the process keeps up to its peak working memory (a chunk's
budget, 512 MiB by default) after a batch. Elsewhere than glibc (macOS,
Windows, musl) it does nothing. Results are unaffected: it changes where
memory comes from, not what is computed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["keep_freed_arrays"]

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_SETTINGS = ((_M_MMAP_THRESHOLD, 32 * 2**20), (_M_TRIM_THRESHOLD, 2**30),
             (_M_TOP_PAD, 64 * 2**20))

_applied: bool | None = None


def keep_freed_arrays() -> bool:
    """Apply the settings of the module docstring once; return whether glibc took them."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(option, value) == 1 for option, value in _SETTINGS)
