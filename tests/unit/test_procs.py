import socket
import sys
from pathlib import Path

from taskdeck_dev.procs import LOOPBACK, pick_port, port_is_free, start_process, wait_until


def test_a_listening_port_is_busy_and_pick_port_moves_past_it() -> None:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen()
        busy = int(sock.getsockname()[1])
        assert not port_is_free(busy)
        taken: set[int] = set()
        chosen = pick_port(busy, taken)
        assert chosen != busy and port_is_free(chosen) and taken == {chosen}


def test_pick_port_never_hands_out_the_same_port_twice() -> None:
    taken: set[int] = set()
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        start = int(sock.getsockname()[1]) + 1
    first = pick_port(start, taken)
    second = pick_port(start, taken)
    assert first != second and taken == {first, second}


CHILD = """
import ctypes, socket, sys, threading, time
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen()
print(sock.getsockname()[1], flush=True)
threading.Thread(target=time.sleep, args=(3,)).start()
ctypes.CDLL(None).pthread_exit(None)  # the main thread ends; the process lives on
"""


def test_a_process_whose_main_thread_ended_is_alive_while_its_other_threads_run(
    tmp_path: Path,
) -> None:
    """A SIGKILLed multi-threaded server's main thread turns zombie before its other threads
    have exited and let go of its sockets: read as gone then, a restart on its port failed
    with 'Address already in use'."""
    proc = start_process("child", [sys.executable, "-c", CHILD], tmp_path / "child.log")
    try:
        log = tmp_path / "child.log"
        wait_until(lambda: log.read_text().strip().isdigit(), 10, "the child's port")
        port = int(log.read_text())
        state = Path(f"/proc/{proc.pid}/stat")
        wait_until(lambda: state.read_text().rsplit(")", 1)[1].split()[0] == "Z", 10,
                   "the main thread to end")  # fmt: skip
        assert not port_is_free(port)
        assert proc.alive()  # its other thread still holds the port
        wait_until(lambda: not proc.alive(), 10, "the process to end")
        assert port_is_free(port)
    finally:
        proc.stop()
