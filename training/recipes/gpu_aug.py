"""Batch augmentation on the training device: framing crops, studio composites, photometrics.

Everything runs on whole batches of tensors (GPU when there is one), so a large GPU is not held
back by CPU-side image decoding. Each sample is:

1. **re-framed**: a crop of the figure (full, upper body, knees-up, head and shoulders, a 3:2
   landscape band, or a random box of any aspect), zoomed out with margins, rotated slightly and
   mirrored, then letterboxed into a square canvas of ``long_side`` pixels (aspect kept; the rest
   of the canvas is padding, ignored by the loss, as at inference);
2. sometimes **composited** (``studio``: the person on a plain backdrop with a gradient and a
   floor shadow; ``mannequin``: the garments on a white, cream or black body with the head and
   hair removed, person and skin labels ignored), where margins outside the photo become backdrop;
3. **photometrically** changed: exposure, contrast, saturation, white balance, gamma, blur, noise.

Labels are ``(N, T, H, W)`` uint8 in the channel order of :data:`training.pseudo.PSEUDO_TASKS`
(parsing7, person, garment), optionally followed by parsing18 (``T = 4``), :data:`IGNORE` = 255.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

IGNORE = 255
PARSING, PERSON, GARMENT = 0, 1, 2
#: The optional fourth label channel: parsing18 (same skin and hair ids as parsing7).
FINE_PARSING = 3
SKIN, HAIR = 1, 2


@dataclass(frozen=True)
class AugConfig:
    """Probabilities and ranges of the augmentation (``basic`` turns framing and composites off)."""

    long_side: int = 384
    framing: bool = True
    composites: bool = True
    photometric: bool = True
    p_studio: float = 0.3
    p_mannequin: float = 0.12
    max_rotation_deg: float = 8.0

    @classmethod
    def basic(cls, long_side: int = 384) -> AugConfig:
        """Flip and mild colour jitter only, on the whole photo (the former recipe, letterboxed)."""
        return cls(long_side=long_side, framing=False, composites=False, photometric=False)


def _figure_boxes(person: torch.Tensor) -> torch.Tensor:
    """``(N, 4)`` float boxes ``y0, x0, y1, x1`` in pixels of the person pixels (whole image if none)."""
    n, h, w = person.shape
    fg = person == 1
    rows, cols = fg.any(2), fg.any(1)
    ar_h = torch.arange(h, device=person.device)
    ar_w = torch.arange(w, device=person.device)
    big = torch.tensor(10**6, device=person.device)
    y0 = torch.where(rows, ar_h, big).amin(1)
    y1 = torch.where(rows, ar_h, -big).amax(1) + 1
    x0 = torch.where(cols, ar_w, big).amin(1)
    x1 = torch.where(cols, ar_w, -big).amax(1) + 1
    empty = ~rows.any(1)
    boxes = torch.stack([y0, x0, y1, x1], 1).float()
    boxes[empty] = torch.tensor([0.0, 0.0, h, w], device=person.device)
    return boxes


def _crop_boxes(person: torch.Tensor, cfg: AugConfig, g: torch.Generator) -> torch.Tensor:
    """Choose one crop box ``(y0, x0, y1, x1)`` in source pixels per sample."""
    n, h, w = person.shape
    dev = person.device

    def u(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=g, device=dev)

    full = torch.tensor([0.0, 0.0, h, w], device=dev).expand(n, 4).clone()
    if not cfg.framing:
        return full
    fb = _figure_boxes(person)
    fy0, fx0, fy1, fx1 = fb.unbind(1)
    fh, fw = fy1 - fy0, fx1 - fx0
    kind = torch.multinomial(
        torch.tensor([0.3, 0.17, 0.17, 0.08, 0.12, 0.16], device=dev), n, True, generator=g
    )
    # 0 full (zoomed out), 1 upper body, 2 knees-up, 3 head and shoulders, 4 landscape, 5 random
    share = torch.stack([torch.ones(n, device=dev), u(0.42, 0.6), u(0.68, 0.85), u(0.22, 0.32)], 1)
    s = share.gather(1, kind.clamp(max=3).unsqueeze(1)).squeeze(1)
    top = fy0 - fh * u(0.02, 0.12)
    bottom = fy0 + fh * s * u(0.97, 1.08)
    height = bottom - top
    width = torch.maximum(height * u(0.62, 0.9), fw * u(1.05, 1.4))
    cx = (fx0 + fx1) / 2 + fw * u(-0.1, 0.1)
    box = torch.stack([top, cx - width / 2, bottom, cx + width / 2], 1)
    # full: the whole photo with margins of up to 35 % (backdrop or padding).
    margin = u(0.0, 0.35)
    zoom = torch.stack([-margin * h * u(0.2, 0.8), -margin * w / 2, h + margin * h * u(0.2, 0.8), w + margin * w / 2], 1)
    box = torch.where((kind == 0).unsqueeze(1), zoom, box)
    # landscape: a 3:2 (or wider) band of the upper figure, full width plus margins.
    lw = w * u(1.0, 1.3)
    lh = lw / u(1.3, 1.9)
    lt = fy0 - fh * u(0.0, 0.1)
    land = torch.stack([lt, (w - lw) / 2, lt + lh, (w + lw) / 2], 1)
    box = torch.where((kind == 4).unsqueeze(1), land, box)
    # random: any area between 30 % and 100 %, aspect 0.5..2.
    area = u(0.3, 1.0) * h * w
    aspect = torch.exp(u(math.log(0.5), math.log(2.0)))
    rh = (area / aspect).sqrt().clamp(max=h)
    rw = (area * aspect).sqrt().clamp(max=w)
    ry = u(0, 1) * (h - rh)
    rx = u(0, 1) * (w - rw)
    rand = torch.stack([ry, rx, ry + rh, rx + rw], 1)
    return torch.where((kind == 5).unsqueeze(1), rand, box)


def _warp(images: torch.Tensor, labels: torch.Tensor, boxes: torch.Tensor, cfg: AugConfig,
          g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Letterbox each crop box into an ``L x L`` canvas (rotation and mirror included).

    Returns images ``(N, 3, L, L)`` float 0..1, labels ``(N, T, L, L)`` long, ``inside``
    (pixels that come from the photo) and ``content`` (the letterboxed area), both ``(N, L, L)`` bool.
    """
    n, _, h, w = images.shape
    dev = images.device
    side = cfg.long_side
    bh = (boxes[:, 2] - boxes[:, 0]).clamp(min=4)
    bw = (boxes[:, 3] - boxes[:, 1]).clamp(min=4)
    scale = side / torch.maximum(bh, bw)  # canvas pixels per source pixel
    ch, cw = (bh * scale).round(), (bw * scale).round()
    angle = (torch.rand(n, generator=g, device=dev) * 2 - 1) * math.radians(cfg.max_rotation_deg)
    angle = torch.where(torch.rand(n, generator=g, device=dev) < 0.35, angle, torch.zeros_like(angle))
    flip = torch.rand(n, generator=g, device=dev) < 0.5
    # Output pixel (u, v) -> source pixel: centre of content -> centre of box, rotate, scale.
    ys = torch.arange(side, device=dev, dtype=torch.float32) + 0.5
    xs = torch.arange(side, device=dev, dtype=torch.float32) + 0.5
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    yy, xx = yy.expand(n, side, side), xx.expand(n, side, side)
    dy = (yy - (ch / 2).view(n, 1, 1)) / scale.view(n, 1, 1)
    dx = (xx - (cw / 2).view(n, 1, 1)) / scale.view(n, 1, 1)
    dx = torch.where(flip.view(n, 1, 1), -dx, dx)
    cos, sin = angle.cos().view(n, 1, 1), angle.sin().view(n, 1, 1)
    sy = ((boxes[:, 0] + boxes[:, 2]) / 2).view(n, 1, 1) + sin * dx + cos * dy
    sx = ((boxes[:, 1] + boxes[:, 3]) / 2).view(n, 1, 1) + cos * dx - sin * dy
    grid = torch.stack([sx / w * 2 - 1, sy / h * 2 - 1], -1)
    content = (yy < ch.view(n, 1, 1)) & (xx < cw.view(n, 1, 1))
    inside = content & (sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
    lab = F.grid_sample(labels.float(), grid, mode="nearest", padding_mode="border", align_corners=False)
    lab = lab.round().long()
    return out, lab, inside, content


def _backdrops(n: int, side: int, g: torch.Generator, device: torch.device) -> torch.Tensor:
    """``(N, 3, L, L)`` float 0..1 studio backdrops: white, grey or colour, gradient, floor shadow."""

    def u(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand((n, *shape), generator=g, device=device)

    kind = torch.rand(n, generator=g, device=device)
    white = u(0.86, 0.99, 1).expand(n, 3)
    grey = u(0.4, 0.8, 1).expand(n, 3)
    colour = u(0.35, 0.95, 3)
    base = torch.where((kind < 0.5).unsqueeze(1), white, torch.where((kind < 0.8).unsqueeze(1), grey, colour))
    t = torch.linspace(0, 1, side, device=device).view(1, side, 1)
    grad = 1 + u(0, 0.06, 1, 1) - t * u(0, 0.14, 1, 1)
    yy = torch.linspace(0, 1, side, device=device).view(1, side, 1)
    xx = torch.linspace(0, 1, side, device=device).view(1, 1, side)
    shadow = torch.exp(-(((yy - u(0.85, 0.98, 1, 1)) / 0.05) ** 2 + ((xx - u(0.35, 0.65, 1, 1)) / 0.3) ** 2))
    light = grad * (1 - u(0.05, 0.2, 1, 1) * shadow)
    return (base.view(n, 3, 1, 1) * light.unsqueeze(1)).clamp(0, 1)


def _composite(img: torch.Tensor, lab: torch.Tensor, inside: torch.Tensor, content: torch.Tensor,
               cfg: AugConfig, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Studio and mannequin composites; returns images, labels and the valid-pixel mask."""
    n, _, side, _ = img.shape
    dev = img.device
    r = torch.rand(n, generator=g, device=dev)
    studio = r < cfg.p_studio
    manne = (r >= cfg.p_studio) & (r < cfg.p_studio + cfg.p_mannequin)
    # Labelled as background everywhere outside the photo when a backdrop fills it.
    person = lab[:, PERSON]
    known_person = person != IGNORE
    # Composites need a trustworthy person mask: skip samples with much uncertainty.
    sure = (known_person | ~inside).float().mean((1, 2)) > 0.97
    studio, manne = studio & sure, manne & sure
    valid = content & (inside | (studio | manne).view(n, 1, 1))
    if not (studio | manne).any():
        return img, lab, valid
    back = _backdrops(n, side, g, dev)
    fg = ((person == 1) & inside).float()
    garment = (lab[:, GARMENT] == 1) & inside
    skin = (lab[:, PARSING] == SKIN) & inside
    tone_kind = torch.randint(0, 3, (n,), generator=g, device=dev)
    tones = torch.tensor([[0.93, 0.92, 0.9], [0.88, 0.82, 0.72], [0.16, 0.16, 0.17]], device=dev)
    tone = tones[tone_kind].view(n, 3, 1, 1)
    shade = F.avg_pool2d(img.mean(1, keepdim=True), 9, 1, 4)
    body = (tone * (0.75 + 0.35 * shade)).clamp(0, 1)
    manne_img = torch.where(skin.unsqueeze(1), body, img)
    alpha_m = (garment | skin).float()
    alpha = torch.where(manne.view(n, 1, 1), alpha_m, fg).unsqueeze(1)
    alpha = F.avg_pool2d(alpha, 3, 1, 1)
    src = torch.where(manne.view(n, 1, 1, 1), manne_img, img)
    comp = alpha * src + (1 - alpha) * back
    sel = (studio | manne).view(n, 1, 1, 1)
    img = torch.where(sel, comp, img)
    lab = lab.clone()
    outside = (~inside) & content
    for c in range(lab.shape[1]):
        lab[:, c] = torch.where((studio | manne).view(n, 1, 1) & outside, torch.zeros_like(lab[:, c]), lab[:, c])
    # Mannequin: no person to label; skin is the mannequin (background for garments, ignored for
    # parsing); hair was replaced by backdrop (background).
    m3 = manne.view(n, 1, 1)
    lab[:, PERSON] = torch.where(m3, torch.full_like(lab[:, PERSON], IGNORE), lab[:, PERSON])
    for c in [PARSING, *range(FINE_PARSING, lab.shape[1])]:  # skin and hair: ids 1 and 2 in both
        p = lab[:, c]
        p = torch.where(m3 & (p == SKIN), torch.full_like(p, IGNORE), p)
        p = torch.where(m3 & (p == HAIR), torch.zeros_like(p), p)
        lab[:, c] = p
    return img, lab, valid


def _photometric(img: torch.Tensor, g: torch.Generator, strong: bool) -> torch.Tensor:
    n = img.shape[0]
    dev = img.device

    def u(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand((n, *shape), generator=g, device=dev)

    if not strong:
        img = img * u(0.9, 1.1, 1, 1, 1)
        mean = img.mean((1, 2, 3), keepdim=True)
        img = (img - mean) * u(0.9, 1.1, 1, 1, 1) + mean
        gray = img.mean(1, keepdim=True)
        return ((img - gray) * u(0.9, 1.1, 1, 1, 1) + gray).clamp(0, 1)
    img = img * u(0.65, 1.35, 1, 1, 1) * u(0.9, 1.1, 3, 1, 1)
    mean = img.mean((1, 2, 3), keepdim=True)
    img = (img - mean) * u(0.7, 1.3, 1, 1, 1) + mean
    gray = img.mean(1, keepdim=True)
    img = ((img - gray) * u(0.6, 1.4, 1, 1, 1) + gray).clamp(0, 1)
    img = img ** u(0.8, 1.25, 1, 1, 1)
    blur = torch.rand(n, generator=g, device=dev) < 0.2
    if blur.any():
        k = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=dev)
        k = (k[:, None] * k[None, :]) / 256
        blurred = F.conv2d(F.pad(img, (2, 2, 2, 2), mode="replicate"), k.expand(3, 1, 5, 5), groups=3)
        img = torch.where(blur.view(n, 1, 1, 1), blurred, img)
    noise = (torch.rand(n, 1, 1, 1, generator=g, device=dev) < 0.3) * u(0.0, 0.04, 1, 1, 1)
    img = img + noise * torch.randn(img.shape, generator=g, device=dev)
    return img.clamp(0, 1)


def augment(images: torch.Tensor, labels: torch.Tensor, cfg: AugConfig, g: torch.Generator
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Augment a batch and letterbox it into ``L x L`` canvases.

    Parameters
    ----------
    images : (N, 3, H, W) uint8
    labels : (N, T, H, W) uint8
        parsing7, person, garment ids; 255 ignored.
    cfg : AugConfig
    g : torch.Generator
        On the same device as the tensors.

    Returns
    -------
    images : (N, 3, L, L) float32, 0..1; padding is 0 here (the caller normalises and zeroes it)
    labels : (N, T, L, L) int64; padding and unknown pixels are 255
    valid : (N, L, L) bool
        Pixels that hold photo or backdrop; the caller normalises the images and zeroes the rest
        (the mean colour, as :func:`fashion_annotator.models.preprocess.to_input` pads).
    """
    img = images.float() / 255
    boxes = _crop_boxes(labels[:, PERSON], cfg, g)
    img, lab, inside, content = _warp(img, labels, boxes, cfg, g)
    if cfg.composites:
        img, lab, valid = _composite(img, lab, inside, content, cfg, g)
    else:
        valid = inside
    img = _photometric(img, g, cfg.photometric)
    lab = torch.where(valid.unsqueeze(1), lab, torch.full_like(lab, IGNORE))
    img = img * valid.unsqueeze(1)
    return img, lab, valid
