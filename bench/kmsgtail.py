"""Shared by the bench/ harnesses: keeps every /dev/kmsg record written from now on."""
import os
import threading
import time


class KmsgTail:
    """Polls /dev/kmsg (non-blocking, every 1 ms: on this kernel a blocked reader is not always
    woken when a record is written) on a daemon thread; `records` holds (printk usec, first line)
    of every record, `overruns` counts the times the ring buffer outran the reader."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.overruns = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(fd, 0, os.SEEK_END)
        while True:
            try:
                rec = os.read(fd, 8192).decode("utf-8", "replace")
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except BrokenPipeError:
                self.overruns += 1
                continue
            head, _, text = rec.partition(";")
            with self.lock:
                self.records.append((int(head.split(",")[2]), text.split("\n")[0]))
