"""An image's cutout and parsing masks compared (a QA hand test: the mannequin stand removed
from the garment cutout stayed "shoes" in the parsing mask, and nothing said so)."""

from __future__ import annotations

import numpy as np

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.qa.mask_agreement import (
    check_image,
    check_masks,
    cleared_outside,
    cutout_pair,
    open_disagreement,
)
from fashion_annotator.segmentation.consistency import compatibility


def _masks() -> tuple[np.ndarray, np.ndarray]:
    """A 100 x 60 photo: a dress (rows 10-60) over shoes (60-70) in both masks, skin around,
    and a stand (rows 70-100, two columns) the parsing mask calls shoes, not in the cutout."""
    names = load_taxonomy("parsing7").names
    parsing = np.zeros((100, 60), np.uint8)
    parsing[5:75, 15:45] = names.index("skin")
    parsing[10:60, 20:40] = names.index("dress")
    parsing[60:70, 20:40] = names.index("shoes")
    cutout = (parsing >= names.index("top")).astype(np.uint8)
    parsing[70:100, 29:31] = names.index("shoes")  # the stand
    return cutout, parsing


def test_garment_class_parsing_pixels_outside_the_cutout_are_counted():
    cutout, parsing = _masks()
    table = compatibility("parsing7", "garment")
    found = check_masks(cutout, parsing, table, "parsing7", "garment")
    assert (found.outside, found.inside, found.cutout_pixels) == (60, 0, 1200)
    assert found.share == 60 / 1200 and found.disagrees
    assert found.describe().startswith("Garment cutout and Parsing disagree on 5.0% of the cutout: 60 Parsing")
    parsing[70:100, 29:31] = 0  # the stand cleared from the parsing mask too
    assert not check_masks(cutout, parsing, table).disagrees
    cutout[20:22, 25:27] = 1
    parsing[20:22, 25:27] = load_taxonomy("parsing7").names.index("hair")  # hair inside the cutout
    found = check_masks(cutout, parsing, table)
    assert (found.outside, found.inside) == (0, 4) and not found.disagrees, "a few pixels are edges"


def test_a_projects_saved_masks_are_compared(project, tmp_path):
    from PIL import Image

    cutout, parsing = _masks()
    path = tmp_path / "look.png"
    Image.fromarray(np.zeros((100, 60, 3), np.uint8)).save(path)
    image_id = project.add_image(path).id
    assert cutout_pair(project, "garment") == ("parsing7", "garment") == cutout_pair(project, "parsing7")
    assert check_image(project, image_id, ("parsing7", "garment")) is None, "no masks saved"
    project.save_mask(image_id, "garment", cutout)
    project.save_mask(image_id, "parsing7", parsing)
    found = check_image(project, image_id, ("parsing7", "garment"))
    assert found is not None and found.outside == 60


def test_clearing_outside_the_cutout_keeps_skin_and_the_garment():
    cutout, parsing = _masks()
    table = compatibility("parsing7", "garment")
    cleared = cleared_outside(cutout, parsing, table)
    assert not cleared[70:100, 29:31].any(), "the stand is background"
    assert np.array_equal(cleared[:70], parsing[:70]) and cleared is not parsing
    assert not check_masks(cutout, cleared, table).outside


def test_a_share_just_over_the_threshold_does_not_read_as_the_threshold():
    from fashion_annotator.qa.mask_agreement import MaskAgreement

    just_over = MaskAgreement("parsing7", "garment", outside=104, inside=0, cutout_pixels=10_000)
    assert just_over.disagrees and just_over.share_text == "1.04%"
    assert "disagree on 1.04% of the cutout" in just_over.describe()
    clear = MaskAgreement("parsing7", "garment", outside=500, inside=0, cutout_pixels=10_000)
    assert clear.share_text == "5.0%"
    under = MaskAgreement("parsing7", "garment", outside=96, inside=0, cutout_pixels=10_000)
    assert not under.disagrees and under.share_text == "1.0%"


def test_the_masks_a_mark_done_saves_are_checked_and_their_classes_named(project):
    """Mark done's check (a studio hand test: a stand base left "shoes" in the parsing mask
    once taken out of the cutout): only when it saves either mask, the classes named."""
    cutout, parsing = _masks()
    masks = {"garment": cutout, "parsing7": parsing}
    found = open_disagreement(project, masks, ["parsing7"])
    assert found is not None and found.agreement.outside == 60
    assert found.outside_classes == (("shoes", 60),) and found.inside_classes == ()
    assert open_disagreement(project, masks, []) is None, "neither mask is saved: not checked"
    parsing[70:100, 29:31] = 0
    assert open_disagreement(project, masks, ["garment", "parsing7"]) is None
    parsing[30:40, 25:35] = load_taxonomy("parsing7").names.index("skin")  # skin in the dress
    found = open_disagreement(project, masks, ["garment"])
    assert found is not None and found.inside_classes == (("skin", 100),)
    cutout[:] = 0
    assert open_disagreement(project, masks, ["garment"]) is None, "a cutout not drawn: not checked"


def test_mark_done_checks_only_the_cutouts_the_proposals_agree_with(tmp_path):
    """parsing18's proposals are not made to agree with the garment cutout (docs/model_history.md:
    it cost mIoU), so its photos disagree by design (4-78% on a QA hand tester's project): Mark
    done would stop on every photo. The Review still compares them (compared_cutouts)."""
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.qa.mask_agreement import compared_cutouts

    names = load_taxonomy("parsing18").names
    parsing = np.zeros((100, 60), np.uint8)
    parsing[10:60, 20:40] = names.index("dress")
    parsing[70:100, 29:31] = names.index("footwear")  # outside the cutout
    cutout = np.zeros((100, 60), np.uint8)
    cutout[10:60, 20:40] = 1
    with Project.create(tmp_path / "p", tasks=("garment", "parsing18")) as project:
        assert compared_cutouts(project, "parsing18") == ("garment",)
        masks = {"garment": cutout, "parsing18": parsing}
        assert check_masks(cutout, parsing, compatibility("parsing18", "garment")).disagrees
        assert open_disagreement(project, masks, ["parsing18"]) is None
