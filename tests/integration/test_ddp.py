"""Two CPU processes (gloo) train a tiny model for one epoch and end with identical weights."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from fashion_annotator.models.unet import UNet
from training import distributed
from training.data import list_samples, load_split, split_samples, task_mapping
from training.heads import stack_heads
from training.loop import TrainConfig, train

pytestmark = pytest.mark.slow
SIZE = (32, 24)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, ccp_dir: str, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world))
    torch.set_num_threads(1)
    assert distributed.init_from_env("cpu")
    assert distributed.rank_and_world() == (rank, world)
    heads = stack_heads([("garment", *task_mapping(Path(ccp_dir), "garment"))])
    train_s, val_s = split_samples(list_samples(Path(ccp_dir)), Path(ccp_dir))
    # each rank decodes the same eight photos; the loop gives each rank its half
    train_split = load_split(train_s[:8], SIZE, None)
    val_split = load_split(val_s[:1], SIZE, None, keep_full=True)
    cfg = TrainConfig(out_dir=out, epochs=1, batch_size=2, model_size="tiny", lr=1e-2)
    events: list[dict] = []
    result = train(cfg, heads, train_split, val_split, [0.5] * 3, [0.25] * 3, emit=events.append)
    if rank == 0:  # 8 photos, 2 ranks, batches of 2: two steps each
        assert [e["steps"] for e in events if e["event"] == "step"] == [2, 2]
    else:
        assert events == []  # only rank 0 reports
    tensors = {k: v.contiguous() for k, v in result.model.state_dict().items()}
    save_file(tensors, str(Path(out) / f"rank{rank}.safetensors"))
    distributed.cleanup()


def test_two_gloo_ranks_end_with_identical_weights(tmp_path: Path, ccp_dir: Path) -> None:
    assert not dist.is_initialized()
    mp.spawn(_worker, args=(2, _free_port(), str(ccp_dir), str(tmp_path)), nprocs=2, join=True)
    a = load_file(str(tmp_path / "rank0.safetensors"))
    b = load_file(str(tmp_path / "rank1.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    torch.manual_seed(0)
    start = UNet(**TrainConfig(out_dir="", model_size="tiny").arch(1)).state_dict()
    assert not torch.equal(start["head.weight"], a["head.weight"])  # the epoch did train
    assert (tmp_path / "checkpoint.pt").is_file()  # written by rank 0 only
    assert distributed.rank_and_world() == (0, 1)
