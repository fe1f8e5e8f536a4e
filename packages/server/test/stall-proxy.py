"""A TCP proxy with tiny socket buffers whose upstream reads can be stopped.

Used to make a player that really stops reading: Node cannot shrink a socket's
receive buffer, so the stalled side lives here. Reads `stall`/`resume` lines on
stdin. Usage: stall-proxy.py LISTEN_PORT TARGET_PORT [upstream]
By default the target's answers stall (a player that stops reading); with
`upstream` what the connecting client sends stalls (a server that stops reading
a publisher, e.g. a forward destination).
"""
import socket, sys, threading

listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
upstream = len(sys.argv) > 3 and sys.argv[3] == 'upstream'
reading = threading.Event()
reading.set()

def pump(src, dst, gated):
    try:
        while True:
            if gated:
                reading.wait()
            data = src.recv(4096)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

def control():
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == 'stall':
            reading.clear()
        elif cmd == 'resume':
            reading.set()

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if upstream:
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
srv.bind(('127.0.0.1', listen_port))
srv.listen(8)
print('ready', flush=True)
threading.Thread(target=control, daemon=True).start()
while True:
    client, _ = srv.accept()
    up = socket.socket()
    up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    up.connect(('127.0.0.1', target_port))
    threading.Thread(target=pump, args=(client, up, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(up, client, not upstream), daemon=True).start()
