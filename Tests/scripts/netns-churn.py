#!/usr/bin/env python3
"""Makes COUNT short-lived network namespaces, at most PARALLEL alive at once, each living
LIFETIME seconds: a child process unshares its network namespace, brings loopback up, listens on
127.0.0.1:8080 and closes CLOSES accepted connections first (server-side TIME_WAIT), then waits
out its lifetime and exits, and its namespace dies with it.

    netns-churn.py COUNT [PARALLEL [LIFETIME [CLOSES]]]      (defaults: 10000 50 0.3 3)

Prints `made N` every 1000 namespaces and `done N SECONDS` at the end. Needs root (unshare).
"""
import ctypes
import fcntl
import os
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def child(lifetime: float, closes: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        os._exit(3)
    control = socket.socket()
    flags = struct.unpack("16sH", fcntl.ioctl(control, SIOCGIFFLAGS, struct.pack("16sH", b"lo", 0)))[1]
    fcntl.ioctl(control, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))
    server = socket.socket()
    server.bind(("127.0.0.1", 8080))
    server.listen(64)
    clients = []
    for _ in range(closes):
        client = socket.create_connection(("127.0.0.1", 8080))
        accepted, _ = server.accept()
        accepted.close()  # the server closes first: TIME_WAIT on port 8080
        clients.append(client)
    for client in clients:
        client.recv(1)
        client.close()
    time.sleep(lifetime)
    os._exit(0)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    parallel = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 0.3
    closes = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    started = time.monotonic()
    alive, made, failed = set(), 0, 0
    while made < count or alive:
        while made < count and len(alive) < parallel:
            pid = os.fork()
            if pid == 0:
                try:
                    child(lifetime, closes)
                finally:
                    os._exit(4)
            alive.add(pid)
            made += 1
            if made % 1000 == 0:
                print(f"made {made}", flush=True)
        pid, status = os.wait()
        alive.discard(pid)
        if status != 0:
            failed += 1
    print(f"done {made} {time.monotonic() - started:.1f} failed {failed}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
