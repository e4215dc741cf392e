"""A parsing mask made to agree with the cutouts (segmentation.consistency, pipeline.with_cutouts)."""

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import apply_mapping, load_mapping, load_taxonomy
from fashion_annotator.segmentation.consistency import compatibility, disagreeing, make_consistent
from fashion_annotator.segmentation.pipeline import AGREEMENT_MIN_FRAGMENT, Proposal, with_cutouts

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ccp_small"
BG, SKIN, HAIR, TOP, SHOES, BOTTOM, DRESS = range(7)


def _names(task: str, row: np.ndarray) -> list[str]:
    return [n for n, ok in zip(load_taxonomy(task).names, row, strict=True) if ok]


def test_the_tables_come_from_the_shared_ccp_labelling():
    garment = compatibility("parsing7", "garment")
    assert garment is not None and garment.shape == (2, 7)
    assert _names("parsing7", garment[0]) == ["background", "skin", "hair"]
    # bags, belts and hats are garments to the cutout and background to parsing7
    assert _names("parsing7", garment[1]) == ["background", "top", "shoes", "bottom", "dress"]
    person = compatibility("parsing7", "person")
    assert person is not None and _names("parsing7", person[0]) == ["background"]
    assert person[1].all()
    assert "background" not in _names("parsing18", compatibility("parsing18", "garment")[1])
    # no table: a cutout that is not binary, an unknown task, another source
    assert compatibility("parsing7", "parsing18") is None
    assert compatibility("parsing7", "no-such-task") is None
    assert compatibility("parsing7", "garment", source="no-such-source") is None


def test_every_labelled_pixel_of_a_real_photo_agrees_with_its_own_cutouts():
    # Ground truth mapped from one CCP mask into three tasks is consistent by construction:
    # nothing may change, and no probability is needed.
    labels = load_mask(FIXTURE / "masks" / "0001.png")
    tasks = {t: apply_mapping(labels, load_mapping("ccp", t)) for t in ("parsing7", "garment", "person")}
    cutouts = [(tasks[t] == 1, compatibility("parsing7", t)) for t in ("garment", "person")]

    def never(where: np.ndarray) -> np.ndarray:
        raise AssertionError("probabilities read although every pixel agrees")

    np.testing.assert_array_equal(make_consistent(tasks["parsing7"], cutouts, never), tasks["parsing7"])


def test_disagreeing_pixels_take_the_likeliest_class_that_agrees():
    parsing = np.array([[TOP, SKIN, HAIR, DRESS, TOP]], np.uint8)
    garment = np.array([[False, True, True, True, False]])
    person = np.array([[True, True, True, True, False]])
    probs = np.zeros((7, 1, 5), np.float32)
    probs[:, 0, 0] = [0.1, 0.3, 0.0, 0.6, 0, 0, 0]  # a top off the garment: skin beats background
    probs[:, 0, 1] = [0.2, 0.5, 0.0, 0.0, 0.1, 0.0, 0.2]  # skin on the garment: background (a bag)
    probs[:, 0, 2] = [0.0, 0.0, 0.5, 0.1, 0.0, 0.4, 0.0]  # hair on the garment: bottom
    calls = []

    def read(where: np.ndarray) -> np.ndarray:
        calls.append(int(where.sum()))
        return probs[:, where]

    tables = [(garment, compatibility("parsing7", "garment")), (person, compatibility("parsing7", "person"))]
    out = make_consistent(parsing, tables, read)
    # pixel 3 agrees (a dress on the garment); pixel 4 is off the person: background, no choice
    assert out.tolist() == [[SKIN, BG, BOTTOM, DRESS, BG]]
    assert calls == [3] and parsing.tolist() == [[TOP, SKIN, HAIR, DRESS, TOP]]


def test_bad_input_is_refused_by_what_is_wrong():
    table = compatibility("parsing7", "garment")
    mask = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="differ in shape"):
        make_consistent(mask, [(np.zeros((4, 5), bool), table)], lambda w: np.zeros((7, int(w.sum()))))
    with pytest.raises(ValueError, match="uint8"):
        make_consistent(mask.astype(np.int32), [], lambda w: np.zeros((7, int(w.sum()))))
    with pytest.raises(ValueError, match="class 9"):
        make_consistent(np.full((4, 4), 9, np.uint8), [(np.zeros((4, 4), bool), table)], lambda w: None)
    assert make_consistent(mask, [], lambda w: None) is not mask


def test_with_cutouts_keeps_the_raw_mask_and_names_the_step():
    h, w = 6, 8
    probs = np.full((7, h, w), 0.1, np.float32)
    probs[SKIN] = 0.4
    mask = np.full((h, w), TOP, np.uint8)
    proposal = Proposal(mask, probs, "parsing7", "v1", refinements=("consensus",))
    garment = np.zeros((h, w), bool)
    garment[:, :4] = True
    agreed = with_cutouts(proposal, {"garment": garment, "hair-dryer": np.ones((h, w), bool)})
    assert agreed.refinements == ("consensus", "cutouts") and agreed.model_version == "v1"
    assert (agreed.mask[:, :4] == TOP).all() and (agreed.mask[:, 4:] == SKIN).all()
    assert agreed.raw_mask is proposal.raw_mask and agreed.probs is probs
    assert with_cutouts(proposal, {"hair-dryer": garment}) is proposal


