"""A TCP proxy a test can cut and restore, to take a database server away and bring it back."""

from __future__ import annotations

import select
import socket
import socketserver
import threading


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = None
        self._server = None
        self._sockets: set[socket.socket] = set()

    def start(self) -> None:
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    upstream = socket.create_connection(proxy.upstream, timeout=5)
                except OSError:
                    return
                proxy._sockets |= {self.request, upstream}
                pair = {self.request: upstream, upstream: self.request}
                try:
                    while True:
                        readable, _, _ = select.select(list(pair), [], [], 1)
                        for source in readable:
                            data = source.recv(65536)
                            if not data:
                                return
                            pair[source].sendall(data)
                except OSError:
                    return
                finally:
                    upstream.close()

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port or 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def cut(self) -> None:
        """Stop listening and drop every open connection, as a server that goes down would."""
        self._server.shutdown()
        self._server.server_close()
        for sock in list(self._sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass
        self._sockets.clear()
