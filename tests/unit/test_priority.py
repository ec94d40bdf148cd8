import pytest

from taskdeck_core.priority import (
    PriorityError,
    from_celery_priority,
    to_celery_priority,
)


@pytest.mark.parametrize(
    ("user", "celery"),
    [(10, 0), (9, 1), (6, 4), (5, 5), (1, 9)],
)
def test_user_priority_maps_to_transport_step(user: int, celery: int) -> None:
    assert to_celery_priority(user) == celery
    assert from_celery_priority(celery) == user


def test_default_is_five_and_runs_mid_order() -> None:
    assert to_celery_priority() == 5


def test_higher_user_priority_is_served_earlier() -> None:
    steps = [to_celery_priority(p) for p in range(1, 11)]
    assert steps == sorted(steps, reverse=True)
    assert len(set(steps)) == 10


@pytest.mark.parametrize("bad", [0, 11, -1, "high", "5", 5.0, None, True])
def test_out_of_range_or_not_integer_is_refused(bad: object) -> None:
    with pytest.raises(PriorityError) as err:
        to_celery_priority(bad)
    assert "1" in str(err.value) and "10" in str(err.value)


@pytest.mark.parametrize("bad", [-1, 10, "0", False])
def test_transport_step_outside_0_to_9_is_refused(bad: object) -> None:
    with pytest.raises(PriorityError):
        from_celery_priority(bad)


def test_message_without_priority_runs_as_highest() -> None:
    # The Redis transport serves a message without priority from step 0.
    assert from_celery_priority(None) == 10
