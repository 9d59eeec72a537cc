"""``python -m tools.sample_ward``: write the sample ward, or check the committed copy."""

from __future__ import annotations

import argparse
from pathlib import Path

from tools.sample_ward.builder import drift, generate, write
from tools.sample_ward.vocab import DEFAULT_OUT, DEFAULT_SEED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.sample_ward", description="Sinh dữ liệu giả lập của phường Mẫu."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="thư mục ghi (config/sample)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="hạt giống ngẫu nhiên")
    parser.add_argument(
        "--check",
        action="store_true",
        help="chỉ so sánh thư mục --out với dữ liệu sinh ra (mã 1 nếu khác), không ghi",
    )
    args = parser.parse_args(argv)
    ward = generate(args.seed)
    if args.check:
        differ = drift(ward, args.out)
        for rel in differ:
            print(f"khác: {args.out / rel}")
        if differ:
            print(f"sinh lại: python -m tools.sample_ward --out {args.out} --seed {args.seed}")
            return 1
        print(f"{len(ward.files)} tệp khớp")
        return 0
    for path in write(ward, args.out):
        print(f"{path} ({path.stat().st_size} byte)")
    t = ward.truth
    print(
        f"{len(t.branches)} chi bộ, {len(t.members)} đảng viên, "
        f"{sum(m.registered for m in t.members.values())} có Biểu mẫu 01, "
        f"{sum(m.committee_total is not None for m in t.members.values())} được cấp ủy chấm, "
        f"{len(t.invalid_rows)} dòng/ô cố ý sai"
    )
    return 0
