#!/usr/bin/env python3
"""An AMI client that logs in with events on and discards what it reads, to measure how fast
ami-sim's storms reach one client.

    storm_sink.py --port AMI_PORT --control CONTROL_PORT --command "storm 1000000 0 devstate"

Logs in, sends the control commands given (in order, each reply printed on stderr), then counts
the messages read (blank-line terminated) until --events of them came or nothing arrived for
--idle seconds. Prints one line: `events=<n> bytes=<n> seconds=<first to last byte> rate=<events/s>`.
"""
import argparse
import socket
import sys
import time


def control(port, line):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(line.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    return reply.decode().strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control", type=int, required=True)
    parser.add_argument("--command", action="append", default=[])
    parser.add_argument("--events", type=int, default=0, help="stop after this many events (0: at --idle)")
    parser.add_argument("--idle", type=float, default=2.0)
    parser.add_argument("--username", default="bridge")
    parser.add_argument("--secret", default="bridgepass")
    args = parser.parse_args()

    ami = socket.create_connection(("127.0.0.1", args.port))
    ami.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    ami.sendall(f"Action: Login\r\nUsername: {args.username}\r\nSecret: {args.secret}\r\nEvents: on\r\n\r\n".encode())
    # The login answer and FullyBooted are not counted.
    pending = b""
    while pending.count(b"\r\n\r\n") < 2:
        pending += ami.recv(65536)
    for command in args.command:
        print(f"{command} -> {control(args.control, command)}", file=sys.stderr)

    buffer = bytearray(4 << 20)
    view = memoryview(buffer)
    ami.settimeout(args.idle)
    events = 0
    total = 0
    tail = b""
    first = last = None
    while args.events == 0 or events < args.events:
        try:
            n = ami.recv_into(buffer)
        except socket.timeout:
            break
        if n == 0:
            break
        now = time.monotonic()
        first = first or now
        last = now
        total += n
        chunk = tail + bytes(view[:n])
        events += chunk.count(b"\r\n\r\n")
        tail = chunk[-3:]  # a terminator split between two reads
    seconds = (last - first) if first else 0.0
    rate = events / seconds if seconds > 0 else 0.0
    print(f"events={events} bytes={total} seconds={seconds:.3f} rate={rate:.0f}")


if __name__ == "__main__":
    main()
