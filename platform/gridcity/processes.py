"""Running the web server and the job workers side by side (``gridcity serve``): each its own process,
all stopped together — when one of them ends, on Ctrl-C and on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Sequence

GRACE_SECONDS = 20.0


def run_together(commands: Sequence[Sequence[str]]) -> int:
    """Start every command, wait until one ends (or a stop signal), stop the others; the first
    ending one's exit code (0 after a stop signal)."""
    stop: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    children = [subprocess.Popen(list(c)) for c in commands]
    code = 0
    try:
        while not stop:
            ended = [p for p in children if p.poll() is not None]
            if ended:
                code = ended[0].returncode
                break
            time.sleep(0.2)
    except KeyboardInterrupt:  # Ctrl-C: the terminal sent SIGINT to the children too
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for p in children:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + GRACE_SECONDS
        for p in children:
            try:
                p.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return code
