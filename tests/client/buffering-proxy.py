#!/usr/bin/env python3
# A reverse proxy on loopback that buffers event streams, as a proxy with
# response buffering on does (nginx's proxy_buffering, some corporate
# proxies): each request goes to the upstream on a connection of its own;
# other answers are passed on as they come, but the body of a
# text/event-stream answer is held back until the upstream ends it. The
# headers pass, so the client believes it is connected.
#
# Usage: buffering-proxy.py UPSTREAM_HOST:PORT
# Prints "listening on http://127.0.0.1:PORT", then one line per request:
# "GET /path", and "held N bytes of an event stream" when one ends.
import select
import socket
import sys
import threading


def log(line):
    print(line, flush=True)


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def with_connection_close(head):
    lines = [line for line in head.split(b"\r\n")[:-2]
             if not line.lower().startswith(b"connection:")]
    return b"\r\n".join(lines + [b"Connection: close", b"", b""])


def serve(client, upstream_address):
    upstream = None
    try:
        head, rest = read_head(client)
        if head is None:
            return
        log(head.split(b"\r\n")[0].decode("latin-1").rsplit(" ", 1)[0].split("?")[0])
        length = int(header(head, b"content-length") or 0)
        while len(rest) < length:
            chunk = client.recv(65536)
            if not chunk:
                return
            rest += chunk
        upstream = socket.create_connection(upstream_address)
        upstream.sendall(with_connection_close(head) + rest)

        answer_head, body = read_head(upstream)
        if answer_head is None:
            return
        client.sendall(answer_head)
        streaming = (header(answer_head, b"content-type") or b"").startswith(b"text/event-stream")
        held = b""
        if streaming:
            held += body
        else:
            client.sendall(body)
        while True:
            readable, _, _ = select.select([upstream, client], [], [])
            if client in readable and not client.recv(65536):
                break  # the client gave up
            if upstream in readable:
                chunk = upstream.recv(65536)
                if not chunk:
                    if streaming:
                        log("held %d bytes of an event stream" % len(held))
                        client.sendall(held)
                    break
                if streaming:
                    held += chunk
                else:
                    client.sendall(chunk)
    except OSError:
        pass
    finally:
        client.close()
        if upstream is not None:
            upstream.close()


def main():
    host, _, port = sys.argv[1].rpartition(":")
    upstream_address = (host, int(port))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    log("listening on http://127.0.0.1:%d" % listener.getsockname()[1])
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, upstream_address), daemon=True).start()


if __name__ == "__main__":
    main()