def test_the_agreement_leaves_no_small_fragment_but_keeps_agreeing():
    h, w = 100, 100
    assert 4 < AGREEMENT_MIN_FRAGMENT * h * w < 400
    probs = np.full((7, h, w), 0.05, np.float32)
    probs[SKIN] = 0.5
    probs[HAIR, 10:12, 70:72] = 0.6  # a 4-pixel sliver the agreement would paint as hair
    probs[HAIR, 60:80, 60:80] = 0.6  # a real patch of hair: kept
    mask = np.full((h, w), TOP, np.uint8)  # "top" everywhere, but the garment is the left half
    garment = np.zeros((h, w), bool)
    garment[:, :50] = True
    person = np.ones((h, w), bool)
    person[30:32, 80:82] = False  # a 4-pixel gap in the person: background, whatever is around
    proposal = Proposal(mask, probs, "parsing7")
    cutouts = {"garment": garment, "person": person}
    pairs = [(garment, compatibility("parsing7", "garment")), (person, compatibility("parsing7", "person"))]
    raw = make_consistent(mask, pairs, lambda where: probs[:, where])
    assert (raw[10:12, 70:72] == HAIR).all() and (raw[30:32, 80:82] == BG).all()
    agreed = with_cutouts(proposal, cutouts).mask
    assert (agreed[10:12, 70:72] == SKIN).all()  # the sliver took the label around it
    assert (agreed[60:80, 60:80] == HAIR).all()
    assert (agreed[30:32, 80:82] == BG).all()  # relabelling it skin would disagree with the person
    assert not disagreeing(agreed, pairs).any()
    assert (agreed[:, :50] == TOP).all()


def test_the_scores_of_some_pixels_are_the_enlarged_logits_there():
    from fashion_annotator.segmentation.proposals import _enlarge, sample_enlarged

    rng = np.random.default_rng(0)
    for small, big in (((48, 32), (1728, 1152)), ((7, 5), (30, 20)), ((20, 30), (13, 17)), ((9, 9), (9, 9))):
        logits = rng.normal(size=(7, *small)).astype(np.float32)
        where = rng.random(big) < 0.3
        np.testing.assert_allclose(sample_enlarged(logits, big, where), _enlarge(logits, big)[:, where], atol=1e-4)
    probs = rng.random((7, 4, 4)).astype(np.float32)
    where = rng.random((4, 4)) < 0.5
    proposal = Proposal(np.zeros((4, 4), np.uint8), probs, "parsing7", scores_at=lambda m: -probs[:, m])
    np.testing.assert_array_equal(proposal.scores_at(where), probs[:, where])  # computed probs win
    lazy = Proposal(np.zeros((4, 4), np.uint8), lambda: probs, "parsing7", scores_at=lambda m: -probs[:, m])
    np.testing.assert_array_equal(lazy.scores_at(where), -probs[:, where])  # the sampler, no probs built
    assert lazy._probs is None


def test_a_real_photo_through_the_shipped_models(tmp_path):
    from fashion_annotator.segmentation.proposals import load_predictor

    rgb = load_image(FIXTURE / "images" / "0002.jpg").rgb
    parsing, garment = load_predictor("parsing7", device="cpu"), load_predictor("garment", device="cpu")
    parsing.set_image(rgb)
    proposal = parsing.predict()
    garment.set_image(rgb)
    cut = garment.predict().mask == 1
    agreed = with_cutouts(proposal, {"garment": cut})
    on_garment = np.isin(agreed.mask, [TOP, SHOES, BOTTOM, DRESS])
    assert not (on_garment & ~cut).any() and not (np.isin(agreed.mask, [SKIN, HAIR]) & cut).any()
    changed = agreed.mask != proposal.mask
    assert changed.any() and changed.mean() < 0.2  # the networks mostly agree already
    # the scores sampled at the disagreeing pixels choose what the full probabilities choose
    pairs = [(cut, compatibility("parsing7", "garment"))]
    sampled = make_consistent(proposal.mask, pairs, parsing.predict().scores_at)
    np.testing.assert_array_equal(sampled, make_consistent(proposal.mask, pairs, lambda w: proposal.probs[:, w]))


def test_qa_rescoring_proposes_parsing7_as_the_window_does(tmp_path):
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.segmentation.pipeline import (
        AgreeingPredictor,
        agreeing_cutouts,
        propose_for_image,
    )
    from fashion_annotator.segmentation.proposals import Predictor, load_shown_predictor

    with Project.create(tmp_path / "p", tasks=("parsing7", "garment", "person")) as project:
        assert agreeing_cutouts(project, "parsing7") == ("garment", "person")
        assert agreeing_cutouts(project, "garment") == ()
        record = project.add_image(FIXTURE / "images" / "0002.jpg")
        shown = load_shown_predictor("parsing7", project, device="cpu")
        assert isinstance(shown, AgreeingPredictor) and sorted(shown.cutouts) == ["garment", "person"]
        assert shown.task == "parsing7" and shown.num_classes == 7  # the parsing model's own
        proposal = propose_for_image(project, record.id, shown)
        assert proposal.refinements == ("guided", "cutouts")
        garment = propose_for_image(project, record.id, load_shown_predictor("garment", project, device="cpu"))
        cut = garment.mask == 1  # the cutout as the window shows it (after its refinements)
        assert not (np.isin(proposal.mask, [TOP, SHOES, BOTTOM, DRESS]) & ~cut).any()
    with Project.create(tmp_path / "q", tasks=("parsing7",)) as alone:
        assert isinstance(load_shown_predictor("parsing7", alone, device="cpu"), Predictor)
    with pytest.raises(RuntimeError, match="set_image"):
        AgreeingPredictor(shown.base, shown.cutouts).predict()
