"""How the proposal model guides Smart clicks (numpy in, numpy out, no Qt).

- :func:`proposed_object`: a session's first positive click on an empty mask, on an object the
  proposal model proposed, takes that proposal of its class as it is
  (:meth:`~fashion_annotator.segmentation.clicks.ClickPredictor.take`);
- :func:`guide_veto`: later clicks do not spread, far from the click, into what the proposal is
  sure of (:meth:`~fashion_annotator.segmentation.clicks.ClickPredictor.predict` applies it).

Both read only a click's ``y``, ``x`` and ``positive``
(:class:`~fashion_annotator.segmentation.clicks.Click`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from fashion_annotator.segmentation.clicks import Click

#: The proposal's veto on a correction (:func:`guide_veto`): a click's change does not spread,
#: beyond :data:`GUIDE_REACH` times the photo's long side from the click, into pixels deeper than
#: :data:`GUIDE_DEPTH` times the long side inside (for a negative click) or outside (for a
#: positive one) the proposal model's mask of the object: where the proposal is sure and the
#: operator did not click, the click network's bleeding (a necklace click adding the hair, a
#: click on a carried coat removing a trouser leg) is undone. Chosen on the first 30 CCP *train*
#: garments (NoC@90 / NoC@95, shipped models, first click leaning towards the proposal): without
#: 4.8 / 11.6; depth 0.01, reach 20 px (0.033) 3.6 / 10.5; depth 0.02 4.0 / 10.9; reach 40 px
#: 3.7 / 11.0. On the first 30 CCP val garments (``bench noc``) 4.67 / 13.9 -> 4.57 / 12.6, IoU
#: after 5 / 20 clicks 0.908 / 0.942 -> 0.922 / 0.943; persons 1.87 / 6.07 -> 2.00 / 6.30.
#: Reach chosen again for the 2026-12-04 click model, first clicks taking the proposal (first 60
#: CCP train garments, NoC@90 / NoC@95): 0.033 2.62 / 8.52; **0.066** 2.48 / 8.57; 0.1 2.32 /
#: 8.75 (one photo makes the difference); 0.15 2.45 / 8.80; no reach limit 2.45 / 8.80. A
#: missed object far from the proposal (a hat, a held scarf) was only added within 0.033 of the
#: long side of each click.
GUIDE_DEPTH = 0.01
GUIDE_REACH = 0.066


def guide_veto(
    guide: np.ndarray, click: Click, window: tuple[int, int, int, int]
) -> np.ndarray:
    """Where a correction by ``click`` may not reach: the proposal is sure and the click is far.

    Parameters
    ----------
    guide : (H, W) bool
        The proposal model's mask of the object.
    click : Click
        The newest click.
    window : (y0, y1, x0, x1)
        The photo rows and columns of the update.

    Returns
    -------
    (y1 - y0, x1 - x0) bool
        True on the pixels of ``window`` deeper than :data:`GUIDE_DEPTH` times the long side
        inside ``guide`` (negative click) or outside it (positive click), and farther than
        :data:`GUIDE_REACH` times the long side from the click.
    """
    y0, y1, x0, x1 = window
    h, w = guide.shape
    long_side = max(h, w)
    depth = GUIDE_DEPTH * long_side
    pad = int(np.ceil(depth)) + 2
    py0, py1, px0, px1 = max(0, y0 - pad), min(h, y1 + pad), max(0, x0 - pad), min(w, x1 + pad)
    # Pixels the click says are wrong: outside the proposal for a positive click, inside for a
    # negative one; their distance to the proposal's edge within the padded window.
    other = guide[py0:py1, px0:px1] != click.positive
    depth_map = cv2.distanceTransform(np.pad(other.astype(np.uint8), 1, constant_values=1), cv2.DIST_L2, 5)
    sure = depth_map[1 + y0 - py0 : 1 + y1 - py0, 1 + x0 - px0 : 1 + x1 - px0] > depth
    yy = np.arange(y0, y1, dtype=np.float32)[:, None] - click.y
    xx = np.arange(x0, x1, dtype=np.float32)[None, :] - click.x
    far = yy * yy + xx * xx > (GUIDE_REACH * long_side) ** 2
    return sure & far


def contradicts(guide: np.ndarray, click: Click) -> bool:
    """Whether ``click`` lies farther than :data:`GUIDE_REACH` times the long side inside the
    side of ``guide`` (H, W) bool it says is wrong: outside the proposal for a positive click,
    inside for a negative one.

    There the operator says the proposal is wrong, and :func:`guide_veto` would cut the
    correction to a disc of the reach around the click. The Smart-click tool drops the guide
    then on a parsing mask (a blouse the proposal called a dress, clicked as a top: a hand
    test); on a cutout the veto stays, as tuned (standing down there too: CCP val garments,
    ``bench noc --limit 100``, NoC@90 / NoC@95 2.16 / 6.69 -> 2.17 / 6.88).
    """
    h, w = guide.shape
    cy, cx = int(click.y), int(click.x)
    if not (0 <= cy < h and 0 <= cx < w) or guide[cy, cx] == click.positive:
        return False
    reach = GUIDE_REACH * max(h, w)
    r = int(np.ceil(reach)) + 1
    y0, y1, x0, x1 = max(0, cy - r), min(h, cy + r + 1), max(0, cx - r), min(w, cx + r + 1)
    yy, xx = np.nonzero(guide[y0:y1, x0:x1] == click.positive)  # the side it says is right
    if yy.size == 0:
        return True
    return bool(np.min((yy + y0 - cy) ** 2 + (xx + x0 - cx) ** 2) > reach**2)


def proposed_object(
    proposal: np.ndarray | None, mask: np.ndarray, clicks: Sequence[Click]
) -> np.ndarray | None:
    """The object a session's first click takes when the model already proposed it.

    A first positive click on an empty mask, on a pixel the proposal covers, says "this object":
    the proposal of the clicked class, all of its parts (a garment cutout's top, skirt and both
    shoes; a parsing class's every region), taken as it is
    (:meth:`~fashion_annotator.segmentation.clicks.ClickPredictor.take`). Measured (clicks from
    an empty mask, NoC@90): the part under the click as a prior the network leant towards,
    against no proposal, first 30 CCP val garments: 5.7 against 8.0; the whole proposal
    instead, chosen on the first 30 CCP *train* garments (with :func:`guide_veto`): 3.03
    against 3.60; taking it as it is against leaning towards it, chosen on the first 60 CCP
    train garments: 2.85 against 2.80 with the 2026-12-01 click model, **2.62** against 2.83
    with the 2026-12-04 one (its first click's IoU 0.914 -> 0.930: the network's own say on the
    first click cost more than it fixed).

    Parameters
    ----------
    proposal : (H, W) bool or None
        The model's proposal of this object's class.
    mask : (H, W) bool
        The object's mask before the click.
    clicks : sequence of Click
        The session's clicks, the new one last.

    Returns
    -------
    (H, W) bool or None
        The proposal, or None when this is not such a click (a later or negative click, a mask
        that is not empty, a click off the proposal, no proposal).
    """
    if proposal is None or len(clicks) != 1 or not clicks[0].positive or mask.any():
        return None
    h, w = proposal.shape
    # the pixel under the click: pixel centres lie on whole numbers, as the tools' pointer
    y = min(max(int(np.floor(clicks[0].y + 0.5)), 0), h - 1)
    x = min(max(int(np.floor(clicks[0].x + 0.5)), 0), w - 1)
    if not proposal[y, x]:
        return None
    return np.asarray(proposal, bool)
