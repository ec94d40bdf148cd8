import socket

from taskdeck_dev.procs import LOOPBACK, pick_port, port_is_free


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
