"""A scaled clock: emulated seconds advance `scale` times faster than real seconds."""

import threading
import time

from .util import from_ts


class Clock:
    def __init__(self, scale=1.0, real=time.time):
        self._real = real
        self._lock = threading.Lock()
        self.scale = float(scale)
        self._real0 = self._real()
        self._emu0 = self._real0

    def now_ts(self):
        with self._lock:
            return self._emu0 + (self._real() - self._real0) * self.scale

    def now(self):
        return from_ts(self.now_ts())

    def set_scale(self, scale):
        with self._lock:
            real = self._real()
            self._emu0 = self._emu0 + (real - self._real0) * self.scale
            self._real0 = real
            self.scale = float(scale)

    def advance(self, seconds):
        with self._lock:
            self._emu0 += float(seconds)

    def reset(self, scale=None):
        with self._lock:
            self._real0 = self._real()
            self._emu0 = self._real0
            if scale is not None:
                self.scale = float(scale)
