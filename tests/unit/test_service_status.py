from console.domain.service_status import (
    Connection,
    ProbeResult,
    ServiceKind,
    ServiceStatus,
)

K = ServiceKind.BACKEND


def ok(at: float) -> ProbeResult:
    return ProbeResult(K, "http://b", True, 3.0, (("status", "ok"),), None, at)


def failed(at: float) -> ProbeResult:
    return ProbeResult(K, "http://b", False, None, (), "ConnectError: refused", at)


def test_never_reached_is_down_with_the_error() -> None:
    status = ServiceStatus.initial(K, "http://b").updated(failed(100.0), stale_limit_s=60)
    assert status.connection is Connection.DOWN
    assert status.last_error == "ConnectError: refused" and status.last_ok is None


def test_failure_after_success_keeps_the_data_and_is_stale_then_down() -> None:
    good = ServiceStatus.initial(K, "http://b").updated(ok(100.0), stale_limit_s=60)
    assert good.connection is Connection.CONNECTED
    stale = good.updated(failed(130.0), stale_limit_s=60)
    assert stale.connection is Connection.STALE and stale.since_ok_s == 30.0
    assert stale.last_ok == ok(100.0)
    down = stale.updated(failed(161.0), stale_limit_s=60)
    assert down.connection is Connection.DOWN and down.last_ok == ok(100.0)
    back = down.updated(ok(170.0), stale_limit_s=60)
    assert back.connection is Connection.CONNECTED and back.last_error is None


def test_a_stale_service_ages_by_the_clock_between_checks_and_turns_down() -> None:
    good = ServiceStatus.initial(K, "http://b").updated(ok(100.0), stale_limit_s=60)
    assert good.aged(500.0, stale_limit_s=60) == good  # connected: nothing to age
    stale = good.updated(failed(102.0), stale_limit_s=60)
    later = stale.aged(107.0, stale_limit_s=60)
    assert later.connection is Connection.STALE and later.since_ok_s == 7.0
    assert later.last_ok == ok(100.0) and later.last_error == "ConnectError: refused"
    assert stale.aged(161.0, stale_limit_s=60).connection is Connection.DOWN
    never = ServiceStatus.initial(K, "http://b").updated(failed(100.0), stale_limit_s=60)
    assert never.aged(200.0, stale_limit_s=60) == never  # no last answer to count from
