"""The open image's instance proposals, derived off the GUI thread.

Deriving an image's instances from its parsing (and garment) masks takes the category
classifier about 260 ms a photo on a 2-core CPU and the colour step about 100 ms more; done on
the GUI thread each time an image opened or its parsing proposal arrived, it froze the window
for that long on every new image. :class:`BackgroundProposals` runs it as an ``"instances"`` job
of the image session's :class:`~fashion_annotator.ui.workers.ImageJobs` (so a result for an
image the operator has left is dropped, and the window's busy sign shows while it runs), on
copies of the masks, and hands the result over only while the masks still hold what it was
derived from; when the operator edited them meanwhile it starts again from the masks as they
are now. The Instances dock (:mod:`.instances_dock`) decides whether the result is still wanted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.instances.model import InstanceSet
from fashion_annotator.instances.proposer import InstanceProposer, to_instance_set
from fashion_annotator.instances.schema import InstanceTaxonomy
from fashion_annotator.ui.workers import ImageJobs, JobResult

if TYPE_CHECKING:  # imported when first loaded (torch with it), after the window shows
    from fashion_annotator.instances.classifier import InstanceClassifier

#: The job kind of instance proposals in :class:`~fashion_annotator.ui.workers.ImageJobs`.
INSTANCES = "instances"


@dataclass(frozen=True)
class ProposalInputs:
    """What one image's instances are derived from.

    Attributes
    ----------
    rgb : ndarray
        ``(H, W, 3) uint8`` photo.
    parsing : ndarray
        ``(H, W) uint8`` parsing mask (class ids of the parsing task).
    garment : ndarray or None
        ``(H, W) uint8`` garment cutout, None when the image has none with any garment pixel.
    probs : ndarray or None
        ``(K, h, w) float32`` class probabilities of the parsing model, when at hand.
    """

    rgb: np.ndarray
    parsing: np.ndarray
    garment: np.ndarray | None
    probs: np.ndarray | None

    def snapshot(self) -> ProposalInputs:
        """A copy of the masks the operator edits in place (the photo and probabilities are
        replaced, never written into)."""
        garment = None if self.garment is None else self.garment.copy()
        return ProposalInputs(self.rgb, self.parsing.copy(), garment, self.probs)

    def same_masks(self, other: ProposalInputs) -> bool:
        """Whether ``other`` holds the same parsing and garment pixels and the same photo."""
        if self.rgb is not other.rgb or not np.array_equal(self.parsing, other.parsing):
            return False
        if self.garment is None or other.garment is None:
            return self.garment is other.garment
        return np.array_equal(self.garment, other.garment)


def derive_instances(
    proposer: InstanceProposer, inputs: ProposalInputs, parsing_task: str, taxonomy: str
) -> InstanceSet:
    """The editable instance set proposed from ``inputs`` (numpy in; runs in any thread)."""
    proposals = proposer.from_masks(inputs.rgb, inputs.parsing, inputs.garment, probs=inputs.probs)
    return to_instance_set(proposals, parsing_task, taxonomy)


def load_classifier(attributes_path: Any, say: Callable[[str], object]) -> InstanceClassifier | None:
    """The shipped category classifier with the attribute heads at ``attributes_path`` (None:
    the shipped ones); None (and why, through ``say``) when it cannot be loaded.

    Imported here, on first use: its torch import took about 2.5 s of the window's start-up.
    """
    from fashion_annotator.instances.classifier import InstanceClassifier
    from fashion_annotator.models.weights import ModelFileError

    try:
        return InstanceClassifier.load(attributes_path=attributes_path)
    except (ModelFileError, ValueError, OSError) as exc:
        say(f"No instance categories: {exc}")
        return None


class ClassifierSlot:
    """The Instances dock's category classifier, loaded once on first use, from any thread.

    The background proposal loads it in its worker: loaded on the GUI thread when the first
    image had a saved parsing mask and no instances, it kept the window from showing while
    torch was imported.

    Parameters
    ----------
    classifier : InstanceClassifier, optional
        Used as it is, never loaded.
    """

    def __init__(self, classifier: InstanceClassifier | None = None) -> None:
        self._lock = threading.Lock()
        self._classifier = classifier
        self._given = self._tried = classifier is not None
        self._path: Any = None
        self._loaded_path: Any = None
        self._problems: list[str] = []

    def prepare(self, project: Any) -> None:
        """Read ``project``'s active attribute heads before a load (GUI thread: SQLite is
        thread-bound; never waits for a load in progress). A classifier loaded with other heads
        (promoted while a proposal waited for its worker) is loaded again at the next
        :meth:`get`."""
        if not self._given:
            record = project.active_model("instance_attributes")
            self._path = None if record is None else record.path

    def get(self) -> InstanceClassifier | None:
        """The classifier, loaded on the first call after :meth:`prepare` (any thread)."""
        with self._lock:
            path = self._path
            if not self._tried or (not self._given and path != self._loaded_path):
                self._tried, self._loaded_path = True, path
                self._classifier = load_classifier(path, self._problems.append)
            return self._classifier

    def reset(self) -> None:
        """Load again on next use (after attribute heads were promoted)."""
        with self._lock:
            self._classifier, self._tried, self._given = None, False, False

    def say(self, emit: Callable[[str], object]) -> None:
        """Hand ``emit`` why the classifier could not be loaded, once (GUI thread)."""
        with self._lock:
            problems, self._problems = self._problems, []
        for text in problems:
            emit(text)


def proposer_of(slot: ClassifierSlot, parsing: Taxonomy, taxonomy: InstanceTaxonomy) -> InstanceProposer:
    """An instance proposer with ``slot``'s classifier (loaded now, in the calling thread)."""
    return InstanceProposer(slot.get(), parsing, taxonomy)


