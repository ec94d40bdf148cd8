"""The source chooser notes the workers' records, from records and from stream entries'
values alike, and chooses the stream while they come (mode "auto")."""

from __future__ import annotations

from backend.services.events_source import EVENTS, STREAM, SourceChooser
from taskdeck_core import lifecycle as lc


def values(kind: str) -> tuple[bytes, ...]:
    return lc.values_of(
        {k.encode(): v.encode() for k, v in lc.LifecycleRecord(kind, "t1", 1.0).to_fields().items()}
    )


def test_only_a_workers_record_counts_as_the_plug_in_seen() -> None:
    chooser = SourceChooser("auto")
    chooser.saw_stream_entries([values(lc.PUBLISHED)])  # a publisher's record: no worker
    chooser.saw_stream_records([lc.LifecycleRecord(lc.PUBLISHED, "t1", 1.0)])
    assert not chooser.plugin_seen and chooser.current == EVENTS
    chooser.saw_stream_entries([values(lc.PUBLISHED), values(lc.RECEIVED)])
    assert chooser.plugin_seen and chooser.current == STREAM
    other = SourceChooser("auto")
    other.saw_stream_records([lc.LifecycleRecord(lc.SUCCEEDED, "t1", 1.0)])
    assert other.plugin_seen
