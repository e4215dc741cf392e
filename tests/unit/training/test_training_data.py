"""Training data: task mappings, deterministic splits, the uint8 cache and bad-file errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from training.data import (
    data_fingerprint,
    list_samples,
    load_split,
    resize_labels,
    split_samples,
    task_mapping,
)


def _folder(tmp_path: Path, n: int = 6, size: tuple[int, int] = (40, 30)) -> Path:
    rng = np.random.default_rng(0)
    (tmp_path / "images").mkdir(parents=True)
    (tmp_path / "masks").mkdir()
    for i in range(n):
        rgb = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
        Image.fromarray(rgb).save(tmp_path / "images" / f"{i:04d}.png")
        mask = np.zeros(size, np.uint8)
        mask[10:30, 5 + i : 20 + i] = 1 + i % 3
        Image.fromarray(mask).save(tmp_path / "masks" / f"{i:04d}.png")
    (tmp_path / "images" / "unlabelled.png").write_bytes(
        (tmp_path / "images" / "0000.png").read_bytes()
    )
    return tmp_path


def test_ccp_garment_mapping_drops_skin_and_hair(ccp_dir: Path) -> None:
    labels = json.loads((ccp_dir / "labels.json").read_text())
    classes, lut = task_mapping(ccp_dir, "garment")
    assert classes == ["background", "garment"]
    skin = int(next(k for k, v in labels.items() if v == "skin"))
    hair = int(next(k for k, v in labels.items() if v == "hair"))
    assert lut[0] == lut[skin] == lut[hair] == 0
    assert lut[int(next(k for k, v in labels.items() if v == "dress"))] == 1
    classes7, lut7 = task_mapping(ccp_dir, "parsing7")
    assert len(classes7) == 7 and lut7.max() == 6


def test_unknown_task_is_named(ccp_dir: Path) -> None:
    with pytest.raises(ValueError, match="taxonomies.json.*'nope'"):
        task_mapping(ccp_dir, "nope")


def test_ccp_split_follows_splits_json(ccp_dir: Path, ccp_splits: dict) -> None:
    train, val = split_samples(list_samples(ccp_dir), ccp_dir)
    assert [s.name for s in val] == sorted(ccp_splits["val"])
    assert len(train) == len(ccp_splits["train"])


def test_a_splits_json_whose_splits_share_a_photo_is_refused(tmp_path: Path) -> None:
    """A CLI test: val photos listed under train too trained "13 train / 5 val" on its own val
    photos, silently; a split as a string was read as its letters."""
    data = _folder(tmp_path)
    splits = data / "splits.json"
    splits.write_text(json.dumps({"train": ["0000", "0001", "0002", "0004"], "val": ["0004", "0005"]}))
    with pytest.raises(ValueError, match=r"splits\.json: splits 'train' and 'val' share 1 photo: '0004'"):
        split_samples(list_samples(data), data)
    splits.write_text(json.dumps({"train": ["0000", "0001"], "val": "0005"}))
    with pytest.raises(ValueError, match=r"splits\.json: split 'val' must be a list of photo names, not str"):
        split_samples(list_samples(data), data)
    splits.write_text("{not json")
    with pytest.raises(ValueError, match=r"splits\.json: not valid JSON"):
        split_samples(list_samples(data), data)


def test_hash_split_is_deterministic_and_stable(tmp_path: Path) -> None:
    samples = list_samples(_folder(tmp_path, n=20, size=(8, 6)))
    assert [s.name for s in samples] == [f"{i:04d}" for i in range(20)]
    train, val = split_samples(samples)
    assert 1 <= len(val) <= 8 and len(train) + len(val) == 20
    assert not {s.name for s in train} & {s.name for s in val}
    assert split_samples(samples) == (train, val)
    _, val_more = split_samples(samples[:15])  # adding samples keeps old ones on their side
    assert {s.name for s in val_more} == {s.name for s in val if s in samples[:15]}


def test_cache_holds_resized_uint8_and_full_masks(tmp_path: Path) -> None:
    samples = list_samples(_folder(tmp_path / "d"))
    split = load_split(samples, (20, 16), tmp_path / "cache", keep_full=True)
    assert split.images.shape == (6, 20, 16, 3) and split.images.dtype == np.uint8
    assert split.masks.shape == (6, 20, 16) and set(np.unique(split.masks)) <= {0, 1, 2, 3}
    assert split.full_masks[0].shape == (40, 30)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    again = load_split(samples, (20, 16), tmp_path / "cache", keep_full=True)
    assert np.array_equal(again.images, split.images) and again.names == split.names
    assert data_fingerprint(split.names, split.masks) == data_fingerprint(again.names, again.masks)
    assert data_fingerprint(split.names[:1], split.masks[:1]) != data_fingerprint(
        split.names, split.masks
    )


def test_letterbox_split_keeps_the_aspect_and_pads_with_the_mean_colour(tmp_path: Path) -> None:
    # Landscape 30x40 photos in a 20x16 portrait canvas: 12x16 of photo, then padding.
    samples = list_samples(_folder(tmp_path / "d", size=(30, 40)))
    pad = np.array([120, 110, 100], np.uint8)
    split = load_split(samples, (20, 16), tmp_path / "cache", keep_full=True, letterbox_pad=pad)
    assert split.content is not None and split.content.tolist() == [[12, 16]] * 6
    assert np.all(split.images[:, 12:] == pad) and np.all(split.masks[:, 12:] == 0)
    labelled = split.masks[:, :12]
    assert labelled.any() and set(np.unique(labelled)) <= {0, 1, 2, 3}
    again = load_split(samples, (20, 16), tmp_path / "cache", keep_full=True, letterbox_pad=pad)
    assert again.content is not None and np.array_equal(again.content, split.content)
    squashed = load_split(samples, (20, 16), tmp_path / "cache", keep_full=True)
    assert squashed.content is None and len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_object_crops_add_a_zoomed_view_of_each_small_subject(tmp_path: Path) -> None:
    samples = list_samples(_folder(tmp_path / "d", size=(80, 60)))
    lut = np.zeros(256, np.uint8)
    lut[1] = 1  # only label 1 is the subject: samples 0 and 3
    split = load_split(samples, (20, 16), tmp_path / "cache", crop_lut=lut)
    assert split.names == ["0000", "0000#crop", "0001", "0002", "0003", "0003#crop", "0004", "0005"]
    whole, crop = split.masks[0], split.masks[1]
    # the 20 x 15 subject covers a sixteenth of the whole view and most of its crop
    assert (whole > 0).mean() < 0.1 and (crop > 0).mean() > 0.4
    assert split.images.shape == (8, 20, 16, 3)
    again = load_split(samples, (20, 16), tmp_path / "cache", crop_lut=lut)
    assert again.names == split.names and np.array_equal(again.masks, split.masks)
    plain = load_split(samples, (20, 16), tmp_path / "cache")
    assert len(plain) == 6 and len(list((tmp_path / "cache").glob("*.npz"))) == 2
    with pytest.raises(ValueError, match="validation keeps whole photos"):
        load_split(samples, (20, 16), None, keep_full=True, crop_lut=lut)


def test_bad_masks_name_the_file(tmp_path: Path) -> None:
    root = _folder(tmp_path, n=2)
    bad = root / "masks" / "0001.png"
    colour = np.zeros((40, 30, 3), np.uint8)
    colour[..., 0] = 200
    Image.fromarray(colour).save(bad)
    with pytest.raises(ValueError, match=r"0001\.png.*colour \(RGB\)"):
        load_split(list_samples(root), (20, 16), None)
    Image.fromarray(np.zeros((10, 30), np.uint8)).save(bad)
    with pytest.raises(ValueError, match=r"0001\.png.*10.*40"):
        load_split(list_samples(root), (20, 16), None)
    (root / "images" / "0001.png").write_bytes(b"truncated")
    with pytest.raises(ValueError, match=r"0001\.png"):
        load_split(list_samples(root), (20, 16), None)


def test_folder_without_pairs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no images/ folder"):
        list_samples(tmp_path)
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    with pytest.raises(ValueError, match="no photo"):
        list_samples(tmp_path)


def test_training_reads_the_same_pixels_as_the_app_for_16_bit_grey(tmp_path: Path) -> None:
    """A 16-bit grey PNG decodes identically in training and in the annotation app."""
    from fashion_annotator.core.images import load_image

    root = tmp_path / "d"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    grey = (np.arange(24 * 16, dtype=np.uint32).reshape(24, 16) * 170).astype(np.uint16)
    Image.fromarray(grey).save(root / "images" / "deep.png")
    Image.fromarray(np.zeros((24, 16), np.uint8)).save(root / "masks" / "deep.png")
    app = load_image(root / "images" / "deep.png").rgb
    assert app.mean() > 100  # the full 16-bit range is scaled, not clipped at 255
    split = load_split(list_samples(root), (24, 16), None)
    np.testing.assert_array_equal(split.images[0], app)


def _centroid(a: np.ndarray) -> np.ndarray:
    """Row and column centroid of a mask or weight map (pixel centres at integers)."""
    ys, xs = np.mgrid[0 : a.shape[0], 0 : a.shape[1]]
    w = a.astype(np.float64)
    return np.array([(ys * w).sum(), (xs * w).sum()]) / w.sum()


@pytest.mark.parametrize("factor", [2, 3, 4.5])
def test_shrunk_labels_stay_on_the_shrunk_photo(factor: float) -> None:
    # The photo is area-shrunk (pixel-centred); its labels must land where it does, or a
    # network learns a shift of (factor - 1) / 2 source pixels down and right.
    rng = np.random.default_rng(1)
    h, w = 360, 270
    size = (round(h / factor), round(w / factor))
    shifts = []
    for _ in range(12):
        cy, cx = rng.uniform(100, 260), rng.uniform(80, 190)
        ys, xs = np.mgrid[0:h, 0:w]
        disk = (((ys - cy) ** 2 + (xs - cx) ** 2) <= 40**2).astype(np.uint8)
        labels = resize_labels(disk, size)
        photo = cv2.resize(
            disk.astype(np.float32), (size[1], size[0]), interpolation=cv2.INTER_AREA
        )
        shifts.append(_centroid(labels) - _centroid(photo))
    assert np.all(np.abs(np.mean(shifts, axis=0)) < 0.05), np.mean(shifts, axis=0)