def _derive_made(make: Callable[[], InstanceProposer], inputs: ProposalInputs, parsing_task: str,
                 taxonomy: str) -> InstanceSet:  # fmt: skip
    return derive_instances(make(), inputs, parsing_task, taxonomy)


class BackgroundProposals(QObject):
    """One instance proposal at a time for the open image, computed in the background.

    Parameters
    ----------
    jobs : ImageJobs
        The image session's jobs (a new generation, when the operator opens another image,
        drops a proposal still computing).

    Signals
    -------
    proposed(int, object)
        ``image_id, InstanceSet``: derived from masks the image still holds.
    failed(str)
        Deriving raised: what it said.
    """

    proposed = Signal(int, object)
    failed = Signal(str)

    def __init__(self, jobs: ImageJobs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self._token = 0
        self._running: tuple[int, ProposalInputs, Callable[[], ProposalInputs | None], tuple] | None = None
        jobs.finished.connect(self._finished)
        jobs.failed.connect(self._failed)

    @property
    def pending(self) -> bool:
        """Whether a proposal is computing whose result may still be handed over."""
        return self._running is not None and self.jobs.is_current(self._running[0])

    def start(
        self,
        image_id: int,
        proposer: Callable[[], InstanceProposer],
        read: Callable[[], ProposalInputs | None],
        parsing_task: str,
        taxonomy: str,
    ) -> bool:
        """Derive ``image_id``'s instances from what ``read()`` returns now (False: it returned
        None, nothing to derive from) with the proposer ``proposer()`` makes in the worker;
        ``read`` is called again when the result arrives, and the proposal is started once
        more when the masks changed meanwhile."""
        inputs = read()
        if inputs is None:
            self.cancel()
            return False
        self._token += 1
        snap = inputs.snapshot()
        self._running = (self.jobs.generation, snap, read, (image_id, proposer, parsing_task, taxonomy))
        self.jobs.submit(
            INSTANCES, image_id, _derive_made, proposer, snap, parsing_task, taxonomy, key=self._token
        )  # fmt: skip
        return True

    def cancel(self) -> None:
        """Drop the proposal computing now (its result will not be handed over)."""
        self._token += 1
        self._running = None

    def _finished(self, job: JobResult) -> None:
        if job.kind != INSTANCES or job.key != self._token or self._running is None:
            return
        _, snap, read, (image_id, proposer, parsing_task, taxonomy) = self._running
        self._running = None
        now = read()
        if now is None or job.image_id != image_id:
            return
        if not now.same_masks(snap):
            self.start(image_id, proposer, read, parsing_task, taxonomy)
            return
        self.proposed.emit(image_id, job.value)

    def _failed(self, kind: str, _image_id: int, key: object, message: str) -> None:
        if kind == INSTANCES and key == self._token:
            self._running = None
            self.failed.emit(message)
