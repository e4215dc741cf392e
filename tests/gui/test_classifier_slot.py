"""The Instances dock's classifier slot follows the active attribute heads.

The proposal's worker loads the classifier (``instance_proposing.ClassifierSlot``) with the
heads the GUI thread read when the proposal started. Heads promoted while such a proposal
waited for its worker (``reload_models``) were loaded for the old ones then, and the slot,
loaded once, kept proposing the old heads' attributes for the rest of the session.
"""

from __future__ import annotations

from types import SimpleNamespace

from fashion_annotator.ui.annotate import instance_proposing
from fashion_annotator.ui.annotate.instance_proposing import ClassifierSlot


class _Project:
    """A project whose active attribute heads are ``path`` (None: none)."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def active_model(self, task: str):
        assert task == "instance_attributes"
        return None if self.path is None else SimpleNamespace(path=self.path)


def test_heads_promoted_while_a_proposal_waited_are_used_by_the_next_one(monkeypatch):
    loads: list[str | None] = []

    def load(path, say):
        loads.append(path)
        return SimpleNamespace(heads=path)

    monkeypatch.setattr(instance_proposing, "load_classifier", load)
    project = _Project("heads-v1")
    slot = ClassifierSlot()
    slot.prepare(project)  # a proposal starts (GUI thread) ...
    project.path = "heads-v2"  # ... v2 is promoted before its worker loads
    slot.reset()
    assert slot.get().heads == "heads-v1"  # the waiting proposal: as it was started
    slot.prepare(project)  # the next proposal
    assert slot.get().heads == "heads-v2"
    slot.prepare(project)
    assert slot.get().heads == "heads-v2" and loads == ["heads-v1", "heads-v2"]  # loaded once each


def test_a_given_classifier_is_never_loaded(monkeypatch):
    monkeypatch.setattr(instance_proposing, "load_classifier", lambda path, say: 1 / 0)
    given = SimpleNamespace(heads="given")
    slot = ClassifierSlot(given)  # type: ignore[arg-type]
    slot.prepare(_Project("heads-v2"))
    assert slot.get() is given
