"""A loopback TCP proxy to inject database and Redis faults into a real server.

``forward`` passes bytes both ways; ``refuse`` closes the port and every open connection (the
server behind "refuses connections"); ``hang`` keeps accepting and keeps connections open but
passes nothing (a server that "accepts connections but never answers"); ``forward`` again
drops the hung connections so clients reconnect.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TcpProxy:
    """127.0.0.1:<port> -> target, with faults on demand."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.mode = "forward"
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listen()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._open.add(client)
            if self.mode == "hang":
                continue  # held open, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                self._close(client)
                continue
            with self._lock:
                self._open.add(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.mode == "forward":
                    sink.sendall(data)
        except OSError:
            pass
        self._close(source)
        self._close(sink)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with suppress(OSError):
            sock.close()

    def _drop_connections(self) -> None:
        with self._lock:
            socks = list(self._open)
        for sock in socks:
            self._close(sock)

    def refuse(self) -> None:
        """Close the port and every connection: new connections are refused."""
        self.mode = "refuse"
        if self._listener is not None:
            self._close(self._listener)
            self._listener = None
        self._drop_connections()

    def hang(self) -> None:
        """Accept connections but pass nothing, on new and open connections alike."""
        self.mode = "hang"
        if self._listener is None:
            self._listen()

    def forward(self) -> None:
        """Back to normal: hung connections are dropped so their clients reconnect."""
        if self.mode == "hang":
            self._drop_connections()
        self.mode = "forward"
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        self.refuse()
