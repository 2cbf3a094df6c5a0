#!/usr/bin/python3
"""An abusive client of twmond's control socket, for the fairness tests.

usage: control-adversary.py MODE COUNT SOCKET

Keeps COUNT connections to SOCKET and re-opens each one as soon as the server closes it:
  idle       connects and sends nothing
  calling    sends GetStatus every 8 s on each connection and reads the replies
  reconnect  connects, and reconnects the moment the server closes the connection
  noread     sends ListPorts (the whole table) and never reads the reply

Prints "ready" once COUNT connections were opened, and on SIGTERM a JSON line with what it
did: {"connects": N, "closed": M} (connections attempted, connections found closed).
Only the standard library: it runs as nobody under /usr/bin/python3.
"""
import json
import select
import signal
import socket
import sys
import time

GET_STATUS = b'{"method":"io.twmon.Monitor.GetStatus"}\0'
LIST_PORTS = b'{"method":"io.twmon.Monitor.ListPorts"}\0'


def main():
    mode, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode not in ("idle", "calling", "reconnect", "noread"):
        sys.exit("unknown mode " + mode)
    stats = {"connects": 0, "closed": 0}
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    # A child of the test process may inherit a mask that blocks SIGTERM.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    poller = select.poll()
    slots = {}  # fd -> (socket, next call time)
    wanted = count
    announced = False

    def open_one():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(path)
        except (BlockingIOError, InterruptedError):
            pass  # queued; the server accepts it when it can
        except OSError:
            sock.close()
            return False
        if mode == "noread":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            try:
                sock.send(LIST_PORTS)
            except OSError:
                pass
        stats["connects"] += 1
        slots[sock.fileno()] = [sock, time.monotonic() + 8]
        # noread never reads: only a hang-up is of interest.
        poller.register(sock, 0 if mode == "noread" else select.POLLIN)
        return True

    def drop(fd):
        sock = slots.pop(fd)[0]
        poller.unregister(fd)
        sock.close()
        stats["closed"] += 1

    while not stopping:
        while len(slots) < wanted:
            if not open_one():
                break
        if not announced and stats["connects"] >= count:
            print("ready", flush=True)
            announced = True
        for fd, events in poller.poll(50):
            if events & (select.POLLHUP | select.POLLERR):
                drop(fd)
                continue
            try:
                data = slots[fd][0].recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                drop(fd)
        if mode == "calling":
            now = time.monotonic()
            for fd, slot in list(slots.items()):
                if now >= slot[1]:
                    slot[1] = now + 8
                    try:
                        slot[0].send(GET_STATUS)
                    except OSError:
                        drop(fd)
    print(json.dumps(stats), flush=True)


main()
